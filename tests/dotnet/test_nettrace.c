/* The nettrace dissector on real traces: every event type of each corpus
 * trace's TraceEvent baseline is counted exactly, whatever the chunking;
 * truncated traces decode up to the cut and say where they stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dn_support.h"
#include "dtcorpus.h"

static const char *const corpus[] = {
    "nettrace/eventpipe-dotnetcore3.0-win-x64-objver4.nettrace",
    "nettrace/eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace",
};

/* Checks every "Provider/EventName, COUNT, ..." line of the baseline. */
static void check_baseline(const char *rel, const dn_sink *s)
{
    char path[1024], bpath[1100];
    dn_corpus_path(rel, path, sizeof path);
    snprintf(bpath, sizeof bpath, "%s.baseline.txt", path);
    FILE *f = fopen(bpath, "r");
    assert_non_null(f);
    char line[65536];
    int checked = 0, bad = 0, lines = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        assert_non_null(strchr(line, '\n') ? line : (feof(f) ? line : NULL)); /* no line longer than the buffer */
        lines += strspn(line, " \t\r\n") != strlen(line);
        if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf)
            p += 3;
        char *comma = strstr(p, ", ");
        if (!comma)
            continue;
        *comma = '\0';
        unsigned long long want = strtoull(comma + 2, NULL, 10);
        uint64_t got = dn_count_of(s, p);
        if (got != want)
            print_error("%s: %s: baseline %llu, decoded %llu\n", rel, p, want, (unsigned long long)got);
        bad += got != want;
        checked++;
    }
    fclose(f);
    if (bad && getenv("DN_DUMP"))
        for (size_t i = 0; i < s->n_counts; i++)
            print_message("  decoded %s: %llu\n", s->counts[i].key, (unsigned long long)s->counts[i].n);
    assert_int_equal(bad, 0);
    assert_true(checked > 0);
    assert_int_equal(checked, lines); /* every listed type was checked */
}

static void run_file(const char *rel, size_t max_chunk, uint32_t seed, dn_run *r, size_t cut)
{
    char path[1024];
    dn_corpus_path(rel, path, sizeof path);
    size_t len;
    uint8_t *data = dn_read_file(path, &len);
    assert_non_null(data);
    dn_run_start(r, "nettrace", seed);
    dn_run_feed(r, DT_DIR_S2C, data, cut && cut < len ? cut : len, max_chunk);
    dn_run_finish(r);
    free(data);
}

static void test_corpus_baselines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        /* whole, and in random chunks down to single bytes for the small one */
        size_t chunks[] = { 0, 65536, 777 };
        for (size_t k = 0; k < 3; k++) {
            dn_run r;
            run_file(corpus[i], chunks[k], 7 + (uint32_t)k, &r, 0);
            check_baseline(corpus[i], &r.sink);
            assert_int_equal(r.sink.n_errors, 0);
            assert_int_equal(r.sink.n_malformed, 0);
            assert_non_null(dn_find(&r.sink, "end of EventPipe stream"));
            dn_run_free(&r);
        }
    }
}

static void test_small_trace_every_chunking(void **state)
{
    (void)state;
    /* the 6.0 trace is small: feed it in chunks of 1..N for several N */
    for (size_t max = 1; max <= 64; max *= 2) {
        dn_run r;
        run_file(corpus[1], max, 99 + (uint32_t)max, &r, 0);
        check_baseline(corpus[1], &r.sink);
        const dn_event *e = dn_find(&r.sink, "ExecutionCheckpointDCEnd tid=");
        assert_non_null(e);
        assert_string_equal(e->proto, "EventPipe");
        assert_non_null(strstr(e->fields, "nettrace.thread_id=25112;"));
        /* native runtime events carry no schema: the payload is shown by size */
        assert_non_null(strstr(e->summary, "(34 bytes)"));
        assert_non_null(strstr(e->fields, "nettrace.stack_id=1;"));
        dn_run_free(&r);
    }
}

