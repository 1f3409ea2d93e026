/* The engine builds each event in memory a sink lends it (event_memory),
 * and says in event_span whether the event stayed there: its field nodes
 * and their strings inside the span it reports, an event that outgrew the
 * room reported with no span, an engine note written in the middle of an
 * event handed over as a plain event, dt_scratch's working memory outside
 * the span. With a plugin loaded nothing is borrowed: a plugin's fields may
 * point at memory of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/engine.h"
#include "core/registry.h"
#include "toy_proto.h"

#define LEND_BYTES (64u * 1024u)

typedef struct lend_sink {
    dt_sink base;
    _Alignas(16) uint8_t mem[LEND_BYTES];
    size_t room;          /* what event_memory lends */
    size_t lent, spans, spilled, plain;
    size_t outside;       /* field nodes or strings found outside their span */
    size_t last_len;      /* of the last span */
    char last_summary[128];
    char last_text[128];
} lend_sink;

static bool lend_memory(dt_sink *s, void **at, size_t *room)
{
    lend_sink *l = (lend_sink *)s;
    l->lent++;
    memset(l->mem, 0xee, sizeof l->mem); /* what the event does not write is garbage */
    *at = l->mem;
    *room = l->room;
    return true;
}

static bool inside(const void *p, size_t n, const void *base, size_t len)
{
    const uint8_t *b = base, *q = p;
    return q >= b && q <= b + len && n <= (size_t)(b + len - q);
}

static void check_tree(lend_sink *l, const dt_field *f, const void *base, size_t len)
{
    for (; f; f = f->next) {
        if (!inside(f, sizeof *f, base, len))
            l->outside++;
        if (f->def->type == DT_FT_STRING && f->v.s.ptr) {
            if (!inside(f->v.s.ptr, f->v.s.len + 1, base, len))
                l->outside++;
            if (strcmp(f->def->abbrev, "toy.text") == 0)
                snprintf(l->last_text, sizeof l->last_text, "%s", f->v.s.ptr);
        }
        check_tree(l, f->child, base, len);
    }
}

static void lend_span(dt_sink *s, const dt_event *ev, const void *base, size_t len)
{
    lend_sink *l = (lend_sink *)s;
    snprintf(l->last_summary, sizeof l->last_summary, "%s", ev->summary);
    if (!base) {
        l->spilled++;
        return;
    }
    assert_ptr_equal(base, l->mem);
    assert_true(len <= l->room);
    l->last_len = len;
    l->spans++;
    check_tree(l, ev->fields, base, len);
}

static void lend_event(dt_sink *s, const dt_event *ev)
{
    lend_sink *l = (lend_sink *)s;
    snprintf(l->last_summary, sizeof l->last_summary, "%s", ev->summary);
    l->plain++;
}

typedef struct fixture {
    dt_registry *reg;
    dt_engine *eng;
    lend_sink *sink;
    dt_conv *conv;
} fixture;

static fixture *start(const char *plugin)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->reg = dt_registry_new();
    assert_int_equal(toy_register(f->reg), 0);
    if (plugin) {
        /* a private folder, as the loader's trust check wants, holding a copy */
        char dir[] = "/tmp/diagtap-lend-XXXXXX", path[256], err[512] = "";
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/echo1.so", dir);
        FILE *in = fopen(plugin, "rb"), *out = fopen(path, "wb");
        assert_non_null(in);
        assert_non_null(out);
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            assert_int_equal(fwrite(buf, 1, n, out), n);
        fclose(in);
        assert_int_equal(fclose(out), 0);
        chmod(path, 0644);
        int loaded = dt_registry_load_plugins(f->reg, dir, err, sizeof err);
        unlink(path);
        rmdir(dir);
        if (loaded != 1)
            fail_msg("echo1 not loaded: %s", err);
        assert_true(dt_registry_has_plugins(f->reg));
    }
    f->eng = dt_engine_new(f->reg);
    f->sink = calloc(1, sizeof *f->sink);
    assert_non_null(f->sink);
    f->sink->base.event = lend_event;
    f->sink->base.event_memory = lend_memory;
    f->sink->base.event_span = lend_span;
    f->sink->room = LEND_BYTES;
    dt_engine_add_sink(f->eng, &f->sink->base);
    const dt_channel *ch = dt_engine_channel(f->eng, "test", "a test channel", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "a", .server = "b" };
    f->conv = dt_engine_conv_open(f->eng, &p);
    return f;
}

