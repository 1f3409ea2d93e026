/* The decoder thread and its feeds (decoder.h).
 *
 * A feed is a single-producer single-consumer ring of records (header +
 * payload, 8-byte aligned, never split: a record that does not fit before
 * the end of the ring starts again at its beginning). The producer only
 * advances tail, the consumer only head; both are atomics, so the hot path
 * takes no lock. The mutex and condition variable are used only to put an
 * idle decoder to sleep and wake it. */
#include "decoder.h"
#include "core/platform.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { R_OPEN, R_DATA, R_GAP, R_END, R_NOTE, R_CLOSE, R_CALL, R_WRAP };
enum { REC_SKIP = 1 }; /* R_DATA flag: record, do not decode */

typedef struct rec {
    uint32_t size; /* the whole record, header included, a multiple of 8 */
    uint8_t type, dir, kind, flags;
    uint32_t len;  /* payload bytes */
    uint32_t spare;
    uint64_t ts;
    dt_feed_conv *c;
    uint64_t n;    /* GAP: bytes not decoded */
    dt_feed_fn fn; /* CALL */
    void *ctx;     /* CALL */
} rec;

#define DATA_REC_MAX (64u * 1024u)            /* payload of one data record */
#define CONV_RESERVE (4u * 1024u)             /* bookkeeping room kept per open conversation */
#define HEADROOM (DATA_REC_MAX + 2 * sizeof(rec) + 64u * 1024u) /* room data may not take */
#define NOTE_MAX 400
#define WAKE_BYTES (1024u * 1024u)            /* wake an idle decoder at once past this */
#define WAKE_DELAY_MS 2                       /* else after this long */
#define BATCH_BYTES (256u * 1024u)            /* per feed per round: fairness between feeds */

typedef struct open_payload {
    dt_transport transport;
    uint16_t client_port, server_port;
    bool show_undecoded, release_channel, messages;
    uint16_t off[5]; /* channel, description, client, server, dissector (0xffff: NULL) */
} open_payload;

struct dt_feed_conv {
    /* decoder thread */
    dt_conv *conv;
    const dt_channel *chan;
    bool release_channel;
    /* producer thread */
    uint64_t skipped[2];
    uint64_t skipped_ts[2];
    size_t reserve; /* bytes still reserved for this conversation's bookkeeping */
};

struct dt_feed {
    dt_decoder *dec;
    dt_feed *next;
    char name[64];
    uint8_t *buf;
    size_t cap;
    _Atomic uint64_t head; /* consumer: next byte to read */
    _Atomic uint64_t tail; /* producer: next byte to write */
    /* producer only */
    size_t reserved;       /* sum of open conversations' reserves */
    bool behind;           /* queueing data to be recorded only, until the decoder catches up */
    uint64_t behind_bytes; /* total not decoded */
    uint64_t lost_bytes;   /* of which not even queued (not recorded either) */
    uint64_t notes_lost;
    uint64_t unkicked;     /* bytes queued since the decoder was last woken */
    dt_io_timer *kick;
    /* decoder only: records that came after the reorder window had passed */
    uint64_t late, late_max_ns;
    bool late_run;         /* the last record of this feed was late (noted once per run) */
};

struct dt_decoder {
    dt_engine *eng;
    pthread_t thread;
    pthread_mutex_t mu;
    uint64_t yielded_at; /* decoder thread: dt_io_mono_ns of its last yield (give_way) */
    pthread_cond_t cv;
    atomic_bool idle;
    atomic_bool stopping;
    /* The thread runs at DT_DECODER_NICE (Linux): at the stop it hands what
     * is left to a thread at the caller's priority (dt_decoder_stop). */
    atomic_bool lowered;
    /* Set by dt_decoder_stop when it found the thread lowered: return at the
     * next record. Not derived from lowered and stopping: a thread that
     * lowers itself after the stop has looked must drain everything. */
    atomic_bool handover;
    int stop_sig;         /* dt_decoder_interrupt's signal, for the thread that takes over */
    bool finished;        /* under mu: the thread is about to return (dt_decoder_stop waits for it) */
    pthread_cond_t done_cv;
    _Atomic(dt_feed *) feeds_pub;
    void (*idle_fn)(void *ctx); /* under mu (dt_decoder_on_idle) */
    void *idle_ctx;
    /* time-ordered merge (dt_decoder_set_reorder); decoder thread after start */
    uint64_t window_ns;    /* 0: feeds drained in turn, no merge */
    uint64_t last_run_ts;  /* newest record decoded so far */
    bool keep_skipped;     /* bytes queued while behind are recorded (-w); else not queued at all */
    bool live;             /* dt_decoder_start: every record carries the wall clock of its relay */
    bool lagging;          /* live: the timeline said it runs late (check_lag) */
};

/* ---- Ring ------------------------------------------------------------------------- */

