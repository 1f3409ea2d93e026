/* The POSIX backend of the I/O layer: epoll (level-triggered) on Linux.
 *
 * Reads and writes are done here when a descriptor is ready, into and from
 * the buffers the caller armed; a write is first tried at once (most go
 * through), and its completion is then reported at the start of the next
 * turn. Interest changes are collected and given to the kernel just before
 * epoll_wait, so a read re-armed inside its own callback costs no syscall.
 * Descriptors epoll refuses (a regular file as stdin) are treated as always
 * ready, as poll(2) would. */
#include "io_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_EVENTS 256
#define ACCEPT_BATCH 64
#define CONNECT_RETRY_MS 10 /* a Unix target's full backlog (EAGAIN) */
#define READ_AGAIN_MAX 8    /* reads in a row on one readiness while each fills its buffer */

/* One descriptor the backend watches. */
typedef struct reg reg;
struct reg {
    int fd;
    unsigned want;    /* EPOLLIN | EPOLLOUT wanted now */
    unsigned kernel;  /* what epoll has (0: not added) */
    bool no_epoll;    /* epoll refused it (regular file): always ready */
    bool dirty;
    bool closed;
    reg *dirty_next;
    void (*ready)(reg *r, unsigned events);
};

typedef struct posix_be {
    dt_io *io;
    int epfd;
    int wake_fd;          /* eventfd: dt_io_stop from another thread */
    reg wake;
    reg *dirty;
    reg **always;         /* no_epoll registrations */
    size_t n_always, cap_always;
    dt_io_signal_cb sig_cb;
    void *sig_ctx;
    int sig_fd;
    reg sig;
    sigset_t child_mask;  /* the mask children start with */
    bool stop_signals_blocked;
} posix_be;

static posix_be *be_of(dt_io *io) { return io->be; }

uint64_t dt_io_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t dt_io_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Registrations ----------------------------------------------------------- */

static void reg_init(reg *r, int fd, void (*ready)(reg *, unsigned))
{
    *r = (reg){ .fd = fd, .ready = ready };
}

static void reg_want(dt_io *io, reg *r, unsigned want)
{
    if (r->want == want)
        return;
    r->want = want;
    if (!r->dirty && !r->closed) {
        posix_be *be = be_of(io);
        r->dirty = true;
        r->dirty_next = be->dirty;
        be->dirty = r;
    }
}

static void always_remove(posix_be *be, reg *r)
{
    for (size_t i = 0; i < be->n_always; i++) {
        if (be->always[i] == r) {
            be->always[i] = be->always[--be->n_always];
            return;
        }
    }
}

/* Takes r out of epoll for good (before its fd is closed). */
static void reg_close(dt_io *io, reg *r)
{
    posix_be *be = be_of(io);
    if (r->kernel)
        epoll_ctl(be->epfd, EPOLL_CTL_DEL, r->fd, NULL);
    if (r->no_epoll)
        always_remove(be, r);
    r->kernel = 0;
    r->want = 0;
    r->closed = true;
    if (r->dirty) { /* unlink from the dirty list */
        for (reg **p = &be->dirty; *p; p = &(*p)->dirty_next) {
            if (*p == r) {
                *p = r->dirty_next;
                break;
            }
        }
        r->dirty = false;
    }
}

static int flush_dirty(dt_io *io)
{
    posix_be *be = be_of(io);
    while (be->dirty) {
        reg *r = be->dirty;
        be->dirty = r->dirty_next;
        r->dirty = false;
        if (r->closed || r->no_epoll)
            continue;
        if (r->want == r->kernel)
            continue;
        /* A descriptor nobody wants to hear from is taken out: epoll would
         * still report its hang-up and wake the loop for nothing. */
        if (!r->want) {
            epoll_ctl(be->epfd, EPOLL_CTL_DEL, r->fd, NULL);
            r->kernel = 0;
            continue;
        }
        struct epoll_event ev = { .events = r->want, .data.ptr = r };
        int rc = epoll_ctl(be->epfd, r->kernel ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, r->fd, &ev);
        if (rc < 0 && errno == EPERM && !r->kernel) {
            if (be->n_always == be->cap_always) {
                size_t cap = be->cap_always ? be->cap_always * 2 : 4;
                reg **a = realloc(be->always, cap * sizeof *a);
                if (!a) {
                    dt_io_set_error(io, "out of memory");
                    return -1;
                }
                be->always = a;
                be->cap_always = cap;
            }
            r->no_epoll = true;
            be->always[be->n_always++] = r;
            continue;
        }
        if (rc < 0) {
            dt_io_set_error(io, "epoll_ctl: %s", strerror(errno));
            return -1;
        }
        r->kernel = r->want;
    }
    return 0;
}

static void on_wake(reg *r, unsigned events)
{
    (void)events;
    uint64_t v;
    if (read(r->fd, &v, sizeof v) < 0) {
        /* nothing to do: it was only a wake-up */
    }
}

