/* The ClickHouse output's URL forms (clickhouse[s]://[USER[:PASSWORD]@]HOST[:PORT]/DB.TABLE),
 * the redaction every message uses, and the schema's options (--cluster,
 * --on-cluster, --ttl): what the integration tests do not reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sinks/clickhouse/ch_url.h"
#include "core/sinks/clickhouse/clickhouse.h"

static void test_forms(void **state)
{
    (void)state;
    dt_ch_url u;
    char err[512];
    assert_int_equal(dt_ch_url_parse("clickhouse://ch.example.net/diag.events", &u, err, sizeof err), 0);
    assert_false(u.tls);
    assert_string_equal(u.host, "ch.example.net");
    assert_int_equal(u.port, 8123);
    assert_string_equal(u.user, "");
    assert_false(u.has_password);
    assert_string_equal(u.database, "diag");
    assert_string_equal(u.table, "events");
    assert_string_equal(u.http_base, "http://ch.example.net:8123/");

    assert_int_equal(dt_ch_url_parse("clickhouses://diagtap@ch.example.net/diag.events", &u, err, sizeof err), 0);
    assert_true(u.tls);
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.user, "diagtap");
    assert_string_equal(u.http_base, "https://ch.example.net:8443/");

    /* user and password, percent-encoded; an explicit port; IPv6 */
    assert_int_equal(dt_ch_url_parse("clickhouse://w%40x:p%3Ass%40w@[::1]:9000/d.t", &u, err, sizeof err), 0);
    assert_string_equal(u.user, "w@x");
    assert_true(u.has_password);
    assert_string_equal(u.password, "p:ss@w");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 9000);
    assert_string_equal(u.http_base, "http://[::1]:9000/");
}

static void test_redaction(void **state)
{
    (void)state;
    dt_ch_url u;
    char err[512], red[640];
    assert_int_equal(dt_ch_url_parse("clickhouse://writer:s3cret@h:8123/d.t", &u, err, sizeof err), 0);
    assert_string_equal(u.redacted, "clickhouse://writer:<redacted>@h:8123/d.t");
    assert_null(strstr(u.redacted, "s3cret"));
    dt_ch_url_redact("clickhouses://a:b%40c@h/x.y", red, sizeof red);
    assert_string_equal(red, "clickhouses://a:<redacted>@h/x.y");
    dt_ch_url_redact("clickhouse://h/x.y", red, sizeof red);
    assert_string_equal(red, "clickhouse://h/x.y");
    /* an error message about a URL names it, never its password */
    assert_int_equal(dt_ch_url_parse("clickhouse://writer:s3cret@h:99999/d.t", &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad port"));
    assert_null(strstr(err, "s3cret"));
}

static void test_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "http://h/d.t",               /* not ours */
        "clickhouse://h",             /* no table */
        "clickhouse://h/events",      /* no database */
        "clickhouse://h/d.t;DROP",    /* not a plain name */
        "clickhouse://h:0/d.t",       /* port 0 */
        "clickhouse://h:80x/d.t",     /* junk port */
        "clickhouse:///d.t",          /* no host */
        "clickhouse://[::1/d.t",      /* unterminated IPv6 */
        "clickhouse://h o/d.t",       /* a blank in the host */
        "clickhouse://u%zz@h/d.t",    /* a bad escape */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dt_ch_url u;
        char err[512] = "";
        if (dt_ch_url_parse(bad[i], &u, err, sizeof err) != -1)
            fail_msg("accepted %s", bad[i]);
        if (!err[0] || strchr(err, '\n'))
            fail_msg("%s: not one line: '%s'", bad[i], err);
    }
    assert_true(dt_ch_url_is("clickhouse://h/d.t"));
    assert_true(dt_ch_url_is("clickhouses://h/d.t"));
    assert_false(dt_ch_url_is("timeline.json"));
}

static char *schema(const char *table, const char *cluster, bool on_cluster, unsigned ttl)
{
    char *text = NULL, err[256] = "";
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    int rc = dt_ch_schema_write(f, table, cluster, on_cluster, ttl, err, sizeof err);
    fclose(f);
    if (rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void test_schema(void **state)
{
    (void)state;
    char *s = schema("diag.events", NULL, false, 0);
    assert_non_null(s);
    assert_non_null(strstr(s, "CREATE TABLE IF NOT EXISTS diag.events\n"));
    assert_non_null(strstr(s, "ENGINE = ReplacingMergeTree\nPARTITION BY toYYYYMMDD(time)\n"
                              "ORDER BY (toStartOfHour(time), host, ts_ns, run_id, seq)\n"));
    assert_null(strstr(s, "\nTTL "));
    assert_null(strstr(s, "Distributed"));
    free(s);

    s = schema("diag.events", NULL, false, 30);
    assert_non_null(strstr(s, "\nTTL time + INTERVAL 30 DAY\n"));
    free(s);

    s = schema("diag.events", "fleet", false, 0);
    assert_non_null(strstr(s, "CREATE TABLE IF NOT EXISTS diag.events_local\n"));
    assert_non_null(strstr(s, "CREATE TABLE IF NOT EXISTS diag.events AS diag.events_local\n"
                              "ENGINE = Distributed(fleet, diag, events_local, cityHash64(host));"));
    assert_null(strstr(s, "ON CLUSTER fleet")); /* (only a comment mentions ON CLUSTER) */
    free(s);

    s = schema("diag.events", "fleet", true, 7);
    assert_non_null(strstr(s, "CREATE DATABASE IF NOT EXISTS diag ON CLUSTER fleet;"));
    assert_non_null(strstr(s, "CREATE TABLE IF NOT EXISTS diag.events_local ON CLUSTER fleet\n"));
    assert_non_null(strstr(s, "CREATE TABLE IF NOT EXISTS diag.events ON CLUSTER fleet AS diag.events_local\n"));
    assert_non_null(strstr(s, "TTL time + INTERVAL 7 DAY"));
    free(s);

    assert_null(schema("events", NULL, false, 0));
    assert_null(schema("diag.ev-ents", NULL, false, 0));
    assert_null(schema("diag.events", "fle et", false, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_redaction),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