static void test_trace_object_and_time(void **state)
{
    (void)state;
    dn_run r;
    run_file(corpus[0], 0, 1, &r, 0);
    const dn_event *t = dn_find(&r.sink, "Trace: pid 10064");
    assert_non_null(t);
    assert_non_null(strstr(t->summary, "64-bit"));
    /* a GC/Start event at its wall-clock time: within the 2019 capture */
    const dn_event *g = dn_find(&r.sink, "GC/AllocationTick");
    if (!g)
        g = dn_find(&r.sink, "Thread/Sample");
    assert_non_null(g);
    assert_true(g->ts_ns > 1546300800ull * 1000000000ull); /* after 2019-01-01 */
    assert_true(g->ts_ns < 1577836800ull * 1000000000ull); /* before 2020-01-01 */
    assert_non_null(strstr(g->fields, "nettrace.time="));
    /* runtime events decoded by the CLR manifest's layouts, as TraceEvent shows them */
    const dn_event *t1 = dn_find(&r.sink, "AppDomainResourceManagement/ThreadCreated tid=3444");
    assert_non_null(t1);
    assert_non_null(strstr(t1->summary, "ManagedThreadID=0x19a7a321810 AppDomainID=0x19a783a12a0 Flags=0 "
                                        "ManagedThreadIndex=3 OSThreadID=3444 ClrInstanceID=3"));
    assert_non_null(strstr(t1->fields, "nettrace.arg=OSThreadID=3444;"));
    assert_non_null(dn_find(&r.sink, "GC/SuspendEEStart tid=3444 stack=1 Reason=SuspendOther"));
    dn_run_free(&r);
}

static void test_truncated_at_many_offsets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        char path[1024];
        dn_corpus_path(corpus[i], path, sizeof path);
        size_t len;
        uint8_t *data = dn_read_file(path, &len);
        assert_non_null(data);
        free(data);
        uint64_t prev = 0;
        size_t steps = i == 0 ? 14 : len; /* every offset of the small trace */
        for (size_t k = 1; k < steps; k++) {
            size_t cut = i == 0 ? len / steps * k + (k * 7919) % 4096 : k;
            dn_run r;
            run_file(corpus[i], 4096, (uint32_t)k, &r, cut);
            uint64_t events = 0;
            for (size_t j = 0; j < r.sink.n_counts; j++)
                if (strncmp(r.sink.counts[j].key, "nettrace/", 9) != 0)
                    events += r.sink.counts[j].n;
            assert_true(events >= prev); /* more bytes never decode fewer events */
            prev = events;
            /* the cut is reported, with where it stopped */
            if (cut > 32) {
                const dn_event *e = dn_find(&r.sink, "cut short at stream offset");
                assert_non_null(e);
                assert_int_equal(e->kind, DT_EV_ERROR);
            }
            dn_run_free(&r);
        }
    }
}


/* ---- A synthetic V5 trace: EventSource metadata with an opcode tag and V2
 * parameters (arrays), EventCounters, compressed and uncompressed headers. */

static void obj_type(dn_buf *b, const char *name, uint32_t version)
{
    dn_u8(b, 5);
    dn_u8(b, 5);
    dn_u8(b, 1);
    dn_u32(b, version);
    dn_u32(b, version);
    dn_u32(b, (uint32_t)strlen(name));
    dn_put(b, name, strlen(name));
    dn_u8(b, 6);
}

static void block(dn_buf *b, const char *name, const dn_buf *content)
{
    obj_type(b, name, 2);
    dn_u32(b, (uint32_t)content->len);
    while (b->len % 4)
        dn_u8(b, 0);
    dn_put(b, content->p, content->len);
    dn_u8(b, 6);
}

static void block_header(dn_buf *c, bool compressed)
{
    dn_u16(c, 20);
    dn_u16(c, compressed ? 1 : 0);
    dn_u64(c, 1000);
    dn_u64(c, 2000000);
}

static void meta_head(dn_buf *m, uint32_t id, const char *provider, uint32_t event_id, const char *name)
{
    dn_u32(m, id);
    dn_utf16z(m, provider);
    dn_u32(m, event_id);
    dn_utf16z(m, name);
    dn_u64(m, 0);
    dn_u32(m, 0);
    dn_u32(m, 4);
}

