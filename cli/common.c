/* Options every subcommand shares, and setting up the run they describe. */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/safe_file.h"
#include "core/sink.h"
#include "options.h"

#ifndef DIAGTAP_PLUGINDIR
#define DIAGTAP_PLUGINDIR "/usr/local/lib/diagtap/plugins"
#endif

void dt_cli_opts_init(dt_cli_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = "text";
    o->color = -1;
    o->busy_poll_us = DT_CLI_BUSY_POLL_US;
}

const char *dt_cli_forced_proto(const dt_cli_opts *o)
{
    for (int i = 0; i < o->n_decode_as; i++)
        if (!strchr(o->decode_as[i], '='))
            return o->decode_as[i];
    return NULL;
}

int dt_cli_check_forced(const dt_registry *reg, const char *name, const char *what)
{
    const dt_dissector *d = dt_registry_find(reg, name);
    if (!d) {
        fprintf(stderr, "diagtap: -d %s: no such dissector (see 'diagtap dissectors')\n", name);
        return -1;
    }
    if (!(d->transports & DT_TRANSPORT_STREAM) || !d->frame) {
        fprintf(stderr, "diagtap: -d %s: %s decodes %s only, not %s\n", name, d->name,
                dt_transports_text(d->transports), what);
        return -1;
    }
    return 0;
}

dt_registry *dt_cli_registry(const dt_cli_opts *o)
{
    dt_registry *reg = dt_registry_new();
    if (!reg || dt_registry_add_builtins(reg) != 0) {
        fprintf(stderr, "diagtap: cannot register the built-in dissectors\n");
        dt_registry_free(reg);
        return NULL;
    }
    const char *dir = o->plugin_dir ? o->plugin_dir : getenv("DIAGTAP_PLUGIN_DIR");
    if (!dir)
        dir = DIAGTAP_PLUGINDIR;
    char err[512] = "";
    if (dt_registry_load_plugins(reg, dir, err, sizeof err) < 0 || err[0])
        fprintf(stderr, "diagtap: %s\n", err[0] ? err : "cannot load plugins");
    return reg;
}

/* A replay's timeline is turned into text on a second core while the next
 * packets are decoded (docs/performance.md); without a thread, in line. */
static dt_sink *render_sink(const dt_cli_opts *o, dt_sink *s, bool with_raw)
{
    dt_sink *a = s && o->render_thread ? dt_async_sink_new(s, with_raw) : NULL;
    return a ? a : s;
}

static bool add_sink(dt_cli_run *r, dt_sink *s)
{
    if (!s)
        return false;
    r->sinks[r->n_sinks++] = s;
    dt_engine_add_sink(r->eng, s);
    return true;
}

