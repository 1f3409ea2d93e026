/* DAP and LSP dissectors on real recorded exchanges (tests/dap/data, made by
 * make_fixtures.py) fed through the real engine, plus the Content-Length
 * framer on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dap_harness.h"
#include "diagtap/dissector.h"
#include "dissectors/dap/clen.h"
#include "dissectors/dap/jsonx.h"

static void dump(const char *what, const ev_list *l)
{
    if (!getenv("DAP_DUMP"))
        return;
    printf("---- %s\n", what);
    for (size_t i = 0; i < l->n; i++)
        printf("%s\n", l->line[i]);
}

#define FIND(l, ...) ev_find((l), __VA_ARGS__, (const char *)NULL)
#define ASSERT_FIND(l, ...)                                                                                        \
    do {                                                                                                           \
        if (!FIND(l, __VA_ARGS__))                                                                                 \
            fail_msg("no event with: %s", #__VA_ARGS__);                                                           \
    } while (0)

static size_t count_pdus(const ev_list *l)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strncmp(l->line[i], "PDU ", 4) == 0;
    return n;
}

/* ---- the framer */

static long frame_str(const char *s)
{
    return clen_frame((const uint8_t *)s, strlen(s));
}

static void test_frame_basic(void **state)
{
    (void)state;
    assert_int_equal(frame_str("Content-Length: 2\r\n\r\n{}"), 23);
    assert_int_equal(frame_str("content-length:2\n\n{}"), 20);          /* bare LF, no blank, lower case */
    assert_int_equal(frame_str("CONTENT-LENGTH: 2 \r\n\r\n{}"), 24);     /* trailing blank */
    const char *typed = "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}";
    assert_int_equal(frame_str(typed), (long)strlen(typed)); /* another header first */
    assert_int_equal(frame_str("Content-Length: 10\r\n\r\n{}"), 32);     /* the whole size, not what is there */
    assert_int_equal(frame_str("Content-Length: 10\r\n"), DT_FRAME_NEED_MORE);
    assert_int_equal(frame_str("Content-Len"), DT_FRAME_NEED_MORE);
    assert_int_equal(frame_str("Content-Length: 10\r"), DT_FRAME_NEED_MORE);
}

static void test_frame_garbage(void **state)
{
    (void)state;
    /* skip to the next Content-Length (case-insensitive) */
    assert_int_equal(frame_str("xx{]\r\nCONTENT-length: 2\r\n\r\n{}"), -6);
    assert_int_equal(frame_str("hello\nContent-Length: 2\r\n\r\n{}"), -6);
    /* nothing that could start one: skip everything */
    assert_int_equal(frame_str("{\"seq\":1}"), -9);
    /* a possible prefix at the end is kept */
    assert_int_equal(frame_str("}}}Content-Le"), -3);
    /* a lone CR inside a header */
    assert_int_equal(frame_str("Content-Length: 2\rX\r\n\r\n{}"), -(long)strlen("Content-Length: 2\rX\r\n\r\n{}"));
    /* an empty line with no header before it */
    assert_true(frame_str("\r\nContent-Length: 2\r\n\r\n{}") == -2);
    /* header blocks the dissector reports itself: header-only PDUs */
    assert_int_equal(frame_str("Content-Length: abc\r\n\r\n{}"), 23);
    assert_int_equal(frame_str("X-Other: 1\r\n\r\n{}"), 14);
    assert_int_equal(frame_str("Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"), 40);
    assert_int_equal(frame_str("Content-Length: 99999999999999\r\n\r\n"), 34);
    /* a header line that never ends is garbage after CLEN_MAX_HEADER bytes */
    static char big[CLEN_MAX_HEADER + 100];
    memcpy(big, "X-Pad: ", 7);
    memset(big + 7, 'a', CLEN_MAX_HEADER + 92);
    big[CLEN_MAX_HEADER + 99] = '\0';
    assert_true(frame_str(big) < 0);
}

