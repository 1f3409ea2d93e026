/* The render thread of dt_async_sink_new: the same bytes as the sink run in
 * line, in order, from copies that outlive the events' own memory (the
 * conversation closed, the arena reused), with every kind of value, through
 * a full queue, with messages too big for it, and a trickle written before
 * the end; and the same from events built in the memory the sink lends
 * (kept there, not copied, until they are written). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/held_event.h"
#include "core/sink.h"
#include "core/sinks/ring_window.h"

static const dt_field_def defs[] = {
    { "t.name", "Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.num", "Number", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0, NULL },
    { "t.tree", "Tree", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.blob", "Blob", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.guid", "GUID", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.ip6", "IPv6", DT_FT_IPV6, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.ip4", "IPv4", DT_FT_IPV4, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.neg", "Signed", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
    { "t.ratio", "Ratio", DT_FT_DOUBLE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.when", "When", DT_FT_ABSTIME, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.empty", "Empty", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
};
#define N_SCALARS 7 /* defs[4..10], one each at the top level */

/* One event built in heap memory that is scribbled over and freed as soon
 * as the sink returns: what a copy still points into shows up as garbage
 * (or as a use after free under ASan). */
typedef struct built {
    dt_event ev;
    dt_channel ch;
    dt_conv_info conv;
    char *strs[6];
    uint8_t *raw;
    dt_field *nodes;
    size_t n_nodes;
} built;

static char *dup_text(const char *fmt, uint64_t i)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, fmt, (unsigned long long)i);
    return strdup(tmp);
}

static void build(built *b, uint64_t i, size_t raw_len, int depth)
{
    memset(b, 0, sizeof *b);
    b->strs[0] = dup_text("summary of event %llu: \"quoted\" \\ and \t tab", i);
    /* 150 conversations; an id names the same endpoints for the whole run
     * (event.h), as the JSON sink's cache of rendered ones expects */
    uint64_t id = i % 150 + 1;
    b->strs[1] = dup_text("10.0.0.%llu:445", id);
    b->strs[2] = dup_text("server-%llu", id % 7);
    b->strs[3] = dup_text("chan-%llu", id % 3);
    b->strs[4] = dup_text("STATUS_%llu", i);
    b->strs[5] = dup_text("name \xc3\xa9 %llu", i);
    b->ch = (dt_channel){ (uint32_t)(id % 3), b->strs[3], "a channel", 1 };
    b->conv = (dt_conv_info){ (uint32_t)id, &b->ch, b->strs[1], b->strs[2] };
    b->ev.seq = i + 1;
    b->ev.ts_ns = 1700000000000000000ull + i * 1000u;
    b->ev.conv = (i % 5) ? &b->conv : NULL;
    b->ev.dir = (dt_dir)(i & 1);
    b->ev.kind = DT_EV_PDU;
    b->ev.proto = "T";
    b->ev.proto_name = "t";
    b->ev.summary = b->strs[0];
    b->ev.status = (i % 4) ? NULL : b->strs[4];
    b->ev.role = (i & 1) ? DT_ROLE_RESPONSE : DT_ROLE_REQUEST;
    b->ev.input = "input.pcap";
    if (raw_len) {
        b->raw = malloc(raw_len);
        for (size_t k = 0; k < raw_len; k++)
            b->raw[k] = (uint8_t)(k * 7 + i);
        b->ev.raw = b->raw;
    }
    b->ev.raw_len = raw_len ? raw_len : 40 + i % 9;
    /* a chain of `depth` nested trees, each with a string and a number */
    b->n_nodes = (size_t)depth * 3 + 1 + N_SCALARS;
    b->nodes = calloc(b->n_nodes, sizeof *b->nodes);
    dt_field *parent = NULL;
    size_t n = 0;
    for (int d = 0; d < depth; d++) {
        dt_field *name = &b->nodes[n++], *num = &b->nodes[n++], *tree = &b->nodes[n++];
        name->def = &defs[0];
        name->v.s.ptr = b->strs[5];
        name->v.s.len = strlen(b->strs[5]);
        num->def = &defs[1];
        num->v.u = i * 31 + (uint64_t)d;
        tree->def = &defs[2];
        name->next = num;
        num->next = tree;
        if (parent) {
            parent->child = name;
            parent->last_child = tree;
        } else {
            b->ev.fields = name;
            b->ev.last_field = tree;
        }
        parent = tree;
    }
    /* one of each other value type, at the top level after the chain: the
     * render thread must climb back out of the nested trees to place them */
    dt_field *first = NULL, *prev = NULL;
    for (int k = 0; k < N_SCALARS; k++) {
        dt_field *x = &b->nodes[n++];
        x->def = &defs[4 + k];
        x->offset = (uint32_t)k;
        x->length = (uint32_t)k * 2;
        for (int j = 0; j < 16; j++)
            x->v.b16[j] = (uint8_t)(i + (uint64_t)j * 13 + (uint64_t)k);
        if (k == 3)
            x->v.i = -(int64_t)i;
        if (k == 4)
            x->v.d = (double)i / 7.0;
        if (k == 5)
            x->v.u = 1700000000000000000ull + i;
        if (k == 6) { /* a string field with no text: NULL stays NULL */
            x->v.s.ptr = NULL;
            x->v.s.len = 0;
        }
        if (prev)
            prev->next = x;
        else
            first = x;
        prev = x;
    }
    b->ev.last_field->next = first; /* depth >= 1: the chain is there */
    b->ev.last_field = prev;
    dt_field *blob = &b->nodes[n++];
    blob->def = &defs[3];
    blob->v.s.ptr = (const char *)"\x00\x01\xfe\xff";
    blob->v.s.len = 4;
    if (parent)
        parent->child = parent->last_child = blob;
    else
        b->ev.fields = b->ev.last_field = blob;
}

