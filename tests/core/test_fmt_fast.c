/* dt_fmt_fast against the C library's vsnprintf: what it accepts it must
 * spell byte for byte the same; what it does not know it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "core/fmt_fast.h"
#include "diagtap/dissector.h"

/* returns dt_fmt_fast's result; when it accepted, checks it against vsnprintf */
static int check(size_t cap, const char *fmt, ...)
{
    char fast[300], libc[300];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = dt_fmt_fast(fast, cap, fmt, ap);
    int m = vsnprintf(libc, sizeof libc, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    if (n >= 0) {
        assert_int_equal(n, m);
        assert_string_equal(fast, libc);
    }
    return n;
}

static void test_same_as_libc(void **state)
{
    (void)state;
    assert_true(check(256, "plain text, no conversions") >= 0);
    assert_true(check(256, "%s #%" PRIu64 "%s%s", "variables", (uint64_t)123456789012345ULL, " (reverse)", "") >= 0);
    assert_true(check(256, "%u %u %u", 0u, 7u, UINT_MAX) >= 0);
    assert_true(check(256, "%d|%d|%d|%i", 0, -1, INT_MIN, INT_MAX) >= 0);
    assert_true(check(256, "%x %X %llx %lx", 0xdeadbeefu, 0xabcu, 0xfedcba9876543210ULL, 0x1234UL) >= 0);
    assert_true(check(256, "%zu bytes, %zd", (size_t)SIZE_MAX, (ptrdiff_t)-5) >= 0);
    assert_true(check(256, "%lld %llu %" PRId64, LLONG_MIN, ULLONG_MAX, (int64_t)-42) >= 0);
    assert_true(check(256, "%hhu %hhd %hu %hd", 300, 200, 70000, 40000) >= 0);
    assert_true(check(256, "%jd %ju %td", (intmax_t)-9, (uintmax_t)9, (ptrdiff_t)3) >= 0);
    assert_true(check(256, "0x%08x <%02x> %08x %5u %3d %03d", 0xc0000022u, 5u, 0u, 42u, -7, -7) >= 0);
    assert_true(check(256, "%.*s|%.*s|%.*s", 3, "abcdef", 0, "xyz", -1, "whole") >= 0);
    assert_true(check(256, "100%% %c%c", 'o', 'k') >= 0);
    assert_true(check(256, "%s", "") >= 0);
}

static void test_refuses_what_it_does_not_know(void **state)
{
    (void)state;
    assert_int_equal(check(256, "%.3f", 1.5), -1);
    assert_int_equal(check(256, "%g", 2.0), -1);
    assert_int_equal(check(256, "%p", (void *)0), -1);
    assert_int_equal(check(256, "%-5d", 3), -1);
    assert_int_equal(check(256, "%+d", 3), -1);
    assert_int_equal(check(256, "%#x", 3u), -1);
    assert_int_equal(check(256, "%10s", "a"), -1);
    assert_int_equal(check(256, "%s", (const char *)NULL), -1);
    assert_int_equal(check(256, "%c", 0), -1);
    assert_int_equal(check(256, "%.*d", 3, 4), -1);
    assert_int_equal(check(256, "tail %"), -1);
}

static void test_too_long_is_refused(void **state)
{
    (void)state;
    assert_int_equal(check(8, "%s", "12345678"), -1); /* 8 bytes + NUL > 8 */
    assert_int_equal(check(8, "%s", "1234567"), 7);
    assert_int_equal(check(4, "%u", 12345u), -1);
    assert_int_equal(check(6, "%08x", 1u), -1);
    assert_int_equal(check(1, ""), 0);
    /* literals up to and past the room, alone and before a conversion */
    assert_int_equal(check(8, "1234567"), 7);
    assert_int_equal(check(8, "12345678"), -1);
    assert_int_equal(check(8, "123456789"), -1);
    assert_int_equal(check(9, "1234567%u", 1u), 8);
    assert_int_equal(check(8, "1234567%u", 1u), -1);
    assert_int_equal(check(8, "12345678%u", 1u), -1);
    assert_int_equal(check(16, "a%ub%uc", 1u, 22u), 6);
    assert_int_equal(check(16, "%%%u%%", 5u), 3);
}

static void test_copy_trunc(void **state)
{
    (void)state;
    char out[8], ref[8];
    const char *cases[] = { "", "short", "exactly", "much longer than eight" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = dt_copy_trunc(out, sizeof out, cases[i]);
        snprintf(ref, sizeof ref, "%s", cases[i]);
        assert_string_equal(out, ref);
        assert_int_equal(n, strlen(ref));
    }
}

/* dt_vsnprintf is vsnprintf: same bytes and same return value, also where
 * the fast path refuses (unknown conversions, truncation, NULL strings).
 * Through a va_list, so the compiler does not flag the truncation on purpose. */
static void same_as_snprintf(size_t cap, const char *fmt, ...)
{
    char a[64], b[64];
    memset(a, 'x', sizeof a);
    memset(b, 'x', sizeof b);
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = dt_vsnprintf(a, cap, fmt, ap);
    int m = vsnprintf(b, cap, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    assert_int_equal(n, m);
    assert_memory_equal(a, b, sizeof a);
}

static void test_snprintf_is_snprintf(void **state)
{
    (void)state;
    same_as_snprintf(64, "%s off=%llu len=%u", "\\share\\dir", 12345ULL, 64u);
    same_as_snprintf(64, "0x%08x", 0xc0000022u);
    same_as_snprintf(8, "%s %llu bytes fid 0x%llx", "opened", 4096ULL, 0x1234ULL); /* truncated */
    same_as_snprintf(64, "%-8s|%5.2f|%p", "left", 3.25, (void *)0); /* not the fast path's */
    same_as_snprintf(64, "%s", (const char *)NULL);
    same_as_snprintf(1, "%u", 7u);
    char none[1] = { 'x' };
    assert_int_equal(dt_snprintf(none, 0, "%s", "abc"), 3); /* cap 0: nothing written, length returned */
    assert_int_equal(none[0], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_libc),
        cmocka_unit_test(test_refuses_what_it_does_not_know),
        cmocka_unit_test(test_too_long_is_refused),
        cmocka_unit_test(test_copy_trunc),
        cmocka_unit_test(test_snprintf_is_snprintf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
