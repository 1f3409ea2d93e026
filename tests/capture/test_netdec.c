/* Network decoding into the real engine: link layers, IPv4 fragments, IPv6
 * extension headers, TCP direction/reassembly/closing, UDP, exported-PDU
 * streams, flow expiry. Events are collected by a test sink and decoded by
 * the "lines" test protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "capture/linktype.h"
#include "capture/netdec.h"
#include "collect.h"
#include "core/engine.h"
#include "core/registry.h"
#include "line_proto.h"

#define SEC 1000000000ull
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

typedef struct world {
    dt_registry *reg;
    dt_engine *eng;
    dt_netdec *nd;
    collect col;
    const dt_channel *ch;
    int linktype;
    uint64_t ts;
} world;

static void world_open(world *w, int linktype, const dt_netdec_limits *lim)
{
    memset(w, 0, sizeof *w);
    w->reg = dt_registry_new();
    assert_int_equal(line_proto_register(w->reg), 0);
    w->eng = dt_engine_new(w->reg);
    collect_init(&w->col);
    dt_engine_add_sink(w->eng, &w->col.sink);
    w->linktype = linktype;
    w->ch = dt_engine_channel(w->eng, "test0", NULL, linktype == DT_LINKTYPE_UPPER_PDU ? -1 : linktype);
    w->nd = dt_netdec_new(w->eng, w->reg, lim);
    w->ts = 1700000000 * SEC;
}

static void world_close(world *w)
{
    dt_netdec_finish(w->nd, w->ts);
    dt_engine_finish(w->eng, w->ts);
    dt_engine_free(w->eng);
    dt_netdec_free(w->nd);
    dt_registry_free(w->reg);
}

static void feed(world *w, const uint8_t *frame, size_t len)
{
    w->ts += 1000;
    dt_netdec_packet(w->nd, w->ch, w->linktype, w->ts, frame, len, len, 0);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* IPv4 header + payload; returns the length. */
static size_t ip4(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id, uint16_t frag,
                  const uint8_t *payload, size_t n)
{
    memset(b, 0, 20);
    b[0] = 0x45;
    put16(b + 2, (uint16_t)(20 + n));
    put16(b + 4, id);
    put16(b + 6, frag);
    b[8] = 64;
    b[9] = proto;
    put32(b + 12, src);
    put32(b + 16, dst);
    memcpy(b + 20, payload, n);
    return 20 + n;
}

static size_t tcp_seg(uint8_t *b, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                      const char *data)
{
    size_t n = data ? strlen(data) : 0;
    memset(b, 0, 20);
    put16(b, sport);
    put16(b + 2, dport);
    put32(b + 4, seq);
    put32(b + 8, ack);
    b[12] = 5 << 4;
    b[13] = flags;
    put16(b + 14, 65535);
    if (n)
        memcpy(b + 20, data, n);
    return 20 + n;
}

#define CLI_IP 0x0a000001u
#define SRV_IP 0x0a000002u

/* Ethernet (with an 802.1Q tag when vlan) + IPv4 + TCP. */
static size_t eth_tcp(uint8_t *f, bool vlan, bool from_client, uint16_t cport, uint32_t seq, uint32_t ack,
                      uint8_t flags, const char *data)
{
    uint8_t seg[2048], *p = f;
    memset(p, 0, 12);
    p[5] = 1;
    p[11] = 2;
    p += 12;
    if (vlan) {
        put16(p, 0x8100);
        put16(p + 2, 42);
        p += 4;
    }
    put16(p, 0x0800);
    p += 2;
    size_t sn = from_client ? tcp_seg(seg, cport, 7777, seq, ack, flags, data)
                            : tcp_seg(seg, 7777, cport, seq, ack, flags, data);
    p += ip4(p, from_client ? CLI_IP : SRV_IP, from_client ? SRV_IP : CLI_IP, 6, 1, 0x4000, seg, sn);
    return (size_t)(p - f);
}

static void tcp_send(world *w, bool vlan, bool from_client, uint32_t seq, uint32_t ack, uint8_t flags,
                     const char *data)
{
    uint8_t f[2100];
    feed(w, f, eth_tcp(f, vlan, from_client, 40000, seq, ack, flags, data));
}