static void scribble_free(built *b)
{
    for (int k = 0; k < 6; k++) {
        memset(b->strs[k], 'X', strlen(b->strs[k]));
        free(b->strs[k]);
    }
    if (b->nodes) /* NULL once moved into lent memory */
        memset(b->nodes, 0xa5, b->n_nodes * sizeof *b->nodes);
    free(b->nodes);
    if (b->raw) {
        memset(b->raw, 0, b->ev.raw_len);
        free(b->raw);
    }
    memset(b, 0x5a, sizeof *b);
}

/* Feeds n events to s; every 97th carries raw bytes of raw_big. */
static void feed(dt_sink *s, uint64_t n, size_t raw_big, int depth)
{
    for (uint64_t i = 0; i < n; i++) {
        built b;
        build(&b, i, (i % 97 == 3) ? raw_big : 0, (int)(i % (uint64_t)depth) + 1);
        s->event(s, &b.ev);
        scribble_free(&b);
    }
}

/* ---- events built in the memory the sink lends (event_memory) ---- */

static size_t align16(size_t n) { return (n + 15u) & ~(size_t)15u; }

/* Moves b's field nodes, their strings and (odd i) its summary into mem, after
 * `scratch` bytes of garbage the event does not point to, as the engine's
 * arena lays an event out; the heap copies are scribbled over and freed.
 * The conversation's names (and even i's summary) stay on the heap: the sink
 * must copy those. Returns the bytes of mem used, or 0 (nothing moved) when
 * the event does not fit in room. */
static size_t move_into(built *b, uint64_t i, uint8_t *mem, size_t room, size_t scratch)
{
    size_t nb = b->n_nodes * sizeof *b->nodes;
    size_t name_len = strlen(b->strs[5]), sum_len = strlen(b->strs[0]);
    size_t need = align16(nb) + align16(name_len + 1) + ((i & 1) ? align16(sum_len + 1) : 0);
    if (need > room)
        return 0; /* a deep tree that does not fit: as if it outgrew the room */
    if (scratch > room - need)
        scratch = room - need;
    size_t at = align16(scratch);
    memset(mem, 0xee, at);
    dt_field *nodes = (dt_field *)(mem + at);
    at += align16(nb);
    memcpy(nodes, b->nodes, nb);
#define MOVED(p) ((p) ? (dt_field *)((uint8_t *)nodes + ((uint8_t *)(p) - (uint8_t *)b->nodes)) : NULL)
    char *name = (char *)mem + at;
    memcpy(name, b->strs[5], name_len + 1);
    at += align16(name_len + 1);
    for (size_t k = 0; k < b->n_nodes; k++) {
        nodes[k].next = MOVED(nodes[k].next);
        nodes[k].child = MOVED(nodes[k].child);
        nodes[k].last_child = MOVED(nodes[k].last_child);
        if (nodes[k].def == &defs[0])
            nodes[k].v.s.ptr = name;
    }
    b->ev.fields = MOVED(b->ev.fields);
    b->ev.last_field = MOVED(b->ev.last_field);
#undef MOVED
    if (i & 1) {
        char *sum = (char *)mem + at;
        memcpy(sum, b->strs[0], sum_len + 1);
        at += align16(sum_len + 1);
        b->ev.summary = sum;
    }
    memset(b->nodes, 0xa5, nb);
    free(b->nodes);
    b->nodes = NULL;
    b->n_nodes = 0;
    return at;
}

