/* diagtap session: several sources at once — live captures, proxies, one
 * wrapped command, files — on one I/O loop, decoded by one decoder thread
 * that merges them in time order, into one timeline and one recording. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/live.h"
#include "capture/netdec.h"
#include "capture/replay.h"
#include "cli/common.h"
#include "cli/commands.h"
#include "cli/proxy_setup.h"
#include "cli/session_spec.h"
#include "ipc/addr.h"
#include "ipc/decoder.h"
#include "ipc/io.h"
#include "ipc/proxy.h"
#include "ipc/wrap.h"

const char dt_session_usage[] =
    "usage: diagtap session [OPTIONS] SOURCE... [-- COMMAND [ARGS...]]\n"
    "       diagtap session [OPTIONS] -f SESSION.json\n"
    "Taps every SOURCE at once into one timeline, merged in time order, until\n"
    "Ctrl-C / SIGTERM (or the wrapped command ends, or --duration passes).\n"
    "Each SOURCE is one word [NAME@]KIND:SPEC; NAME@ names its channel:\n"
    "  capture:IFACE[:BPF]         live capture (e.g. capture:lo:tcp port 445)\n"
    "  unix:FRONT=TARGET           Unix-socket proxy\n"
    "  tcp:LISTEN=TARGET           TCP proxy (tcp:127.0.0.1:5679=127.0.0.1:5678)\n"
    "  dotnet:PID                  .NET diagnostic port proxy\n"
    "  pipe:FRONT=TARGET           named-pipe proxy (Windows build)\n"
    "  wrap:COMMAND ARGS           at most one: the command's stdio is relayed\n"
    "                              through diagtap's (words split as a shell\n"
    "                              would, no expansion); or 'wrap:' and the\n"
    "                              command after '--'\n"
    "  file:PATH                   a recording replayed alongside\n"
    "session:\n"
    "  -f FILE                     sources and options from a session file (JSON,\n"
    "                              docs/session.md); command-line words add to it\n"
    "  --reorder-window MS         hold events this long to merge sources in time\n"
    "                              order (default 200; 0: as they come)\n"
    "  --duration S                stop after S seconds\n"
    "  -d PROTO                    decode proxied and wrapped streams as PROTO\n";

#define DEFAULT_WINDOW_MS 200.0

/* What feed calls that carry no bytes point at (never NULL: it is copied). */
static const uint8_t no_payload[1];

typedef struct session session;

/* One live capture: its handle, channel and feed. */
typedef struct cap_src {
    session *ss;
    dt_live *live;
    const char *iface;
    const dt_channel *ch;
    int linktype;
    dt_feed *feed;
    dt_io_watch *watch;
    uint64_t count, refused;
    uint8_t *scratch; /* origlen + packet, for the feed */
    size_t scratch_size;
} cap_src;

/* One file replayed alongside. */
typedef struct file_src {
    session *ss;
    const char *path, *channel;
    dt_replay *rp;
    int failed;
} file_src;

struct session {
    dt_io *io;
    dt_cli_run run;
    dt_netdec *nd;
    dt_wrap *wrap;
    int wrap_status;
    bool wrap_done;
    cap_src caps[DT_SESSION_MAX_SOURCES];
    int n_caps;
    proxy_setup *pxs[DT_SESSION_MAX_SOURCES];
    dt_proxy *proxies[DT_SESSION_MAX_SOURCES];
    int n_proxies;
    file_src files[DT_SESSION_MAX_SOURCES];
    int n_files;
    dt_io_timer *tick, *deadline;
    dt_feed *tick_feed;
};

/* ---- Decoder-thread side: what the feeds' calls run ----------------------- */

static void decode_packet(dt_engine *eng, void *ctx, uint64_t ts, const uint8_t *data, size_t len)
{
    (void)eng;
    cap_src *c = ctx;
    uint32_t origlen;
    if (len < sizeof origlen)
        return;
    memcpy(&origlen, data, sizeof origlen);
    dt_netdec_packet(c->ss->nd, c->ch, c->linktype, ts, data + sizeof origlen, len - sizeof origlen, origlen, 0);
}

static void decode_tick(dt_engine *eng, void *ctx, uint64_t ts, const uint8_t *data, size_t len)
{
    (void)eng;
    (void)data;
    (void)len;
    dt_netdec_tick(((session *)ctx)->nd, ts);
}

