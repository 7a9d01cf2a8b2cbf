/* Conversions with libswscale (see convert.h). */
#include <stdlib.h>

#include <libswscale/swscale.h>

#include "convert.h"
#include "encoder.h"

struct converter {
    struct SwsContext *sws;
    AVFrame *picture;
};

enum AVPixelFormat av_format_of(vidbus_format format)
{
    switch (format) {
    case VIDBUS_FORMAT_RGBA: return AV_PIX_FMT_RGBA;
    case VIDBUS_FORMAT_BGRA: return AV_PIX_FMT_BGRA;
    case VIDBUS_FORMAT_RGB24: return AV_PIX_FMT_RGB24;
    case VIDBUS_FORMAT_BGR24: return AV_PIX_FMT_BGR24;
    case VIDBUS_FORMAT_YUYV: return AV_PIX_FMT_YUYV422;
    case VIDBUS_FORMAT_UYVY: return AV_PIX_FMT_UYVY422;
    case VIDBUS_FORMAT_NV12: return AV_PIX_FMT_NV12;
    case VIDBUS_FORMAT_I420: return AV_PIX_FMT_YUV420P;
    case VIDBUS_FORMAT_GRAY8: return AV_PIX_FMT_GRAY8;
    default: return AV_PIX_FMT_NONE;
    }
}

void frame_planes(const vidbus_frame *frame, AVFrame *dst)
{
    /* libvidbus checked every plane (offset + stride * rows) against the frame size when it opened the stream. */
    const vidbus_layout *l = &frame->layout;
    dst->format = av_format_of(l->format);
    dst->width = (int)l->width;
    dst->height = (int)l->height;
    for (uint32_t i = 0; i < l->plane_count && i < AV_NUM_DATA_POINTERS; i++) {
        dst->data[i] = (uint8_t *)(uintptr_t)(frame->data + l->offsets[i]);
        dst->linesize[i] = (int)l->strides[i];
    }
}

converter *converter_open(const vidbus_layout *in, enum AVPixelFormat out_format, int out_width, int out_height)
{
    converter *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->picture = av_frame_alloc()) == NULL) {
        free(c);
        report_error("ERR_NO_SPACE", "Out of memory for the converter");
        return NULL;
    }
    c->picture->format = out_format;
    c->picture->width = out_width;
    c->picture->height = out_height;
    if (av_frame_get_buffer(c->picture, 0) < 0) {
        converter_close(c);
        report_error("ERR_NO_SPACE", "Out of memory for a %dx%d picture", out_width, out_height);
        return NULL;
    }
    /* Point sampling when only the format changes: the picture keeps its detail, and it is the cheapest. */
    int same_size = (int)in->width == out_width && (int)in->height == out_height;
    c->sws = sws_getContext((int)in->width, (int)in->height, av_format_of(in->format), out_width, out_height, out_format,
                            same_size ? SWS_POINT : SWS_BILINEAR, NULL, NULL, NULL);
    if (c->sws == NULL) {
        converter_close(c);
        report_error("ERR_FORMAT_UNSUPPORTED", "libswscale cannot convert %s %ux%u for the encoder", vidbus_format_name(in->format), in->width, in->height);
        return NULL;
    }
    return c;
}

AVFrame *converter_run(converter *c, const vidbus_frame *frame)
{
    if (av_frame_make_writable(c->picture) < 0) {
        report_error("ERR_NO_SPACE", "Out of memory for a converted picture");
        return NULL;
    }
    AVFrame src = {0};
    frame_planes(frame, &src);
    sws_scale(c->sws, (const uint8_t *const *)src.data, src.linesize, 0, src.height, c->picture->data, c->picture->linesize);
    return c->picture;
}

void converter_close(converter *c)
{
    if (c == NULL) return;
    sws_freeContext(c->sws);
    av_frame_free(&c->picture);
    free(c);
}
