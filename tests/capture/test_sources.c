/* Readers of recorded inputs: pcapng (interfaces of different link types,
 * both byte orders, several sections, gzip), classic pcap, nettrace, and the
 * error paths: files truncated at every record boundary and inside records,
 * and corrupt blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/linktype.h"
#include "capture/source.h"
#include "capwrite.h"

static char tmp_path[256];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(tmp_path, sizeof tmp_path, "/tmp/diagtap-capture-test-%d.bin", (int)getpid());
    return 0;
}

static int rm_tmp(void **state)
{
    (void)state;
    unlink(tmp_path);
    return 0;
}

static const uint8_t pkt_a[] = "packet A on eth0";
static const uint8_t pkt_b[] = "packet B on tun0, longer one";
static const uint8_t pkt_c[] = "C";
static const uint8_t pkt_d[] = "packet D: simple packet block";
static const uint8_t pkt_e[] = "packet E (obsolete PB)";
static const uint8_t pkt_f[] = "packet F in section two";

/* Two sections: the first in byte order swap1, the second in the other. */
static void build_pcapng(capbuf *c, bool swap1)
{
    memset(c, 0, sizeof *c);
    ng_shb(c, swap1);
    ng_idb(c, DT_LINKTYPE_ETHERNET, 65535, "eth0", "Ethernet port", 0);  /* microseconds */
    ng_idb(c, DT_LINKTYPE_IPV4, 1500, "tun0", NULL, 9);                  /* nanoseconds */
    ng_unknown(c, 0x0BAD, 10);                                             /* skipped */
    ng_epb(c, 0, 1700000000123456ull, pkt_a, sizeof pkt_a, 1);
    ng_epb(c, 1, 1700000000123456789ull, pkt_b, sizeof pkt_b, 2);
    ng_epb(c, 0, 1700000001000000ull, pkt_c, 1, 0);
    ng_spb(c, pkt_d, sizeof pkt_d);
    ng_pb(c, 1, 1700000002000000001ull, pkt_e, sizeof pkt_e);
    ng_shb(c, !swap1);
    ng_idb(c, DT_LINKTYPE_LINUX_SLL2, 262144, "any", "all interfaces", 0x80 | 20); /* 2^-20 s */
    ng_epb(c, 0, (uint64_t)1700000003 << 20 | (1u << 19), pkt_f, sizeof pkt_f, 0);
}

typedef struct expect_pkt {
    uint32_t iface;
    uint64_t ts;
    const uint8_t *data;
    size_t len;
    uint32_t flags;
} expect_pkt;

static const expect_pkt expected[] = {
    { 0, 1700000000123456000ull, pkt_a, sizeof pkt_a, 1 },
    { 1, 1700000000123456789ull, pkt_b, sizeof pkt_b, 2 },
    { 0, 1700000001000000000ull, pkt_c, 1, 0 },
    { 0, 1700000001000000000ull, pkt_d, sizeof pkt_d, 0 }, /* SPB: previous time, first interface */
    { 1, 1700000002000000001ull, pkt_e, sizeof pkt_e, 0 },
    { 2, 1700000003500000000ull, pkt_f, sizeof pkt_f, 0 },
};

static void read_and_check(bool gz, bool swap)
{
    capbuf c;
    build_pcapng(&c, swap);
    cb_write(&c, tmp_path, c.len, gz);
    char err[512];
    dt_source *s = dt_source_open(tmp_path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(dt_source_get_format(s), DT_SRC_PCAPNG);
    dt_packet p;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        assert_int_equal(dt_source_next(s, &p), 1);
        assert_int_equal(p.iface, expected[i].iface);
        assert_int_equal(p.ts_ns, expected[i].ts);
        assert_int_equal(p.caplen, expected[i].len);
        assert_memory_equal(p.data, expected[i].data, expected[i].len);
        assert_int_equal(p.epb_flags, expected[i].flags);
    }
    assert_int_equal(dt_source_next(s, &p), 0);
    assert_int_equal(dt_source_next(s, &p), 0);
    assert_int_equal(dt_source_n_ifaces(s), 3);
    const dt_source_iface *f0 = dt_source_iface_at(s, 0), *f1 = dt_source_iface_at(s, 1),
                          *f2 = dt_source_iface_at(s, 2);
    assert_int_equal(f0->linktype, DT_LINKTYPE_ETHERNET);
    assert_string_equal(f0->name, "eth0");
    assert_string_equal(f0->description, "Ethernet port");
    assert_int_equal(f1->linktype, DT_LINKTYPE_IPV4);
    assert_string_equal(f1->name, "tun0");
    assert_null(f1->description);
    assert_int_equal(f1->snaplen, 1500);
    assert_int_equal(f2->linktype, DT_LINKTYPE_LINUX_SLL2);
    assert_string_equal(f2->description, "all interfaces");
    dt_source_close(s);
    cb_free(&c);
}

