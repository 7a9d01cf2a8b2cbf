/* vidbus-encode: a stage that reads a raw bus stream and publishes an
 * encoded one (H.264, HEVC or MJPEG), run by the Node side
 * (src/encode/encode-stage.ts) as a child process so that Node never links
 * libavcodec. It talks in JSON lines on stdout (libvidbus/tools/report.h):
 *
 *   vidbus-encode --in IN --out OUT [--codec h264|hevc|mjpeg] [--encoder auto|x264|x265|v4l2|turbojpeg]
 *                 [--bitrate BPS] [--gop N] [--preset NAME] [--profile baseline|main|high] [--quality 1-100]
 *                 [--keyframe-gap-ms MS] [--stats-ms MS] [--slots N] [--prefer-hardware]
 *
 * SIGUSR1 asks for a keyframe (within --keyframe-gap-ms), for owners that
 * serve several viewers from one reader. The encoders are existing ones: libx264/libx265 and V4L2 memory-to-memory
 * encoders through libavcodec, MJPEG through libjpeg-turbo. A raw frame the
 * encoder can take as it is (I420, NV12) goes to it as a view of the bus
 * slot, held until the encoder lets go of it: no copy on our side.
 * Other formats are converted once (libswscale) into the 4:2:0 picture the
 * encoder needs. */
#ifndef VIDBUS_ENCODER_H
#define VIDBUS_ENCODER_H

#include <stdint.h>

#include "annexb.h"
#include "report.h"
#include "vidbus.h"

typedef enum { CODEC_H264 = 1, CODEC_HEVC, CODEC_MJPEG } codec_id;

typedef struct {
    codec_id codec;
    const char *encoder;        /* auto, x264, x265, v4l2, turbojpeg */
    int prefer_hardware;        /* auto: try the V4L2 memory-to-memory encoder first (the Node side found one) */
    int64_t bitrate;            /* bits per second; 0: the encoder's quality default */
    int gop;                    /* frames between keyframes */
    const char *preset;         /* x264/x265 speed preset */
    const char *profile;        /* H.264 profile (baseline, main, high); NULL: the encoder's choice */
    int quality;                /* MJPEG quality 1..100 */
} encode_options;

/* A frame handed to the encoder: the bus frame it came from (or none) and its times. */
typedef struct {
    int64_t timestamp_ns, wall_ns;   /* carried from the raw frame to the encoded one */
    int64_t input_published_ns;      /* when the raw frame was published */
    int64_t sent_ns;                 /* when it was given to the encoder */
} frame_times;

/* One encoded access unit; data stays valid until the next codec_* call. */
typedef struct {
    const uint8_t *data;
    uint32_t size;
    int keyframe;
    frame_times times;
} encoded_unit;

typedef struct codec codec;

/* Whether the encoder asked for exists here: 0, or 1 after reporting why not. */
int codec_check(const encode_options *options);
/* Opens an encoder for frames of `in`; reports an error event and returns NULL when it cannot. */
codec *codec_open(const encode_options *options, const vidbus_layout *in, uint32_t fps_num, uint32_t fps_den);
/* The encoder's name as the user sees it (libx264, h264_v4l2m2m, turbojpeg). */
const char *codec_name(const codec *c);
/* The size of the encoded pictures (the input's, made even for 4:2:0 where needed). */
void codec_size(const codec *c, uint32_t *width, uint32_t *height);
/* Gives a frame to the encoder. The codec takes over the hold: it releases the
 * frame when the encoder no longer needs it. force_keyframe asks for an IDR now.
 * Returns 0, or 1 after reporting an error. */
int codec_send(codec *c, vidbus_consumer *consumer, vidbus_frame *frame, const frame_times *times, int force_keyframe);
/* The next encoded unit: 1 with *unit filled, 0 when none is ready, -1 after reporting an error. */
int codec_receive(codec *c, encoded_unit *unit);
/* Asks the encoder for what it still holds (then codec_receive until 0). */
void codec_drain(codec *c);
void codec_close(codec *c);

/* Parse a codec name; 0 when unknown. */
codec_id codec_from_name(const char *name);
const char *codec_label(codec_id id);

#endif
