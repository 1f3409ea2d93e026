/* --stats: histogram percentiles and the table the sink prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sink.h"
#include "core/sinks/histogram.h"

static void assert_near(uint64_t got, uint64_t want, double rel)
{
    double d = (double)got - (double)want;
    if (d < 0)
        d = -d;
    if (d > rel * (double)want)
        fail_msg("%llu is not within %.1f%% of %llu", (unsigned long long)got, rel * 100, (unsigned long long)want);
}

static void test_percentiles(void **state)
{
    (void)state;
    static dt_hist h;
    dt_hist_init(&h);
    assert_int_equal(dt_hist_percentile(&h, 50), 0);
    /* 1..10000 µs: p50 = 5000 µs, p95 = 9500 µs, max exact. */
    for (uint64_t i = 1; i <= 10000; i++)
        dt_hist_add(&h, i * 1000);
    assert_near(dt_hist_percentile(&h, 50), 5000000, 0.035);
    assert_near(dt_hist_percentile(&h, 95), 9500000, 0.035);
    assert_int_equal(dt_hist_percentile(&h, 100), 10000000);
    assert_int_equal(h.max, 10000000);
    assert_int_equal(h.n, 10000);

    /* Small values are exact; extremes land in range. */
    dt_hist_init(&h);
    for (uint64_t v = 0; v < 10; v++)
        dt_hist_add(&h, v);
    assert_int_equal(dt_hist_percentile(&h, 50), 4);
    assert_int_equal(dt_hist_percentile(&h, 0), 0);
    dt_hist_add(&h, UINT64_MAX);
    assert_int_equal(dt_hist_percentile(&h, 100), UINT64_MAX);

    /* A skewed mix: 90 fast, 10 slow; p95 sees the slow ones. */
    dt_hist_init(&h);
    for (int i = 0; i < 90; i++)
        dt_hist_add(&h, 200000);
    for (int i = 0; i < 10; i++)
        dt_hist_add(&h, 3000000000u);
    assert_near(dt_hist_percentile(&h, 50), 200000, 0.035);
    assert_near(dt_hist_percentile(&h, 95), 3000000000u, 0.035);
}

static dt_event ev(const char *proto, const char *key, dt_role role, uint64_t lat, const char *status, bool is_error)
{
    dt_event e = { 0 };
    e.kind = DT_EV_PDU;
    e.proto = proto;
    e.proto_name = proto;
    e.summary = "";
    e.stats_key = key;
    e.role = role;
    e.has_latency = role == DT_ROLE_RESPONSE && lat;
    e.latency_ns = lat;
    e.status = status;
    e.is_error = is_error;
    return e;
}

