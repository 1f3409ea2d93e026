/* The decoder's time-ordered merge (decoder.h, dt_decoder_start_merged):
 * records of several feeds come out by timestamp once they are older than
 * the reorder window; a record older than one already decoded is late,
 * decoded where it arrived and marked by a note; without a window the
 * feeds are drained in turn (the proxies' and wrap's behaviour). A stalled
 * decoder: the bytes its full feed refused make one gap, and a note queued
 * after them still gets through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/engine.h"
#include "core/registry.h"
#include "core/sink.h"
#include "ipc/decoder.h"

typedef struct seen {
    dt_sink sink;
    char order[64][96];
    int n;
} seen;

static void on_event(dt_sink *s, const dt_event *ev)
{
    seen *z = (seen *)s;
    if (z->n < 64 && ev->summary)
        snprintf(z->order[z->n++], sizeof z->order[0], "%s", ev->summary);
}

static void emit(dt_engine *eng, void *ctx, uint64_t ts, const uint8_t *data, size_t len)
{
    (void)ctx;
    dt_engine_note(eng, NULL, ts, DT_EV_NOTE, "%.*s", (int)len, (const char *)data);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void put(dt_feed *f, uint64_t ts, const char *text)
{
    assert_true(dt_feed_call(f, emit, NULL, ts, (const uint8_t *)text, strlen(text), false));
}

static int index_of(const seen *z, const char *prefix)
{
    for (int i = 0; i < z->n; i++)
        if (strncmp(z->order[i], prefix, strlen(prefix)) == 0)
            return i;
    return -1;
}

/* An engine whose events' summaries go to z. */
static dt_engine *engine_into(seen *z, dt_registry **reg)
{
    *reg = dt_registry_new();
    dt_engine *eng = dt_engine_new(*reg);
    memset(z, 0, sizeof *z);
    z->sink.event = on_event;
    dt_engine_add_sink(eng, &z->sink);
    return eng;
}

/* Stops d (every queued record run) and ends the engine's run. */
static void finish(dt_decoder *d, dt_engine *eng, dt_registry *reg)
{
    dt_decoder_stop(d);
    dt_engine_finish(eng, now_ns());
    dt_engine_free(eng);
    dt_registry_free(reg);
}

static void run(uint64_t window_ns, seen *z, bool with_late)
{
    dt_registry *reg;
    dt_engine *eng = engine_into(z, &reg);
    char err[128];
    dt_decoder *d = dt_decoder_start_merged(eng, window_ns, err, sizeof err);
    assert_non_null(d);
    dt_feed *a = dt_decoder_feed(d, NULL, "A", 0);
    dt_feed *b = dt_decoder_feed(d, NULL, "B", 0);
    uint64_t t = now_ns();
    /* all within the window: held, then merged by time */
    put(a, t - 30000000u, "a1");
    put(a, t - 10000000u, "a2");
    put(b, t - 20000000u, "b1");
    put(b, t - 5000000u, "b2");
    if (with_late) {
        usleep(300000); /* past the window: all four decoded */
        put(b, t - 40000000u, "b-late");
        put(a, now_ns(), "a3");
    }
    finish(d, eng, reg);
}

static void merged_in_time_order(void **state)
{
    (void)state;
    seen z;
    run(100000000u, &z, false);
    assert_int_equal(index_of(&z, "a1"), 0);
    assert_int_equal(index_of(&z, "b1"), 1);
    assert_int_equal(index_of(&z, "a2"), 2);
    assert_int_equal(index_of(&z, "b2"), 3);
}

static void late_records_marked(void **state)
{
    (void)state;
    seen z;
    run(100000000u, &z, true);
    int late = index_of(&z, "B: late:");
    assert_true(late >= 0);
    assert_int_equal(index_of(&z, "b-late"), late + 1); /* decoded where it arrived, after its mark */
    assert_true(index_of(&z, "b2") < late);
    assert_true(index_of(&z, "B: 1 records arrived after the 100 ms reorder window") >= 0);
}

static void no_window_drains_in_turn(void **state)
{
    (void)state;
    seen z;
    run(0, &z, false);
    /* feed A (made first, listed last) and B each in their own order */
    assert_true(index_of(&z, "a1") < index_of(&z, "a2"));
    assert_true(index_of(&z, "b1") < index_of(&z, "b2"));
    assert_int_equal(index_of(&z, "late"), -1);
}

