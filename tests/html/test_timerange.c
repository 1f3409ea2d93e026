/* --from / --to: the bound forms and how the filter applies them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/filter.h"
#include "core/timerange.h"

#define NS 1000000000ull
/* 2026-11-18T12:06:40Z */
#define T0 (1795003600ull * NS)

static void parses_forms(void **state)
{
    (void)state;
    dt_tbound b;
    char err[256];
    assert_int_equal(dt_tbound_parse("+2.5s", &b, err, sizeof err), 0);
    assert_int_equal(b.kind, DT_TB_REL);
    assert_true(b.ns == 2500000000ull);
    assert_int_equal(dt_tbound_parse("+1m30s", &b, err, sizeof err), 0);
    assert_true(b.ns == 90 * NS);
    assert_int_equal(dt_tbound_parse("+150ms", &b, err, sizeof err), 0);
    assert_true(b.ns == 150000000ull);
    assert_int_equal(dt_tbound_parse("+3", &b, err, sizeof err), 0);
    assert_true(b.ns == 3 * NS);
    assert_int_equal(dt_tbound_parse("2026-11-18T12:06:40.25Z", &b, err, sizeof err), 0);
    assert_int_equal(b.kind, DT_TB_ABS);
    assert_true(b.ns == T0 + 250000000ull);
    assert_int_equal(dt_tbound_parse("2026-11-18T13:06:40+01:00", &b, err, sizeof err), 0);
    assert_true(b.ns == T0);
    assert_int_equal(dt_tbound_parse("12:06:40.000000001", &b, err, sizeof err), 0);
    assert_int_equal(b.kind, DT_TB_TOD);
    assert_true(b.ns == (12 * 3600 + 6 * 60 + 40) * NS + 1);
    const char *bad[] = { "", "+", "+2x", "12:6", "25:00:00", "2026-13-01", "2026-11-18T12:06:40Zjunk", "yesterday" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(dt_tbound_parse(bad[i], &b, err, sizeof err), -1);
        assert_non_null(strstr(err, "expected") ? err : strstr(err, "relative"));
    }
}

static dt_event ev_at(uint64_t ts)
{
    dt_event e = { 0 };
    e.ts_ns = ts;
    e.summary = "x";
    e.proto = e.proto_name = "toy";
    return e;
}

static void filter_relative_to_first_event(void **state)
{
    (void)state;
    char err[256];
    setenv("TZ", "UTC", 1);
    dt_filter *f = dt_filter_new();
    assert_int_equal(dt_filter_set_time(f, "+1s", "+2s", err, sizeof err), 0);
    dt_event e = ev_at(T0); /* the first event fixes the origin */
    assert_false(dt_filter_match(f, &e));
    e = ev_at(T0 + NS - 1);
    assert_false(dt_filter_match(f, &e));
    e = ev_at(T0 + NS);
    assert_true(dt_filter_match(f, &e));
    e = ev_at(T0 + 2 * NS);
    assert_true(dt_filter_match(f, &e));
    e = ev_at(T0 + 2 * NS + 1);
    assert_false(dt_filter_match(f, &e));
    /* a pending request counts where it was sent: given up at +5 s, sent at +1.5 s */
    e = ev_at(T0 + 5 * NS);
    e.kind = DT_EV_PENDING;
    e.has_latency = true;
    e.latency_ns = 3500000000ull;
    assert_true(dt_filter_match(f, &e));
    dt_filter_free(f);
}

static void filter_time_of_day(void **state)
{
    (void)state;
    char err[256];
    setenv("TZ", "UTC", 1);
    dt_filter *f = dt_filter_new();
    assert_int_equal(dt_filter_set_time(f, "12:06:41", NULL, err, sizeof err), 0);
    dt_event e = ev_at(T0);
    assert_false(dt_filter_match(f, &e));
    e = ev_at(T0 + 1 * NS);
    assert_true(dt_filter_match(f, &e));
    dt_filter_free(f);
    /* across midnight: --from 23:59 --to 00:01 */
    f = dt_filter_new();
    assert_int_equal(dt_filter_set_time(f, "23:59", "00:01", err, sizeof err), 0);
    uint64_t midnight = (1795003600ull / 86400 + 1) * 86400 * NS;
    e = ev_at(midnight - 120 * NS);
    assert_false(dt_filter_match(f, &e));
    e = ev_at(midnight + 30 * NS);
    assert_true(dt_filter_match(f, &e));
    e = ev_at(midnight + 61 * NS);
    assert_false(dt_filter_match(f, &e));
    dt_filter_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_forms),
        cmocka_unit_test(filter_relative_to_first_event),
        cmocka_unit_test(filter_time_of_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
