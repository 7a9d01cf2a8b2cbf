/* The last LATENCY_SAMPLES durations of one kind, and their percentiles. */
#ifndef VIDBUS_ENCODER_LATENCY_H
#define VIDBUS_ENCODER_LATENCY_H

#include <stdint.h>

#define LATENCY_SAMPLES 512

typedef struct {
    double us[LATENCY_SAMPLES];
    uint32_t count;     /* samples held, up to LATENCY_SAMPLES */
    uint32_t next;
} latency_window;

void latency_add(latency_window *w, int64_t ns);
/* The p-th percentile (0..100) in microseconds; 0 with no samples. */
double latency_percentile(const latency_window *w, double p);

#endif
