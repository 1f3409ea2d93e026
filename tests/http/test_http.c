/* The HTTP dissector through the engine: the same timeline whatever the
 * chunk boundaries (Content-Length, chunked, pipelined, 100-continue, HEAD),
 * pairing in order, Basic redaction, and bad input: garbage chunk sizes, a
 * peer that hangs up mid-body, garbage between messages, TLS on the port. */
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

static const char c2s[] =
    "POST /wsman HTTP/1.1\r\nHost: win:5985\r\nAuthorization: Basic dmFncmFudDp2YWdyYW50\r\n"
    "Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 12\r\n\r\n<s:E>1</s:E>"
    "GET /wsman-anon/identify HTTP/1.1\r\nHost: win\r\n\r\n"
    "POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    "4\r\nabcd\r\n6;ext=1\r\nefghij\r\n0\r\nTrailer: x\r\n\r\n"
    "HEAD /big HTTP/1.1\r\n\r\n"
    "POST /wsman HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz";

static const char s2c[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\n<s:R>\r\n3\r\n1</\r\n4\r\ns:R>\r\n0\r\n\r\n"
    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: Basic realm=\"WSMAN\"\r\n"
    "Content-Length: 0\r\n\r\n"
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
    "HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n" /* HEAD: no body follows */
    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail";

typedef struct fixture {
    dt_registry *reg;
    dt_engine *eng;
    collect_sink *sink;
    dt_conv *conv;
} fixture;

static fixture *open_fixture_on(const char *server, bool show_credentials);

static fixture *open_fixture(void) { return open_fixture_on("10.0.0.1:5985", false); }

static fixture *open_fixture_on(const char *server, bool show_credentials)
{
    fixture *f = calloc(1, sizeof *f);
    f->reg = dt_registry_new();
    assert_int_equal(dt_registry_add_builtins(f->reg), 0);
    f->eng = dt_engine_new(f->reg);
    f->sink = calloc(1, sizeof *f->sink);
    collect_sink_init(f->sink);
    dt_engine_add_sink(f->eng, &f->sink->base);
    dt_engine_set_show_credentials(f->eng, show_credentials);
    const dt_channel *ch = dt_engine_channel(f->eng, "test", "", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "c", .server = server,
                         .dissector = "http" };
    f->conv = dt_engine_conv_open(f->eng, &p);
    return f;
}

static void close_fixture(fixture *f)
{
    dt_engine_free(f->eng);
    dt_registry_free(f->reg);
    free(f->sink);
    free(f);
}

static void feed(fixture *f, dt_dir dir, const char *data, size_t len, size_t cut, uint64_t ts)
{
    dt_engine_stream(f->eng, f->conv, dir, ts, (const uint8_t *)data, cut);
    dt_engine_stream(f->eng, f->conv, dir, ts + 1, (const uint8_t *)data + cut, len - cut);
}

/* Only HTTP's own events: the inner WS-Man events depend on that dissector. */
static size_t http_events(const collect_sink *s, const collected **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n && n < max; i++)
        if (strcmp(s->ev[i].proto, "HTTP") == 0 || s->ev[i].kind != DT_EV_PDU)
            out[n++] = &s->ev[i];
    return n;
}

static void run_whole(fixture *f)
{
    feed(f, DT_DIR_C2S, c2s, sizeof c2s - 1, 0, 100);
    feed(f, DT_DIR_S2C, s2c, sizeof s2c - 1, 0, 200);
    dt_engine_finish(f->eng, 300);
}

