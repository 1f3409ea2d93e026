/* jx_parse (a one-pass parser, then jsmn + checks, jansson behind) must read every body exactly as
 * jansson's json_loadb(JSON_ALLOW_NUL) does: the same accept/reject, the same
 * error text and position, the same values. Checked on edge cases of the
 * grammar and on deterministic mutations (byte flips, cuts, insertions) of
 * real DAP/LSP bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dissectors/dap/jsonx.h"

/* The node tree equals jansson's value (objects: same members, in jansson's
 * iteration order, as jx_first_key/jx_next_key/jx_get give them). */
static int same(const jx_node *n, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (!jx_is_object(n) || jx_size(n) < json_object_size(v))
            return 0;
        const char *key;
        json_t *m;
        const jx_node *k = jx_first_key(n);
        json_object_foreach((json_t *)v, key, m) {
            if (!k || strcmp(k->s, key) != 0 || !same(jx_get(n, key), m))
                return 0;
            k = jx_next_key(n, k);
        }
        return k == NULL;
    }
    case JSON_ARRAY: {
        if (!jx_is_array(n) || jx_size(n) != json_array_size(v))
            return 0;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!same(jx_at(n, i), json_array_get(v, i)))
                return 0;
        return 1;
    }
    case JSON_STRING:
        return jx_is_string(n) && n->n == json_string_length(v) && memcmp(n->s, json_string_value(v), n->n) == 0 &&
               n->s[n->n] == '\0';
    case JSON_INTEGER:
        return jx_is_integer(n) && n->i == (int64_t)json_integer_value(v);
    case JSON_REAL:
        return jx_is_real(n) && memcmp(&n->d, &(double){ json_real_value(v) }, sizeof(double)) == 0;
    case JSON_TRUE:
        return jx_is_true(n);
    case JSON_FALSE:
        return n && n->type == JX_FALSE;
    case JSON_NULL:
        return jx_is_null(n);
    }
    return 0;
}

static size_t n_checked, n_accepted;

static void check(const char *body, size_t len)
{
    json_error_t jerr;
    json_t *v = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
    jx_doc doc;
    jx_error err;
    bool ok = jx_parse(NULL, body, len, &doc, &err);
    n_checked++;
    if (!!v != ok || (v && !same(doc.root, v)) ||
        (!v && (strcmp(err.text, jerr.text) != 0 || err.position != (size_t)(jerr.position > 0 ? jerr.position : 0) ||
                err.line != jerr.line || err.column != jerr.column))) {
        fprintf(stderr, "mismatch on %zu bytes: %.*s\njansson: %s (%s)\njx: %s (%s)\n", len, (int)(len < 300 ? len : 300),
                body, v ? "ok" : "error", v ? "" : jerr.text, ok ? "ok" : "error", ok ? "" : err.text);
        fail();
    }
    n_accepted += ok;
    if (ok)
        jx_doc_free(&doc);
    json_decref(v);
}

static void check_str(const char *s) { check(s, strlen(s)); }