static void expect_order(const collect *c, const char *const *texts)
{
    int at = 0;
    for (; *texts; texts++) {
        int i = collect_find(c, at, *texts);
        if (i < 0) {
            collect_dump(c);
            fail_msg("missing, or out of order: '%s'", *texts);
        }
        at = i + 1;
    }
}

static void test_tcp_session(void **state)
{
    (void)state;
    world w;
    world_open(&w, DT_LINKTYPE_ETHERNET, NULL);
    const uint32_t C = 1000, S = 5000; /* initial sequence numbers */
    tcp_send(&w, true, true, C, 0, TH_SYN, NULL);
    tcp_send(&w, true, false, S, C + 1, TH_SYN | TH_ACK, NULL);
    tcp_send(&w, true, true, C + 1, S + 1, TH_ACK, NULL);
    tcp_send(&w, true, true, C + 1 + 4, S + 1, TH_ACK, "1\nREQ 2\n"); /* before its start */
    tcp_send(&w, true, true, C + 1, S + 1, TH_ACK, "REQ ");
    tcp_send(&w, true, true, C + 1, S + 1, TH_ACK, "REQ 1\n");          /* retransmitted */
    tcp_send(&w, true, false, S + 1, C + 13, TH_ACK, "RSP 1\nRSP 2\n");
    tcp_send(&w, true, true, C + 13, S + 13, TH_ACK | TH_FIN, NULL);
    assert_int_equal(dt_netdec_open_flows(w.nd), 1);
    tcp_send(&w, true, false, S + 13, C + 14, TH_ACK | TH_FIN, NULL);
    assert_int_equal(dt_netdec_open_flows(w.nd), 0); /* closed on the second FIN */
    tcp_send(&w, true, true, C + 14, S + 14, TH_ACK, NULL); /* the last ACK opens nothing */
    assert_int_equal(dt_netdec_open_flows(w.nd), 0);
    world_close(&w);
    expect_order(&w.col, (const char *const[]){ "PDU c2s #1 line REQ 1", "PDU c2s #1 line REQ 2",
                                                "PDU s2c #1 line RSP 1", "PDU s2c #1 line RSP 2", NULL });
    assert_int_equal(collect_find(&w.col, 0, "ERROR"), -1);
    assert_int_equal(w.col.frames, 10);
    assert_string_equal(w.col.client, "10.0.0.1:40000");
    assert_string_equal(w.col.server, "10.0.0.2:7777");
}

static void test_tcp_no_syn(void **state)
{
    (void)state;
    /* picked up mid-stream, the server speaks first: direction from the known port */
    world w;
    world_open(&w, DT_LINKTYPE_ETHERNET, NULL);
    tcp_send(&w, false, false, 700, 300, TH_ACK, "RSP 9\n");
    tcp_send(&w, false, true, 300, 706, TH_ACK, "REQ 10\n");
    world_close(&w);
    expect_order(&w.col, (const char *const[]){ "PDU s2c #1 line RSP 9", "PDU c2s #1 line REQ 10", NULL });
    assert_string_equal(w.col.server, "10.0.0.2:7777");
}

static void test_tcp_gap_resync(void **state)
{
    (void)state;
    world w;
    world_open(&w, DT_LINKTYPE_ETHERNET, NULL);
    const uint32_t C = 1, S = 1;
    tcp_send(&w, false, true, C, 0, TH_SYN, NULL);
    tcp_send(&w, false, true, C + 1, S, TH_ACK, "first\n");
    /* "lost\n" (5 bytes) never captured */
    tcp_send(&w, false, true, C + 12, S, TH_ACK, "third\n");
    tcp_send(&w, false, false, S, C + 18, TH_ACK, "ok\n"); /* the server got it all */
    tcp_send(&w, false, true, C + 18, S + 3, TH_ACK | TH_RST, NULL);
    world_close(&w);
    /* the hole is given up at the reset (a few packets later it would be too) */
    expect_order(&w.col, (const char *const[]){ "line first", "PDU s2c #1 line ok", "ERROR c2s #1 missing 5 bytes",
                                                "line third", "NOTE c2s #1 connection reset", NULL });
}

