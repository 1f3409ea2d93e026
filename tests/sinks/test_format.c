/* The shared value formatter: integers in their bases, value names, GUIDs,
 * addresses, times, durations, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/sinks/format.h"
#include "testutil.h"

static const dt_value_name status_vals[] = { { 0xc0000022, "STATUS_ACCESS_DENIED" }, { 0, "STATUS_SUCCESS" }, { 0, NULL } };

static const char *fmt(const dt_field_def *d, uint64_t v)
{
    static char buf[128];
    dt_field f = { 0 };
    f.def = d;
    f.v.u = v;
    size_t n = dt_fmt_value(&f, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    return buf;
}

static void test_integers(void **state)
{
    (void)state;
    dt_field_def d = { "t.x", "X", DT_FT_UINT16, DT_BASE_HEX, NULL, 0, 0, NULL };
    assert_string_equal(fmt(&d, 0x2a), "0x002a");
    d.type = DT_FT_UINT8;
    assert_string_equal(fmt(&d, 0xff), "0xff");
    d.type = DT_FT_UINT64;
    assert_string_equal(fmt(&d, 1), "0x0000000000000001");
    d.type = DT_FT_UINT32;
    d.base = DT_BASE_DEC;
    assert_string_equal(fmt(&d, 4294967295u), "4294967295");
    d.base = DT_BASE_DEC_HEX;
    assert_string_equal(fmt(&d, 42), "42 (0x0000002a)");
    d.type = DT_FT_INT32;
    d.base = DT_BASE_DEC;
    assert_string_equal(fmt(&d, (uint64_t)(int64_t)-7), "-7");
    d.base = DT_BASE_HEX;
    assert_string_equal(fmt(&d, (uint64_t)(int64_t)-1), "0xffffffff");
    d.type = DT_FT_INT64;
    d.base = DT_BASE_DEC;
    assert_string_equal(fmt(&d, (uint64_t)INT64_MIN), "-9223372036854775808");
    d.type = DT_FT_BOOL;
    assert_string_equal(fmt(&d, 1), "True");
    assert_string_equal(fmt(&d, 0), "False");
}

static void test_value_names(void **state)
{
    (void)state;
    dt_field_def d = { "smb2.nt_status", "NT Status", DT_FT_UINT32, DT_BASE_HEX, status_vals, 0, 0, NULL };
    assert_string_equal(fmt(&d, 0xc0000022), "STATUS_ACCESS_DENIED (0xc0000022)");
    assert_string_equal(fmt(&d, 0), "STATUS_SUCCESS (0x00000000)");
    assert_string_equal(fmt(&d, 0xc0000001), "Unknown (0xc0000001)");
    d.base = DT_BASE_DEC;
    assert_string_equal(fmt(&d, 0), "STATUS_SUCCESS (0)");
}

static void test_addresses_guid_times(void **state)
{
    (void)state;
    dt_field f = { 0 };
    char buf[80];
    dt_field_def d = { "t.ip6", "IPv6", DT_FT_IPV6, DT_BASE_NONE, NULL, 0, 0, NULL };
    f.def = &d;
    static const struct {
        uint8_t ip[16];
        const char *text;
    } v6[] = {
        { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "2001:db8::1" },
        { { 0 }, "::" },
        { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "::1" },
        { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, "2001:db8:0:1::1" },
        { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, "2001:db8:0:1:1:1:1:1" },
        { { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "fe80::" },
        { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 }, "::ffff:192.0.2.1" },
    };
    for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
        memcpy(f.v.b16, v6[i].ip, 16);
        dt_fmt_value(&f, buf, sizeof buf);
        assert_string_equal(buf, v6[i].text);
    }
    dt_field_def g = { "t.guid", "GUID", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, NULL };
    f.def = &g;
    static const uint8_t guid[16] = { 0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
                                      0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88 };
    memcpy(f.v.b16, guid, 16); /* srvsvc, 4b324fc8-1670-01d3-1278-5a47bf6ee188 */
    dt_fmt_value(&f, buf, sizeof buf);
    assert_string_equal(buf, "4b324fc8-1670-01d3-1278-5a47bf6ee188");

    dt_field_def t = { "t.when", "When", DT_FT_ABSTIME, DT_BASE_NONE, NULL, 0, 0, NULL };
    f.def = &t;
    f.v.u = 0;
    dt_fmt_value(&f, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
    f.v.u = UINT64_C(951782400) * 1000000000u + 5; /* a leap day */
    dt_fmt_value(&f, buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29T00:00:00.000000005Z");
    f.v.u = UINT64_C(4107542399) * 1000000000u; /* end of 2100, not a leap year */
    dt_fmt_value(&f, buf, sizeof buf);
    assert_string_equal(buf, "2100-02-28T23:59:59.000000000Z");
}

static void test_durations(void **state)
{
    (void)state;
    char buf[32];
    static const struct {
        uint64_t ns;
        const char *text;
    } d[] = {
        { 0, "0 ns" }, { 999, "999 ns" }, { 1500, "1.5 µs" }, { 300000, "0.3 ms" }, { 12500000, "12.5 ms" },
        { 1240000000, "1.24 s" }, { 123456, "0.123 ms" }, { 99960, "100 µs" }, { 999400000, "999 ms" },
        { 999600000, "1 s" }, { 150000000, "150 ms" }, { UINT64_C(123000000000), "2 m 03 s" }, { UINT64_C(7380000000000), "2 h 03 m" },
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        dt_fmt_duration(d[i].ns, buf, sizeof buf);
        assert_string_equal(buf, d[i].text);
    }
}

static void test_bytes_and_truncation(void **state)
{
    (void)state;
    uint8_t b[300];
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)i;
    dt_field_def d = { "t.b", "B", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL };
    dt_field f = { 0 };
    f.def = &d;
    f.v.s.ptr = (const char *)b;
    f.v.s.len = sizeof b;
    char small[9];
    size_t n = dt_fmt_value(&f, small, sizeof small);
    assert_int_equal(n, 600); /* the whole length is reported */
    assert_string_equal(small, "00010203");
    char big[601];
    n = dt_fmt_value(&f, big, sizeof big);
    assert_int_equal(n, 600);
    assert_int_equal(strlen(big), 600);
    assert_memory_equal(big + 596, "2a2b", 4);
    /* A zero-sized buffer is never written. */
    assert_int_equal(dt_fmt_value(&f, NULL, 0), 600);
}

static void test_utf8_next(void **state)
{
    (void)state;
    size_t n;
    assert_int_equal(dt_utf8_next((const uint8_t *)"\xe2\x86\x92", 3, &n), 0x2192);
    assert_int_equal(n, 3);
    assert_int_equal(dt_utf8_next((const uint8_t *)"\xf0\x9f\x98\x80", 4, &n), 0x1f600);
    assert_int_equal(dt_utf8_next((const uint8_t *)"\xe2\x86\x92", 2, &n), -1); /* cut by len */
    assert_int_equal(n, 2);
    assert_int_equal(dt_utf8_next((const uint8_t *)"\xc1\x81", 2, &n), -1);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),       cmocka_unit_test(test_value_names),
        cmocka_unit_test(test_addresses_guid_times), cmocka_unit_test(test_durations),
        cmocka_unit_test(test_bytes_and_truncation), cmocka_unit_test(test_utf8_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