static void test_pcapng_native(void **state) { (void)state; read_and_check(false, false); }
static void test_pcapng_swapped(void **state) { (void)state; read_and_check(false, true); }
static void test_pcapng_gz(void **state) { (void)state; read_and_check(true, false); read_and_check(true, true); }

/* Reads everything; returns the packet count, *rc the final next() result. */
static int drain(dt_source *s, int *rc)
{
    dt_packet p;
    int n = 0, r;
    while ((r = dt_source_next(s, &p)) == 1)
        n++;
    *rc = r;
    return n;
}

static bool has_offset(const char *msg, size_t off)
{
    char want[64];
    snprintf(want, sizeof want, ": offset %zu: ", off);
    return strstr(msg, want) != NULL && strncmp(msg, tmp_path, strlen(tmp_path)) == 0;
}

/* Cuts c at every length; packets before the cut must come out, a cut inside
 * a block must be an error naming the block's offset, a cut at a boundary a
 * clean end. first_data: where the first record starts (the header before). */
static void truncate_everywhere(const capbuf *c, size_t header_len, bool gz)
{
    for (size_t cut = 0; cut < c->len; cut++) {
        cb_write(c, tmp_path, cut, gz);
        char err[512] = "";
        dt_source *s = dt_source_open(tmp_path, err, sizeof err);
        if (cut < header_len) {
            assert_null(s);
            assert_true(strstr(err, tmp_path) == err);
            if (cut > 0)
                assert_true(has_offset(err, 0));
            continue;
        }
        assert_non_null(s);
        int rc;
        int n = drain(s, &rc);
        int whole = 0;
        bool boundary = cut == c->len;
        size_t partial_at = 0;
        for (int b = 0; b < c->n_blocks; b++) {
            size_t start = c->starts[b];
            size_t stop = b + 1 < c->n_blocks ? c->starts[b + 1] : c->len;
            if (stop <= cut)
                whole += c->is_packet[b];
            if (start == cut)
                boundary = true;
            if (start < cut && cut < stop)
                partial_at = start;
        }
        if (cut == header_len)
            boundary = true;
        assert_int_equal(n, whole);
        if (boundary) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -1);
            if (!has_offset(dt_source_error(s), partial_at))
                fail_msg("cut %zu: '%s' does not name offset %zu", cut, dt_source_error(s), partial_at);
        }
        dt_source_close(s);
    }
}

static void test_pcapng_truncated(void **state)
{
    (void)state;
    for (int swap = 0; swap < 2; swap++) {
        capbuf c;
        build_pcapng(&c, swap);
        size_t shb_len = c.starts[1];
        truncate_everywhere(&c, shb_len, false);
        cb_free(&c);
    }
}

/* Records of many sizes over several of the reader's 256 KiB read-ahead
 * buffers: those used in place and those lying across a buffer's end come
 * out the same, and a file cut inside one past the first buffer names it. */
