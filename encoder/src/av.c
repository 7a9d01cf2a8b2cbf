/* H.264 and HEVC through libavcodec: libx264, libx265, or a V4L2
 * memory-to-memory encoder (the kernel's stateful encoder API, driven by
 * libavcodec's h264_v4l2m2m/hevc_v4l2m2m). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "codec.h"
#include "convert.h"

#define TIMES_RING 64
#define MAX_PARAMETER_SETS 4096

struct av_encoder {
    AVCodecContext *ctx;
    AVPacket *packet;
    converter *convert;          /* the encoder's own picture, when the bus frame cannot go as it is */
    bitstream_kind kind;
    int64_t next_pts;
    frame_times times[TIMES_RING];   /* by pts: the encoder hands pts back with each packet */
    uint8_t parameter_sets[MAX_PARAMETER_SETS];
    size_t parameter_sets_size;
    uint8_t *unit;               /* a keyframe with the parameter sets put in front */
    size_t unit_capacity;
};

/* The bus frame a wrapped AVFrame came from: released when libavcodec drops its last reference. */
typedef struct {
    vidbus_consumer *consumer;
    vidbus_frame frame;
} held_frame;

static void release_held(void *opaque, uint8_t *data)
{
    (void)data;
    held_frame *h = opaque;
    vidbus_frame_release(h->consumer, &h->frame); /* a lease that ran out is no error here: the encoder has its copy */
    free(h);
}

static const char *encoder_for(codec_id id, const char *choice)
{
    int hevc = id == CODEC_HEVC;
    if (strcmp(choice, "auto") == 0) return hevc ? "libx265" : "libx264";
    if (strcmp(choice, "x264") == 0 && !hevc) return "libx264";
    if (strcmp(choice, "x265") == 0 && hevc) return "libx265";
    if (strcmp(choice, "v4l2") == 0) return hevc ? "hevc_v4l2m2m" : "h264_v4l2m2m";
    return NULL;
}

static int supports(const AVCodec *found, enum AVPixelFormat format)
{
    if (found->pix_fmts == NULL) return format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_NV12;
    for (const enum AVPixelFormat *p = found->pix_fmts; *p != AV_PIX_FMT_NONE; p++)
        if (*p == format) return 1;
    return 0;
}

