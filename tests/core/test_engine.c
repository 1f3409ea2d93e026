/* The engine: framing at any chunk boundary, pairing, pending requests,
 * gaps, garbage, truncation, inner streams, redaction, recording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect_sink.h"
#include "core/engine.h"
#include "core/registry.h"
#include "toy_proto.h"

typedef struct fixture {
    dt_registry *reg;
    dt_engine *eng;
    collect_sink sink;
    dt_conv *conv;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->reg = dt_registry_new();
    assert_int_equal(toy_register(f->reg), 0);
    f->eng = dt_engine_new(f->reg);
    collect_sink_init(&f->sink);
    dt_engine_add_sink(f->eng, &f->sink.base);
    const dt_channel *ch = dt_engine_channel(f->eng, "test", "a test channel", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "a", .server = "b" };
    f->conv = dt_engine_conv_open(f->eng, &p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dt_engine_free(f->eng);
    dt_registry_free(f->reg);
    free(f);
    return 0;
}

static size_t build(uint8_t *buf, const char *const *msgs)
{
    size_t n = 0;
    for (; *msgs; msgs++)
        n += toy_msg(buf + n, *msgs);
    return n;
}

static size_t count_kind(const collect_sink *s, dt_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->ev[i].kind == k;
    return n;
}

static void test_split_at_every_boundary(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t len = build(buf, (const char *const[]){ "hello", "REQ 1", "world wide", "x", NULL });
    collect_sink whole;
    for (size_t cut = 0; cut <= len; cut++) {
        fixture *f;
        setup((void **)&f);
        dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1000, buf, cut);
        dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 2000, buf + cut, len - cut);
        dt_engine_finish(f->eng, 3000);
        if (cut == 0)
            whole = f->sink;
        assert_int_equal(f->sink.n, whole.n);
        for (size_t i = 0; i < whole.n; i++)
            assert_string_equal(f->sink.ev[i].summary, whole.ev[i].summary);
        /* every byte recorded exactly once, in order */
        assert_int_equal(f->sink.stream_len[0], len);
        assert_memory_equal(f->sink.stream[0], buf, len);
        teardown((void **)&f);
    }
    assert_string_equal(whole.ev[0].summary, "text hello");
    assert_string_equal(whole.ev[2].summary, "text world wide");
    /* REQ 1 never answered: listed at the end with its age */
    assert_int_equal(whole.ev[whole.n - 1].kind, DT_EV_PENDING);
    assert_string_equal(whole.ev[whole.n - 1].summary, "no reply after 0.000 s: request 1");
}

static void test_byte_at_a_time(void **state)
{
    fixture *f = *state;
    uint8_t buf[512];
    size_t len = build(buf, (const char *const[]){ "one", "two", "three", NULL });
    for (size_t i = 0; i < len; i++)
        dt_engine_stream(f->eng, f->conv, DT_DIR_S2C, 10 + i, buf + i, 1);
    dt_engine_finish(f->eng, 0);
    assert_int_equal(f->sink.n, 3);
    assert_string_equal(f->sink.ev[2].summary, "text three");
    assert_int_equal(f->sink.ev[2].dir, DT_DIR_S2C);
    assert_string_equal(f->sink.ev[0].first_field, "toy.text=one");
}

static void test_pairing_latency(void **state)
{
    fixture *f = *state;
    uint8_t buf[64];
    size_t n = toy_msg(buf, "REQ 7");
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1000000, buf, n);
    n = toy_msg(buf, "RSP 7");
    dt_engine_stream(f->eng, f->conv, DT_DIR_S2C, 3500000, buf, n);
    n = toy_msg(buf, "RSP 8");
    dt_engine_stream(f->eng, f->conv, DT_DIR_S2C, 4000000, buf, n);
    dt_engine_finish(f->eng, 5000000);
    assert_int_equal(f->sink.n, 3);
    assert_int_equal(f->sink.ev[0].role, DT_ROLE_REQUEST);
    assert_int_equal(f->sink.ev[1].role, DT_ROLE_RESPONSE);
    assert_int_equal(f->sink.ev[1].req_seq, f->sink.ev[0].seq);
    assert_true(f->sink.ev[1].has_latency);
    assert_int_equal(f->sink.ev[1].latency_ns, 2500000);
    assert_string_equal(f->sink.ev[1].summary, "response 7 (req7)");
    /* a reply to nothing is not paired, and nothing is left pending */
    assert_false(f->sink.ev[2].has_latency);
    assert_string_equal(f->sink.ev[2].summary, "response 8 (unpaired)");
    assert_int_equal(count_kind(&f->sink, DT_EV_PENDING), 0);
}

