/* The two kinds of encoder behind codec.c: libavcodec (H.264, HEVC) and
 * libjpeg-turbo (MJPEG). Each keeps its own state; codec.c dispatches. */
#ifndef VIDBUS_ENCODER_CODEC_H
#define VIDBUS_ENCODER_CODEC_H

#include "encoder.h"

typedef struct av_encoder av_encoder;
/* The libavcodec encoder these options ask for; NULL after reporting why there is none. */
const struct AVCodec *av_find(const encode_options *options);
av_encoder *av_open(const encode_options *options, const vidbus_layout *in, uint32_t fps_num, uint32_t fps_den);
const char *av_name(const av_encoder *e);
void av_size(const av_encoder *e, uint32_t *width, uint32_t *height);
int av_send(av_encoder *e, vidbus_consumer *consumer, vidbus_frame *frame, const frame_times *times, int force_keyframe);
int av_receive(av_encoder *e, encoded_unit *unit);
void av_drain(av_encoder *e);
void av_close(av_encoder *e);

typedef struct jpeg_encoder jpeg_encoder;
/* Whether libjpeg-turbo is what these options ask for; 1 after reporting when not. */
int jpeg_check(const encode_options *options);
jpeg_encoder *jpeg_open(const encode_options *options, const vidbus_layout *in);
int jpeg_send(jpeg_encoder *e, vidbus_consumer *consumer, vidbus_frame *frame, const frame_times *times);
int jpeg_receive(jpeg_encoder *e, encoded_unit *unit);
void jpeg_close(jpeg_encoder *e);

#endif