/* Feeds n events as the engine does with a sink that lends memory: most
 * built in the lent room after up to 12 KiB of scratch (so that spans of
 * many sizes go round the sink's memory many times); every 11th built there
 * and dropped first (a filtered event: the next is lent the same room);
 * every 13th, and trees too deep for the room, outgrew it (no span: copied). */
static void feed_spans(dt_sink *s, uint64_t n, size_t raw_big, int depth)
{
    for (uint64_t i = 0; i < n; i++) {
        void *at = NULL;
        size_t room = 0;
        assert_true(s->event_memory(s, &at, &room));
        assert_true(room >= 16 * 1024);
        assert_int_equal((uintptr_t)at % 16, 0);
        if (i % 11 == 5) {
            memset(at, 0x77, room);
            void *again = NULL;
            assert_true(s->event_memory(s, &again, &room));
            assert_ptr_equal(again, at);
        }
        built b;
        build(&b, i, (i % 97 == 3) ? raw_big : 0, (int)(i % (uint64_t)depth) + 1);
        size_t used = i % 13 == 7 ? 0 : move_into(&b, i, at, room, (size_t)(i * 7919 % 12288));
        s->event_span(s, &b.ev, used ? at : NULL, used);
        scribble_free(&b);
    }
}

/* When the render thread pauses: every `every` events, for pause_ns. */
typedef struct slowness {
    uint64_t every;
    long pause_ns;
} slowness;

/* An inner sink slower than the decoding now and then, so that the lent
 * memory runs out and the decoding waits for the render thread. */
typedef struct slow_sink {
    dt_sink base;
    dt_sink *inner;
    slowness slow;
    uint64_t n;
} slow_sink;

static void slow_event(dt_sink *s, const dt_event *ev)
{
    slow_sink *w = (slow_sink *)s;
    w->inner->event(w->inner, ev);
    if (++w->n % w->slow.every == 0)
        nanosleep(&(struct timespec){ 0, w->slow.pause_ns }, NULL);
}

static int slow_finish(dt_sink *s) { return ((slow_sink *)s)->inner->finish(((slow_sink *)s)->inner); }

static void slow_destroy(dt_sink *s)
{
    slow_sink *w = (slow_sink *)s;
    w->inner->destroy(w->inner);
    free(w);
}

enum run_mode { INLINE, ASYNC, ASYNC_SPANS };

static char *run_json(enum run_mode mode, uint64_t n, size_t raw_big, int depth, slowness slow, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    dt_sink *js = dt_json_sink_new(f);
    assert_non_null(js);
    dt_json_sink_set_raw(js, true);
    dt_sink *s = js;
    if (mode == ASYNC_SPANS) {
        slow_sink *w = calloc(1, sizeof *w);
        assert_non_null(w);
        w->base.event = slow_event;
        w->base.finish = slow_finish;
        w->base.destroy = slow_destroy;
        w->inner = js;
        w->slow = slow;
        s = &w->base;
    }
    if (mode != INLINE) {
        dt_sink *inner = s;
        s = dt_async_sink_new(inner, true);
        assert_non_null(s);
        assert_ptr_not_equal(s, inner);
    }
    if (mode == ASYNC_SPANS)
        feed_spans(s, n, raw_big, depth);
    else
        feed(s, n, raw_big, depth);
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);
    fclose(f);
    return buf;
}

/* The same bytes inline, through the render thread, and from lent memory
 * with a render thread that pauses now and then. */
static void expect_same_slow(uint64_t n, size_t raw_big, int depth, slowness slow)
{
    size_t la, lb;
    char *a = run_json(INLINE, n, raw_big, depth, slow, &la);
    for (enum run_mode m = ASYNC; m <= ASYNC_SPANS; m++) {
        char *b = run_json(m, n, raw_big, depth, slow, &lb);
        assert_true(la > 0);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        free(b);
    }
    free(a);
}