/* A request the server sent (a reverse request) stays on its side when listed as unanswered. */
static void test_pending_keeps_direction(void **state)
{
    fixture *f = *state;
    uint8_t buf[64];
    size_t n = toy_msg(buf, "REQ 9");
    dt_engine_stream(f->eng, f->conv, DT_DIR_S2C, 1000000000, buf, n);
    dt_engine_finish(f->eng, 3500000000);
    assert_int_equal(f->sink.n, 2);
    assert_int_equal(f->sink.ev[1].kind, DT_EV_PENDING);
    assert_int_equal(f->sink.ev[1].dir, DT_DIR_S2C);
    assert_int_equal(f->sink.ev[1].req_seq, f->sink.ev[0].seq);
    assert_string_equal(f->sink.ev[1].summary, "no reply after 2.500 s: request 9");
    assert_true(f->sink.ev[1].has_latency);
    assert_int_equal(f->sink.ev[1].latency_ns, 2500000000ull);
}

static void test_garbage_resync(void **state)
{
    fixture *f = *state;
    uint8_t buf[128];
    size_t n = toy_msg(buf, "first");
    memcpy(buf + n, "JUNK", 4);
    n += 4;
    n += toy_msg(buf + n, "second");
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, buf, n);
    dt_engine_finish(f->eng, 2);
    assert_int_equal(f->sink.n, 3);
    assert_string_equal(f->sink.ev[0].summary, "text first");
    assert_int_equal(f->sink.ev[1].kind, DT_EV_NOTE);
    assert_non_null(strstr(f->sink.ev[1].summary, "skipped 4 bytes"));
    assert_non_null(strstr(f->sink.ev[1].summary, "stream offset 7"));
    assert_string_equal(f->sink.ev[2].summary, "text second");
    assert_int_equal(f->sink.stream_len[0], n);
}

static void test_gap_resumes_at_next_message(void **state)
{
    fixture *f = *state;
    uint8_t buf[128];
    size_t a = toy_msg(buf, "before");
    size_t b = toy_msg(buf + a, "lost message");
    size_t c = toy_msg(buf + a + b, "after");
    /* the first half of "lost message" arrives, then a hole, then the rest */
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, buf, a + 5);
    dt_engine_gap(f->eng, f->conv, DT_DIR_C2S, 2, 4);
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 3, buf + a + 9, b - 9 + c);
    dt_engine_finish(f->eng, 4);
    assert_string_equal(f->sink.ev[0].summary, "text before");
    assert_int_equal(f->sink.ev[1].kind, DT_EV_ERROR);
    assert_non_null(strstr(f->sink.ev[1].summary, "missing 4 bytes"));
    assert_string_equal(f->sink.ev[f->sink.n - 1].summary, "text after");
}

static void test_truncated_final_message(void **state)
{
    fixture *f = *state;
    uint8_t buf[64];
    size_t n = toy_msg(buf, "complete");
    n += toy_msg(buf + n, "cut short");
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, buf, n - 3);
    dt_engine_conv_close(f->eng, f->conv, 2, NULL);
    dt_engine_finish(f->eng, 3);
    assert_int_equal(f->sink.n, 2);
    assert_int_equal(f->sink.ev[1].kind, DT_EV_ERROR);
    assert_non_null(strstr(f->sink.ev[1].summary, "truncated TOY message at end of stream: 8 of 11 bytes"));
    /* the partial bytes are still recorded */
    assert_int_equal(f->sink.stream_len[0], n - 3);
}

static void test_inner_stream_follows_carrier(void **state)
{
    fixture *f = *state;
    uint8_t inner[64], outer[128];
    size_t in = toy_msg(inner, "inside");
    char text[80] = "PIPE ";
    memcpy(text + 5, inner, in);
    text[5 + in] = '\0';
    /* the inner message's length byte is 6: printable enough to ride in text */
    size_t n = toy_msg(outer, text);
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, outer, n);
    dt_engine_finish(f->eng, 2);
    assert_int_equal(f->sink.n, 2);
    assert_string_equal(f->sink.ev[0].summary, "pipe write");
    assert_string_equal(f->sink.ev[1].summary, "text inside");
}

