/* `capture`: any PipeWire video node (a camera behind WirePlumber's V4L2
 * or libcamera monitor, an application's output, a screen cast) onto a bus
 * stream. The target is found in the registry by id, serial, name or
 * description, and watched: when it goes away the bus stream ends, or with
 * --follow stays open (consumers see no frames) until a node of that name
 * comes back. The bus stream takes the format PipeWire negotiates and is
 * made again if it changes. One copy per frame, row by row from PipeWire's
 * buffer into a loaned bus slot: PipeWire's buffers belong to the node
 * that made them, and the bus cannot point at foreign memory. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/buffer/meta.h>
#include <spa/param/buffers.h>
#include <spa/pod/builder.h>

#include "nodes.h"

typedef struct {
    session s;
    node_watch watch;
    const char *target;
    const char *stream_name;
    bool follow;
    uint32_t slots;
    uint32_t node_id;              /* SPA_ID_INVALID while there is none */
    char node_serial[24];
    struct pw_stream *stream;
    struct spa_hook stream_listener;
    vidbus_producer *producer;
    vidbus_layout layout;          /* the producer's */
    struct spa_source *stats_timer;
    uint64_t published, dropped, rejected;
    int exit_code;
} capture;

static void close_producer(capture *c)
{
    vidbus_producer_stats st;
    if (c->producer == NULL) return;
    vidbus_producer_get_stats(c->producer, &st);
    c->published += st.published;
    c->dropped += st.dropped;
    vidbus_producer_close(c->producer);
    c->producer = NULL;
}

static void report_stats(capture *c)
{
    vidbus_producer_stats st = {0};
    if (c->producer != NULL) vidbus_producer_get_stats(c->producer, &st);
    report("stats", "\"published\":%llu,\"dropped\":%llu,\"rejected\":%llu", (unsigned long long)(c->published + st.published), (unsigned long long)(c->dropped + st.dropped),
           (unsigned long long)c->rejected);
}

static void on_stats_timer(void *data, uint64_t expirations)
{
    (void)expirations;
    report_stats(data);
}

/* Where plane p starts in PipeWire's single block, and its stride, given plane 0's stride (GStreamer's and libcamera's packing). */
static void plane_geometry(const vidbus_layout *l, uint32_t stride0, uint32_t p, uint64_t *offset, uint32_t *stride)
{
    uint32_t sub = (l->format == VIDBUS_FORMAT_I420 && p > 0) ? 2 : 1;
    *stride = stride0 / sub;
    *offset = 0;
    for (uint32_t q = 0; q < p; q++) *offset += (uint64_t)(stride0 / ((l->format == VIDBUS_FORMAT_I420 && q > 0) ? 2 : 1)) * l->rows[q];
}

/* Copies one PipeWire buffer into the loan, checking every plane against what PipeWire says it holds. */
static bool copy_frame(const capture *c, const struct spa_buffer *buf, uint8_t *to)
{
    const vidbus_layout *l = &c->layout;
    for (uint32_t p = 0; p < l->plane_count; p++) {
        const struct spa_data *d = buf->n_datas >= l->plane_count ? &buf->datas[p] : &buf->datas[0];
        if (d->data == NULL || d->chunk == NULL) return false;
        uint64_t offset = d->chunk->offset % (d->maxsize ? d->maxsize : 1), available = d->chunk->size;
        if (offset + available > d->maxsize) return false;
        uint32_t stride = d->chunk->stride > 0 ? (uint32_t)d->chunk->stride : l->strides[p];
        uint64_t start = 0;
        if (buf->n_datas < l->plane_count) {
            uint32_t stride0 = buf->datas[0].chunk->stride > 0 ? (uint32_t)buf->datas[0].chunk->stride : l->strides[0];
            plane_geometry(l, stride0, p, &start, &stride);
        }
        if (stride < l->row_bytes[p] || start + (uint64_t)stride * (l->rows[p] - 1) + l->row_bytes[p] > available) return false;
        const uint8_t *from = (const uint8_t *)d->data + offset + start;
        for (uint32_t r = 0; r < l->rows[p]; r++) memcpy(to + l->offsets[p] + (size_t)r * l->strides[p], from + (size_t)r * stride, l->row_bytes[p]);
    }
    return true;
}