static void v1_field(dn_buf *m, uint32_t type, const char *name)
{
    dn_u32(m, type);
    dn_utf16z(m, name);
}

static void v2_field(dn_buf *m, const char *name, uint32_t type, uint32_t elem)
{
    dn_buf f = { 0 };
    dn_utf16z(&f, name);
    dn_u32(&f, type);
    if (type == 19)
        dn_u32(&f, elem);
    dn_u32(m, (uint32_t)(4 + f.len));
    dn_put(m, f.p, f.len);
    dn_buf_free(&f);
}

/* A compressed blob with every optional field present. */
static void blob_full(dn_buf *c, uint32_t meta, uint32_t seq_delta, uint64_t thread, uint32_t stack,
                      uint64_t ts_delta, const dn_buf *payload)
{
    dn_u8(c, 0xff);
    dn_varint(c, meta);
    dn_varint(c, seq_delta);
    dn_varint(c, thread); /* capture thread */
    dn_varint(c, 3);      /* processor */
    dn_varint(c, thread);
    dn_varint(c, stack);
    dn_varint(c, ts_delta);
    for (int i = 0; i < 16; i++)
        dn_u8(c, (uint8_t)(0xa0 + i));
    for (int i = 0; i < 16; i++)
        dn_u8(c, 0);
    dn_varint(c, payload->len);
    dn_put(c, payload->p, payload->len);
}

static void blob_uncompressed(dn_buf *c, size_t content_start, uint32_t meta, uint32_t seq, uint64_t thread,
                              uint64_t ts, const dn_buf *payload)
{
    dn_u32(c, (uint32_t)(76 + payload->len));
    dn_u32(c, meta | 0x80000000u);
    dn_u32(c, seq);
    dn_u64(c, thread);
    dn_u64(c, thread);
    dn_u32(c, 1);
    dn_u32(c, 0);
    dn_u64(c, ts);
    for (int i = 0; i < 32; i++)
        dn_u8(c, 0);
    dn_u32(c, (uint32_t)payload->len);
    dn_put(c, payload->p, payload->len);
    while ((c->len - content_start) % 4)
        dn_u8(c, 0);
}

static void counter_payload(dn_buf *p, const char *name, double mean)
{
    dn_utf16z(p, name);
    dn_utf16z(p, "CPU Usage");
    dn_put(p, &mean, 8);
    double zero = 0, one = 1;
    dn_put(p, &zero, 8);
    dn_u32(p, 1);
    dn_put(p, &mean, 8);
    dn_put(p, &mean, 8);
    float interval = 1.0f;
    dn_put(p, &interval, 4);
    dn_utf16z(p, "Interval=1000");
    dn_utf16z(p, "Mean");
    dn_utf16z(p, "");
    dn_utf16z(p, "%");
    (void)one;
}