static void test_table(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    dt_sink *s = dt_stats_sink_new(f);
    dt_event e;
    for (int i = 0; i < 3; i++) {
        e = ev("SMB2", "TREE_CONNECT", DT_ROLE_REQUEST, 0, NULL, false);
        s->event(s, &e);
    }
    e = ev("SMB2", "TREE_CONNECT", DT_ROLE_RESPONSE, 300000, "STATUS_SUCCESS", false);
    s->event(s, &e);
    e = ev("SMB2", "TREE_CONNECT", DT_ROLE_RESPONSE, 500000, "STATUS_ACCESS_DENIED", true);
    s->event(s, &e);
    e = ev("SMB2", "TREE_CONNECT", DT_ROLE_RESPONSE, 600000, "STATUS_ACCESS_DENIED", true);
    s->event(s, &e);
    for (int i = 0; i < 20; i++) {
        e = ev("SMB2", "READ", DT_ROLE_REQUEST, 0, NULL, false);
        e.seq = 100 + (uint64_t)i;
        s->event(s, &e);
        e = ev("SMB2", "READ", DT_ROLE_RESPONSE, (uint64_t)(i + 1) * 1000000, "STATUS_SUCCESS", false);
        e.req_seq = 100 + (uint64_t)i;
        s->event(s, &e);
    }
    e = ev("SMB2", "READ", DT_ROLE_REQUEST, 0, NULL, false);
    e.seq = 1000;
    s->event(s, &e);
    /* The engine's pending events name the request by seq, not by key. */
    e = ev("SMB2", NULL, DT_ROLE_NONE, 0, NULL, false);
    e.kind = DT_EV_PENDING;
    e.req_seq = 1000;
    s->event(s, &e);
    e = ev("DAP", "initialize", DT_ROLE_REQUEST, 0, NULL, false);
    s->event(s, &e);
    e = ev("diagtap", NULL, DT_ROLE_NONE, 0, NULL, false);
    e.kind = DT_EV_ERROR;
    s->event(s, &e);
    e.kind = DT_EV_NOTE;
    s->event(s, &e);
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);
    fclose(f);

    /* Sorted by protocol, then by volume; columns aligned. */
    char *lines[12] = { 0 };
    int n = 0;
    for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l && n < 12; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    /* the table, the totals, then the unanswered requests of every channel */
    assert_int_equal(n, 7);
    assert_true(!strncmp(lines[5], "unanswered requests (1), every channel:", 39));
    assert_non_null(strstr(lines[6], "(none)"));
    assert_true(!strncmp(lines[0], "PROTO  KEY ", 11));
    assert_non_null(strstr(lines[0], "P50"));
    assert_true(!strncmp(lines[1], "DAP    initialize", 17));
    assert_true(!strncmp(lines[2], "SMB2   READ ", 12));
    assert_true(!strncmp(lines[3], "SMB2   TREE_CONNECT ", 20));
    /* READ: 21 requests, 20 replies, p50 ≈ 10 ms, p95 ≈ 19 ms, max 20 ms, 1 pending. */
    char p50[16], p95[16], mx[16], u1[8], u2[8], u3[8], u4[8];
    unsigned long cnt, rep, errs, pend;
    assert_int_equal(sscanf(lines[2], "SMB2 READ %lu %lu %15s %7s %15s %7s %15s %7s %lu %lu", &cnt, &rep, p50, u1, p95, u2,
                            mx, u3, &errs, &pend),
                     10);
    assert_int_equal(cnt, 21);
    assert_int_equal(rep, 20);
    assert_string_equal(u1, "ms");
    double v50 = atof(p50), v95 = atof(p95);
    assert_true(v50 >= 9.6 && v50 <= 10.4);
    assert_true(v95 >= 18.3 && v95 <= 19.7);
    assert_string_equal(mx, "20");
    assert_int_equal(errs, 0);
    assert_int_equal(pend, 1);
    /* TREE_CONNECT: errors by status. */
    assert_int_equal(sscanf(lines[3], "SMB2 TREE_CONNECT %lu %lu %15s %7s %15s %7s %15s %7s %lu %lu", &cnt, &rep, p50,
                            u1, p95, u2, mx, u4, &errs, &pend),
                     10);
    assert_int_equal(cnt, 3);
    assert_int_equal(rep, 3);
    assert_int_equal(errs, 2);
    assert_string_equal(p50, "0.5");
    assert_string_equal(mx, "0.6");
    assert_non_null(strstr(lines[3], "STATUS_ACCESS_DENIED×2"));
    assert_null(strstr(lines[3], "STATUS_SUCCESS"));
    /* Columns line up: every row's PENDING column ends where the header's does. */
    size_t end = (size_t)(strstr(lines[0], "PENDING") + 7 - lines[0]);
    for (int i = 1; i < 4; i++) {
        size_t cols = 0, k = 0;
        for (; lines[i][k] && cols < end; k++)
            cols += ((unsigned char)lines[i][k] & 0xc0) != 0x80;
        assert_true(lines[i][k] == '\0' || lines[i][k] == ' ');
        assert_true(lines[i][k - 1] >= '0' && lines[i][k - 1] <= '9');
    }
    assert_non_null(strstr(lines[4], "51 events, 1 notes, 1 input errors"));
    free(buf);
}

/* Many requests open at once, answered out of order, some never: each
 * pending one is counted under its own key. */
static void test_pending_by_seq(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    dt_sink *s = dt_stats_sink_new(f);
    dt_event e;
    for (uint64_t seq = 1; seq <= 5000; seq++) {
        e = ev("DAP", seq % 2 ? "threads" : "evaluate", DT_ROLE_REQUEST, 0, NULL, false);
        e.seq = seq;
        s->event(s, &e);
    }
    for (uint64_t seq = 5000; seq >= 1; seq--) {
        if (seq % 5 == 0)
            continue; /* never answered */
        e = ev("DAP", seq % 2 ? "threads" : "evaluate", DT_ROLE_RESPONSE, 1000, NULL, false);
        e.req_seq = seq;
        s->event(s, &e);
    }
    for (uint64_t seq = 5; seq <= 5000; seq += 5) {
        e = ev("DAP", NULL, DT_ROLE_NONE, 0, NULL, false);
        e.kind = DT_EV_PENDING;
        e.req_seq = seq;
        s->event(s, &e);
    }
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);
    fclose(f);
    unsigned long cnt, rep, errs, pend;
    char p50[16], p95[16], mx[16], u1[8], u2[8], u3[8];
    const char *l = strstr(buf, "\nDAP    evaluate ");
    assert_non_null(l);
    assert_int_equal(sscanf(l, " DAP evaluate %lu %lu %15s %7s %15s %7s %15s %7s %lu %lu", &cnt, &rep, p50, u1, p95, u2,
                            mx, u3, &errs, &pend), 10);
    assert_int_equal(cnt, 2500);
    assert_int_equal(rep, 2000);
    assert_int_equal(pend, 500);
    l = strstr(buf, "\nDAP    threads ");
    assert_non_null(l);
    assert_int_equal(sscanf(l, " DAP threads %lu %lu %15s %7s %15s %7s %15s %7s %lu %lu", &cnt, &rep, p50, u1, p95, u2,
                            mx, u3, &errs, &pend), 10);
    assert_int_equal(pend, 500);
    assert_null(strstr(buf, "(unknown)"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_pending_by_seq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