static void on_process(void *data)
{
    capture *c = data;
    struct pw_buffer *b = pw_stream_dequeue_buffer(c->stream);
    if (b == NULL) return;
    if (c->producer != NULL) {
        vidbus_loan loan;
        if (vidbus_producer_loan(c->producer, &loan) == VIDBUS_OK && loan.data != NULL) {
            if (copy_frame(c, b->buffer, loan.data)) {
                vidbus_publish_info info = {0};
                vidbus_producer_publish(c->producer, &loan, &info, NULL);
            } else {
                /* A buffer smaller than its format says: not published, counted. */
                vidbus_producer_discard(c->producer, &loan);
                c->rejected++;
            }
        }
    }
    pw_stream_queue_buffer(c->stream, b);
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
    capture *c = data;
    if (id != SPA_PARAM_Format || param == NULL) return;
    struct spa_video_info_raw info;
    uint32_t media_type, media_subtype;
    if (spa_format_parse(param, &media_type, &media_subtype) < 0 || media_type != SPA_MEDIA_TYPE_video || media_subtype != SPA_MEDIA_SUBTYPE_raw ||
        spa_format_video_raw_parse(param, &info) < 0) {
        return;
    }
    vidbus_format format = vidbus_format_of(info.format);
    if (format == VIDBUS_FORMAT_UNKNOWN) return;
    uint32_t fps_num = info.framerate.num != 0 ? info.framerate.num : info.max_framerate.num;
    uint32_t fps_den = info.framerate.num != 0 ? info.framerate.denom : info.max_framerate.denom;
    if (fps_num == 0 || fps_den == 0) fps_num = 30, fps_den = 1;
    if (c->producer == NULL || c->layout.format != format || c->layout.width != info.size.width || c->layout.height != info.size.height) {
        close_producer(c);
        vidbus_producer_options o;
        vidbus_producer_options_init(&o);
        o.width = info.size.width;
        o.height = info.size.height;
        o.format = format;
        o.fps_num = fps_num;
        o.fps_den = fps_den;
        if (c->slots != 0) o.slots = c->slots;
        int status = vidbus_producer_create(c->stream_name, &o, &c->producer);
        if (status != VIDBUS_OK) {
            c->exit_code = report_error(vidbus_error_code(status), "%s", vidbus_last_error());
            pw_main_loop_quit(c->s.loop);
            return;
        }
        c->layout = *vidbus_producer_layout(c->producer);
    }
    report("format", "\"format\":%s,\"width\":%u,\"height\":%u,\"fpsNum\":%u,\"fpsDen\":%u,\"node\":%u", json_str(0, vidbus_format_name(format)), info.size.width, info.size.height, fps_num, fps_den,
           c->node_id);
    uint8_t storage[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(storage, sizeof(storage));
    const struct spa_pod *params[2];
    params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers, SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(4, 2, 16),
                                           SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr)));
    params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header), SPA_PARAM_META_size,
                                           SPA_POD_Int(sizeof(struct spa_meta_header)));
    pw_stream_update_params(c->stream, params, 2);
}

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state, const char *error)
{
    (void)old;
    (void)data;
    if (state == PW_STREAM_STATE_ERROR) report("warning", "\"message\":%s", json_str(0, error ? error : "stream error"));
    if (state == PW_STREAM_STATE_STREAMING) report("streaming", NULL);
}

static const struct pw_stream_events STREAM_EVENTS = {
    .version = PW_VERSION_STREAM_EVENTS,
    .state_changed = on_state_changed,
    .param_changed = on_param_changed,
    .process = on_process,
};

static void connect_stream(capture *c)
{
    char node_name[128];
    snprintf(node_name, sizeof(node_name), "vidbus-capture-%s", c->stream_name);
    struct pw_properties *props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture", PW_KEY_MEDIA_ROLE, "Camera", PW_KEY_NODE_NAME, node_name, NULL);
    /* The serial is never reused while PipeWire runs; an id can be. */
    if (c->node_serial[0] != '\0') pw_properties_set(props, PW_KEY_TARGET_OBJECT, c->node_serial);
    else pw_properties_setf(props, PW_KEY_TARGET_OBJECT, "%u", c->node_id);
    c->stream = pw_stream_new(c->s.core, node_name, props);
    pw_stream_add_listener(c->stream, &c->stream_listener, &STREAM_EVENTS, c);
    uint32_t formats[16];
    int n = spa_formats(formats, 16);
    uint8_t storage[2048];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(storage, sizeof(storage));
    struct spa_pod_frame f, choice;
    spa_pod_builder_push_object(&b, &f, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat);
    spa_pod_builder_add(&b, SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video), SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw), 0);
    spa_pod_builder_prop(&b, SPA_FORMAT_VIDEO_format, 0);
    spa_pod_builder_push_choice(&b, &choice, SPA_CHOICE_Enum, 0);
    spa_pod_builder_id(&b, formats[0]); /* an Enum choice starts with its default */
    for (int i = 0; i < n; i++) spa_pod_builder_id(&b, formats[i]);
    spa_pod_builder_pop(&b, &choice);
    spa_pod_builder_add(&b, SPA_FORMAT_VIDEO_size, SPA_POD_CHOICE_RANGE_Rectangle(&SPA_RECTANGLE(1280, 720), &SPA_RECTANGLE(2, 2), &SPA_RECTANGLE(16384, 16384)), SPA_FORMAT_VIDEO_framerate,
                        SPA_POD_CHOICE_RANGE_Fraction(&SPA_FRACTION(30, 1), &SPA_FRACTION(0, 1), &SPA_FRACTION(1000, 1)), 0);
    const struct spa_pod *params[1] = {spa_pod_builder_pop(&b, &f)};
    int rc = pw_stream_connect(c->stream, PW_DIRECTION_INPUT, PW_ID_ANY, PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_DONT_RECONNECT, params, 1);
    if (rc < 0) {
        c->exit_code = report_error("ERR_PIPEWIRE_UNAVAILABLE", "Could not connect to node %u: %s", c->node_id, spa_strerror(rc));
        pw_main_loop_quit(c->s.loop);
    }
}

