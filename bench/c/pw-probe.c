/* bench:pipewire's consumer: connects to a PipeWire video node, and for
 * each buffer reads the CLOCK_MONOTONIC nanoseconds the bench's producer
 * wrote into the frame's first 8 bytes (passed through untouched: the same
 * format and size on every hop), and prints one latency in microseconds
 * per line. After --count frames it exits.
 *   pw-probe <node name> <count> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>

#include "mono-clock.h"

static struct pw_main_loop *loop;
static struct pw_stream *stream;
static long remaining;
static int64_t last_sent;

static void on_process(void *data)
{
    (void)data;
    struct pw_buffer *b = pw_stream_dequeue_buffer(stream);
    if (b == NULL) return;
    int64_t now = now_ns();
    struct spa_data *d = &b->buffer->datas[0];
    if (d->data != NULL && d->chunk->size >= 8 && d->chunk->offset + 8 <= d->maxsize && remaining > 0) {
        int64_t sent;
        memcpy(&sent, (const uint8_t *)d->data + d->chunk->offset, 8);
        /* A repeated picture (the camera keeping its rate) carries an old stamp: count each frame once. */
        if (sent > 0 && sent <= now && sent != last_sent) {
            last_sent = sent;
            printf("%.1f\n", (double)(now - sent) / 1000.0);
            fflush(stdout);
            if (--remaining == 0) pw_main_loop_quit(loop);
        }
    }
    pw_stream_queue_buffer(stream, b);
}

static const struct pw_stream_events EVENTS = {.version = PW_VERSION_STREAM_EVENTS, .process = on_process};

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pw-probe <node name> <count>\n");
        return 2;
    }
    remaining = strtol(argv[2], NULL, 10);
    pw_init(&argc, &argv);
    loop = pw_main_loop_new(NULL);
    stream = pw_stream_new_simple(pw_main_loop_get_loop(loop), "vidbus-bench-probe",
                                  pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture", PW_KEY_MEDIA_ROLE, "Camera", PW_KEY_TARGET_OBJECT, argv[1], NULL), &EVENTS, NULL);
    uint8_t storage[1024];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(storage, sizeof(storage));
    const struct spa_pod *params[1] = {spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat, SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
                                                                  SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw), SPA_FORMAT_VIDEO_format, SPA_POD_Id(SPA_VIDEO_FORMAT_YUY2))};
    if (pw_stream_connect(stream, PW_DIRECTION_INPUT, PW_ID_ANY, PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS, params, 1) < 0) return 1;
    pw_main_loop_run(loop);
    pw_stream_destroy(stream);
    pw_main_loop_destroy(loop);
    pw_deinit();
    return 0;
}
