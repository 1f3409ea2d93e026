/* The shared option table and everything generated from it: parsing,
 * --help, the man page and shell completion. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/registry.h"
#include "core/sinks/clickhouse/ch_url.h"
#include "ipc/io.h"

#ifndef DIAGTAP_PLUGINDIR
#define DIAGTAP_PLUGINDIR "/usr/local/lib/diagtap/plugins"
#endif

static int add_list(const char **list, int *n, const char *v, const char *what)
{
    if (*n == DT_CLI_MAX_LIST) {
        fprintf(stderr, "diagtap: too many %s options\n", what);
        return -1;
    }
    list[(*n)++] = v;
    return 0;
}

static int set_write(dt_cli_opts *o, const char *v) { o->write_path = v; return 0; }
/* -o takes one timeline file and/or one ClickHouse URL (docs/fleet.md). */
static int set_output(dt_cli_opts *o, const char *v)
{
    const char **slot = dt_ch_url_is(v) ? &o->ch.url : &o->output_path;
    if (*slot) {
        fprintf(stderr, "diagtap: -o: one %s only\n", slot == &o->ch.url ? "ClickHouse URL" : "timeline file");
        return -1;
    }
    *slot = v;
    return 0;
}

#define CH_SETTER(fn, flag) \
    static int fn(dt_cli_opts *o, const char *v) { return dt_cli_ch_set(&o->ch, flag, v); }
CH_SETTER(set_ch_password_file, "--clickhouse-password-file")
CH_SETTER(set_ch_spool, "--clickhouse-spool")
CH_SETTER(set_ch_spool_max, "--clickhouse-spool-max")
CH_SETTER(set_ch_batch, "--clickhouse-batch")
CH_SETTER(set_ch_batch_bytes, "--clickhouse-batch-bytes")
CH_SETTER(set_ch_batch_ms, "--clickhouse-batch-ms")
CH_SETTER(set_ch_queue, "--clickhouse-queue")
CH_SETTER(set_ch_exit_wait, "--clickhouse-exit-wait")
CH_SETTER(set_ch_format, "--clickhouse-format")
CH_SETTER(set_ch_cacert, "--clickhouse-cacert")
CH_SETTER(set_host_label, "--host-label")
static int set_grep(dt_cli_opts *o, const char *v) { o->grep = v; return 0; }
static int set_display_filter(dt_cli_opts *o, const char *v) { o->display_filter = v; return 0; }
static int set_no_pair_partner(dt_cli_opts *o, const char *v) { (void)v; o->no_pair_partner = true; return 0; }
static int set_proto(dt_cli_opts *o, const char *v) { o->protos = v; return 0; }
static int set_from(dt_cli_opts *o, const char *v) { o->from = v; return 0; }
static int set_to(dt_cli_opts *o, const char *v) { o->to = v; return 0; }
static int set_plugin_dir(dt_cli_opts *o, const char *v) { o->plugin_dir = v; return 0; }
static int set_stats(dt_cli_opts *o, const char *v) { (void)v; o->stats = true; return 0; }
static int set_quiet(dt_cli_opts *o, const char *v) { (void)v; o->quiet = true; return 0; }
static int set_verbose(dt_cli_opts *o, const char *v) { (void)v; o->verbose = true; return 0; }
static int set_hex(dt_cli_opts *o, const char *v) { (void)v; o->hex = true; return 0; }
static int set_no_color(dt_cli_opts *o, const char *v) { (void)v; o->color = 0; return 0; }
static int set_show_credentials(dt_cli_opts *o, const char *v) { (void)v; o->show_credentials = true; return 0; }

static int set_connect_timeout(dt_cli_opts *o, const char *v)
{
    char *end;
    errno = 0;
    double secs = strtod(v, &end);
    if (errno || end == v || *end || secs <= 0 || secs > 3600) {
        fprintf(stderr, "diagtap: --connect-timeout takes seconds (0 < S <= 3600), not '%s'\n", v);
        return -1;
    }
    o->connect_timeout_ms = (unsigned)(secs * 1000 + 0.5);
    if (!o->connect_timeout_ms)
        o->connect_timeout_ms = 1;
    return 0;
}

