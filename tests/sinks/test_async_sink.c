/* The render thread of dt_async_sink_new: the same bytes as the sink run in
 * line, in order, from copies that outlive the events' own memory (the
 * conversation closed, the arena reused), with every kind of value, through
 * a full queue, with messages too big for it, and a trickle written before
 * the end. */
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

static char *run_json(bool async, uint64_t n, size_t raw_big, int depth, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    dt_sink *js = dt_json_sink_new(f);
    assert_non_null(js);
    dt_json_sink_set_raw(js, true);
    dt_sink *s = js;
    if (async) {
        s = dt_async_sink_new(js, true);
        assert_non_null(s);
        assert_ptr_not_equal(s, js);
    }
    feed(s, n, raw_big, depth);
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);
    fclose(f);
    return buf;
}

static void expect_same(uint64_t n, size_t raw_big, int depth)
{
    size_t la, lb;
    char *a = run_json(false, n, raw_big, depth, &la);
    char *b = run_json(true, n, raw_big, depth, &lb);
    assert_true(la > 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
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
        cmocka_unit_test(test_deep_tree),
        cmocka_unit_test(test_other_thread_in_order),
        cmocka_unit_test(test_trickle_reaches_inner_before_finish),
        cmocka_unit_test(test_destroy_without_finish),
        cmocka_unit_test(test_recorder_stays_inline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