static void test_probe(void **state)
{
    (void)state;
    const char *dap = "Content-Length: 60\r\n\r\n{\"seq\":1,\"type\":\"request\",\"command\":\"initialize\",\"x\":12}";
    const char *lsp = "Content-Length: 52\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"x\":1}";
    assert_int_equal(clen_probe_body((const uint8_t *)dap, strlen(dap)), CLEN_BODY_DAP);
    assert_int_equal(clen_probe_body((const uint8_t *)lsp, strlen(lsp)), CLEN_BODY_JSONRPC);
    /* partial bodies: a key is enough */
    assert_int_equal(clen_probe_body((const uint8_t *)lsp, 40), CLEN_BODY_JSONRPC);
    assert_int_equal(clen_probe_body((const uint8_t *)dap, 30), CLEN_BODY_DAP);
    /* the header alone: undecided, and no score yet so the engine waits */
    assert_int_equal(clen_probe_body((const uint8_t *)lsp, 22), CLEN_BODY_UNKNOWN);
    assert_int_equal(clen_probe_score((const uint8_t *)lsp, 22, CLEN_BODY_DAP, 60), 0);
    assert_int_equal(clen_probe_body((const uint8_t *)"GET / HTTP/1.1\r\n", 16), CLEN_BODY_NONE);
    assert_int_equal(clen_probe_body((const uint8_t *)"\"Content-Length: 2", 18), CLEN_BODY_NONE);
}

/* ---- one-line text for summaries */

