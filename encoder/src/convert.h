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

/* A converter from bus frames of `in` to pictures of `out_format` at out_width x out_height, with the picture it fills. */
typedef struct converter converter;
/* NULL after reporting an error. */
converter *converter_open(const vidbus_layout *in, enum AVPixelFormat out_format, int out_width, int out_height);
/* Converts a frame into the converter's picture and returns it (refcounted: an encoder may keep a reference;
 * a picture still referenced is never written again, a new buffer is taken). NULL after reporting an error. */
AVFrame *converter_run(converter *c, const vidbus_frame *frame);
void converter_close(converter *c);

#endif
