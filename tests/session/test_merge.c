/* The decoder's time-ordered merge (decoder.h, dt_decoder_start_merged):
 * records of several feeds come out by timestamp once they are older than
 * the reorder window; a record older than one already decoded is late,
 * decoded where it arrived and marked by a note; without a window the
 * feeds are drained in turn (the proxies' and wrap's behaviour). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static void run(uint64_t window_ns, seen *z, bool with_late)
{
    dt_registry *reg = dt_registry_new();
    dt_engine *eng = dt_engine_new(reg);
    memset(z, 0, sizeof *z);
    z->sink.event = on_event;
    dt_engine_add_sink(eng, &z->sink);
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
    dt_decoder_stop(d);
    dt_engine_finish(eng, now_ns());
    dt_engine_free(eng);
    dt_registry_free(reg);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merged_in_time_order),
        cmocka_unit_test(late_records_marked),
        cmocka_unit_test(no_window_drains_in_turn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