static void test_text(void **state)
{
    (void)state;
    char out[64];
    const char *t = "first\r\nsecond\n";
    jx_line(out, sizeof out, t, strlen(t), 40);
    assert_string_equal(out, "first\xe2\x80\xa6");
    jx_line(out, sizeof out, "done\n\n", 6, 40);
    assert_string_equal(out, "done");
    jx_line(out, sizeof out, "a\tb\x01" "c", 5, 40);
    assert_string_equal(out, "a b c");
    /* "é" is two bytes: never cut in the middle */
    jx_line(out, sizeof out, "ab\xc3\xa9\xc3\xa9\xc3\xa9", 8, 7);
    assert_string_equal(out, "ab\xc3\xa9\xe2\x80\xa6");
    t = "  one\n  two\r\n\tthree \n";
    jx_flat(out, sizeof out, t, strlen(t), 40);
    assert_string_equal(out, "one two three");
    jx_flat(out, sizeof out, "x \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10, 8);
    assert_string_equal(out, "x \xc3\xa9\xe2\x80\xa6");
    jx_flat(out, 8, "0123456789abcdef", 16, 100);
    assert_int_equal(strlen(out), 7);
    size_t n;
    assert_string_equal(jx_basename("C:\\src\\a.c", 10, &n), "a.c");
    assert_string_equal(jx_basename("file:///x/y.py", 14, &n), "y.py");
}

/* ---- real sessions */

static void test_lldb_session(void **state)
{
    (void)state;
    transcript t;
    ev_list l;
    tr_load(&t, "lldb.bin");
    run_transcript(t.rec, t.n, NULL, NULL, NULL, NULL, NULL, &l);
    dump("lldb", &l);
    ASSERT_FIND(&l, "PDU c2s request dap", "initialize #1: clientID=diagtap-test adapterID=diagtap",
                "dap.client_id=diagtap-test");
    ASSERT_FIND(&l, "PDU s2c response dap req=1 lat=1", "initialize #1 ok:", "capabilities",
                "dap.capability=supportsConfigurationDoneRequest");
    ASSERT_FIND(&l, "launch #2: program=/tmp/diagtap-dap-fixture/prog args=[one] cwd=/tmp/diagtap-dap-fixture");
    /* the reverse request and the client's answer, paired across directions */
    ASSERT_FIND(&l, "PDU s2c request dap", "runInTerminal #1 (reverse): kind=", "args=[", "--launch-target",
                "dap.run_in_terminal");
    ASSERT_FIND(&l, "PDU c2s response dap", "lat=1", "runInTerminal #1 ok: pid=");
    ASSERT_FIND(&l, "setBreakpoints #", "prog.c [14]", "dap.source=/tmp/diagtap-dap-fixture/prog.c");
    ASSERT_FIND(&l, "response", "setBreakpoints #", "ok: prog.c [14 verified]", "dap.verified=1");
    ASSERT_FIND(&l, "PDU s2c - dap", "key=stopped", "| stopped: reason=breakpoint thread=22903 hit=1 (prog.c:14) |",
                "dap.hit_breakpoint_id=1");
    ASSERT_FIND(&l, "stackTrace #", "ok:", "top main at prog.c:14", "dap.frame.name=main");
    ASSERT_FIND(&l, "scopes #", "ok: 3 scopes: Locals, Globals, Registers");
    ASSERT_FIND(&l, "variables #", "ok: 3 variables: argc=2, argv=", "total=14");
    ASSERT_FIND(&l, "evaluate #", "ok: 'total * 2' \xe2\x86\x92 28 (int)", "dap.result=28");
    /* success:false: the message, on one line, and an error status */
    ASSERT_FIND(&l, "evaluate #",
                "failed: expression failed to parse: error: <user expression 1>:1:1: use of undeclared identifier "
                "'no_such_var' no_such_var ^ |",
                "status=expression failed to parse: error: <user expression 1>:1:\xe2\x80\xa6 key",
                "dap.success=0", "dap.message=expression failed to parse:\nerror:");
    for (size_t i = 0; i < l.n; i++)
        assert_null(strchr(l.summary[i], '\n'));
    ASSERT_FIND(&l, "continue #", "ok: all threads");
    ASSERT_FIND(&l, "| exited: exitCode=3", "dap.exit_code=3");
    ASSERT_FIND(&l, "| terminated");
    /* every response paired with a latency, nothing malformed or pending */
    for (size_t i = 0; i < l.n; i++) {
        if (strstr(l.line[i], " response dap "))
            assert_null(strstr(l.line[i], "req=0 "));
        if (strstr(l.line[i], " response dap "))
            assert_non_null(strstr(l.line[i], "lat=1"));
        assert_null(strstr(l.line[i], "mal=1"));
        assert_null(strstr(l.line[i], "PENDING"));
    }
    assert_int_equal(count_pdus(&l), t.n);
    ev_free(&l);
    tr_free(&t);
}

static void test_debugpy_session(void **state)
{
    (void)state;
    transcript t;
    ev_list l;
    tr_load(&t, "debugpy.bin");
    run_transcript(t.rec, t.n, NULL, NULL, NULL, NULL, NULL, &l);
    dump("debugpy", &l);
    ASSERT_FIND(&l, "initialize #1: clientID=diagtap-test adapterID=debugpy");
    ASSERT_FIND(&l, "launch #2: program=/tmp/diagtap-dap-fixture/prog.py args=[x]");
    ASSERT_FIND(&l, "setBreakpoints #", "ok: prog.py [12 verified]");
    ASSERT_FIND(&l, "| stopped: reason=breakpoint thread=1");
    ASSERT_FIND(&l, "variables #", "ok: 5 variables: special variables, function variables, i=3, sys=", "total=14");
    ASSERT_FIND(&l, "stackTrace #", "top <module> at prog.py:12");
    ASSERT_FIND(&l, "evaluate #", "ok: 'total * 2' \xe2\x86\x92 28 (int)");
    ASSERT_FIND(&l, "evaluate #", "failed: NameError: name 'no_such_var' is not defined", "mal=0");
    ASSERT_FIND(&l, "| exited: exitCode=3");
    ASSERT_FIND(&l, "| process: ", "pid=");
    ASSERT_FIND(&l, "| output: stdout: total=14 args=2 |", "dap.output.category=stdout");
    ASSERT_FIND(&l, "| output: telemetry: ");
    for (size_t i = 0; i < l.n; i++) {
        assert_null(strstr(l.line[i], "mal=1"));
        if (strstr(l.line[i], " response dap "))
            assert_null(strstr(l.line[i], "req=0 "));
    }
    assert_int_equal(count_pdus(&l), t.n);
    ev_free(&l);
    tr_free(&t);
}

static void test_clangd_session(void **state)
{
    (void)state;
    transcript t;
    ev_list l;
    tr_load(&t, "clangd.bin");
    run_transcript(t.rec, t.n, NULL, NULL, NULL, NULL, NULL, &l);
    dump("clangd", &l);
    ASSERT_FIND(&l, "PDU c2s request lsp", "initialize #1: client=diagtap-lsp-test root=file:///tmp/diagtap-dap-fixture");
    ASSERT_FIND(&l, "PDU s2c response lsp req=", "lat=1", "initialize #1 ok: server=clangd");
    ASSERT_FIND(&l, "PDU c2s - lsp", "| initialized", "lsp.kind=notification");
    ASSERT_FIND(&l, "| textDocument/didOpen: prog.c");
    ASSERT_FIND(&l, "request lsp", "textDocument/hover #\"hover-1\": prog.c:13:19");
    ASSERT_FIND(&l, "response lsp", "lat=1", "textDocument/hover #\"hover-1\" ok");
    ASSERT_FIND(&l, "response lsp", "lat=1", "textDocument/definition #3 ok: 1 item");
    ASSERT_FIND(&l, "response lsp", "lat=1", "status=MethodNotFound",
                "diagtap/noSuchMethod #\"bogus-4\" failed: -32601 (MethodNotFound) method not found",
                "lsp.error.code=-32601");
    ASSERT_FIND(&l, "| textDocument/publishDiagnostics: prog.c");
    ASSERT_FIND(&l, "shutdown #5 ok: null");
    for (size_t i = 0; i < l.n; i++) {
        assert_null(strstr(l.line[i], "mal=1"));
        assert_null(strstr(l.line[i], " dap "));
    }
    ev_free(&l);
    tr_free(&t);
}

/* ---- framing independence: every chunk boundary decodes identically */

static size_t cut_at(size_t len, size_t sent, void *arg)
{
    size_t k = *(size_t *)arg;
    (void)len;
    return sent < k ? k - sent : 0; /* first k bytes, then the rest */
}

static size_t one_byte(size_t len, size_t sent, void *arg)
{
    (void)len;
    (void)sent;
    (void)arg;
    return 1;
}

static void assert_same(const ev_list *a, const ev_list *b, const char *what, size_t k)
{
    if (a->n != b->n)
        fail_msg("%s split at %zu: %zu events instead of %zu", what, k, b->n, a->n);
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->line[i], b->line[i]) != 0)
            fail_msg("%s split at %zu, event %zu:\n  %s\nvs\n  %s", what, k, i, a->line[i], b->line[i]);
}

