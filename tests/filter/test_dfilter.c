/* The display-filter language (core/dfilter.c) on hand-built events: every
 * operator and field kind, Wireshark's multi-occurrence semantics, and the
 * error messages with their caret lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "core/dfilter.h"
#include "core/registry.h"

static const dt_value_name cmd_names[] = { { 5, "CREATE" }, { 6, "CLOSE" }, { 0, NULL } };

static const dt_field_def t_fields[] = {
    { "t.cmd", "Command", DT_FT_UINT16, DT_BASE_DEC, cmd_names, 0, 0, NULL },
    { "t.status", "Status", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0, NULL },
    { "t.name", "Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.blob", "Blob", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.neg", "Signed", DT_FT_INT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    { "t.ratio", "Ratio", DT_FT_DOUBLE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.addr", "Address", DT_FT_IPV4, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.addr6", "Address6", DT_FT_IPV6, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.wait", "Wait", DT_FT_RELTIME, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.tree", "Tree", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.flag", "Flag", DT_FT_BOOL, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "t.secret", "Secret", DT_FT_STRING, DT_BASE_NONE, NULL, 0, DT_FF_CREDENTIAL, NULL },
    { "t.absent", "Never there", DT_FT_UINT8, DT_BASE_DEC, NULL, 0, 0, NULL },
};

static void no_dissect(dt_ctx *ctx) { (void)ctx; }

static const dt_dissector t_dissector = {
    .abi_version = DT_ABI_VERSION, .name = "t", .display_name = "T", .fields = t_fields,
    .n_fields = sizeof t_fields / sizeof t_fields[0], .transports = DT_TRANSPORT_UDP, .dissect = no_dissect,
};

typedef struct world {
    dt_registry *reg;
    dt_field f[16];
    dt_channel ch;
    dt_conv_info conv;
    dt_event ev;
} world;

static world W;

static dt_field *fld(int i, int def, dt_field *parent)
{
    dt_field *n = &W.f[i];
    memset(n, 0, sizeof *n);
    n->def = &t_fields[def];
    if (parent) {
        if (parent->last_child)
            parent->last_child->next = n;
        else
            parent->child = n;
        parent->last_child = n;
    } else {
        if (W.ev.last_field)
            W.ev.last_field->next = n;
        else
            W.ev.fields = n;
        W.ev.last_field = n;
    }
    return n;
}

/* A response of T: cmd CREATE, status 0xc0000034, two names in a subtree
 * (multi-occurrence), bytes, addresses, a wait, a redacted secret. */
static int setup(void **state)
{
    (void)state;
    memset(&W, 0, sizeof W);
    W.reg = dt_registry_new();
    assert_int_equal(dt_register(W.reg, &t_dissector), 0);
    W.ch = (dt_channel){ .id = 0, .name = "lo", .linktype = 1 };
    W.conv = (dt_conv_info){ .id = 7, .channel = &W.ch, .client = "10.1.2.3:40312", .server = "[fe80::1]:445" };
    W.ev = (dt_event){ .seq = 42, .ts_ns = 1795260188000000000ull, .conv = &W.conv, .dir = DT_DIR_S2C,
                       .kind = DT_EV_PDU, .proto = "T", .proto_name = "t", .summary = "CREATE \\\\srv\\share → NOT FOUND",
                       .role = DT_ROLE_RESPONSE, .req_seq = 41, .latency_ns = 150000000, .has_latency = true,
                       .status = "STATUS_OBJECT_NAME_NOT_FOUND", .is_error = true, .raw_len = 100 };
    fld(0, 0, NULL)->v.u = 5;
    fld(1, 1, NULL)->v.u = 0xc0000034;
    dt_field *tree = fld(2, 9, NULL);
    dt_field *n1 = fld(3, 2, tree);
    n1->v.s.ptr = "alpha";
    n1->v.s.len = 5;
    dt_field *n2 = fld(4, 2, tree);
    n2->v.s.ptr = "beta";
    n2->v.s.len = 4;
    dt_field *b = fld(5, 3, NULL);
    b->v.s.ptr = "\x01\x02\xab\xcd";
    b->v.s.len = 4;
    fld(6, 4, NULL)->v.i = -12;
    fld(7, 5, NULL)->v.d = 0.75;
    inet_pton(AF_INET, "192.168.2.72", &fld(8, 6, NULL)->v.ip4);
    inet_pton(AF_INET6, "2001:db8::5", fld(9, 7, NULL)->v.b16);
    fld(10, 8, NULL)->v.u = 2500000; /* 2.5 ms */
    fld(11, 10, NULL)->v.u = 1;
    dt_field *sec = fld(12, 11, NULL);
    sec->v.s.ptr = "<redacted>";
    sec->v.s.len = 10;
    sec->flags = DT_FLD_REDACTED;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dt_registry_free(W.reg);
    return 0;
}