#define ACROSS_N 200
static void test_across_buffers(void **state)
{
    (void)state;
    static uint8_t data[9000 + ACROSS_N];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    for (int v = 0; v < 8; v++) {
        bool ng = v & 1, swap = v & 2, gz = v & 4;
        capbuf c;
        memset(&c, 0, sizeof c);
        if (ng) {
            ng_shb(&c, swap);
            ng_idb(&c, DT_LINKTYPE_RAW, 0, NULL, NULL, 9);
        } else {
            pc_header(&c, swap, true, 101);
        }
        int first = c.n_blocks;
        uint32_t lens[ACROSS_N], x = 12345;
        for (int i = 0; i < ACROSS_N; i++) {
            x = x * 1103515245u + 12345u;
            lens[i] = 1 + (x >> 8) % 9000;
            if (ng)
                ng_epb(&c, 0, 1700000000000000000ull + (uint64_t)i, data + i, lens[i], 0);
            else
                pc_record(&c, 1700000000, (uint32_t)i, data + i, lens[i]);
        }
        assert_true(c.len > 3 * 256 * 1024);
        cb_write(&c, tmp_path, c.len, gz);
        char err[512];
        dt_source *s = dt_source_open(tmp_path, err, sizeof err);
        assert_non_null(s);
        dt_packet p;
        for (int i = 0; i < ACROSS_N; i++) {
            assert_int_equal(dt_source_next(s, &p), 1);
            assert_int_equal(p.caplen, lens[i]);
            assert_memory_equal(p.data, data + i, lens[i]);
            assert_int_equal(p.offset, c.starts[first + i]);
            assert_int_equal(p.ts_ns, 1700000000000000000ull + (uint64_t)i);
        }
        assert_int_equal(dt_source_next(s, &p), 0);
        dt_source_close(s);

        /* cut inside the record that holds byte 600 000 */
        int k = 0;
        while (c.starts[first + k + 1] <= 600000)
            k++;
        size_t at = c.starts[first + k];
        cb_write(&c, tmp_path, at + 8 + lens[k] / 2, gz);
        assert_non_null(s = dt_source_open(tmp_path, err, sizeof err));
        int rc;
        assert_int_equal(drain(s, &rc), k);
        assert_int_equal(rc, -1);
        if (!has_offset(dt_source_error(s), at))
            fail_msg("'%s' lacks offset %zu", dt_source_error(s), at);
        dt_source_close(s);
        cb_free(&c);
    }
}

static void build_pcap(capbuf *c, bool swap, bool nano)
{
    memset(c, 0, sizeof *c);
    pc_header(c, swap, nano, 101);
    pc_record(c, 1700000000, nano ? 5 : 7, pkt_a, sizeof pkt_a);
    pc_record(c, 1700000001, 0, pkt_b, sizeof pkt_b);
    pc_record(c, 1700000002, 999, pkt_c, 1);
}

static void test_pcap_read(void **state)
{
    (void)state;
    for (int v = 0; v < 8; v++) {
        bool swap = v & 1, nano = v & 2, gz = v & 4;
        capbuf c;
        build_pcap(&c, swap, nano);
        cb_write(&c, tmp_path, c.len, gz);
        char err[512];
        dt_source *s = dt_source_open(tmp_path, err, sizeof err);
        assert_non_null(s);
        assert_int_equal(dt_source_get_format(s), DT_SRC_PCAP);
        assert_int_equal(dt_source_iface_at(s, 0)->linktype, DT_LINKTYPE_RAW); /* DLT_RAW mapped back */
        dt_packet p;
        assert_int_equal(dt_source_next(s, &p), 1);
        assert_int_equal(p.ts_ns, 1700000000000000000ull + (nano ? 5 : 7000));
        assert_int_equal(p.offset, 24);
        assert_memory_equal(p.data, pkt_a, sizeof pkt_a);
        assert_int_equal(dt_source_next(s, &p), 1);
        assert_int_equal(p.caplen, sizeof pkt_b);
        assert_int_equal(dt_source_next(s, &p), 1);
        assert_int_equal(p.ts_ns, 1700000002000000000ull + (nano ? 999 : 999000));
        assert_int_equal(dt_source_next(s, &p), 0);
        dt_source_close(s);
        cb_free(&c);
    }
}

static void test_pcap_truncated(void **state)
{
    (void)state;
    for (int swap = 0; swap < 2; swap++) {
        capbuf c;
        build_pcap(&c, swap, true);
        truncate_everywhere(&c, 24, false);
        cb_free(&c);
    }
}

static void expect_corrupt(capbuf *c, size_t at, const char *what)
{
    cb_write(c, tmp_path, c->len, false);
    char err[512];
    dt_source *s = dt_source_open(tmp_path, err, sizeof err);
    assert_non_null(s);
    int rc;
    int n = drain(s, &rc);
    assert_int_equal(rc, -1);
    assert_int_equal(n, 1); /* the packet before the fault */
    if (!has_offset(dt_source_error(s), at) || !strstr(dt_source_error(s), what))
        fail_msg("'%s' lacks offset %zu or '%s'", dt_source_error(s), at, what);
    dt_source_close(s);
}

static void one_good(capbuf *c)
{
    memset(c, 0, sizeof *c);
    ng_shb(c, false);
    ng_idb(c, DT_LINKTYPE_RAW, 0, NULL, NULL, 0);
    ng_epb(c, 0, 1, pkt_a, sizeof pkt_a, 0);
}