static void test_tick_gives_up_holes(void **state)
{
    (void)state;
    /* live: the data before an ACK was never captured; no more packets come */
    world w;
    world_open(&w, DT_LINKTYPE_ETHERNET, NULL);
    tcp_send(&w, false, true, 10, 0, TH_SYN, NULL);
    tcp_send(&w, false, true, 11, 1, TH_ACK, "REQ 1\n");
    /* "REQ 2\n" lost; the server answers both */
    tcp_send(&w, false, false, 1, 23, TH_ACK, "RSP 1\nRSP 2\n");
    int held = collect_find(&w.col, 0, "line RSP 1");
    dt_netdec_tick(w.nd, w.ts + SEC / 2);
    assert_int_equal(collect_find(&w.col, 0, "missing"), -1);
    dt_netdec_tick(w.nd, w.ts + 3 * SEC);
    expect_order(&w.col, (const char *const[]){ "line REQ 1", "ERROR c2s #1 missing 6 bytes", "line RSP 1",
                                                "line RSP 2", NULL });
    assert_int_equal(held, -1); /* the responses waited for the requests' fate */
    world_close(&w);
}

static void test_ipv4_fragments_udp(void **state)
{
    (void)state;
    world w;
    world_open(&w, DT_LINKTYPE_IPV4, NULL);
    char line[1600];
    memset(line, 'x', sizeof line);
    memcpy(line, "fragmented ", 11);
    line[sizeof line - 1] = '\n';
    uint8_t udp[8 + sizeof line];
    put16(udp, 50000);
    put16(udp + 2, 7777);
    put16(udp + 4, (uint16_t)sizeof udp);
    put16(udp + 6, 0);
    memcpy(udp + 8, line, sizeof line);
    /* three fragments of 600, 600, rest: sent last, first, middle, first again */
    uint8_t f[800];
    const size_t cuts[] = { 0, 600, 1200, sizeof udp };
    const int order[] = { 2, 0, 1, 0 };
    for (int k = 0; k < 4; k++) {
        int i = order[k];
        uint16_t frag = (uint16_t)(cuts[i] / 8) | (i < 2 ? 0x2000 : 0);
        if (k == 3) /* a duplicate of a used fragment: the datagram was already delivered */
            frag = 0x2000;
        feed(&w, f, ip4(f, CLI_IP, SRV_IP, 17, 77, frag, udp + cuts[i], cuts[i + 1] - cuts[i]));
    }
    world_close(&w);
    int i = collect_find(&w.col, 0, "PDU c2s #1 line fragmented xxxx");
    if (i < 0)
        collect_dump(&w.col);
    assert_true(i >= 0);
    assert_int_equal(collect_find(&w.col, i + 1, "line fragmented"), -1); /* exactly once */
}

