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
    int checked = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_baselines),
        cmocka_unit_test(test_small_trace_every_chunking),
        cmocka_unit_test(test_trace_object_and_time),
        cmocka_unit_test(test_truncated_at_many_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
