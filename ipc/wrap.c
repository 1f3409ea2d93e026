/* The stdio wrapper of wrap.h, on the I/O layer: no system call here. */
#include "wrap.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define WRAP_BUF (256u * 1024u)
#define ERR_BUF (64u * 1024u)
#define LINE_MAX_SHOWN 1024
#define DRAIN_MS 2000 /* after exit, wait this long for inherited pipes */

/* One relayed stream: read from src into ring, write from ring to dst. */
typedef struct flow {
    dt_wrap *w;
    dt_io_stream *src, *dst;
    dt_ring ring;
    bool src_eof;   /* nothing more will come */
    bool dst_dead;  /* dst no longer takes bytes; they are dropped */
    bool done;      /* fully relayed and dst closed or left */
    int dir;        /* DT_DIR_* for stdin/stdout, -1 for stderr */
    bool close_dst; /* close dst at the end (the child's stdin) */
} flow;

struct dt_wrap {
    dt_io *io;
    dt_feed *feed;
    dt_feed_conv *fc;
    dt_io_child *child;
    flow in, out, err;
    bool exited;
    dt_io_exit how;
    dt_io_timer *drain;
    dt_wrap_done_cb done;
    void *ctx;
    bool reported;
    char server[256];
    char line[LINE_MAX_SHOWN];
    size_t line_len;
};

static int exit_status(dt_io_exit how)
{
    if (how.code >= 0)
        return how.code;
    return how.signal ? 128 + how.signal : 1;
}

static void emit_line(dt_wrap *w)
{
    size_t n = w->line_len;
    if (n && w->line[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)w->line[i];
        if (ch < 0x20 && ch != '\t')
            w->line[i] = '.';
    }
    dt_feed_note(w->feed, w->fc, dt_io_now_ns(), DT_EV_NOTE, "stderr: %.*s", (int)n, w->line);
    w->line_len = 0;
}

static void stderr_lines(dt_wrap *w, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            emit_line(w);
            continue;
        }
        w->line[w->line_len++] = (char)p[i];
        if (w->line_len == sizeof w->line)
            emit_line(w); /* a very long line is shown in pieces */
    }
}

static void check_done(dt_wrap *w)
{
    if (w->reported || !w->exited || !w->out.done || !w->err.done)
        return;
    w->reported = true;
    dt_io_timer_stop(w->drain);
    if (w->done)
        w->done(w->ctx, w, exit_status(w->how));
}

static void flow_arm(flow *f)
{
    if (f->done)
        return;
    if (f->src && !f->src_eof && !dt_io_reading(f->src)) {
        uint8_t *p;
        size_t n = dt_ring_space(&f->ring, &p);
        if (n)
            dt_io_read(f->src, p, n);
    }
    if (f->dst && !f->dst_dead && !dt_ring_empty(&f->ring) && !dt_io_writing(f->dst)) {
        const uint8_t *a, *b;
        size_t na, nb;
        dt_ring_held(&f->ring, &a, &na, &b, &nb);
        dt_io_write(f->dst, a, na, b, nb);
    }
}

static void flow_finish_if_done(flow *f)
{
    if (f->done || !f->src_eof)
        return;
    if (!f->dst_dead && (!dt_ring_empty(&f->ring) || (f->dst && dt_io_writing(f->dst))))
        return;
    f->done = true;
    dt_wrap *w = f->w;
    if (f->dir >= 0)
        dt_feed_end(w->feed, w->fc, (dt_dir)f->dir, dt_io_now_ns());
    else if (w->line_len)
        emit_line(w);
    if (f->close_dst && f->dst) /* the child sees the end of its input */
        dt_io_shutdown_write(f->dst);
    check_done(w);
}

static void on_read(void *ctx, dt_io_stream *s, uint8_t *data, size_t n, unsigned flags, int err)
{
    (void)s;
    flow *f = ctx;
    if (err || (flags & DT_IO_EOF)) {
        f->src_eof = true;
    } else {
        dt_ring_produced(&f->ring, n);
        if (f->dir >= 0)
            dt_feed_stream(f->w->feed, f->w->fc, (dt_dir)f->dir, dt_io_now_ns(), data, n);
        else
            stderr_lines(f->w, data, n);
        if (f->dst_dead) /* still decoded, but nobody to give it to */
            dt_ring_clear(&f->ring);
    }
    flow_arm(f);
    flow_finish_if_done(f);
}

static void on_write(void *ctx, dt_io_stream *s, size_t n, int err)
{
    (void)s;
    flow *f = ctx;
    dt_ring_consumed(&f->ring, n, !(f->src && dt_io_reading(f->src)));
    if (err) {
        f->dst_dead = true;
        dt_wrap *w = f->w;
        dt_feed_note(w->feed, w->fc, dt_io_now_ns(), DT_EV_ERROR, "%s: %s; %zu byte%s not delivered",
                     f->dir == DT_DIR_C2S   ? "command's stdin closed"
                     : f->dir == DT_DIR_S2C ? "stdout closed"
                                            : "stderr closed",
                     strerror(err), f->ring.len, f->ring.len == 1 ? "" : "s");
        dt_ring_clear(&f->ring);
        if (f->dir == DT_DIR_S2C && f->src) { /* the command gets SIGPIPE, as without diagtap */
            dt_io_close(f->src, false);
            f->src = NULL;
            f->src_eof = true;
        }
    }
    flow_arm(f);
    flow_finish_if_done(f);
}