static void test_other_link_layers(void **state)
{
    (void)state;
    static const int types[] = { DT_LINKTYPE_LINUX_SLL, DT_LINKTYPE_LINUX_SLL2, DT_LINKTYPE_NULL, DT_LINKTYPE_LOOP,
                                 DT_LINKTYPE_RAW, DT_LINKTYPE_IPV4 };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        world w;
        world_open(&w, types[t], NULL);
        uint8_t seg[64], ip[128], f[160];
        size_t sn = tcp_seg(seg, 40001, 7777, 10, 0, TH_ACK, "REQ 5\n");
        size_t in = ip4(ip, CLI_IP, SRV_IP, 6, 1, 0, seg, sn);
        size_t hl = 0;
        memset(f, 0, sizeof f);
        switch (types[t]) {
        case DT_LINKTYPE_LINUX_SLL: hl = 16; put16(f + 14, 0x0800); break;
        case DT_LINKTYPE_LINUX_SLL2: hl = 20; put16(f, 0x0800); break;
        case DT_LINKTYPE_NULL: hl = 4; f[0] = 2; break; /* little-endian AF_INET */
        case DT_LINKTYPE_LOOP: hl = 4; f[3] = 2; break;
        default: break;
        }
        memcpy(f + hl, ip, in);
        memset(f + hl + in, 0xEE, 6); /* link-layer padding after the IP packet */
        feed(&w, f, hl + in + 6);
        world_close(&w);
        if (collect_find(&w.col, 0, "PDU c2s #1 line REQ 5") < 0) {
            collect_dump(&w.col);
            fail_msg("link type %d", types[t]);
        }
    }
}

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    world w;
    world_open(&w, DT_LINKTYPE_IPV6, NULL);
    uint8_t f[256];
    memset(f, 0, sizeof f);
    f[0] = 0x60;
    f[6] = 0;  /* hop-by-hop */
    f[7] = 64;
    f[23] = 1; /* ::1 → ::2 */
    f[39] = 2;
    uint8_t *p = f + 40;
    p[0] = 60; /* hop-by-hop → destination options */
    p[1] = 0;
    p += 8;
    p[0] = 6;  /* destination options (16 bytes) → TCP */
    p[1] = 1;
    p += 16;
    size_t sn = tcp_seg(p, 40002, 7777, 1, 0, TH_ACK, "REQ 6\n");
    put16(f + 4, (uint16_t)(8 + 16 + sn));
    feed(&w, f, 40 + 8 + 16 + sn);
    world_close(&w);
    if (collect_find(&w.col, 0, "PDU c2s #1 line REQ 6") < 0)
        collect_dump(&w.col);
    assert_true(collect_find(&w.col, 0, "PDU c2s #1 line REQ 6") >= 0);
    assert_string_equal(w.col.client, "[::1]:40002");
    assert_string_equal(w.col.server, "[::2]:7777");
}

static void test_ipv6_fragments(void **state)
{
    (void)state;
    world w;
    world_open(&w, DT_LINKTYPE_LINUX_SLL2, NULL);
    char line[200];
    memset(line, 'y', sizeof line);
    memcpy(line, "six ", 4);
    line[sizeof line - 1] = '\n';
    uint8_t udp[8 + sizeof line];
    put16(udp, 50001);
    put16(udp + 2, 7777);
    put16(udp + 4, (uint16_t)sizeof udp);
    put16(udp + 6, 0);
    memcpy(udp + 8, line, sizeof line);
    const size_t cut = 104; /* a multiple of 8 */
    for (int k = 1; k >= 0; k--) { /* the second fragment first */
        uint8_t f[400];
        memset(f, 0, sizeof f);
        put16(f, 0x86DD); /* SLL2 protocol */
        uint8_t *ip = f + 20;
        ip[0] = 0x60;
        ip[6] = 44; /* fragment header */
        ip[7] = 64;
        ip[23] = 1;
        ip[39] = 2;
        uint8_t *fh = ip + 40;
        fh[0] = 17;
        size_t off = k ? cut : 0, n = k ? sizeof udp - cut : cut;
        put16(fh + 2, (uint16_t)(off | (k ? 0 : 1)));
        put32(fh + 4, 0xabcdef);
        memcpy(fh + 8, udp + off, n);
        put16(ip + 4, (uint16_t)(8 + n));
        feed(&w, f, 20 + 40 + 8 + n);
    }
    world_close(&w);
    if (collect_find(&w.col, 0, "PDU c2s #1 line six yyy") < 0)
        collect_dump(&w.col);
    assert_true(collect_find(&w.col, 0, "PDU c2s #1 line six yyy") >= 0);
    assert_string_equal(w.col.client, "[::1]:50001");
}

static size_t upper_pdu(uint8_t *f, const char *proto, const char *data)
{
    size_t n = strlen(proto), padded = (n + 3) & ~(size_t)3;
    put16(f, 12);
    put16(f + 2, (uint16_t)padded);
    memset(f + 4, 0, padded);
    memcpy(f + 4, proto, n);
    size_t off = 4 + padded;
    put16(f + off, 0);
    put16(f + off + 2, 0);
    off += 4;
    memcpy(f + off, data, strlen(data));
    return off + strlen(data);
}

