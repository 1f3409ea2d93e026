/* dt_arena_vprintf_len: formatted straight into the current block when it
 * has room, through a buffer when not; the result and the arena's
 * accounting must be the same either way. A lent window: what an event
 * allocates lies in it and is reported as one span until it spills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "core/arena.h"

static char *fmt(dt_arena *a, size_t *len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *p = dt_arena_vprintf_len(a, len, f, ap);
    va_end(ap);
    return p;
}

static void test_results_do_not_overlap(void **state)
{
    (void)state;
    dt_arena a;
    dt_arena_init(&a, 1u << 20);
    char *s[600];
    size_t len;
    for (int i = 0; i < 600; i++) { /* across several 16 KiB blocks */
        s[i] = fmt(&a, &len, "%s #%d → %u bytes fid 0x%llx", "READ \\\\share\\dir\\file.txt", i, 65536u,
                   (unsigned long long)i * 0x10001u);
        assert_non_null(s[i]);
        assert_int_equal(len, strlen(s[i]));
        char *other = dt_arena_alloc_raw(&a, 16); /* what a dissector allocates next */
        assert_non_null(other);
        memset(other, 'x', 16);
    }
    for (int i = 0; i < 600; i++) {
        char want[128];
        snprintf(want, sizeof want, "%s #%d → %u bytes fid 0x%llx", "READ \\\\share\\dir\\file.txt", i, 65536u,
                 (unsigned long long)i * 0x10001u);
        assert_string_equal(s[i], want);
    }
    dt_arena_free(&a);
}

static void test_long_and_unusual_formats(void **state)
{
    (void)state;
    dt_arena a;
    dt_arena_init(&a, 1u << 20);
    char big[1000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    size_t len;
    char *p = fmt(&a, &len, "[%s]", big); /* longer than the stack buffer */
    assert_non_null(p);
    assert_int_equal(len, 1001);
    assert_int_equal(p[0], '[');
    assert_int_equal(p[1000], ']');
    p = fmt(&a, &len, "%5.2f|%-4s|", 3.14159, "ab"); /* not the fast formatter's */
    assert_string_equal(p, " 3.14|ab  |");
    assert_int_equal(len, 11);
    dt_arena_free(&a);
}

static void test_limit_is_kept(void **state)
{
    (void)state;
    dt_arena a;
    dt_arena_init(&a, 128); /* most bytes one event may use */
    size_t len;
    assert_non_null(dt_arena_alloc_raw(&a, 64));
    char *p = fmt(&a, &len, "%s", "fits: 40 bytes of text, give or take..");
    assert_non_null(p);
    assert_string_equal(p, "fits: 40 bytes of text, give or take..");
    assert_null(fmt(&a, &len, "%s", "this one does not fit in what is left of the limit")); /* 112 of 128 used */
    dt_arena_reset(&a);
    assert_non_null(fmt(&a, &len, "%s", "after a reset it fits again, all 128 bytes are free"));
    dt_arena_free(&a);
}

static void test_window_and_span(void **state)
{
    (void)state;
    dt_arena a;
    dt_arena_init(&a, 1u << 20);
    _Alignas(16) static unsigned char win[4096];
    const void *base;
    size_t len;
    dt_arena_reset(&a);
    dt_arena_use_window(&a, win, sizeof win);
    char *s = fmt(&a, &len, "in the %s", "window");
    void *p = dt_arena_alloc(&a, 100);
    assert_true((unsigned char *)s >= win && (unsigned char *)s < win + sizeof win);
    assert_true((unsigned char *)p > (unsigned char *)s && (unsigned char *)p + 100 <= win + sizeof win);
    dt_arena_span(&a, &base, &len);
    assert_ptr_equal(base, win);
    assert_int_equal(len, 16 + 112); /* each allocation rounded to 16 */
    /* more than the window holds: it goes on in a block of the arena's own,
     * and the event is no longer one span */
    void *big = dt_arena_alloc(&a, 5000);
    assert_non_null(big);
    assert_false((unsigned char *)big >= win && (unsigned char *)big < win + sizeof win);
    dt_arena_span(&a, &base, &len);
    assert_null(base);
    /* a reset forgets the window: the arena's first block again */
    dt_arena_reset(&a);
    s = fmt(&a, &len, "%d", 7);
    assert_false((unsigned char *)s >= win && (unsigned char *)s < win + sizeof win);
    dt_arena_span(&a, &base, &len);
    assert_ptr_equal(base, s);
    assert_int_equal(len, 16);
    /* a window offered mid-event is not taken: the event goes on where it is */
    dt_arena_use_window(&a, win, sizeof win);
    void *q = dt_arena_alloc(&a, 8);
    assert_false((unsigned char *)q >= win && (unsigned char *)q < win + sizeof win);
    dt_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_do_not_overlap),
        cmocka_unit_test(test_long_and_unusual_formats),
        cmocka_unit_test(test_limit_is_kept),
        cmocka_unit_test(test_window_and_span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