static void test_whole_conversation(void **state)
{
    (void)state;
    fixture *f = open_fixture();
    run_whole(f);
    const collected *ev[64];
    size_t n = http_events(f->sink, ev, 64);
    assert_int_equal(n, 11);
    assert_non_null(strstr(ev[0]->summary, "POST /wsman, Basic as vagrant (password <redacted>)"));
    assert_string_equal(ev[1]->summary, "GET /wsman-anon/identify");
    assert_string_equal(ev[2]->summary, "POST /upload, 10 bytes");
    assert_string_equal(ev[3]->summary, "HEAD /big");
    assert_string_equal(ev[4]->summary, "POST /wsman, 3 bytes");
    /* responses in order, each paired with its request */
    assert_non_null(strstr(ev[5]->summary, "200 OK (POST /wsman), authenticated as vagrant"));
    assert_int_equal(ev[5]->req_seq, ev[0]->seq);
    assert_non_null(strstr(ev[6]->summary, "401 Unauthorized (GET /wsman-anon/identify): authenticated as vagrant, "
                                           "then refused"));
    assert_int_equal(ev[6]->req_seq, ev[1]->seq);
    assert_int_equal(ev[7]->role, DT_ROLE_INTERIM); /* 100 Continue keeps the request open */
    assert_int_equal(ev[7]->req_seq, ev[2]->seq);
    assert_non_null(strstr(ev[8]->summary, "201 Created (POST /upload), 2 bytes"));
    assert_int_equal(ev[8]->req_seq, ev[2]->seq);
    assert_non_null(strstr(ev[9]->summary, "200 OK (HEAD /big)"));
    assert_int_equal(ev[9]->req_seq, ev[3]->seq);
    assert_non_null(strstr(ev[10]->summary, "500 Internal Server Error (POST /wsman), 4 bytes"));
    assert_int_equal(ev[10]->req_seq, ev[4]->seq);
    close_fixture(f);
}

/* Every cut of either direction gives the same timeline. */
static void test_every_split(void **state)
{
    (void)state;
    fixture *w = open_fixture();
    run_whole(w);
    const collected *want[64];
    size_t nw = http_events(w->sink, want, 64);
    for (int dir = 0; dir < 2; dir++) {
        const char *data = dir ? s2c : c2s;
        size_t len = dir ? sizeof s2c - 1 : sizeof c2s - 1;
        for (size_t cut = 1; cut < len; cut++) {
            fixture *f = open_fixture();
            if (dir == 0) {
                feed(f, DT_DIR_C2S, c2s, sizeof c2s - 1, cut, 100);
                feed(f, DT_DIR_S2C, s2c, sizeof s2c - 1, 0, 200);
            } else {
                feed(f, DT_DIR_C2S, c2s, sizeof c2s - 1, 0, 100);
                feed(f, DT_DIR_S2C, data, len, cut, 200);
            }
            dt_engine_finish(f->eng, 300);
            const collected *got[64];
            size_t ng = http_events(f->sink, got, 64);
            if (ng != nw)
                fail_msg("dir %d cut %zu: %zu events, want %zu", dir, cut, ng, nw);
            for (size_t i = 0; i < nw; i++)
                if (strcmp(got[i]->summary, want[i]->summary) != 0)
                    fail_msg("dir %d cut %zu event %zu: '%s' want '%s'", dir, cut, i, got[i]->summary,
                             want[i]->summary);
            close_fixture(f);
        }
    }
    close_fixture(w);
}

static void test_byte_at_a_time(void **state)
{
    (void)state;
    fixture *w = open_fixture();
    run_whole(w);
    fixture *f = open_fixture();
    for (size_t i = 0; i < sizeof c2s - 1; i++)
        dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 100, (const uint8_t *)c2s + i, 1);
    for (size_t i = 0; i < sizeof s2c - 1; i++)
        dt_engine_stream(f->eng, f->conv, DT_DIR_S2C, 200, (const uint8_t *)s2c + i, 1);
    dt_engine_finish(f->eng, 300);
    const collected *a[64], *b[64];
    size_t na = http_events(w->sink, a, 64), nb = http_events(f->sink, b, 64);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        assert_string_equal(a[i]->summary, b[i]->summary);
    close_fixture(w);
    close_fixture(f);
}

static const collected *find(const collect_sink *s, const char *needle)
{
    for (size_t i = 0; i < s->n; i++)
        if (strstr(s->ev[i].summary, needle))
            return &s->ev[i];
    return NULL;
}