static void test_pcapng_corrupt(void **state)
{
    (void)state;
    capbuf c;
    one_good(&c);
    size_t at = c.len;
    ng_epb(&c, 5, 1, pkt_b, sizeof pkt_b, 0); /* interface 5 was never declared */
    expect_corrupt(&c, at, "interface 5");
    cb_free(&c);

    one_good(&c);
    at = c.len;
    ng_epb(&c, 0, 1, pkt_b, sizeof pkt_b, 0);
    c.b[c.len - 1] ^= 0x40; /* trailer disagrees with the header */
    expect_corrupt(&c, at, "trailer");
    cb_free(&c);

    one_good(&c);
    at = c.len;
    cb_u32(&c, 6);
    cb_u32(&c, 13); /* not a multiple of 4 */
    cb_bytes(&c, NULL, 16);
    expect_corrupt(&c, at, "invalid length 13");
    cb_free(&c);

    one_good(&c);
    at = c.len;
    ng_epb(&c, 0, 1, pkt_b, sizeof pkt_b, 0);
    uint32_t big = 4096; /* captured length beyond the block */
    memcpy(c.b + at + 20, &big, 4);
    expect_corrupt(&c, at, "captured length 4096");
    cb_free(&c);
}

static void test_random_corruption(void **state)
{
    (void)state;
    /* random bytes overwritten: an error or fewer packets, never a crash */
    uint32_t x = 4242;
    for (int round = 0; round < 400; round++) {
        capbuf c;
        if (round % 2)
            build_pcapng(&c, round % 4 == 1);
        else
            build_pcap(&c, round % 4 == 2, true);
        int flips = 1 + (int)((x = x * 1103515245u + 12345u) >> 16) % 4;
        for (int i = 0; i < flips; i++) {
            x = x * 1103515245u + 12345u;
            size_t at = (x >> 8) % c.len;
            c.b[at] = (uint8_t)(x >> 3);
        }
        cb_write(&c, tmp_path, c.len, round % 3 == 0);
        char err[512];
        dt_source *s = dt_source_open(tmp_path, err, sizeof err);
        if (!s) {
            assert_true(strstr(err, tmp_path) == err);
        } else {
            int rc;
            drain(s, &rc);
            assert_true(rc == 0 || (rc == -1 && strstr(dt_source_error(s), ": offset ")));
            dt_source_close(s);
        }
        cb_free(&c);
    }
}

static void test_gz_truncated(void **state)
{
    (void)state;
    /* a compressed file cut short: what decompressed is still read */
    capbuf c;
    memset(&c, 0, sizeof c);
    ng_shb(&c, false);
    ng_idb(&c, DT_LINKTYPE_RAW, 0, NULL, NULL, 0);
    uint8_t noise[1500];
    uint32_t x = 12345;
    for (int i = 0; i < 200; i++) {
        for (size_t k = 0; k < sizeof noise; k++)
            noise[k] = (uint8_t)((x = x * 1103515245u + 12345u) >> 24);
        ng_epb(&c, 0, (uint64_t)i, noise, sizeof noise, 0);
    }
    cb_write(&c, tmp_path, c.len, true);
    FILE *f = fopen(tmp_path, "rb");
    assert_non_null(f);
    static uint8_t z[1 << 20];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    f = fopen(tmp_path, "wb");
    assert_int_equal(fwrite(z, 1, zn / 2, f), zn / 2);
    fclose(f);
    char err[512];
    dt_source *s = dt_source_open(tmp_path, err, sizeof err);
    assert_non_null(s);
    int rc;
    int n = drain(s, &rc);
    assert_int_equal(rc, -1);
    assert_true(n > 10 && n < 200);
    assert_non_null(strstr(dt_source_error(s), ": offset "));
    dt_source_close(s);
    cb_free(&c);
}

/* 200 packets of incompressible noise, gzip-compressed, in z (returns its size) */
static size_t noisy_gz(capbuf *c, uint8_t *z, size_t zcap)
{
    memset(c, 0, sizeof *c);
    ng_shb(c, false);
    ng_idb(c, DT_LINKTYPE_RAW, 0, NULL, NULL, 0);
    uint8_t noise[1500];
    uint32_t x = 777;
    for (int i = 0; i < 200; i++) {
        for (size_t k = 0; k < sizeof noise; k++)
            noise[k] = (uint8_t)((x = x * 1103515245u + 12345u) >> 24);
        ng_epb(c, 0, (uint64_t)i, noise, sizeof noise, 0);
    }
    cb_write(c, tmp_path, c->len, true);
    FILE *f = fopen(tmp_path, "rb");
    assert_non_null(f);
    size_t zn = fread(z, 1, zcap, f);
    fclose(f);
    assert_true(zn > 1000 && zn < zcap);
    return zn;
}