int dt_cli_run_start(dt_cli_run *r, const dt_cli_opts *o)
{
    memset(r, 0, sizeof *r);
    char err[512];
    r->reg = dt_cli_registry(o);
    if (!r->reg)
        return -1;
    r->eng = dt_engine_new(r->reg);
    if (!r->eng) {
        fprintf(stderr, "diagtap: out of memory\n");
        goto fail;
    }
    dt_engine_set_show_credentials(r->eng, o->show_credentials);
    for (int i = 0; i < o->n_decode_as; i++) {
        if (!strchr(o->decode_as[i], '='))
            continue; /* -d PROTO: a proxy's forced dissector */
        if (dt_engine_decode_as(r->eng, o->decode_as[i], err, sizeof err) != 0) {
            fprintf(stderr, "diagtap: %s\n", err);
            goto fail;
        }
    }
    for (int i = 0; i < o->n_set; i++) {
        char name[128];
        const char *eq = strchr(o->set[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - o->set[i]), o->set[i]);
        dt_engine_set_option(r->eng, name, eq + 1);
    }
    if (dt_cli_apply_dissector_options(o, r->reg, r->eng) != 0)
        goto fail;
    if (dt_engine_check_options(r->eng, err, sizeof err) != 0) {
        fprintf(stderr, "diagtap: %s\n", err);
        goto fail;
    }

    if (o->grep || o->protos || o->from || o->to || o->display_filter) {
        r->filter = dt_filter_new();
        if (!r->filter)
            goto fail;
        if (o->grep && dt_filter_set_grep(r->filter, o->grep, err, sizeof err) != 0) {
            fprintf(stderr, "diagtap: --grep: %s\n", err);
            goto fail;
        }
        if (o->display_filter) {
            char derr[4096]; /* three lines: what, the expression, the caret */
            if (dt_filter_set_display(r->filter, o->display_filter, r->reg, derr, sizeof derr) != 0) {
                fprintf(stderr, "diagtap: -Y: %s\n", derr);
                goto fail;
            }
            dt_filter_set_pair_partner(r->filter, !o->no_pair_partner);
        }
        if (o->protos && dt_filter_set_protos(r->filter, o->protos, err, sizeof err) != 0) {
            fprintf(stderr, "diagtap: --proto: %s\n", err);
            goto fail;
        }
        if ((o->from || o->to) && dt_filter_set_time(r->filter, o->from, o->to, err, sizeof err) != 0) {
            fprintf(stderr, "diagtap: --from/--to: %s\n", err);
            goto fail;
        }
        dt_engine_set_filter(r->eng, r->filter);
    }

    r->out = o->timeline_to_stderr ? stderr : stdout;
    if (o->output_path) {
        r->out = dt_safe_fopen(o->output_path, err, sizeof err); /* no symlinks, 0600 */
        if (!r->out) {
            fprintf(stderr, "diagtap: %s\n", err);
            goto fail;
        }
        r->close_out = true;
    }
    if (o->write_path) {
        dt_sink *w = dt_pcapng_sink_new(o->write_path, err, sizeof err);
        if (!w) {
            fprintf(stderr, "diagtap: %s\n", err);
            goto fail;
        }
        add_sink(r, w);
    }
    if (o->quiet) {
        /* no timeline: only the recording and/or the statistics */
    } else if (strcmp(o->format, "json") == 0) {
        dt_sink *js = dt_json_sink_new(r->out);
        if (js)
            dt_json_sink_set_raw(js, o->verbose);
        add_sink(r, render_sink(o, js, o->verbose));
    } else if (strcmp(o->format, "html") == 0) {
        const char *title = o->output_path ? strrchr(o->output_path, '/') : NULL;
        add_sink(r, dt_html_sink_new(r->out, title ? title + 1 : o->output_path));
    } else if (strcmp(o->format, "mermaid") == 0) {
        size_t n = o->output_path ? strlen(o->output_path) : 0;
        add_sink(r, dt_mermaid_sink_new(r->out, n > 3 && !strcmp(o->output_path + n - 3, ".md"), 0));
    } else {
        dt_text_opts to = { .verbose = o->verbose, .hex = o->hex };
        to.color = o->color >= 0 ? o->color == 1 : (isatty(fileno(r->out)) && !getenv("NO_COLOR"));
        add_sink(r, render_sink(o, dt_text_sink_new(r->out, &to), o->hex));
    }
    bool ch_failed;
    dt_sink *ch = dt_cli_ch_sink(&o->ch, &ch_failed);
    if (ch_failed)
        goto fail;
    if (ch)
        add_sink(r, ch);
    if (o->stats) /* a table inside JSON Lines, HTML or a diagram would break it: stderr then */
        add_sink(r, dt_stats_sink_new(strcmp(o->format, "text") != 0 && !o->quiet ? stderr : r->out));
    if (o->live)  /* a proxy's timeline read through a pipe must not wait for 4 KiB */
        setvbuf(r->out, NULL, _IOLBF, 0);
    else if (r->out != stderr && !isatty(fileno(r->out)) && (r->out_buf = malloc(DT_CLI_OUT_BUF)) != NULL)
        /* a timeline to a file or pipe: one write(2) per 256 KiB, not per
         * 4 KiB (glibc ignores a size without a buffer); a terminal stays
         * line-buffered */
        setvbuf(r->out, r->out_buf, _IOFBF, DT_CLI_OUT_BUF);
    return 0;
fail:
    dt_cli_run_finish(r, 0);
    return -1;
}

int dt_cli_run_finish(dt_cli_run *r, uint64_t end_ts_ns)
{
    int rc = 0;
    if (r->eng) {
        rc = dt_engine_finish(r->eng, end_ts_ns);
        const char *fault = dt_engine_input_fault(r->eng);
        if (fault) { /* a .nettrace or raw dump that ends mid-message is a damaged input */
            fprintf(stderr, "diagtap: %s\n", fault);
            rc = -1;
        }
        dt_engine_free(r->eng);
    }
    for (int i = 0; i < r->n_sinks; i++)
        if (r->sinks[i]->destroy)
            r->sinks[i]->destroy(r->sinks[i]);
    dt_filter_free(r->filter);
    dt_registry_free(r->reg);
    if (r->out && fflush(r->out) != 0)
        rc = -1;
    if (r->close_out) { /* fclose frees the FILE: nothing may touch r->out after it */
        if (fclose(r->out) != 0)
            rc = -1;
    } else if (r->out && r->out_buf) {
        setvbuf(r->out, NULL, _IONBF, 0); /* stdout lives on: off our buffer before it is freed */
    }
    free(r->out_buf);
    memset(r, 0, sizeof *r);
    return rc;
}

uint64_t dt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool dt_cli_parse_number(const char *opt, const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || d < 0) {
        fprintf(stderr, "diagtap: %s takes a non-negative number, not '%s'\n", opt, v);
        return false;
    }
    *out = d;
    return true;
}

int dt_cli_command_args(dt_cli_opts *o, int argc, char **argv, const char *cmd, const char *usage, const char **pos,
                        int max)
{
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            dt_cli_print_common_help(stdout);
            return DT_CLI_ARGS_HELP;
        }
        if (a[0] == '-' && a[1]) {
            int r = dt_cli_common_arg(o, argc, argv, &i);
            if (r < 0)
                return DT_CLI_ARGS_BAD;
            if (r == 0) {
                fprintf(stderr, "diagtap %s: unknown option %s\n%s", cmd, a, usage);
                return DT_CLI_ARGS_BAD;
            }
            continue;
        }
        if (npos == max) {
            fprintf(stderr, "diagtap %s: unexpected argument %s\n%s", cmd, a, usage);
            return DT_CLI_ARGS_BAD;
        }
        pos[npos++] = a;
    }
    return npos;
}
