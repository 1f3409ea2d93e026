/* The text timeline: line layout, date lines, arrows, latency, marks,
 * colour only when asked, -V field tree, terminal-safe output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/sink.h"
#include "testutil.h"

#define T0 UINT64_C(1795000000123456789) /* 2026-11-18 11:06:40.123456789 UTC */

static dt_channel ch = { 0, "lo", "loopback", 1 };
static dt_conv_info conv = { 1, &ch, "127.0.0.1:40312", "127.0.0.1:445" };

typedef struct capture {
    char *buf;
    size_t len;
    FILE *f;
    dt_sink *s;
} capture;

static void cap_open(capture *c, bool color, bool verbose, bool utc)
{
    c->buf = NULL;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
    dt_text_opts o = { .color = color, .verbose = verbose, .utc = utc };
    c->s = dt_text_sink_new(c->f, &o);
    assert_non_null(c->s);
}

static const char *cap_close(capture *c)
{
    assert_int_equal(c->s->finish(c->s), 0);
    c->s->destroy(c->s);
    fclose(c->f);
    return c->buf;
}

static dt_event pdu(uint64_t ts, dt_dir dir, const char *summary)
{
    dt_event ev = { 0 };
    ev.seq = 1;
    ev.ts_ns = ts;
    ev.conv = &conv;
    ev.dir = dir;
    ev.proto = "SMB2";
    ev.proto_name = "smb2";
    ev.summary = summary;
    return ev;
}

static void test_lines(void **state)
{
    (void)state;
    capture c;
    cap_open(&c, false, false, true);
    dt_event req = pdu(T0, DT_DIR_C2S, "TREE_CONNECT \\\\mypc\\winshare");
    req.role = DT_ROLE_REQUEST;
    c.s->event(c.s, &req);
    dt_event rsp = pdu(T0 + 300000, DT_DIR_S2C, "TREE_CONNECT \\\\mypc\\winshare → STATUS_ACCESS_DENIED");
    rsp.role = DT_ROLE_RESPONSE;
    rsp.has_latency = true;
    rsp.latency_ns = 300000;
    rsp.is_error = true;
    c.s->event(c.s, &rsp);
    dt_event pend = pdu(T0 + UINT64_C(86400000000000), DT_DIR_C2S, "no reply after 12.300 s: READ \\\\srv\\data\\q3.bin");
    pend.kind = DT_EV_PENDING;
    pend.has_latency = true;
    pend.latency_ns = UINT64_C(12300000000);
    c.s->event(c.s, &pend);
    dt_event err = { 0 };
    err.ts_ns = T0 + UINT64_C(86400000000000);
    err.kind = DT_EV_ERROR;
    err.proto = "diagtap";
    err.summary = "offset 4096: truncated block";
    err.input = "trace.pcapng";
    c.s->event(c.s, &err);
    dt_event bad = pdu(T0 + UINT64_C(86400000000000), DT_DIR_S2C, "READ");
    bad.malformed = true;
    c.s->event(c.s, &bad);
    const char *out = cap_close(&c);
    assert_string_equal(out,
        "--- 2026-11-18 (UTC) ---\n"
        "11:06:40.123456  127.0.0.1:40312 → 127.0.0.1:445  SMB2  TREE_CONNECT \\\\mypc\\winshare\n"
        "11:06:40.123756  127.0.0.1:40312 ← 127.0.0.1:445  SMB2  TREE_CONNECT \\\\mypc\\winshare → STATUS_ACCESS_DENIED 0.3 ms\n"
        "--- 2026-11-19 (UTC) ---\n"
        "11:06:40.123456  127.0.0.1:40312 → 127.0.0.1:445  SMB2  pending: no reply after 12.300 s: READ \\\\srv\\data\\q3.bin\n"
        "11:06:40.123456  trace.pcapng                     diagtap  error: offset 4096: truncated block\n"
        "11:06:40.123456  127.0.0.1:40312 ← 127.0.0.1:445  SMB2     READ [malformed]\n");
    free(c.buf);
}

static void test_local_time(void **state)
{
    (void)state;
    setenv("TZ", "XST-05:30", 1); /* POSIX TZ: no tzdata needed */
    tzset();
    capture c;
    cap_open(&c, false, false, false);
    dt_event ev = pdu(T0, DT_DIR_C2S, "ECHO");
    c.s->event(c.s, &ev);
    const char *out = cap_close(&c);
    assert_string_equal(out, "--- 2026-11-18 (local time, UTC+05:30) ---\n"
                             "16:36:40.123456  127.0.0.1:40312 → 127.0.0.1:445  SMB2  ECHO\n");
    free(c.buf);
}