static void disconnect_stream(capture *c)
{
    if (c->stream == NULL) return;
    spa_hook_remove(&c->stream_listener);
    pw_stream_destroy(c->stream);
    c->stream = NULL;
}

static void on_node_added(void *data, const node_info *n)
{
    capture *c = data;
    if (c->node_id != SPA_ID_INVALID || !node_matches(n, c->target)) return;
    /* Never capture our own camera node by accident of a shared name: a camera node is an output, ours is an input. */
    c->node_id = n->id;
    snprintf(c->node_serial, sizeof(c->node_serial), "%s", n->serial);
    report("node", "\"id\":%u,\"name\":%s,\"description\":%s", n->id, json_str(0, n->name), json_str(1, n->description));
    connect_stream(c);
}

static void on_node_removed(void *data, uint32_t id)
{
    capture *c = data;
    if (id != c->node_id) return;
    c->node_id = SPA_ID_INVALID;
    disconnect_stream(c);
    if (!c->follow) {
        c->exit_code = report_error("ERR_DEVICE_GONE", "PipeWire node \"%s\" went away; the stream ended. Use --follow to wait for it to come back.", c->target);
        pw_main_loop_quit(c->s.loop);
        return;
    }
    /* Consumers keep their stream (no frames) until the node returns. */
    report("gone", "\"target\":%s", json_str(0, c->target));
}

static int usage(void)
{
    return report_error("ERR_INVALID_OPTION", "usage: vidbus-pipewire capture --target <node id, serial, name or description> --stream <bus stream> [--follow] [--slots N] [--remote-fd N]");
}

int run_capture(int argc, char **argv)
{
    static capture c;
    memset(&c, 0, sizeof(c));
    c.node_id = SPA_ID_INVALID;
    static const struct option OPTIONS[] = {
        {"target", required_argument, 0, 't'}, {"stream", required_argument, 0, 's'}, {"follow", no_argument, 0, 'f'}, {"slots", required_argument, 0, 'n'},
        {"remote-fd", required_argument, 0, 'r'}, {0, 0, 0, 0}};
    int remote_fd = -1;
    for (int o; (o = getopt_long(argc, argv, "", OPTIONS, NULL)) != -1;) {
        if (o == 't') c.target = optarg;
        else if (o == 's') c.stream_name = optarg;
        else if (o == 'f') c.follow = true;
        else if (o == 'n') c.slots = (uint32_t)strtoul(optarg, NULL, 10);
        else if (o == 'r') remote_fd = atoi(optarg);
        else return usage();
    }
    if (c.target == NULL || c.stream_name == NULL) return usage();
    if (!session_open_fd(&c.s, "vidbus capture", remote_fd)) return 1;
    c.watch = (node_watch){.added = on_node_added, .removed = on_node_removed, .data = &c};
    node_watch_start(&c.watch, &c.s);
    session_roundtrip(&c.s);
    if (!c.s.failed && c.exit_code == 0) {
        if (c.node_id == SPA_ID_INVALID && !c.follow) {
            c.exit_code = report_error("ERR_DEVICE_NOT_FOUND", "PipeWire has no video node \"%s\". `vidbus devices` lists them (id, serial, name or description all work); --follow waits for it.", c.target);
        } else {
            if (c.node_id == SPA_ID_INVALID) report("waiting", "\"target\":%s", json_str(0, c.target));
            struct timespec second = {1, 0};
            c.stats_timer = pw_loop_add_timer(pw_main_loop_get_loop(c.s.loop), on_stats_timer, &c);
            pw_loop_update_timer(pw_main_loop_get_loop(c.s.loop), c.stats_timer, &second, &second, false);
            pw_main_loop_run(c.s.loop);
        }
    }
    disconnect_stream(&c);
    node_watch_stop(&c.watch);
    report_stats(&c);
    close_producer(&c);
    session_close(&c.s);
    return c.s.failed ? 1 : c.exit_code;
}