static void test_garbage_chunk_size(void **state)
{
    (void)state;
    static const char bad[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "4\r\nabcd\r\nzz\r\nrest of a chunk\r\n0\r\n\r\n"
                              "HTTP/1.1 204 No Content\r\n\r\n";
    fixture *f = open_fixture();
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, (const uint8_t *)"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
                     38);
    dt_engine_stream(f->eng, f->conv, DT_DIR_S2C, 2, (const uint8_t *)bad, sizeof bad - 1);
    dt_engine_finish(f->eng, 3);
    const collected *e = find(f->sink, "invalid character in chunk size header at stream offset 56");
    assert_non_null(e);
    assert_non_null(find(f->sink, "skipped"));                    /* the rest of the broken body */
    assert_non_null(find(f->sink, "204 No Content (GET /b)")); /* what follows still decodes */
    close_fixture(f);
}

static void test_hang_up_mid_body(void **state)
{
    (void)state;
    static const char part[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly twenty bytes...";
    fixture *f = open_fixture();
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, (const uint8_t *)"GET /a HTTP/1.1\r\n\r\n", 19);
    dt_engine_stream(f->eng, f->conv, DT_DIR_S2C, 2, (const uint8_t *)part, sizeof part - 1);
    dt_engine_stream_end(f->eng, f->conv, DT_DIR_S2C, 3);
    dt_engine_finish(f->eng, 4);
    assert_non_null(find(f->sink, "GET /a"));
    char want[128];
    snprintf(want, sizeof want, "truncated HTTP message at end of stream: %zu of %zu bytes (stream offset 0)",
             sizeof part - 1, sizeof part - 1 - 20 + 100);
    assert_non_null(find(f->sink, want));
    assert_non_null(find(f->sink, "no reply after")); /* GET /a is left waiting */
    close_fixture(f);
}

static void test_garbage_between_messages(void **state)
{
    (void)state;
    static const char in[] = "GET /a HTTP/1.1\r\n\r\n\x01\x02 binary junk\r\nGET /b HTTP/1.1\r\n\r\n";
    fixture *f = open_fixture();
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, (const uint8_t *)in, sizeof in - 1);
    dt_engine_finish(f->eng, 2);
    assert_non_null(find(f->sink, "GET /a"));
    assert_non_null(find(f->sink, "skipped 16 bytes that start no HTTP message (stream offset 19)"));
    assert_non_null(find(f->sink, "GET /b"));
    close_fixture(f);
}

/* A TLS ClientHello with SNI "winrm.example" on an HTTP connection (5986). */
static void test_tls_client_hello(void **state)
{
    (void)state;
    uint8_t hello[128];
    size_t n = 0;
    const char *host = "winrm.example";
    size_t hl = strlen(host);
    uint8_t body[96];
    size_t b = 0;
    body[b++] = 3, body[b++] = 3;              /* client version TLS 1.2 */
    memset(body + b, 0x11, 32), b += 32;       /* random */
    body[b++] = 0;                             /* session id */
    body[b++] = 0, body[b++] = 2, body[b++] = 0x13, body[b++] = 0x01; /* one cipher suite */
    body[b++] = 1, body[b++] = 0;              /* compression: null */
    size_t ext = 9 + hl;
    body[b++] = 0, body[b++] = (uint8_t)ext;   /* extensions length */
    body[b++] = 0, body[b++] = 0;              /* server_name */
    body[b++] = 0, body[b++] = (uint8_t)(hl + 5);
    body[b++] = 0, body[b++] = (uint8_t)(hl + 3);
    body[b++] = 0;                             /* host_name */
    body[b++] = 0, body[b++] = (uint8_t)hl;
    memcpy(body + b, host, hl), b += hl;
    hello[n++] = 22, hello[n++] = 3, hello[n++] = 1, hello[n++] = 0, hello[n++] = (uint8_t)(b + 4);
    hello[n++] = 1, hello[n++] = 0, hello[n++] = 0, hello[n++] = (uint8_t)b;
    memcpy(hello + n, body, b), n += b;
    fixture *f = open_fixture();
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, hello, n);
    static const uint8_t appdata[] = { 23, 3, 3, 0, 4, 1, 2, 3, 4 };
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 2, appdata, sizeof appdata);
    dt_engine_finish(f->eng, 3);
    assert_non_null(find(f->sink, "TLS ClientHello, SNI winrm.example (HTTP inside TLS is opaque: not decrypted)"));
    assert_non_null(find(f->sink, "TLS application data, 4 bytes (encrypted HTTP: opaque, not decrypted)"));
    close_fixture(f);
}

