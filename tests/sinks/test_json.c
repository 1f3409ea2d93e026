/* JSON writer and JSON Lines sink: escaping of any bytes, the field tree's
 * shape, the event's keys; output parsed back with jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sink.h"
#include "core/sinks/format.h"
#include "core/sinks/json_writer.h"
#include "testutil.h"

/* Escapes b[0..n) and parses it back; returns the decoded string's bytes. */
static char *roundtrip(const uint8_t *b, size_t n, size_t *outlen, char **json_out)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    assert_non_null(f);
    dt_json_write_string(f, b, n);
    fclose(f);
    json_error_t jerr;
    json_t *j = json_loadb(buf, blen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j)
        fail_msg("jansson rejects %s: %s", buf, jerr.text);
    assert_true(json_is_string(j));
    *outlen = json_string_length(j);
    char *s = malloc(*outlen + 1);
    memcpy(s, json_string_value(j), *outlen + 1);
    json_decref(j);
    if (json_out)
        *json_out = buf;
    else
        free(buf);
    return s;
}

static void test_every_byte(void **state)
{
    (void)state;
    for (int b = 0; b < 256; b++) {
        uint8_t in[3] = { 'a', (uint8_t)b, 'z' };
        size_t n;
        char *json;
        char *s = roundtrip(in, 3, &n, &json);
        if (b < 0x80) {
            /* ASCII, controls included, comes back exactly. */
            assert_int_equal(n, 3);
            assert_memory_equal(s, in, 3);
            /* No raw control character in the JSON text itself. */
            for (const char *p = json; *p; p++)
                assert_true((uint8_t)*p >= 0x20 && *p != 0x7f);
        } else {
            /* A lone byte >= 0x80 is never well-formed UTF-8: U+FFFD. */
            assert_int_equal(n, 5);
            assert_memory_equal(s, "a\xef\xbf\xbdz", 5);
            assert_non_null(strstr(json, "\\ufffd"));
        }
        free(json);
        free(s);
    }
}

/* The same at every place of strings of 1 to 40 bytes: the writer tests
 * and copies 16 bytes a round (SSE2) and the rest one by one, so a byte
 * needing care must be found wherever it falls in a block or after it. */
static void test_every_byte_at_every_place(void **state)
{
    (void)state;
    uint8_t in[40];
    for (size_t len = 1; len <= sizeof in; len++) {
        for (int b = 0; b < 256; b++) {
            for (size_t k = 0; k < len; k++) {
                memset(in, 'm', len);
                in[k] = (uint8_t)b;
                size_t n;
                char *json;
                char *s = roundtrip(in, len, &n, &json);
                if (b < 0x80) {
                    assert_int_equal(n, len);
                    assert_memory_equal(s, in, len);
                    for (const char *p = json; *p; p++)
                        assert_true((uint8_t)*p >= 0x20 && *p != 0x7f);
                } else {
                    assert_int_equal(n, len + 2); /* U+FFFD is three bytes */
                    assert_memory_equal(s + k, "\xef\xbf\xbd", 3);
                }
                free(json);
                free(s);
            }
        }
    }
}

static void test_named_escapes(void **state)
{
    (void)state;
    char *json;
    size_t n;
    char *s = roundtrip((const uint8_t *)"\"\\\b\f\n\r\t\x01\x7f", 9, &n, &json);
    assert_string_equal(json, "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u007f\"");
    free(s);
    free(json);
    s = roundtrip((const uint8_t *)"a\0b", 3, &n, &json);
    assert_string_equal(json, "\"a\\u0000b\"");
    assert_int_equal(n, 3);
    free(s);
    free(json);
}