int dt_io_be_init(dt_io *io, char *err, size_t errsz)
{
    posix_be *be = calloc(1, sizeof *be);
    if (!be) {
        snprintf(err, errsz, "out of memory");
        return -1;
    }
    be->sig_fd = -1;
    be->epfd = epoll_create1(EPOLL_CLOEXEC);
    be->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (be->epfd < 0 || be->wake_fd < 0) {
        snprintf(err, errsz, "epoll: %s", strerror(errno));
        if (be->epfd >= 0)
            close(be->epfd);
        if (be->wake_fd >= 0)
            close(be->wake_fd);
        free(be);
        return -1;
    }
    sigprocmask(SIG_SETMASK, NULL, &be->child_mask);
    /* Write errors come back as EPIPE, never as a signal that kills us. */
    struct sigaction ign = { .sa_handler = SIG_IGN };
    sigaction(SIGPIPE, &ign, NULL);
    io->be = be;
    be->io = io;
    reg_init(&be->wake, be->wake_fd, on_wake);
    reg_want(io, &be->wake, EPOLLIN);
    return 0;
}

void dt_io_be_free(dt_io *io)
{
    posix_be *be = be_of(io);
    if (!be)
        return;
    if (be->sig_fd >= 0) {
        close(be->sig_fd);
        sigprocmask(SIG_SETMASK, &be->child_mask, NULL);
    }
    close(be->wake_fd);
    close(be->epfd);
    free(be->always);
    free(be);
    io->be = NULL;
}

void dt_io_be_wake(dt_io *io)
{
    uint64_t one = 1;
    if (write(be_of(io)->wake_fd, &one, sizeof one) < 0) {
        /* the counter is full: a wake-up is pending anyway */
    }
}

int dt_io_be_wait(dt_io *io, int timeout_ms)
{
    posix_be *be = be_of(io);
    if (flush_dirty(io) < 0)
        return -1;
    bool always_ready = false;
    for (size_t i = 0; i < be->n_always; i++)
        if (be->always[i]->want)
            always_ready = true;
    if (always_ready)
        timeout_ms = 0;
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(be->epfd, evs, MAX_EVENTS, timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        dt_io_set_error(io, "epoll_wait: %s", strerror(errno));
        return -1;
    }
    int got = 0;
    for (int i = 0; i < n && !atomic_load(&io->stop); i++) {
        reg *r = evs[i].data.ptr;
        if (!r->closed) { /* closed earlier in this batch: its memory lives until the turn ends */
            r->ready(r, evs[i].events);
            got += r != &be->wake;
        }
    }
    if (always_ready) {
        for (size_t i = 0; i < be->n_always && !atomic_load(&io->stop); i++) {
            reg *r = be->always[i];
            if (r->want && !r->closed) {
                r->ready(r, r->want);
                got++;
            }
        }
    }
    return got;
}

/* ---- Streams ----------------------------------------------------------------- */

struct dt_io_stream {
    reg r;                /* first: the reg is the stream */
    dt_io *io;
    const dt_io_stream_cbs *cbs;
    void *ctx;
    unsigned flags;
    bool careful;         /* a shared blocking descriptor: write after readiness, PIPE_BUF at most */
    bool is_socket;
    uint8_t *rbuf;
    size_t rcap;
    bool reading;
    struct iovec wv[2];   /* what is left to write */
    size_t wdone;         /* written of the current write so far */
    int werr;
    bool writing;
    bool wait_out;        /* the write waits for the descriptor to be writable */
    dt_io_task wtask;     /* a write finished inside dt_io_write */
    dt_io_relay *rin;     /* a relay taking from this stream */
    dt_io_relay *rout;    /* a relay delivering to this stream */
};

/* A relay ("Relays" below). */
struct dt_io_relay {
    dt_io *io;
    dt_io_stream *src, *dst; /* NULL once that stream closed */
    const dt_io_relay_cbs *cbs;
    void *ctx;
    int pr, pw;        /* the pipe's read and write ends */
    size_t pipe_cap;   /* its size in bytes */
    size_t held;       /* bytes in the pipe */
    uint8_t *copy;     /* the armed take: copy buffer (or NULL) and its size */
    size_t cap;
    bool taking;
    bool pipe_full;    /* a splice in found no room (a pipe counts slots, not bytes) */
    bool wait_out;     /* dst was full: deliver on EPOLLOUT */
    bool out_dead;     /* dst failed: nothing more is delivered */
    bool bulk;         /* the last take was big: peek + splice (else read + write) */
    bool closed;
};

static bool relay_wants_in(const dt_io_relay *r);
static bool relay_wants_out(const dt_io_relay *r);
static void relay_in_ready(dt_io_relay *r);
static void relay_out_ready(dt_io_relay *r);

static void stream_interest(dt_io_stream *s)
{
    unsigned want = (s->reading || relay_wants_in(s->rin) ? EPOLLIN : 0) |
                    ((s->writing && s->wait_out) || relay_wants_out(s->rout) ? EPOLLOUT : 0);
    reg_want(s->io, &s->r, want);
}

static void write_done(dt_io_stream *s)
{
    size_t n = s->wdone;
    int err = s->werr;
    s->writing = false;
    s->wait_out = false;
    s->wdone = 0;
    s->werr = 0;
    stream_interest(s);
    if (s->cbs && s->cbs->on_write)
        s->cbs->on_write(s->ctx, s, n, err);
}

static void on_wtask(dt_io_task *t)
{
    dt_io_stream *s = (dt_io_stream *)((char *)t - offsetof(dt_io_stream, wtask));
    write_done(s);
}

/* One writev of what is left; returns bytes written, 0 when it would
 * block, -1 on an error (s->werr set). */
