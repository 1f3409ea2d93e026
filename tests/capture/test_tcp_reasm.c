/* TCP reassembly through its own callback interface. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "capture/tcp_reasm.h"

typedef struct sink {
    char text[4096]; /* data as is, gaps as "<gap N>", end as "<end>" */
    size_t len;
    int gaps;
    uint64_t gap_bytes;
    int ends;
} sink;

static void put(sink *s, const char *d, size_t n)
{
    assert_true(s->len + n < sizeof s->text);
    memcpy(s->text + s->len, d, n);
    s->len += n;
    s->text[s->len] = 0;
}

static void on_data(void *ctx, int dir, uint64_t ts, const uint8_t *d, size_t n)
{
    (void)dir;
    (void)ts;
    assert_true(n > 0);
    put(ctx, (const char *)d, n);
}

static void on_gap(void *ctx, int dir, uint64_t ts, uint64_t n)
{
    (void)dir;
    (void)ts;
    sink *s = ctx;
    char b[32];
    int k = snprintf(b, sizeof b, "<gap %llu>", (unsigned long long)n);
    put(s, b, (size_t)k);
    s->gaps++;
    s->gap_bytes += n;
}

static void on_end(void *ctx, int dir, uint64_t ts)
{
    (void)dir;
    (void)ts;
    sink *s = ctx;
    put(s, "<end>", 5);
    s->ends++;
}

typedef struct fixture {
    sink s;
    dt_tcp_half h;
    dt_tcp_out o;
} fixture;

static void setup_fx(fixture *f, uint32_t isn, uint32_t limit)
{
    memset(f, 0, sizeof *f);
    dt_tcp_half_init(&f->h, limit);
    dt_tcp_half_syn(&f->h, isn);
    f->o = (dt_tcp_out){ on_data, on_gap, on_end, &f->s };
}

/* A segment with text at its offset from the first data byte. */
static void seg(fixture *f, uint32_t isn, uint32_t off, const char *text, bool fin)
{
    dt_tcp_half_segment(&f->h, &f->o, 0, 0, isn + 1 + off, (const uint8_t *)text, strlen(text), fin);
}

static void test_in_order(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 1000, 0);
    seg(&f, 1000, 0, "hello ", false);
    seg(&f, 1000, 6, "world", false);
    assert_string_equal(f.s.text, "hello world");
    assert_int_equal(dt_tcp_half_buffered(&f.h), 0);
    dt_tcp_half_free(&f.h);
}

static void test_reordered(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 5, 0);
    seg(&f, 5, 8, "cccc", false);
    seg(&f, 5, 4, "bbbb", false);
    assert_string_equal(f.s.text, "");
    assert_int_equal(dt_tcp_half_buffered(&f.h), 8);
    seg(&f, 5, 0, "aaaa", false);
    assert_string_equal(f.s.text, "aaaabbbbcccc");
    assert_int_equal(dt_tcp_half_buffered(&f.h), 0);
    dt_tcp_half_free(&f.h);
}

static void test_duplicated(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 77, 0);
    seg(&f, 77, 0, "abc", false);
    seg(&f, 77, 0, "abc", false);  /* retransmission */
    seg(&f, 77, 3, "def", false);
    seg(&f, 77, 6, "ghi", false);
    seg(&f, 77, 6, "ghi", false);
    seg(&f, 77, 12, "mno", false); /* ahead of a hole, then again */
    seg(&f, 77, 12, "mno", false);
    seg(&f, 77, 9, "jkl", false);
    assert_string_equal(f.s.text, "abcdefghijklmno");
    assert_int_equal(f.s.gaps, 0);
    dt_tcp_half_free(&f.h);
}

static void test_overlapping(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 0, 0);
    seg(&f, 0, 0, "0123", false);
    seg(&f, 0, 2, "23456", false);   /* overlaps delivered bytes */
    seg(&f, 0, 10, "ABCD", false);   /* waits */
    seg(&f, 0, 12, "CDEFG", false);  /* overlaps and extends what waits */
    seg(&f, 0, 8, "89AB", false);    /* fills the hole, overlaps waiting */
    seg(&f, 0, 6, "67", false);     /* half old, half new */
    assert_string_equal(f.s.text, "0123456789ABCDEFG");
    seg(&f, 0, 0, "0123456789ABCDEFGHIJ", false); /* a big retransmission extending the end */
    assert_string_equal(f.s.text, "0123456789ABCDEFGHIJ");
    dt_tcp_half_free(&f.h);
}