static void test_utf8_kept_and_replaced(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "h\xc3\xa9llo \xe2\x86\x92 \xf0\x9f\x98\x80", "h\xc3\xa9llo \xe2\x86\x92 \xf0\x9f\x98\x80" },
        { "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },                 /* overlong '/' */
        { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
        { "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
        { "\xe2\x86", "\xef\xbf\xbd" },                            /* cut sequence: one U+FFFD */
        { "\xe2\x86x", "\xef\xbf\xbdx" },
        { "\xf0\x9f\x98", "\xef\xbf\xbd" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        char *s = roundtrip((const uint8_t *)cases[i].in, strlen(cases[i].in), &n, NULL);
        assert_int_equal(n, strlen(cases[i].out));
        assert_memory_equal(s, cases[i].out, n);
        free(s);
    }
}

/* A random valid code point, UTF-8 encoded into b; returns its length. */
static size_t rand_utf8(uint8_t *b, unsigned *seed)
{
    uint32_t cp;
    do
        cp = (uint32_t)rand_r(seed) % 0x110000;
    while (cp >= 0xd800 && cp < 0xe000);
    if (rand_r(seed) % 2)
        cp %= 0x80;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), b[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
    b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

static void test_random_valid_utf8_roundtrips(void **state)
{
    (void)state;
    unsigned seed = 1234;
    uint8_t in[1024];
    for (int iter = 0; iter < 2000; iter++) {
        size_t n = 0, want = (size_t)rand_r(&seed) % 200;
        while (n < want)
            n += rand_utf8(in + n, &seed);
        size_t outn;
        char *s = roundtrip(in, n, &outn, NULL);
        assert_int_equal(outn, n);
        assert_memory_equal(s, in, n);
        free(s);
    }
}

static void test_random_bytes_parse(void **state)
{
    (void)state;
    unsigned seed = 99;
    uint8_t in[512];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = (size_t)rand_r(&seed) % sizeof in;
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)rand_r(&seed);
        size_t outn;
        char *s = roundtrip(in, n, &outn, NULL);
        /* Every well-formed sequence of the input is in the output, in
         * order; everything else became U+FFFD. */
        size_t i = 0, o = 0;
        while (i < n) {
            size_t k;
            int32_t cp = dt_utf8_next(in + i, n - i, &k);
            if (cp >= 0) {
                assert_true(o + k <= outn);
                assert_memory_equal(s + o, in + i, k);
                o += k;
            } else {
                assert_true(o + 3 <= outn);
                assert_memory_equal(s + o, "\xef\xbf\xbd", 3);
                o += 3;
            }
            i += k;
        }
        assert_int_equal(o, outn);
        free(s);
    }
}

static const dt_value_name cmd_vals[] = { { 3, "TREE_CONNECT" }, { 0, NULL } };
static const dt_field_def defs[] = {
    { "t.cmd", "Command", DT_FT_UINT16, DT_BASE_DEC, cmd_vals, 0, 0, NULL },
    { "t.flags", "Flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0, NULL },
    { "t.flags.response", "Response", DT_FT_BOOL, DT_BASE_NONE, NULL, 1, 0, NULL },
    { "t.name", "Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.entry", "Entry", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.guid", "GUID", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.ip", "Address", DT_FT_IPV4, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.blob", "Blob", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.when", "When", DT_FT_ABSTIME, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.delta", "Delta", DT_FT_INT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    { "t.big", "Big", DT_FT_UINT64, DT_BASE_HEX, NULL, 0, 0, NULL },
    { "t.ratio", "Ratio", DT_FT_DOUBLE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.label", "Label", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.rel", "Elapsed", DT_FT_RELTIME, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.neg", "Offset", DT_FT_INT64, DT_BASE_DEC, NULL, 0, 0, NULL },
};
enum { D_CMD, D_FLAGS, D_RESP, D_NAME, D_ENTRY, D_GUID, D_IP, D_BLOB, D_WHEN, D_DELTA, D_BIG, D_RATIO, D_LABEL, D_REL, D_NEG };

static json_t *sink_one(const dt_event *ev)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    dt_sink *s = dt_json_sink_new(f);
    s->event(s, ev);
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);
    fclose(f);
    /* Exactly one line. */
    assert_true(blen > 0 && buf[blen - 1] == '\n');
    assert_null(memchr(buf, '\n', blen - 1));
    json_error_t jerr;
    json_t *j = json_loadb(buf, blen, 0, &jerr);
    if (!j)
        fail_msg("bad JSON line %s: %s", buf, jerr.text);
    free(buf);
    return j;
}

static void test_field_tree_shape(void **state)
{
    (void)state;
    static tfields t;
    t.n = 0;
    dt_channel ch = { 0, "lo", "loopback", 1 };
    dt_conv_info conv = { 7, &ch, "127.0.0.1:40312", "127.0.0.1:445" };
    dt_event ev = { 0 };
    ev.seq = 42;
    ev.ts_ns = UINT64_C(1795000000123456789);
    ev.conv = &conv;
    ev.dir = DT_DIR_S2C;
    ev.proto = "SMB2";
    ev.proto_name = "smb2";
    ev.summary = "TREE_CONNECT \\\\mypc\\winshare → STATUS_ACCESS_DENIED";
    ev.role = DT_ROLE_RESPONSE;
    ev.req_seq = 41;
    ev.has_latency = true;
    ev.latency_ns = 300000;
    ev.status = "STATUS_ACCESS_DENIED";
    ev.is_error = true;
    ev.stats_key = "TREE_CONNECT";
    ev.raw_len = 73;

    tf_uint(&t, &ev, NULL, &defs[D_CMD], 3);
    dt_field *fl = tf_uint(&t, &ev, NULL, &defs[D_FLAGS], 1);
    tf_uint(&t, &ev, fl, &defs[D_RESP], 1);
    for (int i = 0; i < 3; i++) {
        dt_field *e = tf_add(&t, &ev, NULL, &defs[D_ENTRY]);
        static const char *names[] = { "a.txt", "b\nc", "\xff" };
        tf_str(&t, &ev, e, &defs[D_NAME], names[i], strlen(names[i]));
    }
    tf_str(&t, &ev, NULL, &defs[D_NAME], "top", 3);
    dt_field *g = tf_add(&t, &ev, NULL, &defs[D_GUID]);
    static const uint8_t guid[16] = { 0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 1, 2, 3, 4, 5, 6, 7, 8 };
    memcpy(g->v.b16, guid, 16);
    dt_field *ip = tf_add(&t, &ev, NULL, &defs[D_IP]);
    static const uint8_t ipb[4] = { 192, 168, 1, 20 };
    memcpy(&ip->v.ip4, ipb, 4);
    tf_str(&t, &ev, NULL, &defs[D_BLOB], "\x01\xab\x00", 3);
    tf_uint(&t, &ev, NULL, &defs[D_WHEN], UINT64_C(1795000000000000001));
    dt_field *d = tf_add(&t, &ev, NULL, &defs[D_DELTA]);
    d->v.i = -5;
    tf_uint(&t, &ev, NULL, &defs[D_BIG], UINT64_C(0xfffffffffffffffe));
    dt_field *r = tf_add(&t, &ev, NULL, &defs[D_RATIO]);
    r->v.d = 0.25;
    tf_add(&t, &ev, NULL, &defs[D_LABEL]);
    tf_uint(&t, &ev, NULL, &defs[D_REL], UINT64_C(1500000001));
    dt_field *neg = tf_add(&t, &ev, NULL, &defs[D_NEG]);
    neg->v.i = INT64_MIN;
    tf_str(&t, &ev, NULL, &defs[D_NAME], "again", 5); /* repeats non-adjacently */

    json_t *j = sink_one(&ev);
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), 42);
    assert_string_equal(json_string_value(json_object_get(j, "ts")), "2026-11-18T11:06:40.123456789Z");
    assert_int_equal(json_integer_value(json_object_get(j, "ts_ns")), INT64_C(1795000000123456789));
    json_t *c = json_object_get(j, "conv");
    assert_int_equal(json_integer_value(json_object_get(c, "id")), 7);
    assert_string_equal(json_string_value(json_object_get(c, "client")), "127.0.0.1:40312");
    assert_string_equal(json_string_value(json_object_get(c, "server")), "127.0.0.1:445");
    assert_string_equal(json_string_value(json_object_get(c, "channel")), "lo");
    assert_string_equal(json_string_value(json_object_get(j, "dir")), "s2c");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "pdu");
    assert_string_equal(json_string_value(json_object_get(j, "proto")), "SMB2");
    assert_string_equal(json_string_value(json_object_get(j, "proto_name")), "smb2");
    assert_string_equal(json_string_value(json_object_get(j, "summary")), ev.summary);
    assert_string_equal(json_string_value(json_object_get(j, "role")), "response");
    assert_int_equal(json_integer_value(json_object_get(j, "req_seq")), 41);
    assert_int_equal(json_integer_value(json_object_get(j, "latency_ns")), 300000);
    assert_true(json_is_false(json_object_get(j, "malformed")));
    assert_string_equal(json_string_value(json_object_get(j, "status")), "STATUS_ACCESS_DENIED");
    assert_true(json_is_true(json_object_get(j, "is_error")));
    assert_string_equal(json_string_value(json_object_get(j, "stats_key")), "TREE_CONNECT");
    assert_true(json_is_null(json_object_get(j, "input")));
    assert_int_equal(json_integer_value(json_object_get(j, "raw_len")), 73);

    json_t *fs = json_object_get(j, "fields");
    assert_int_equal(json_integer_value(json_object_get(fs, "t.cmd")), 3);
    json_t *flags = json_object_get(fs, "t.flags");
    assert_true(json_is_object(flags));
    assert_int_equal(json_integer_value(json_object_get(flags, "value")), 1);
    assert_true(json_is_true(json_object_get(flags, "t.flags.response")));
    json_t *entries = json_object_get(fs, "t.entry");
    assert_true(json_is_array(entries));
    assert_int_equal(json_array_size(entries), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 1), "t.name")), "b\nc");
    assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 2), "t.name")), "\xef\xbf\xbd");
    assert_null(json_object_get(json_array_get(entries, 0), "value")); /* NONE: no own value */
    json_t *names = json_object_get(fs, "t.name");
    assert_true(json_is_array(names));
    assert_int_equal(json_array_size(names), 2);
    assert_string_equal(json_string_value(json_array_get(names, 0)), "top");
    assert_string_equal(json_string_value(json_array_get(names, 1)), "again");
    assert_string_equal(json_string_value(json_object_get(fs, "t.guid")), "12345678-1234-5678-0102-030405060708");
    assert_string_equal(json_string_value(json_object_get(fs, "t.ip")), "192.168.1.20");
    assert_string_equal(json_string_value(json_object_get(fs, "t.blob")), "01ab00");
    assert_string_equal(json_string_value(json_object_get(fs, "t.when")), "2026-11-18T11:06:40.000000001Z");
    assert_int_equal(json_integer_value(json_object_get(fs, "t.delta")), -5);
    /* 64-bit values are decimal strings: exact where jansson and jq are not. */
    assert_string_equal(json_string_value(json_object_get(fs, "t.big")), "18446744073709551614");
    assert_true(json_real_value(json_object_get(fs, "t.ratio")) == 0.25);
    assert_true(json_is_null(json_object_get(fs, "t.label")));
    assert_true(json_real_value(json_object_get(fs, "t.rel")) == 1.500000001);
    assert_string_equal(json_string_value(json_object_get(fs, "t.neg")), "-9223372036854775808");
    assert_true(json_object_get(fs, "t.label") != NULL);
    json_decref(j);
}

