/* The pcapng recorder, checked byte by byte: block framing, SHB/IDB options,
 * EPB direction flags, exported-PDU tags, splitting, 0600, write errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sink.h"
#include "testutil.h"

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

typedef struct block {
    uint32_t type;
    const uint8_t *body; /* after type and length */
    size_t body_len;     /* up to the trailing length */
} block;

/* Splits the file into blocks, checking each one's framing. */
static size_t split_blocks(const uint8_t *b, size_t n, block *out, size_t max)
{
    size_t off = 0, k = 0;
    while (off < n) {
        assert_true(n - off >= 12);
        uint32_t len = le32(b + off + 4);
        assert_int_equal(len % 4, 0);
        assert_true(len >= 12 && len <= n - off);
        assert_int_equal(le32(b + off + len - 4), len); /* trailing length repeats */
        assert_true(k < max);
        out[k].type = le32(b + off);
        out[k].body = b + off + 8;
        out[k].body_len = len - 12;
        k++;
        off += len;
    }
    return k;
}

/* Finds option code in an options area; returns its value or NULL. */
static const uint8_t *find_opt(const uint8_t *o, size_t n, uint16_t code, uint16_t *len)
{
    size_t off = 0;
    while (off + 4 <= n) {
        uint16_t c = le16(o + off), l = le16(o + off + 2);
        if (c == 0)
            return NULL;
        assert_true(off + 4 + l <= n);
        if (c == code) {
            *len = l;
            return o + off + 4;
        }
        off += 4 + ((l + 3u) & ~3u);
    }
    return NULL;
}

static void assert_opt_str(const uint8_t *o, size_t n, uint16_t code, const char *want)
{
    uint16_t len;
    const uint8_t *v = find_opt(o, n, code, &len);
    assert_non_null(v);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(v, want, len);
}

static char path[256];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "%s/dt-sinks-%d.pcapng", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

#define TS UINT64_C(1795000000123456789)

static void test_blocks(void **state)
{
    (void)state;
    char err[256] = "";
    dt_sink *s = dt_pcapng_sink_new(path, err, sizeof err);
    assert_non_null(s);
    dt_channel eth = { 0, "eth0", "Ethernet capture", 1 };
    dt_channel ipc = { 1, "stdio:lldb-vscode", "stdio wrapper", -1 };
    dt_conv_info conv = { 1, &ipc, "ide", "lldb-vscode" };
    static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 0x08, 0x06 };
    s->channel(s, &ipc); /* IPC: no IDB until its first record names the endpoints */
    s->channel(s, &eth);
    s->frame(s, &eth, TS, frame, sizeof frame, 1514, DT_EPB_INBOUND);
    s->stream(s, &conv, DT_DIR_C2S, TS + 1, "dap", (const uint8_t *)"Content-Length: 2\r\n\r\n{}", 23);
    s->stream(s, &conv, DT_DIR_S2C, TS + 2, "data", (const uint8_t *)"abcd", 4);
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);

    size_t n = 0;
    uint8_t *b = slurp(path, &n);
    assert_non_null(b);
    block blk[16];
    size_t k = split_blocks(b, n, blk, 16);
    assert_int_equal(k, 6); /* SHB, IDB eth, EPB, IDB ipc, EPB, EPB */

    /* SHB */
    assert_int_equal(blk[0].type, 0x0a0d0d0a);
    assert_int_equal(le32(blk[0].body), 0x1a2b3c4d);
    assert_int_equal(le16(blk[0].body + 4), 1);
    assert_int_equal(le16(blk[0].body + 6), 0);
    assert_opt_str(blk[0].body + 16, blk[0].body_len - 16, 4, "diagtap " DIAGTAP_VERSION);

    /* IDB 0: the Ethernet channel, written when it was announced. */
    assert_int_equal(blk[1].type, 1);
    assert_int_equal(le16(blk[1].body), 1);
    assert_opt_str(blk[1].body + 8, blk[1].body_len - 8, 2, "eth0");
    assert_opt_str(blk[1].body + 8, blk[1].body_len - 8, 3, "Ethernet capture");
    uint16_t len;
    const uint8_t *res = find_opt(blk[1].body + 8, blk[1].body_len - 8, 9, &len);
    assert_non_null(res);
    assert_int_equal(len, 1);
    assert_int_equal(res[0], 9);

    /* EPB of the frame: interface 0, ns timestamp, lengths, flags inbound. */
    assert_int_equal(blk[2].type, 6);
    const uint8_t *e = blk[2].body;
    assert_int_equal(le32(e), 0);
    assert_int_equal(((uint64_t)le32(e + 4) << 32) | le32(e + 8), TS);
    assert_int_equal(le32(e + 12), 60);
    assert_int_equal(le32(e + 16), 1514);
    assert_memory_equal(e + 20, frame, 60);
    const uint8_t *flags = find_opt(e + 80, blk[2].body_len - 80, 2, &len);
    assert_non_null(flags);
    assert_int_equal(len, 4);
    assert_int_equal(le32(flags), 1);

    /* IDB 1: the IPC channel, upper PDU, its description from the conversation. */
    assert_int_equal(blk[3].type, 1);
    assert_int_equal(le16(blk[3].body), 252);
    assert_opt_str(blk[3].body + 8, blk[3].body_len - 8, 2, "stdio:lldb-vscode");
    assert_opt_str(blk[3].body + 8, blk[3].body_len - 8, 3, "diagtap stream: ide <-> lldb-vscode");

    /* EPB of the DAP message: exported-PDU tags, then the bytes. */
    e = blk[4].body;
    assert_int_equal(le32(e), 1);
    uint32_t cap = le32(e + 12);
    const uint8_t *d = e + 20;
    assert_int_equal(be16(d), 12); /* EXP_PDU_TAG_DISSECTOR_NAME */
    assert_int_equal(be16(d + 2), 4);
    assert_memory_equal(d + 4, "dap\0", 4);
    assert_int_equal(be16(d + 8), 35); /* EXP_PDU_TAG_P2P_DIRECTION */
    assert_int_equal(be16(d + 10), 4);
    assert_int_equal(le32((const uint8_t[]){ d[15], d[14], d[13], d[12] }), 0); /* sent: client → server */
    assert_int_equal(be16(d + 16), 0); /* end of options */
    assert_int_equal(be16(d + 18), 0);
    assert_int_equal(cap, 20 + 23);
    assert_int_equal(le32(e + 16), 20 + 23);
    assert_memory_equal(d + 20, "Content-Length: 2\r\n\r\n{}", 23);
    size_t optoff = 20 + ((cap + 3) & ~3u);
    flags = find_opt(e + optoff, blk[4].body_len - optoff, 2, &len);
    assert_non_null(flags);
    assert_int_equal(le32(flags), 1);

    /* The reply: "data" fills its tag exactly; outbound. */
    e = blk[5].body;
    d = e + 20;
    assert_int_equal(be16(d + 2), 4);
    assert_memory_equal(d + 4, "data", 4);
    assert_int_equal(d[15], 1); /* received */
    optoff = 20 + ((le32(e + 12) + 3) & ~3u);
    flags = find_opt(e + optoff, blk[5].body_len - optoff, 2, &len);
    assert_int_equal(le32(flags), 2);
    free(b);
}