static void split_everywhere(const char *name)
{
    transcript t;
    ev_list whole, l;
    tr_load(&t, name);
    run_transcript(t.rec, t.n, NULL, NULL, NULL, NULL, NULL, &whole);
    run_transcript(t.rec, t.n, NULL, one_byte, NULL, NULL, NULL, &l);
    assert_same(&whole, &l, name, 1);
    ev_free(&l);
    size_t longest = 0;
    for (size_t i = 0; i < t.n; i++)
        longest = t.rec[i].len > longest ? t.rec[i].len : longest;
    /* every message cut at byte k, for every k */
    for (size_t k = 1; k < longest; k++) {
        run_transcript(t.rec, t.n, NULL, cut_at, &k, NULL, NULL, &l);
        assert_same(&whole, &l, name, k);
        ev_free(&l);
    }
    ev_free(&whole);
    tr_free(&t);
}

static void test_split_lldb(void **state)
{
    (void)state;
    split_everywhere("lldb.bin");
}

static void test_split_debugpy(void **state)
{
    (void)state;
    split_everywhere("debugpy.bin");
}

static void test_split_clangd(void **state)
{
    (void)state;
    split_everywhere("clangd.bin");
}

/* ---- bad input */

/* Appends a Content-Length framed message with body b. */
static size_t msg(char *out, const char *b)
{
    return (size_t)sprintf(out, "Content-Length: %zu\r\n\r\n%s", strlen(b), b);
}

typedef struct garbage {
    size_t before;
    const char *bytes;
    size_t len;
} garbage;

static bool inject_garbage(size_t i, int *dir, const uint8_t **data, size_t *len, void *arg)
{
    const garbage *g = arg;
    if (i != g->before)
        return false;
    *dir = 1;
    *data = (const uint8_t *)g->bytes;
    *len = g->len;
    return true;
}


static void test_garbage_resyncs(void **state)
{
    (void)state;
    transcript t;
    ev_list whole, l;
    tr_load(&t, "lldb.bin");
    run_transcript(t.rec, t.n, NULL, NULL, NULL, NULL, NULL, &whole);
    /* before a record the adapter sent: junk, a broken header, a NUL, a near miss */
    static const char junk[] = "lldb: warning: junk on stdout\n\0{\"seq\":9}\r\nContent-Lengt\r\nX: y\r\r";
    size_t s2c_at = 0;
    for (size_t i = 0; i < t.n && !s2c_at; i++)
        if (t.rec[i].dir == 1 && i > 3)
            s2c_at = i;
    garbage g = { s2c_at, junk, sizeof junk - 1 };
    for (int split = 0; split < 2; split++) {
        run_transcript(t.rec, t.n, NULL, split ? one_byte : NULL, NULL, inject_garbage, &g, &l);
        dump("garbage", &l);
        assert_int_equal(count_pdus(&l), count_pdus(&whole));
        /* the same messages decode the same way */
        size_t j = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (strncmp(l.line[i], "PDU ", 4) != 0)
                continue;
            while (j < whole.n && strncmp(whole.line[j], "PDU ", 4) != 0)
                j++;
            /* the timeline positions (req=) move by the notes */
            assert_string_equal(strstr(l.line[i], " lat="), strstr(whole.line[j], " lat="));
            j++;
        }
        /* and the skipped bytes are reported */
        assert_true(l.n > whole.n);
        ev_free(&l);
    }
    ev_free(&whole);
    tr_free(&t);
}

