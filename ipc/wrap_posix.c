#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "loop.h"
#include "ring.h"
#include "signals.h"

#define WRAP_BUF (256u * 1024u)
#define LINE_MAX_SHOWN 1024
#define DRAIN_NS (2ull * 1000000000ull) /* after exit, wait this long for inherited pipes */

extern char **environ;

/* One relayed stream: read from src into ring, write from ring to dst. */
typedef struct flow {
    struct wrap *w;
    int src, dst;
    int src_slot, dst_slot;
    dt_ring ring;
    bool src_eof;   /* nothing more will come */
    bool dst_dead;  /* dst no longer takes bytes; they are dropped */
    bool done;      /* fully relayed and dst closed or left */
    bool dst_blocking; /* dst is one of our own, possibly blocking, descriptors */
    int dir;        /* DT_DIR_* for stdin/stdout, -1 for stderr */
    bool close_dst; /* close dst at the end (the child's stdin) */
} flow;

typedef struct wrap {
    dt_engine *eng;
    dt_loop *loop;
    dt_conv *conv;
    flow in, out, err;
    pid_t pid;
    bool exited;
    int status;
    uint64_t exit_ts;
    char line[LINE_MAX_SHOWN];
    size_t line_len;
} wrap;

static void emit_line(wrap *w, uint64_t ts)
{
    size_t n = w->line_len;
    if (n && w->line[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)w->line[i];
        if (ch < 0x20 && ch != '\t')
            w->line[i] = '.';
    }
    dt_engine_note(w->eng, w->conv, ts, DT_EV_NOTE, "stderr: %.*s", (int)n, w->line);
    w->line_len = 0;
}

static void stderr_lines(wrap *w, const uint8_t *p, size_t n, uint64_t ts)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            emit_line(w, ts);
            continue;
        }
        w->line[w->line_len++] = (char)p[i];
        if (w->line_len == sizeof w->line)
            emit_line(w, ts); /* a very long line is shown in pieces */
    }
}

static void flow_update(flow *f)
{
    unsigned src = 0, dst = 0;
    if (!f->src_eof && !dt_ring_full(&f->ring))
        src = DT_LOOP_IN;
    if (!f->dst_dead && !dt_ring_empty(&f->ring))
        dst = DT_LOOP_OUT;
    dt_loop_set(f->w->loop, f->src_slot, src);
    dt_loop_set(f->w->loop, f->dst_slot, dst);
}

static void flow_finish_if_done(flow *f)
{
    if (f->done || !f->src_eof || (!f->dst_dead && !dt_ring_empty(&f->ring)))
        return;
    f->done = true;
    wrap *w = f->w;
    if (f->dir >= 0)
        dt_engine_stream_end(w->eng, w->conv, (dt_dir)f->dir, dt_ipc_now_ns());
    else if (w->line_len)
        emit_line(w, dt_ipc_now_ns());
    if (f->close_dst) { /* the child sees end of input */
        dt_loop_del(w->loop, f->dst_slot);
        f->dst_slot = -1;
        close(f->dst);
        f->dst = -1;
    }
}

static void flow_read(flow *f)
{
    if (f->src_eof || dt_ring_full(&f->ring))
        return;
    struct iovec got[2];
    ssize_t k = dt_ring_read_fd(&f->ring, f->src, got);
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (k <= 0) {
        f->src_eof = true;
        return;
    }
    uint64_t now = dt_ipc_now_ns();
    for (int i = 0; i < 2; i++) {
        if (!got[i].iov_len)
            continue;
        if (f->dir >= 0)
            dt_engine_stream(f->w->eng, f->w->conv, (dt_dir)f->dir, now, got[i].iov_base, got[i].iov_len);
        else
            stderr_lines(f->w, got[i].iov_base, got[i].iov_len, now);
    }
    if (f->dst_dead) { /* still decoded, but nobody to give it to */
        f->ring.len = 0;
        f->ring.head = 0;
    }
}

