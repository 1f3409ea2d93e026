#include "proxy.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "loop.h"
#include "ring.h"
#include "signals.h"

/* Side 0 is the client, side 1 the target; ring[s] holds what side s sent
 * and side !s has not taken yet, so direction s (C2S = 0, S2C = 1) is
 * "read from s, write to !s". */
enum { CLIENT = 0, SERVER = 1 };

#define RETRY_NS (5ull * 1000000000ull) /* a Unix target's full backlog */
#define ACCEPT_BATCH 64

typedef struct proxy proxy;
typedef struct conn conn;

typedef struct end {
    conn *c;
    int side;
} end;

typedef enum { C_CONNECTING, C_RETRY, C_OPEN } conn_state;

struct conn {
    proxy *px;
    conn *prev, *next;
    uint32_t num;
    conn_state state;
    uint64_t retry_until;
    int fd[2];
    int slot[2];
    end ends[2];
    dt_ring ring[2];
    bool eof[2];   /* side s has sent EOF (or can no longer be heard) */
    bool ended[2]; /* direction s is over: its end was passed on */
    dt_conv *conv;
    uint64_t bytes[2];
    char client[80];
};

struct proxy {
    dt_engine *eng;
    const dt_proxy_spec *spec;
    size_t buf_size;
    dt_loop *loop;
    conn *conns;
    size_t n_retry;
    uint32_t next_num;
    int listen_slot;
    bool accept_paused;
    int stop_sig;
};

static const char *side_name(int s)
{
    return s == CLIENT ? "client" : "target";
}

static void conn_free(conn *c)
{
    proxy *px = c->px;
    for (int s = 0; s < 2; s++) {
        if (c->slot[s] >= 0)
            dt_loop_del(px->loop, c->slot[s]);
        if (c->fd[s] >= 0)
            close(c->fd[s]);
        dt_ring_free(&c->ring[s]);
    }
    if (c->state == C_RETRY)
        px->n_retry--;
    if (c->prev)
        c->prev->next = c->next;
    else
        px->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    if (px->accept_paused) {
        px->accept_paused = false;
        dt_loop_set(px->loop, px->listen_slot, DT_LOOP_IN);
    }
}

/* Ends the conversation and frees the connection. why NULL: a normal close.
 * After an abort a TCP peer is reset rather than shut down cleanly, as it
 * would have been without the proxy. */
