#include "histogram.h"

#include <string.h>

static unsigned bucket_of(uint64_t v)
{
    if (v < DT_HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 4..63 */
    unsigned sub = (unsigned)(v >> (e - 4)) & (DT_HIST_SUB - 1);
    return DT_HIST_SUB + (e - 4) * DT_HIST_SUB + sub;
}

static void bucket_range(unsigned b, uint64_t *lo, uint64_t *width)
{
    if (b < DT_HIST_SUB) {
        *lo = b;
        *width = 1;
        return;
    }
    unsigned e = (b - DT_HIST_SUB) / DT_HIST_SUB + 4;
    unsigned sub = (b - DT_HIST_SUB) % DT_HIST_SUB;
    *lo = (uint64_t)(DT_HIST_SUB + sub) << (e - 4);
    *width = (uint64_t)1 << (e - 4);
}

void dt_hist_init(dt_hist *h) { memset(h, 0, sizeof *h); }

void dt_hist_add(dt_hist *h, uint64_t v)
{
    if (h->n == 0 || v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->n++;
    h->count[bucket_of(v)]++;
}

uint64_t dt_hist_percentile(const dt_hist *h, double p)
{
    if (h->n == 0)
        return 0;
    if (p >= 100)
        return h->max;
    /* Nearest rank: the smallest value with at least p % at or below it. */
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->n + 0.999999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < DT_HIST_BUCKETS; b++) {
        seen += h->count[b];
        if (seen >= rank) {
            uint64_t lo, width;
            bucket_range(b, &lo, &width);
            uint64_t mid = lo + width / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}
