/* The GStreamer and PipeWire peers of `npm run bench`: runs a pipeline
 * that has an element named "probe" and watches the buffers that reach
 * that element's sink pad.
 *
 *   gst-probe stamp COUNT 'PIPELINE'    writes CLOCK_MONOTONIC ns into each
 *       buffer's first 8 bytes as it reaches the sink (its "publish"), and
 *       runs until EOS (the source's num-buffers) or COUNT buffers.
 *   gst-probe measure COUNT 'PIPELINE'  for each buffer that reaches the
 *       probe, the latency now - stamp in microseconds; after COUNT buffers
 *       (or SIGTERM, or 3 s without one after the first) prints one JSON
 *       line: {"received","seconds","cpuMs","latencies":[...]}, the CPU
 *       being this process's user + system time from the first buffer on.
 *   The stamping side prints {"stamped","seconds","cpuMs"} the same way
 *   when it ends, so a benchmark can charge both processes per frame
 *   without counting GStreamer's start-up (plugin loading, negotiation).
 *
 * The producer's sink (shmsink, pipewiresink) offers its own memory to
 * the upstream source, so frames are drawn in place and the stamp is the
 * moment the frame is handed to the transport, as vidbus's publish is. */
#include <glib-unix.h>
#include <gst/gst.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mono-clock.h"

static GMainLoop *loop;
static long target;
static long seen;
static double *latencies;
static int64_t first_ns, last_ns;
static double cpu_start_ms;
/* The CPU column counts buffers after the first WARM_UP (first touches,
 * allocation and caches warming are start-up, not per-frame cost), as the
 * Node consumers of npm run bench do; cpuFrames says how many it covers. */
enum { WARM_UP = 10 };
static long cpu_from;
static bool measuring;

static double cpu_ms(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    (void)data;
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    int64_t now = now_ns();
    if (seen >= target) return GST_PAD_PROBE_OK;
    GstMapInfo map;
    if (seen == 0) first_ns = now;
    if (seen == cpu_from) cpu_start_ms = cpu_ms();
    if (!measuring) {
        last_ns = now;
        if (gst_buffer_is_writable(buffer) && gst_buffer_map(buffer, &map, GST_MAP_WRITE)) {
            if (map.size >= 8) memcpy(map.data, &now, 8);
            gst_buffer_unmap(buffer, &map);
        }
        if (++seen == target) g_main_loop_quit(loop);
        return GST_PAD_PROBE_OK;
    }
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_PAD_PROBE_OK;
    int64_t sent = 0;
    if (map.size >= 8) memcpy(&sent, map.data, 8);
    gst_buffer_unmap(buffer, &map);
    if (sent <= 0 || sent > now) return GST_PAD_PROBE_OK;
    last_ns = now;
    latencies[seen++] = (double)(now - sent) / 1000.0;
    if (seen == target) g_main_loop_quit(loop);
    return GST_PAD_PROBE_OK;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
    (void)bus;
    (void)data;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) g_main_loop_quit(loop);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *err = NULL;
        gst_message_parse_error(msg, &err, NULL);
        /* A producer whose client went away at the end is not a failure of the measurement. */
        fprintf(stderr, "gst-probe: %s\n", err ? err->message : "error");
        g_clear_error(&err);
        g_main_loop_quit(loop);
    }
    return TRUE;
}

static gboolean on_quiet(gpointer data)
{
    (void)data;
    static long before = -1;
    if (measuring && seen > 0 && seen == before) g_main_loop_quit(loop);
    before = seen;
    return TRUE;
}

static gboolean on_signal(gpointer data)
{
    (void)data;
    g_main_loop_quit(loop);
    return FALSE;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "stamp") != 0 && strcmp(argv[1], "measure") != 0)) {
        fprintf(stderr, "usage: gst-probe stamp|measure COUNT 'PIPELINE with an element named probe'\n");
        return 2;
    }
    gst_init(NULL, NULL);
    measuring = strcmp(argv[1], "measure") == 0;
    target = atol(argv[2]);
    cpu_from = target > 2 * WARM_UP ? WARM_UP : 0;
    if (target <= 0 || target > 10000000) return 2;
    latencies = calloc((size_t)target, sizeof(double));
    GError *err = NULL;
    GstElement *pipeline = gst_parse_launch(argv[3], &err);
    if (pipeline == NULL || err != NULL) {
        fprintf(stderr, "gst-probe: %s\n", err ? err->message : "bad pipeline");
        return 1;
    }
    GstElement *probe = gst_bin_get_by_name(GST_BIN(pipeline), "probe");
    if (probe == NULL) {
        fprintf(stderr, "gst-probe: no element named probe\n");
        return 1;
    }
    GstPad *pad = gst_element_get_static_pad(probe, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, NULL, NULL);
    loop = g_main_loop_new(NULL, FALSE);
    GstBus *bus = gst_element_get_bus(pipeline);
    gst_bus_add_watch(bus, on_bus, NULL);
    g_unix_signal_add(SIGTERM, on_signal, NULL);
    g_unix_signal_add(SIGINT, on_signal, NULL);
    if (measuring) g_timeout_add(3000, on_quiet, NULL);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    g_main_loop_run(loop);
    double cpu = cpu_ms() - cpu_start_ms;
    long cpu_frames = seen > cpu_from ? seen - cpu_from : 0;
    gst_element_set_state(pipeline, GST_STATE_NULL);
    if (measuring) {
        printf("{\"received\":%ld,\"seconds\":%.6f,\"cpuMs\":%.3f,\"cpuFrames\":%ld,\"latencies\":[", seen, (double)(last_ns - first_ns) / 1e9,
               cpu_frames ? cpu : 0.0, cpu_frames);
        for (long i = 0; i < seen; i++) printf("%s%.3f", i ? "," : "", latencies[i]);
        printf("]}\n");
    } else {
        printf("{\"stamped\":%ld,\"seconds\":%.6f,\"cpuMs\":%.3f,\"cpuFrames\":%ld}\n", seen, (double)(last_ns - first_ns) / 1e9, cpu_frames ? cpu : 0.0,
               cpu_frames);
    }
    gst_object_unref(pad);
    gst_object_unref(probe);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
    free(latencies);
    return 0;
}