static int set_busy_poll(dt_cli_opts *o, const char *v)
{
    char *end;
    errno = 0;
    unsigned long us = strtoul(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || us > DT_IO_BUSY_POLL_MAX_US) {
        fprintf(stderr, "diagtap: --busy-poll takes microseconds (0 <= USEC <= %u), not '%s'\n",
                DT_IO_BUSY_POLL_MAX_US, v);
        return -1;
    }
    o->busy_poll_us = (unsigned)us;
    return 0;
}

static int set_format(dt_cli_opts *o, const char *v)
{
    if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0 && strcmp(v, "html") != 0 && strcmp(v, "mermaid") != 0) {
        fprintf(stderr, "diagtap: -T takes text, json, html or mermaid, not '%s'\n", v);
        return -1;
    }
    o->format = v;
    return 0;
}

static int set_color(dt_cli_opts *o, const char *v)
{
    if (strcmp(v, "auto") == 0)
        o->color = -1;
    else if (strcmp(v, "always") == 0)
        o->color = 1;
    else if (strcmp(v, "never") == 0)
        o->color = 0;
    else {
        fprintf(stderr, "diagtap: --color takes auto, always or never, not '%s'\n", v);
        return -1;
    }
    return 0;
}

static int set_decode_as(dt_cli_opts *o, const char *v)
{
    return add_list(o->decode_as, &o->n_decode_as, v, "-d");
}

static int set_set(dt_cli_opts *o, const char *v)
{
    if (!strchr(v, '=')) {
        fprintf(stderr, "diagtap: --set takes NAME=VALUE, not '%s'\n", v);
        return -1;
    }
    return add_list(o->set, &o->n_set, v, "--set");
}

