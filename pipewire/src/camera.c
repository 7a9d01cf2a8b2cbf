/* `camera`: a bus stream shown as a PipeWire camera node that browsers
 * can list through the desktop portal. What makes a node a camera to
 * them: media.class Video/Source, media.role Camera, a node.description,
 * and formats with a fixed size (one EnumFormat each). This stream offers
 * exactly the bus stream's format, size and rate: the Node side
 * (src/daemon/vcam-service.ts) already fits every producer's frames to
 * that, so the node never renegotiates while producers come and go.
 *
 * Threads: a waiter thread blocks in vidbus_consumer_wait() and leaves the
 * newest frame in a mailbox (an older one not yet taken is released: a
 * camera shows the latest), then signals the main loop, which (as the
 * graph's driver) triggers a cycle whose process callback hands the frame
 * to PipeWire.
 *
 * Zero copy: the bridge allocates the PipeWire buffers itself, one per bus
 * slot, each pointing at its slot in the stream's data segment (a MemFd at
 * the slot's offset, read-only). A frame in slot k goes out as buffer k,
 * and its bus hold is kept until PipeWire gives buffer k back, so the
 * producer never writes a slot a reader still has. If the segment cannot
 * be mapped that way, PipeWire allocates and each frame is copied once. */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/param/buffers.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>
#include <spa/buffer/meta.h>

#include "helper.h"
#include "slots.h"

/* One PipeWire buffer that is one bus slot (zero copy): buffers[k] is slot k. */
typedef struct {
    struct pw_buffer *pw;
    bool ours;                     /* dequeued: we may queue it */
    bool holding;                  /* `frame` is held until PipeWire gives the buffer back */
    vidbus_frame frame;
} slot_buffer;

typedef struct {
    session s;
    slot_map slots;                /* mapped: zero copy */
    slot_buffer buffers[64];
    uint32_t buffer_count;
    struct pw_stream *stream;
    struct spa_hook stream_listener;
    struct spa_source *wake;
    vidbus_consumer *consumer;
    vidbus_layout layout;
    uint32_t fps_num, fps_den;
    pthread_t waiter;
    pthread_mutex_t lock;
    vidbus_frame pending;          /* the mailbox: valid when has_pending */
    bool has_pending;
    volatile int stopping;
    int wait_status;               /* why the waiter stopped (0 while it runs), under lock */
    bool announced;
    uint64_t shown, skipped, no_buffer;
    int exit_code;
} camera;

static void *wait_for_frames(void *data)
{
    camera *c = data;
    while (!__atomic_load_n(&c->stopping, __ATOMIC_ACQUIRE)) {
        vidbus_frame f;
        int status = vidbus_consumer_wait(c->consumer, 500, &f);
        if (status == VIDBUS_NO_FRAME || status == VIDBUS_ERR_ABORTED) continue; /* aborted: we are stopping */
        pthread_mutex_lock(&c->lock);
        if (status != VIDBUS_OK) {
            c->wait_status = status;
            pthread_mutex_unlock(&c->lock);
            pw_loop_signal_event(pw_main_loop_get_loop(c->s.loop), c->wake);
            break;
        }
        if (c->has_pending) {
            vidbus_frame_release(c->consumer, &c->pending);
            c->skipped++;
        }
        c->pending = f;
        c->has_pending = true;
        pthread_mutex_unlock(&c->lock);
        pw_loop_signal_event(pw_main_loop_get_loop(c->s.loop), c->wake);
    }
    return NULL;
}

/* Main loop: a frame is waiting, or the waiter stopped. */
static void on_wake(void *data, uint64_t count)
{
    (void)count;
    camera *c = data;
    pthread_mutex_lock(&c->lock);
    int status = c->wait_status;
    pthread_mutex_unlock(&c->lock);
    if (status != 0) {
        /* The Node side closes its stream when the camera closes: a clean end, not an error. */
        if (status != VIDBUS_ERR_STREAM_ENDED) {
            c->exit_code = report_error(vidbus_error_code(status), "The camera's bus stream stopped: %s", vidbus_last_error());
        }
        pw_main_loop_quit(c->s.loop);
        return;
    }
    if (pw_stream_is_driving(c->stream)) pw_stream_trigger_process(c->stream);
}