static void test_missing_acked(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 100, 0);
    f.h.patience = 0; /* give up a hole as soon as it is acknowledged */
    seg(&f, 100, 0, "head-", false);
    seg(&f, 100, 15, "tail", false); /* 10 bytes never captured */
    assert_string_equal(f.s.text, "head-");
    dt_tcp_half_ack(&f.h, &f.o, 0, 0, 101 + 19); /* the peer got everything */
    assert_string_equal(f.s.text, "head-<gap 10>tail");
    assert_int_equal(f.s.gap_bytes, 10);
    seg(&f, 100, 19, "-more", false); /* resync: decoding continues */
    assert_string_equal(f.s.text, "head-<gap 10>tail-more");
    seg(&f, 100, 7, "late", false);   /* the lost segment arrives after all: ignored */
    assert_string_equal(f.s.text, "head-<gap 10>tail-more");
    dt_tcp_half_free(&f.h);
}

static void test_ack_past_everything(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 1, 0);
    f.h.patience = 0;
    seg(&f, 1, 0, "ab", false);
    dt_tcp_half_ack(&f.h, &f.o, 0, 0, 2 + 2 + 6); /* 6 bytes we never saw, nothing waiting */
    assert_string_equal(f.s.text, "ab<gap 6>");
    dt_tcp_half_ack(&f.h, &f.o, 0, 0, 2 + 2);     /* an old ACK: nothing */
    assert_string_equal(f.s.text, "ab<gap 6>");
    dt_tcp_half_free(&f.h);
}

static void test_fin(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 9, 0);
    seg(&f, 9, 3, "def", true); /* FIN arrives before the data in front of it */
    assert_int_equal(f.s.ends, 0);
    seg(&f, 9, 0, "abc", false);
    assert_string_equal(f.s.text, "abcdef<end>");
    seg(&f, 9, 6, "zzz", false); /* after the FIN: ignored */
    assert_string_equal(f.s.text, "abcdef<end>");
    dt_tcp_half_free(&f.h);
}

static void test_fin_with_hole_acked(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 9, 0);
    f.h.patience = 0;
    seg(&f, 9, 0, "ab", false);
    seg(&f, 9, 4, "ef", true);
    dt_tcp_half_ack(&f.h, &f.o, 0, 0, 10 + 6 + 1); /* ACK of the FIN */
    assert_string_equal(f.s.text, "ab<gap 2>ef<end>");
    dt_tcp_half_free(&f.h);
}

static void test_ack_before_data(void **state)
{
    (void)state;
    /* captures reorder: the ACK shows up before the segment it acknowledges */
    fixture f;
    setup_fx(&f, 300, 0);
    seg(&f, 300, 0, "one ", false);
    dt_tcp_half_ack(&f.h, &f.o, 0, 0, 301 + 12);
    dt_tcp_half_tick(&f.h, &f.o, 0, 0);
    seg(&f, 300, 8, "tree", false);
    dt_tcp_half_tick(&f.h, &f.o, 0, 0);
    seg(&f, 300, 4, "two ", false);
    for (int i = 0; i < 3 * DT_TCP_ACK_PATIENCE; i++)
        dt_tcp_half_tick(&f.h, &f.o, 0, 0);
    assert_string_equal(f.s.text, "one two tree");
    assert_int_equal(f.s.gaps, 0);
    /* but a hole that stays: a gap once enough packets went by */
    seg(&f, 300, 16, "five", false);
    dt_tcp_half_ack(&f.h, &f.o, 0, 0, 301 + 20);
    for (int i = 0; i < DT_TCP_ACK_PATIENCE - 1; i++)
        dt_tcp_half_tick(&f.h, &f.o, 0, 0);
    assert_int_equal(f.s.gaps, 0);
    dt_tcp_half_tick(&f.h, &f.o, 0, 0);
    assert_string_equal(f.s.text, "one two tree<gap 4>five");
    dt_tcp_half_free(&f.h);
}

