/* What `diagtap session` taps: sources given as `[NAME@]KIND:SPEC` words on
 * the command line or in a session file (JSON, docs/session.md). Parsing
 * only; cmd_session.c opens and runs them. */
#ifndef DIAGTAP_CLI_SESSION_SPEC_H
#define DIAGTAP_CLI_SESSION_SPEC_H

#include <stddef.h>

typedef enum dt_src_kind {
    DT_SRC_CAPTURE, /* a: interface, b: BPF or NULL */
    DT_SRC_UNIX,    /* a: front path, b: target path */
    DT_SRC_TCP,     /* a: listen HOST:PORT, b: target HOST:PORT */
    DT_SRC_DOTNET,  /* a: pid */
    DT_SRC_PIPE,    /* a: front pipe, b: target pipe (Windows) */
    DT_SRC_WRAP,    /* argv: the command */
    DT_SRC_FILE,    /* a: path */
} dt_src_kind;

#define DT_SESSION_MAX_SOURCES 32

typedef struct dt_session_source {
    dt_src_kind kind;
    char *name;   /* NAME@, or NULL: derived */
    char *a, *b;
    char **argv;  /* wrap: NULL-terminated */
    char *word;   /* the source as given, for messages */
} dt_session_source;

typedef struct dt_session_spec {
    dt_session_source src[DT_SESSION_MAX_SOURCES];
    int n;
    /* from a session file: options as command-line words, applied before the
     * command line's own (which win) */
    char **opt_words;
    int n_opt_words;
    double reorder_ms; /* < 0: not given */
    double duration;   /* < 0: not given */
} dt_session_spec;

void dt_session_spec_init(dt_session_spec *s);
/* Adds one `[NAME@]KIND:SPEC` word. -1 with one line in err (naming it). */
int dt_session_add_word(dt_session_spec *s, const char *word, char *err, size_t errsz);
/* The command of a `wrap:` source given after `--` (argv NULL-terminated).
 * -1 when there is no empty `wrap:` to take it, or it already has one. */
int dt_session_set_wrap_argv(dt_session_spec *s, char *const *argv, int n, char *err, size_t errsz);
/* Reads a session file. -1 with one line in err (file, and where). */
int dt_session_load_file(dt_session_spec *s, const char *path, char *err, size_t errsz);
/* The same from memory (name for messages). */
int dt_session_load_buffer(dt_session_spec *s, const char *name, const char *data, size_t len, char *err,
                           size_t errsz);
/* Checks the whole: at least one source, at most one wrap with a command. */
int dt_session_check(const dt_session_spec *s, char *err, size_t errsz);
void dt_session_spec_free(dt_session_spec *s);
const char *dt_session_kind_name(dt_src_kind k);

#endif