static void set_header(struct spa_buffer *buf, const vidbus_frame *f)
{
    struct spa_meta_header *h = spa_buffer_find_meta_data(buf, SPA_META_Header, sizeof(*h));
    if (h != NULL) {
        /* Capture time on CLOCK_MONOTONIC, as the bus carries it: a reader can time the hop. */
        h->pts = f->timestamp_ns;
        h->flags = 0;
        h->seq = f->seq;
        h->dts_offset = 0;
    }
}

/* Zero copy: take back every buffer PipeWire returned (their frames go back to the producer), then send the one that is this frame's slot. */
static void send_slot(camera *c, vidbus_frame *f)
{
    for (struct pw_buffer *b; (b = pw_stream_dequeue_buffer(c->stream)) != NULL;) {
        slot_buffer *sb = b->user_data;
        if (sb == NULL) continue;
        sb->ours = true;
        if (sb->holding) vidbus_frame_release(c->consumer, &sb->frame);
        sb->holding = false;
    }
    int slot = slot_map_find(&c->slots, f->seq);
    slot_buffer *sb = slot >= 0 && (uint32_t)slot < c->buffer_count && c->buffers[slot].ours ? &c->buffers[slot] : NULL;
    if (sb == NULL) {
        /* Its buffer is still with a reader (it cannot be: we hold that slot's last frame), or PipeWire made fewer buffers than slots. */
        c->no_buffer++;
        vidbus_frame_release(c->consumer, f);
        return;
    }
    struct spa_data *d = &sb->pw->buffer->datas[0];
    d->chunk->offset = 0;
    d->chunk->size = f->size;
    d->chunk->stride = (int32_t)c->layout.strides[0];
    d->chunk->flags = 0;
    set_header(sb->pw->buffer, f);
    sb->frame = *f;
    sb->holding = true;
    sb->ours = false;
    pw_stream_queue_buffer(c->stream, sb->pw);
    c->shown++;
}

static void on_process(void *data)
{
    camera *c = data;
    pthread_mutex_lock(&c->lock);
    vidbus_frame f = c->pending;
    bool have = c->has_pending;
    c->has_pending = false;
    pthread_mutex_unlock(&c->lock);
    if (!have) return;
    if (c->slots.base != NULL) {
        send_slot(c, &f);
        return;
    }
    struct pw_buffer *b = pw_stream_dequeue_buffer(c->stream);
    if (b == NULL) {
        /* Every buffer is with the readers: this frame is skipped, as a camera would. */
        c->no_buffer++;
        vidbus_frame_release(c->consumer, &f);
        return;
    }
    struct spa_buffer *buf = b->buffer;
    struct spa_data *d = &buf->datas[0];
    uint32_t bytes = f.size < d->maxsize ? f.size : d->maxsize;
    if (d->data != NULL) memcpy(d->data, f.data, bytes);
    d->chunk->offset = 0;
    d->chunk->size = bytes;
    d->chunk->stride = (int32_t)c->layout.strides[0];
    d->chunk->flags = 0;
    set_header(buf, &f);
    vidbus_frame_release(c->consumer, &f);
    pw_stream_queue_buffer(c->stream, b);
    c->shown++;
}

/* Zero copy: PipeWire asks us for buffer memory; buffer i is slot i. */
static void on_add_buffer(void *data, struct pw_buffer *b)
{
    camera *c = data;
    if (c->slots.base == NULL || c->buffer_count >= c->slots.slot_count) return;
    int slot = (int)c->buffer_count++;
    slot_buffer *sb = &c->buffers[slot];
    *sb = (slot_buffer){.pw = b, .ours = true};
    struct spa_data *d = &b->buffer->datas[0];
    d->type = SPA_DATA_MemFd;
    d->flags = SPA_DATA_FLAG_READABLE;
    d->fd = c->slots.fd;
    d->mapoffset = (uint32_t)slot_map_offset(&c->slots, slot);
    d->maxsize = c->layout.frame_bytes;
    d->data = c->slots.base + d->mapoffset;
    b->user_data = sb;
}

