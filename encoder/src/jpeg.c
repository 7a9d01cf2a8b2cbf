/* MJPEG with libjpeg-turbo: RGB-family bus frames are compressed straight
 * from the slot. YUV frames are converted to full-range planar 4:2:0 first:
 * the bus's YUV is limited range (BT.601, as V4L2 gives it) and JPEG's is
 * full range, so even I420 cannot go as it is. Every frame is a keyframe. */
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "codec.h"
#include "convert.h"

struct jpeg_encoder {
    tjhandle handle;
    int quality;
    int pixel_format;            /* TJPF_*, or -1: planar YUV */
    int subsampling;             /* TJSAMP_GRAY for grey pictures, 4:2:0 otherwise */
    converter *convert;          /* YUV frames: into full-range planar 4:2:0 */
    unsigned char *out;
    unsigned long capacity;
    unsigned long size;
    frame_times times;
    int ready;
};

static int tj_format(vidbus_format f)
{
    switch (f) {
    case VIDBUS_FORMAT_RGBA: return TJPF_RGBA;
    case VIDBUS_FORMAT_BGRA: return TJPF_BGRA;
    case VIDBUS_FORMAT_RGB24: return TJPF_RGB;
    case VIDBUS_FORMAT_BGR24: return TJPF_BGR;
    case VIDBUS_FORMAT_GRAY8: return TJPF_GRAY;
    default: return -1;
    }
}

int jpeg_check(const encode_options *o)
{
    if (strcmp(o->encoder, "auto") == 0 || strcmp(o->encoder, "turbojpeg") == 0) return 0;
    return report_error("ERR_INVALID_OPTION", "MJPEG is made by libjpeg-turbo: use --encoder auto or turbojpeg; received %s", o->encoder);
}

jpeg_encoder *jpeg_open(const encode_options *o, const vidbus_layout *in)
{
    jpeg_encoder *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->handle = tjInitCompress()) == NULL) {
        free(e);
        report_error("ERR_CODEC_UNAVAILABLE", "libjpeg-turbo could not start a compressor");
        return NULL;
    }
    e->quality = o->quality;
    e->pixel_format = tj_format(in->format);
    e->subsampling = e->pixel_format == TJPF_GRAY ? TJSAMP_GRAY : TJSAMP_420;
    /* The largest JPEG libjpeg-turbo can make of this picture: compressing never reallocates. */
    e->capacity = tjBufSize((int)in->width, (int)in->height, e->subsampling);
    e->out = tjAlloc((int)e->capacity);
    if (e->out == NULL) goto oom;
    if (e->pixel_format < 0 && (e->convert = converter_open(in, AV_PIX_FMT_YUVJ420P, (int)in->width, (int)in->height)) == NULL) {
        jpeg_close(e);
        return NULL;
    }
    return e;
oom:
    report_error("ERR_NO_SPACE", "Out of memory for the JPEG encoder");
    jpeg_close(e);
    return NULL;
}

int jpeg_send(jpeg_encoder *e, vidbus_consumer *consumer, vidbus_frame *frame, const frame_times *times)
{
    const vidbus_layout *l = &frame->layout;
    unsigned long size = e->capacity;
    int flags = TJFLAG_NOREALLOC;
    int failed;
    if (e->pixel_format >= 0) {
        failed = tjCompress2(e->handle, frame->data + l->offsets[0], (int)l->width, (int)l->strides[0], (int)l->height, e->pixel_format, &e->out, &size, e->subsampling,
                             e->quality, flags);
    } else {
        const AVFrame *src = converter_run(e->convert, frame);
        if (src == NULL) {
            vidbus_frame_release(consumer, frame);
            return 1;
        }
        const unsigned char *p[3] = {src->data[0], src->data[1], src->data[2]};
        int strides[3] = {src->linesize[0], src->linesize[1], src->linesize[2]};
        failed = tjCompressFromYUVPlanes(e->handle, p, (int)l->width, strides, (int)l->height, TJSAMP_420, &e->out, &size, e->quality, flags);
    }
    vidbus_frame_release(consumer, frame);
    if (failed) return report_error("ERR_TOOL_FAILED", "libjpeg-turbo failed: %s", tjGetErrorStr2(e->handle));
    e->size = size;
    e->times = *times;
    e->ready = 1;
    return 0;
}

int jpeg_receive(jpeg_encoder *e, encoded_unit *unit)
{
    if (!e->ready) return 0;
    e->ready = 0;
    unit->data = e->out;
    unit->size = (uint32_t)e->size;
    unit->keyframe = 1;
    unit->times = e->times;
    return 1;
}

void jpeg_close(jpeg_encoder *e)
{
    if (e == NULL) return;
    if (e->handle != NULL) tjDestroy(e->handle);
    tjFree(e->out);
    converter_close(e->convert);
    free(e);
}