static void edge_cases(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{}", "[]", " \t\r\n{ } \n", "{\"a\":1}", "{\"a\":1,}", "[1,]", "[,1]", "{\"a\" 1}", "{\"a\":1 \"b\":2}",
        "[1 2]", "{\"a\":}", "{:1}", "{1:1}", "{\"a\"}", "[\"a\":1]", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":1}{}",
        "1", "\"s\"", "true", "null", "", "   ", "{", "[", "[1", "{\"a\":[1,2", "[tru]", "[truex]", "[nul]",
        "[-]", "[-0]", "[-01]", "[01]", "[1.]", "[.5]", "[1e]", "[1e+]", "[1E-7]", "[1.5e3]", "[-0.0]", "[+1]",
        "[9223372036854775807]", "[9223372036854775808]", "[-9223372036854775808]", "[-9223372036854775809]",
        "[1e308]", "[1e309]", "[-1e309]", "[1e-400]", "[123456789012345678901234567890.5]",
        "[\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"]", "[\"\\ud83d\"]", "[\"\\ude00\"]", "[\"\\ud83d\\u0041\"]",
        "[\"\\u12\"]", "[\"\\x41\"]", "[\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"]", "[\"a\\u0000b\"]", "{\"a\\u0000\":1}",
        "[\"\x01\"]", "[\"\x7f\"]", "[\"\xc3\xa9\"]", "[\"\xc3\"]", "[\"\xc0\x80\"]", "[\"\xed\xa0\x80\"]",
        "[\"\xf4\x90\x80\x80\"]", "[\"\xf0\x9f\x98\x80\"]", "[\"\xe0\x80\xaf\"]", "[\"\xff\"]",
        "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":{\"b\":[1,{\"c\":null}]},\"d\":false}", "[[[[[[[[[[]]]]]]]]]]",
        "{\"seq\":1,\"type\":\"request\",\"command\":\"initialize\",\"arguments\":{\"adapterID\":\"x\"}}",
        "[\"unterminated]", "{\"a\":\"b\"", "[1]\x00", "\xef\xbb\xbf{}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_str(cases[i]);
    /* nesting at and past jansson's depth limit */
    for (size_t depth = 1990; depth <= 2060; depth += 10) {
        char *b = malloc(2 * depth + 1);
        memset(b, '[', depth);
        memset(b + depth, ']', depth);
        check(b, 2 * depth);
        free(b);
    }
    /* around the one-pass parser's limits (depth 64, 384 nodes): past them
     * the token walk decides, with the same result */
    for (size_t depth = 60; depth <= 70; depth++) {
        char b[200];
        memset(b, '[', depth);
        b[depth] = '7';
        memset(b + depth + 1, ']', depth);
        check(b, 2 * depth + 1);
        memcpy(b + depth + 1, "}", 1); /* and a broken one at that depth */
        check(b, 2 * depth + 1);
    }
    for (int count = 378; count <= 390; count++) {
        char arr[4000];
        size_t m = 0;
        m += (size_t)snprintf(arr + m, sizeof arr - m, "{\"k\":[");
        for (int i = 0; i < count; i++)
            m += (size_t)snprintf(arr + m, sizeof arr - m, "%s\"v%d\"", i ? "," : "", i);
        m += (size_t)snprintf(arr + m, sizeof arr - m, "],\"k\":\"dup\"}");
        check(arr, m);
    }
    /* more tokens than the stack array holds */
    char big[20000];
    size_t n = 0;
    big[n++] = '[';
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s%d", i ? "," : "", i);
    big[n++] = ']';
    check(big, n);
}

static const char *const seeds[] = {
    "{\"seq\":12,\"type\":\"response\",\"request_seq\":11,\"success\":true,\"command\":\"variables\",\"body\":"
    "{\"variables\":[{\"name\":\"argc\",\"value\":\"1\",\"type\":\"int\",\"variablesReference\":0},"
    "{\"name\":\"s\",\"value\":\"\\\"h\\u00e9llo\\\\n\\\"\",\"variablesReference\":1001}]}}",
    "{\"seq\":3,\"type\":\"event\",\"event\":\"stopped\",\"body\":{\"reason\":\"breakpoint\",\"threadId\":1,"
    "\"hitBreakpointIds\":[1,2],\"allThreadsStopped\":true,\"description\":\"d\\u00e9j\\u00e0 \xc3\xa9\"}}",
    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"textDocument/hover\",\"params\":{\"textDocument\":{\"uri\":"
    "\"file:///tmp/a.c\"},\"position\":{\"line\":3,\"character\":-1.5e2}}}",
    "[{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":null},{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,"
    "\"message\":\"no\"},\"id\":2}]",
};

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void mutations(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]:,\"\\u0123456789eE.-+ tfnrl\x00\x1f\x7f\x80\xc3\xa9\xed\xff";
    uint64_t s = 0x9e3779b97f4a7c15ull;
    char buf[1024];
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        const char *seed = seeds[k];
        size_t len = strlen(seed);
        check(seed, len);
        for (size_t cut = 0; cut <= len; cut++)
            check(seed, cut);
        for (int round = 0; round < 4000; round++) {
            memcpy(buf, seed, len);
            size_t n = len;
            int edits = 1 + (int)(rng(&s) % 3);
            for (int e = 0; e < edits; e++) {
                size_t at = (size_t)(rng(&s) % n);
                char c = alphabet[rng(&s) % (sizeof alphabet - 1)];
                switch (rng(&s) % 3) {
                case 0: buf[at] = c; break;
                case 1:
                    if (n + 1 < sizeof buf) {
                        memmove(buf + at + 1, buf + at, n - at);
                        buf[at] = c;
                        n++;
                    }
                    break;
                default:
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
            }
            check(buf, n);
        }
    }
    /* the mutations reached both sides of the checks */
    assert_true(n_accepted > 500);
    assert_true(n_checked - n_accepted > 5000);
}

/* Strings are scanned 16 bytes at a time (SSE2) while 16 bytes of the body
 * remain: every byte, at every place of a 40-byte string value, once with
 * the body going on after it and once with the string near the body's end. */
static void every_byte_at_every_place(void **state)
{
    (void)state;
    static const char head1[] = "{\"key\":\"", tail1[] = "\",\"after\":[1,2,3,4,5,6,7,8,9,10]}";
    static const char head2[] = "[\"", tail2[] = "\"]";
    char str[40], buf[128];
    for (int b = 0; b < 256; b++) {
        for (size_t k = 0; k < sizeof str; k++) {
            memset(str, 'm', sizeof str);
            str[k] = (char)b;
            size_t n = 0;
            memcpy(buf, head1, sizeof head1 - 1), n = sizeof head1 - 1;
            memcpy(buf + n, str, sizeof str), n += sizeof str;
            memcpy(buf + n, tail1, sizeof tail1 - 1), n += sizeof tail1 - 1;
            check(buf, n);
            memcpy(buf, head2, sizeof head2 - 1), n = sizeof head2 - 1;
            memcpy(buf + n, str, sizeof str), n += sizeof str;
            memcpy(buf + n, tail2, sizeof tail2 - 1), n += sizeof tail2 - 1;
            check(buf, n);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edge_cases),
        cmocka_unit_test(mutations),
        cmocka_unit_test(every_byte_at_every_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
