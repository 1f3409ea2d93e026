/* The bounds-checked cursor: every read past the end fails cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "diagtap/cursor.h"

/* backed by more storage than the cursors see, so the compiler's bounds
 * analysis of inlined 16-byte copies has nothing to flag */
static const uint8_t bytes[32] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
#define NBYTES 9

static void test_integers(void **state)
{
    (void)state;
    dt_cursor c = dt_cursor_make(bytes, NBYTES);
    assert_int_equal(dt_cur_u8(&c), 0x01);
    assert_int_equal(dt_cur_u16le(&c), 0x0302);
    assert_int_equal(dt_cur_u16be(&c), 0x0405);
    assert_int_equal(dt_cur_u32le(&c), 0x09080706);
    assert_true(dt_cur_ok(&c));
    assert_true(dt_cur_eof(&c));
    c = dt_cursor_make(bytes, NBYTES);
    assert_int_equal(dt_cur_u64le(&c), 0x0807060504030201ull);
    c = dt_cursor_make(bytes, NBYTES);
    assert_int_equal(dt_cur_u64be(&c), 0x0102030405060708ull);
    assert_int_equal(dt_cur_u32be(&(dt_cursor){ bytes, 4, 0, 0, false }), 0x01020304);
}

/* Each reader, started at every position, past the end: 0, overrun, at end. */
static void test_every_read_past_end(void **state)
{
    (void)state;
    for (size_t len = 0; len <= NBYTES; len++) {
        for (size_t start = 0; start <= len; start++) {
            size_t left = len - start;
            for (int which = 0; which < 9; which++) {
                dt_cursor c = dt_cursor_make(bytes, len);
                dt_cur_skip(&c, start);
                uint64_t v = 0;
                size_t width = 0;
                switch (which) {
                case 0: v = dt_cur_u8(&c); width = 1; break;
                case 1: v = dt_cur_u16le(&c); width = 2; break;
                case 2: v = dt_cur_u16be(&c); width = 2; break;
                case 3: v = dt_cur_u32le(&c); width = 4; break;
                case 4: v = dt_cur_u32be(&c); width = 4; break;
                case 5: v = dt_cur_u64le(&c); width = 8; break;
                case 6: v = dt_cur_u64be(&c); width = 8; break;
                case 7: { dt_guid g; v = dt_cur_guid(&c, &g) ? 1 : 0; width = 16; break; }
                case 8: v = dt_cur_bytes(&c, 5) != NULL; width = 5; break;
                }
                if (width <= left) {
                    assert_true(dt_cur_ok(&c));
                    assert_int_equal(dt_cur_offset(&c), start + width);
                } else {
                    assert_false(dt_cur_ok(&c));
                    assert_int_equal(v, 0);
                    assert_int_equal(dt_cur_left(&c), 0);
                    /* sticky: later reads fail too, even of zero bytes */
                    assert_int_equal(dt_cur_u8(&c), 0);
                    assert_null(dt_cur_bytes(&c, 0));
                }
            }
        }
    }
}

static void test_sub_cursor(void **state)
{
    (void)state;
    dt_cursor c = dt_cursor_make(bytes, NBYTES);
    dt_cur_skip(&c, 2);
    dt_cursor s = dt_cur_sub(&c, 3);
    assert_int_equal(dt_cur_offset(&s), 2);
    assert_int_equal(dt_cur_u8(&s), 0x03);
    assert_int_equal(dt_cur_offset(&s), 3);
    assert_int_equal(dt_cur_u32le(&s), 0); /* only 2 left in the sub-cursor */
    assert_false(dt_cur_ok(&s));
    assert_true(dt_cur_ok(&c)); /* the parent is unaffected */
    assert_int_equal(dt_cur_u8(&c), 0x06);
    dt_cursor big = dt_cur_sub(&c, 100);
    assert_false(dt_cur_ok(&big));
    assert_false(dt_cur_ok(&c));
    assert_int_equal(big.len, 3);
    assert_null(dt_cur_peek(&c, 0, 1));
}

static void test_seek_and_peek(void **state)
{
    (void)state;
    dt_cursor c = dt_cursor_make(bytes, NBYTES);
    assert_non_null(dt_cur_peek(&c, 8, 1));
    assert_null(dt_cur_peek(&c, 8, 2));
    assert_null(dt_cur_peek(&c, SIZE_MAX, 2));
    assert_true(dt_cur_seek(&c, 9));
    assert_false(dt_cur_seek(&c, 10));
    assert_false(dt_cur_ok(&c));
}

static void test_utf16(void **state)
{
    (void)state;
    /* "\\é" then U+1F600 as a surrogate pair, then a lone high surrogate */
    const uint8_t s[] = { '\\', 0, 0xE9, 0, 0x3D, 0xD8, 0x00, 0xDE, 0x3D, 0xD8 };
    char out[32];
    dt_cursor c = dt_cursor_make(s, sizeof s);
    size_t n = dt_cur_utf16le(&c, sizeof s, out, sizeof out);
    assert_string_equal(out, "\\\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD");
    assert_int_equal(n, strlen(out));
    /* a small output buffer truncates at a character boundary */
    c = dt_cursor_make(s, sizeof s);
    dt_cur_utf16le(&c, sizeof s, out, 3);
    assert_string_equal(out, "\\");
    /* odd or excessive length: overrun, empty string */
    c = dt_cursor_make(s, 4);
    dt_cur_utf16le(&c, 6, out, sizeof out);
    assert_false(dt_cur_ok(&c));
    assert_string_equal(out, "");
    /* NUL-terminated form stops at 0x0000 and consumes it */
    const uint8_t z[] = { 'a', 0, 'b', 0, 0, 0, 'c', 0 };
    c = dt_cursor_make(z, sizeof z);
    dt_cur_utf16le_z(&c, out, sizeof out);
    assert_string_equal(out, "ab");
    assert_int_equal(dt_cur_offset(&c), 6);
    c = dt_cursor_make(z, 4);
    dt_cur_utf16le_z(&c, out, sizeof out);
    assert_string_equal(out, "ab");
    assert_false(dt_cur_ok(&c));
}

static void test_strings(void **state)
{
    (void)state;
    const uint8_t s[] = { 'o', 'k', 0xFF, 'x', 0, 'y', 'z' };
    char out[16];
    dt_cursor c = dt_cursor_make(s, sizeof s);
    dt_cur_string(&c, 4, out, sizeof out);
    assert_string_equal(out, "ok\xEF\xBF\xBDx");
    c = dt_cursor_make(s, sizeof s);
    dt_cur_cstring(&c, out, sizeof out);
    assert_string_equal(out, "ok\xEF\xBF\xBDx");
    assert_int_equal(dt_cur_offset(&c), 5);
    dt_cur_cstring(&c, out, sizeof out); /* "yz" with no terminator */
    assert_string_equal(out, "yz");
    assert_false(dt_cur_ok(&c));
}

static void test_guid_format(void **state)
{
    (void)state;
    /* srvsvc: 4b324fc8-1670-01d3-1278-5a47bf6ee188 */
    const uint8_t g[16] = { 0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
                            0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88 };
    dt_guid guid;
    memcpy(guid.b, g, 16);
    char out[37];
    dt_guid_format(&guid, out);
    assert_string_equal(out, "4b324fc8-1670-01d3-1278-5a47bf6ee188");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),   cmocka_unit_test(test_every_read_past_end),
        cmocka_unit_test(test_sub_cursor), cmocka_unit_test(test_seek_and_peek),
        cmocka_unit_test(test_utf16),      cmocka_unit_test(test_strings),
        cmocka_unit_test(test_guid_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
