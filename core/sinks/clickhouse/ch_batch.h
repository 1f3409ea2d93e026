/* A batch of rows on its way to ClickHouse: in memory, or loaded back from
 * the spool. */
#ifndef DIAGTAP_CH_BATCH_H
#define DIAGTAP_CH_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ch_row.h"

typedef struct dt_ch_batch dt_ch_batch;
struct dt_ch_batch {
    dt_ch_batch *next;    /* queue or free list */
    uint64_t created_ns;  /* when it was sealed: orders the spool */
    uint64_t run_id;
    uint64_t batch;       /* number within its run */
    uint32_t rows;
    uint32_t min_time, max_time; /* seconds: the check query's time range */
    uint64_t first_row_ns;       /* monotonic time of its first row (age limit) */
    dt_ch_format fmt;
    bool uncertain;       /* an earlier attempt may have landed: check before resending */
    char host[256];
    char spool_name[64];  /* its spool file, when loaded from there */
    dt_ch_buf body;
};

#endif