const dt_cli_optdef dt_cli_common_options[] = {
    { "-T", "--format", "text|json|html|mermaid", "output",
      "timeline format: readable lines (default), JSON Lines, an HTML report (docs/html.md) or a Mermaid sequence diagram",
      set_format, DT_CLI_COMPLETE_CHOICES, "text json html mermaid" },
    { "-o", "--output", "FILE", "output", "write the timeline to FILE instead of standard output; a "
      "clickhouse[s]://[USER@]HOST[:PORT]/DB.TABLE URL sends every event to ClickHouse too (docs/fleet.md)",
      set_output, DT_CLI_COMPLETE_FILE, NULL },
    { "-V", "--verbose", NULL, "output", "text: print each event's field tree under its line; json: add its bytes (raw)",
      set_verbose, 0, NULL },
    { "-x", "--hex", NULL, "output", "text: each event's bytes as a hex dump (a conversation's first bytes)",
      set_hex, 0, NULL },
    { "--color", NULL, "WHEN", "output", "auto (default: only on a terminal), always, never",
      set_color, DT_CLI_COMPLETE_CHOICES, "auto always never" },
    { "--no-color", NULL, NULL, "output", "same as --color never", set_no_color, 0, NULL },
    { "-w", "--write", "FILE.pcapng", "output", "record everything (created 0600); Wireshark opens it",
      set_write, DT_CLI_COMPLETE_FILE, NULL },
    { "--stats", NULL, NULL, "output", "summary statistics at the end (counts, latency, errors)",
      set_stats, 0, NULL },
    { "-q", "--quiet", NULL, "output", "no timeline (with --stats: the table alone; with -w: record only)",
      set_quiet, 0, NULL },
    { "-Y", "--filter", "EXPR", "filtering", "display filter, Wireshark syntax: 'smb2.nt_status != 0 && latency > 100ms' "
      "(docs/filters.md; field names: diagtap fields)", set_display_filter, 0, NULL },
    { "--no-pair-partner", NULL, NULL, "filtering", "with -Y: do not also show the request or response paired with a "
      "matching event", set_no_pair_partner, 0, NULL },
    { "--grep", NULL, "REGEX", "filtering", "only events whose summary or a field value matches (PCRE2)",
      set_grep, 0, NULL },
    { "--proto", NULL, "NAME[,NAME]", "filtering", "only events of these protocols",
      set_proto, DT_CLI_COMPLETE_PROTO, NULL },
    { "--from", NULL, "TIME", "filtering",
      "only events at or after TIME: 2026-11-18T12:06:40Z, 12:06:40.5 (local, first event's date), +2.5s (after the first event)",
      set_from, 0, NULL },
    { "--to", NULL, "TIME", "filtering", "only events at or before TIME (same forms as --from)", set_to, 0, NULL },
    { "-d", "--decode-as", "PORT=PROTO", "decoding", "decode TCP/UDP port PORT as PROTO (see 'diagtap dissectors')",
      set_decode_as, DT_CLI_COMPLETE_PROTO, NULL },
    { "--set", NULL, "NAME=VALUE", "decoding", "a dissector option by name (e.g. kdnet.key=1.2.3.4)",
      set_set, 0, NULL },
    { "--show-credentials", NULL, NULL, "decoding", "show secrets seen on the wire (redacted by default)",
      set_show_credentials, 0, NULL },
    { "--plugin-dir", NULL, "DIR", "decoding", "load external dissector .so files from DIR",
      set_plugin_dir, DT_CLI_COMPLETE_FILE, NULL },
    { "--host-label", NULL, "NAME", "fleet", "ClickHouse: the rows' host column (default: the host name)",
      set_host_label, 0, NULL },
    { "--clickhouse-password-file", NULL, "FILE", "fleet",
      "the ClickHouse password (else $DIAGTAP_CLICKHOUSE_PASSWORD)", set_ch_password_file, DT_CLI_COMPLETE_FILE, NULL },
    { "--clickhouse-spool", NULL, "DIR", "fleet",
      "where batches wait while ClickHouse is down (default $STATE_DIRECTORY/spool, /var/spool/diagtap)",
      set_ch_spool, DT_CLI_COMPLETE_FILE, NULL },
    { "--clickhouse-spool-max", NULL, "SIZE", "fleet", "cap of the spool (k, M, G; default: the disk)",
      set_ch_spool_max, 0, NULL },
    { "--clickhouse-batch", NULL, "ROWS", "fleet", "rows per insert (default 50000)", set_ch_batch, 0, NULL },
    { "--clickhouse-batch-bytes", NULL, "SIZE", "fleet", "bytes per insert (default 8M)", set_ch_batch_bytes, 0, NULL },
    { "--clickhouse-batch-ms", NULL, "MS", "fleet", "longest a row waits for its batch (default 1000)",
      set_ch_batch_ms, 0, NULL },
    { "--clickhouse-queue", NULL, "N", "fleet", "batches held in memory before spooling (default 8)",
      set_ch_queue, 0, NULL },
    { "--clickhouse-exit-wait", NULL, "S", "fleet", "at exit, seconds to go on sending before spooling (default 10)",
      set_ch_exit_wait, 0, NULL },
    { "--clickhouse-format", NULL, "FORMAT", "fleet", "insert format: rowbinary (default) or jsoneachrow",
      set_ch_format, DT_CLI_COMPLETE_CHOICES, "rowbinary jsoneachrow" },
    { "--clickhouse-cacert", NULL, "FILE", "fleet", "CA bundle for clickhouses://", set_ch_cacert,
      DT_CLI_COMPLETE_FILE, NULL },
    { "--connect-timeout", NULL, "SECONDS", "proxy",
      "proxy: give up connecting to the target after this (default 10)", set_connect_timeout, 0, NULL },
    { "--busy-poll", NULL, "USEC", "proxy",
      "proxy, wrap, session: after relaying, look for the reply this long without sleeping (default 50; 0: off)",
      set_busy_poll, 0, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
};

/* "--opt" matches "--opt" and "--opt=value"; a short "-T" only itself. */
static bool flag_is(const char *arg, const char *flag)
{
    if (!flag)
        return false;
    size_t n = strlen(flag);
    return strncmp(arg, flag, n) == 0 && (arg[n] == '\0' || (flag[1] == '-' && arg[n] == '='));
}

static int take_value(int argc, char **argv, int *i, const char **out)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    if (arg[1] == '-' && eq) { /* --opt=value */
        *out = eq + 1;
        return 0;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "diagtap: option '%s' needs a value\n", arg);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}