static void test_color_only_when_asked(void **state)
{
    (void)state;
    for (int color = 0; color < 2; color++) {
        capture c;
        cap_open(&c, color, false, true);
        dt_event ev = pdu(T0, DT_DIR_S2C, "LOGOFF");
        ev.is_error = true;
        c.s->event(c.s, &ev);
        const char *out = cap_close(&c);
        if (color) {
            assert_non_null(strstr(out, "\033[31mLOGOFF\033[0m"));
            assert_non_null(strstr(out, "\033[1mSMB2\033[0m"));
        } else {
            assert_null(strchr(out, '\033'));
        }
        free(c.buf);
    }
}

static void test_terminal_safe(void **state)
{
    (void)state;
    capture c;
    cap_open(&c, false, false, true);
    dt_event ev = pdu(T0, DT_DIR_C2S, "evil \033]0;title\007 \xc2\x9b line\nbreak \xff end");
    c.s->event(c.s, &ev);
    const char *out = cap_close(&c);
    assert_non_null(strstr(out, "evil \\x1b]0;title\\x07 \\u009b line\\nbreak \xef\xbf\xbd end\n"));
    assert_null(strchr(out, '\033'));
    free(c.buf);
}

static const dt_value_name cmd_vals[] = { { 3, "TREE_CONNECT" }, { 0, NULL } };
static const dt_field_def defs[] = {
    { "t.cmd", "Command", DT_FT_UINT16, DT_BASE_DEC, cmd_vals, 0, 0, NULL },
    { "t.flags", "Flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0, NULL },
    { "t.flags.response", "Response", DT_FT_BOOL, DT_BASE_NONE, NULL, 1, 0, NULL },
    { "t.path", "Path", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.ctx", "Create Context", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.blob", "Blob", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
};

static void test_verbose_tree(void **state)
{
    (void)state;
    static tfields t;
    static uint8_t blob[2000];
    capture c;
    cap_open(&c, false, true, true);
    dt_event ev = pdu(T0, DT_DIR_C2S, "TREE_CONNECT");
    tf_uint(&t, &ev, NULL, &defs[0], 3);
    dt_field *fl = tf_uint(&t, &ev, NULL, &defs[1], 1);
    tf_uint(&t, &ev, fl, &defs[2], 1);
    dt_field *cx = tf_add(&t, &ev, NULL, &defs[4]);
    tf_str(&t, &ev, cx, &defs[3], "\\\\mypc\\IPC$\ttab", 15);
    tf_str(&t, &ev, NULL, &defs[5], (const char *)blob, sizeof blob);
    c.s->event(c.s, &ev);
    const char *out = cap_close(&c);
    const char *tree = strstr(out, "TREE_CONNECT\n");
    assert_non_null(tree);
    tree += strlen("TREE_CONNECT\n");
    const char *want = "    Command: TREE_CONNECT (3)\n"
                       "    Flags: 0x00000001\n"
                       "        Response: True\n"
                       "    Create Context\n"
                       "        Path: \\\\mypc\\IPC$\\ttab\n"
                       "    Blob: 0000";
    assert_memory_equal(tree, want, strlen(want));
    assert_non_null(strstr(tree, "… (2000 bytes)\n"));
    free(c.buf);
}

/* A tree deeper than -V shows ends in "…", without deep recursion. */
static void test_deep_tree(void **state)
{
    (void)state;
    static tfields t;
    t.n = 0;
    capture c;
    cap_open(&c, false, true, true);
    dt_event ev = pdu(T0, DT_DIR_C2S, "deep");
    dt_field *p = NULL;
    for (int i = 0; i < 200; i++)
        p = tf_uint(&t, &ev, p, &defs[1], (uint64_t)i);
    c.s->event(c.s, &ev);
    const char *out = cap_close(&c);
    assert_non_null(strstr(out, "Flags: 0x0000001f\n"));
    assert_null(strstr(out, "0x00000020"));
    assert_non_null(strstr(out, "…\n"));
    free(c.buf);
}

static void test_write_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    assert_non_null(f);
    dt_text_opts o = { .utc = true };
    dt_sink *s = dt_text_sink_new(f, &o);
    dt_event ev = pdu(T0, DT_DIR_C2S, "x");
    s->event(s, &ev);
    assert_int_equal(s->finish(s), -1);
    s->destroy(s);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),         cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_color_only_when_asked), cmocka_unit_test(test_terminal_safe),
        cmocka_unit_test(test_verbose_tree),  cmocka_unit_test(test_deep_tree),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
