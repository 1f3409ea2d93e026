/* An event sink on a render thread of its own (core/sink.h).
 *
 * The queue is one byte ring of entries, written by the decoding thread
 * (the producer) and read by the render thread (the consumer): an entry is
 * a header and a deep copy of one event (core/held_event.h) laid out in
 * place, so the hot path copies but never allocates. Positions only grow;
 * an entry never wraps (a PAD entry fills the end of the ring first).
 *
 * Wake-ups are what costs here, not the copies: a render thread that is
 * faster than the decoding would sleep and be woken once per event (a
 * futex call each). So the producer wakes a sleeping consumer only once
 * WAKE_BYTES are queued, or when it must wait for room; the consumer's
 * sleep is bounded (TICK_NS) so a trickle of events still reaches the
 * inner sink within milliseconds.
 *
 * Copying was still about as much work as decoding (SMB2: ~2 KB of field
 * nodes per event). So the sink also lends the engine the memory each
 * event is built in (event_memory): a window at the tail of a second ring,
 * spans. An event that stays in it is queued as a small entry (the event
 * struct, its conversation's names) pointing at its fields where they were
 * built; the render thread gives the span back with the entry. An event
 * that outgrew the window, and events built elsewhere (engine notes, a
 * request held for its reply), are copied as before. */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/held_event.h"
#include "core/platform.h"
#include "core/sink.h"
#include "core/sinks/ring_window.h"

#define RING_BYTES (1u * 1024u * 1024u) /* a power of two */
#define WAKE_BYTES (128u * 1024u)
#define RELEASE_BYTES (128u * 1024u) /* the consumer gives room back at least this often */
#define TICK_NS 5000000L                /* 5 ms */
#define SPAN_BYTES DT_ASYNC_SPAN_BYTES
#define WINDOW_MIN (16u * 1024u) /* as much as the arena's own first block */
#define WINDOW_MAX (256u * 1024u)
/* A span longer than this is mostly the dissector's scratch (DAP's parsed
 * JSON): handing it all over costs more than copying the event out of it
 * and lending the same, still cached, memory to the next event. */
#define SPAN_KEEP_MAX (8u * 1024u)

enum { ENTRY_PAD, ENTRY_EVENT, ENTRY_BIG, ENTRY_SPAN };

typedef struct entry {
    alignas(max_align_t) uint32_t kind;
    uint32_t size;     /* of the whole entry, header included */
    uint64_t span_end; /* ENTRY_SPAN: the end of its event's memory in spans (a position) */
} entry;

#define HDR sizeof(entry)

typedef struct async_sink {
    dt_sink base;
    dt_sink *inner;
    unsigned what;   /* DT_HELD_* */
    uint8_t *ring;
    size_t cap;
    uint8_t *spans;     /* SPAN_BYTES: the memory events are built in */
    uint64_t span_tail; /* producer only: where the next window starts (a position) */
    uint8_t *window;    /* producer only: the room lent for the event being built, or NULL */
    /* each side's index on a cache line of its own (64 bytes apart, not
     * alignas: calloc gives 16): the other side reads it, but writing one
     * must not take the other's line away */
    _Atomic uint64_t tail; /* producer: first byte not yet published */
    uint64_t woken_at;     /* producer only: tail when it last woke the consumer */
    uint64_t span_woken_at; /* producer only: span_tail then */
    _Atomic bool producer_asleep;
    char apart1[64];
    _Atomic uint64_t head; /* consumer: first byte not yet given back */
    _Atomic uint64_t span_head; /* consumer: first byte of spans not yet given back */
    _Atomic bool consumer_asleep;
    char apart2[64];
    pthread_mutex_t mu;
    pthread_cond_t data_cv, room_cv;
    bool done;               /* under mu: no more entries */
    bool running;            /* producer only: the thread is not joined yet */
    pthread_t thread;
} async_sink;

static struct timespec tick_deadline(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += TICK_NS;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_nsec -= 1000000000L;
        t.tv_sec++;
    }
    return t;
}