int dt_cli_common_arg(dt_cli_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v = NULL;
    if (a[0] != '-' || strcmp(a, "--") == 0 || strcmp(a, "-") == 0)
        return 0;
    for (const dt_cli_optdef *d = dt_cli_common_options; d->flag; d++) {
        if (!flag_is(a, d->flag) && !flag_is(a, d->alias))
            continue;
        if (d->metavar && take_value(argc, argv, i, &v) < 0)
            return -1;
        if (!d->metavar && strchr(a, '=')) {
            fprintf(stderr, "diagtap: option '%.*s' takes no value\n", (int)(strchr(a, '=') - a), a);
            return -1;
        }
        return d->apply(o, v) < 0 ? -1 : 1;
    }
    /* Any other long option may be one a dissector declares (--kdnet-key):
     * kept with its value and resolved against the registry at start. */
    if (a[1] != '-' || !isalpha((unsigned char)a[2]))
        return 0;
    if (o->n_dopts == DT_CLI_MAX_LIST) {
        fprintf(stderr, "diagtap: too many dissector options\n");
        return -1;
    }
    if (take_value(argc, argv, i, &v) < 0)
        return -1;
    o->dopts[o->n_dopts].flag = a; /* "--kdnet-key" or "--kdnet-key=KEY": the name ends at '=' */
    o->dopts[o->n_dopts].value = v;
    o->n_dopts++;
    return 1;
}

/* ---- dissector options ---- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Sets one value, or each line of a multi-valued option's text. */
static void set_values(dt_engine *eng, const dt_option_def *od, const char *text)
{
    if (!(od->flags & DT_OPT_MULTI)) {
        dt_engine_set_option(eng, od->name, text);
        return;
    }
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n;");
        size_t end = n;
        while (end > 0 && isspace((unsigned char)p[end - 1]))
            end--;
        size_t start = 0;
        while (start < end && isspace((unsigned char)p[start]))
            start++;
        if (end > start) {
            char *one = strndup(p + start, end - start);
            if (one)
                dt_engine_set_option(eng, od->name, one);
            free(one);
        }
        p += n;
        if (*p)
            p++;
    }
}