static dn_buf synthetic_trace(void)
{
    dn_buf b = { 0 }, c = { 0 }, m = { 0 }, p = { 0 };
    dn_put(&b, "Nettrace", 8);
    dn_u32(&b, 20);
    dn_put(&b, "!FastSerialization.1", 20);
    obj_type(&b, "Trace", 5);
    uint16_t st[8] = { 2024, 3, 5, 1, 12, 0, 0, 0 }; /* 2024-03-01 12:00:00.000 UTC */
    for (int i = 0; i < 8; i++)
        dn_u16(&b, st[i]);
    dn_u64(&b, 1000);    /* sync QPC */
    dn_u64(&b, 1000000); /* 1 MHz */
    dn_u32(&b, 8);
    dn_u32(&b, 4242);
    dn_u32(&b, 8);
    dn_u32(&b, 1000);
    dn_u8(&b, 6);

    /* metadata: EventCounters (V1 nested object), RequestStart (opcode + V2), RequestStop */
    block_header(&c, true);
    meta_head(&m, 1, "System.Runtime", 1, "EventCounters");
    dn_u32(&m, 1);
    dn_u32(&m, 1); /* Object, its description, then its name */
    dn_u32(&m, 12);
    v1_field(&m, 18, "Name");
    v1_field(&m, 18, "DisplayName");
    v1_field(&m, 14, "Mean");
    v1_field(&m, 14, "StandardDeviation");
    v1_field(&m, 9, "Count");
    v1_field(&m, 14, "Min");
    v1_field(&m, 14, "Max");
    v1_field(&m, 13, "IntervalSec");
    v1_field(&m, 18, "Series");
    v1_field(&m, 18, "CounterType");
    v1_field(&m, 18, "Metadata");
    v1_field(&m, 18, "DisplayUnits");
    dn_utf16z(&m, "Payload");
    blob_full(&c, 0, 0, 0, 0, 0, &m);
    m.len = 0;
    meta_head(&m, 2, "My-Source", 2, "RequestStart");
    dn_u32(&m, 0); /* no V1 fields: the V2 tag has them */
    dn_u32(&m, 1);
    dn_u8(&m, 1);
    dn_u8(&m, 1); /* opcode Start */
    dn_buf v2 = { 0 };
    dn_u32(&v2, 3);
    v2_field(&v2, "Url", 18, 0);
    v2_field(&v2, "Ids", 19, 9);
    v2_field(&v2, "Ok", 3, 0);
    dn_u32(&m, (uint32_t)v2.len);
    dn_u8(&m, 2);
    dn_put(&m, v2.p, v2.len);
    dn_buf_free(&v2);
    blob_full(&c, 0, 0, 0, 0, 0, &m);
    m.len = 0;
    meta_head(&m, 3, "My-Source", 3, "RequestStop");
    dn_u32(&m, 1);
    v1_field(&m, 11, "DurationTicks");
    blob_full(&c, 0, 0, 0, 0, 0, &m);
    m.len = 0;
    meta_head(&m, 4, "System.Runtime", 1, "EventCounters"); /* an IncrementingEventCounter's payload */
    dn_u32(&m, 1);
    dn_u32(&m, 1);
    dn_u32(&m, 9);
    v1_field(&m, 18, "Name");
    v1_field(&m, 18, "DisplayName");
    v1_field(&m, 18, "DisplayRateTimeScale");
    v1_field(&m, 14, "Increment");
    v1_field(&m, 13, "IntervalSec");
    v1_field(&m, 18, "Metadata");
    v1_field(&m, 18, "Series");
    v1_field(&m, 18, "CounterType");
    v1_field(&m, 18, "DisplayUnits");
    dn_utf16z(&m, "Payload");
    blob_full(&c, 0, 0, 0, 0, 0, &m);
    block(&b, "MetadataBlock", &c);

    c.len = 0;
    dn_u32(&c, 1);
    dn_u32(&c, 2);
    dn_u32(&c, 16);
    dn_u64(&c, 0x7ff000001000ull);
    dn_u64(&c, 0x7ff000002000ull);
    dn_u32(&c, 8);
    dn_u64(&c, 0x7ff000003000ull);
    block(&b, "StackBlock", &c);

    /* compressed events: a counter at +0.5 s, then RequestStart inheriting the thread */
    c.len = 0;
    block_header(&c, true);
    p.len = 0;
    counter_payload(&p, "cpu-usage", 12.5);
    blob_full(&c, 1, 0, 77, 1, 500000 + 1000, &p);
    p.len = 0;
    dn_utf16z(&p, "/home");
    dn_u16(&p, 3);
    dn_u32(&p, 1);
    dn_u32(&p, 2);
    dn_u32(&p, 3);
    dn_u32(&p, 1);
    dn_u8(&c, 0x01 | 0x80); /* new metadata id and payload size; the rest as before */
    dn_varint(&c, 2);
    dn_varint(&c, 250000);
    dn_varint(&c, p.len);
    dn_put(&c, p.p, p.len);
    block(&b, "EventBlock", &c);

    /* uncompressed events: two RequestStop and a counter */
    c.len = 0;
    block_header(&c, false);
    p.len = 0;
    dn_u64(&p, 123456);
    blob_uncompressed(&c, 0, 3, 5, 78, 1000 + 900000, &p);
    p.len = 0;
    dn_u64(&p, 42);
    blob_uncompressed(&c, 0, 3, 6, 78, 1000 + 950000, &p);
    p.len = 0;
    counter_payload(&p, "gc-heap-size", 57.25);
    blob_uncompressed(&c, 0, 1, 7, 78, 1000 + 1000000, &p);
    p.len = 0;
    dn_utf16z(&p, "alloc-rate");
    dn_utf16z(&p, "Allocation Rate");
    dn_utf16z(&p, "00:00:01");
    double inc = 8168;
    dn_put(&p, &inc, 8);
    float interval = 1.0f;
    dn_put(&p, &interval, 4);
    dn_utf16z(&p, "");
    dn_utf16z(&p, "Interval=1000");
    dn_utf16z(&p, "Sum");
    dn_utf16z(&p, "B");
    blob_uncompressed(&c, 0, 4, 8, 78, 1000 + 1000000, &p);
    block(&b, "EventBlock", &c);

    c.len = 0;
    dn_u64(&c, 1000 + 1000000);
    dn_u32(&c, 2);
    dn_u64(&c, 77);
    dn_u32(&c, 2);
    dn_u64(&c, 78);
    dn_u32(&c, 8);
    block(&b, "SPBlock", &c);
    dn_u8(&b, 1);
    dn_buf_free(&c);
    dn_buf_free(&m);
    dn_buf_free(&p);
    return b;
}