static void test_event_without_conv(void **state)
{
    (void)state;
    dt_event ev = { 0 };
    ev.seq = 1;
    ev.kind = DT_EV_ERROR;
    ev.proto = ev.proto_name = "diagtap";
    ev.summary = "trace.pcapng: offset 4096: truncated block";
    ev.input = "trace.pcapng";
    json_t *j = sink_one(&ev);
    assert_true(json_is_null(json_object_get(j, "conv")));
    assert_true(json_is_null(json_object_get(j, "dir")));
    assert_true(json_is_null(json_object_get(j, "role")));
    assert_true(json_is_null(json_object_get(j, "req_seq")));
    assert_true(json_is_null(json_object_get(j, "latency_ns")));
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "error");
    assert_string_equal(json_string_value(json_object_get(j, "input")), "trace.pcapng");
    assert_int_equal(json_object_size(json_object_get(j, "fields")), 0);
    json_decref(j);
}

/* The sink keeps each conversation's object and the timestamp's date and
 * time rendered (json_sink.c): conversations that share a slot, names that
 * need escaping, names too long to keep, events without a conversation and
 * timestamps either side of a second all still come out as they are. */
static void test_conv_and_ts_kept(void **state)
{
    (void)state;
    static char long_name[400];
    memset(long_name, 'n', sizeof long_name - 1);
    dt_channel ch = { .id = 0, .name = "unix:/tmp/a \"b\".sock", .linktype = -1 };
    dt_channel ch2 = { .id = 1, .name = long_name, .linktype = -1 };
    dt_conv_info a = { .id = 1, .channel = &ch, .client = "ide\t\xc3\xa9", .server = "lldb" };
    dt_conv_info b = { .id = 17, .channel = &ch, .client = "10.0.0.1:5", .server = "10.0.0.2:445" }; /* a's slot */
    dt_conv_info c = { .id = 2, .channel = &ch2, .client = long_name, .server = "s" };
    const dt_conv_info *order[] = { &a, &b, &a, &c, NULL, &b, &a, &c, &a, &b, &a, &a };
    const uint64_t ts[] = { 0, 999999999u, 1000000000u, 1000000001u, 1795258930867556000u, 1795258930000000000u,
                            1795258931000000007u, 1795258931999999999u, 9223372036854775807u, 5u, 1795258931000000000u,
                            1795258931000000010u };
    enum { N = sizeof order / sizeof order[0] };
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    dt_sink *s = dt_json_sink_new(f);
    for (int i = 0; i < N; i++) {
        dt_event ev = { 0 };
        ev.seq = (uint64_t)i + 1;
        ev.ts_ns = ts[i];
        ev.conv = order[i];
        ev.summary = "x";
        s->event(s, &ev);
    }
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);
    fclose(f);
    char *line = buf;
    for (int i = 0; i < N; i++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        json_error_t jerr;
        json_t *j = json_loadb(line, (size_t)(nl - line), 0, &jerr);
        if (!j)
            fail_msg("bad JSON line %d: %s", i, jerr.text);
        char want[40];
        dt_fmt_rfc3339(ts[i], want, sizeof want);
        assert_string_equal(json_string_value(json_object_get(j, "ts")), want);
        /* ts_ns is written from its second's kept digits and nine more */
        assert_true(json_is_integer(json_object_get(j, "ts_ns")));
        assert_true((uint64_t)json_integer_value(json_object_get(j, "ts_ns")) == ts[i]);
        json_t *cv = json_object_get(j, "conv");
        if (!order[i]) {
            assert_true(json_is_null(cv));
        } else {
            assert_int_equal(json_integer_value(json_object_get(cv, "id")), order[i]->id);
            assert_string_equal(json_string_value(json_object_get(cv, "client")), order[i]->client);
            assert_string_equal(json_string_value(json_object_get(cv, "server")), order[i]->server);
            assert_string_equal(json_string_value(json_object_get(cv, "channel")), order[i]->channel->name);
        }
        json_decref(j);
        line = nl + 1;
    }
    assert_int_equal(line - buf, (long)blen);
    free(buf);
}

