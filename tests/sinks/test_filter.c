/* --grep (pcre2 over summary and rendered field values) and --proto. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/filter.h"
#include "testutil.h"

static const dt_value_name status_vals[] = { { 0xc0000022, "STATUS_ACCESS_DENIED" }, { 0, NULL } };
static const dt_field_def defs[] = {
    { "smb2.nt_status", "NT Status", DT_FT_UINT32, DT_BASE_HEX, status_vals, 0, 0, NULL },
    { "smb2.filename", "File Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "smb2.ctx", "Context", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "smb2.session_id", "Session Id", DT_FT_UINT64, DT_BASE_HEX, NULL, 0, 0, NULL },
    { "smb2.blob", "Blob", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
};

static tfields t;

static dt_event make(void)
{
    dt_event ev = { 0 };
    t.n = 0;
    ev.proto = "SMB2";
    ev.proto_name = "smb2";
    ev.summary = "CREATE → STATUS_ACCESS_DENIED";
    tf_uint(&t, &ev, NULL, &defs[0], 0xc0000022);
    dt_field *cx = tf_add(&t, &ev, NULL, &defs[2]);
    tf_str(&t, &ev, cx, &defs[1], "q3\xff.bin", 7); /* invalid UTF-8 in the subject */
    tf_uint(&t, &ev, NULL, &defs[3], 0x0000400000000005);
    tf_str(&t, &ev, NULL, &defs[4], "\xde\xad\xbe\xef", 4);
    return ev;
}

static bool grep(const char *re, const dt_event *ev)
{
    char err[256];
    dt_filter *f = dt_filter_new();
    assert_int_equal(dt_filter_set_grep(f, re, err, sizeof err), 0);
    bool m = dt_filter_match(f, ev);
    dt_filter_free(f);
    return m;
}

static void test_grep(void **state)
{
    (void)state;
    dt_event ev = make();
    assert_true(grep("ACCESS_DENIED", &ev));       /* summary */
    assert_true(grep("^CREATE", &ev));
    assert_true(grep("0xc0000022", &ev));          /* a value's hex rendering */
    /* A nested string with an invalid byte: PCRE2_MATCH_INVALID_UTF matches
     * around it (the byte itself matches nothing). */
    assert_true(grep("\\.bin$", &ev));
    assert_true(grep("^q3", &ev));
    assert_false(grep("q3.\\.bin", &ev));
    assert_true(grep("0x0000400000000005", &ev));  /* 64-bit hex */
    assert_true(grep("deadbeef", &ev));            /* bytes as hex */
    assert_true(grep("(?i)create", &ev));
    assert_false(grep("STATUS_SUCCESS", &ev));
    assert_false(grep("NT Status", &ev));          /* names of fields are not values */
    assert_true(grep("→", &ev));                    /* UTF-8 patterns */
    ev.summary = "READ";
    assert_true(grep("STATUS_ACCESS_DENIED \\(0xc0000022\\)", &ev)); /* value names, from the field */
}

static void test_bad_regex(void **state)
{
    (void)state;
    char err[256] = "";
    dt_filter *f = dt_filter_new();
    assert_int_equal(dt_filter_set_grep(f, "(unclosed", err, sizeof err), -1);
    assert_non_null(strstr(err, "(unclosed"));
    assert_non_null(strstr(err, "offset"));
    dt_event ev = make();
    assert_true(dt_filter_match(f, &ev)); /* a failed --grep leaves the filter open */
    dt_filter_free(f);
}

static void test_protos(void **state)
{
    (void)state;
    char err[256];
    dt_filter *f = dt_filter_new();
    dt_event ev = make();
    assert_true(dt_filter_match(f, &ev));
    assert_int_equal(dt_filter_set_protos(f, "dap, SMB2", err, sizeof err), 0);
    assert_true(dt_filter_match(f, &ev));
    ev.proto = "DAP", ev.proto_name = "dap";
    assert_true(dt_filter_match(f, &ev));
    ev.proto = "KD", ev.proto_name = "kd";
    assert_false(dt_filter_match(f, &ev));
    assert_int_equal(dt_filter_set_protos(f, "Kd", err, sizeof err), 0); /* replaces, any case */
    assert_true(dt_filter_match(f, &ev));
    ev.proto = "DOTNET", ev.proto_name = "dotnet-ipc";
    assert_false(dt_filter_match(f, &ev));
    assert_int_equal(dt_filter_set_protos(f, ",", err, sizeof err), -1);
    assert_non_null(strstr(err, "names no protocol"));

    /* Both: the protocol must match and so must the pattern. */
    assert_int_equal(dt_filter_set_protos(f, "smb2", err, sizeof err), 0);
    assert_int_equal(dt_filter_set_grep(f, "DENIED", err, sizeof err), 0);
    ev = make();
    assert_true(dt_filter_match(f, &ev));
    ev.proto = "DAP", ev.proto_name = "dap";
    assert_false(dt_filter_match(f, &ev));
    dt_filter_free(f);
    assert_true(dt_filter_match(NULL, &ev));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grep),
        cmocka_unit_test(test_bad_regex),
        cmocka_unit_test(test_protos),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