static void test_synthetic_v5_eventsource_and_counters(void **state)
{
    (void)state;
    dn_buf t = synthetic_trace();
    for (size_t max = 0; max <= 64; max = max ? max * 4 : 1) {
        dn_run r;
        dn_run_start(&r, NULL, 5 + (uint32_t)max); /* found by its magic */
        dn_run_feed(&r, DT_DIR_S2C, t.p, t.len, max);
        dn_run_finish(&r);
        assert_int_equal(r.sink.n_malformed, 0);
        assert_int_equal(r.sink.n_errors, 0);
        assert_int_equal(dn_count_of(&r.sink, "System.Runtime/EventCounters"), 3);
        assert_int_equal(dn_count_of(&r.sink, "My-Source/Request/Start"), 1);
        assert_int_equal(dn_count_of(&r.sink, "My-Source/Request/Stop"), 2);
        const dn_event *e = dn_find(&r.sink, "cpu-usage = 12.5 %");
        assert_non_null(e);
        assert_non_null(strstr(e->fields, "nettrace.counter.name=cpu-usage;nettrace.counter.value=12.5;"));
        assert_non_null(strstr(e->fields, "nettrace.activity_id=a3a2a1a0-a5a4-a7a6-a8a9-aaabacadaeaf;"));
        /* sync 2024-03-01 12:00:00 UTC at QPC 1000, 1 MHz: QPC 501000 is +0.5 s */
        assert_int_equal(e->ts_ns, 1709294400ull * 1000000000ull + 500000000ull);
        assert_non_null(dn_find(&r.sink, "gc-heap-size = 57.25 %"));
        e = dn_find(&r.sink, "alloc-rate = 8168 B");
        assert_non_null(e);
        assert_non_null(strstr(e->fields, "nettrace.counter.name=alloc-rate;nettrace.counter.value=8168;"));
        e = dn_find(&r.sink, "My-Source/Request/Start tid=77 stack=1 Url=/home Ids=[3] 1,2,3 Ok=true");
        assert_non_null(e);
        assert_non_null(strstr(e->fields, "nettrace.metadata_id=2;"));
        assert_non_null(strstr(e->fields, "nettrace.sequence=2;"));
        assert_int_equal(e->ts_ns, 1709294400ull * 1000000000ull + 750000000ull);
        assert_non_null(dn_find(&r.sink, "My-Source/Request/Stop tid=78 DurationTicks=123456"));
        assert_non_null(dn_find(&r.sink, "MetadataBlock: 4 records: System.Runtime/EventCounters, "
                                         "My-Source/Request/Start, My-Source/Request/Stop, System.Runtime/EventCounters"));
        e = dn_find(&r.sink, "StackBlock: stacks 1-2 (2)");
        assert_non_null(e);
        assert_non_null(strstr(e->fields, "nettrace.stack.ip=140668768882688;"));
        e = dn_find(&r.sink, "SequencePoint: 2 threads");
        assert_non_null(e);
        assert_non_null(strstr(e->fields, "nettrace.sp.thread_id=78;nettrace.sp.sequence=8;"));
        assert_non_null(dn_find(&r.sink, "Trace: pid 4242, 64-bit, 8 CPUs, QPC 1000000 Hz, started 2024-03-01 "
                                         "12:00:00.000 UTC (nettrace V5)"));
        assert_non_null(dn_find(&r.sink, "end of EventPipe stream: 6 events in 5 blocks"));
        dn_run_free(&r);
    }
    /* and every truncation of it */
    for (size_t cut = 1; cut < t.len; cut++) {
        dn_run r;
        dn_run_start(&r, "nettrace", 3);
        dn_run_feed(&r, DT_DIR_S2C, t.p, cut, 0);
        dn_run_finish(&r);
        if (cut >= 32)
            assert_non_null(dn_find(&r.sink, "cut short at stream offset"));
        dn_run_free(&r);
    }
    dn_buf_free(&t);
}