/* Nesting deeper than the writer's stack still gives valid JSON. */
static void test_deep_tree(void **state)
{
    (void)state;
    static tfields t;
    t.n = 0;
    dt_event ev = { 0 };
    ev.summary = "deep";
    dt_field *p = NULL;
    for (int i = 0; i < 200; i++)
        p = tf_uint(&t, &ev, p, &defs[D_FLAGS], (uint64_t)i);
    json_t *j = sink_one(&ev);
    json_decref(j);
}

/* A writer into memory, inside an array whose first element (a string of
 * 'p's) fills its buffer to `lead` bytes: what comes next meets the
 * buffer's end. */
typedef struct padded {
    char *buf;
    size_t len;
    FILE *f;
    dt_jw *w;
} padded;

static void padded_open(padded *p, size_t lead)
{
    p->buf = NULL;
    p->len = 0;
    p->f = open_memstream(&p->buf, &p->len);
    assert_non_null(p->f);
    p->w = calloc(1, sizeof *p->w);
    assert_non_null(p->w);
    dt_jw_init(p->w, p->f);
    assert_true(dt_jw_begin_array(p->w));
    char *pad = malloc(lead);
    assert_non_null(pad);
    memset(pad, 'p', lead);
    dt_jw_string(p->w, pad, lead - 4); /* "[" + quotes + comma: lead bytes */
    free(pad);
}