static int av_failed(const char *code, int err, const char *what)
{
    char text[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(err, text, sizeof(text));
    return report_error(code, "%s: %s", what, text);
}

static void configure(AVCodecContext *ctx, const encode_options *o, const char *name)
{
    if (o->bitrate > 0) {
        ctx->bit_rate = o->bitrate;
        /* A one-second buffer: the rate holds over any second, as a live stream needs. */
        ctx->rc_max_rate = o->bitrate;
        ctx->rc_buffer_size = (int)(o->bitrate > INT32_MAX ? INT32_MAX : o->bitrate);
    }
    ctx->gop_size = o->gop;
    if (o->profile != NULL && strcmp(o->profile, "baseline") == 0) ctx->profile = FF_PROFILE_H264_CONSTRAINED_BASELINE;
    ctx->max_b_frames = 0; /* B-frames cost a frame of delay each; a live bus has no use for them */
    if (strncmp(name, "libx26", 6) == 0) {
        av_opt_set(ctx->priv_data, "preset", o->preset, 0);
        av_opt_set(ctx->priv_data, "tune", "zerolatency", 0);
    }
    if (strcmp(name, "libx264") == 0) {
        av_opt_set_int(ctx->priv_data, "forced-idr", 1, 0);
        /* baseline: what every WebRTC receiver decodes (Chromium offers no High profile). */
        if (o->profile != NULL) av_opt_set(ctx->priv_data, "profile", o->profile, 0);
    } else if (strcmp(name, "libx265") == 0) {
        av_opt_set(ctx->priv_data, "x265-params", "repeat-headers=1:log-level=error", 0);
    }
}

const AVCodec *av_find(const encode_options *o)
{
    const char *name = encoder_for(o->codec, o->encoder);
    if (name == NULL) {
        report_error("ERR_INVALID_OPTION", "The %s encoder does not make %s: use auto, %s or v4l2", o->encoder, codec_label(o->codec), o->codec == CODEC_HEVC ? "x265" : "x264");
        return NULL;
    }
    const AVCodec *found = avcodec_find_encoder_by_name(name);
    if (found == NULL) report_error("ERR_CODEC_UNAVAILABLE", "This libavcodec has no %s encoder (Debian's libavcodec59 has libx264, libx265 and the V4L2 ones)", name);
    return found;
}

/* Opens `found` for frames of `in`. quiet: a failure to open is not reported (the caller has another encoder to try). */
static av_encoder *open_encoder(const AVCodec *found, const encode_options *o, const vidbus_layout *in, uint32_t fps_num, uint32_t fps_den, int quiet)
{
    const char *name = found->name;
    av_encoder *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        report_error("ERR_NO_SPACE", "Out of memory for the encoder");
        return NULL;
    }
    e->kind = o->codec == CODEC_HEVC ? BITSTREAM_HEVC : BITSTREAM_H264;
    e->ctx = avcodec_alloc_context3(found);
    e->packet = av_packet_alloc();
    if (e->ctx == NULL || e->packet == NULL) goto oom;

    enum AVPixelFormat in_format = av_format_of(in->format);
    /* 4:2:0 needs even sizes: an odd column or row is dropped by the conversion. */
    int width = (int)(in->width & ~1u), height = (int)(in->height & ~1u);
    int direct = (in_format == AV_PIX_FMT_YUV420P || in_format == AV_PIX_FMT_NV12) && supports(found, in_format) && width == (int)in->width && height == (int)in->height;
    enum AVPixelFormat format = direct ? in_format : supports(found, AV_PIX_FMT_YUV420P) ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_NV12;
    e->ctx->width = width;
    e->ctx->height = height;
    e->ctx->pix_fmt = format;
    if (fps_num == 0 || fps_den == 0) fps_num = 30, fps_den = 1;
    e->ctx->time_base = (AVRational){(int)fps_den, (int)fps_num};
    e->ctx->framerate = (AVRational){(int)fps_num, (int)fps_den};
    configure(e->ctx, o, name);
    int err = avcodec_open2(e->ctx, found, NULL);
    if (err < 0) {
        if (!quiet && strstr(name, "v4l2m2m") != NULL)
            report_error("ERR_DEVICE_NOT_FOUND", "No V4L2 memory-to-memory encoder for %s %dx%d was found (vidbus devices lists them); use --encoder x264", codec_label(o->codec), width, height);
        else if (!quiet)
            av_failed("ERR_CODEC_UNAVAILABLE", err, name);
        av_close(e);
        return NULL;
    }
    if (e->ctx->extradata_size > 0) {
        long n = annexb_copy_parameter_sets(e->kind, e->ctx->extradata, (size_t)e->ctx->extradata_size, e->parameter_sets, sizeof(e->parameter_sets));
        e->parameter_sets_size = n > 0 ? (size_t)n : 0;
    }
    if (!direct && (e->convert = converter_open(in, format, width, height)) == NULL) {
        av_close(e);
        return NULL;
    }
    return e;
oom:
    report_error("ERR_NO_SPACE", "Out of memory for the encoder");
    av_close(e);
    return NULL;
}

av_encoder *av_open(const encode_options *o, const vidbus_layout *in, uint32_t fps_num, uint32_t fps_den)
{
    if (o->prefer_hardware && strcmp(o->encoder, "auto") == 0) {
        /* A V4L2 memory-to-memory encoder was found (vidbus devices): try it, and say so when it refuses. */
        const AVCodec *hw = avcodec_find_encoder_by_name(encoder_for(o->codec, "v4l2"));
        av_encoder *e = hw != NULL ? open_encoder(hw, o, in, fps_num, fps_den, 1) : NULL;
        if (e != NULL) return e;
        report("notice", "\"message\":%s", json_str(0, "The V4L2 memory-to-memory encoder refused this picture; encoding in software"));
    }
    const AVCodec *found = av_find(o);
    return found != NULL ? open_encoder(found, o, in, fps_num, fps_den, 0) : NULL;
}

const char *av_name(const av_encoder *e)
{
    return e->ctx->codec->name;
}

void av_size(const av_encoder *e, uint32_t *width, uint32_t *height)
{
    *width = (uint32_t)e->ctx->width;
    *height = (uint32_t)e->ctx->height;
}

