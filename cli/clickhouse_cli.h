/* The ClickHouse output's options (-o clickhouse://..., --clickhouse-*,
 * --host-label), and building its sink for a run. */
#ifndef DIAGTAP_CLI_CLICKHOUSE_CLI_H
#define DIAGTAP_CLI_CLICKHOUSE_CLI_H

#include <stdbool.h>
#include <stdint.h>

typedef struct dt_cli_ch_opts {
    const char *url;            /* -o clickhouse[s]://... */
    const char *password_file;  /* --clickhouse-password-file */
    const char *cacert;         /* --clickhouse-cacert */
    const char *spool_dir;      /* --clickhouse-spool */
    const char *host_label;     /* --host-label */
    const char *format;         /* --clickhouse-format */
    uint64_t spool_max;         /* --clickhouse-spool-max */
    uint64_t batch_rows, batch_bytes, batch_ms, queue, exit_wait_s;
    bool exit_wait_set;
} dt_cli_ch_opts;

/* Stores the value of a ClickHouse option (flag: "--clickhouse-batch"; the
 * rows of cli/options.c). 0, or -1 after an error line. */
int dt_cli_ch_set(dt_cli_ch_opts *o, const char *flag, const char *value);

struct dt_sink;
/* The sink for o->url (NULL when there is none: *failed stays false); on
 * failure prints one line and sets *failed. A password in the URL (which
 * points into argv) is blanked once the sink has it, for ps. */
struct dt_sink *dt_cli_ch_sink(const dt_cli_ch_opts *o, bool *failed);

#endif