static void test_truncated_final_message(void **state)
{
    (void)state;
    transcript t;
    ev_list l;
    tr_load(&t, "lldb.bin");
    /* the session up to a message the adapter sent, which is cut short */
    size_t last = 0;
    for (size_t i = 0; i < t.n; i++)
        if (t.rec[i].dir == 1 && t.rec[i].len > 100)
            last = i;
    tr_record *copy = malloc((last + 1) * sizeof *copy);
    memcpy(copy, t.rec, (last + 1) * sizeof *copy);
    size_t full = copy[last].len;
    copy[last].len = full - 7;
    run_transcript(copy, last + 1, NULL, NULL, NULL, NULL, NULL, &l);
    dump("truncated", &l);
    char want[96];
    snprintf(want, sizeof want, "truncated DAP message at end of stream: %zu of %zu bytes", full - 7, full);
    ASSERT_FIND(&l, "ERROR ", want);
    if (count_pdus(&l) != last)
        fail_msg("%zu PDUs before the truncated message, want %zu", count_pdus(&l), last);
    free(copy);
    ev_free(&l);
    tr_free(&t);
}

static void test_bad_json(void **state)
{
    (void)state;
    ev_list l;
    char c2s[1024];
    size_t n = 0;
    n += msg(c2s + n, "{\"seq\":1,\"type\":\"request\",\"command\":\"threads\"}");
    n += msg(c2s + n, "{\"seq\":2,\"type\":,}  ");
    n += msg(c2s + n, "[1]");
    n += msg(c2s + n, "{\"seq\":3,\"type\":\"request\"}");
    n += (size_t)sprintf(c2s + n, "Content-Length: x1\r\n\r\n");
    n += msg(c2s + n, "{\"seq\":4,\"type\":\"request\",\"command\":\"next\"}");
    run_bytes((const uint8_t *)c2s, n, NULL, 0, "dap", &l);
    dump("bad json", &l);
    ASSERT_FIND(&l, "mal=0", "| threads #1 |");
    /* the parse error with its position in the body and in the PDU */
    ASSERT_FIND(&l, "mal=1", "malformed JSON (20 bytes):", "at offset 17",
                "diagtap.malformed=JSON error at body offset 17 (line 1, column 17)");
    ASSERT_FIND(&l, "mal=1", "JSON array, not a DAP message");
    ASSERT_FIND(&l, "mal=1", "request #3 without a command");
    ASSERT_FIND(&l, "mal=1", "bad Content-Length \"x1\"");
    ASSERT_FIND(&l, "mal=0", "| next #4 |");
    /* the requests that never got an answer */
    assert_int_equal(ev_count(&l, "PENDING"), 2);
    ev_free(&l);
}

static void test_lsp_header_then_body(void **state)
{
    (void)state;
    /* like vscode-jsonrpc: the header and the body in separate writes */
    transcript t;
    ev_list whole, l;
    tr_load(&t, "clangd.bin");
    run_transcript(t.rec, t.n, NULL, NULL, NULL, NULL, NULL, &whole);
    size_t hdr = (size_t)(strstr((const char *)t.rec[0].data, "\r\n\r\n") - (const char *)t.rec[0].data) + 4;
    run_transcript(t.rec, t.n, NULL, cut_at, &hdr, NULL, NULL, &l);
    assert_same(&whole, &l, "clangd header/body", hdr);
    ASSERT_FIND(&l, "request lsp", "initialize #1");
    ev_free(&l);
    ev_free(&whole);
    tr_free(&t);
}

static void test_oversized(void **state)
{
    (void)state;
    ev_list l;
    char c2s[256];
    size_t n = msg(c2s, "{\"seq\":1,\"type\":\"request\",\"command\":\"next\"}");
    n += (size_t)sprintf(c2s + n, "Content-Length: 200000000\r\n\r\n{\"seq\":2");
    run_bytes((const uint8_t *)c2s, n, NULL, 0, NULL, &l);
    dump("oversized", &l);
    ASSERT_FIND(&l, "| next #1 |");
    ASSERT_FIND(&l, "ERROR", "exceeds the 64 MiB limit");
    ev_free(&l);
}

