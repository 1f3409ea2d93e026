/* The ClickHouse sink: every timeline event as a row of a ClickHouse table,
 * over HTTP, without ever blocking the capture or the relay (docs/fleet.md). */
#ifndef DIAGTAP_CLICKHOUSE_H
#define DIAGTAP_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ch_row.h"
#include "core/sink.h"

typedef struct dt_ch_config {
    const char *url;           /* clickhouse[s]://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE.TABLE */
    const char *password;      /* from a file or the environment; overrides the URL's */
    const char *cacert;        /* CA bundle for clickhouses://, or NULL for the system's */
    const char *host_label;    /* the rows' host; NULL: gethostname() */
    const char *spool_dir;     /* required */
    uint64_t spool_max_bytes;  /* 0: until the disk is full */
    uint32_t batch_rows;       /* a batch is sent at this many rows, */
    uint32_t batch_bytes;      /* or this many bytes, */
    uint32_t batch_ms;         /* or when its first row is this old */
    uint32_t queue_batches;    /* batches held in memory before the spool takes them */
    uint32_t exit_wait_ms;     /* at exit, how long sending may go on before the rest is spooled */
    dt_ch_format format;
    FILE *log;                 /* warnings and the summary; NULL: stderr */
} dt_ch_config;

/* Defaults: 50 000 rows / 8 MiB / 1 s, 8 batches, 10 s at exit, RowBinary. */
void dt_ch_config_defaults(dt_ch_config *c);

/* Starts the sender thread (signals blocked in it). NULL with one line in
 * err (the password never in it). */
dt_sink *dt_clickhouse_sink_new(const dt_ch_config *c, char *err, size_t errsz);

/* `diagtap schema clickhouse`: the CREATE statements for db_table
 * ("DATABASE.TABLE"). cluster: NULL, or a cluster name for local tables and
 * a Distributed table; on_cluster: emit ON CLUSTER (needs ZooKeeper), else
 * statements to run on each server. ttl_days: 0 for none (ClickHouse before
 * 19.6 has no TTL). Returns 0, or -1 with err. */
int dt_ch_schema_write(FILE *out, const char *db_table, const char *cluster, bool on_cluster, unsigned ttl_days,
                       char *err, size_t errsz);

#endif