static const dt_io_stream_cbs flow_cbs = { on_read, on_write };

static void on_drain_timeout(void *ctx, dt_io_timer *t)
{
    (void)t;
    dt_wrap *w = ctx;
    if (w->reported)
        return;
    dt_feed_note(w->feed, w->fc, dt_io_now_ns(), DT_EV_NOTE,
                 "stopped relaying: %s exited but its output is still held open", w->server);
    w->reported = true;
    if (w->done)
        w->done(w->ctx, w, exit_status(w->how));
}

static void child_exited(void *ctx, dt_io_child *ch, dt_io_exit how)
{
    (void)ch;
    dt_wrap *w = ctx;
    w->exited = true;
    w->how = how;
    flow *in = &w->in;
    if (!in->done) { /* nobody will read the rest of our stdin */
        in->src_eof = true;
        in->dst_dead = true;
        dt_ring_clear(&in->ring);
        if (in->src && dt_io_reading(in->src)) {
            dt_io_close(in->src, false); /* the read in flight is cancelled with it */
            in->src = NULL;
        }
        if (!(in->dst && dt_io_writing(in->dst)))
            flow_finish_if_done(in);
    }
    if (!w->reported)
        dt_io_timer_start(w->drain, DRAIN_MS, 0);
    check_done(w);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
#ifdef _WIN32
    const char *b = strrchr(path, '\\');
    if (b && (!s || b > s))
        s = b;
#endif
    return s ? s + 1 : path;
}

static void flow_setup(dt_wrap *w, flow *f, dt_io_stream *src, dt_io_stream *dst, int dir)
{
    f->w = w;
    f->src = src;
    f->dst = dst;
    f->dir = dir;
    if (src)
        dt_io_stream_set_cbs(src, &flow_cbs, f);
    if (dst)
        dt_io_stream_set_cbs(dst, &flow_cbs, f);
}

dt_wrap *dt_wrap_start(dt_io *io, dt_feed *feed, char *const argv[], const char *dissector, dt_wrap_done_cb done,
                       void *ctx, int *status)
{
    return dt_wrap_start_named(io, feed, argv, dissector, NULL, done, ctx, status);
}

dt_wrap *dt_wrap_start_named(dt_io *io, dt_feed *feed, char *const argv[], const char *dissector,
                             const char *channel, dt_wrap_done_cb done, void *ctx, int *status)
{
    dt_wrap *w = calloc(1, sizeof *w);
    char err[256];
    *status = 1;
    if (!w || dt_ring_init(&w->in.ring, WRAP_BUF) < 0 || dt_ring_init(&w->out.ring, WRAP_BUF) < 0 ||
        dt_ring_init(&w->err.ring, ERR_BUF) < 0 || !(w->drain = dt_io_timer_new(io, on_drain_timeout, w))) {
        fprintf(stderr, "diagtap: out of memory\n");
        goto fail;
    }
    w->io = io;
    w->feed = feed;
    w->done = done;
    w->ctx = ctx;
    /* Our own stdio is shared with whoever started us: left in its mode. */
    dt_io_stream *our_in = dt_io_stream_open(io, dt_io_stdio(0), DT_IO_SHARED | DT_IO_NOCLOSE, NULL, NULL, err, sizeof err);
    dt_io_stream *our_out = dt_io_stream_open(io, dt_io_stdio(1), DT_IO_SHARED | DT_IO_NOCLOSE, NULL, NULL, err, sizeof err);
    dt_io_stream *our_err = dt_io_stream_open(io, dt_io_stdio(2), DT_IO_SHARED | DT_IO_NOCLOSE, NULL, NULL, err, sizeof err);
    if (!our_in || !our_out || !our_err) {
        fprintf(stderr, "diagtap: %s\n", err);
        dt_io_close(our_in, false);
        dt_io_close(our_out, false);
        dt_io_close(our_err, false);
        goto fail;
    }
    dt_io_stream *c_in, *c_out, *c_err;
    int errnum = 0;
    w->child = dt_io_spawn(io, argv, &c_in, &c_out, &c_err, child_exited, w, &errnum);
    if (!w->child) {
        fprintf(stderr, "diagtap: cannot run %s: %s\n", argv[0], strerror(errnum));
        *status = errnum == ENOENT ? 127 : 126;
        dt_io_close(our_in, false);
        dt_io_close(our_out, false);
        dt_io_close(our_err, false);
        goto fail;
    }
    snprintf(w->server, sizeof w->server, "%s", base_name(argv[0]));
    char name[300], desc[400];
    if (channel)
        snprintf(name, sizeof name, "%s", channel);
    else
        snprintf(name, sizeof name, "stdio:%s", w->server);
    snprintf(desc, sizeof desc, "stdin/stdout of %s (pid %ld)", argv[0], dt_io_child_pid(w->child));
    uint64_t now = dt_io_now_ns();
    dt_feed_conv_params cp = {
        .channel = name,
        .description = desc,
        .transport = DT_CONV_STREAM,
        .client = "ide",
        .server = w->server,
        .dissector = dissector,
        .show_undecoded = true,
    };
    w->fc = dt_feed_open(feed, &cp, now);
    flow_setup(w, &w->in, our_in, c_in, DT_DIR_C2S);
    flow_setup(w, &w->out, c_out, our_out, DT_DIR_S2C);
    flow_setup(w, &w->err, c_err, our_err, -1);
    w->in.close_dst = true;
    if (!w->fc) {
        fprintf(stderr, "diagtap: out of memory\n");
        dt_io_child_signal(w->child, SIGKILL);
        *status = dt_wrap_free(w);
        return NULL;
    }
    dt_feed_note(feed, w->fc, now, DT_EV_NOTE, "started %s (pid %ld)", argv[0], dt_io_child_pid(w->child));
    flow_arm(&w->in);
    flow_arm(&w->out);
    flow_arm(&w->err);
    return w;
fail:
    if (w) {
        dt_ring_free(&w->in.ring);
        dt_ring_free(&w->out.ring);
        dt_ring_free(&w->err.ring);
        dt_io_timer_free(w->drain);
        free(w);
    }
    return NULL;
}