static void decode_file(dt_engine *eng, void *ctx, uint64_t ts, const uint8_t *data, size_t len)
{
    (void)ts;
    (void)data;
    (void)len;
    file_src *f = ctx;
    dt_replay_opts ro = { .errors = stderr, .channel = f->channel };
    f->rp = dt_replay_new(eng, f->ss->run.reg, &ro);
    if (!f->rp) {
        dt_engine_note(eng, NULL, 0, DT_EV_ERROR, "%s: out of memory", f->path);
        f->failed = 1;
        return;
    }
    char *paths[1] = { (char *)f->path };
    f->failed = dt_replay_files(f->rp, paths, 1) < 0;
    dt_replay_finish(f->rp);
}

/* ---- Loop side ---------------------------------------------------------------------- */

static void on_packet(void *ctx, uint64_t ts, const uint8_t *data, size_t caplen, size_t origlen)
{
    cap_src *c = ctx;
    c->count++;
    size_t need = caplen + sizeof(uint32_t);
    if (need > c->scratch_size) {
        uint8_t *g = realloc(c->scratch, need);
        if (!g) {
            c->refused++;
            return;
        }
        c->scratch = g;
        c->scratch_size = need;
    }
    uint32_t ol = (uint32_t)origlen;
    memcpy(c->scratch, &ol, sizeof ol);
    memcpy(c->scratch + sizeof ol, data, caplen);
    /* may drop: a flooded capture must not take the room other sources need */
    if (!dt_feed_call(c->feed, decode_packet, c, ts, c->scratch, need, true))
        c->refused++;
}

static void dispatch(cap_src *c)
{
    char err[512];
    if (dt_live_dispatch(c->live, 0, on_packet, c, err, sizeof err) < 0) {
        fprintf(stderr, "diagtap: capture %s: %s\n", c->iface, err);
        dt_io_watch_free(c->watch);
        c->watch = NULL;
    }
}

static void on_capture_ready(void *ctx, dt_io_watch *w, unsigned ready)
{
    (void)w;
    (void)ready;
    dispatch(ctx);
}

static void on_tick(void *ctx, dt_io_timer *t)
{
    (void)t;
    session *ss = ctx;
    /* libpcap may hold packets without the descriptor becoming readable */
    for (int i = 0; i < ss->n_caps; i++)
        if (ss->caps[i].watch)
            dispatch(&ss->caps[i]);
    if (ss->nd)
        dt_feed_call(ss->tick_feed, decode_tick, ss, dt_io_now_ns(), no_payload, 0, true);
}

static void on_deadline(void *ctx, dt_io_timer *t)
{
    (void)t;
    dt_io_stop(((session *)ctx)->io);
}

static void on_stop(void *ctx, int sig)
{
    session *ss = ctx;
    if (ss->wrap && !ss->wrap_done)
        dt_wrap_signal(ss->wrap, sig);
    dt_io_stop(ss->io);
}

static void on_wrap_done(void *ctx, dt_wrap *w, int status)
{
    (void)w;
    session *ss = ctx;
    ss->wrap_done = true;
    ss->wrap_status = status;
    dt_io_stop(ss->io); /* the debug session it carried is over */
}

/* Options from a session file, then the command line's. */
static int parse_args(int argc, char **argv, dt_session_spec *spec, dt_cli_opts *o, double *window_ms,
                      double *duration)
{
    char err[640];
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0 only finds -f, so that the file's options come first */
        for (int i = 1; i < argc; i++) {
            const char *a = argv[i];
            if (strcmp(a, "--") == 0) {
                if (pass == 1 && dt_session_set_wrap_argv(spec, argv + i + 1, argc - i - 1, err, sizeof err) < 0) {
                    fprintf(stderr, "diagtap session: %s\n", err);
                    return -1;
                }
                break;
            }
            if (strcmp(a, "-f") == 0 || strcmp(a, "--reorder-window") == 0 || strcmp(a, "--duration") == 0) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "diagtap session: option '%s' needs a value\n", a);
                    return -1;
                }
                const char *v = argv[++i];
                if (pass == 0 && a[1] == 'f') {
                    if (dt_session_load_file(spec, v, err, sizeof err) < 0) {
                        fprintf(stderr, "diagtap session: %s\n", err);
                        return -1;
                    }
                    for (int k = 0; k < spec->n_opt_words; k++) {
                        int r = dt_cli_common_arg(o, spec->n_opt_words, spec->opt_words, &k);
                        if (r <= 0) {
                            if (r == 0)
                                fprintf(stderr, "diagtap session: %s: option '%s' is not one of diagtap's\n", v,
                                        spec->opt_words[k]);
                            return -1;
                        }
                    }
                    if (spec->reorder_ms >= 0)
                        *window_ms = spec->reorder_ms;
                    if (spec->duration > 0)
                        *duration = spec->duration;
                } else if (pass == 1 && strcmp(a, "--reorder-window") == 0) {
                    if (!dt_cli_parse_number(a, v, window_ms))
                        return -1;
                } else if (pass == 1 && strcmp(a, "--duration") == 0) {
                    if (!dt_cli_parse_number(a, v, duration))
                        return -1;
                }
                continue;
            }
            if (pass == 0)
                continue;
            if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                fputs(dt_session_usage, stdout);
                dt_cli_print_common_help(stdout);
                return 1;
            }
            if (a[0] == '-' && a[1]) {
                int r = dt_cli_common_arg(o, argc, argv, &i);
                if (r < 0)
                    return -1;
                if (r == 0) {
                    fprintf(stderr, "diagtap session: unknown option %s (see 'diagtap session --help')\n", a);
                    return -1;
                }
                continue;
            }
            if (dt_session_add_word(spec, a, err, sizeof err) < 0) {
                fprintf(stderr, "diagtap session: %s\n", err);
                return -1;
            }
        }
    }
    if (dt_session_check(spec, err, sizeof err) < 0) {
        fprintf(stderr, "diagtap session: %s\n", err);
        return -1;
    }
    return 0;
}

