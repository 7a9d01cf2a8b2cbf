/* Bus frames in the picture an encoder needs (libswscale), and bus frames
 * described as libavutil planes without a copy. */
#ifndef VIDBUS_ENCODER_CONVERT_H
#define VIDBUS_ENCODER_CONVERT_H

#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

#include "vidbus.h"

/* libavutil's name for a raw bus format; AV_PIX_FMT_NONE for encoded ones. */
enum AVPixelFormat av_format_of(vidbus_format format);

/* Points dst's planes at the bus frame (no copy). dst->buf is left to the caller. */
void frame_planes(const vidbus_frame *frame, AVFrame *dst);

typedef struct converter converter;
/* A converter from bus frames of `in` to `out_format` at out_width x out_height; NULL after reporting an error. */
converter *converter_open(const vidbus_layout *in, enum AVPixelFormat out_format, int out_width, int out_height);
/* Converts into dst (made writable first: a buffer the encoder still holds is never written). 0, or 1 after reporting. */
int converter_run(converter *c, const vidbus_frame *frame, AVFrame *dst);
void converter_close(converter *c);

#endif