static void flow_write(flow *f)
{
    if (f->dst_dead || dt_ring_empty(&f->ring))
        return;
    /* Our own stdout may be a blocking pipe we must not make non-blocking
     * (the IDE shares it): after POLLOUT, PIPE_BUF bytes never block. */
    ssize_t k = dt_ring_write_fd(&f->ring, f->dst, f->dst_blocking ? PIPE_BUF : SIZE_MAX);
    if (k >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return;
    f->dst_dead = true;
    dt_engine_note(f->w->eng, f->w->conv, dt_ipc_now_ns(), DT_EV_ERROR, "%s: %s; %zu byte%s not delivered",
                   f->dir == DT_DIR_C2S ? "command's stdin closed" : f->dir == DT_DIR_S2C ? "stdout closed" : "stderr closed",
                   strerror(errno), f->ring.len, f->ring.len == 1 ? "" : "s");
    f->ring.len = 0;
    f->ring.head = 0;
    if (f->dir == DT_DIR_S2C) { /* the command gets SIGPIPE, as without diagtap */
        dt_loop_del(f->w->loop, f->src_slot);
        f->src_slot = -1;
        close(f->src);
        f->src = -1;
        f->src_eof = true;
    }
}

static void on_src(void *ctx, int fd, unsigned ready)
{
    (void)fd;
    (void)ready;
    flow *f = ctx;
    flow_read(f);
    flow_write(f);
    flow_finish_if_done(f);
    if (!f->done)
        flow_update(f);
    else {
        dt_loop_set(f->w->loop, f->src_slot, 0);
        dt_loop_set(f->w->loop, f->dst_slot, 0);
    }
}

static void on_dst(void *ctx, int fd, unsigned ready)
{
    (void)fd;
    (void)ready;
    flow *f = ctx;
    flow_write(f);
    flow_finish_if_done(f);
    if (!f->done)
        flow_update(f);
    else {
        dt_loop_set(f->w->loop, f->src_slot, 0);
        dt_loop_set(f->w->loop, f->dst_slot, 0);
    }
}

static void on_signal(void *ctx, int fd, unsigned ready)
{
    (void)ready;
    wrap *w = ctx;
    int sig;
    while ((sig = dt_signals_next(fd)) > 0) {
        if (sig != SIGCHLD) {
            if (!w->exited)
                kill(w->pid, sig);
            continue;
        }
        int st;
        if (!w->exited && waitpid(w->pid, &st, WNOHANG) == w->pid) {
            w->exited = true;
            w->status = st;
            w->exit_ts = dt_ipc_now_ns();
        }
    }
}

static void flow_prepare(wrap *w, flow *f, int src, int dst, int dir)
{
    *f = (flow){ .w = w, .src = src, .dst = dst, .src_slot = -1, .dst_slot = -1, .dir = dir };
}

static int flow_init(flow *f, size_t cap)
{
    wrap *w = f->w;
    int src = f->src, dst = f->dst;
    if (dt_ring_init(&f->ring, cap) < 0)
        return -1;
    f->src_slot = dt_loop_add(w->loop, src, DT_LOOP_IN, on_src, f);
    f->dst_slot = dt_loop_add(w->loop, dst, 0, on_dst, f);
    return f->src_slot < 0 || f->dst_slot < 0 ? -1 : 0;
}

static void close_pipes(int p[3][2])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            if (p[i][j] >= 0)
                close(p[i][j]);
}

