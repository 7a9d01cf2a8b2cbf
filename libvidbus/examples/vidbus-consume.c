/* vidbus-consume: read a vidbus stream from C, in the style of a classic
 * shared-memory consumer: wait for each frame, write it out, report stats.
 *
 *   vidbus-consume <stream> [-o FILE] [-s] [-c COUNT] [-t TIMEOUT_MS] [-e] [-f] [-H N] [-j]
 *     -o FILE   write every frame as received (raw frames, or the encoded bitstream: an H.264 stream becomes an Annex B file)
 *     -s        statistics only (no output file; with -j, only the summary line)
 *     -c COUNT  stop after COUNT frames (exit 1 if the timeout or the end of the stream comes first)
 *     -t MS     give up waiting for a frame after MS milliseconds (default: wait forever)
 *     -e        policy every: every frame in order, counting the ones missed (implied by -o)
 *     -f        follow: outlive producers and wait for the next one
 *     -H N      keep the last N frames held (up to 7) instead of releasing each at once
 *     -j        one JSON line per frame on stdout (seq, size, FNV-1a checksum, timestamps as strings,
 *               metadata in hex), then a summary line
 * Exit status: 0 done, 1 fewer frames than -c, 2 usage, 3 stream error.
 */
#define _GNU_SOURCE /* getopt that takes options after the stream name */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vidbus.h"

static volatile sig_atomic_t stop;
static vidbus_consumer *consumer;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
    vidbus_consumer_interrupt(consumer); /* async-signal-safe: an atomic store and a futex wake */
}

static int usage(void)
{
    fprintf(stderr, "usage: vidbus-consume <stream> [-o FILE] [-s] [-c COUNT] [-t TIMEOUT_MS] [-e] [-f] [-H N] [-j]\n");
    return 2;
}

/* FNV-1a over the frame: lets tests compare content across languages cheaply. */
static uint32_t checksum(const uint8_t *data, uint32_t size)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
    return h;
}

int main(int argc, char **argv)
{
    const char *output = NULL;
    long count = -1, timeout_ms = -1;
    int stats_only = 0, every = 0, follow = 0, json = 0, keep = 0, opt;
    while ((opt = getopt(argc, argv, "o:sc:t:efjH:")) != -1) {
        switch (opt) {
        case 'o': output = optarg; every = 1; break;
        case 's': stats_only = 1; break;
        case 'c': count = strtol(optarg, NULL, 10); if (count <= 0) return usage(); break;
        case 't': timeout_ms = strtol(optarg, NULL, 10); if (timeout_ms < 0) return usage(); break;
        case 'e': every = 1; break;
        case 'f': follow = 1; break;
        case 'j': json = 1; break;
        case 'H': keep = atoi(optarg); if (keep < 0 || keep >= VIDBUS_MAX_HOLDS) return usage(); break;
        default: return usage();
        }
    }
    if (optind != argc - 1 || (output != NULL && stats_only)) return usage();
    const char *name = argv[optind];

    vidbus_consumer_options options;
    vidbus_consumer_options_init(&options);
    options.policy = every ? VIDBUS_POLICY_EVERY : VIDBUS_POLICY_LATEST;
    options.follow = follow;
    int status = vidbus_consumer_open(name, &options, &consumer);
    if (status != VIDBUS_OK) {
        fprintf(stderr, "vidbus-consume: %s (%s)\n", vidbus_last_error(), vidbus_error_code(status));
        return 3;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    FILE *out = NULL;
    if (output != NULL && (out = fopen(output, "wb")) == NULL) {
        perror(output);
        vidbus_consumer_close(consumer);
        return 3;
    }
    if (json) printf("{\"type\":\"ready\"}\n");
    fflush(stdout);

    long received = 0;
    int exit_code = 0;
    vidbus_frame kept[VIDBUS_MAX_HOLDS];
    int kept_count = 0;
    while (!stop && (count < 0 || received < count)) {
        vidbus_frame frame;
        status = vidbus_consumer_wait(consumer, (int)timeout_ms, &frame);
        if (status == VIDBUS_NO_FRAME || status == VIDBUS_ERR_ABORTED || status == VIDBUS_ERR_STREAM_ENDED || status == VIDBUS_ERR_PRODUCER_DIED) {
            if (status != VIDBUS_ERR_ABORTED && status != VIDBUS_NO_FRAME) fprintf(stderr, "vidbus-consume: %s\n", vidbus_last_error());
            break;
        }
        if (status != VIDBUS_OK) {
            fprintf(stderr, "vidbus-consume: %s (%s)\n", vidbus_last_error(), vidbus_error_code(status));
            exit_code = 3;
            break;
        }
        received++;
        if (out != NULL && fwrite(frame.data, 1, frame.size, out) != frame.size) {
            perror(output);
            exit_code = 3;
        }
        if (json && !stats_only) {
            printf("{\"type\":\"frame\",\"seq\":%llu,\"size\":%u,\"keyframe\":%s,\"format\":\"%s\",\"width\":%u,\"height\":%u,\"checksum\":%u,\"timestamp\":\"%lld\",\"wallClock\":\"%lld\",\"meta\":\"",
                   (unsigned long long)frame.seq, frame.size, frame.keyframe ? "true" : "false", vidbus_format_name(frame.layout.format), frame.layout.width, frame.layout.height,
                   checksum(frame.data, frame.size), (long long)frame.timestamp_ns, (long long)frame.wall_ns);
            for (uint32_t i = 0; i < frame.meta_bytes; i++) printf("%02x", frame.meta[i]);
            printf("\"}\n");
            fflush(stdout);
        }
        if (keep > 0) {
            if (kept_count == keep) {
                vidbus_frame_release(consumer, &kept[0]);
                memmove(kept, kept + 1, sizeof(kept[0]) * (size_t)(keep - 1));
                kept_count--;
            }
            kept[kept_count++] = frame;
        } else {
            vidbus_frame_release(consumer, &frame);
        }
        if (exit_code != 0) break;
    }
    for (int i = 0; i < kept_count; i++) vidbus_frame_release(consumer, &kept[i]);
    vidbus_consumer_stats s;
    vidbus_consumer_get_stats(consumer, &s);
    if (json) {
        printf("{\"type\":\"summary\",\"received\":%llu,\"missed\":%llu,\"expired\":%llu,\"p50Us\":%.1f,\"p99Us\":%.1f}\n", (unsigned long long)s.received, (unsigned long long)s.missed,
               (unsigned long long)s.expired, s.latency_p50_us, s.latency_p99_us);
    } else {
        fprintf(stderr, "vidbus-consume: %llu frames, %llu missed, %llu expired, latency p50 %.1f us p99 %.1f us max %.1f us\n", (unsigned long long)s.received,
                (unsigned long long)s.missed, (unsigned long long)s.expired, s.latency_p50_us, s.latency_p99_us, s.latency_max_us);
    }
    if (out != NULL) fclose(out);
    vidbus_consumer_close(consumer);
    if (exit_code == 0 && count > 0 && received < count) exit_code = 1;
    return exit_code;
}