/* A view of the bus frame that keeps its hold until the encoder lets go; NULL when out of memory (the frame is released). */
static AVFrame *wrap(vidbus_consumer *consumer, vidbus_frame *frame)
{
    AVFrame *f = av_frame_alloc();
    held_frame *h = malloc(sizeof(*h));
    if (f != NULL && h != NULL) {
        h->consumer = consumer;
        h->frame = *frame;
        f->buf[0] = av_buffer_create((uint8_t *)(uintptr_t)frame->data, frame->layout.frame_bytes, release_held, h, AV_BUFFER_FLAG_READONLY);
    }
    if (f == NULL || h == NULL || f->buf[0] == NULL) {
        av_frame_free(&f);
        free(h);
        vidbus_frame_release(consumer, frame);
        return NULL;
    }
    frame_planes(frame, f);
    return f;
}

int av_send(av_encoder *e, vidbus_consumer *consumer, vidbus_frame *frame, const frame_times *times, int force_keyframe)
{
    AVFrame *f;
    int converted = e->convert != NULL;
    if (converted) {
        f = converter_run(e->convert, frame);
        vidbus_frame_release(consumer, frame); /* the converted picture is the encoder's: the slot goes back now */
        if (f == NULL) return 1;
    } else {
        f = wrap(consumer, frame);
        if (f == NULL) return report_error("ERR_NO_SPACE", "Out of memory for a frame");
    }
    f->pts = e->next_pts++;
    f->pict_type = force_keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    e->times[f->pts % TIMES_RING] = *times;
    int err = avcodec_send_frame(e->ctx, f);
    if (!converted) av_frame_free(&f); /* drops our reference; the encoder holds its own while it needs the slot */
    if (err < 0 && err != AVERROR(EAGAIN)) return av_failed("ERR_TOOL_FAILED", err, "The encoder refused a frame");
    return 0;
}

/* Puts the parameter sets in front of a keyframe that came without them (some
 * V4L2 encoders send them once), and remembers them from keyframes that have them. */
static int with_parameter_sets(av_encoder *e, encoded_unit *unit)
{
    if (annexb_has_parameter_sets(e->kind, unit->data, unit->size)) {
        long n = annexb_copy_parameter_sets(e->kind, unit->data, unit->size, e->parameter_sets, sizeof(e->parameter_sets));
        if (n > 0) e->parameter_sets_size = (size_t)n;
        return 0;
    }
    if (e->parameter_sets_size == 0) return 0;
    size_t needed = e->parameter_sets_size + unit->size;
    if (needed > e->unit_capacity) {
        uint8_t *grown = realloc(e->unit, needed);
        if (grown == NULL) return report_error("ERR_NO_SPACE", "Out of memory for a keyframe");
        e->unit = grown;
        e->unit_capacity = needed;
    }
    memcpy(e->unit, e->parameter_sets, e->parameter_sets_size);
    memcpy(e->unit + e->parameter_sets_size, unit->data, unit->size);
    unit->data = e->unit;
    unit->size = (uint32_t)needed;
    return 0;
}

int av_receive(av_encoder *e, encoded_unit *unit)
{
    av_packet_unref(e->packet);
    int err = avcodec_receive_packet(e->ctx, e->packet);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return 0;
    if (err < 0) {
        av_failed("ERR_TOOL_FAILED", err, "The encoder failed");
        return -1;
    }
    if (e->packet->size <= 0 || (uint64_t)e->packet->size > UINT32_MAX / 2) return 0;
    unit->data = e->packet->data;
    unit->size = (uint32_t)e->packet->size;
    unit->keyframe = (e->packet->flags & AV_PKT_FLAG_KEY) != 0;
    unit->times = e->times[(uint64_t)e->packet->pts % TIMES_RING];
    if (unit->keyframe && with_parameter_sets(e, unit) != 0) return -1;
    return 1;
}

void av_drain(av_encoder *e)
{
    avcodec_send_frame(e->ctx, NULL);
}

void av_close(av_encoder *e)
{
    if (e == NULL) return;
    avcodec_free_context(&e->ctx); /* releases any bus frame the encoder still held */
    av_packet_free(&e->packet);
    converter_close(e->convert);
    free(e->unit);
    free(e);
}