/* --show-credentials shows the Basic password; a token that is not base64 is
 * a note and the rest of the message (and the next) decodes. */
static void test_credentials_and_bad_token(void **state)
{
    (void)state;
    static const char req[] = "POST /wsman HTTP/1.1\r\nAuthorization: Basic dmFncmFudDp2YWdyYW50\r\n"
                              "Content-Length: 0\r\n\r\n"
                              "POST /wsman HTTP/1.1\r\nAuthorization: Negotiate TlRMTVNT*!not-base64\r\n"
                              "Content-Length: 0\r\n\r\n"
                              "GET /after HTTP/1.1\r\n\r\n";
    fixture *f = open_fixture_on("10.0.0.1:5985", true);
    dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, (const uint8_t *)req, sizeof req - 1);
    dt_engine_finish(f->eng, 2);
    const collected *basic = find(f->sink, "POST /wsman, Basic as vagrant (password vagrant)");
    assert_non_null(basic);
    assert_false(basic->malformed);
    const collected *bad = &f->sink->ev[1];
    assert_string_equal(bad->proto, "HTTP");
    assert_true(bad->malformed); /* "Negotiate token is not valid base64" */
    const collected *after = find(f->sink, "GET /after");
    assert_non_null(after);
    assert_false(after->malformed);
    close_fixture(f);
}

/* Which bodies go to WS-Management: by content type, by path, by port 5985;
 * other bodies stay HTTP's (a preview). */
static size_t winrm_events(const collect_sink *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += strcmp(s->ev[i].proto, "WinRM") == 0;
    return n;
}

static void test_inner_dissector_choice(void **state)
{
    (void)state;
    static const struct {
        const char *server, *path, *type;
        size_t winrm;
    } cases[] = {
        { "10.0.0.1:8080", "/wsman", "text/plain", 1 },                     /* path */
        { "10.0.0.1:8080", "/wsman-anon/identify", "text/plain", 1 },       /* path */
        { "10.0.0.1:8080", "/x", "application/soap+xml;charset=UTF-8", 1 }, /* content type */
        { "10.0.0.1:5985", "/x", "text/plain", 1 },                         /* port */
        { "10.0.0.1:8080", "/x", "text/plain", 0 },                         /* none: HTTP's own body */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[256];
        int n = snprintf(msg, sizeof msg, "POST %s HTTP/1.1\r\nContent-Type: %s\r\nContent-Length: 12\r\n\r\n"
                         "<s:E>1</s:E>", cases[i].path, cases[i].type);
        fixture *f = open_fixture_on(cases[i].server, false);
        dt_engine_stream(f->eng, f->conv, DT_DIR_C2S, 1, (const uint8_t *)msg, (size_t)n);
        dt_engine_finish(f->eng, 2);
        if (winrm_events(f->sink) != cases[i].winrm)
            fail_msg("case %zu (%s %s %s): %zu WinRM events", i, cases[i].server, cases[i].path, cases[i].type,
                     winrm_events(f->sink));
        close_fixture(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_conversation),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_garbage_chunk_size),
        cmocka_unit_test(test_hang_up_mid_body),
        cmocka_unit_test(test_garbage_between_messages),
        cmocka_unit_test(test_tls_client_hello),
        cmocka_unit_test(test_credentials_and_bad_token),
        cmocka_unit_test(test_inner_dissector_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