/* Closes the array and the stream: p->buf holds it all. */
static void padded_close(padded *p)
{
    dt_jw_end_array(p->w);
    dt_jw_flush(p->w);
    fclose(p->f);
    free(p->w);
}

/* Bytes as hex (KDNET payloads, -V's "raw"): a value longer than the
 * writer's buffer, starting where the buffer is nearly full, comes out
 * whole, two lowercase digits a byte. */
static void test_hex_across_buffer(void **state)
{
    (void)state;
    enum { N = 10007 };
    static uint8_t bytes[N];
    for (size_t i = 0; i < N; i++)
        bytes[i] = (uint8_t)(i * 37 + 11);
    for (size_t lead = 4090; lead <= 4094; lead++) {
        padded pw;
        padded_open(&pw, lead);
        dt_jw_hex(pw.w, bytes, N);
        padded_close(&pw);
        char *buf = pw.buf;
        const char *h = strchr(buf + lead - 2, ',');
        assert_non_null(h);
        assert_int_equal(h[1], '"');
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(h[2 + 2 * i], digits[bytes[i] >> 4]);
            assert_int_equal(h[3 + 2 * i], digits[bytes[i] & 15]);
        }
        assert_string_equal(h + 2 + 2 * N, "\"]");
        free(buf);
    }
}