/* Opens what can fail before anything runs: captures and listeners, so a
 * mistake in the fifth source is said before the first one taps anything. */
static int open_sources(session *ss, dt_session_spec *spec)
{
    for (int i = 0; i < spec->n; i++) {
        dt_session_source *s = &spec->src[i];
        char err[640];
        switch (s->kind) {
        case DT_SRC_CAPTURE: {
            cap_src *c = &ss->caps[ss->n_caps];
            c->ss = ss;
            c->iface = s->a;
            c->live = dt_live_open(s->a, s->b, 0, 0, err, sizeof err);
            if (!c->live) {
                fprintf(stderr, "diagtap session: %s: %s\n", s->word, err);
                return -1;
            }
            ss->n_caps++;
            break;
        }
        case DT_SRC_UNIX:
        case DT_SRC_TCP:
        case DT_SRC_DOTNET: {
            proxy_setup *ps = calloc(1, sizeof *ps);
            if (!ps) {
                fprintf(stderr, "diagtap: out of memory\n");
                return -1;
            }
            ps->listen_fd = -1;
            ps->who = s->word;
            ss->pxs[ss->n_proxies++] = ps;
            int r = s->kind == DT_SRC_UNIX  ? dt_proxy_setup_unix(ps, s->a, s->b)
                    : s->kind == DT_SRC_TCP ? dt_proxy_setup_tcp(ps, s->a, s->b)
                                            : dt_proxy_setup_dotnet(ps, s->a);
            if (r < 0)
                return -1;
            fprintf(stderr, "diagtap session: %s: listening on %s, relaying to %s\n", s->word, ps->listen_name,
                    ps->target_name);
            if (s->name)
                snprintf(ps->prefix, sizeof ps->prefix, "%s", s->name);
            ps->spec.target_name = ps->target_name;
            ps->spec.target.name = ps->target_name;
            ps->spec.chan_prefix = ps->prefix;
            break;
        }
        case DT_SRC_PIPE:
#ifndef _WIN32
            fprintf(stderr, "diagtap session: %s: named pipes need the Windows build of diagtap\n", s->word);
            return -1;
#else
            fprintf(stderr, "diagtap session: %s: pipe sources are not in this build yet\n", s->word);
            return -1;
#endif
        case DT_SRC_FILE:
            if (access(s->a, R_OK) != 0) {
                fprintf(stderr, "diagtap session: %s: %s\n", s->word, strerror(errno));
                return -1;
            }
            ss->files[ss->n_files++] = (file_src){ .ss = ss, .path = s->a, .channel = s->name };
            break;
        case DT_SRC_WRAP:
            break;
        }
    }
    return 0;
}