void dt_wrap_signal(dt_wrap *w, int sig)
{
    if (!w->exited)
        dt_io_child_signal(w->child, sig);
}

int dt_wrap_free(dt_wrap *w)
{
    if (!w->exited)
        dt_io_child_signal(w->child, SIGTERM);
    uint64_t now = dt_io_now_ns();
    if (w->fc) {
        if (!w->exited) {
            dt_feed_note(w->feed, w->fc, now, DT_EV_NOTE, "%s still running: stopped", w->server);
        } else if (w->how.code < 0) {
#ifdef _WIN32
            dt_feed_note(w->feed, w->fc, now, DT_EV_NOTE, "%s killed", w->server);
#else
            dt_feed_note(w->feed, w->fc, now, DT_EV_NOTE, "%s killed by signal %d (%s)", w->server, w->how.signal,
                         strsignal(w->how.signal));
#endif
        } else {
            dt_feed_note(w->feed, w->fc, now, DT_EV_NOTE, "%s exited with status %d", w->server, w->how.code);
        }
        dt_feed_close(w->feed, w->fc, now, NULL);
    }
    dt_io_child_free(w->child); /* waits for it when it has not exited */
    int status = w->exited ? exit_status(w->how) : 128 + SIGTERM;
    flow *fl[3] = { &w->in, &w->out, &w->err };
    for (int i = 0; i < 3; i++) {
        dt_io_close(fl[i]->src, false);
        dt_io_close(fl[i]->dst, false);
        dt_ring_free(&fl[i]->ring);
    }
    dt_io_timer_free(w->drain);
    free(w);
    return status;
}

/* ---- diagtap wrap ---------------------------------------------------------------- */

typedef struct wrap_run {
    dt_io *io;
    dt_wrap *w;
} wrap_run;

static void run_done(void *ctx, dt_wrap *w, int status)
{
    (void)w;
    (void)status;
    dt_io_stop(((wrap_run *)ctx)->io);
}

static void run_signal(void *ctx, int sig)
{
    wrap_run *r = ctx;
    if (r->w)
        dt_wrap_signal(r->w, sig);
}

int dt_wrap_run(dt_engine *eng, char *const argv[], const char *dissector, unsigned busy_poll_us)
{
    char err[256];
    wrap_run r = { 0 };
    r.io = dt_io_new(err, sizeof err);
    if (!r.io) {
        fprintf(stderr, "diagtap: %s\n", err);
        return 1;
    }
    if (dt_io_on_stop_signal(r.io, run_signal, &r, err, sizeof err) < 0) {
        fprintf(stderr, "diagtap: %s\n", err);
        dt_io_free(r.io);
        return 1;
    }
    dt_decoder *dec = dt_decoder_start(eng, err, sizeof err);
    dt_feed *feed = dec ? dt_decoder_feed(dec, r.io, "wrap", 0) : NULL;
    if (!feed) {
        fprintf(stderr, "diagtap: %s\n", dec ? "out of memory" : err);
        dt_decoder_stop(dec);
        dt_io_free(r.io);
        return 1;
    }
    int status = 1;
    r.w = dt_wrap_start(r.io, feed, argv, dissector, run_done, &r, &status);
    if (r.w) {
        dt_io_set_busy_poll(r.io, busy_poll_us);
        if (dt_io_run(r.io) < 0)
            fprintf(stderr, "diagtap: %s\n", dt_io_error(r.io));
        status = dt_wrap_free(r.w);
    }
    dt_decoder_stop(dec);
    dt_io_free(r.io);
    return status;
}