/* Both sides number their own requests: the same seq open both ways at once. */
static void test_dap_seq_per_direction(void **state)
{
    (void)state;
    static const char *const msgs[][2] = {
        { "c", "{\"seq\":5,\"type\":\"request\",\"command\":\"evaluate\",\"arguments\":{\"expression\":\"a\"}}" },
        { "s", "{\"seq\":5,\"type\":\"request\",\"command\":\"runInTerminal\",\"arguments\":{\"kind\":\"external\","
               "\"title\":\"t\",\"cwd\":\"/w\",\"args\":[\"/bin/prog\",\"-v\"]}}" },
        { "c", "{\"seq\":6,\"type\":\"response\",\"request_seq\":5,\"command\":\"runInTerminal\",\"success\":true,"
               "\"body\":{\"shellProcessId\":77}}" },
        { "s", "{\"seq\":6,\"type\":\"response\",\"request_seq\":5,\"command\":\"evaluate\",\"success\":false,"
               "\"message\":\"notAvailable\",\"body\":{\"error\":{\"id\":2001,\"format\":\"Cannot evaluate {x}\"}}}" },
        { "s", "{\"seq\":8,\"type\":\"request\",\"command\":\"startDebugging\",\"arguments\":{\"request\":\"attach\","
               "\"configuration\":{\"name\":\"Subprocess 4242\"}}}" },
        { "s", "{\"seq\":7,\"type\":\"event\",\"event\":\"output\",\"body\":{\"category\":\"stderr\","
               "\"output\":\"first line\\nsecond line\\n\"}}" },
    };
    enum { N = sizeof msgs / sizeof msgs[0] };
    char buf[2048];
    tr_record rec[N];
    size_t n = 0;
    for (size_t i = 0; i < N; i++) {
        size_t k = msg(buf + n, msgs[i][1]);
        rec[i] = (tr_record){ msgs[i][0][0] == 's', i * 1000, (const uint8_t *)buf + n, k };
        n += k;
    }
    ev_list l;
    run_transcript(rec, N, NULL, NULL, NULL, NULL, NULL, &l);
    dump("seq per direction", &l);
    ASSERT_FIND(&l, "PDU s2c request", "startDebugging #8 (reverse): request=attach name=Subprocess 4242");
    ASSERT_FIND(&l, "PDU s2c request", "runInTerminal #5 (reverse): kind=external args=[/bin/prog, -v] cwd=/w");
    ASSERT_FIND(&l, "PDU c2s response dap req=2 lat=1", "runInTerminal #5 ok: shell pid=77");
    ASSERT_FIND(&l, "PDU s2c response dap req=1 lat=1", "status=notAvailable",
                "evaluate #5 failed: notAvailable (Cannot evaluate {x})", "dap.error.id=2001");
    ASSERT_FIND(&l, "| output: stderr: first line\xe2\x80\xa6 |", "dap.output=first line\nsecond line\n");
    assert_int_equal(ev_count(&l, "PENDING"), 1); /* startDebugging, never answered */
    ev_free(&l);
}

/* stopped names the breakpoints it hit with where the adapter put them
 * (hitBreakpointIds, as vsdbg and js-debug send; moved by a breakpoint
 * event); continued, exited and terminated say what they carry. */