/* A secret kept in a file: its text without the trailing newline. */
static char *read_secret_file(const char *flag, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "diagtap: %s %s: %s\n", flag, path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(65536);
    size_t n = buf ? fread(buf, 1, 65535, f) : 0;
    bool big = buf && n == 65535 && fgetc(f) != EOF;
    fclose(f);
    if (!buf || big) {
        fprintf(stderr, "diagtap: %s %s: %s\n", flag, path, big ? "larger than 64 KiB" : "out of memory");
        free(buf);
        return NULL;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return buf;
}

/* $DIAGTAP_KDNET_KEY for kdnet.key. */
static void env_name(const char *opt, char *buf, size_t size)
{
    size_t k = (size_t)snprintf(buf, size, "DIAGTAP_");
    for (const char *p = opt; *p && k + 1 < size; p++)
        buf[k++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    buf[k] = '\0';
}

int dt_cli_apply_dissector_options(const dt_cli_opts *o, dt_registry *reg, dt_engine *eng)
{
    /* The environment first: a command-line value adds to it. */
    for (size_t i = 0; i < dt_registry_count(reg); i++)
        for (const dt_option_def *od = dt_registry_at(reg, i)->options; od && od->name; od++) {
            char name[128];
            env_name(od->name, name, sizeof name);
            const char *v = (od->flags & DT_OPT_SECRET) ? getenv(name) : NULL;
            if (v && *v)
                set_values(eng, od, v);
        }
    for (int i = 0; i < o->n_dopts; i++) {
        char flag[128];
        snprintf(flag, sizeof flag, "%.*s", (int)strcspn(o->dopts[i].flag, "="), o->dopts[i].flag);
        const dt_option_def *od = dt_registry_option(reg, flag, true);
        bool from_file = false;
        if (!od && ends_with(flag, "-file")) {
            char base[128];
            snprintf(base, sizeof base, "%.*s", (int)(strlen(flag) - 5), flag);
            od = dt_registry_option(reg, base, true);
            from_file = od && (od->flags & DT_OPT_SECRET);
            if (!from_file)
                od = NULL;
        }
        if (!od) {
            fprintf(stderr, "diagtap: unknown option '%s' (see 'diagtap COMMAND --help')\n", flag);
            return -1;
        }
        if (!from_file) {
            set_values(eng, od, o->dopts[i].value);
            continue;
        }
        char *text = read_secret_file(flag, o->dopts[i].value);
        if (!text)
            return -1;
        set_values(eng, od, text);
        free(text);
    }
    return 0;
}

/* ---- help ---- */

static dt_registry *help_registry(void)
{
    dt_registry *reg = dt_registry_new();
    if (reg && dt_registry_add_builtins(reg) == 0) {
        const char *dir = getenv("DIAGTAP_PLUGIN_DIR");
        char err[256] = "";
        dt_registry_load_plugins(reg, dir ? dir : DIAGTAP_PLUGINDIR, err, sizeof err);
    }
    return reg;
}

static void help_line(FILE *out, const char *left, const char *help)
{
    if (strlen(left) <= 20)
        fprintf(out, "  %-21s %s\n", left, help);
    else
        fprintf(out, "  %s\n  %-21s %s\n", left, "", help);
}

void dt_cli_print_common_help(FILE *out)
{
    const char *section = NULL;
    for (const dt_cli_optdef *d = dt_cli_common_options; d->flag; d++) {
        if (!section || strcmp(section, d->section) != 0) {
            section = d->section;
            fprintf(out, "%s:\n", section);
        }
        char left[96];
        snprintf(left, sizeof left, "%s%s%s", d->flag, d->metavar ? " " : "", d->metavar ? d->metavar : "");
        help_line(out, left, d->help);
    }
    dt_registry *reg = help_registry();
    bool any = false;
    for (size_t i = 0; reg && i < dt_registry_count(reg); i++)
        for (const dt_option_def *od = dt_registry_at(reg, i)->options; od && od->name; od++) {
            if (!od->flag)
                continue;
            if (!any)
                fprintf(out, "dissector options (also as --set NAME=VALUE):\n");
            any = true;
            char left[96];
            snprintf(left, sizeof left, "%s %s", od->flag, od->metavar ? od->metavar : "VALUE");
            help_line(out, left, od->help);
            if (od->flags & DT_OPT_SECRET) {
                char env[128];
                env_name(od->name, env, sizeof env);
                snprintf(left, sizeof left, "%s-file PATH", od->flag);
                char why[224];
                snprintf(why, sizeof why, "the same secret read from PATH (or from $%s)", env);
                help_line(out, left, why);
            }
        }
    dt_registry_free(reg);
}

/* ---- man page and shell completion ---- */

/* roff-safe text: backslashes doubled, a leading '.' or '\'' guarded. */
static void roff(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        if ((i == 0 || s[i - 1] == '\n') && (s[i] == '.' || s[i] == '\''))
            fputs("\\&", out);
        if (s[i] == '\\')
            fputs("\\e", out);
        else if (s[i] == '-')
            fputs("\\-", out);
        else
            fputc(s[i], out);
    }
}

static void roff_str(FILE *out, const char *s) { roff(out, s, strlen(s)); }

static void man_option(FILE *out, const char *flag, const char *alias, const char *metavar, const char *help)
{
    fputs(".TP\n\\fB", out);
    roff_str(out, flag);
    fputs("\\fR", out);
    if (alias) {
        fputs(", \\fB", out);
        roff_str(out, alias);
        fputs("\\fR", out);
    }
    if (metavar) {
        fputs(" \\fI", out);
        roff_str(out, metavar);
        fputs("\\fR", out);
    }
    fputc('\n', out);
    roff_str(out, help);
    fputc('\n', out);
}

int dt_cli_write_man(FILE *out, const dt_cli_command_info *cmds, size_t n)
{
    fprintf(out, ".TH DIAGTAP 1 \"\" \"diagtap %s\" \"User Commands\"\n", DIAGTAP_VERSION);
    fputs(".SH NAME\ndiagtap \\- tap diagnostic channels and decode them into one timeline\n"
          ".SH SYNOPSIS\n.B diagtap\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR] ...\n"
          ".SH DESCRIPTION\ndiagtap taps the channels Windows and .NET people debug through "
          "(captures, proxies, wrapped standard I/O) and decodes them into one timeline, "
          "pairing every request with its answer.\n.SH COMMANDS\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs(".TP\n\\fB", out);
        roff_str(out, cmds[i].name);
        fputs("\\fR\n", out);
        roff_str(out, cmds[i].what);
        fputc('\n', out);
        if (cmds[i].usage) {
            fputs(".RS\n.nf\n", out);
            roff_str(out, cmds[i].usage);
            fputs(".fi\n.RE\n", out);
        }
    }
    fputs(".SH OPTIONS\nEvery command that produces a timeline takes these.\n", out);
    const char *section = NULL;
    for (const dt_cli_optdef *d = dt_cli_common_options; d->flag; d++) {
        if (!section || strcmp(section, d->section) != 0) {
            section = d->section;
            fputs(".SS ", out);
            roff_str(out, section);
            fputc('\n', out);
        }
        man_option(out, d->flag, d->alias, d->metavar, d->help);
    }
    dt_registry *reg = help_registry();
    fputs(".SS dissector options\nAlso as \\fB\\-\\-set\\fR \\fINAME\\fR=\\fIVALUE\\fR. "
          "A secret (a key, a password) can instead be read from a file with "
          "\\fIFLAG\\fB\\-file\\fR \\fIPATH\\fR or from the environment, so that it does not "
          "show in the process list.\n", out);
    for (size_t i = 0; reg && i < dt_registry_count(reg); i++)
        for (const dt_option_def *od = dt_registry_at(reg, i)->options; od && od->name; od++)
            if (od->flag)
                man_option(out, od->flag, NULL, od->metavar ? od->metavar : "VALUE", od->help);
    fputs(".SH ENVIRONMENT\n.TP\n.B DIAGTAP_PLUGIN_DIR\nwhere external dissector .so files are loaded from\n"
          ".TP\n.B NO_COLOR\nno colour on a terminal\n"
          ".TP\n.B DIAGTAP_RENDER_THREAD\n0: a replay renders its timeline on the decoding thread "
          "instead of a second one (same output; for measuring)\n", out);
    for (size_t i = 0; reg && i < dt_registry_count(reg); i++)
        for (const dt_option_def *od = dt_registry_at(reg, i)->options; od && od->name; od++)
            if (od->flags & DT_OPT_SECRET) {
                char env[128];
                env_name(od->name, env, sizeof env);
                fprintf(out, ".TP\n.B %s\n", env);
                roff_str(out, od->help);
                fputc('\n', out);
            }
    dt_registry_free(reg);
    fputs(".SH SEE ALSO\n\\fBwireshark\\fR(1), \\fBtshark\\fR(1), \\fBpcap\\-filter\\fR(7)\n", out);
    return ferror(out) ? -1 : 0;
}

/* Calls fn for each option a command's usage text lists ("  --raw-in FILE"). */
static void usage_flags(const char *usage, void (*fn)(FILE *, const char *, size_t, const char *), FILE *out)
{
    for (const char *p = usage; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *q = p;
        while (q < p + len && *q == ' ')
            q++;
        if (q > p && q < p + len && *q == '-') {
            /* "-D, --list-interfaces help": every name of the option */
            const char *names[2];
            size_t lens[2], nn = 0;
            const char *help = q;
            for (;;) {
                size_t f = strcspn(help, " ,=\n");
                names[nn] = help;
                lens[nn++] = f;
                help += f;
                if (nn < 2 && help + 2 < p + len && help[0] == ',' && help[1] == ' ' && help[2] == '-') {
                    help += 2;
                    continue;
                }
                break;
            }
            while (help < p + len && *help != ' ')
                help++;
            while (help < p + len && *help == ' ')
                help++;
            char h[160];
            snprintf(h, sizeof h, "%.*s", (int)(p + len - help), help);
            for (size_t k = 0; k < nn; k++) {
                char flag[64];
                snprintf(flag, sizeof flag, "%.*s", (int)lens[k], names[k]);
                fn(out, flag, strlen(flag), h);
            }
        }
        p += len + (eol ? 1 : 0);
    }
}

static void word(FILE *out, const char *flag, size_t n, const char *help)
{
    (void)help;
    fprintf(out, " %.*s", (int)n, flag);
}

/* zsh _arguments descriptions may not hold []: and quotes. */
static void zsh_text(FILE *out, const char *s)
{
    for (; *s; s++)
        if (!strchr("[]:'\\`$", *s))
            fputc(*s, out);
}

static void zsh_word(FILE *out, const char *flag, size_t n, const char *help)
{
    fprintf(out, "      '%.*s[", (int)n, flag);
    zsh_text(out, help);
    fputs("]'\n", out);
}

static void protos_words(FILE *out, dt_registry *reg)
{
    for (size_t i = 0; reg && i < dt_registry_count(reg); i++)
        fprintf(out, " %s", dt_registry_at(reg, i)->name);
}

static void value_spec_zsh(FILE *out, const dt_cli_optdef *d, dt_registry *reg)
{
    if (!d->metavar)
        return;
    fputc(':', out);
    zsh_text(out, d->metavar);
    fputc(':', out);
    if (d->complete == DT_CLI_COMPLETE_FILE)
        fputs("_files", out);
    else if (d->complete == DT_CLI_COMPLETE_CHOICES)
        fprintf(out, "(%s)", d->choices);
    else if (d->complete == DT_CLI_COMPLETE_PROTO) {
        fputc('(', out);
        protos_words(out, reg);
        fputc(')', out);
    }
}

int dt_cli_write_completion(FILE *out, const char *shell, const dt_cli_command_info *cmds, size_t n)
{
    dt_registry *reg = help_registry();
    if (strcmp(shell, "bash") == 0) {
        fputs("# bash completion for diagtap (generated by 'diagtap --completion bash')\n"
              "_diagtap() {\n"
              "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts\n"
              "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n        COMPREPLY=($(compgen -W \"", out);
        for (size_t i = 0; i < n; i++)
            fprintf(out, "%s%s", i ? " " : "", cmds[i].name);
        fputs(" --help --version\" -- \"$cur\"))\n        return\n    fi\n    case \"$prev\" in\n", out);
        for (const dt_cli_optdef *d = dt_cli_common_options; d->flag; d++) {
            if (!d->metavar)
                continue;
            fprintf(out, "    %s%s%s)\n        COMPREPLY=($(compgen ", d->flag, d->alias ? "|" : "",
                    d->alias ? d->alias : "");
            if (d->complete == DT_CLI_COMPLETE_FILE)
                fputs("-f", out);
            else if (d->complete == DT_CLI_COMPLETE_CHOICES)
                fprintf(out, "-W \"%s\"", d->choices);
            else if (d->complete == DT_CLI_COMPLETE_PROTO) {
                fputs("-W \"", out);
                protos_words(out, reg);
                fputc('"', out);
            } else
                fputs("-W \"\"", out);
            fputs(" -- \"$cur\"))\n        return ;;\n", out);
        }
        fputs("    esac\n    opts=\"", out);
        for (const dt_cli_optdef *d = dt_cli_common_options; d->flag; d++)
            fprintf(out, " %s%s%s", d->flag, d->alias ? " " : "", d->alias ? d->alias : "");
        for (size_t i = 0; reg && i < dt_registry_count(reg); i++)
            for (const dt_option_def *od = dt_registry_at(reg, i)->options; od && od->name; od++)
                if (od->flag) {
                    fprintf(out, " %s", od->flag);
                    if (od->flags & DT_OPT_SECRET)
                        fprintf(out, " %s-file", od->flag);
                }
        fputs("\"\n    case \"${COMP_WORDS[1]}\" in\n", out);
        for (size_t i = 0; i < n; i++) {
            if (!cmds[i].usage)
                continue;
            fprintf(out, "    %s) opts=\"$opts --help", cmds[i].name);
            usage_flags(cmds[i].usage, word, out);
            fputs("\" ;;\n", out);
        }
        fputs("    esac\n"
              "    if [[ \"$cur\" == -* ]]; then\n"
              "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
              "    else\n        COMPREPLY=($(compgen -f -- \"$cur\"))\n    fi\n"
              "}\ncomplete -o filenames -F _diagtap diagtap\n", out);
    } else if (strcmp(shell, "zsh") == 0) {
        fputs("#compdef diagtap\n# zsh completion for diagtap (generated by 'diagtap --completion zsh')\n"
              "_diagtap() {\n    local -a commands common\n    commands=(\n", out);
        for (size_t i = 0; i < n; i++) {
            fprintf(out, "      '%s:", cmds[i].name);
            zsh_text(out, cmds[i].what);
            fputs("'\n", out);
        }
        fputs("    )\n    if (( CURRENT == 2 )); then\n        _describe 'command' commands\n        return\n"
              "    fi\n    common=(\n", out);
        for (const dt_cli_optdef *d = dt_cli_common_options; d->flag; d++)
            for (int k = 0; k < 2; k++) {
                const char *f = k ? d->alias : d->flag;
                if (!f)
                    continue;
                fprintf(out, "      '%s[", f);
                zsh_text(out, d->help);
                fputc(']', out);
                value_spec_zsh(out, d, reg);
                fputs("'\n", out);
            }
        for (size_t i = 0; reg && i < dt_registry_count(reg); i++)
            for (const dt_option_def *od = dt_registry_at(reg, i)->options; od && od->name; od++) {
                if (!od->flag)
                    continue;
                fprintf(out, "      '%s[", od->flag);
                zsh_text(out, od->help);
                fputs("]:value:'\n", out);
                if (od->flags & DT_OPT_SECRET)
                    fprintf(out, "      '%s-file[the same, read from a file]:file:_files'\n", od->flag);
            }
        fputs("    )\n    case $words[2] in\n", out);
        for (size_t i = 0; i < n; i++) {
            if (!cmds[i].usage)
                continue;
            fprintf(out, "    %s) common+=(\n", cmds[i].name);
            usage_flags(cmds[i].usage, zsh_word, out);
            fputs("    ) ;;\n", out);
        }
        fputs("    esac\n    shift words\n    (( CURRENT-- ))\n    _arguments -s $common '*:file:_files'\n}\n"
              "_diagtap \"$@\"\n", out);
    } else {
        dt_registry_free(reg);
        fprintf(stderr, "diagtap: --completion takes bash or zsh, not '%s'\n", shell);
        return -1;
    }
    dt_registry_free(reg);
    return ferror(out) ? -1 : 0;
}
