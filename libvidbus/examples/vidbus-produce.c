/* vidbus-produce: publish frames from C. A test pattern whose every byte
 * is predictable (tests compare it across languages), or stdin.
 *
 *   vidbus-produce <stream> [-s WxH] [-f FORMAT] [-r FPS] [-n COUNT] [-m] [-i] [-l SLOTS] [-T] [-w K] [-z] [-t]
 *     -s WxH     frame size (default 320x240)
 *     -f FORMAT  RGBA, NV12, I420, YUYV, ... or MJPEG/H264/HEVC with -i (default RGBA)
 *     -r FPS     frames per second (default 30; 0: as fast as possible)
 *     -n COUNT   stop after COUNT frames (default: until SIGINT/SIGTERM)
 *     -m         put 8 bytes of metadata (the sequence number) on every frame
 *     -i         raw formats: read whole frames from stdin; encoded: one frame per
 *                4-byte little-endian length + bytes record
 *     -l SLOTS   ring slots (default 4)
 *     -z         publish slots as they are, without filling them (benchmarks of the bus alone)
 *     -w K       wait (up to 10 s) until K consumers are attached before publishing
 *     -t         timings: the summary adds how long each publish took (from the loan
 *                to the publish's return, microseconds, "publishUs"; with -z the
 *                bus's own work, without drawing) and this
 *                process's CPU time over frames 11 to the last ("cpuMs",
 *                "cpuFrames"), for npm run bench (needs -n)
 *     -T         stamp frame n with capture time n ms + 42 ns (monotonic) and 10^18 + n ns
 *                (wall clock), so that tests can check timestamps travel intact
 * Frame n of the pattern has byte i = (n * 7 + i * 13) & 0xff. Prints one
 * JSON line {"type":"ready"} once the stream exists, and a summary at the end.
 */
#define _GNU_SOURCE /* getopt that takes options after the stream name */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vidbus.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: vidbus-produce <stream> [-s WxH] [-f FORMAT] [-r FPS] [-n COUNT] [-m] [-i] [-l SLOTS] [-T] [-w K] [-z] [-t]\n");
    return 2;
}

/* The first frames are start-up (first touches of code and memory): the
 * CPU column of -t starts after them, as npm run bench's consumers do. */
enum { TIMING_WARM_UP = 10 };