static void test_dap_hit_breakpoints(void **state)
{
    (void)state;
    static const char *const msgs[][2] = {
        { "c", "{\"seq\":3,\"type\":\"request\",\"command\":\"setBreakpoints\",\"arguments\":{\"source\":"
               "{\"path\":\"C:\\\\src\\\\App\\\\Program.cs\"},\"breakpoints\":[{\"line\":10},{\"line\":20},{\"line\":99}]}}" },
        { "s", "{\"seq\":4,\"type\":\"response\",\"request_seq\":3,\"command\":\"setBreakpoints\",\"success\":true,"
               "\"body\":{\"breakpoints\":[{\"id\":7,\"verified\":true,\"line\":10},{\"id\":8,\"verified\":true,"
               "\"line\":21},{\"id\":9,\"verified\":false,\"message\":\"no code\"}]}}" },
        { "s", "{\"seq\":5,\"type\":\"event\",\"event\":\"breakpoint\",\"body\":{\"reason\":\"changed\","
               "\"breakpoint\":{\"id\":8,\"verified\":true,\"line\":22}}}" },
        { "s", "{\"seq\":6,\"type\":\"event\",\"event\":\"stopped\",\"body\":{\"reason\":\"breakpoint\","
               "\"threadId\":4,\"hitBreakpointIds\":[8,7,42]}}" },
        { "s", "{\"seq\":7,\"type\":\"event\",\"event\":\"continued\",\"body\":{\"threadId\":4,"
               "\"allThreadsContinued\":true}}" },
        { "s", "{\"seq\":8,\"type\":\"event\",\"event\":\"stopped\",\"body\":{\"reason\":\"exception\","
               "\"threadId\":4,\"description\":\"Paused on exception\"}}" },
        { "s", "{\"seq\":9,\"type\":\"event\",\"event\":\"exited\",\"body\":{\"exitCode\":-1}}" },
        { "s", "{\"seq\":10,\"type\":\"event\",\"event\":\"terminated\"}" },
    };
    enum { N = sizeof msgs / sizeof msgs[0] };
    char buf[4096];
    tr_record rec[N];
    size_t n = 0;
    for (size_t i = 0; i < N; i++) {
        size_t k = msg(buf + n, msgs[i][1]);
        rec[i] = (tr_record){ msgs[i][0][0] == 's', i * 1000, (const uint8_t *)buf + n, k };
        n += k;
    }
    ev_list l;
    run_transcript(rec, N, NULL, NULL, NULL, NULL, NULL, &l);
    dump("hit breakpoints", &l);
    ASSERT_FIND(&l, "setBreakpoints #3 ok: Program.cs [10 verified, 21 verified, ? unverified]");
    ASSERT_FIND(&l, "| stopped: reason=breakpoint thread=4 hit=8 (Program.cs:22), 7 (Program.cs:10), 42 |",
                "dap.hit_breakpoint_id=8", "dap.hit_breakpoint_id=42");
    ASSERT_FIND(&l, "| continued: thread=4 all threads |");
    ASSERT_FIND(&l, "| stopped: reason=exception thread=4 (Paused on exception) |");
    ASSERT_FIND(&l, "| exited: exitCode=-1 |", "status=non-zero exit");
    ASSERT_FIND(&l, "| terminated |");
    ev_free(&l);
}

/* LSP: ids are numbers or strings (1 and "1" differ), servers send requests
 * too, errors carry a code, batches become one event per member. */