static void wake(pthread_mutex_t *mu, pthread_cond_t *cv)
{
    pthread_mutex_lock(mu);
    pthread_cond_signal(cv);
    pthread_mutex_unlock(mu);
}

/* ---- the render thread ---- */

static void render(async_sink *a, const entry *e)
{
    const dt_event *ev = NULL;
    if (e->kind == ENTRY_EVENT || e->kind == ENTRY_SPAN)
        ev = (const dt_event *)((const uint8_t *)e + HDR);
    else if (e->kind == ENTRY_BIG)
        memcpy(&ev, (const uint8_t *)e + HDR, sizeof ev);
    if (ev)
        a->inner->event(a->inner, ev);
    if (e->kind == ENTRY_BIG)
        free((void *)ev);
}

static void give_back(async_sink *a, uint64_t h, uint64_t span_h)
{
    atomic_store(&a->span_head, span_h);
    atomic_store(&a->head, h);
    if (atomic_load(&a->producer_asleep))
        wake(&a->mu, &a->room_cv);
}

static void *render_main(void *arg)
{
    async_sink *a = arg;
    uint64_t h = atomic_load(&a->head), span_h = atomic_load(&a->span_head);
    for (;;) {
        uint64_t t = atomic_load(&a->tail);
        if (h == t) {
            bool stop;
            pthread_mutex_lock(&a->mu);
            /* asleep is set before tail is read again: a producer that
             * publishes after this read sees it and may wake us */
            atomic_store(&a->consumer_asleep, true);
            while ((t = atomic_load(&a->tail)) == h && !a->done) {
                struct timespec dl = tick_deadline();
                if (pthread_cond_timedwait(&a->data_cv, &a->mu, &dl) == ETIMEDOUT &&
                    (t = atomic_load(&a->tail)) != h)
                    break;
            }
            atomic_store(&a->consumer_asleep, false);
            stop = a->done && t == h;
            pthread_mutex_unlock(&a->mu);
            if (stop)
                break;
            continue;
        }
        uint64_t released = h, span_released = span_h;
        while (h != t) {
            const entry *e = (const entry *)(a->ring + (h & (a->cap - 1)));
            uint32_t size = e->size;
            render(a, e);
            if (e->kind == ENTRY_SPAN)
                span_h = e->span_end;
            h += size;
            /* entries of events built in spans are small: the spans they
             * hold are given back as often as entries are */
            if (h - released >= RELEASE_BYTES || span_h - span_released >= RELEASE_BYTES) {
                give_back(a, h, span_h);
                released = h;
                span_released = span_h;
            }
        }
        give_back(a, h, span_h);
    }
    return NULL;
}

/* ---- the decoding thread ---- */

static void publish(async_sink *a, uint64_t t, bool force)
{
    atomic_store(&a->tail, t);
    if ((force || t - a->woken_at >= WAKE_BYTES || a->span_tail - a->span_woken_at >= WAKE_BYTES) &&
        atomic_load(&a->consumer_asleep)) {
        a->woken_at = t;
        a->span_woken_at = a->span_tail;
        wake(&a->mu, &a->data_cv);
    }
}

/* Room for n more bytes after t in a ring of cap bytes whose consumer has
 * given back up to *head (the entries' or the spans'), waiting for the
 * consumer when needed. */
static void wait_room_in(async_sink *a, const _Atomic uint64_t *head, size_t cap, uint64_t t, size_t n)
{
    if (t - atomic_load(head) + n <= cap)
        return;
    publish(a, atomic_load_explicit(&a->tail, memory_order_relaxed), true);
    pthread_mutex_lock(&a->mu);
    atomic_store(&a->producer_asleep, true);
    while (t - atomic_load(head) + n > cap) {
        struct timespec dl = tick_deadline();
        pthread_cond_timedwait(&a->room_cv, &a->mu, &dl);
    }
    atomic_store(&a->producer_asleep, false);
    pthread_mutex_unlock(&a->mu);
}

static void wait_room(async_sink *a, uint64_t t, size_t n) { wait_room_in(a, &a->head, a->cap, t, n); }

