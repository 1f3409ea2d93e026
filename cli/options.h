/* The options every subcommand shares, as one table: the parser, --help,
 * the man page and shell completion are all generated from it, and options
 * that dissectors declare (include/diagtap/dissector.h, dt_option_def) join
 * them through the registry. */
#ifndef DIAGTAP_CLI_OPTIONS_H
#define DIAGTAP_CLI_OPTIONS_H

#include <stdio.h>

#include "common.h"

enum {
    DT_CLI_COMPLETE_NONE,
    DT_CLI_COMPLETE_FILE,    /* the value is a path */
    DT_CLI_COMPLETE_CHOICES, /* the value is one of `choices` */
    DT_CLI_COMPLETE_PROTO,   /* a dissector name */
};

typedef struct dt_cli_optdef {
    const char *flag;     /* "-T" or "--grep" */
    const char *alias;    /* "--format", or NULL */
    const char *metavar;  /* "text|json"; NULL for an option without a value */
    const char *section;  /* "output", "filtering", "decoding" */
    const char *help;     /* one line */
    /* Stores the value (NULL for options without one); returns 0, or -1
     * after printing one line saying why the value is wrong. */
    int (*apply)(dt_cli_opts *o, const char *value);
    int complete;         /* DT_CLI_COMPLETE_* */
    const char *choices;  /* "text json" for DT_CLI_COMPLETE_CHOICES */
} dt_cli_optdef;

/* Ends with an entry whose flag is NULL. */
extern const dt_cli_optdef dt_cli_common_options[];

/* --help's part for the shared options, dissectors' options included. */
void dt_cli_print_common_help(FILE *out);

/* The dissector-declared options given on the command line or in the
 * environment, resolved against reg and set on eng: a value, a `FLAG-file
 * PATH` for secrets, or $DIAGTAP_NAME. Returns 0, or -1 after one line. */
int dt_cli_apply_dissector_options(const dt_cli_opts *o, dt_registry *reg, dt_engine *eng);

/* The man page (roff) and the bash or zsh completion script, generated from
 * the command table, each command's usage and the option tables. */
typedef struct dt_cli_command_info {
    const char *name;
    const char *what;
    const char *usage; /* what `diagtap NAME --help` prints before the shared options, or NULL */
} dt_cli_command_info;
int dt_cli_write_man(FILE *out, const dt_cli_command_info *cmds, size_t n);
int dt_cli_write_completion(FILE *out, const char *shell, const dt_cli_command_info *cmds, size_t n);

#endif