static void conn_close(conn *c, const char *why)
{
    uint64_t now = dt_ipc_now_ns();
    if (why) {
        size_t lost = c->ring[0].len + c->ring[1].len;
        if (lost)
            dt_engine_note(c->px->eng, c->conv, now, DT_EV_ERROR, "%s; %zu relayed byte%s not delivered", why, lost,
                           lost == 1 ? "" : "s");
        else
            dt_engine_note(c->px->eng, c->conv, now, DT_EV_ERROR, "%s", why);
        for (int s = 0; s < 2; s++) {
            if (c->fd[s] >= 0) {
                struct linger lg = { 1, 0 };
                setsockopt(c->fd[s], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            }
        }
    } else {
        dt_engine_note(c->px->eng, c->conv, now, DT_EV_NOTE,
                       "connection closed: %" PRIu64 " bytes client→target, %" PRIu64 " bytes target→client",
                       c->bytes[0], c->bytes[1]);
    }
    dt_engine_conv_close(c->px->eng, c->conv, now, NULL);
    conn_free(c);
}

static void conn_update(conn *c)
{
    for (int s = 0; s < 2; s++) {
        unsigned want = 0;
        if (c->state == C_OPEN) {
            if (!c->eof[s] && !dt_ring_full(&c->ring[s]))
                want |= DT_LOOP_IN;
            if (!dt_ring_empty(&c->ring[!s]))
                want |= DT_LOOP_OUT;
        } else if (s == SERVER && c->state == C_CONNECTING) {
            want = DT_LOOP_OUT;
        }
        dt_loop_set(c->px->loop, c->slot[s], want);
    }
}

/* Passes on finished directions; returns true when the connection closed. */
static bool conn_progress(conn *c)
{
    for (int d = 0; d < 2; d++) {
        if (c->eof[d] && dt_ring_empty(&c->ring[d]) && !c->ended[d]) {
            c->ended[d] = true;
            shutdown(c->fd[!d], SHUT_WR);
            dt_engine_stream_end(c->px->eng, c->conv, (dt_dir)d, dt_ipc_now_ns());
        }
    }
    if (c->ended[0] && c->ended[1]) {
        conn_close(c, NULL);
        return true;
    }
    return false;
}

/* Side s can no longer take bytes: direction !s is dead. The other
 * direction carries on until its own end. */
static void direction_dead(conn *c, int s, int err)
{
    int d = !s;
    size_t lost = c->ring[d].len;
    dt_engine_note(c->px->eng, c->conv, dt_ipc_now_ns(), DT_EV_ERROR, "%s stopped receiving (%s); %zu byte%s not delivered",
                   side_name(s), strerror(err), lost, lost == 1 ? "" : "s");
    c->ring[d].len = 0;
    c->ring[d].head = 0;
    c->eof[d] = true;
    c->ended[d] = true;
    shutdown(c->fd[d], SHUT_RD);
    dt_engine_stream_end(c->px->eng, c->conv, (dt_dir)d, dt_ipc_now_ns());
}

/* Returns -1 when the connection was closed. */
static int side_read(conn *c, int s)
{
    struct iovec got[2];
    ssize_t k = dt_ring_read_fd(&c->ring[s], c->fd[s], got);
    if (k > 0) {
        uint64_t now = dt_ipc_now_ns();
        c->bytes[s] += (uint64_t)k;
        dt_engine_stream(c->px->eng, c->conv, (dt_dir)s, now, got[0].iov_base, got[0].iov_len);
        if (got[1].iov_len)
            dt_engine_stream(c->px->eng, c->conv, (dt_dir)s, now, got[1].iov_base, got[1].iov_len);
        return 0;
    }
    if (k == 0) {
        c->eof[s] = true;
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    char why[160];
    snprintf(why, sizeof why, "%s aborted the connection (%s)", side_name(s), strerror(errno));
    conn_close(c, why);
    return -1;
}

static void side_write(conn *c, int s)
{
    if (dt_ring_empty(&c->ring[!s]) || c->ended[!s])
        return;
    ssize_t k = dt_ring_write_fd(&c->ring[!s], c->fd[s], SIZE_MAX);
    if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        direction_dead(c, s, errno);
}

static void connect_failed(conn *c, int err)
{
    char why[300];
    snprintf(why, sizeof why, "cannot connect to %s: %s", c->px->spec->target_name, strerror(err));
    conn_close(c, why);
}

static void set_state(conn *c, conn_state st)
{
    if (c->state == C_RETRY)
        c->px->n_retry--;
    if (st == C_RETRY)
        c->px->n_retry++;
    c->state = st;
}

/* Starts or retries the connection to the target. Returns -1 when closed. */
static int conn_connect(conn *c)
{
    const dt_proxy_spec *sp = c->px->spec;
    if (connect(c->fd[SERVER], (const struct sockaddr *)&sp->target, sp->target_len) == 0) {
        set_state(c, C_OPEN);
        return 0;
    }
    int err = errno;
    if (err == EINPROGRESS || err == EINTR) {
        set_state(c, C_CONNECTING);
        return 0;
    }
    if (err == EAGAIN && sp->target.ss_family == AF_UNIX) {
        uint64_t now = dt_ipc_now_ns();
        if (c->state != C_RETRY) {
            c->retry_until = now + RETRY_NS;
            set_state(c, C_RETRY);
            return 0;
        }
        if (now < c->retry_until)
            return 0;
    }
    connect_failed(c, err);
    return -1;
}

static void on_side(void *ctx, int fd, unsigned ready)
{
    (void)fd;
    end *e = ctx;
    conn *c = e->c;
    int s = e->side;

    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(c->fd[SERVER], SOL_SOCKET, SO_ERROR, &err, &el) < 0)
            err = errno;
        if (err) {
            connect_failed(c, err);
            return;
        }
        if (!(ready & DT_LOOP_OUT))
            return;
        set_state(c, C_OPEN);
        conn_update(c);
        return;
    }
    if (c->state != C_OPEN)
        return;
    if (ready & DT_LOOP_OUT)
        side_write(c, s);
    if ((ready & DT_LOOP_IN) && !c->eof[s] && !dt_ring_full(&c->ring[s])) {
        if (side_read(c, s) < 0)
            return;
        side_write(c, !s); /* most of the time the other side can take it now */
    }
    if (!conn_progress(c))
        conn_update(c);
}

