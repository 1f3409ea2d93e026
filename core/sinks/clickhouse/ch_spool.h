/* The on-disk spool: batches ClickHouse could not take yet, one file each,
 * sent oldest first when it answers again (also by the next run). Files are
 * created 0600 through a directory descriptor opened without following
 * symlinks, with O_EXCL|O_NOFOLLOW, written under a temporary name and
 * renamed when complete; a lock file keeps a second diagtap out. */
#ifndef DIAGTAP_CH_SPOOL_H
#define DIAGTAP_CH_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "ch_batch.h"

typedef struct dt_ch_spool dt_ch_spool;

typedef struct dt_ch_spool_stats {
    uint64_t files, bytes, rows;
} dt_ch_spool_stats;

/* Creates DIR (0700) when missing. max_bytes: 0 for no limit of its own. */
dt_ch_spool *dt_ch_spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errsz);
void dt_ch_spool_close(dt_ch_spool *sp);
const char *dt_ch_spool_dir(const dt_ch_spool *sp);

/* Writes b as a new spool file. Returns 0, or -1 with err (the disk or the
 * size limit is full, or another write error): the batch is not spooled. */
int dt_ch_spool_write(dt_ch_spool *sp, const dt_ch_batch *b, char *err, size_t errsz);
/* Loads the oldest spooled batch into b (its buffer reused). Returns 1, 0
 * when the spool is empty, -1 with err for a file that cannot be read back
 * (renamed *.bad and left; its rows in *lost_rows when known). */
int dt_ch_spool_next(dt_ch_spool *sp, dt_ch_batch *b, uint64_t *lost_rows, char *err, size_t errsz);
/* The batch loaded by dt_ch_spool_next was delivered: deletes its file. */
void dt_ch_spool_remove(dt_ch_spool *sp, dt_ch_batch *b);
/* Its send failed in a way that may have landed: remember across runs. */
void dt_ch_spool_mark_uncertain(dt_ch_spool *sp, dt_ch_batch *b);
dt_ch_spool_stats dt_ch_spool_stats_get(dt_ch_spool *sp);

#endif
