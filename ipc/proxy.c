/* The relay of proxy.h, on the I/O layer: no system call here.
 *
 * Side 0 is the client, side 1 the target; ring[s] holds what side s sent
 * and side !s has not taken yet, so direction s (C2S = 0, S2C = 1) is
 * "read from s into ring[s], write ring[s] to !s". A side is read only
 * while its ring has room (backpressure: a peer that stops reading stops
 * the other peer, as a direct connection would); the decoder gets a copy
 * of every chunk through the feed and never holds the relay up.
 *
 * Where the I/O layer can relay without copying (dt_io_relay: splice(2)
 * between two sockets on Linux), each direction is one relay instead: the
 * backend moves the bytes and holds what dst has not taken yet (the pipe
 * plays the ring's part, same size, same backpressure), and the ring's
 * memory only receives the decoder's copy of each chunk.
 * DIAGTAP_NO_SPLICE=1 in the environment keeps the read/write relay (to
 * compare the two, and to test the fallback every other platform uses).
 *
 * Message-mode named pipes (dt_io_stream_messages): direction s is relayed
 * message by message. ring[s] then holds whole messages (their lengths in
 * msgq[s]) and the one still arriving (open[s] bytes); only whole messages
 * are written, each with one write (one message on the other pipe), and
 * handed to the decoder whole. A message longer than the ring grows it, up
 * to DT_PROXY_MSG_MAX; past that the bytes are passed on as a message of
 * that size (the boundary is lost, said on the timeline; no byte is). */
#include "proxy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

enum { CLIENT = 0, SERVER = 1 };

#define MAX_LISTENERS 8
#define RESUME_MS 50 /* accept paused for want of descriptors: look again after this */
#define MSGQ 64      /* whole messages held per direction before reading stops */

typedef struct msgq {
    uint32_t len[MSGQ];
    unsigned head, n;
    size_t open;    /* bytes of the message still arriving, at the ring's tail */
    uint8_t *flat;  /* a whole message that wraps around the ring, copied to be written in one piece */
    size_t flat_cap;
    bool cut_noted;
} msgq;

typedef struct conn conn;

typedef struct end {
    conn *c;
    int side;
} end;

struct conn {
    dt_proxy *px;
    conn *prev, *next;
    uint32_t num;
    dt_io_connect *connecting;
    dt_io_stream *s[2];
    end ends[2];
    dt_ring ring[2];
    dt_io_relay *rel[2]; /* direction s spliced (NULL: ring[s] with reads and writes) */
    bool eof[2];   /* side s has sent EOF (or can no longer be heard) */
    bool ended[2]; /* direction s is over: its end was passed on */
    bool msgs[2];  /* side s is a message-mode pipe: direction s goes message by message */
    msgq mq[2];
    dt_feed_conv *fc; /* NULL: relayed without decoding (no room in the feed) */
    uint64_t bytes[2];
    char client[128];
};

struct dt_proxy {
    dt_io *io;
    dt_feed *feed;
    dt_proxy_spec spec;
    size_t buf_size;
    conn *conns;
    size_t n_open;
    uint32_t next_num;
    dt_io_listener *listeners[MAX_LISTENERS];
    int n_listeners;
    bool accept_paused;
    bool splice; /* relay with dt_io_relay where the backend can */
    dt_io_timer *resume;
    uint64_t undecoded_conns; /* relayed while the feed had no room to open them */
};

static const char *side_name(int s) { return s == CLIENT ? "client" : "target"; }

/* Bytes of direction d relayed from side d and not yet taken by side !d. */
static size_t held(const conn *c, int d) { return c->rel[d] ? dt_io_relay_held(c->rel[d]) : c->ring[d].len; }

static void pause_accept(dt_proxy *px, bool paused)
{
    px->accept_paused = paused;
    for (int i = 0; i < px->n_listeners; i++)
        dt_io_listener_pause(px->listeners[i], paused);
}