/* A PDU longer than Wireshark accepts in one record goes in pieces, all bytes kept. */
static void test_split_long_pdu(void **state)
{
    (void)state;
    char err[256];
    dt_sink *s = dt_pcapng_sink_new(path, err, sizeof err);
    assert_non_null(s);
    dt_channel ipc = { 0, "unix:/tmp/x.sock#1", NULL, -1 };
    dt_conv_info conv = { 1, &ipc, "client#1", "/tmp/x.sock" };
    size_t big = 600000;
    uint8_t *p = malloc(big);
    for (size_t i = 0; i < big; i++)
        p[i] = (uint8_t)(i * 7);
    s->stream(s, &conv, DT_DIR_S2C, TS, "dotnet-ipc", p, big);
    assert_int_equal(s->finish(s), 0);
    s->destroy(s);
    size_t n = 0;
    uint8_t *b = slurp(path, &n);
    block blk[16];
    size_t k = split_blocks(b, n, blk, 16);
    assert_int_equal(k, 2 + 3);
    size_t got = 0;
    for (size_t i = 2; i < k; i++) {
        uint32_t cap = le32(blk[i].body + 12);
        assert_true(cap <= 262144);
        const uint8_t *d = blk[i].body + 20;
        size_t tl = 4 + be16(d + 2) + 8 + 4;
        assert_memory_equal(d + 4, "dotnet-ipc", 10);
        assert_memory_equal(d + tl, p + got, cap - tl);
        got += cap - tl;
    }
    assert_int_equal(got, big);
    free(b);
    free(p);
}

static void test_mode_0600(void **state)
{
    (void)state;
    char err[256];
    mode_t old = umask(0);
    unlink(path);
    dt_sink *s = dt_pcapng_sink_new(path, err, sizeof err);
    umask(old);
    assert_non_null(s);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    s->finish(s);
    s->destroy(s);
    /* An existing, readable file is truncated and made private. */
    assert_int_equal(chmod(path, 0644), 0);
    s = dt_pcapng_sink_new(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    s->finish(s);
    s->destroy(s);
}

static void test_errors(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(dt_pcapng_sink_new("/nonexistent-dir/x.pcapng", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-dir/x.pcapng"));
    assert_non_null(strstr(err, "No such file"));

    /* A full disk: finish() reports the failure. */
    struct stat before, after;
    assert_int_equal(stat("/dev/full", &before), 0);
    dt_sink *s = dt_pcapng_sink_new("/dev/full", err, sizeof err);
    assert_non_null(s);
    dt_channel eth = { 0, "eth0", NULL, 1 };
    static const uint8_t frame[1500];
    s->channel(s, &eth);
    for (int i = 0; i < 100; i++)
        s->frame(s, &eth, TS + (uint64_t)i * 1000000000u, frame, sizeof frame, sizeof frame, DT_EPB_OUTBOUND);
    assert_int_equal(s->finish(s), -1);
    s->destroy(s);
    assert_int_equal(stat("/dev/full", &after), 0);
    assert_int_equal(before.st_mode, after.st_mode); /* devices keep their mode */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_long_pdu, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_0600, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