static void expect_same(uint64_t n, size_t raw_big, int depth)
{
    expect_same_slow(n, raw_big, depth, (slowness){ 16, 100000 });
}

/* The one-pass copy the queue uses: with exactly the room the sizing says
 * it writes that many bytes; with any less it fails, and writes nothing
 * past the room it was given. */
static void test_write_max_bounds(void **state)
{
    (void)state;
    const unsigned what = DT_HELD_CONV | DT_HELD_DEEP | DT_HELD_RAW;
    for (uint64_t i = 0; i < 10; i++) {
        built b;
        build(&b, i, (i & 1) ? 300 : 0, (int)i % 4 + 1);
        size_t need = dt_held_event_size(&b.ev, what);
        uint8_t *buf = aligned_alloc(16, need + 256);
        assert_non_null(buf);
        for (size_t cap = 0; cap <= need + 64; cap += (cap + 1 < need ? 1 : 16)) {
            memset(buf, 0xa5, need + 256);
            size_t used = 12345;
            dt_event *c = dt_held_event_write_max(buf, cap, &b.ev, what, &used);
            for (size_t k = cap; k < need + 256; k++)
                if (buf[k] != 0xa5)
                    fail_msg("event %llu, room %zu: byte %zu written", (unsigned long long)i, cap, k);
            if (cap < need) {
                assert_null(c);
                assert_int_equal(used, 0);
                continue;
            }
            assert_non_null(c);
            assert_int_equal(used, need);
            assert_string_equal(c->summary, b.ev.summary);
            assert_ptr_not_equal(c->summary, b.ev.summary);
            if (b.ev.conv)
                assert_string_equal(c->conv->client, b.ev.conv->client);
            size_t na = 0, nb = 0;
            for (const dt_field *f = b.ev.fields; f; f = f->next)
                na++;
            for (const dt_field *f = c->fields; f; f = f->next)
                nb++;
            assert_int_equal(na, nb);
        }
        free(buf);
        scribble_free(&b);
    }
}

static void test_same_bytes_as_inline(void **state)
{
    (void)state;
    expect_same(20000, 3000, 6);
}

/* 100 KiB messages every 97 events: many times the ring, so the decoding
 * waits for room and the ring wraps; 1.5 MiB ones go as their own block. */
static void test_full_queue_and_big_messages(void **state)
{
    (void)state;
    expect_same(3000, 100 * 1024, 3);
    expect_same(400, 1536 * 1024, 2);
}

/* The lent memory round and round while the render thread stops for 8 ms
 * every 48 events: the decoding fills it and waits for room again and
 * again, and never builds an event over one not yet written. */
static void test_lent_memory_behind_a_slow_render_thread(void **state)
{
    (void)state;
    expect_same_slow(1500, 0, 4, (slowness){ 48, 8000000 });
}

/* The window the lent memory gives next, for every tail and head of a
 * small ring: inside one lap, never over what the consumer holds, at least
 * min or nothing (and nothing only when fewer are free), a skip only of a
 * lap's end shorter than min. (Lending past the held bytes once slipped
 * through an unsigned subtraction when the skip made them more than cap.) */
static void test_ring_window_every_position(void **state)
{
    (void)state;
    const size_t cap = 64, min = 16, max = 40;
    for (uint64_t tail = 0; tail < 4 * cap; tail++) {
        for (uint64_t held = 0; held <= cap && held <= tail; held++) {
            uint64_t head = tail - held;
            size_t skip = dt_ring_skip(tail, cap, min);
            size_t room = dt_ring_window(tail, head, cap, min, max);
            uint64_t start = tail + skip;
            assert_true(skip < min);
            if (skip)
                assert_int_equal(start % cap, 0);
            if (!room) {
                assert_true(cap - held < skip + min);
                continue;
            }
            assert_true(room >= min && room <= max);
            assert_true(start % cap + room <= cap);  /* no wrap */
            assert_true(start + room <= head + cap); /* not over [head, tail) */
            assert_true(room == max || start % cap + room == cap || start + room == head + cap);
        }
    }
}

/* Deeper than the filter's 64 levels a held request keeps: the render
 * thread sees the whole tree (the JSON writer draws the line itself). */