static void stop(fixture *f)
{
    dt_engine_free(f->eng);
    dt_registry_free(f->reg);
    free(f->sink);
    free(f);
}

static void feed(fixture *f, const char *text)
{
    uint8_t buf[300];
    size_t n = toy_msg(buf, text);
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1000, buf, n);
}

static void test_events_stay_in_the_lent_memory(void **state)
{
    (void)state;
    fixture *f = start(NULL);
    feed(f, "REQ 1");
    feed(f, "hello there");
    assert_int_equal(f->sink->spans, 2);
    assert_int_equal(f->sink->outside, 0);
    assert_string_equal(f->sink->last_text, "hello there");
    assert_string_equal(f->sink->last_summary, "text hello there");
    assert_int_equal(f->sink->spilled + f->sink->plain, 0);
    assert_true(f->sink->lent >= 2);
    stop(f);
}

/* Room for less than the event: it goes on in the arena's own blocks and
 * is reported without a span, so the sink copies it. */
static void test_an_event_that_outgrows_the_room_has_no_span(void **state)
{
    (void)state;
    fixture *f = start(NULL);
    f->sink->room = 32;
    feed(f, "a message longer than thirty-two bytes of room");
    assert_int_equal(f->sink->spans, 0);
    assert_int_equal(f->sink->spilled, 1);
    assert_string_equal(f->sink->last_summary, "text a message longer than thirty-two bytes of room");
    stop(f);
}

/* Working memory from dt_scratch is not the event's: the span stays as
 * small as what the event holds, 64 KiB of scratch or not. */
static void test_scratch_is_not_in_the_span(void **state)
{
    (void)state;
    fixture *f = start(NULL);
    feed(f, "SCRATCH 64");
    assert_int_equal(f->sink->spans, 1);
    assert_int_equal(f->sink->outside, 0);
    assert_true(f->sink->last_len < 1024);
    assert_string_equal(f->sink->last_text, "SCRATCH 64");
    assert_string_equal(f->sink->last_summary, "scratch 64 KiB");
    stop(f);
}

/* A note while no event is open is built in lent memory like any event. */
static void test_engine_note_is_an_event_like_the_others(void **state)
{
    (void)state;
    fixture *f = start(NULL);
    dt_engine_note(f->eng, f->conv, 1000, DT_EV_NOTE, "a note %d", 7);
    assert_int_equal(f->sink->spans, 1);
    assert_string_equal(f->sink->last_summary, "a note 7");
    stop(f);
}

static void test_nothing_borrowed_with_a_plugin(void **state)
{
    const char *plugin = *state;
    if (!plugin)
        skip();
    fixture *f = start(plugin);
    feed(f, "REQ 1");
    feed(f, "hello there");
    dt_engine_note(f->eng, f->conv, 1000, DT_EV_NOTE, "a note");
    assert_int_equal(f->sink->lent, 0);
    assert_int_equal(f->sink->spans + f->sink->spilled, 0);
    assert_int_equal(f->sink->plain, 3);
    stop(f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_stay_in_the_lent_memory),
        cmocka_unit_test(test_an_event_that_outgrows_the_room_has_no_span),
        cmocka_unit_test(test_engine_note_is_an_event_like_the_others),
        cmocka_unit_test(test_scratch_is_not_in_the_span),
        cmocka_unit_test_prestate(test_nothing_borrowed_with_a_plugin, argc > 1 ? argv[1] : NULL),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