static void put_file(const uint8_t *b, size_t n)
{
    FILE *f = fopen(tmp_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void test_gz_damaged(void **state)
{
    (void)state;
    static uint8_t z[1 << 20], two[2 << 20];
    capbuf c;
    size_t zn = noisy_gz(&c, z, sizeof z);
    char err[512];
    int rc;

    /* a wrong CRC in the trailer: every packet inflated before it is read */
    z[zn - 8] ^= 0xff;
    put_file(z, zn);
    dt_source *s = dt_source_open(tmp_path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(drain(s, &rc), 200);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(dt_source_error(s), "gzip: incorrect data check near compressed byte"));
    char want[64];
    snprintf(want, sizeof want, ": offset %zu: ", c.len);
    assert_non_null(strstr(dt_source_error(s), want));
    dt_source_close(s);
    z[zn - 8] ^= 0xff;

    /* a damaged block header in the middle (incompressible data is stored in
     * blocks whose LEN/NLEN check fails when hit): the packets before it */
    memcpy(two, z, zn);
    for (size_t i = zn / 2; i < zn / 2 + 64; i++)
        two[i] = 0x55;
    put_file(two, zn);
    s = dt_source_open(tmp_path, err, sizeof err);
    assert_non_null(s);
    int n = drain(s, &rc);
    assert_int_equal(rc, -1);
    assert_true(n > 50 && n < 200);
    assert_non_null(strstr(dt_source_error(s), ": offset "));
    dt_source_close(s);

    /* two members back to back (cat a.gz b.gz) are one file, as for gzip -d;
     * bytes after them that are not gzip are ignored, as gzip does */
    memcpy(two, z, zn);
    memcpy(two + zn, z, zn);
    /* the second member repeats the SHB and IDB: a new section, same packets */
    memcpy(two + 2 * zn, "trailing", 8);
    put_file(two, 2 * zn + 8);
    s = dt_source_open(tmp_path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(drain(s, &rc), 400);
    assert_int_equal(rc, 0);
    dt_source_close(s);
    cb_free(&c);
}

static void test_nettrace_and_unknown(void **state)
{
    (void)state;
    capbuf c;
    memset(&c, 0, sizeof c);
    cb_bytes(&c, "Nettrace", 8);
    for (int i = 0; i < 100000; i++) {
        uint8_t b = (uint8_t)i;
        cb_bytes(&c, &b, 1);
    }
    cb_write(&c, tmp_path, c.len, false);
    char err[512];
    dt_source *s = dt_source_open(tmp_path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(dt_source_get_format(s), DT_SRC_NETTRACE);
    assert_int_equal(dt_source_iface_at(s, 0)->linktype, DT_LINKTYPE_NETTRACE);
    dt_packet p;
    assert_int_equal(dt_source_next(s, &p), 1);
    assert_int_equal(p.caplen, 65536);
    assert_memory_equal(p.data, "Nettrace", 8);
    assert_int_equal(dt_source_next(s, &p), 1);
    assert_int_equal(p.caplen, 100008 - 65536);
    assert_int_equal(p.offset, 65536);
    assert_int_equal(dt_source_next(s, &p), 0);
    dt_source_close(s);

    cb_write(&c, tmp_path, 0, false);
    assert_null(dt_source_open(tmp_path, err, sizeof err));
    assert_non_null(strstr(err, "empty"));
    memcpy(c.b, "GIF89a..", 8);
    cb_write(&c, tmp_path, 64, false);
    assert_null(dt_source_open(tmp_path, err, sizeof err));
    assert_non_null(strstr(err, "not a pcap, pcapng or nettrace file"));
    assert_null(dt_source_open("/nonexistent/x.pcap", err, sizeof err));
    assert_string_equal(err, "/nonexistent/x.pcap: No such file or directory");
    cb_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pcapng_native, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_pcapng_swapped, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_pcapng_gz, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_pcapng_truncated, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_pcap_read, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_across_buffers, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_pcap_truncated, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_pcapng_corrupt, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_random_corruption, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_gz_truncated, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_gz_damaged, make_tmp, rm_tmp),
        cmocka_unit_test_setup_teardown(test_nettrace_and_unknown, make_tmp, rm_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