static void test_inner_message_whole(void **state)
{
    fixture *f = *state;
    uint8_t buf[128];
    size_t n = toy_msg(buf, "MSG REQ 4|second");
    n += toy_msg(buf + n, "text between");
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 10, buf, n);
    n = toy_msg(buf, "MSG RSP 4");
    dt_engine_stream(f->eng, f->conv, DT_DIR_S2C, 30, buf, n);
    n = toy_msg(buf, "MSG REQ 5");
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 40, buf, n);
    dt_engine_finish(f->eng, 50);
    assert_int_equal(f->sink.n, 9);
    assert_string_equal(f->sink.ev[0].summary, "message carrier");
    assert_string_equal(f->sink.ev[1].summary, "whole 'REQ 4' (5 bytes) user -");
    assert_string_equal(f->sink.ev[1].proto, "TOYMSG");
    assert_int_equal(f->sink.ev[1].role, DT_ROLE_REQUEST);
    assert_string_equal(f->sink.ev[2].summary, "whole 'second' (6 bytes) user DOM\\bob");
    assert_int_equal(f->sink.ev[2].raw_offset, 5); /* offsets count the messages' bytes per direction */
    assert_string_equal(f->sink.ev[3].summary, "text text between");
    assert_string_equal(f->sink.ev[5].summary, "whole 'RSP 4' (5 bytes) user -"); /* cleared before it */
    assert_int_equal(f->sink.ev[5].req_seq, f->sink.ev[1].seq);
    assert_true(f->sink.ev[5].has_latency);
    assert_int_equal(f->sink.ev[8].kind, DT_EV_PENDING); /* REQ 5 never answered */
}

static void test_credentials_redacted(void **state)
{
    fixture *f = *state;
    uint8_t buf[64];
    size_t n = toy_msg(buf, "SECRET hunter2");
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, buf, n);
    dt_engine_set_show_credentials(f->eng, true);
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 2, buf, n);
    dt_engine_finish(f->eng, 3);
    assert_string_equal(f->sink.ev[0].first_field, "toy.secret=<redacted>");
    assert_string_equal(f->sink.ev[1].first_field, "toy.secret=hunter2");
}

static void test_undecoded_stream_shown_raw(void **state)
{
    fixture *f = *state;
    const dt_channel *ch = dt_engine_channel(f->eng, "raw", "", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .show_undecoded = true };
    dt_conv *c = dt_engine_conv_open(f->eng, &p);
    const char *text = "plain text that no dissector claims, long enough to decide on";
    dt_engine_stream(f->eng, c, DT_DIR_C2S, 1, (const uint8_t *)text, strlen(text) + 1);
    dt_engine_stream(f->eng, c, DT_DIR_S2C, 1, (const uint8_t *)"ok", 2);
    dt_engine_finish(f->eng, 2);
    assert_int_equal(f->sink.n, 2);
    assert_string_equal(f->sink.ev[0].proto, "data");
    char want[64];
    snprintf(want, sizeof want, "%zu bytes: plain text", strlen(text) + 1);
    assert_non_null(strstr(f->sink.ev[0].summary, want));
    assert_string_equal(f->sink.ev[1].summary, "2 bytes: ok");
}

static void test_decode_as_errors(void **state)
{
    fixture *f = *state;
    char err[256];
    assert_int_equal(dt_engine_decode_as(f->eng, "5000=toy", err, sizeof err), 0);
    assert_int_equal(dt_engine_decode_as(f->eng, "x=toy", err, sizeof err), -1);
    assert_non_null(strstr(err, "not a port number"));
    assert_int_equal(dt_engine_decode_as(f->eng, "5000=nosuch", err, sizeof err), -1);
    assert_non_null(strstr(err, "no dissector named 'nosuch'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_at_every_boundary),
        cmocka_unit_test_setup_teardown(test_byte_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pairing_latency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_keeps_direction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_resync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_resumes_at_next_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_final_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inner_stream_follows_carrier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inner_message_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_redacted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undecoded_stream_shown_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_as_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