static void test_deep_tree(void **state)
{
    (void)state;
    expect_same(300, 0, 150);
}

/* An inner sink that notes where and in which order events arrive. */
typedef struct probe {
    dt_sink base;
    pthread_t owner;
    bool other_thread;
    uint64_t next_seq;
    bool in_order;
    atomic_ulong seen;
    bool finished;
    char client[64];
} probe;

static void probe_event(dt_sink *s, const dt_event *ev)
{
    probe *p = (probe *)s;
    if (!pthread_equal(pthread_self(), p->owner))
        p->other_thread = true;
    if (ev->seq != p->next_seq)
        p->in_order = false;
    p->next_seq = ev->seq + 1;
    if (ev->conv && ev->conv->client)
        snprintf(p->client, sizeof p->client, "%s", ev->conv->client);
    atomic_fetch_add(&p->seen, 1);
}

static int probe_finish(dt_sink *s)
{
    probe *p = (probe *)s;
    p->finished = true;
    return pthread_equal(pthread_self(), p->owner) ? 0 : -1; /* finish runs on the caller's thread */
}

static void probe_init(probe *p)
{
    memset(p, 0, sizeof *p);
    p->base.event = probe_event;
    p->base.finish = probe_finish;
    p->owner = pthread_self();
    p->next_seq = 1;
    p->in_order = true;
}

/* The probe behind a render thread. */
static dt_sink *probe_start(probe *p, bool with_raw)
{
    probe_init(p);
    dt_sink *s = dt_async_sink_new(&p->base, with_raw);
    assert_non_null(s);
    return s;
}

static void test_other_thread_in_order(void **state)
{
    (void)state;
    probe p;
    dt_sink *s = probe_start(&p, false);
    feed(s, 5000, 0, 2);
    assert_int_equal(s->finish(s), 0);
    assert_true(p.finished);
    assert_int_equal(atomic_load(&p.seen), 5000);
    assert_true(p.other_thread);
    assert_true(p.in_order);
    assert_string_equal(p.client, "10.0.0.50:445"); /* event 4999's, read after its memory was gone */
    s->destroy(s);                                 /* the probe has no destroy: nothing to free */
}

/* A replay of a live pipe stays live: one event reaches the sink within a
 * few milliseconds, not at the end (5 s is only the test's patience). */
static void test_trickle_reaches_inner_before_finish(void **state)
{
    (void)state;
    probe p;
    dt_sink *s = probe_start(&p, false);
    feed(s, 1, 0, 1);
    for (int i = 0; i < 5000 && atomic_load(&p.seen) == 0; i++)
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    assert_int_equal(atomic_load(&p.seen), 1);
    assert_false(p.finished);
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);
}

static void test_destroy_without_finish(void **state)
{
    (void)state;
    probe p;
    dt_sink *s = probe_start(&p, true);
    feed(s, 777, 5000, 3);
    s->destroy(s); /* drains and joins; ASan checks nothing leaks */
    assert_int_equal(atomic_load(&p.seen), 777);
    assert_false(p.finished);
}

static void nop_frame(dt_sink *s, const dt_channel *ch, uint64_t ts_ns, const uint8_t *data, size_t caplen,
                      size_t origlen, uint32_t epb_flags)
{
    (void)s, (void)ch, (void)ts_ns, (void)data, (void)caplen, (void)origlen, (void)epb_flags;
}

/* A recorder needs its frames in line with the events: not moved. */
static void test_recorder_stays_inline(void **state)
{
    (void)state;
    probe p;
    probe_init(&p);
    p.base.frame = nop_frame;
    assert_null(dt_async_sink_new(&p.base, false));
    assert_null(dt_async_sink_new(NULL, false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_max_bounds),
        cmocka_unit_test(test_same_bytes_as_inline),
        cmocka_unit_test(test_full_queue_and_big_messages),
        cmocka_unit_test(test_lent_memory_behind_a_slow_render_thread),
        cmocka_unit_test(test_ring_window_every_position),
        cmocka_unit_test(test_deep_tree),
        cmocka_unit_test(test_other_thread_in_order),
        cmocka_unit_test(test_trickle_reaches_inner_before_finish),
        cmocka_unit_test(test_destroy_without_finish),
        cmocka_unit_test(test_recorder_stays_inline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