/* A contiguous entry of n bytes (a multiple of the header's alignment). */
static entry *reserve(async_sink *a, size_t n, uint64_t *at)
{
    uint64_t t = atomic_load_explicit(&a->tail, memory_order_relaxed);
    size_t off = (size_t)(t & (a->cap - 1)), to_end = a->cap - off;
    wait_room(a, t, n + (to_end < n ? to_end : 0));
    if (to_end < n) {
        entry *pad = (entry *)(a->ring + off);
        pad->kind = ENTRY_PAD;
        pad->size = (uint32_t)to_end;
        t += to_end;
        off = 0;
    }
    *at = t + n;
    return (entry *)(a->ring + off);
}

/* The common case in one pass: the copy written straight into the room
 * that is free up to the ring's end, without sizing it first (the sizing
 * walk was a third of the copy's cost). false: not enough room there. */
static bool write_in_place(async_sink *a, const dt_event *ev)
{
    uint64_t t = atomic_load_explicit(&a->tail, memory_order_relaxed);
    size_t off = (size_t)(t & (a->cap - 1));
    size_t room = a->cap - (size_t)(t - atomic_load(&a->head)), to_end = a->cap - off;
    if (to_end < room)
        room = to_end;
    if (room > a->cap / 4) /* what the sized path takes in the ring at most */
        room = a->cap / 4;
    if (room < HDR + 4096)
        return false;
    entry *e = (entry *)(a->ring + off);
    size_t body;
    if (!dt_held_event_write_max((uint8_t *)e + HDR, room - HDR, ev, a->what, &body))
        return false;
    e->kind = ENTRY_EVENT;
    e->size = (uint32_t)(HDR + body);
    publish(a, t + HDR + body, false);
    return true;
}