/* Numbers at every digit-count and bit-length boundary, written where the
 * buffer is nearly full (the flush path), read exactly as printf reads them. */
static void test_numbers_exact(void **state)
{
    (void)state;
    uint64_t vals[200];
    size_t nv = 0;
    vals[nv++] = 0;
    vals[nv++] = UINT64_MAX;
    for (uint64_t p = 1, k = 0; k < 20; k++, p *= 10) {
        vals[nv++] = p - 1;
        vals[nv++] = p;
        vals[nv++] = p + 1;
    }
    for (int b = 1; b < 64; b++) {
        vals[nv++] = ((uint64_t)1 << b) - 1;
        vals[nv++] = (uint64_t)1 << b;
    }
    for (size_t lead = 4070; lead <= 4095; lead++) {
        padded pw;
        padded_open(&pw, lead);
        for (size_t i = 0; i < nv; i++) {
            dt_jw_uint(pw.w, vals[i]);
            dt_jw_uint_str(pw.w, vals[i]);
            dt_jw_int(pw.w, (int64_t)vals[i]);
            dt_jw_int_str(pw.w, (int64_t)vals[i]);
        }
        padded_close(&pw);
        /* expected: the same with printf */
        char *exp = NULL;
        size_t elen = 0;
        FILE *e = open_memstream(&exp, &elen);
        fputc('[', e);
        fputc('"', e);
        for (size_t k = 0; k < lead - 4; k++)
            fputc('p', e);
        fputc('"', e);
        for (size_t i = 0; i < nv; i++) {
            int64_t sv = (int64_t)vals[i];
            fprintf(e, ",%llu,\"%llu\",%lld,\"%lld\"", (unsigned long long)vals[i], (unsigned long long)vals[i],
                    (long long)sv, (long long)sv);
        }
        fputc(']', e);
        fclose(e);
        assert_int_equal(pw.len, elen);
        assert_string_equal(pw.buf, exp);
        free(exp);
        free(pw.buf);
    }
}