static void conn_free(conn *c)
{
    dt_proxy *px = c->px;
    dt_io_connect_cancel(c->connecting);
    for (int s = 0; s < 2; s++) {
        dt_io_relay_free(c->rel[s]);
        c->rel[s] = NULL;
    }
    for (int s = 0; s < 2; s++) {
        dt_io_close(c->s[s], false);
        dt_ring_free(&c->ring[s]);
        free(c->mq[s].flat);
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        px->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    px->n_open--;
    free(c);
    if (px->accept_paused) /* a descriptor is free again */
        pause_accept(px, false);
}

/* Ends the conversation and frees the connection. why NULL: a normal close.
 * After an abort a TCP peer is reset rather than shut down cleanly, as it
 * would have been without the proxy. */
static void conn_close(conn *c, const char *why)
{
    dt_proxy *px = c->px;
    uint64_t now = dt_io_now_ns();
    if (c->fc) {
        if (why) {
            size_t lost = held(c, 0) + held(c, 1);
            if (lost)
                dt_feed_note(px->feed, c->fc, now, DT_EV_ERROR, "%s; %zu relayed byte%s not delivered", why, lost,
                             lost == 1 ? "" : "s");
            else
                dt_feed_note(px->feed, c->fc, now, DT_EV_ERROR, "%s", why);
        } else {
            dt_feed_note(px->feed, c->fc, now, DT_EV_NOTE,
                         "connection closed: %" PRIu64 " bytes client→target, %" PRIu64 " bytes target→client",
                         c->bytes[0], c->bytes[1]);
        }
        dt_feed_close(px->feed, c->fc, now, NULL);
        c->fc = NULL;
    }
    if (why) {
        for (int s = 0; s < 2; s++) {
            dt_io_close(c->s[s], true);
            c->s[s] = NULL;
        }
    }
    conn_free(c);
}

/* A message longer than the ring: room for more of it (see the top). */
static void msg_make_room(conn *c, int s)
{
    dt_ring *r = &c->ring[s];
    msgq *q = &c->mq[s];
    if (!dt_ring_full(r) || q->n) /* n 0: no write in flight from this ring either */
        return;
    if (r->cap < DT_PROXY_MSG_MAX && dt_ring_resize(r, r->cap * 2 > DT_PROXY_MSG_MAX ? DT_PROXY_MSG_MAX : r->cap * 2) == 0)
        return;
    /* at the limit (or out of memory): what is held goes on as one message */
    if (!q->cut_noted && c->fc)
        dt_feed_note(c->px->feed, c->fc, dt_io_now_ns(), DT_EV_ERROR,
                     "%s sent a message longer than %zu bytes: relayed in pieces (message boundary lost)",
                     side_name(s), r->cap);
    q->cut_noted = true;
    q->len[(q->head + q->n++) % MSGQ] = (uint32_t)q->open;
    q->open = 0;
}

static void arm_read(conn *c, int s)
{
    if (!c->s[s] || c->eof[s] || c->ended[s] || dt_io_reading(c->s[s]))
        return;
    if (c->rel[s]) {
        /* The ring's memory takes the decoder's copy only, and no copy is
         * taken while the feed could not queue it anyway: those bytes
         * are reported lost without ever entering user space. */
        if (!dt_io_relay_taking(c->rel[s])) {
            bool copy = c->fc && !dt_feed_full(c->px->feed, c->fc, (dt_dir)s);
            dt_io_relay_take(c->rel[s], copy ? c->ring[s].buf : NULL, c->ring[s].cap);
        }
        return;
    }
    if (c->msgs[s]) {
        if (c->mq[s].n == MSGQ)
            return; /* read on when messages went out */
        msg_make_room(c, s);
    }
    uint8_t *p;
    size_t n = dt_ring_space(&c->ring[s], &p);
    if (n)
        dt_io_read(c->s[s], p, n);
}

/* Writes what ring[d] holds to side !d. */
static void arm_write(conn *c, int d)
{
    dt_io_stream *to = c->s[!d];
    if (!to || c->rel[d] || c->ended[d] || dt_ring_empty(&c->ring[d]) || dt_io_writing(to))
        return;
    const uint8_t *a, *b;
    size_t na, nb;
    dt_ring_held(&c->ring[d], &a, &na, &b, &nb);
    if (c->msgs[d]) {
        msgq *q = &c->mq[d];
        if (!q->n)
            return; /* no whole message yet */
        size_t len = q->len[q->head];
        if (len <= na) {
            na = len;
            nb = 0;
        } else { /* wraps around: one message is one write */
            if (q->flat_cap < len) {
                uint8_t *f = realloc(q->flat, len);
                if (!f)
                    return; /* tried again at the next event */
                q->flat = f;
                q->flat_cap = len;
            }
            memcpy(q->flat, a, na);
            memcpy(q->flat + na, b, len - na);
            a = q->flat;
            na = len;
            nb = 0;
        }
    }
    dt_io_write(to, a, na, b, nb);
}

/* Direction s's newest message, just completed (len bytes at the ring's
 * tail), to the decoder whole. */
static void msg_feed(conn *c, int s, size_t len)
{
    dt_ring *r = &c->ring[s];
    if (!c->fc || !len)
        return;
    size_t start = (r->head + r->len - len) % r->cap, first = r->cap - start < len ? r->cap - start : len;
    dt_feed_message(c->px->feed, c->fc, (dt_dir)s, dt_io_now_ns(), r->buf + start, first, r->buf, len - first);
}

/* Passes on finished directions; returns true when the connection closed. */
static bool conn_progress(conn *c)
{
    for (int d = 0; d < 2; d++) {
        if (c->eof[d] && !c->ended[d] && !held(c, d) && !dt_io_writing(c->s[!d])) {
            c->ended[d] = true;
            dt_io_shutdown_write(c->s[!d]);
            if (c->fc)
                dt_feed_end(c->px->feed, c->fc, (dt_dir)d, dt_io_now_ns());
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
    size_t lost = held(c, d);
    uint64_t now = dt_io_now_ns();
    dt_io_relay_free(c->rel[d]); /* what it held is lost, counted above */
    c->rel[d] = NULL;
    if (c->fc)
        dt_feed_note(c->px->feed, c->fc, now, DT_EV_ERROR, "%s stopped receiving (%s); %zu byte%s not delivered",
                     side_name(s), strerror(err), lost, lost == 1 ? "" : "s");
    dt_ring_clear(&c->ring[d]);
    c->eof[d] = true;
    c->ended[d] = true;
    dt_io_shutdown_read(c->s[d]);
    if (c->fc)
        dt_feed_end(c->px->feed, c->fc, (dt_dir)d, now);
}

/* Whether what side s delivered is to be dropped: the other side is gone
 * (what still arrives is dropped, as the kernel would), or s failed with
 * err, which closes the connection. */
static bool side_done(conn *c, int s, int err)
{
    if (c->ended[s])
        return true;
    if (err) {
        char why[160];
        snprintf(why, sizeof why, "%s aborted the connection (%s)", side_name(s), strerror(err));
        conn_close(c, why);
        return true;
    }
    return false;
}

static void on_read(void *ctx, dt_io_stream *st, uint8_t *data, size_t n, unsigned flags, int err)
{
    (void)st;
    end *e = ctx;
    conn *c = e->c;
    int s = e->side;
    if (side_done(c, s, err))
        return;
    if (flags & DT_IO_EOF) {
        c->eof[s] = true;
        msgq *q = &c->mq[s];
        if (c->msgs[s] && q->open) { /* cannot happen: a pipe ends between messages */
            q->len[(q->head + q->n++) % MSGQ] = (uint32_t)q->open;
            msg_feed(c, s, q->open);
            q->open = 0;
            arm_write(c, s);
        }
    } else if (c->msgs[s]) {
        msgq *q = &c->mq[s];
        dt_ring_produced(&c->ring[s], n);
        c->bytes[s] += n;
        q->open += n;
        if (flags & DT_IO_MSG_END) {
            size_t len = q->open;
            q->len[(q->head + q->n++) % MSGQ] = (uint32_t)len;
            q->open = 0;
            arm_write(c, s);
            msg_feed(c, s, len);
        }
        arm_read(c, s);
    } else {
        dt_ring_produced(&c->ring[s], n);
        c->bytes[s] += n;
        arm_write(c, s); /* relay first, then hand the decoder its copy */
        if (c->fc)
            dt_feed_stream(c->px->feed, c->fc, (dt_dir)s, dt_io_now_ns(), data, n);
        arm_read(c, s);
    }
    conn_progress(c);
}

static void on_write(void *ctx, dt_io_stream *st, size_t n, int err)
{
    (void)st;
    end *e = ctx;
    conn *c = e->c;
    int s = e->side, d = !s; /* side s took n bytes of direction d */
    dt_ring_consumed(&c->ring[d], n, !dt_io_reading(c->s[d]));
    if (c->msgs[d] && !err) {
        msgq *q = &c->mq[d];
        if (q->n && n >= q->len[q->head]) {
            q->head = (q->head + 1) % MSGQ;
            q->n--;
        } else if (q->n) {
            q->len[q->head] -= (uint32_t)n; /* a pipe writes a message whole; should it not, the rest goes next */
        }
        /* back to the usual size once a long message went through */
        if (dt_ring_empty(&c->ring[d]) && !dt_io_reading(c->s[d]) && c->ring[d].cap > c->px->buf_size)
            dt_ring_resize(&c->ring[d], c->px->buf_size);
    }
    if (err) {
        direction_dead(c, s, err);
    } else {
        arm_write(c, d);
        arm_read(c, d);
    }
    conn_progress(c);
}

static const dt_io_stream_cbs relay_cbs = { on_read, on_write };

/* The same two events when the backend relays (dt_io_relay): ctx is the
 * end of the side the bytes come from. */
static void on_taken(void *ctx, dt_io_relay *r, const uint8_t *copy, size_t n, unsigned flags, int err)
{
    (void)r;
    end *e = ctx;
    conn *c = e->c;
    int s = e->side;
    if (side_done(c, s, err))
        return;
    if (flags & DT_IO_EOF) {
        c->eof[s] = true;
    } else {
        c->bytes[s] += n; /* already on its way to the other side */
        if (c->fc && copy)
            dt_feed_stream(c->px->feed, c->fc, (dt_dir)s, dt_io_now_ns(), copy, n);
        else if (c->fc)
            dt_feed_lost(c->px->feed, c->fc, (dt_dir)s, dt_io_now_ns(), n);
        arm_read(c, s);
    }
    conn_progress(c);
}

static void on_delivered(void *ctx, dt_io_relay *r, size_t n, int err)
{
    (void)r, (void)n;
    end *e = ctx;
    conn *c = e->c;
    int d = e->side; /* side !d took n bytes of direction d */
    if (err)
        direction_dead(c, !d, err);
    else
        arm_read(c, d);
    conn_progress(c);
}

static const dt_io_relay_cbs splice_cbs = { on_taken, on_delivered };

static void on_connected(void *ctx, dt_io_stream *s, int err)
{
    conn *c = ctx;
    c->connecting = NULL;
    if (!s) {
        char why[300];
        const dt_io_endpoint *t = &c->px->spec.target;
        if (err == EACCES && t->server_pid > 0)
            snprintf(why, sizeof why, "cannot connect to %s: its server is not process %ld (refused)",
                     c->px->spec.target_name, t->server_pid);
        else
            snprintf(why, sizeof why, "cannot connect to %s: %s", c->px->spec.target_name,
                     err == ETIMEDOUT ? "no answer (connect timeout)" : strerror(err));
        conn_close(c, why);
        return;
    }
    c->s[SERVER] = s;
    c->msgs[SERVER] = dt_io_stream_messages(s);
    dt_io_stream_set_cbs(s, &relay_cbs, &c->ends[SERVER]);
    if (c->px->splice) { /* both directions or neither */
        for (int d = 0; d < 2; d++)
            c->rel[d] = dt_io_relay_new(c->s[d], c->s[!d], c->px->buf_size, &splice_cbs, &c->ends[d]);
        if (!c->rel[0] || !c->rel[1]) {
            for (int d = 0; d < 2; d++) {
                dt_io_relay_free(c->rel[d]);
                c->rel[d] = NULL;
            }
        }
    }
    arm_read(c, CLIENT);
    arm_read(c, SERVER);
}

static void remember_listener(dt_proxy *px, dt_io_listener *l)
{
    for (int i = 0; i < px->n_listeners; i++)
        if (px->listeners[i] == l)
            return;
    if (px->n_listeners < MAX_LISTENERS)
        px->listeners[px->n_listeners++] = l;
}

static void on_resume(void *ctx, dt_io_timer *t)
{
    (void)t;
    pause_accept(ctx, false);
}

void dt_proxy_accept(void *ctx, dt_io_listener *l, dt_io_stream *s, const dt_io_peer *peer, int err)
{
    dt_proxy *px = ctx;
    remember_listener(px, l);
    uint64_t now = dt_io_now_ns();
    if (!s) {
        dt_feed_note(px->feed, NULL, now, DT_EV_ERROR, "accept: %s", strerror(err));
        /* Out of descriptors: wait until a connection closes, or a little. */
        pause_accept(px, true);
        dt_io_timer_start(px->resume, RESUME_MS, 0);
        return;
    }
    const dt_proxy_spec *sp = &px->spec;
    conn *c = calloc(1, sizeof *c);
    if (!c || dt_ring_init(&c->ring[0], px->buf_size) < 0 || dt_ring_init(&c->ring[1], px->buf_size) < 0) {
        dt_feed_note(px->feed, NULL, now, DT_EV_ERROR, "out of memory: connection refused");
        if (c) {
            dt_ring_free(&c->ring[0]);
            dt_ring_free(&c->ring[1]);
            free(c);
        }
        dt_io_close(s, true);
        return;
    }
    c->px = px;
    c->num = ++px->next_num;
    c->s[CLIENT] = s;
    c->msgs[CLIENT] = dt_io_stream_messages(s);
    for (int i = 0; i < 2; i++)
        c->ends[i] = (end){ c, i };
    c->next = px->conns;
    if (px->conns)
        px->conns->prev = c;
    px->conns = c;
    px->n_open++;
    dt_io_stream_set_cbs(s, &relay_cbs, &c->ends[CLIENT]);

    if (peer->name[0])
        snprintf(c->client, sizeof c->client, "%s", peer->name);
    else
        snprintf(c->client, sizeof c->client, "client#%u", c->num);
    char name[300], desc[400], who[96] = "";
    snprintf(name, sizeof name, "%s#%u", sp->chan_prefix, c->num);
    snprintf(desc, sizeof desc, "%s, connection %u from %s", sp->description, c->num, c->client);
    if (peer->pid > 0 && peer->uid >= 0)
        snprintf(who, sizeof who, " (pid %ld, uid %ld)", peer->pid, peer->uid);
    else if (peer->pid > 0)
        snprintf(who, sizeof who, " (pid %ld%s%s)", peer->pid, peer->user[0] ? ", " : "", peer->user);
    dt_feed_conv_params cp = {
        .channel = name,
        .description = desc,
        .transport = DT_CONV_STREAM,
        .client = c->client,
        .server = sp->target_name,
        .client_port = peer->port,
        .server_port = sp->target.kind == DT_IO_TCP ? dt_io_endpoint_port(&sp->target) : 0,
        .dissector = sp->dissector,
        .show_undecoded = true,
        .release_channel = true,
        .messages = c->msgs[CLIENT],
    };
    c->fc = dt_feed_open(px->feed, &cp, now);
    if (c->fc) {
        if (px->undecoded_conns) {
            dt_feed_note(px->feed, c->fc, now, DT_EV_ERROR,
                         "decoder behind: %" PRIu64 " earlier connection%s relayed without decoding",
                         px->undecoded_conns, px->undecoded_conns == 1 ? "" : "s");
            px->undecoded_conns = 0;
        }
        dt_feed_note(px->feed, c->fc, now, DT_EV_NOTE, "%s%s connected; relaying to %s", c->client, who,
                     sp->target_name);
    } else {
        px->undecoded_conns++; /* still relayed: the relay never waits for the decoder */
    }
    c->connecting = dt_io_connect_start(px->io, &sp->target, 0, sp->connect_timeout_ms, on_connected, c);
    if (!c->connecting)
        conn_close(c, "cannot connect: out of memory");
}

dt_proxy *dt_proxy_new(dt_io *io, dt_feed *feed, const dt_proxy_spec *spec)
{
    dt_proxy *px = calloc(1, sizeof *px);
    if (!px)
        return NULL;
    px->io = io;
    px->feed = feed;
    px->spec = *spec;
    px->buf_size = spec->buf_size ? spec->buf_size : DT_PROXY_BUF_DEFAULT;
    const char *no_splice = getenv("DIAGTAP_NO_SPLICE");
    px->splice = !no_splice || !*no_splice || strcmp(no_splice, "0") == 0;
    if (!px->spec.connect_timeout_ms)
        px->spec.connect_timeout_ms = DT_PROXY_CONNECT_TIMEOUT_MS;
    px->resume = dt_io_timer_new(io, on_resume, px);
    if (!px->resume) {
        free(px);
        return NULL;
    }
    return px;
}

int dt_proxy_listen(dt_proxy *px, dt_io_handle listening, char *err, size_t errsz)
{
    if (px->n_listeners == MAX_LISTENERS) {
        snprintf(err, errsz, "too many listeners");
        return -1;
    }
    dt_io_listener *l = dt_io_listen_handle(px->io, listening, dt_proxy_accept, px, err, errsz);
    if (!l)
        return -1;
    remember_listener(px, l);
    return 0;
}

size_t dt_proxy_open_count(const dt_proxy *px) { return px->n_open; }

void dt_proxy_free(dt_proxy *px)
{
    if (!px)
        return;
    for (int i = 0; i < px->n_listeners; i++)
        dt_io_listener_close(px->listeners[i]);
    while (px->conns) {
        conn *c = px->conns;
        if (c->fc)
            dt_feed_close(px->feed, c->fc, dt_io_now_ns(), "diagtap stopped: connection closed");
        c->fc = NULL;
        conn_free(c);
    }
    if (px->undecoded_conns)
        dt_feed_note(px->feed, NULL, dt_io_now_ns(), DT_EV_ERROR,
                     "decoder behind: %" PRIu64 " connection%s relayed without decoding", px->undecoded_conns,
                     px->undecoded_conns == 1 ? "" : "s");
    dt_io_timer_free(px->resume);
    free(px);
}