static int start_sources(session *ss, dt_session_spec *spec, dt_decoder *dec, const char *force)
{
    char err[512];
    int ci = 0, pi = 0;
    for (int i = 0; i < spec->n; i++) {
        dt_session_source *s = &spec->src[i];
        if (s->kind == DT_SRC_CAPTURE) {
            cap_src *c = &ss->caps[ci++];
            c->feed = dt_decoder_feed(dec, ss->io, s->name ? s->name : s->a, 0);
            c->watch = c->feed ? dt_io_watch_new(ss->io, dt_live_fd(c->live), DT_IO_IN, on_capture_ready, c, err,
                                                 sizeof err)
                               : NULL;
            if (!c->watch) {
                fprintf(stderr, "diagtap session: %s: %s\n", s->word, c->feed ? err : "out of memory");
                return -1;
            }
        } else if (s->kind == DT_SRC_UNIX || s->kind == DT_SRC_TCP || s->kind == DT_SRC_DOTNET) {
            proxy_setup *ps = ss->pxs[pi];
            ps->spec.dissector = force;
            if (!force && s->kind == DT_SRC_DOTNET && dt_registry_find(ss->run.reg, "dotnet_ipc"))
                ps->spec.dissector = "dotnet_ipc";
            dt_feed *feed = dt_decoder_feed(dec, ss->io, ps->prefix, 0);
            dt_proxy *px = feed ? dt_proxy_new(ss->io, feed, &ps->spec) : NULL;
            ss->proxies[pi++] = px;
            if (!px || dt_proxy_listen(px, ps->listen_fd, err, sizeof err) < 0) {
                fprintf(stderr, "diagtap session: %s: %s\n", s->word, px ? err : "out of memory");
                return -1;
            }
        } else if (s->kind == DT_SRC_WRAP) {
            dt_feed *feed = dt_decoder_feed(dec, ss->io, s->name ? s->name : "wrap", 0);
            ss->wrap_status = 1;
            ss->wrap = feed ? dt_wrap_start_named(ss->io, feed, s->argv, force, s->name, on_wrap_done, ss,
                                                  &ss->wrap_status)
                            : NULL;
            if (!ss->wrap)
                return -1;
        }
    }
    for (int i = 0; i < ss->n_files; i++) {
        /* read whole at the start, on the decoder thread; a file's events
         * carry the times it recorded, so they sort before live ones */
        dt_feed *feed = dt_decoder_feed(dec, ss->io, ss->files[i].path, 0);
        if (!feed || !dt_feed_call(feed, decode_file, &ss->files[i], 0, no_payload, 0, false)) {
            fprintf(stderr, "diagtap session: %s: out of memory\n", ss->files[i].path);
            return -1;
        }
    }
    return 0;
}

