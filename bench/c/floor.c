/* The floor: a minimal C shared-memory ring with a futex wake-up between
 * processes, measured the same way as vidbus in bench/run.ts.
 *   floor WIDTH HEIGHT FRAMES PERIOD_US CONSUMERS
 * Prints one JSON line: delivered fps per consumer, publish->wake latency
 * (p50/p99/max, µs) over all consumers, CPU ms per frame (all processes). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mono-clock.h"

#define SLOTS 4
#define MAX_CONSUMERS 16
#define MAX_SAMPLES 200000

typedef struct {
    _Atomic uint32_t seq;     /* futex word: last published frame */
    _Atomic uint32_t waiters; /* consumers asleep on seq */
    _Atomic uint32_t done;
    uint32_t pad;
    _Atomic uint64_t stamp[SLOTS];
    uint64_t received[MAX_CONSUMERS];
    double p50[MAX_CONSUMERS], p99[MAX_CONSUMERS], max[MAX_CONSUMERS];
    double elapsed_s[MAX_CONSUMERS];
} control;

static uint64_t mono_ns(void)
{
    return (uint64_t)now_ns();
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void consume(control *c, int id, uint32_t frames)
{
    double *lat = malloc(sizeof(double) * MAX_SAMPLES);
    uint32_t last = 0, n = 0;
    uint64_t first = 0;
    while (last < frames) {
        uint32_t seq = atomic_load(&c->seq);
        if (seq == last) {
            atomic_fetch_add(&c->waiters, 1);
            if (atomic_load(&c->seq) == last) syscall(SYS_futex, &c->seq, FUTEX_WAIT, last, NULL, NULL, 0);
            atomic_fetch_sub(&c->waiters, 1);
            continue;
        }
        uint64_t t = mono_ns();
        uint64_t stamp = atomic_load(&c->stamp[seq % SLOTS]);
        if (n == 0) first = t;
        /* at max rate the slot may already hold a newer stamp: count 0 */
        if (n < MAX_SAMPLES) lat[n] = stamp > t ? 0.0 : (double)(t - stamp) / 1000.0;
        n++;
        last = seq;
    }
    uint32_t k = n < MAX_SAMPLES ? n : MAX_SAMPLES;
    qsort(lat, k, sizeof(double), cmp);
    c->received[id] = n;
    c->p50[id] = lat[k / 2];
    c->p99[id] = lat[(uint32_t)(k * 0.99)];
    c->max[id] = lat[k - 1];
    c->elapsed_s[id] = (double)(mono_ns() - first) / 1e9;
    free(lat);
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: floor WIDTH HEIGHT FRAMES PERIOD_US CONSUMERS\n");
        return 2;
    }
    size_t frame = (size_t)atoi(argv[1]) * (size_t)atoi(argv[2]) * 4;
    uint32_t frames = (uint32_t)atoi(argv[3]);
    long period_us = atol(argv[4]);
    int consumers = atoi(argv[5]);
    if (consumers < 1 || consumers > MAX_CONSUMERS) return 2;
    size_t size = 4096 + SLOTS * frame;
    char *shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (shm == MAP_FAILED) return 1;
    control *c = (control *)shm;
    for (int i = 0; i < consumers; i++) {
        if (fork() == 0) {
            consume(c, i, frames);
            _exit(0);
        }
    }
    usleep(100000); /* let consumers go to sleep */
    struct rusage r0;
    getrusage(RUSAGE_SELF, &r0);
    uint64_t next = mono_ns();
    for (uint32_t i = 1; i <= frames; i++) {
        if (period_us > 0) {
            next += (uint64_t)period_us * 1000ull;
            struct timespec ts = {(time_t)(next / 1000000000ull), (long)(next % 1000000000ull)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
        char *slot = shm + 4096 + (i % SLOTS) * frame;
        memset(slot, (int)i, 64); /* touch the slot as vidbus's bench does */
        atomic_store(&c->stamp[i % SLOTS], mono_ns());
        atomic_store(&c->seq, i);
        if (atomic_load(&c->waiters) > 0) syscall(SYS_futex, &c->seq, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
    }
    for (int i = 0; i < consumers; i++) wait(NULL);
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double cpu_ms = ((self.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (self.ru_stime.tv_sec - r0.ru_stime.tv_sec)) * 1e3 +
                    ((self.ru_utime.tv_usec - r0.ru_utime.tv_usec) + (self.ru_stime.tv_usec - r0.ru_stime.tv_usec)) / 1e3 +
                    (kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e3 + (kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e3;
    double fps = 0, p50 = 0, p99 = 0, mx = 0;
    for (int i = 0; i < consumers; i++) {
        fps += c->received[i] / (c->elapsed_s[i] > 0 ? c->elapsed_s[i] : 1);
        if (c->p50[i] > p50) p50 = c->p50[i];
        if (c->p99[i] > p99) p99 = c->p99[i];
        if (c->max[i] > mx) mx = c->max[i];
    }
    printf("{\"fps\":%.1f,\"p50Us\":%.1f,\"p99Us\":%.1f,\"maxUs\":%.1f,\"cpuMsPerFrame\":%.4f}\n", fps / consumers, p50, p99, mx,
           cpu_ms / frames);
    munmap(shm, size);
    return 0;
}
