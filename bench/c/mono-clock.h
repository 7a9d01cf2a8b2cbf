/* CLOCK_MONOTONIC in nanoseconds: the clock every benchmark program stamps
 * and reads frames with, shared by every process on the machine. */
#ifndef VIDBUS_BENCH_MONO_CLOCK_H
#define VIDBUS_BENCH_MONO_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