static ssize_t write_some(dt_io_stream *s)
{
    struct iovec v[2];
    int nv = 0;
    size_t max = s->careful ? PIPE_BUF : SIZE_MAX;
    for (int i = 0; i < 2 && max; i++) {
        if (!s->wv[i].iov_len)
            continue;
        v[nv] = s->wv[i];
        if (v[nv].iov_len > max)
            v[nv].iov_len = max;
        max -= v[nv].iov_len;
        nv++;
    }
    if (!nv)
        return 0;
    ssize_t k = nv == 1 ? write(s->r.fd, v[0].iov_base, v[0].iov_len) : writev(s->r.fd, v, nv);
    if (k < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        s->werr = errno;
        return -1;
    }
    size_t left = (size_t)k;
    for (int i = 0; i < 2; i++) {
        size_t take = left < s->wv[i].iov_len ? left : s->wv[i].iov_len;
        s->wv[i].iov_base = (uint8_t *)s->wv[i].iov_base + take;
        s->wv[i].iov_len -= take;
        left -= take;
    }
    s->wdone += (size_t)k;
    return k;
}

static bool write_left(const dt_io_stream *s) { return s->wv[0].iov_len + s->wv[1].iov_len > 0; }

static void stream_ready(reg *r, unsigned events)
{
    dt_io_stream *s = (dt_io_stream *)r;
    if (s->rout && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        relay_out_ready(s->rout);
        if (s->r.closed)
            return;
    }
    if (s->rin && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        relay_in_ready(s->rin);
        if (s->r.closed)
            return;
    }
    if (s->writing && s->wait_out && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        ssize_t k = write_some(s);
        if (k != 0 || !write_left(s)) {
            write_done(s);
            if (s->r.closed)
                return;
        }
    }
    /* A read that filled its whole buffer probably left more behind: when
     * the callback armed the next read, it is tried at once instead of
     * after another epoll_wait (a bulk transfer then costs read + write per
     * chunk). A short read means the socket is drained: back to epoll. */
    for (int again = 0; again < READ_AGAIN_MAX && s->reading && (events & (EPOLLIN | EPOLLHUP | EPOLLERR));
         again++) {
        ssize_t k = read(s->r.fd, s->rbuf, s->rcap);
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        int err = k < 0 ? errno : 0;
        bool full = k > 0 && (size_t)k == s->rcap;
        s->reading = false;
        if (s->cbs && s->cbs->on_read)
            s->cbs->on_read(s->ctx, s, s->rbuf, k > 0 ? (size_t)k : 0, k == 0 ? DT_IO_EOF : 0, err);
        if (s->r.closed)
            return;
        stream_interest(s); /* after the callback: a re-armed read costs no interest change */
        if (!full)
            return;
    }
}

static dt_io_stream *stream_new(dt_io *io, int fd, unsigned flags)
{
    dt_io_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    reg_init(&s->r, fd, stream_ready);
    s->io = io;
    s->flags = flags;
    s->wtask.fn = on_wtask;
    int type;
    socklen_t tl = sizeof type;
    s->is_socket = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0;
    int fl = fcntl(fd, F_GETFL);
    if (!(flags & DT_IO_SHARED)) {
        if (fl >= 0 && !(fl & O_NONBLOCK))
            fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    } else {
        s->careful = fl >= 0 && !(fl & O_NONBLOCK);
    }
    if ((flags & DT_IO_NODELAY) && s->is_socket) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return s;
}

dt_io_stream *dt_io_stream_open(dt_io *io, dt_io_handle h, unsigned flags, const dt_io_stream_cbs *cbs, void *ctx,
                                char *err, size_t errsz)
{
    dt_io_stream *s = stream_new(io, h, flags);
    if (!s) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    s->cbs = cbs;
    s->ctx = ctx;
    return s;
}

void dt_io_stream_set_ctx(dt_io_stream *s, void *ctx) { s->ctx = ctx; }

void dt_io_stream_set_cbs(dt_io_stream *s, const dt_io_stream_cbs *cbs, void *ctx)
{
    s->cbs = cbs;
    s->ctx = ctx;
}

dt_io_handle dt_io_stream_handle(const dt_io_stream *s) { return s->r.fd; }

dt_io_handle dt_io_stdio(int n) { return n; }

int dt_io_read(dt_io_stream *s, uint8_t *buf, size_t cap)
{
    if (s->reading || s->r.closed || s->r.fd < 0 || !cap)
        return -1;
    s->rbuf = buf;
    s->rcap = cap;
    s->reading = true;
    stream_interest(s);
    return 0;
}

bool dt_io_reading(const dt_io_stream *s) { return s->reading; }
bool dt_io_writing(const dt_io_stream *s) { return s->writing; }
bool dt_io_stream_messages(const dt_io_stream *s) { (void)s; return false; }

int dt_io_write(dt_io_stream *s, const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    if (s->writing || s->r.closed || s->r.fd < 0)
        return -1;
    s->writing = true;
    s->wv[0] = (struct iovec){ (void *)a, na };
    s->wv[1] = (struct iovec){ (void *)b, nb };
    s->wdone = 0;
    s->werr = 0;
    s->wait_out = false;
    if (!s->careful) {
        /* Most writes go through at once: no wait, no extra turn of epoll. */
        ssize_t k = write_some(s);
        if (k < 0 || !write_left(s)) {
            dt_io_defer(s->io, &s->wtask);
            return 0;
        }
    }
    s->wait_out = true;
    stream_interest(s);
    return 0;
}