int dt_cmd_session(int argc, char **argv)
{
    dt_cli_opts opts;
    dt_cli_opts_init(&opts);
    opts.live = true;
    dt_session_spec spec;
    dt_session_spec_init(&spec);
    double window_ms = DEFAULT_WINDOW_MS, duration = 0;
    int pr = parse_args(argc, argv, &spec, &opts, &window_ms, &duration);
    if (pr != 0) {
        dt_session_spec_free(&spec);
        return pr > 0 ? 0 : 2;
    }
    bool has_wrap = false;
    for (int i = 0; i < spec.n; i++)
        has_wrap |= spec.src[i].kind == DT_SRC_WRAP;
    if (has_wrap && !opts.output_path)
        opts.timeline_to_stderr = true; /* stdout is the wrapped command's */

    session *ss = calloc(1, sizeof *ss);
    if (!ss) {
        fprintf(stderr, "diagtap: out of memory\n");
        dt_session_spec_free(&spec);
        return 1;
    }
    char err[512];
    int rc = 1;
    bool run_started = false;
    dt_decoder *dec = NULL;
    ss->io = dt_io_new(err, sizeof err);
    if (!ss->io || dt_io_on_stop_signal(ss->io, on_stop, ss, err, sizeof err) < 0) {
        fprintf(stderr, "diagtap: %s\n", err);
        goto out;
    }
    /* a forced dissector is checked before anything listens */
    const char *forced = dt_cli_forced_proto(&opts);
    if (forced) {
        dt_registry *reg = dt_cli_registry(&opts);
        int bad = !reg || dt_cli_check_forced(reg, forced, "the byte streams of proxied and wrapped sources") != 0;
        dt_registry_free(reg);
        if (bad) {
            rc = 2;
            goto out;
        }
    }
    if (open_sources(ss, &spec) < 0) {
        rc = 2;
        goto out;
    }
    if (dt_cli_run_start(&ss->run, &opts) < 0)
        goto out;
    run_started = true;
    const char *force = dt_cli_forced_proto(&opts);
    if (force && dt_cli_check_forced(ss->run.reg, force, "the byte streams of proxied and wrapped sources") != 0)
        goto out;
    for (int i = 0, ci = 0; i < spec.n; i++) {
        if (spec.src[i].kind != DT_SRC_CAPTURE)
            continue;
        cap_src *c = &ss->caps[ci++];
        c->linktype = dt_live_linktype(c->live);
        c->ch = dt_engine_channel(ss->run.eng, spec.src[i].name ? spec.src[i].name : c->iface,
                                  dt_live_description(c->live), c->linktype);
        if (!c->ch)
            goto out;
    }
    if (ss->n_caps && !(ss->nd = dt_netdec_new(ss->run.eng, ss->run.reg, NULL)))
        goto out;

    /* From here until dt_decoder_stop the engine belongs to the decoder
     * thread; this thread only relays and captures. */
    dec = dt_decoder_start_merged(ss->run.eng, (uint64_t)(window_ms * 1e6), err, sizeof err);
    if (!dec) {
        fprintf(stderr, "diagtap: %s\n", err);
        goto out;
    }
    ss->tick_feed = dt_decoder_feed(dec, ss->io, "session", 64u * 1024u);
    ss->tick = dt_io_timer_new(ss->io, on_tick, ss);
    if (!ss->tick_feed || !ss->tick) {
        fprintf(stderr, "diagtap: out of memory\n");
        goto stop;
    }
    dt_io_timer_start(ss->tick, 1000, 1000);
    if (duration > 0) {
        ss->deadline = dt_io_timer_new(ss->io, on_deadline, ss);
        if (ss->deadline)
            dt_io_timer_start(ss->deadline, (uint64_t)(duration * 1000), 0);
    }
    if (start_sources(ss, &spec, dec, force) == 0) {
        fprintf(stderr, "diagtap session: %d source%s tapped, reorder window %.0f ms\n", spec.n, spec.n == 1 ? "" : "s",
                window_ms);
        dt_io_set_busy_poll(ss->io, opts.busy_poll_us);
        rc = dt_io_run(ss->io) < 0 ? 1 : 0;
        if (rc)
            fprintf(stderr, "diagtap: %s\n", dt_io_error(ss->io));
    }
stop:
    /* Nobody may connect to a proxy that is gone. */
    for (int i = 0; i < ss->n_proxies; i++) {
        if (ss->pxs[i]->listen_path[0])
            dt_unlink_listener(ss->pxs[i]->listen_path, &ss->pxs[i]->made);
        dt_proxy_free(ss->proxies[i]);
        ss->proxies[i] = NULL;
    }
    if (ss->wrap) {
        int st = dt_wrap_free(ss->wrap);
        if (!ss->wrap_done)
            ss->wrap_status = st;
        ss->wrap = NULL;
    }
    for (int i = 0; i < ss->n_caps; i++) {
        dt_io_watch_free(ss->caps[i].watch);
        ss->caps[i].watch = NULL;
    }
    dt_io_timer_free(ss->tick);
    dt_io_timer_free(ss->deadline);
    ss->tick = ss->deadline = NULL;
    dt_decoder_interrupt(dec, dt_io_stop_signal(ss->io));
    dt_decoder_stop(dec);
    /* the engine is ours again */
    for (int i = 0; i < ss->n_caps; i++)
        if (ss->caps[i].refused)
            dt_engine_note(ss->run.eng, NULL, dt_engine_last_ts(ss->run.eng), DT_EV_ERROR,
                           "%s: %llu captured packets not decoded nor recorded: the decoder was behind",
                           ss->caps[i].iface, (unsigned long long)ss->caps[i].refused);
    for (int i = 0; i < ss->n_files; i++)
        if (ss->files[i].failed)
            rc = 1;
    if (ss->nd)
        dt_netdec_finish(ss->nd, dt_engine_last_ts(ss->run.eng));
out:
    if (run_started && dt_cli_run_finish(&ss->run, dt_now_ns()) < 0)
        rc = 1;
    dt_netdec_free(ss->nd);
    for (int i = 0; i < ss->n_files; i++)
        dt_replay_free(ss->files[i].rp);
    for (int i = 0; i < ss->n_caps; i++) {
        uint64_t received = 0, dropped = 0;
        dt_live_stats(ss->caps[i].live, &received, &dropped);
        if (run_started)
            fprintf(stderr, "diagtap: %llu packets captured on %s, %llu dropped by the kernel\n",
                    (unsigned long long)ss->caps[i].count, ss->caps[i].iface, (unsigned long long)dropped);
        dt_live_close(ss->caps[i].live);
        free(ss->caps[i].scratch);
    }
    for (int i = 0; i < ss->n_proxies; i++) {
        if (ss->pxs[i]->listen_fd >= 0) {
            if (ss->pxs[i]->listen_path[0]) /* removed only if still the one made */
                dt_unlink_listener(ss->pxs[i]->listen_path, &ss->pxs[i]->made);
            close(ss->pxs[i]->listen_fd);
        }
        free(ss->pxs[i]);
    }
    if (ss->io)
        dt_io_free(ss->io);
    if (has_wrap && rc == 0)
        rc = ss->wrap_status;
    free(ss);
    dt_session_spec_free(&spec);
    return rc;
}