static int eval(const char *expr)
{
    char err[1024];
    dt_dfilter *f = dt_dfilter_compile(expr, W.reg, err, sizeof err);
    if (!f) {
        print_error("compile '%s': %s\n", expr, err);
        return -1;
    }
    int r = dt_dfilter_match(f, &W.ev);
    dt_dfilter_free(f);
    return r;
}

#define YES(e) assert_int_equal(eval(e), 1)
#define NO(e) assert_int_equal(eval(e), 0)

static void test_comparisons(void **state)
{
    (void)state;
    YES("t.cmd == 5");
    YES("t.cmd eq 5");
    YES("t.cmd == CREATE");
    YES("t.cmd == create");
    NO("t.cmd == CLOSE");
    YES("t.cmd != 6");
    YES("t.cmd ne CLOSE");
    NO("t.cmd != 5");
    YES("t.status == 0xc0000034");
    YES("t.status == 3221225524");
    YES("t.status > 0 && t.status >= 0xc0000034 && t.status <= 0xc0000034 && t.status < 0xc0000035");
    YES("t.status gt 0 and t.status ge 1 and t.status le 0xffffffff and t.status lt 0xc0000035");
    NO("t.status < 0xc0000034");
    YES("t.neg == -12 && t.neg < 0 && t.neg > -13");
    NO("t.neg > 0");
    YES("t.ratio > 0.5 && t.ratio < 1");
    YES("t.flag == true && t.flag == 1 && t.flag != false");
    YES("t.cmd = 5"); /* a single '=' reads as == (Wireshark accepts it too) */
}

static void test_strings_bytes(void **state)
{
    (void)state;
    YES("t.name == \"beta\"");
    YES("t.name == beta");
    YES("t.name contains \"lph\"");
    NO("t.name contains \"LPH\"");
    YES("t.name matches \"^AL\""); /* matches is case-insensitive, as in Wireshark */
    NO("t.name matches \"(?-i)^AL\"");
    YES("t.name ~ \"^b.t\"");
    YES("t.name > \"alp\"");
    YES("summary contains \"\\\\srv\"");
    YES("summary matches \"not found$\"");
    YES("t.blob == 01:02:ab:cd");
    YES("t.blob == 0102abcd");
    YES("t.blob contains ab:cd");
    NO("t.blob contains cd:ab");
    YES("t.blob contains \"\\xab\"");
    YES("status == \"STATUS_OBJECT_NAME_NOT_FOUND\"");
    YES("proto == \"T\"");
}

static void test_multi_occurrence(void **state)
{
    (void)state;
    YES("t.name == alpha");        /* any equals */
    NO("t.name != alpha");          /* != : all differ (Wireshark 4) */
    YES("t.name != gamma");
    YES("t.name !== alpha");        /* any differs */
    YES("t.name ~= alpha");
    NO("t.name === alpha");         /* all equal */
    YES("t.name all_ne gamma && t.name any_eq beta");
    NO("t.absent != 1");            /* a comparison needs the field */
    NO("t.absent == 1");
    YES("!t.absent");
}

static void test_sets_existence_logic(void **state)
{
    (void)state;
    YES("t.cmd in {1 3..5}");
    YES("t.cmd in {1, 5}");
    NO("t.cmd in {1 6..9}");
    YES("t.name in {gamma \"beta\"}");
    YES("latency in {100ms..200ms}");
    YES("t.tree");
    YES("t");
    NO("diagtap");
    NO("t.absent");
    YES("t.tree and not t.absent");
    YES("t.absent or t.cmd == 5");
    YES("!(t.absent || t.cmd == 6) && (t.cmd == 5)");
    YES("t.absent || t.absent || t.cmd == 5");
    NO("t.cmd == 5 && !t.tree");
    YES("not not t.tree");
    YES("t.secret");                 /* a withheld credential is there ... */
    NO("t.secret contains \"red\""); /* ... but its value cannot be probed */
}