static void conn_start(proxy *px, int cfd, const struct sockaddr *peer, socklen_t peer_len)
{
    const dt_proxy_spec *sp = px->spec;
    uint64_t now = dt_ipc_now_ns();
    conn *c = calloc(1, sizeof *c);
    if (!c || dt_ring_init(&c->ring[0], px->buf_size) < 0 || dt_ring_init(&c->ring[1], px->buf_size) < 0) {
        dt_engine_note(px->eng, NULL, now, DT_EV_ERROR, "out of memory: connection refused");
        if (c) {
            dt_ring_free(&c->ring[0]);
            dt_ring_free(&c->ring[1]);
            free(c);
        }
        close(cfd);
        return;
    }
    c->px = px;
    c->num = ++px->next_num;
    c->fd[CLIENT] = cfd;
    c->fd[SERVER] = -1;
    c->slot[CLIENT] = c->slot[SERVER] = -1;
    c->state = C_CONNECTING;
    for (int s = 0; s < 2; s++)
        c->ends[s] = (end){ c, s };
    c->next = px->conns;
    if (px->conns)
        px->conns->prev = c;
    px->conns = c;

    uint16_t client_port = 0;
    if (peer->sa_family == AF_INET || peer->sa_family == AF_INET6) {
        dt_addr_format(peer, peer_len, c->client, sizeof c->client);
        client_port = dt_addr_port(peer);
    } else {
        snprintf(c->client, sizeof c->client, "client#%u", c->num);
    }
    char name[300], desc[400];
    snprintf(name, sizeof name, "%s#%u", sp->chan_prefix, c->num);
    snprintf(desc, sizeof desc, "%s, connection %u from %s", sp->description, c->num, c->client);
    dt_conv_params cp = {
        .channel = dt_engine_channel(px->eng, name, desc, -1),
        .transport = DT_CONV_STREAM,
        .client = c->client,
        .server = sp->target_name,
        .client_port = client_port,
        .server_port = dt_addr_port((const struct sockaddr *)&sp->target),
        .dissector = sp->dissector,
        .show_undecoded = true,
        .ts_ns = now,
    };
    c->conv = dt_engine_conv_open(px->eng, &cp);
    if (!c->conv) {
        dt_engine_note(px->eng, NULL, now, DT_EV_ERROR, "out of memory: connection from %s refused", c->client);
        conn_free(c); /* closes cfd */
        return;
    }
    dt_engine_note(px->eng, c->conv, now, DT_EV_NOTE, "%s connected; relaying to %s", c->client, sp->target_name);

    c->slot[CLIENT] = dt_loop_add(px->loop, cfd, 0, on_side, &c->ends[CLIENT]);
    c->fd[SERVER] = socket(sp->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd[SERVER] < 0 || c->slot[CLIENT] < 0) {
        connect_failed(c, c->fd[SERVER] < 0 ? errno : ENOMEM);
        return;
    }
    c->slot[SERVER] = dt_loop_add(px->loop, c->fd[SERVER], 0, on_side, &c->ends[SERVER]);
    if (c->slot[SERVER] < 0) {
        connect_failed(c, ENOMEM);
        return;
    }
    if (sp->target.ss_family != AF_UNIX) {
        int one = 1; /* relay small messages (DAP, WinRM) without delay */
        setsockopt(c->fd[SERVER], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (conn_connect(c) == 0)
        conn_update(c);
}

static void on_listen(void *ctx, int fd, unsigned ready)
{
    (void)ready;
    proxy *px = ctx;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd >= 0) {
            conn_start(px, cfd, (struct sockaddr *)&ss, sl);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        dt_engine_note(px->eng, NULL, dt_ipc_now_ns(), DT_EV_ERROR, "accept: %s", strerror(errno));
        if (px->conns) { /* out of descriptors: wait until a connection closes */
            px->accept_paused = true;
            dt_loop_set(px->loop, px->listen_slot, 0);
        }
        return;
    }
}

static void on_signal(void *ctx, int fd, unsigned ready)
{
    (void)ready;
    proxy *px = ctx;
    int sig = dt_signals_next(fd);
    if (sig > 0)
        px->stop_sig = sig;
}

static void retry_pending(proxy *px)
{
    conn *next;
    for (conn *c = px->conns; c && px->n_retry; c = next) {
        next = c->next;
        if (c->state == C_RETRY && conn_connect(c) == 0)
            conn_update(c);
    }
}

int dt_proxy_run(dt_engine *eng, const dt_proxy_spec *spec, int sig_fd)
{
    proxy px = {
        .eng = eng,
        .spec = spec,
        .buf_size = spec->buf_size ? spec->buf_size : DT_PROXY_BUF_DEFAULT,
        .loop = dt_loop_new(),
    };
    if (!px.loop) {
        fprintf(stderr, "diagtap: out of memory\n");
        return -1;
    }
    px.listen_slot = dt_loop_add(px.loop, spec->listen_fd, DT_LOOP_IN, on_listen, &px);
    int sig_slot = dt_loop_add(px.loop, sig_fd, DT_LOOP_IN, on_signal, &px);
    int rc = 0;
    if (px.listen_slot < 0 || sig_slot < 0) {
        fprintf(stderr, "diagtap: out of memory\n");
        rc = -1;
    }
    while (rc == 0 && !px.stop_sig) {
        if (dt_loop_once(px.loop, px.n_retry ? 10 : -1) < 0) {
            perror("diagtap: poll");
            rc = -1;
        } else if (px.n_retry) {
            retry_pending(&px);
        }
    }
    while (px.conns) {
        conn *c = px.conns;
        dt_engine_conv_close(eng, c->conv, dt_ipc_now_ns(), "diagtap stopped: connection closed");
        conn_free(c);
    }
    dt_loop_free(px.loop);
    return rc < 0 ? rc : px.stop_sig;
}
