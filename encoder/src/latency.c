/* Percentiles over a window (see latency.h): sorted on demand, once per report. */
#include <stdlib.h>
#include <string.h>

#include "latency.h"

void latency_add(latency_window *w, int64_t ns)
{
    w->us[w->next] = (double)ns / 1000.0;
    w->next = (w->next + 1) % LATENCY_SAMPLES;
    if (w->count < LATENCY_SAMPLES) w->count++;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double latency_percentile(const latency_window *w, double p)
{
    if (w->count == 0) return 0;
    double sorted[LATENCY_SAMPLES];
    memcpy(sorted, w->us, w->count * sizeof(double));
    qsort(sorted, w->count, sizeof(double), by_value);
    size_t i = (size_t)(p / 100.0 * (double)(w->count - 1) + 0.5);
    return sorted[i < w->count ? i : w->count - 1];
}