static void async_event(dt_sink *s, const dt_event *ev)
{
    async_sink *a = (async_sink *)s;
    if (write_in_place(a, ev))
        return;
    size_t body = dt_held_event_size(ev, a->what);
    uint64_t next;
    if (HDR + body <= a->cap / 4) {
        entry *e = reserve(a, HDR + body, &next);
        e->kind = ENTRY_EVENT;
        e->size = (uint32_t)(HDR + body);
        dt_held_event_write((uint8_t *)e + HDR, ev, a->what);
    } else { /* rare (a multi-megabyte message under -x): its own block */
        void *copy = malloc(body); /* aligned for max_align_t, as the copy needs */
        if (!copy)
            return; /* out of memory: this line is lost, the run goes on */
        dt_held_event_write(copy, ev, a->what);
        size_t n = (HDR + sizeof copy + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
        entry *e = reserve(a, n, &next);
        e->kind = ENTRY_BIG;
        e->size = (uint32_t)n;
        memcpy((uint8_t *)e + HDR, &copy, sizeof copy);
    }
    publish(a, next, false);
}

/* ---- events built in the sink's own memory ---- */

/* The room at spans' tail, at least WINDOW_MIN bytes: the rest of a lap too
 * short for that is skipped (given back with the next span after it), and
 * waited for like the room itself. */
static bool async_event_memory(dt_sink *s, void **at, size_t *room)
{
    async_sink *a = (async_sink *)s;
    uint64_t t = a->span_tail;
    size_t skip = dt_ring_skip(t, SPAN_BYTES, WINDOW_MIN);
    wait_room_in(a, &a->span_head, SPAN_BYTES, t, skip + WINDOW_MIN);
    /* at least WINDOW_MIN now: the head only moves on */
    size_t r = dt_ring_window(t, atomic_load(&a->span_head), SPAN_BYTES, WINDOW_MIN, WINDOW_MAX);
    t += skip;
    a->span_tail = t;
    a->window = a->spans + (size_t)(t & (SPAN_BYTES - 1));
    *at = a->window;
    *room = r;
    return r > 0;
}

/* An event that stayed in the window: an entry with the event and what of
 * it lies elsewhere, its fields left where they were built. false: it did
 * not stay there, its span is too long to keep, or its entry would be too
 * big for the ring (then the caller copies it all, which has a path for
 * that). */
static bool queue_span(async_sink *a, const dt_event *ev, const void *base, size_t len)
{
    if (!a->window || base != a->window || len > SPAN_KEEP_MAX)
        return false;
    uint64_t span_end = a->span_tail + ((len + 15u) & ~(size_t)15u);
    uint64_t t = atomic_load_explicit(&a->tail, memory_order_relaxed);
    size_t off = (size_t)(t & (a->cap - 1));
    size_t room = a->cap - (size_t)(t - atomic_load(&a->head)), to_end = a->cap - off;
    if (to_end < room)
        room = to_end;
    if (room > a->cap / 4) /* as write_in_place */
        room = a->cap / 4;
    entry *e = (entry *)(a->ring + off);
    size_t body = 0;
    uint64_t next = 0;
    if (room <= HDR || !dt_held_event_wrap_max((uint8_t *)e + HDR, room - HDR, ev, a->what, base, len, &body)) {
        body = dt_held_event_wrap_size(ev, a->what, base, len);
        if (HDR + body > a->cap / 4)
            return false;
        e = reserve(a, HDR + body, &next);
        dt_held_event_wrap((uint8_t *)e + HDR, ev, a->what, base, len);
    }
    e->kind = ENTRY_SPAN;
    e->size = (uint32_t)(HDR + body);
    e->span_end = span_end;
    a->span_tail = span_end;
    a->window = NULL;
    publish(a, next ? next : t + HDR + body, false);
    return true;
}

static void async_event_span(dt_sink *s, const dt_event *ev, const void *base, size_t len)
{
    async_sink *a = (async_sink *)s;
    if (!queue_span(a, ev, base, len))
        async_event(s, ev);
}

static void stop_thread(async_sink *a)
{
    if (!a->running)
        return;
    publish(a, atomic_load_explicit(&a->tail, memory_order_relaxed), true);
    pthread_mutex_lock(&a->mu);
    a->done = true;
    pthread_cond_signal(&a->data_cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    a->running = false;
}

static int async_finish(dt_sink *s)
{
    async_sink *a = (async_sink *)s;
    stop_thread(a); /* every event rendered: inner is this thread's again */
    return a->inner->finish ? a->inner->finish(a->inner) : 0;
}

/* Everything but inner and the thread. */
static void free_parts(async_sink *a)
{
    pthread_cond_destroy(&a->data_cv);
    pthread_cond_destroy(&a->room_cv);
    pthread_mutex_destroy(&a->mu);
    free(a->ring);
    free(a->spans);
    free(a);
}

static void async_destroy(dt_sink *s)
{
    async_sink *a = (async_sink *)s;
    stop_thread(a);
    if (a->inner->destroy)
        a->inner->destroy(a->inner);
    free_parts(a);
}

dt_sink *dt_async_sink_new(dt_sink *inner, bool with_raw)
{
    if (!inner || inner->frame || inner->stream)
        return NULL; /* a recorder needs its frames and bytes in line with the events */
    async_sink *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->ring = malloc(RING_BYTES);
    a->spans = malloc(SPAN_BYTES);
    if (!a->ring || !a->spans) {
        free(a->ring);
        free(a->spans);
        free(a);
        return NULL;
    }
    a->cap = RING_BYTES;
    a->inner = inner;
    a->what = DT_HELD_CONV | DT_HELD_DEEP | (with_raw ? DT_HELD_RAW : 0);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->data_cv, NULL);
    pthread_cond_init(&a->room_cv, NULL);
    if (dt_thread_start_quiet(&a->thread, render_main, a) != 0) {
        free_parts(a);
        return NULL;
    }
    a->running = true;
    /* no channel hook: each event carries a copy of its channel */
    a->base.event = async_event;
    a->base.event_memory = async_event_memory;
    a->base.event_span = async_event_span;
    a->base.finish = async_finish;
    a->base.destroy = async_destroy;
    return &a->base;
}