static double cpu_ms(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static int read_exactly(uint8_t *to, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread(to + got, 1, n - got, stdin);
        if (r == 0) return -1;
        got += r;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned width = 320, height = 240, slots = 4;
    double fps = 30;
    long count = -1;
    int meta = 0, from_stdin = 0, fixed_times = 0, wait_for = 0, no_fill = 0, timings = 0, opt;
    vidbus_format format = VIDBUS_FORMAT_RGBA;
    while ((opt = getopt(argc, argv, "s:f:r:n:mil:Tw:zt")) != -1) {
        switch (opt) {
        case 's': if (sscanf(optarg, "%ux%u", &width, &height) != 2) return usage(); break;
        case 'f': format = vidbus_format_from_name(optarg); if (format == VIDBUS_FORMAT_UNKNOWN) return usage(); break;
        case 'r': fps = atof(optarg); if (fps < 0) return usage(); break;
        case 'n': count = strtol(optarg, NULL, 10); break;
        case 'm': meta = 1; break;
        case 'i': from_stdin = 1; break;
        case 'l': slots = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'T': fixed_times = 1; break;
        case 'w': wait_for = atoi(optarg); break;
        case 'z': no_fill = 1; break;
        case 't': timings = 1; break;
        default: return usage();
        }
    }
    if (optind != argc - 1) return usage();
    if (vidbus_format_is_encoded(format) && !from_stdin) return usage();
    if (timings && (count <= TIMING_WARM_UP || count > 10000000)) return usage();
    vidbus_producer_options o;
    vidbus_producer_options_init(&o);
    o.width = width;
    o.height = height;
    o.format = format;
    o.slots = slots;
    o.fps_num = fps > 0 ? (uint32_t)(fps * 1000 + 0.5) : 0;
    o.fps_den = 1000;
    vidbus_producer *p;
    int status = vidbus_producer_create(argv[optind], &o, &p);
    if (status != VIDBUS_OK) {
        fprintf(stderr, "vidbus-produce: %s (%s)\n", vidbus_last_error(), vidbus_error_code(status));
        return 3;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("{\"type\":\"ready\",\"pid\":%d}\n", (int)getpid());
    fflush(stdout);
    for (int64_t give_up = vidbus_now_ns() + 10000000000LL; wait_for > 0 && !stop && vidbus_now_ns() < give_up;) {
        vidbus_producer_stats s;
        vidbus_producer_get_stats(p, &s);
        if ((int)s.consumers >= wait_for) break;
        nanosleep(&(struct timespec){0, 5000000L}, NULL);
    }
    const vidbus_layout *layout = vidbus_producer_layout(p);
    int64_t period = fps > 0 ? (int64_t)(1e9 / fps) : 0, next = vidbus_now_ns();
    long n = 0;
    int exit_code = 0;
    double *took_us = timings ? calloc((size_t)count, sizeof(double)) : NULL;
    double cpu_from = 0;
    if (timings && took_us == NULL) {
        fprintf(stderr, "vidbus-produce: out of memory\n");
        vidbus_producer_close(p);
        return 3;
    }
    for (; !stop && (count < 0 || n < count); n++) {
        if (timings && n == TIMING_WARM_UP) cpu_from = cpu_ms();
        int64_t loaned_at = vidbus_now_ns();
        vidbus_loan loan;
        vidbus_producer_loan(p, &loan);
        uint32_t size = layout->frame_bytes;
        if (from_stdin) {
            uint8_t scratch[4];
            if (vidbus_format_is_encoded(format)) {
                if (read_exactly(scratch, 4) != 0) break;
                size = (uint32_t)scratch[0] | (uint32_t)scratch[1] << 8 | (uint32_t)scratch[2] << 16 | (uint32_t)scratch[3] << 24;
                if (size > layout->frame_bytes) {
                    fprintf(stderr, "vidbus-produce: a %u-byte frame does not fit the %u-byte slots\n", size, layout->frame_bytes);
                    exit_code = 3;
                    break;
                }
            }
            uint8_t *to = loan.data;
            uint8_t *skip = NULL;
            if (to == NULL) to = skip = malloc(size ? size : 1); /* dropped: read it anyway */
            int eof = read_exactly(to, size);
            free(skip);
            if (eof != 0) {
                if (loan.data != NULL) vidbus_producer_discard(p, &loan);
                break;
            }
        } else if (loan.data != NULL && !no_fill) {
            for (uint32_t i = 0; i < size; i++) loan.data[i] = (uint8_t)((n * 7 + (long)i * 13) & 0xff);
        }
        if (loan.data != NULL) {
            uint64_t seq = (uint64_t)n + 1;
            vidbus_publish_info info = {.size = size, .keyframe = 1, .meta = meta ? &seq : NULL, .meta_bytes = meta ? 8 : 0};
            if (fixed_times) {
                info.timestamp_ns = n * 1000000LL + 42;
                info.wall_ns = 1000000000000000000LL + n;
            }
            if ((status = vidbus_producer_publish(p, &loan, &info, NULL)) != VIDBUS_OK) {
                fprintf(stderr, "vidbus-produce: %s\n", vidbus_last_error());
                exit_code = 3;
                break;
            }
            if (took_us != NULL) took_us[n] = (double)(vidbus_now_ns() - loaned_at) / 1e3;
        }
        if (period > 0) {
            next += period;
            int64_t wait = next - vidbus_now_ns();
            if (wait > 0) nanosleep(&(struct timespec){wait / 1000000000, wait % 1000000000}, NULL);
        }
    }
    vidbus_producer_stats s;
    vidbus_producer_get_stats(p, &s);
    printf("{\"type\":\"summary\",\"published\":%llu,\"dropped\":%llu", (unsigned long long)s.published, (unsigned long long)s.dropped);
    if (timings) {
        long counted = n > TIMING_WARM_UP ? n - TIMING_WARM_UP : 0;
        printf(",\"cpuMs\":%.3f,\"cpuFrames\":%ld,\"publishUs\":[", counted > 0 ? cpu_ms() - cpu_from : 0.0, counted);
        for (long i = 0; i < counted; i++) printf("%s%.2f", i ? "," : "", took_us[TIMING_WARM_UP + i]);
        printf("]");
    }
    printf("}\n");
    free(took_us);
    vidbus_producer_close(p);
    return exit_code;
}