void dt_io_shutdown_write(dt_io_stream *s)
{
    if (s->r.closed || s->r.fd < 0)
        return;
    if (s->is_socket) {
        shutdown(s->r.fd, SHUT_WR);
        return;
    }
    /* A pipe's write end: closing it is how the reader sees the end. */
    reg_close(s->io, &s->r);
    s->r.closed = false; /* the stream lives on, without a descriptor */
    s->writing = s->reading = false;
    dt_io_undefer(s->io, &s->wtask);
    if (!(s->flags & DT_IO_NOCLOSE))
        close(s->r.fd);
    s->r.fd = -1;
}

void dt_io_shutdown_read(dt_io_stream *s)
{
    if (s->is_socket && s->r.fd >= 0 && !s->r.closed)
        shutdown(s->r.fd, SHUT_RD);
}

void dt_io_close(dt_io_stream *s, bool abort)
{
    if (!s || s->r.closed)
        return;
    dt_io *io = s->io;
    dt_io_undefer(io, &s->wtask);
    if (s->rin) /* the caller should have freed its relays first: they are over */
        s->rin->src = NULL;
    if (s->rout)
        s->rout->dst = NULL;
    s->rin = s->rout = NULL;
    if (s->r.fd >= 0) {
        if (abort && s->is_socket) {
            struct linger lg = { 1, 0 };
            setsockopt(s->r.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        reg_close(io, &s->r);
        if (!(s->flags & DT_IO_NOCLOSE))
            close(s->r.fd);
    }
    s->r.closed = true;
    s->cbs = NULL;
    dt_io_free_later(io, s);
}

/* ---- Relays: splice(2) between two sockets through a pipe --------------------- */

/* Linux only: the bytes go socket → pipe → socket inside the kernel (page
 * references, no copy through user space). A copy for the caller, when
 * asked, is taken with recv(MSG_PEEK) of the bytes the splice then moves:
 * one copy, the one the decoder needs anyway. (tee(2) would need a second
 * pipe and one more system call per chunk, and the decoder's bytes would
 * still have to be read out of it.) The pipe is the relay's buffer. */

static bool relay_wants_in(const dt_io_relay *r)
{
    return r && !r->closed && r->taking && !r->pipe_full && r->held < r->pipe_cap;
}

static bool relay_wants_out(const dt_io_relay *r) { return r && !r->closed && r->held && r->wait_out && !r->out_dead; }

static void relay_interest(dt_io_relay *r)
{
    if (r->src)
        stream_interest(r->src);
    if (r->dst)
        stream_interest(r->dst);
}

#ifdef __linux__
/* Moves what the pipe holds into dst as far as dst takes it. Returns the
 * bytes moved; *err is set when dst failed. */
static size_t relay_deliver(dt_io_relay *r, int *err)
{
    size_t moved = 0;
    *err = 0;
    while (r->held && r->dst && !r->out_dead) {
        ssize_t n = splice(r->pr, NULL, r->dst->r.fd, NULL, r->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            r->held -= (size_t)n;
            moved += (size_t)n;
            r->pipe_full = false;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            r->wait_out = true;
            return moved;
        }
        *err = n < 0 ? errno : EPIPE;
        r->out_dead = true;
    }
    r->wait_out = false;
    return moved;
}

static void relay_report_delivered(dt_io_relay *r, size_t moved, int err)
{
    relay_interest(r);
    if ((moved || err) && r->cbs->on_delivered)
        r->cbs->on_delivered(r->ctx, r, moved, err);
}

static void relay_out_ready(dt_io_relay *r)
{
    if (r->closed || !r->held || !r->wait_out || r->out_dead)
        return;
    int err;
    size_t moved = relay_deliver(r, &err);
    relay_report_delivered(r, moved, err);
}

/* Small messages (a request, a response) cost fewer system calls copied:
 * recv + write, as the read/write relay, instead of recv(MSG_PEEK) +
 * splice + splice; past this size a take is bulk and splices. */
#define RELAY_SMALL (16u * 1024u)

/* A take copied: recv into the copy buffer, write to dst, and what dst did
 * not take into the EMPTY pipe (it holds up to pipe_cap bytes: it all
 * fits). Returns the bytes taken (0: end of stream, -1: errno set). */
static ssize_t relay_take_copied(dt_io_relay *r, size_t want, size_t *moved, int *derr)
{
    ssize_t k = recv(r->src->r.fd, r->copy, want, MSG_DONTWAIT);
    if (k <= 0)
        return k;
    size_t n = 0;
    while (r->dst && !r->out_dead && n < (size_t)k) {
        ssize_t w = write(r->dst->r.fd, r->copy + n, (size_t)k - n);
        if (w > 0) {
            n += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else {
            if (!(w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
                *derr = w < 0 ? errno : EPIPE;
                r->out_dead = true;
            }
            break;
        }
    }
    *moved = n;
    /* Also after dst failed: held then counts them as not delivered. */
    for (size_t left = (size_t)k - n; left;) {
        ssize_t w = write(r->pw, r->copy + (size_t)k - left, left);
        if (w <= 0 && errno != EINTR) { /* cannot happen: the pipe was empty */
            if (!*derr)
                *derr = w < 0 ? errno : EIO;
            r->out_dead = true;
            break;
        }
        if (w > 0) {
            left -= (size_t)w;
            r->held += (size_t)w;
            r->wait_out = true;
        }
    }
    return k;
}

static void relay_in_ready(dt_io_relay *r)
{
    /* As for reads: a take that filled what it asked for is tried again at
     * once when its callback armed the next one. */
    for (int again = 0; again < READ_AGAIN_MAX && relay_wants_in(r) && r->src; again++) {
        size_t want = r->pipe_cap - r->held;
        if (want > r->cap)
            want = r->cap;
        int fd = r->src->r.fd;
        ssize_t k = (ssize_t)want;
        int eof = 0, rerr = 0;
        if (r->copy && !r->bulk && !r->held) {
            size_t moved = 0;
            int derr = 0;
            k = relay_take_copied(r, want, &moved, &derr);
            int kerr = k < 0 ? errno : 0;
            if (kerr == EAGAIN || kerr == EWOULDBLOCK || kerr == EINTR)
                return;
            size_t n = k > 0 ? (size_t)k : 0;
            r->bulk = n >= RELAY_SMALL;
            r->taking = false;
            relay_interest(r);
            if (r->cbs->on_taken)
                r->cbs->on_taken(r->ctx, r, n ? r->copy : NULL, n, k == 0 ? DT_IO_EOF : 0, kerr);
            if (r->closed)
                return;
            if (moved || derr) {
                relay_report_delivered(r, moved, derr);
                if (r->closed)
                    return;
            }
            if (n != want)
                return;
            continue;
        }
        if (r->copy) {
            k = recv(fd, r->copy, want, MSG_PEEK | MSG_DONTWAIT);
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
            if (k == 0)
                eof = DT_IO_EOF;
            else if (k < 0)
                rerr = errno;
        }
        ssize_t m = 0;
        if (!eof && !rerr) {
            m = splice(fd, NULL, r->pw, NULL, (size_t)k, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (m < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                /* The socket is empty, or the pipe is out of slots while
                 * holding bytes: then wait until some are delivered. */
                if (r->held && errno != EINTR) {
                    r->pipe_full = true;
                    relay_interest(r);
                }
                return;
            }
            if (m == 0)
                eof = DT_IO_EOF;
            else if (m < 0)
                rerr = errno;
        }
        size_t n = m > 0 ? (size_t)m : 0;
        bool full = n == want;
        r->bulk = n >= RELAY_SMALL;
        r->held += n;
        r->taking = false;
        int derr = 0;
        size_t moved = n ? relay_deliver(r, &derr) : 0; /* relay first, then the caller's copy */
        relay_interest(r);
        if (r->cbs->on_taken)
            r->cbs->on_taken(r->ctx, r, n ? r->copy : NULL, n, (unsigned)eof, rerr);
        if (r->closed)
            return;
        if (moved || derr) {
            relay_report_delivered(r, moved, derr);
            if (r->closed)
                return;
        }
        if (!full || eof || rerr)
            return;
    }
}

dt_io_relay *dt_io_relay_new(dt_io_stream *src, dt_io_stream *dst, size_t cap, const dt_io_relay_cbs *cbs, void *ctx)
{
    if (!src || !dst || src == dst || src->io != dst->io || !src->is_socket || !dst->is_socket || src->careful ||
        dst->careful || src->r.closed || dst->r.closed || src->r.fd < 0 || dst->r.fd < 0 || src->rin || dst->rout ||
        src->reading || dst->writing)
        return NULL;
    dt_io_relay *r = calloc(1, sizeof *r);
    int p[2];
    if (!r || pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
        free(r);
        return NULL;
    }
    /* The pipe's size bounds what the relay holds, as the caller's ring
     * would; when the kernel refuses (pipe-user-pages-soft), its default. */
    if (cap && cap <= INT_MAX)
        fcntl(p[1], F_SETPIPE_SZ, (int)cap);
    int sz = fcntl(p[1], F_GETPIPE_SZ);
    *r = (dt_io_relay){ .io = src->io, .src = src, .dst = dst, .cbs = cbs, .ctx = ctx, .pr = p[0], .pw = p[1],
                        .pipe_cap = sz > 0 ? (size_t)sz : 65536u };
    src->rin = r;
    dst->rout = r;
    return r;
}
#else
static void relay_out_ready(dt_io_relay *r) { (void)r; }
static void relay_in_ready(dt_io_relay *r) { (void)r; }

dt_io_relay *dt_io_relay_new(dt_io_stream *src, dt_io_stream *dst, size_t cap, const dt_io_relay_cbs *cbs, void *ctx)
{
    (void)src, (void)dst, (void)cap, (void)cbs, (void)ctx;
    return NULL; /* no splice: the caller relays with reads and writes */
}
#endif

int dt_io_relay_take(dt_io_relay *r, uint8_t *copy, size_t cap)
{
    if (!r || r->closed || r->taking || !r->src || !cap)
        return -1;
    r->copy = copy;
    r->cap = cap;
    r->taking = true;
    relay_interest(r);
    return 0;
}

bool dt_io_relay_taking(const dt_io_relay *r) { return r && r->taking; }

size_t dt_io_relay_held(const dt_io_relay *r) { return r ? r->held : 0; }

void dt_io_relay_free(dt_io_relay *r)
{
    if (!r || r->closed)
        return;
    r->closed = true;
    r->taking = false;
    if (r->src) {
        r->src->rin = NULL;
        stream_interest(r->src);
    }
    if (r->dst) {
        r->dst->rout = NULL;
        stream_interest(r->dst);
    }
    close(r->pr);
    close(r->pw);
    dt_io_free_later(r->io, r); /* a stream being dispatched may still look at it this turn */
}

/* ---- Listeners ------------------------------------------------------------------ */

struct dt_io_listener {
    reg r;
    dt_io *io;
    dt_io_accept_cb cb;
    void *ctx;
    bool paused;
};

static void peer_info(int fd, const struct sockaddr *sa, socklen_t sl, dt_io_peer *p)
{
    *p = (dt_io_peer){ .pid = -1, .uid = -1 };
    if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
        char ip[INET6_ADDRSTRLEN] = "?";
        if (sa->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
            p->port = ntohs(in->sin_port);
            snprintf(p->name, sizeof p->name, "%s:%u", ip, p->port);
        } else {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
            inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
            p->port = ntohs(in6->sin6_port);
            snprintf(p->name, sizeof p->name, "[%s]:%u", ip, p->port);
        }
    } else if (sa->sa_family == AF_UNIX) {
        struct ucred cr;
        socklen_t cl = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 && cr.pid > 0) {
            p->pid = cr.pid;
            p->uid = (long)cr.uid;
        }
    }
    (void)sl;
}

static void listener_ready(reg *r, unsigned events)
{
    (void)events;
    dt_io_listener *l = (dt_io_listener *)r;
    for (int i = 0; i < ACCEPT_BATCH && !l->r.closed && !l->paused; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(l->r.fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            l->cb(l->ctx, l, NULL, NULL, errno);
            return;
        }
        unsigned flags = (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) ? DT_IO_NODELAY : 0;
        dt_io_stream *s = stream_new(l->io, fd, flags);
        if (!s) {
            close(fd);
            l->cb(l->ctx, l, NULL, NULL, ENOMEM);
            return;
        }
        dt_io_peer peer;
        peer_info(fd, (struct sockaddr *)&ss, sl, &peer);
        l->cb(l->ctx, l, s, &peer, 0);
    }
}

dt_io_listener *dt_io_listen_handle(dt_io *io, dt_io_handle h, dt_io_accept_cb cb, void *ctx, char *err,
                                    size_t errsz)
{
    dt_io_listener *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    reg_init(&l->r, h, listener_ready);
    l->io = io;
    l->cb = cb;
    l->ctx = ctx;
    reg_want(io, &l->r, EPOLLIN);
    return l;
}

void dt_io_listener_pause(dt_io_listener *l, bool paused)
{
    l->paused = paused;
    reg_want(l->io, &l->r, paused ? 0 : EPOLLIN);
}

void dt_io_listener_close(dt_io_listener *l)
{
    if (!l || l->r.closed)
        return;
    reg_close(l->io, &l->r); /* the descriptor is the caller's */
    dt_io_free_later(l->io, l);
}

/* ---- Connects ------------------------------------------------------------------- */

struct dt_io_connect {
    reg r;
    dt_io *io;
    dt_io_endpoint ep;
    unsigned flags;
    uint64_t deadline; /* monotonic; 0: none */
    dt_io_connect_cb cb;
    void *ctx;
    dt_io_timer *timer; /* retry or timeout */
    dt_io_task task;    /* finished inside dt_io_connect_start */
    int result;         /* errno of a finished connect, 0: success */
    bool finished;
};

static void connect_free(dt_io_connect *c)
{
    dt_io_undefer(c->io, &c->task);
    dt_io_timer_free(c->timer);
    c->timer = NULL;
    if (c->r.fd >= 0) {
        reg_close(c->io, &c->r);
        close(c->r.fd);
        c->r.fd = -1;
    }
    c->r.closed = true;
    dt_io_free_later(c->io, c);
}

static void connect_finish(dt_io_connect *c, int err)
{
    if (c->finished)
        return;
    c->finished = true;
    dt_io_stream *s = NULL;
    if (!err) {
        int fd = c->r.fd;
        reg_close(c->io, &c->r);
        c->r.fd = -1;
        s = stream_new(c->io, fd, c->flags);
        if (!s) {
            close(fd);
            err = ENOMEM;
        }
    }
    dt_io_connect_cb cb = c->cb;
    void *ctx = c->ctx;
    connect_free(c);
    cb(ctx, s, err);
}

static void on_connect_task(dt_io_task *t)
{
    dt_io_connect *c = (dt_io_connect *)((char *)t - offsetof(dt_io_connect, task));
    connect_finish(c, c->result);
}

static void connect_try(dt_io_connect *c);

static void on_connect_timer(void *ctx, dt_io_timer *t)
{
    (void)t;
    dt_io_connect *c = ctx;
    if (c->deadline && dt_io_mono_ns() >= c->deadline) {
        connect_finish(c, ETIMEDOUT);
        return;
    }
    connect_try(c); /* a retry after EAGAIN */
}

static void arm_timer(dt_io_connect *c, uint64_t ms)
{
    if (c->deadline) {
        uint64_t now = dt_io_mono_ns();
        uint64_t left = c->deadline > now ? (c->deadline - now + 999999u) / 1000000u : 0;
        if (left < ms)
            ms = left;
    }
    dt_io_timer_start(c->timer, ms, 0);
}

static void connect_ready(reg *r, unsigned events)
{
    (void)events;
    dt_io_connect *c = (dt_io_connect *)r;
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(c->r.fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        err = errno;
    if (!err && !(events & EPOLLOUT))
        return;
    connect_finish(c, err);
}

static void connect_try(dt_io_connect *c)
{
    if (connect(c->r.fd, (const struct sockaddr *)&c->ep.addr, c->ep.addr_len) == 0) {
        c->result = 0;
        dt_io_defer(c->io, &c->task);
        return;
    }
    int err = errno;
    if (err == EINPROGRESS || err == EINTR) {
        reg_want(c->io, &c->r, EPOLLOUT);
        if (c->deadline)
            arm_timer(c, UINT32_MAX);
        return;
    }
    if (err == EAGAIN && c->ep.kind == DT_IO_UNIX) { /* the target's backlog is full: try again soon */
        if (!c->deadline || dt_io_mono_ns() < c->deadline) {
            arm_timer(c, CONNECT_RETRY_MS);
            return;
        }
        err = ETIMEDOUT;
    }
    c->result = err;
    dt_io_defer(c->io, &c->task);
}

dt_io_connect *dt_io_connect_start(dt_io *io, const dt_io_endpoint *ep, unsigned stream_flags, unsigned timeout_ms,
                                   dt_io_connect_cb cb, void *ctx)
{
    dt_io_connect *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->io = io;
    c->ep = *ep;
    c->flags = stream_flags | (ep->kind == DT_IO_TCP ? DT_IO_NODELAY : 0);
    c->cb = cb;
    c->ctx = ctx;
    c->task.fn = on_connect_task;
    c->deadline = timeout_ms ? dt_io_mono_ns() + (uint64_t)timeout_ms * 1000000u : 0;
    reg_init(&c->r, -1, connect_ready);
    c->timer = dt_io_timer_new(io, on_connect_timer, c);
    if (!c->timer) {
        free(c);
        return NULL;
    }
    if (ep->kind == DT_IO_PIPE) {
        c->result = ENOTSUP;
        dt_io_defer(io, &c->task);
        return c;
    }
    c->r.fd = socket(ep->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->r.fd < 0) {
        c->result = errno;
        dt_io_defer(io, &c->task);
        return c;
    }
    if (c->flags & DT_IO_NODELAY) { /* before connecting: the first bytes go out at once too */
        int one = 1;
        setsockopt(c->r.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    connect_try(c);
    return c;
}

void dt_io_connect_cancel(dt_io_connect *c)
{
    if (!c || c->finished)
        return;
    c->finished = true;
    connect_free(c);
}

/* ---- The stop signal ------------------------------------------------------------ */

static void sig_ready(reg *r, unsigned events)
{
    (void)events;
    posix_be *be = (posix_be *)((char *)r - offsetof(posix_be, sig));
    struct signalfd_siginfo si;
    while (read(r->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (!be->io->stop_sig)
            be->io->stop_sig = (int)si.ssi_signo;
        be->sig_cb(be->sig_ctx, (int)si.ssi_signo);
    }
}

int dt_io_on_stop_signal(dt_io *io, dt_io_signal_cb cb, void *ctx, char *err, size_t errsz)
{
    posix_be *be = be_of(io);
    if (be->sig_fd >= 0) {
        snprintf(err, errsz, "a stop signal handler is already set");
        return -1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigset_t old;
    if (sigprocmask(SIG_BLOCK, &set, &old) < 0) {
        snprintf(err, errsz, "signals: %s", strerror(errno));
        return -1;
    }
    be->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (be->sig_fd < 0) {
        snprintf(err, errsz, "signalfd: %s", strerror(errno));
        sigprocmask(SIG_SETMASK, &old, NULL);
        return -1;
    }
    be->child_mask = old;
    be->sig_cb = cb;
    be->sig_ctx = ctx;
    reg_init(&be->sig, be->sig_fd, sig_ready);
    reg_want(io, &be->sig, EPOLLIN);
    return 0;
}

/* ---- Children ------------------------------------------------------------------------ */

struct dt_io_child {
    reg r;           /* the pidfd */
    dt_io *io;
    pid_t pid;
    bool exited;
    dt_io_exit how;
    dt_io_exit_cb cb;
    void *ctx;
    dt_io_timer *poll; /* without pidfd: look every 20 ms */
};

static dt_io_exit exit_of(int st)
{
    if (WIFEXITED(st))
        return (dt_io_exit){ WEXITSTATUS(st), 0 };
    if (WIFSIGNALED(st))
        return (dt_io_exit){ -1, WTERMSIG(st) };
    return (dt_io_exit){ 1, 0 };
}

static void child_check(dt_io_child *ch)
{
    int st;
    if (ch->exited || waitpid(ch->pid, &st, WNOHANG) != ch->pid)
        return;
    ch->exited = true;
    ch->how = exit_of(st);
    reg_want(ch->io, &ch->r, 0);
    if (ch->poll)
        dt_io_timer_stop(ch->poll);
    if (ch->cb)
        ch->cb(ch->ctx, ch, ch->how);
}

static void child_ready(reg *r, unsigned events)
{
    (void)events;
    child_check((dt_io_child *)r);
}

static void child_poll(void *ctx, dt_io_timer *t)
{
    (void)t;
    child_check(ctx);
}

static void close_pipes(int p[3][2])
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            if (p[i][j] >= 0)
                close(p[i][j]);
}

dt_io_child *dt_io_spawn(dt_io *io, char *const argv[], dt_io_stream **in, dt_io_stream **out, dt_io_stream **err,
                         dt_io_exit_cb cb, void *ctx, int *errnum)
{
    posix_be *be = be_of(io);
    int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
    dt_io_child *ch = calloc(1, sizeof *ch);
    if (!ch) {
        *errnum = ENOMEM;
        return NULL;
    }
    for (int i = 0; i < 3; i++) {
        if (pipe2(p[i], O_CLOEXEC) < 0) {
            *errnum = errno;
            close_pipes(p);
            free(ch);
            return NULL;
        }
    }
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
    posix_spawnattr_setsigmask(&at, &be->child_mask);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    int rc = posix_spawnp(&ch->pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    /* The child's ends belong to the child now. */
    close(p[0][0]);
    close(p[1][1]);
    close(p[2][1]);
    p[0][0] = p[1][1] = p[2][1] = -1;
    if (rc != 0) {
        *errnum = rc;
        close_pipes(p);
        free(ch);
        return NULL;
    }
    ch->io = io;
    ch->cb = cb;
    ch->ctx = ctx;
    int pfd = pidfd_open(ch->pid, 0);
    reg_init(&ch->r, pfd, child_ready);
    if (pfd >= 0) {
        fcntl(pfd, F_SETFD, FD_CLOEXEC);
        reg_want(io, &ch->r, EPOLLIN);
    } else {
        ch->poll = dt_io_timer_new(io, child_poll, ch);
        if (ch->poll)
            dt_io_timer_start(ch->poll, 20, 20);
    }
    dt_io_stream *s[3];
    for (int i = 0; i < 3; i++) {
        s[i] = stream_new(io, i == 0 ? p[0][1] : p[i][0], 0);
        if (!s[i]) {
            for (int j = 0; j < i; j++)
                dt_io_close(s[j], false);
            for (int j = i; j < 3; j++)
                close(j == 0 ? p[0][1] : p[j][0]);
            kill(ch->pid, SIGKILL);
            dt_io_child_free(ch);
            *errnum = ENOMEM;
            return NULL;
        }
    }
    *in = s[0];
    *out = s[1];
    *err = s[2];
    return ch;
}

long dt_io_child_pid(const dt_io_child *ch) { return (long)ch->pid; }

void dt_io_child_signal(dt_io_child *ch, int sig)
{
    if (!ch->exited)
        kill(ch->pid, sig);
}

void dt_io_child_free(dt_io_child *ch)
{
    if (!ch)
        return;
    if (!ch->exited) {
        int st;
        while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
            ;
        ch->exited = true;
    }
    dt_io_timer_free(ch->poll);
    if (ch->r.fd >= 0) {
        reg_close(ch->io, &ch->r);
        close(ch->r.fd);
    }
    ch->r.closed = true;
    dt_io_free_later(ch->io, ch);
}

/* ---- Watches and asyncs ---------------------------------------------------------- */

struct dt_io_watch {
    reg r;
    dt_io *io;
    dt_io_watch_cb cb;
    void *ctx;
};

static unsigned to_epoll(unsigned ev) { return ((ev & DT_IO_IN) ? EPOLLIN : 0) | ((ev & DT_IO_OUT) ? EPOLLOUT : 0); }

static void watch_ready(reg *r, unsigned events)
{
    dt_io_watch *w = (dt_io_watch *)r;
    unsigned ready = ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? DT_IO_IN : 0) |
                     ((events & (EPOLLOUT | EPOLLERR)) ? DT_IO_OUT : 0) |
                     ((events & (EPOLLHUP | EPOLLERR)) ? DT_IO_ERR : 0);
    w->cb(w->ctx, w, ready);
}

dt_io_watch *dt_io_watch_new(dt_io *io, dt_io_handle h, unsigned events, dt_io_watch_cb cb, void *ctx, char *err,
                             size_t errsz)
{
    dt_io_watch *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    reg_init(&w->r, h, watch_ready);
    w->io = io;
    w->cb = cb;
    w->ctx = ctx;
    reg_want(io, &w->r, to_epoll(events));
    return w;
}

void dt_io_watch_set(dt_io_watch *w, unsigned events) { reg_want(w->io, &w->r, to_epoll(events)); }

void dt_io_watch_free(dt_io_watch *w)
{
    if (!w)
        return;
    reg_close(w->io, &w->r);
    dt_io_free_later(w->io, w);
}

struct dt_io_async {
    reg r;
    dt_io *io;
    dt_io_async_cb cb;
    void *ctx;
};

static void async_ready(reg *r, unsigned events)
{
    (void)events;
    dt_io_async *a = (dt_io_async *)r;
    uint64_t v;
    if (read(r->fd, &v, sizeof v) == (ssize_t)sizeof v)
        a->cb(a->ctx, a);
}

dt_io_async *dt_io_async_new(dt_io *io, dt_io_async_cb cb, void *ctx)
{
    dt_io_async *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        free(a);
        return NULL;
    }
    reg_init(&a->r, fd, async_ready);
    a->io = io;
    a->cb = cb;
    a->ctx = ctx;
    reg_want(io, &a->r, EPOLLIN);
    return a;
}

void dt_io_async_send(dt_io_async *a)
{
    uint64_t one = 1;
    if (write(a->r.fd, &one, sizeof one) < 0) {
        /* counter full: a wake-up is pending anyway */
    }
}

void dt_io_async_free(dt_io_async *a)
{
    if (!a)
        return;
    reg_close(a->io, &a->r);
    close(a->r.fd);
    dt_io_free_later(a->io, a);
}
