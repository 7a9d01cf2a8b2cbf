/* One encoder, whichever kind (see encoder.h and codec.h). */
#include <stdlib.h>
#include <string.h>

#include "codec.h"

struct codec {
    codec_id id;
    av_encoder *av;
    jpeg_encoder *jpeg;
    uint32_t width, height;
};

codec_id codec_from_name(const char *name)
{
    if (strcmp(name, "h264") == 0) return CODEC_H264;
    if (strcmp(name, "hevc") == 0 || strcmp(name, "h265") == 0) return CODEC_HEVC;
    if (strcmp(name, "mjpeg") == 0) return CODEC_MJPEG;
    return 0;
}

const char *codec_label(codec_id id)
{
    return id == CODEC_HEVC ? "HEVC" : id == CODEC_MJPEG ? "MJPEG" : "H264";
}

int codec_check(const encode_options *options)
{
    if (options->codec == CODEC_MJPEG) return jpeg_check(options);
    return av_find(options) == NULL;
}

codec *codec_open(const encode_options *options, const vidbus_layout *in, uint32_t fps_num, uint32_t fps_den)
{
    if (in->plane_count == 0) {
        report_error("ERR_FORMAT_UNSUPPORTED", "The input is already encoded (%s): vidbus encode reads raw streams", vidbus_format_name(in->format));
        return NULL;
    }
    codec *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        report_error("ERR_NO_SPACE", "Out of memory for the encoder");
        return NULL;
    }
    c->id = options->codec;
    if (c->id == CODEC_MJPEG) {
        c->jpeg = jpeg_open(options, in);
        c->width = in->width;
        c->height = in->height;
    } else {
        c->av = av_open(options, in, fps_num, fps_den);
        if (c->av != NULL) av_size(c->av, &c->width, &c->height);
    }
    if (c->av == NULL && c->jpeg == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

const char *codec_name(const codec *c)
{
    return c->jpeg != NULL ? "turbojpeg" : av_name(c->av);
}

void codec_size(const codec *c, uint32_t *width, uint32_t *height)
{
    *width = c->width;
    *height = c->height;
}

int codec_send(codec *c, vidbus_consumer *consumer, vidbus_frame *frame, const frame_times *times, int force_keyframe)
{
    return c->jpeg != NULL ? jpeg_send(c->jpeg, consumer, frame, times) : av_send(c->av, consumer, frame, times, force_keyframe);
}

int codec_receive(codec *c, encoded_unit *unit)
{
    return c->jpeg != NULL ? jpeg_receive(c->jpeg, unit) : av_receive(c->av, unit);
}

void codec_drain(codec *c)
{
    if (c->av != NULL) av_drain(c->av);
}

void codec_close(codec *c)
{
    if (c == NULL) return;
    av_close(c->av);
    jpeg_close(c->jpeg);
    free(c);
}