/* Keys through the key cache (hits, misses, the first member without a
 * comma, nested objects, the buffer's end) give the bytes the uncached
 * writer gives. */
static void test_cached_keys_same_bytes(void **state)
{
    (void)state;
    static const char *names[] = { "smb2.cmd", "a", "smb2.tree", "x.y.z", "needs\"escape", "kdnet.seq",
                                   "a.rather.long.field.name.that.does.not.fit.the.cache.text" };
    enum { NN = sizeof names / sizeof names[0] };
    for (size_t lead = 4000; lead <= 4095; lead += 5) {
        char *out[2] = { NULL, NULL };
        size_t len[2] = { 0, 0 };
        for (int cached = 0; cached < 2; cached++) {
            FILE *f = open_memstream(&out[cached], &len[cached]);
            assert_non_null(f);
            dt_jw *w = calloc(1, sizeof *w);
            assert_non_null(w);
            w->keys = cached ? calloc(1, sizeof *w->keys) : NULL;
            dt_jw_init(w, f);
            assert_true(dt_jw_begin_array(w));
            char *pad = malloc(lead);
            memset(pad, 'p', lead);
            dt_jw_string(w, pad, lead - 4);
            for (int round = 0; round < 3; round++) {
                assert_true(dt_jw_begin_object(w));
                for (size_t i = 0; i < 40; i++) {
                    size_t k = (i * 5 + (size_t)round) % NN;
                    dt_jw_key_of(w, &names[k], names[k]);
                    if (i % 7 == 3) {
                        assert_true(dt_jw_begin_object(w));
                        dt_jw_key_of(w, &names[(k + 1) % NN], names[(k + 1) % NN]);
                        dt_jw_uint(w, i);
                        dt_jw_key_of(w, &names[(k + 2) % NN], names[(k + 2) % NN]);
                        dt_jw_null(w);
                        dt_jw_end_object(w);
                    } else {
                        dt_jw_uint(w, i * 1000003u);
                    }
                }
                dt_jw_end_object(w);
            }
            dt_jw_end_array(w);
            dt_jw_flush(w);
            fclose(f);
            free(w->keys);
            free(w);
            free(pad);
        }
        assert_int_equal(len[0], len[1]);
        assert_string_equal(out[0], out[1]);
        json_error_t jerr;
        json_t *j = json_loadb(out[1], len[1], 0, &jerr);
        if (!j)
            fail_msg("not JSON: %s", jerr.text);
        json_decref(j);
        free(out[0]);
        free(out[1]);
    }
}

static void test_write_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    assert_non_null(f);
    dt_sink *s = dt_json_sink_new(f);
    dt_event ev = { 0 };
    ev.summary = "x";
    for (int i = 0; i < 1000; i++)
        s->event(s, &ev);
    assert_int_equal(s->finish(s), -1);
    s->destroy(s);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_every_byte_at_every_place),
        cmocka_unit_test(test_named_escapes),
        cmocka_unit_test(test_utf8_kept_and_replaced),
        cmocka_unit_test(test_random_valid_utf8_roundtrips),
        cmocka_unit_test(test_random_bytes_parse),
        cmocka_unit_test(test_field_tree_shape),
        cmocka_unit_test(test_event_without_conv),
        cmocka_unit_test(test_conv_and_ts_kept),
        cmocka_unit_test(test_deep_tree),
        cmocka_unit_test(test_hex_across_buffer),
        cmocka_unit_test(test_numbers_exact),
        cmocka_unit_test(test_cached_keys_same_bytes),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