/* A live decoder (proxies, wrap) decoding what was relayed seconds ago says
 * once that its timeline is late, and again when it is live; a session's
 * (records of replayed files carry their own old times) says nothing. */
static void run_lag(bool live, seen *z)
{
    dt_registry *reg;
    dt_engine *eng = engine_into(z, &reg);
    char err[128];
    dt_decoder *d = live ? dt_decoder_start(eng, err, sizeof err) : dt_decoder_start_merged(eng, 0, err, sizeof err);
    assert_non_null(d);
    dt_feed *a = dt_decoder_feed(d, NULL, "A", 0);
    uint64_t t = now_ns();
    put(a, t - 10000000000ull, "old1");
    put(a, t - 8000000000ull, "old2");
    put(a, t - 4000000000ull, "old3"); /* under 5 s but not live yet: no second note */
    put(a, t, "new1");
    finish(d, eng, reg);
}

static void late_timeline_noted(void **state)
{
    (void)state;
    seen z;
    run_lag(true, &z);
    int late = index_of(&z, "timeline late: decoding what was relayed 10.");
    assert_true(late >= 0);
    assert_int_equal(index_of(&z, "old1"), late + 1);
    assert_int_equal(index_of(&z, "old2"), late + 2);
    assert_int_equal(index_of(&z, "old3"), late + 3);
    assert_int_equal(index_of(&z, "timeline live again"), late + 4);
    assert_int_equal(index_of(&z, "new1"), late + 5);
    for (int i = late + 1; i < z.n; i++) /* said once */
        assert_true(strncmp(z.order[i], "timeline late", 13) != 0);
    run_lag(false, &z);
    assert_int_equal(index_of(&z, "timeline"), -1);
    assert_true(index_of(&z, "old1") >= 0 && index_of(&z, "new1") > index_of(&z, "old1"));
}

typedef struct tally {
    dt_sink sink;
    int gaps, died;
    unsigned long long gap_bytes, skip_bytes, recorded;
} tally;

static void tally_event(dt_sink *s, const dt_event *ev)
{
    tally *t = (tally *)s;
    unsigned long long n = 0;
    if (ev->summary && sscanf(ev->summary, "decoder behind: %llu bytes", &n) == 1) {
        if (strstr(ev->summary, "not decoded nor recorded"))
            t->gap_bytes += n;
        else
            t->skip_bytes += n;
    }
    if (ev->summary && strstr(ev->summary, "not decoded nor recorded"))
        t->gaps++;
    if (ev->summary && strstr(ev->summary, "target died"))
        t->died++;
}

static void tally_stream(dt_sink *s, const dt_conv_info *conv, dt_dir dir, uint64_t ts, const char *proto,
                         const uint8_t *data, size_t len)
{
    (void)conv, (void)dir, (void)ts, (void)proto, (void)data;
    ((tally *)s)->recorded += len;
}

/* Runs on the decoder thread: holds it until the test writes to the pipe. */
static void hold(dt_engine *eng, void *ctx, uint64_t ts, const uint8_t *data, size_t len)
{
    (void)eng, (void)ts, (void)data, (void)len;
    char c;
    assert_int_equal(read(*(int *)ctx, &c, 1), 1);
}

/* A decoder held on a pipe (hold) in front of one conversation on a 1 MiB
 * feed: what the tests below fill while it is stalled. */
typedef struct stalled {
    dt_registry *reg;
    dt_engine *eng;
    dt_decoder *d;
    dt_feed *f;
    dt_feed_conv *c;
    int p[2];
} stalled;

static void stall(stalled *z, tally *t)
{
    z->reg = dt_registry_new();
    z->eng = dt_engine_new(z->reg);
    dt_engine_add_sink(z->eng, &t->sink);
    char err[128];
    z->d = dt_decoder_start(z->eng, err, sizeof err);
    assert_non_null(z->d);
    z->f = dt_decoder_feed(z->d, NULL, "A", 1u << 20);
    assert_int_equal(pipe(z->p), 0);
    assert_true(dt_feed_call(z->f, hold, &z->p[0], now_ns(), NULL, 0, false));
    dt_feed_conv_params cp = { .channel = "unix:/t#1", .transport = DT_CONV_STREAM, .client = "client#1",
                               .server = "/t" };
    z->c = dt_feed_open(z->f, &cp, now_ns());
    assert_non_null(z->c);
}