static void test_upper_pdu_stream(void **state)
{
    (void)state;
    world w;
    memset(&w, 0, sizeof w);
    w.reg = dt_registry_new();
    line_proto_register(w.reg);
    w.eng = dt_engine_new(w.reg);
    collect_init(&w.col);
    dt_engine_add_sink(w.eng, &w.col.sink);
    w.ch = dt_engine_channel(w.eng, "unix:/tmp/x.sock", "diagtap stream: ide <-> adapter", -1);
    w.nd = dt_netdec_new(w.eng, w.reg, NULL);
    w.ts = 5 * SEC;
    uint8_t f[256];
    size_t n = upper_pdu(f, "lines", "REQ 3\nRE");
    dt_netdec_packet(w.nd, w.ch, DT_LINKTYPE_UPPER_PDU, w.ts, f, n, n, 1);
    n = upper_pdu(f, "lines", "Q 4\n");
    dt_netdec_packet(w.nd, w.ch, DT_LINKTYPE_UPPER_PDU, w.ts + 1, f, n, n, 1);
    n = upper_pdu(f, "lines", "RSP 3\n");
    dt_netdec_packet(w.nd, w.ch, DT_LINKTYPE_UPPER_PDU, w.ts + 2, f, n, n, 2);
    world_close(&w);
    expect_order(&w.col, (const char *const[]){ "PDU c2s #1 line REQ 3", "PDU c2s #1 line REQ 4",
                                                "PDU s2c #1 line RSP 3", NULL });
    assert_string_equal(w.col.client, "ide");
    assert_string_equal(w.col.server, "adapter");
    assert_int_equal(w.col.frames, 0); /* IPC bytes are not frames */
    assert_int_equal(w.col.stream_bytes, 8 + 4 + 6);
}

static void test_idle_and_flow_limit(void **state)
{
    (void)state;
    dt_netdec_limits lim = { .idle_ns = 60 * SEC, .max_flows = 2 };
    world w;
    world_open(&w, DT_LINKTYPE_ETHERNET, &lim);
    uint8_t f[200];
    for (uint16_t port = 41000; port < 41003; port++) /* three flows, room for two */
        feed(&w, f, eth_tcp(f, false, true, port, 1, 0, TH_SYN, NULL));
    assert_int_equal(dt_netdec_open_flows(w.nd), 2);
    w.ts += 61 * SEC;
    feed(&w, f, eth_tcp(f, false, true, 41005, 1, 0, TH_SYN, NULL));
    assert_int_equal(dt_netdec_open_flows(w.nd), 1); /* the idle ones are gone */
    world_close(&w);
    expect_order(&w.col, (const char *const[]){ "NOTE c2s #1 closed: too many open conversations",
                                                "closed after 60 s without traffic", NULL });
}

static void test_garbage_frames(void **state)
{
    (void)state;
    /* short and nonsensical frames of every link type: nothing breaks */
    static const int types[] = { DT_LINKTYPE_ETHERNET, DT_LINKTYPE_LINUX_SLL, DT_LINKTYPE_LINUX_SLL2,
                                 DT_LINKTYPE_NULL, DT_LINKTYPE_RAW, DT_LINKTYPE_IPV6, DT_LINKTYPE_UPPER_PDU };
    uint8_t f[128];
    uint32_t x = 7;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        world w;
        world_open(&w, types[t], NULL);
        for (int i = 0; i < 2000; i++) {
            size_t n = (size_t)(i % 97);
            for (size_t k = 0; k < n; k++)
                f[k] = (uint8_t)((x = x * 1103515245u + 12345u) >> 23);
            if (n > 0 && i % 3 == 0)
                f[0] = (uint8_t)(i & 1 ? 0x45 : 0x60);
            feed(&w, f, n);
        }
        world_close(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_session),        cmocka_unit_test(test_tcp_no_syn),
        cmocka_unit_test(test_tcp_gap_resync),     cmocka_unit_test(test_tick_gives_up_holes),     cmocka_unit_test(test_ipv4_fragments_udp),
        cmocka_unit_test(test_other_link_layers),  cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_upper_pdu_stream),   cmocka_unit_test(test_idle_and_flow_limit),
        cmocka_unit_test(test_garbage_frames),     cmocka_unit_test(test_ipv6_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
