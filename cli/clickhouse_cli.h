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

/* The options' part of --help. */
#define DT_CLI_CH_HELP \
    "fleet (ClickHouse; see docs/fleet.md):\n" \
    "  -o clickhouse://[USER@]HOST[:PORT]/DB.TABLE\n" \
    "                        also send every event to ClickHouse over HTTP (clickhouses://\n" \
    "                        for TLS); a second -o FILE still takes the timeline\n" \
    "  --clickhouse-password-file FILE   the password (else $DIAGTAP_CLICKHOUSE_PASSWORD)\n" \
    "  --clickhouse-spool DIR    where batches wait while ClickHouse is down\n" \
    "                        (default $DIAGTAP_CLICKHOUSE_SPOOL, $STATE_DIRECTORY/spool,\n" \
    "                        /var/spool/diagtap as root, else ~/.local/state/diagtap/spool)\n" \
    "  --clickhouse-spool-max SIZE  cap of the spool (k, M, G; default: the disk)\n" \
    "  --clickhouse-batch ROWS      rows per insert (default 50000)\n" \
    "  --clickhouse-batch-bytes SIZE  bytes per insert (default 8M)\n" \
    "  --clickhouse-batch-ms MS     longest a row waits for its batch (default 1000)\n" \
    "  --clickhouse-queue N     batches held in memory before spooling (default 8)\n" \
    "  --clickhouse-exit-wait S  at exit, seconds to go on sending before spooling (10)\n" \
    "  --clickhouse-format rowbinary|jsoneachrow  insert format (default rowbinary)\n" \
    "  --clickhouse-cacert FILE  CA bundle for clickhouses://\n" \
    "  --host-label NAME        the rows' host column (default: the host name)\n"

/* Consumes a ClickHouse option at argv[*i]: 1, 0 when not one, -1 after an
 * error line. */
int dt_cli_ch_arg(dt_cli_ch_opts *o, int argc, char **argv, int *i);

struct dt_sink;
/* The sink for o->url (NULL when there is none: *failed stays false); on
 * failure prints one line and sets *failed. argv: the process's arguments,
 * whose copy of a URL password is blanked once the sink has it (ps). */
struct dt_sink *dt_cli_ch_sink(const dt_cli_ch_opts *o, bool *failed);

#endif