static void test_event_fields(void **state)
{
    (void)state;
    YES("latency > 100ms && latency < 0.2s && latency == 150000us");
    YES("latency >= 1.5e-1");
    NO("latency > 2s");
    YES("t.wait == 2.5ms && t.wait > 2499us && t.wait < 2500001ns");
    YES("dir == s2c && role == response && kind == pdu");
    NO("dir == c2s");
    YES("is_error && !malformed");
    YES("is_error == true");
    YES("seq == 42 && req_seq == 41 && len == 100 && conv.id == 7");
    YES("channel == \"lo\"");
    YES("conv.client == 10.0.0.0/8 && conv.client == 10.1.2.3 && conv.client_port == 40312");
    YES("conv.client == \"10.1.2.3:40312\"");
    YES("conv.server == fe80::/16 && conv.server_port == 445");
    NO("conv.server == 10.0.0.0/8");
    YES("conv.client contains \":403\"");
    YES("time == \"2026-11-21T11:23:08Z\" && time > \"2026-11-21 00:00:00Z\"");
    YES("time >= 1795260188");
    YES("t.addr == 192.168.2.0/24 && t.addr == 192.168.2.72 && t.addr > 192.168.2.1");
    NO("t.addr == 192.168.3.0/24");
    YES("t.addr6 == 2001:db8::/32 && t.addr6 == 2001:db8::5");
}

static void expect_error(const char *expr, const char *msg, const char *caret)
{
    char err[1024];
    dt_dfilter *f = dt_dfilter_compile(expr, W.reg, err, sizeof err);
    if (f) {
        dt_dfilter_free(f);
        fail_msg("'%s' compiled", expr);
    }
    char want[1024];
    snprintf(want, sizeof want, "%s\n%s\n%s", msg, expr, caret);
    if (strcmp(err, want) != 0)
        fail_msg("'%s':\n got: [%s]\nwant: [%s]", expr, err, want);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("t.cmd == 5 !", "unexpected '!' (expected 'and', 'or' or the end)", "           ^");
    expect_error("t.cmd == 5 &&", "unexpected end of expression (expected a field name, '!' or '(')",
                 "             ^");
    expect_error("t.nope == 1", "no field named 't.nope'; see diagtap fields", "^~~~~~");
    expect_error("t.cmd == OPEN", "'OPEN' is not a number nor a value name of this field", "         ^~~~");
    expect_error("(t.cmd == 5", "unmatched '('", "^");
    expect_error("t.cmd == 5)", "unexpected ')' (expected 'and', 'or' or the end)", "          ^");
    expect_error("t.name == \"abc", "unterminated string", "          ^~~~");
    expect_error("t.cmd # 5", "unexpected '#'", "      ^");
    expect_error("latency > 3 parsecs", "unexpected 'parsecs' (expected 'and', 'or' or the end)",
                 "            ^~~~~~~");
    expect_error("latency > 3x", "'3x' is not a duration (100ms, 2s, 1.5us, 1m30s)", "          ^~");
    expect_error("t.cmd contains 5", "'contains' needs a text or bytes field; 't.cmd' is not one", "      ^~~~~~~~");
    expect_error("t.tree == 1", "'t.tree' has no value to compare; test it alone", "       ^~");
    expect_error("t.addr == 300.1.1.1", "'300.1.1.1' is not an IPv4 address or CIDR block", "          ^~~~~~~~~");
    expect_error("t.addr > 10.0.0.0/8", "a CIDR block only goes with == and !=", "         ^~~~~~~~~~");
    expect_error("t.name matches \"(\"", "bad regular expression: missing closing parenthesis", "                 ^");
    expect_error("t.cmd in {}", "empty set", "          ^");
    expect_error("t.cmd in {1 2", "unexpected end of expression (expected a value or '}')", "             ^");
    expect_error("t.cmd in 1", "unexpected '1' (expected '{')", "         ^");
    expect_error("", "empty expression", "^");
    expect_error("time > \"yesterday\"",
                 "'yesterday' is not a time (\"2026-12-05 10:00:00\", \"2026-12-05T10:00:00Z\" or seconds since the epoch)",
                 "       ^~~~~~~~~~~");
    expect_error("== 5", "unexpected '==' (expected a field name, '!' or '(')", "^~");
}

static void test_deep_and_long(void **state)
{
    (void)state;
    /* a long chain of 'or's is as deep as it is long: evaluation must not
     * run out of stack; deep parentheses are refused with a message */
    static char buf[40000];
    size_t n = 0;
    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%st.absent", i ? " or " : "");
    snprintf(buf + n, sizeof buf - n, " or t.cmd == 5");
    YES(buf);
    n = 0;
    for (int i = 0; i < 300; i++)
        buf[n++] = '(';
    buf[n] = '\0';
    char err[1024];
    assert_null(dt_dfilter_compile(buf, W.reg, err, sizeof err));
    assert_non_null(strstr(err, "nested too deeply"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_comparisons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_occurrence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sets_existence_logic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_and_long, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