static int spawn(wrap *w, char *const argv[], const sigset_t *mask, int p[3][2])
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0][0], 0);
    posix_spawn_file_actions_adddup2(&fa, p[1][1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[2][1], 2);
    posix_spawnattr_init(&at);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGHUP);
    sigaddset(&def, SIGCHLD);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setsigmask(&at, mask);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    int rc = posix_spawnp(&w->pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static bool is_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

static int exit_code(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 1;
}

int dt_wrap_run(dt_engine *eng, char *const argv[], const char *dissector)
{
    wrap w = { .eng = eng };
    int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
    dt_signals sg = { .fd = -1 };
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD };
    int result = 1;

    for (int i = 0; i < 3; i++) {
        if (pipe2(p[i], O_CLOEXEC) < 0) {
            fprintf(stderr, "diagtap: pipe: %s\n", strerror(errno));
            close_pipes(p);
            return 1;
        }
    }
    /* Our ends non-blocking; the child's ends stay as a child expects. */
    fcntl(p[0][1], F_SETFL, O_NONBLOCK);
    fcntl(p[1][0], F_SETFL, O_NONBLOCK);
    fcntl(p[2][0], F_SETFL, O_NONBLOCK);
    if (dt_signals_open(&sg, sigs, 4) < 0) {
        fprintf(stderr, "diagtap: signals: %s\n", strerror(errno));
        close_pipes(p);
        return 1;
    }
    struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
    sigaction(SIGPIPE, &ign, &old_pipe);

    int rc = spawn(&w, argv, &sg.old_mask, p);
    /* The child's ends belong to the child now. */
    close(p[0][0]);
    close(p[1][1]);
    close(p[2][1]);
    p[0][0] = p[1][1] = p[2][1] = -1;
    if (rc != 0) {
        fprintf(stderr, "diagtap: cannot run %s: %s\n", argv[0], strerror(rc));
        close_pipes(p);
        dt_signals_close(&sg);
        sigaction(SIGPIPE, &old_pipe, NULL);
        return rc == ENOENT ? 127 : 126;
    }

    const char *server = base_name(argv[0]);
    char name[300], desc[400];
    snprintf(name, sizeof name, "stdio:%s", server);
    snprintf(desc, sizeof desc, "stdin/stdout of %s (pid %ld)", argv[0], (long)w.pid);
    uint64_t now = dt_ipc_now_ns();
    dt_conv_params cp = {
        .channel = dt_engine_channel(eng, name, desc, -1),
        .transport = DT_CONV_STREAM,
        .client = "ide",
        .server = server,
        .dissector = dissector,
        .show_undecoded = true,
        .ts_ns = now,
    };
    w.conv = dt_engine_conv_open(eng, &cp);
    if (!w.conv) {
        fprintf(stderr, "diagtap: out of memory\n");
        kill(w.pid, SIGKILL);
        waitpid(w.pid, NULL, 0);
        close_pipes(p);
        dt_signals_close(&sg);
        sigaction(SIGPIPE, &old_pipe, NULL);
        return 1;
    }
    dt_engine_note(eng, w.conv, now, DT_EV_NOTE, "started %s (pid %ld)", argv[0], (long)w.pid);

    /* From here the flows own our ends of the pipes. */
    flow_prepare(&w, &w.in, 0, p[0][1], DT_DIR_C2S);
    flow_prepare(&w, &w.out, p[1][0], 1, DT_DIR_S2C);
    flow_prepare(&w, &w.err, p[2][0], 2, -1);
    w.loop = dt_loop_new();
    if (!w.loop || dt_loop_add(w.loop, sg.fd, DT_LOOP_IN, on_signal, &w) < 0 || flow_init(&w.in, WRAP_BUF) < 0 ||
        flow_init(&w.out, WRAP_BUF) < 0 || flow_init(&w.err, 64u * 1024u) < 0) {
        fprintf(stderr, "diagtap: out of memory\n");
        kill(w.pid, SIGTERM);
        goto wait_child;
    }
    w.in.close_dst = true;
    w.out.dst_blocking = !is_nonblocking(1);
    w.err.dst_blocking = !is_nonblocking(2);

    for (;;) {
        if (w.exited) {
            if (!w.in.done) { /* nobody will read the rest of our stdin */
                w.in.src_eof = true;
                w.in.dst_dead = true;
                w.in.ring.len = 0;
                flow_finish_if_done(&w.in);
                dt_loop_set(w.loop, w.in.src_slot, 0);
                dt_loop_set(w.loop, w.in.dst_slot, 0);
            }
            if (w.out.done && w.err.done)
                break;
            if (dt_ipc_now_ns() - w.exit_ts > DRAIN_NS) {
                dt_engine_note(eng, w.conv, dt_ipc_now_ns(), DT_EV_NOTE,
                               "stopped relaying: %s exited but its output is still held open", server);
                break;
            }
        }
        if (dt_loop_once(w.loop, w.exited ? 50 : -1) < 0) {
            fprintf(stderr, "diagtap: poll: %s\n", strerror(errno));
            kill(w.pid, SIGTERM);
            break;
        }
    }

wait_child:
    if (!w.exited) {
        int st;
        while (waitpid(w.pid, &st, 0) < 0 && errno == EINTR)
            ;
        w.status = st;
        w.exited = true;
    }
    now = dt_ipc_now_ns();
    if (WIFSIGNALED(w.status))
        dt_engine_note(eng, w.conv, now, DT_EV_NOTE, "%s killed by signal %d (%s)", server, WTERMSIG(w.status),
                       strsignal(WTERMSIG(w.status)));
    else
        dt_engine_note(eng, w.conv, now, DT_EV_NOTE, "%s exited with status %d", server, exit_code(w.status));
    result = exit_code(w.status);
    dt_engine_conv_close(eng, w.conv, now, NULL);

    dt_ring_free(&w.in.ring);
    dt_ring_free(&w.out.ring);
    dt_ring_free(&w.err.ring);
    if (w.in.dst >= 0)
        close(w.in.dst);
    if (w.out.src >= 0)
        close(w.out.src);
    if (w.err.src >= 0)
        close(w.err.src);
    dt_loop_free(w.loop);
    dt_signals_close(&sg);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return result;
}