static void test_lsp_ids_and_errors(void **state)
{
    (void)state;
    static const char *const msgs[][2] = {
        { "c", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"textDocument/hover\",\"params\":{\"textDocument\":"
               "{\"uri\":\"file:///src/a.c\"},\"position\":{\"line\":0,\"character\":4}}}" },
        { "c", "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"method\":\"workspace/symbol\",\"params\":{\"query\":\"x\"}}" },
        { "s", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"workspace/configuration\",\"params\":{\"items\":[]}}" },
        { "s", "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":[{\"name\":\"x\"},{\"name\":\"y\"}]}" },
        { "c", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}" },
        { "s", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32800,\"message\":\"cancelled\"}}" },
        { "s", "{\"jsonrpc\":\"2.0\",\"method\":\"window/logMessage\",\"params\":{\"type\":2,\"message\":\"disk\\nfull\"}}" },
        { "c", "[{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"shutdown\"},{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}]" },
        { "c", "{\"jsonrpc\":\"1.0\",\"id\":{},\"method\":\"odd\"}" },
    };
    enum { N = sizeof msgs / sizeof msgs[0] };
    char buf[4096];
    tr_record rec[N];
    size_t n = 0;
    for (size_t i = 0; i < N; i++) {
        size_t k = msg(buf + n, msgs[i][1]);
        rec[i] = (tr_record){ msgs[i][0][0] == 's', i * 1000, (const uint8_t *)buf + n, k };
        n += k;
    }
    ev_list l;
    run_transcript(rec, N, NULL, NULL, NULL, NULL, NULL, &l);
    dump("lsp ids", &l);
    ASSERT_FIND(&l, "PDU c2s request lsp", "textDocument/hover #1: a.c:1:5", "lsp.line=0 lsp.character=4");
    ASSERT_FIND(&l, "PDU s2c request lsp", "workspace/configuration #1");
    ASSERT_FIND(&l, "PDU s2c response lsp req=2 lat=1", "workspace/symbol #\"1\" ok: 2 items");
    ASSERT_FIND(&l, "PDU c2s response lsp req=3 lat=1", "workspace/configuration #1 ok: 0 items");
    ASSERT_FIND(&l, "PDU s2c response lsp req=1 lat=1", "status=RequestCancelled",
                "textDocument/hover #1 failed: -32800 (RequestCancelled) cancelled");
    ASSERT_FIND(&l, "| window/logMessage: warning: disk\xe2\x80\xa6 |");
    ASSERT_FIND(&l, "request lsp", "| shutdown #9 [batch 1/2] |");
    ASSERT_FIND(&l, "| exit [batch 2/2] |", "lsp.kind=notification");
    ASSERT_FIND(&l, "mal=1", "odd", "diagtap.malformed=\"jsonrpc\" is not \"2.0\"");
    ASSERT_FIND(&l, "PENDING", "shutdown #9");
    ev_free(&l);
}

/* Other headers are kept as fields; names in any case; bare LF line ends. */
static void test_headers(void **state)
{
    (void)state;
    ev_list l;
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a/b\"}";
    char lsp[256];
    int n = snprintf(lsp, sizeof lsp,
                     "content-type: application/vscode-jsonrpc; charset=utf-8\r\nX-Trace: abc\r\n"
                     "CONTENT-LENGTH: %zu\r\n\r\n%s", strlen(body), body);
    run_bytes((const uint8_t *)lsp, (size_t)n, NULL, 0, NULL, &l);
    dump("headers lsp", &l);
    ASSERT_FIND(&l, "request lsp", "| a/b #1 |", "lsp.header=X-Trace: abc",
                "lsp.content_type=application/vscode-jsonrpc; charset=utf-8", "lsp.content_length=39");
    ev_free(&l);
    body = "{\"seq\":1,\"type\":\"event\",\"event\":\"initialized\"}";
    char dap[256];
    n = snprintf(dap, sizeof dap, "X-Dbg: 1\nContent-length:%zu\n\n%s", strlen(body), body);
    run_bytes(NULL, 0, (const uint8_t *)dap, (size_t)n, NULL, &l);
    dump("headers dap", &l);
    ASSERT_FIND(&l, "PDU s2c - dap", "| initialized |", "dap.header=X-Dbg: 1", "mal=0");
    ev_free(&l);
}

/* Damaged sessions (bytes flipped, dropped, duplicated) never crash or hang
 * and every event keeps a one-line summary. Run under ASan+UBSan in CI. */
static void test_mutations(void **state)
{
    (void)state;
    static const char *const names[] = { "lldb.bin", "debugpy.bin", "clangd.bin" };
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (size_t f = 0; f < 3; f++) {
        transcript t;
        tr_load(&t, names[f]);
        size_t total = 0;
        for (size_t i = 0; i < t.n; i++)
            total += t.rec[i].len;
        uint8_t *copy = malloc(total);
        tr_record *rec = malloc(t.n * sizeof *rec);
        assert_non_null(copy);
        assert_non_null(rec);
        for (int round = 0; round < 60; round++) {
            size_t pos = 0;
            for (size_t i = 0; i < t.n; i++) {
                memcpy(copy + pos, t.rec[i].data, t.rec[i].len);
                rec[i] = t.rec[i];
                rec[i].data = copy + pos;
                pos += t.rec[i].len;
            }
            for (int k = 0; k < 1 + round % 8; k++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                size_t i = (size_t)(rng % t.n);
                uint8_t *d = (uint8_t *)rec[i].data;
                size_t at = (size_t)((rng >> 20) % rec[i].len);
                switch ((rng >> 40) % 4) {
                case 0: /* flip a byte */
                    d[at] ^= (uint8_t)(1u << ((rng >> 50) % 8));
                    break;
                case 1: /* cut the message short */
                    rec[i].len = at;
                    break;
                case 2: /* a structural character where it hurts */
                    d[at] = (uint8_t)"{}[]\",:\\\n\r0"[(rng >> 50) % 11];
                    break;
                default: /* a digit in the header changes the length */
                    if (at < 20 && d[at] >= '0' && d[at] <= '9')
                        d[at] = (uint8_t)('0' + (rng >> 50) % 10);
                    break;
                }
            }
            ev_list l;
            run_transcript(rec, t.n, NULL, (round & 1) ? one_byte : NULL, NULL, NULL, NULL, &l);
            for (size_t i = 0; i < l.n; i++)
                assert_null(strchr(l.summary[i], '\n'));
            ev_free(&l);
        }
        free(copy);
        free(rec);
        tr_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_basic),
        cmocka_unit_test(test_frame_garbage),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_lldb_session),
        cmocka_unit_test(test_debugpy_session),
        cmocka_unit_test(test_clangd_session),
        cmocka_unit_test(test_split_lldb),
        cmocka_unit_test(test_split_debugpy),
        cmocka_unit_test(test_split_clangd),
        cmocka_unit_test(test_garbage_resyncs),
        cmocka_unit_test(test_truncated_final_message),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_lsp_header_then_body),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_dap_seq_per_direction),
        cmocka_unit_test(test_dap_hit_breakpoints),
        cmocka_unit_test(test_lsp_ids_and_errors),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