static size_t rec_size(size_t payload) { return (sizeof(rec) + payload + 7u) & ~(size_t)7u; }

static size_t used(dt_feed *f)
{
    return (size_t)(atomic_load_explicit(&f->tail, memory_order_relaxed) -
                    atomic_load_explicit(&f->head, memory_order_acquire));
}

/* Room a record of size bytes takes, the skipped end of the ring included. */
static size_t cost(dt_feed *f, size_t size)
{
    size_t pos = (size_t)(atomic_load_explicit(&f->tail, memory_order_relaxed) % f->cap);
    size_t to_end = f->cap - pos;
    return size <= to_end ? size : size + to_end;
}

static void wake(dt_decoder *d)
{
    pthread_mutex_lock(&d->mu);
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void kick(dt_feed *f)
{
    f->unkicked = 0;
    if (f->kick)
        dt_io_timer_stop(f->kick);
    if (atomic_load(&f->dec->idle) && atomic_exchange(&f->dec->idle, false))
        wake(f->dec);
}

static void on_kick(void *ctx, dt_io_timer *t)
{
    (void)t;
    kick(ctx);
}

/* Writes a record whose cost() the caller checked; returns its payload. */
static uint8_t *put(dt_feed *f, const rec *h, const void *payload, size_t len)
{
    uint64_t tail = atomic_load_explicit(&f->tail, memory_order_relaxed);
    size_t size = rec_size(len);
    size_t pos = (size_t)(tail % f->cap);
    if (f->cap - pos < size) {
        if (f->cap - pos >= sizeof(rec)) {
            rec w = { .size = (uint32_t)(f->cap - pos), .type = R_WRAP };
            memcpy(f->buf + pos, &w, sizeof w);
        }
        tail += f->cap - pos;
        pos = 0;
    }
    rec r = *h;
    r.size = (uint32_t)size;
    r.len = (uint32_t)len;
    memcpy(f->buf + pos, &r, sizeof r);
    uint8_t *p = f->buf + pos + sizeof r;
    if (len && payload)
        memcpy(p, payload, len);
    atomic_store_explicit(&f->tail, tail + size, memory_order_release);
    return p;
}

/* Publishes: wakes an idle decoder now for bookkeeping or a big batch,
 * otherwise a little later so that small messages are decoded in batches. */
static void published(dt_feed *f, size_t size, bool urgent)
{
    f->unkicked += size;
    if (!atomic_load(&f->dec->idle))
        return;
    if (urgent || f->unkicked >= WAKE_BYTES || !f->kick)
        kick(f);
    else if (!dt_io_timer_active(f->kick))
        dt_io_timer_start(f->kick, WAKE_DELAY_MS, 0);
}

/* Past half full the feed is behind until the decoder has emptied it down
 * to a quarter. Returns true when, being behind, the feed takes no data at
 * all: nothing records the bytes it would queue only to record them, so
 * copying them in would be work for nothing (a relay then moves them
 * without looking at them). */
static bool behind_refuses(dt_feed *f, size_t u)
{
    if (f->behind && u <= f->cap / 4)
        f->behind = false;
    else if (!f->behind && u >= f->cap / 2)
        f->behind = true;
    return f->behind && !f->dec->keep_skipped;
}

/* A bookkeeping record of c: from c's reserve first, then from free room
 * outside every reserve. Returns false when there is no room at all. */
static bool put_ctrl_last(dt_feed *f, dt_feed_conv *c, const rec *h, const void *payload, size_t len, bool last);

static bool put_ctrl(dt_feed *f, dt_feed_conv *c, const rec *h, const void *payload, size_t len)
{
    return put_ctrl_last(f, c, h, payload, len, false);
}

/* last: c's final record (its close): what is left of its reserve is given
 * back BEFORE the record is published, as the decoder frees c on it. */
static bool put_ctrl_last(dt_feed *f, dt_feed_conv *c, const rec *h, const void *payload, size_t len, bool last)
{
    size_t need = cost(f, rec_size(len));
    size_t from_reserve = c ? (c->reserve < need ? c->reserve : need) : 0;
    size_t free_room = f->cap - used(f);
    if (need > free_room || need - from_reserve > free_room - f->reserved)
        return false;
    if (c) {
        c->reserve -= from_reserve;
        f->reserved -= from_reserve;
        if (last) {
            f->reserved -= c->reserve;
            c->reserve = 0;
        }
    }
    put(f, h, payload, len); /* after this, c may be gone (last) */
    published(f, rec_size(len), true);
    return true;
}

static void flush_gap(dt_feed *f, dt_feed_conv *c, int dir)
{
    if (!c->skipped[dir])
        return;
    rec h = { .type = R_GAP, .dir = (uint8_t)dir, .ts = c->skipped_ts[dir], .c = c, .n = c->skipped[dir] };
    if (put_ctrl(f, c, &h, NULL, 0))
        c->skipped[dir] = 0;
}

/* ---- Producer API ----------------------------------------------------------------- */

dt_feed_conv *dt_feed_open(dt_feed *f, const dt_feed_conv_params *p, uint64_t ts_ns)
{
    const char *s[5] = { p->channel, p->description, p->client, p->server, p->dissector };
    uint8_t payload[sizeof(open_payload) + 5 * 512];
    open_payload op = {
        .transport = p->transport,
        .client_port = p->client_port,
        .server_port = p->server_port,
        .show_undecoded = p->show_undecoded,
        .release_channel = p->release_channel,
        .messages = p->messages,
    };
    size_t len = sizeof op;
    for (int i = 0; i < 5; i++) {
        if (!s[i]) {
            op.off[i] = 0xffff;
            continue;
        }
        size_t n = strnlen(s[i], 511);
        op.off[i] = (uint16_t)len;
        memcpy(payload + len, s[i], n);
        payload[len + n] = '\0';
        len += n + 1;
    }
    memcpy(payload, &op, sizeof op);
    size_t need = cost(f, rec_size(len));
    if (need + CONV_RESERVE + f->reserved + HEADROOM > f->cap - used(f))
        return NULL;
    dt_feed_conv *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    rec h = { .type = R_OPEN, .ts = ts_ns, .c = c };
    put(f, &h, payload, len);
    c->reserve = CONV_RESERVE;
    f->reserved += CONV_RESERVE;
    published(f, rec_size(len), true);
    return c;
}

/* One data record of a + b (n bytes in all); false when it could not be
 * queued (counted as lost). */
static bool feed_record(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns, const uint8_t *a, size_t na,
                        const uint8_t *b, size_t nb)
{
    size_t n = na + nb, u = used(f);
    bool refused = behind_refuses(f, u);
    if (c->skipped[dir] && !refused)
        flush_gap(f, c, dir);
    if (refused || c->skipped[dir] || cost(f, rec_size(n)) + f->reserved + HEADROOM > f->cap - u) {
        if (!c->skipped[dir])
            c->skipped_ts[dir] = ts_ns;
        c->skipped[dir] += n;
        f->lost_bytes += n;
        f->behind_bytes += n;
        return false;
    }
    rec h = { .type = R_DATA, .dir = (uint8_t)dir, .ts = ts_ns, .c = c, .flags = f->behind ? REC_SKIP : 0 };
    uint8_t *p = put(f, &h, NULL, n);
    memcpy(p, a, na);
    if (nb)
        memcpy(p + na, b, nb);
    if (f->behind)
        f->behind_bytes += n;
    published(f, rec_size(n), f->behind);
    return true;
}

void dt_feed_message(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns, const uint8_t *a, size_t na,
                     const uint8_t *b, size_t nb)
{
    if (na + nb <= f->cap / 8) {
        feed_record(f, c, dir, ts_ns, a, na, b, nb);
        return;
    }
    dt_feed_stream(f, c, dir, ts_ns, a, na); /* too long to queue whole: in pieces */
    dt_feed_stream(f, c, dir, ts_ns, b, nb);
}

void dt_feed_stream(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns, const uint8_t *data, size_t len)
{
    while (len) {
        size_t n = len < DATA_REC_MAX ? len : DATA_REC_MAX;
        size_t u = used(f);
        /* Behind past half the ring: bytes are still queued, to be recorded
         * but not decoded, until the decoder is down to a quarter; with
         * nothing recording, they are not queued (counted as lost). */
        bool refused = behind_refuses(f, u);
        /* A gap is queued only together with the bytes after it: flushed
         * whenever a chunk was refused, one gap record per lost chunk ate
         * the headroom kept for bookkeeping (and the note saying why a
         * connection died was lost with it) and put one line per chunk on
         * the timeline. Lost bytes in a row make one gap. */
        size_t need = cost(f, rec_size(n)) + (c->skipped[dir] ? rec_size(0) : 0);
        if (!refused && need + f->reserved + HEADROOM <= f->cap - u && c->skipped[dir])
            flush_gap(f, c, dir);
        if (refused || c->skipped[dir] || need + f->reserved + HEADROOM > f->cap - u) {
            /* Not even room to record them: counted, reported as lost. */
            if (!c->skipped[dir])
                c->skipped_ts[dir] = ts_ns;
            c->skipped[dir] += len;
            f->lost_bytes += len;
            f->behind_bytes += len;
            return;
        }
        rec h = { .type = R_DATA, .dir = (uint8_t)dir, .ts = ts_ns, .c = c, .flags = f->behind ? REC_SKIP : 0 };
        put(f, &h, data, n);
        if (f->behind)
            f->behind_bytes += n;
        published(f, rec_size(n), f->behind);
        data += n;
        len -= n;
    }
}

bool dt_feed_full(dt_feed *f, dt_feed_conv *c, dt_dir dir)
{
    size_t u = used(f);
    if (behind_refuses(f, u))
        return true;
    size_t need = cost(f, rec_size(DATA_REC_MAX)) + (c->skipped[dir] ? rec_size(0) : 0);
    return need + f->reserved + HEADROOM > f->cap - u;
}

void dt_feed_lost(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns, size_t len)
{
    /* as dt_feed_stream does with bytes it has no room for */
    if (!c->skipped[dir])
        c->skipped_ts[dir] = ts_ns;
    c->skipped[dir] += len;
    f->lost_bytes += len;
    f->behind_bytes += len;
}

void dt_feed_end(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns)
{
    flush_gap(f, c, dir);
    rec h = { .type = R_END, .dir = (uint8_t)dir, .ts = ts_ns, .c = c };
    if (!put_ctrl(f, c, &h, NULL, 0))
        f->notes_lost++; /* cannot happen while reserves hold; the close still ends it */
}

static void vnote(dt_feed *f, dt_feed_conv *c, uint64_t ts_ns, dt_event_kind kind, const char *fmt, va_list ap)
{
    char text[NOTE_MAX + 1];
    int n = vsnprintf(text, sizeof text, fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n > NOTE_MAX ? NOTE_MAX : (size_t)n;
    text[len] = '\0';
    rec h = { .type = R_NOTE, .kind = (uint8_t)kind, .ts = ts_ns, .c = c };
    if (!put_ctrl(f, c, &h, text, len + 1))
        f->notes_lost++;
}

void dt_feed_note(dt_feed *f, dt_feed_conv *c, uint64_t ts_ns, dt_event_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(f, c, ts_ns, kind, fmt, ap);
    va_end(ap);
}

void dt_feed_close(dt_feed *f, dt_feed_conv *c, uint64_t ts_ns, const char *why)
{
    flush_gap(f, c, DT_DIR_C2S);
    flush_gap(f, c, DT_DIR_S2C);
    size_t len = why ? strnlen(why, NOTE_MAX) : 0;
    char text[NOTE_MAX + 1];
    if (why) {
        memcpy(text, why, len);
        text[len] = '\0';
    }
    rec h = { .type = R_CLOSE, .ts = ts_ns, .c = c, .flags = why != NULL };
    /* The close must get through: it frees the conversation. Its reserve
     * was kept for it; past that, wait for room rather than leak. */
    while (!put_ctrl_last(f, c, &h, why ? text : NULL, why ? len + 1 : 0, true)) {
        kick(f);
        sched_yield();
    }
}

bool dt_feed_call(dt_feed *f, dt_feed_fn fn, void *ctx, uint64_t ts_ns, const uint8_t *data, size_t len,
                  bool may_drop)
{
    size_t size = rec_size(len);
    if (size > f->cap / 4)
        return false;
    rec h = { .type = R_CALL, .ts = ts_ns, .fn = fn, .ctx = ctx };
    if (may_drop) {
        size_t u = used(f);
        if (f->behind && u <= f->cap / 4)
            f->behind = false;
        if (f->behind || cost(f, size) + f->reserved + HEADROOM > f->cap - u) {
            f->behind = true;
            f->behind_bytes += len;
            return false;
        }
        put(f, &h, data, len);
        published(f, size, false);
        return true;
    }
    return put_ctrl(f, NULL, &h, data, len);
}

uint64_t dt_feed_behind_bytes(const dt_feed *f) { return f->behind_bytes; }

/* ---- Consumer ---------------------------------------------------------------------- */

static const char *open_str(const uint8_t *p, const open_payload *op, int i)
{
    return op->off[i] == 0xffff ? NULL : (const char *)p + op->off[i];
}

static void run_record(dt_engine *eng, const rec *r, const uint8_t *p)
{
    dt_feed_conv *c = r->c;
    switch (r->type) {
    case R_OPEN: {
        open_payload op;
        memcpy(&op, p, sizeof op);
        c->chan = dt_engine_channel(eng, open_str(p, &op, 0), open_str(p, &op, 1), -1);
        c->release_channel = op.release_channel;
        dt_conv_params cp = {
            .channel = c->chan,
            .transport = op.transport,
            .client = open_str(p, &op, 2),
            .server = open_str(p, &op, 3),
            .client_port = op.client_port,
            .server_port = op.server_port,
            .dissector = open_str(p, &op, 4),
            .show_undecoded = op.show_undecoded,
            .messages = op.messages,
            .ts_ns = r->ts,
        };
        c->conv = c->chan ? dt_engine_conv_open(eng, &cp) : NULL;
        if (!c->conv)
            dt_engine_note(eng, NULL, r->ts, DT_EV_ERROR, "out of memory: %s not decoded", open_str(p, &op, 0));
        break;
    }
    case R_DATA:
        if (!c->conv)
            break;
        if (r->flags & REC_SKIP)
            dt_engine_stream_skip(eng, c->conv, (dt_dir)r->dir, r->ts, p, r->len);
        else
            dt_engine_stream(eng, c->conv, (dt_dir)r->dir, r->ts, p, r->len);
        break;
    case R_GAP:
        if (c->conv)
            dt_engine_undecoded(eng, c->conv, (dt_dir)r->dir, r->ts, r->n);
        break;
    case R_END:
        if (c->conv)
            dt_engine_stream_end(eng, c->conv, (dt_dir)r->dir, r->ts);
        break;
    case R_NOTE:
        if (!c || c->conv)
            dt_engine_note(eng, c ? c->conv : NULL, r->ts, (dt_event_kind)r->kind, "%s", (const char *)p);
        break;
    case R_CLOSE:
        if (c->conv)
            dt_engine_conv_close(eng, c->conv, r->ts, r->flags ? (const char *)p : NULL);
        if (c->chan && c->release_channel)
            dt_engine_channel_release(eng, c->chan);
        free(c);
        break;
    case R_CALL:
        r->fn(eng, r->ctx, r->ts, p, r->len);
        break;
    }
}

/* A burst of records (2 ms of small messages, or bulk) held a CPU that a
 * peer woken meanwhile may be waiting for: the scheduler lets even a nice
 * 19 thread finish its slice first, which put ~0.4-1 ms on the slowest
 * round trips through the proxy. So every GIVE_WAY_NS of decoding the
 * decoder lets a thread waiting for its CPU go first (at once back when
 * none is; ~1 µs per 50 µs). */
#define GIVE_WAY_NS 50000u

static void give_way(dt_decoder *d, uint64_t now)
{
    if (now - d->yielded_at >= GIVE_WAY_NS) {
        d->yielded_at = now;
        dt_cpu_yield();
    }
}

static uint64_t real_now_ns(void);

/* A decoder short of CPU falls behind in time before its feed fills (a
 * trickle of messages never fills 16 MiB): the timeline then shows what
 * was relayed seconds ago, and says so once, and again when it is live.
 * Live sources only (the drained feeds of proxies and wrap: their records
 * carry the wall clock of their relay). */
#define LATE_NOTE_NS (5ull * 1000000000ull)
#define LIVE_AGAIN_NS (1ull * 1000000000ull)

static void check_lag(dt_decoder *d, const rec *r, uint64_t now)
{
    uint64_t lag = now > r->ts ? now - r->ts : 0;
    if (!d->lagging && lag >= LATE_NOTE_NS) {
        d->lagging = true;
        dt_engine_note(d->eng, NULL, r->ts, DT_EV_NOTE,
                       "timeline late: decoding what was relayed %.1f s ago (the decoder gets little CPU: the "
                       "machine is busy); nothing is lost",
                       (double)lag / 1e9);
    } else if (d->lagging && lag < LIVE_AGAIN_NS) {
        d->lagging = false;
        dt_engine_note(d->eng, NULL, r->ts, DT_EV_NOTE, "timeline live again: the decoder has caught up");
    }
}

/* Runs up to BATCH_BYTES of f's records; returns true when it ran any. */
static bool drain(dt_decoder *d, dt_feed *f)
{
    uint64_t head = atomic_load_explicit(&f->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&f->tail, memory_order_acquire);
    size_t done = 0;
    bool any = head != tail;
    /* The wall clock per record from the monotonic one give_way reads anyway
     * (a clock read is ~30 ns here, a small DAP message ~2.5 µs to decode):
     * their offset taken once per batch. */
    uint64_t mono = dt_io_mono_ns(), real_off = d->live && any ? real_now_ns() - mono : 0;
    while (head != tail && done < BATCH_BYTES && !atomic_load_explicit(&d->handover, memory_order_relaxed)) {
        size_t pos = (size_t)(head % f->cap);
        if (f->cap - pos < sizeof(rec)) { /* too short for a header: the producer skipped it */
            head += f->cap - pos;
            continue;
        }
        rec r;
        memcpy(&r, f->buf + pos, sizeof r);
        if (r.type != R_WRAP) {
            if (d->live && d->eng)
                check_lag(d, &r, mono + real_off);
            run_record(d->eng, &r, f->buf + pos + sizeof r);
            done += r.size;
            mono = dt_io_mono_ns();
            give_way(d, mono);
        }
        head += r.size;
        atomic_store_explicit(&f->head, head, memory_order_release);
    }
    return any;
}

static bool all_empty(dt_decoder *d)
{
    for (dt_feed *f = atomic_load(&d->feeds_pub); f; f = f->next)
        if (atomic_load(&f->head) != atomic_load(&f->tail))
            return false;
    return true;
}

/* The next record of f (R_WRAP padding skipped), or false when empty. */
static bool peek(dt_feed *f, rec *r, const uint8_t **payload)
{
    uint64_t head = atomic_load_explicit(&f->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&f->tail, memory_order_acquire);
    while (head != tail) {
        size_t pos = (size_t)(head % f->cap);
        if (f->cap - pos >= sizeof(rec)) {
            memcpy(r, f->buf + pos, sizeof *r);
            if (r->type != R_WRAP) {
                *payload = f->buf + pos + sizeof *r;
                return true;
            }
            head += r->size;
        } else {
            head += f->cap - pos;
        }
        atomic_store_explicit(&f->head, head, memory_order_release);
    }
    return false;
}

static uint64_t real_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Runs the oldest head record of all feeds if it is older than the reorder
 * window (or its feed is filling up, or we are stopping). Returns 1 when it
 * ran one, 0 when every feed is empty, or the time (ns) at which the oldest
 * held record becomes due, so the caller sleeps until then. */
static uint64_t merge_step(dt_decoder *d)
{
    dt_feed *best = NULL;
    rec r, br;
    const uint8_t *p, *bp = NULL;
    for (dt_feed *f = atomic_load(&d->feeds_pub); f; f = f->next)
        if (peek(f, &r, &p) && (!best || r.ts < br.ts)) {
            best = f;
            br = r;
            bp = p;
        }
    if (!best)
        return 0;
    uint64_t due = br.ts + d->window_ns;
    bool pressed = used(best) > best->cap / 4; /* holding more would push it behind */
    if (!atomic_load(&d->stopping) && !pressed && due > real_now_ns())
        return due;
    bool late = br.ts + 1000000u < d->last_run_ts; /* a millisecond of slack: clocks are not finer */
    if (late && (br.type == R_DATA || br.type == R_CALL)) {
        uint64_t by = d->last_run_ts - br.ts;
        best->late++;
        if (by > best->late_max_ns)
            best->late_max_ns = by;
        if (!best->late_run)
            dt_engine_note(d->eng, br.c && br.type == R_DATA ? br.c->conv : NULL, br.ts, DT_EV_NOTE,
                           "%s: late: what follows arrived %.1f ms after newer events of other sources "
                           "(beyond the %.0f ms reorder window)",
                           best->name, (double)by / 1e6, (double)d->window_ns / 1e6);
        best->late_run = true;
    } else if (br.type == R_DATA || br.type == R_CALL) {
        best->late_run = false;
    }
    if (br.ts > d->last_run_ts)
        d->last_run_ts = br.ts;
    run_record(d->eng, &br, bp);
    give_way(d, dt_io_mono_ns());
    uint64_t head = atomic_load_explicit(&best->head, memory_order_relaxed) + br.size;
    atomic_store_explicit(&best->head, head, memory_order_release);
    return 1;
}

static void merge_main(dt_decoder *d)
{
    for (;;) {
        uint64_t r = merge_step(d);
        if (r == 1)
            continue;
        pthread_mutex_lock(&d->mu);
        atomic_store(&d->idle, true);
        if (r == 0) {
            while (atomic_load(&d->idle) && all_empty(d) && !atomic_load(&d->stopping))
                pthread_cond_wait(&d->cv, &d->mu);
        } else if (!atomic_load(&d->stopping)) { /* a record held: until it is due, or news */
            struct timespec until = { .tv_sec = (time_t)(r / 1000000000u), .tv_nsec = (long)(r % 1000000000u) };
            pthread_cond_timedwait(&d->cv, &d->mu, &until);
        }
        atomic_store(&d->idle, false);
        bool stop = atomic_load(&d->stopping) && all_empty(d);
        pthread_mutex_unlock(&d->mu);
        if (stop)
            break;
    }
}

/* The relay must never wait for the decoder, not even for a CPU: on a
 * machine with few cores the peers, the relay and the decoder compete, and
 * a decoder at the relay's priority took half of it (relayed DAP ran at
 * socat's speed minus the decoding). At nice DT_DECODER_NICE the decoder gets
 * what the relay leaves; when that is not enough it falls behind and says
 * so (see decoder.h), exactly as when decoding is slower than the wire.
 * 10, not 19: the relay's throughput and round trips measured the same
 * (the decoder gives way every 50 µs anyway), but next to CPU-bound work of
 * the same session a nice-19 decoder got 50 ms of CPU in 50 s and its
 * timeline came only at the stop; at 10 it got 210 ms and kept up
 * (docs/io-layer.md). */
static void lower_priority(dt_decoder *d)
{
#ifdef __linux__
    /* Linux: nice is per thread (the thread id names it). Never raised: a
     * diagtap started at nice 15 leaves it there (root could go up). Not
     * fatal when refused: the decoder just competes with the relay. */
    errno = 0;
    int now = getpriority(PRIO_PROCESS, (id_t)gettid());
    if (errno == 0 && now < DT_DECODER_NICE && setpriority(PRIO_PROCESS, (id_t)gettid(), DT_DECODER_NICE) == 0)
        atomic_store(&d->lowered, true);
#else
    (void)d;
#endif
}

static void drain_main(dt_decoder *d)
{
    for (;;) {
        bool any = false;
        for (dt_feed *f = atomic_load(&d->feeds_pub); f; f = f->next)
            any |= drain(d, f);
        if (atomic_load(&d->handover) && !all_empty(d))
            return; /* dt_decoder_stop: the rest on another thread */
        if (any)
            continue;
        pthread_mutex_lock(&d->mu);
        void (*idle_fn)(void *) = d->idle_fn;
        void *idle_ctx = d->idle_ctx;
        pthread_mutex_unlock(&d->mu);
        if (idle_fn)
            idle_fn(idle_ctx);
        pthread_mutex_lock(&d->mu);
        atomic_store(&d->idle, true);
        while (atomic_load(&d->idle) && all_empty(d) && !atomic_load(&d->stopping))
            pthread_cond_wait(&d->cv, &d->mu);
        atomic_store(&d->idle, false);
        bool stop = atomic_load(&d->stopping) && all_empty(d);
        pthread_mutex_unlock(&d->mu);
        if (stop)
            break;
    }
}

/* The thread's last act: dt_decoder_stop waits for it. */
static void *thread_done(dt_decoder *d)
{
    pthread_mutex_lock(&d->mu);
    d->finished = true;
    pthread_cond_signal(&d->done_cv);
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static void *decoder_main(void *arg)
{
    dt_decoder *d = arg;
    if (d->window_ns) {
        merge_main(d);
    } else {
        if (d->live) /* a session (files replayed through it wait for it) keeps its priority */
            lower_priority(d);
        drain_main(d);
    }
    return thread_done(d);
}

/* What is left at the stop, at the priority of the thread that stops us. */
static void *rest_main(void *arg)
{
    dt_decoder *d = arg;
    drain_main(d);
    return thread_done(d);
}

static dt_decoder *start(dt_engine *eng, uint64_t window_ns, bool live, char *err, size_t errsz)
{
    dt_decoder *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    d->eng = eng;
    d->window_ns = window_ns;
    d->live = live;
    d->keep_skipped = eng && dt_engine_records_streams(eng);
    atomic_init(&d->idle, false);
    atomic_init(&d->stopping, false);
    atomic_init(&d->lowered, false);
    atomic_init(&d->handover, false);
    atomic_init(&d->feeds_pub, NULL);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_cond_init(&d->done_cv, NULL);
    int rc = pthread_create(&d->thread, NULL, decoder_main, d);
    if (rc != 0) {
        snprintf(err, errsz, "cannot start the decoder thread: %s", strerror(rc));
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
        pthread_cond_destroy(&d->done_cv);
        free(d);
        return NULL;
    }
    return d;
}

dt_decoder *dt_decoder_start(dt_engine *eng, char *err, size_t errsz) { return start(eng, 0, true, err, errsz); }

dt_decoder *dt_decoder_start_merged(dt_engine *eng, uint64_t window_ns, char *err, size_t errsz)
{
    return start(eng, window_ns, false, err, errsz);
}

dt_feed *dt_decoder_feed(dt_decoder *d, dt_io *io, const char *name, size_t cap)
{
    dt_feed *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->cap = (cap ? cap : DT_FEED_CAP_DEFAULT) & ~(size_t)7u;
    if (f->cap < 4 * HEADROOM)
        f->cap = 4 * HEADROOM;
    f->buf = malloc(f->cap);
    f->kick = io ? dt_io_timer_new(io, on_kick, f) : NULL;
    if (!f->buf || (io && !f->kick)) {
        free(f->buf);
        dt_io_timer_free(f->kick);
        free(f);
        return NULL;
    }
    f->dec = d;
    snprintf(f->name, sizeof f->name, "%s", name ? name : "");
    atomic_init(&f->head, 0);
    atomic_init(&f->tail, 0);
    /* Publish: the decoder walks the list without a lock. */
    f->next = atomic_load(&d->feeds_pub);
    atomic_store(&d->feeds_pub, f);
    return f;
}

void dt_decoder_on_idle(dt_decoder *d, void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&d->mu);
    d->idle_fn = fn;
    d->idle_ctx = ctx;
    pthread_mutex_unlock(&d->mu);
}

void dt_decoder_interrupt(dt_decoder *d, int sig)
{
    /* POSIX: the signal is left pending on that thread alone (it blocks the
     * stop signals): an output it is stuck on sees it through sigpending()
     * and gives way, and the signal dies with the thread.
     * Windows: dt_thread_interrupt does nothing. winpthreads implements
     * pthread_kill as pthread_cancel (deferred): the decoder died at its next
     * pthread_cond_wait holding d->mu (POSIX cancellation re-takes the
     * condition's mutex), and dt_decoder_stop waited on it for ever (the
     * proxy pipe hang after Ctrl+C of issue 13, needing the main thread to
     * be late between this call and dt_decoder_stop). An output the decoder
     * is blocked on there is dealt with by dt_decoder_stop (its write
     * cancelled once it has run nothing for STOP_STALL_S seconds). */
    if (d && sig > 0) {
        d->stop_sig = sig;
        dt_thread_interrupt(d->thread, sig);
    }
}

/* Records run so far, all feeds together: the decoder's progress. */
static uint64_t consumed(dt_decoder *d)
{
    uint64_t n = 0;
    for (dt_feed *f = atomic_load(&d->feeds_pub); f; f = f->next)
        n += atomic_load(&f->head);
    return n;
}

/* Waits (d->mu held) for the decoder thread to return. It is never cut
 * short while it makes progress (a backlog is decoded whole: the timeline
 * and the recording stay complete), but a decoder that runs no record for
 * STOP_STALL_S seconds is said to be stuck on stderr, in one line, rather
 * than leaving a silent hang; on Windows its blocking write (a timeline on
 * a pipe nobody reads) is then cancelled, the Windows counterpart of the
 * POSIX stop signal left pending for it (dt_decoder_interrupt). */
#define STOP_STALL_S 10

static void wait_finished(dt_decoder *d)
{
    uint64_t seen = consumed(d);
    unsigned stalled_s = 0;
    bool said = false;
    while (!d->finished) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&d->done_cv, &d->mu, &until);
        if (d->finished)
            break;
        uint64_t now = consumed(d);
        stalled_s = now == seen ? stalled_s + 1 : 0;
        seen = now;
        if (stalled_s >= STOP_STALL_S && !said) {
            const char *then = "";
#ifdef _WIN32
            if (CancelSynchronousIo(pthread_gethandle(d->thread)))
                then = ": its blocked write cancelled";
#endif
            fprintf(stderr, "diagtap: the decoder thread has run nothing for %d s since the stop (its output "
                            "blocked?)%s; still waiting for it\n", STOP_STALL_S, then);
            said = true;
        }
    }
}

