/* Options every subcommand shares, and the run they set up: registry,
 * engine, filter and sinks. */
#ifndef DIAGTAP_CLI_COMMON_H
#define DIAGTAP_CLI_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/engine.h"
#include "core/filter.h"
#include "core/registry.h"
#include "clickhouse_cli.h"

#define DT_CLI_MAX_LIST 32
#define DT_CLI_BUSY_POLL_US 50 /* --busy-poll's default (docs/proxies.md) */

typedef struct dt_cli_opts {
    const char *write_path;   /* -w FILE.pcapng */
    unsigned connect_timeout_ms; /* proxy: --connect-timeout SECONDS (0: default 10 s) */
    unsigned busy_poll_us;    /* proxy, wrap, session: --busy-poll USEC (dt_io_set_busy_poll) */
    const char *format;       /* -T text|json (default text) */
    const char *output_path;  /* -o FILE: timeline to a file instead of stdout */
    const char *grep;         /* --grep REGEX */
    const char *display_filter; /* -Y EXPR */
    bool no_pair_partner;     /* --no-pair-partner */
    const char *protos;       /* --proto NAME[,NAME] */
    const char *from, *to;    /* --from / --to TIME (core/timerange.h) */
    const char *plugin_dir;   /* --plugin-dir DIR */
    const char *decode_as[DT_CLI_MAX_LIST]; /* -d PORT=PROTO */
    int n_decode_as;
    const char *set[DT_CLI_MAX_LIST];       /* --set name=value */
    int n_set;
    struct dt_cli_dopt {      /* a dissector's option (--kdnet-key KEY), resolved at start */
        const char *flag;     /* the argument as given: "--kdnet-key[=KEY]", or
                                 "--kdnet-key-file[=PATH]" for a secret in a file */
        const char *value;
    } dopts[DT_CLI_MAX_LIST];
    int n_dopts;
    bool stats;               /* --stats: summary statistics at the end */
    bool quiet;               /* -q: no timeline */
    bool show_credentials;    /* --show-credentials */
    bool verbose;             /* -V: field tree under each text line */
    bool hex;                 /* -x: a hex dump under each text line */
    int color;                /* -1 auto, 0 never, 1 always */
    bool timeline_to_stderr;  /* wrap: stdout is the relayed stream */
    bool live;                /* capture, proxy, wrap: line-buffered timeline */
    bool render_thread;       /* replay: text/JSON rendered on a thread of its own */
    dt_cli_ch_opts ch;        /* -o clickhouse://..., --clickhouse-* */
} dt_cli_opts;

#define DT_CLI_OUT_BUF (256u * 1024u)

typedef struct dt_cli_run {
    dt_registry *reg;
    dt_engine *eng;
    dt_filter *filter;
    dt_sink *sinks[6];
    int n_sinks;
    FILE *out;                /* timeline stream */
    bool close_out;
    char *out_buf;            /* its stdio buffer (DT_CLI_OUT_BUF bytes), or NULL */
} dt_cli_run;

void dt_cli_opts_init(dt_cli_opts *o);
/* Consumes the common option at argv[*i] (and its value), advancing *i.
 * Returns 1 when consumed, 0 when not a common option, -1 on a bad value
 * (an error line is printed). */
int dt_cli_common_arg(dt_cli_opts *o, int argc, char **argv, int *i);
/* Help text of the common options, for each subcommand's --help (the
 * option table in options.c, with the dissectors' own options). */
void dt_cli_print_common_help(FILE *out);
/* A command line of common options and at most max positional arguments
 * (`diagtap proxy` on every platform): the options go into o, the
 * positionals into pos. Returns how many positionals there were;
 * DT_CLI_ARGS_HELP after printing usage and the common help to stdout;
 * DT_CLI_ARGS_BAD after a one-line error and the usage on stderr. */
#define DT_CLI_ARGS_HELP (-1)
#define DT_CLI_ARGS_BAD (-2)
int dt_cli_command_args(dt_cli_opts *o, int argc, char **argv, const char *cmd, const char *usage, const char **pos,
                        int max);

/* The registry with built-ins and plugins (--plugin-dir, $DIAGTAP_PLUGIN_DIR,
 * or the installed plugin dir). */
dt_registry *dt_cli_registry(const dt_cli_opts *o);
/* The first -d value without '=': a proxy's or wrapper's forced dissector. */
const char *dt_cli_forced_proto(const dt_cli_opts *o);

/* A forced dissector (-d PROTO) must exist and frame byte streams; what
 * names the command's stream ("a proxied connection"). Prints one line and
 * returns -1 otherwise. */
int dt_cli_check_forced(const dt_registry *reg, const char *name, const char *what);

/* Builds the run; prints an error and returns -1 on failure. */
int dt_cli_run_start(dt_cli_run *r, const dt_cli_opts *o);
/* Finishes the engine and sinks, frees everything. Returns 0, or -1 when
 * an output could not be written. */
int dt_cli_run_finish(dt_cli_run *r, uint64_t end_ts_ns);

/* A non-negative number (decimals allowed) given to option opt; prints one
 * line and returns false otherwise. */
bool dt_cli_parse_number(const char *opt, const char *v, double *out);

/* Nanoseconds since the Unix epoch, from the real-time clock. */
uint64_t dt_now_ns(void);

#endif