static void on_remove_buffer(void *data, struct pw_buffer *b)
{
    camera *c = data;
    slot_buffer *sb = b->user_data;
    if (sb == NULL) return;
    if (sb->holding) vidbus_frame_release(c->consumer, &sb->frame);
    sb->holding = false;
    sb->ours = false;
    sb->pw = NULL;
    b->user_data = NULL;
    /* PipeWire removes all buffers together (renegotiation, stop): start counting again. */
    bool any = false;
    for (uint32_t i = 0; i < c->buffer_count; i++) any = any || c->buffers[i].pw != NULL;
    if (!any) c->buffer_count = 0;
}

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state, const char *error)
{
    (void)old;
    camera *c = data;
    if (state == PW_STREAM_STATE_ERROR) {
        c->exit_code = report_error("ERR_PIPEWIRE_UNAVAILABLE", "PipeWire rejected the camera node: %s", error ? error : "unknown error");
        pw_main_loop_quit(c->s.loop);
        return;
    }
    uint32_t node = pw_stream_get_node_id(c->stream);
    if (!c->announced && (state == PW_STREAM_STATE_PAUSED || state == PW_STREAM_STATE_STREAMING) && node != SPA_ID_INVALID) {
        c->announced = true;
        report("ready", "\"node\":%u", node);
    }
    if (state == PW_STREAM_STATE_STREAMING) report("streaming", NULL);
    if (state == PW_STREAM_STATE_PAUSED && old == PW_STREAM_STATE_STREAMING) report("paused", NULL);
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
    camera *c = data;
    if (id != SPA_PARAM_Format || param == NULL) return;
    /* The format is ours (we offered one): now say how big the buffers are, and ask for the header meta. */
    uint8_t storage[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(storage, sizeof(storage));
    const struct spa_pod *params[2];
    /* Zero copy: exactly one buffer per slot, each a MemFd slice of the stream's file; else 2 to 8 that PipeWire allocates. */
    bool zero_copy = c->slots.base != NULL;
    int32_t count = zero_copy ? (int32_t)c->slots.slot_count : 4, least = zero_copy ? count : 2, most = zero_copy ? count : 8;
    int32_t types = zero_copy ? 1 << SPA_DATA_MemFd : (1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr);
    params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers, SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(count, least, most),
                                           SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1), SPA_PARAM_BUFFERS_size, SPA_POD_Int((int32_t)c->layout.frame_bytes),
                                           SPA_PARAM_BUFFERS_stride, SPA_POD_Int((int32_t)c->layout.strides[0]), SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(types));
    params[1] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
                                           SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
                                           SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
    pw_stream_update_params(c->stream, params, 2);
}

static const struct pw_stream_events STREAM_EVENTS = {
    .version = PW_VERSION_STREAM_EVENTS,
    .state_changed = on_state_changed,
    .param_changed = on_param_changed,
    .add_buffer = on_add_buffer,
    .remove_buffer = on_remove_buffer,
    .process = on_process,
};

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b != 0) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int usage(void)
{
    return report_error("ERR_INVALID_OPTION", "usage: vidbus-pipewire camera --stream <bus stream> --name <node name> [--description <what apps show>] [--copy]");
}