/* Lets the decoder go, closes the conversation and ends the run. */
static void release(stalled *z)
{
    assert_int_equal(write(z->p[1], "go", 1), 1);
    dt_feed_close(z->f, z->c, now_ns(), NULL);
    dt_decoder_stop(z->d);
    dt_engine_finish(z->eng, now_ns());
    dt_engine_free(z->eng);
    dt_registry_free(z->reg);
    close(z->p[0]);
    close(z->p[1]);
}

static uint8_t chunk[65536];

/* The decoder stalled while 4000 chunks of 64 KiB arrive (far more than
 * its 1 MiB feed holds): the refused bytes are one gap, not one per chunk
 * (each gap record took room kept for bookkeeping: after ~2 300 of them
 * the note saying why the connection died was lost), and that note, queued
 * after them, is on the timeline. */
static void stalled_decoder_one_gap(void **state)
{
    (void)state;
    tally t = { .sink.event = tally_event };
    stalled z;
    stall(&z, &t);
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 4000; i++)
        dt_feed_stream(z.f, z.c, DT_DIR_S2C, now_ns(), chunk, sizeof chunk);
    assert_true(dt_feed_full(z.f, z.c, DT_DIR_S2C));
    dt_feed_note(z.f, z.c, now_ns(), DT_EV_ERROR, "target died");
    release(&z);
    assert_int_equal(t.died, 1);
    assert_int_equal(t.gaps, 1);
}

/* A decoder stalled while 40 chunks of 64 KiB arrive at its 1 MiB feed.
 * Past half full the feed is behind: with a recording (a sink that takes
 * stream bytes) the chunks are still queued, to be recorded but not
 * decoded; with none, queueing them would be a copy for nothing, so the
 * feed takes no more (dt_feed_full says so at once, and a relay then moves
 * the bytes without copying them) and they are reported lost. Every byte
 * is accounted for either way. */
static tally run_behind(bool recording)
{
    tally t = { .sink.event = tally_event, .sink.stream = recording ? tally_stream : NULL };
    stalled z;
    stall(&z, &t);
    memset(chunk, 'x', sizeof chunk);
    int taken = 0;
    for (int i = 0; i < 40; i++) {
        if (!dt_feed_full(z.f, z.c, DT_DIR_S2C))
            taken++;
        dt_feed_stream(z.f, z.c, DT_DIR_S2C, now_ns(), chunk, sizeof chunk);
    }
    release(&z);
    /* taken: the chunks dt_feed_full let through, as a relay would */
    assert_int_equal(t.gap_bytes, (unsigned long long)(40 - taken) * sizeof chunk);
    return t;
}

static void behind_without_recording_takes_nothing(void **state)
{
    (void)state;
    tally t = run_behind(false);
    /* decoded up to half the feed (8 chunks and a bit), the rest one gap */
    assert_int_equal(t.skip_bytes, 0);
    assert_int_equal(t.gaps, 1);
    assert_true(t.gap_bytes >= 31ull * 65536);
    assert_true(t.gap_bytes <= 33ull * 65536);
}

static void behind_with_recording_queues_to_record(void **state)
{
    (void)state;
    tally t = run_behind(true);
    /* past half the feed, chunks still queued to be recorded, not decoded */
    assert_true(t.skip_bytes >= 4ull * 65536);
    assert_true(t.recorded >= t.skip_bytes);
    assert_true(t.gap_bytes + t.skip_bytes <= 32ull * 65536);
    assert_true(t.gap_bytes < 28ull * 65536);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merged_in_time_order),
        cmocka_unit_test(late_records_marked),
        cmocka_unit_test(no_window_drains_in_turn),
        cmocka_unit_test(late_timeline_noted),
        cmocka_unit_test(stalled_decoder_one_gap),
        cmocka_unit_test(behind_without_recording_takes_nothing),
        cmocka_unit_test(behind_with_recording_queues_to_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
