/* Latency histogram with log-linear buckets: 16 per power of two, so a
 * percentile is known to within about 3 % in fixed memory (8 KiB). */
#ifndef DIAGTAP_SINKS_HISTOGRAM_H
#define DIAGTAP_SINKS_HISTOGRAM_H

#include <stdint.h>

#define DT_HIST_SUB 16
#define DT_HIST_BUCKETS (DT_HIST_SUB + (64 - 4) * DT_HIST_SUB)

typedef struct dt_hist {
    uint64_t n;
    uint64_t min, max;
    uint64_t count[DT_HIST_BUCKETS];
} dt_hist;

void dt_hist_init(dt_hist *h);
void dt_hist_add(dt_hist *h, uint64_t v);
/* The value at percentile p (0..100): the middle of its bucket, within
 * [min, max]; exact for values below 16 and for p = 100. 0 when empty. */
uint64_t dt_hist_percentile(const dt_hist *h, double p);

#endif