static void test_hold_release(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 0, 64);
    seg(&f, 0, 0, "a", false);
    dt_tcp_half_hold(&f.h);
    seg(&f, 0, 1, "bc", false);
    seg(&f, 0, 4, "e", true);
    assert_string_equal(f.s.text, "a");
    dt_tcp_half_release(&f.h, &f.o, 0, 0);
    assert_string_equal(f.s.text, "abc");
    seg(&f, 0, 3, "d", false);
    assert_string_equal(f.s.text, "abcde<end>");
    /* holding more than the window lets go instead of losing data */
    dt_tcp_half_free(&f.h);
    setup_fx(&f, 0, 8);
    dt_tcp_half_hold(&f.h);
    seg(&f, 0, 0, "12345", false);
    seg(&f, 0, 5, "6789", false);
    assert_string_equal(f.s.text, "123456789");
    assert_int_equal(f.s.gaps, 0);
    dt_tcp_half_free(&f.h);
}

static void test_flush_at_close(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 50, 0);
    seg(&f, 50, 0, "a", false);
    seg(&f, 50, 3, "d", false);
    seg(&f, 50, 6, "g", false);
    dt_tcp_half_flush(&f.h, &f.o, 0, 0);
    assert_string_equal(f.s.text, "a<gap 2>d<gap 2>g");
    dt_tcp_half_free(&f.h);
}

static void test_too_much_waiting(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 0, 16); /* at most 16 bytes ahead of the next expected byte */
    seg(&f, 0, 0, "xy", false);
    seg(&f, 0, 4, "0123456789", false); /* fits: ends at 14 */
    assert_string_equal(f.s.text, "xy");
    seg(&f, 0, 14, "abcdefgh", false); /* would end at 20: the hole is given up */
    assert_string_equal(f.s.text, "xy<gap 2>0123456789abcdefgh");
    seg(&f, 0, 100, "far", false); /* far ahead, nothing waiting: a gap to it */
    assert_string_equal(f.s.text, "xy<gap 2>0123456789abcdefgh<gap 78>far");
    dt_tcp_half_free(&f.h);
}

static void test_many_holes(void **state)
{
    (void)state;
    fixture f;
    setup_fx(&f, 0, 1u << 20);
    /* every other byte: more separate ranges than the reassembler keeps */
    char expect[512] = "";
    for (int i = 1; i < 2 * (DT_TCP_MAX_HOLES + 4); i += 2)
        seg(&f, 0, (uint32_t)i, "o", false);
    assert_true(f.s.gaps > 0);   /* it had to give up the first holes */
    dt_tcp_half_flush(&f.h, &f.o, 0, 0);
    size_t os = 0;
    for (size_t i = 0; i < f.s.len; i++)
        os += f.s.text[i] == 'o';
    assert_int_equal(os, DT_TCP_MAX_HOLES + 4); /* every byte that came is handed on once */
    (void)expect;
    dt_tcp_half_free(&f.h);
}

static void test_sequence_wrap(void **state)
{
    (void)state;
    fixture f;
    uint32_t isn = 0xFFFFFFF0u;
    setup_fx(&f, isn, 0);
    seg(&f, isn, 20, "after-wrap", false);
    seg(&f, isn, 0, "0123456789abcdefghij", false);
    assert_string_equal(f.s.text, "0123456789abcdefghijafter-wrap");
    dt_tcp_half_free(&f.h);
}

static void test_no_syn_start(void **state)
{
    (void)state;
    sink s;
    memset(&s, 0, sizeof s);
    dt_tcp_half h;
    dt_tcp_half_init(&h, 0);
    dt_tcp_out o = { on_data, on_gap, on_end, &s };
    /* mid-stream: the first segment seen starts the stream */
    dt_tcp_half_segment(&h, &o, 1, 0, 424242, (const uint8_t *)"mid", 3, false);
    dt_tcp_half_segment(&h, &o, 1, 0, 424245, (const uint8_t *)"dle", 3, false);
    assert_string_equal(s.text, "middle");
    dt_tcp_half_free(&h);
    /* started by the peer's ACK: data at that point continues it... */
    memset(&s, 0, sizeof s);
    dt_tcp_half_init(&h, 0);
    dt_tcp_half_ack(&h, &o, 1, 0, 5000);
    dt_tcp_half_segment(&h, &o, 1, 0, 5000, (const uint8_t *)"ok", 2, false);
    assert_string_equal(s.text, "ok");
    dt_tcp_half_free(&h);
    /* ...but an ACK far from the first data was stale: no absurd gap */
    memset(&s, 0, sizeof s);
    dt_tcp_half_init(&h, 0);
    dt_tcp_half_ack(&h, &o, 1, 0, 0);
    dt_tcp_half_segment(&h, &o, 1, 0, 0x70000000u, (const uint8_t *)"fresh", 5, false);
    assert_string_equal(s.text, "fresh");
    dt_tcp_half_free(&h);
}