int run_camera(int argc, char **argv)
{
    const char *stream_name = NULL, *node_name = NULL, *description = NULL;
    bool no_zero_copy = false;
    static const struct option OPTIONS[] = {
        {"stream", required_argument, 0, 's'}, {"name", required_argument, 0, 'n'}, {"description", required_argument, 0, 'd'}, {"copy", no_argument, 0, 'c'}, {0, 0, 0, 0}};
    for (int o; (o = getopt_long(argc, argv, "", OPTIONS, NULL)) != -1;) {
        if (o == 's') stream_name = optarg;
        else if (o == 'n') node_name = optarg;
        else if (o == 'd') description = optarg;
        else if (o == 'c') no_zero_copy = true;
        else return usage();
    }
    if (stream_name == NULL || node_name == NULL) return usage();
    if (description == NULL) description = node_name;

    static camera c;
    memset(&c, 0, sizeof(c));
    c.slots.fd = -1;
    pthread_mutex_init(&c.lock, NULL);
    vidbus_consumer_options co;
    vidbus_consumer_options_init(&co);
    co.policy = VIDBUS_POLICY_LATEST;
    co.liveness_interval_ms = 50;
    int status = vidbus_consumer_open(stream_name, &co, &c.consumer);
    if (status != VIDBUS_OK) return report_error(vidbus_error_code(status), "%s", vidbus_last_error());
    c.layout = *vidbus_consumer_layout(c.consumer);
    vidbus_consumer_fps(c.consumer, &c.fps_num, &c.fps_den);
    uint32_t common = gcd(c.fps_num, c.fps_den); /* 30000/1000 -> 30/1: what readers expect to see */
    if (common > 1) c.fps_num /= common, c.fps_den /= common;
    enum spa_video_format format = spa_format_of(c.layout.format);
    if (format == SPA_VIDEO_FORMAT_UNKNOWN) {
        vidbus_consumer_close(c.consumer);
        return report_error("ERR_FORMAT_UNSUPPORTED", "A PipeWire camera carries raw video; stream \"%s\" is %s", stream_name, vidbus_format_name(c.layout.format));
    }
    if (!session_open(&c.s, "vidbus camera")) {
        vidbus_consumer_close(c.consumer);
        return 1;
    }
    struct pw_properties *props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture", PW_KEY_MEDIA_ROLE, "Camera", PW_KEY_MEDIA_CLASS, "Video/Source",
                                                    PW_KEY_NODE_NAME, node_name, PW_KEY_NODE_DESCRIPTION, description, PW_KEY_NODE_NICK, description, NULL);
    pw_properties_setf(props, PW_KEY_NODE_LATENCY, "1/%u", c.fps_den != 0 ? (c.fps_num + c.fps_den - 1) / c.fps_den : 30);
    c.stream = pw_stream_new(c.s.core, node_name, props);
    pw_stream_add_listener(c.stream, &c.stream_listener, &STREAM_EVENTS, &c);
    c.wake = pw_loop_add_event(pw_main_loop_get_loop(c.s.loop), on_wake, &c);

    uint8_t storage[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(storage, sizeof(storage));
    struct spa_video_info_raw info = {
        .format = format,
        .size = SPA_RECTANGLE(c.layout.width, c.layout.height),
        .framerate = SPA_FRACTION(c.fps_num, c.fps_den),
    };
    const struct spa_pod *params[1] = {spa_format_video_raw_build(&b, SPA_PARAM_EnumFormat, &info)};
    /* Zero copy needs the slots mapped and laid out as the frames (4096-aligned, each holding a whole frame). */
    bool zero_copy = !no_zero_copy && slot_map_open(&c.slots, stream_name, c.layout.frame_bytes);
    int rc = pw_stream_connect(c.stream, PW_DIRECTION_OUTPUT, PW_ID_ANY, PW_STREAM_FLAG_DRIVER | (zero_copy ? PW_STREAM_FLAG_ALLOC_BUFFERS : PW_STREAM_FLAG_MAP_BUFFERS), params, 1);
    if (rc < 0) {
        c.exit_code = report_error("ERR_PIPEWIRE_UNAVAILABLE", "Could not connect the camera stream: %s", spa_strerror(rc));
    } else {
        report("buffers", "\"zeroCopy\":%s", zero_copy ? "true" : "false");
        pthread_create(&c.waiter, NULL, wait_for_frames, &c);
        pw_main_loop_run(c.s.loop);
        __atomic_store_n(&c.stopping, 1, __ATOMIC_RELEASE);
        vidbus_consumer_interrupt(c.consumer);
        pthread_join(c.waiter, NULL);
    }
    if (c.has_pending) vidbus_frame_release(c.consumer, &c.pending);
    c.has_pending = false;
    pw_stream_destroy(c.stream); /* gives back every buffer (remove_buffer releases their frames) */
    c.stream = NULL;
    for (size_t i = 0; i < sizeof(c.buffers) / sizeof(c.buffers[0]); i++) {
        if (c.buffers[i].holding) vidbus_frame_release(c.consumer, &c.buffers[i].frame);
        c.buffers[i].holding = false;
    }
    if (c.wait_status != VIDBUS_ERR_PRODUCER_DIED && c.wait_status != VIDBUS_ERR_STREAM_ENDED) {
        /* Stopped by a signal. If the vidbus process that fed us was killed (kill -9: its
         * death signal is what stopped us), prove its producer dead and remove the stream,
         * as the last consumer, so nothing is left in /dev/shm. A live producer that closes
         * its stream ends this at once; one that lives on costs half a second. */
        for (int i = 0; i < 5; i++) {
            vidbus_frame f;
            int st = vidbus_consumer_wait(c.consumer, 100, &f);
            if (st == VIDBUS_OK) vidbus_frame_release(c.consumer, &f);
            else if (st != VIDBUS_NO_FRAME && st != VIDBUS_ERR_ABORTED) break; /* ABORTED: an interrupt left over from the stop */
        }
    }
    report("stopped", "\"shown\":%llu,\"skipped\":%llu,\"noBuffer\":%llu", (unsigned long long)c.shown, (unsigned long long)c.skipped, (unsigned long long)c.no_buffer);
    session_close(&c.s);
    slot_map_close(&c.slots);
    vidbus_consumer_close(c.consumer);
    pthread_mutex_destroy(&c.lock);
    return c.exit_code;
}