/* Lets the decoder empty its feeds and end. A decoder at DT_DECODER_NICE is
 * the last in line for a CPU: on a machine kept busy by other work it
 * decoded a backlog at ~1% of a core, and the stop of a proxy that had
 * relayed 10 000 connections took 50 s. Once nothing is relayed any more
 * that priority has no purpose, and a thread cannot take it back (not
 * without privilege): so the decoder returns at its next record and a new
 * thread, at the caller's priority, decodes what is left. The signal left
 * pending on the first (dt_decoder_interrupt) is left on it too. */
void dt_decoder_stop(dt_decoder *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    atomic_store(&d->stopping, true);
    bool handover = atomic_load(&d->lowered);
    if (handover)
        atomic_store(&d->handover, true);
    pthread_cond_signal(&d->cv);
    wait_finished(d);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    if (handover && !all_empty(d)) {
        atomic_store(&d->handover, false);
        d->finished = false; /* no other thread is left to read it */
        if (pthread_create(&d->thread, NULL, rest_main, d) == 0) {
            if (d->stop_sig > 0)
                dt_thread_interrupt(d->thread, d->stop_sig);
            pthread_mutex_lock(&d->mu);
            wait_finished(d);
            pthread_mutex_unlock(&d->mu);
            pthread_join(d->thread, NULL);
        } else {
            drain_main(d); /* no thread to spare: here, then */
        }
    }
    dt_feed *next;
    for (dt_feed *f = atomic_load(&d->feeds_pub); f; f = next) {
        next = f->next;
        if (f->late)
            dt_engine_note(d->eng, NULL, dt_engine_last_ts(d->eng), DT_EV_NOTE,
                           "%s: %llu records arrived after the %.0f ms reorder window (up to %.1f ms late); "
                           "they are shown where they arrived, marked late", f->name, (unsigned long long)f->late,
                           (double)d->window_ns / 1e6, (double)f->late_max_ns / 1e6);
        if (f->notes_lost)
            dt_engine_note(d->eng, NULL, dt_engine_last_ts(d->eng), DT_EV_ERROR,
                           "%s: %llu notes not shown: the decoder was too far behind", f->name,
                           (unsigned long long)f->notes_lost);
        dt_io_timer_free(f->kick);
        free(f->buf);
        free(f);
    }
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    pthread_cond_destroy(&d->done_cv);
    free(d);
}