/* Random segments, overlaps, ACKs, holds and FINs: every byte handed on is
 * the source byte at its stream position, gaps included; nothing loops. */
typedef struct checker {
    const uint8_t *src;
    uint64_t pos;
    bool ended;
} checker;

static void chk_data(void *ctx, int dir, uint64_t ts, const uint8_t *d, size_t n)
{
    (void)dir;
    (void)ts;
    checker *c = ctx;
    assert_false(c->ended);
    assert_memory_equal(d, c->src + c->pos, n);
    c->pos += n;
}

static void chk_gap(void *ctx, int dir, uint64_t ts, uint64_t n)
{
    (void)dir;
    (void)ts;
    checker *c = ctx;
    assert_true(n > 0);
    c->pos += n;
}

static void chk_end(void *ctx, int dir, uint64_t ts)
{
    (void)dir;
    (void)ts;
    ((checker *)ctx)->ended = true;
}

static void test_random(void **state)
{
    (void)state;
    enum { LEN = 3000 };
    static uint8_t src[LEN];
    uint32_t x = 99;
#define RND() ((x = x * 1103515245u + 12345u) >> 8)
    for (size_t i = 0; i < LEN; i++)
        src[i] = (uint8_t)RND();
    for (int round = 0; round < 3000; round++) {
        checker c = { src, 0, false };
        dt_tcp_out o = { chk_data, chk_gap, chk_end, &c };
        dt_tcp_half h;
        dt_tcp_half_init(&h, 64 + RND() % 2048);
        h.patience = RND() % 4;
        uint32_t isn = RND() * 7919u;
        dt_tcp_half_syn(&h, isn);
        bool fin_sent = false;
        for (int op = 0; op < 120; op++) {
            uint32_t kind = RND() % 10;
            uint32_t off = RND() % LEN, n = 1 + RND() % 300;
            if (off + n > LEN)
                n = LEN - off;
            if (kind < 6) {
                bool fin = off + n == LEN && RND() % 2;
                fin_sent |= fin;
                dt_tcp_half_segment(&h, &o, 0, 0, isn + 1 + off, src + off, n, fin);
            } else if (kind == 6) {
                dt_tcp_half_ack(&h, &o, 0, 0, isn + 1 + off);
            } else if (kind == 7) {
                dt_tcp_half_tick(&h, &o, 0, 0);
            } else if (kind == 8) {
                dt_tcp_half_hold(&h);
            } else {
                dt_tcp_half_release(&h, &o, 0, 0);
            }
            assert_true(c.pos <= LEN);
        }
        dt_tcp_half_flush(&h, &o, 0, 0);
        assert_int_equal(dt_tcp_half_buffered(&h), 0);
        if (c.ended)
            assert_true(fin_sent && c.pos == LEN);
        dt_tcp_half_free(&h);
    }
#undef RND
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),        cmocka_unit_test(test_reordered),
        cmocka_unit_test(test_duplicated),      cmocka_unit_test(test_overlapping),
        cmocka_unit_test(test_missing_acked),   cmocka_unit_test(test_ack_past_everything),
        cmocka_unit_test(test_fin),             cmocka_unit_test(test_fin_with_hole_acked),
        cmocka_unit_test(test_ack_before_data), cmocka_unit_test(test_hold_release),
        cmocka_unit_test(test_flush_at_close),  cmocka_unit_test(test_too_much_waiting),
        cmocka_unit_test(test_many_holes),      cmocka_unit_test(test_sequence_wrap),
        cmocka_unit_test(test_no_syn_start),     cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