/* Every byte of the small real trace and of the synthetic one, changed:
 * decoding never overruns (the sanitizer build checks) and never hangs. */
static void test_mutated_traces(void **state)
{
    (void)state;
    char path[1024];
    dn_corpus_path(corpus[1], path, sizeof path);
    size_t len;
    uint8_t *real = dn_read_file(path, &len);
    assert_non_null(real);
    dn_buf synth = synthetic_trace();
    struct { uint8_t *p; size_t len; } inputs[] = { { real, len }, { synth.p, synth.len } };
    static const uint8_t values[] = { 0x00, 0xff, 0x80, 0x05, 0x7f };
    for (size_t k = 0; k < 2; k++) {
        uint8_t *copy = malloc(inputs[k].len);
        for (size_t off = 0; off < inputs[k].len; off++) {
            for (size_t v = 0; v < sizeof values; v++) {
                memcpy(copy, inputs[k].p, inputs[k].len);
                if (copy[off] == values[v])
                    continue;
                copy[off] = values[v];
                dn_run r;
                dn_run_start(&r, "nettrace", (uint32_t)(off * 8 + v + 1));
                dn_run_feed(&r, DT_DIR_S2C, copy, inputs[k].len, 64);
                dn_run_finish(&r);
                assert_true(r.sink.n_events < 10000);
                dn_run_free(&r);
            }
        }
        free(copy);
    }
    free(real);
    dn_buf_free(&synth);
}

static void test_v6_header_recognised(void **state)
{
    (void)state;
    dn_buf b = { 0 };
    dn_put(&b, "Nettrace", 8);
    dn_u32(&b, 0);
    dn_u32(&b, 6);
    dn_u32(&b, 0);
    dn_u32(&b, 0x01000010); /* a Trace block header, then some content */
    for (int i = 0; i < 16; i++)
        dn_u8(&b, (uint8_t)i);
    dn_run r;
    dn_run_start(&r, NULL, 1);
    dn_run_feed(&r, DT_DIR_S2C, b.p, b.len, 5);
    dn_run_finish(&r);
    assert_non_null(dn_find(&r.sink, "EventPipe stream begins: nettrace V6.0 (block format), not decoded"));
    assert_non_null(dn_find(&r.sink, "bytes of nettrace V6 (not decoded)"));
    assert_int_equal(r.sink.n_malformed, 0);
    assert_int_equal(r.sink.n_errors, 0);
    dn_run_free(&r);
    dn_buf_free(&b);
}

int main(void)
{
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
        dt_corpus_require(corpus[i]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_baselines),
        cmocka_unit_test(test_small_trace_every_chunking),
        cmocka_unit_test(test_trace_object_and_time),
        cmocka_unit_test(test_truncated_at_many_offsets),
        cmocka_unit_test(test_synthetic_v5_eventsource_and_counters),
        cmocka_unit_test(test_v6_header_recognised),
        cmocka_unit_test(test_mutated_traces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
