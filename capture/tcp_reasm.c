#include <stdlib.h>
#include <string.h>

#include "tcp_reasm.h"

/* Sequence numbers compare modulo 2^32. */
static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

void dt_tcp_half_init(dt_tcp_half *h, uint32_t limit)
{
    memset(h, 0, sizeof *h);
    h->limit = limit ? limit : DT_TCP_DEFAULT_LIMIT;
    h->patience = DT_TCP_ACK_PATIENCE;
}

void dt_tcp_half_free(dt_tcp_half *h)
{
    free(h->buf);
    h->buf = NULL;
    h->cap = 0;
    h->n_iv = 0;
}

void dt_tcp_half_syn(dt_tcp_half *h, uint32_t isn)
{
    if (h->started)
        return;
    h->started = true;
    h->next = isn + 1;
}

size_t dt_tcp_half_buffered(const dt_tcp_half *h)
{
    size_t n = 0;
    for (unsigned i = 0; i < h->n_iv; i++)
        n += h->iv[i].hi - h->iv[i].lo;
    return n;
}

/* next moves k bytes on; the waiting bytes move with it. */
static void advance(dt_tcp_half *h, uint32_t k)
{
    uint32_t top = h->n_iv ? h->iv[h->n_iv - 1].hi : 0;
    if (k < top)
        memmove(h->buf, h->buf + k, top - k);
    unsigned w = 0;
    for (unsigned i = 0; i < h->n_iv; i++) {
        if (h->iv[i].hi <= k)
            continue;
        h->iv[w].lo = h->iv[i].lo > k ? h->iv[i].lo - k : 0;
        h->iv[w].hi = h->iv[i].hi - k;
        w++;
    }
    h->n_iv = w;
    h->next += k;
}

static void flush_prefix(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts)
{
    while (!h->hold && h->n_iv && h->iv[0].lo == 0) {
        uint32_t n = h->iv[0].hi;
        o->data(o->ctx, dir, ts, h->buf, n);
        advance(h, n);
    }
}

static void skip_hole(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts, uint32_t n)
{
    if (n) {
        o->gap(o->ctx, dir, ts, n);
        advance(h, n);
    }
    flush_prefix(h, o, dir, ts);
}

static void check_end(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts)
{
    if (h->fin && !h->ended && h->next == h->fin_seq && h->n_iv == 0) {
        h->ended = true;
        if (o->end)
            o->end(o->ctx, dir, ts);
    }
}

static bool room_for(dt_tcp_half *h, uint32_t lo, uint32_t hi)
{
    if (hi > h->limit)
        return false;
    if (h->n_iv == DT_TCP_MAX_HOLES) {
        /* only if it touches an existing range (no new entry needed) */
        bool touches = false;
        for (unsigned i = 0; i < h->n_iv && !touches; i++)
            touches = lo <= h->iv[i].hi && hi >= h->iv[i].lo;
        if (!touches)
            return false;
    }
    if (hi > h->cap) {
        size_t cap = h->cap ? h->cap : 4096;
        while (cap < hi)
            cap *= 2;
        if (cap > h->limit)
            cap = h->limit;
        uint8_t *b = realloc(h->buf, cap);
        if (!b)
            return false;
        h->buf = b;
        h->cap = cap;
    }
    return true;
}

static void store(dt_tcp_half *h, uint32_t lo, const uint8_t *d, uint32_t n)
{
    uint32_t hi = lo + n;
    memcpy(h->buf + lo, d, n);
    /* insert [lo, hi) and merge what it overlaps or touches */
    unsigned i = 0;
    while (i < h->n_iv && h->iv[i].hi < lo)
        i++;
    unsigned j = i;
    while (j < h->n_iv && h->iv[j].lo <= hi) {
        if (h->iv[j].lo < lo)
            lo = h->iv[j].lo;
        if (h->iv[j].hi > hi)
            hi = h->iv[j].hi;
        j++;
    }
    /* ranges i..j-1 collapse into one */
    if (j == i) {
        memmove(&h->iv[i + 1], &h->iv[i], (h->n_iv - i) * sizeof h->iv[0]);
        h->n_iv++;
    } else if (j > i + 1) {
        memmove(&h->iv[i + 1], &h->iv[j], (h->n_iv - j) * sizeof h->iv[0]);
        h->n_iv -= j - i - 1;
    }
    h->iv[i].lo = lo;
    h->iv[i].hi = hi;
}

void dt_tcp_half_segment(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts, uint32_t seq,
                         const uint8_t *d, size_t n, bool fin)
{
    if (!h->started) {
        h->started = true;
        h->next = seq;
    }
    if (h->ended)
        return;
    if (h->from_ack) {
        /* An ACK seen before any data said where data starts; data far
         * from there means that ACK was stale: start at the data instead. */
        h->from_ack = false;
        uint32_t d0 = seq - h->next;
        if (d0 > h->limit && (uint32_t)(h->next - seq) > h->limit)
            h->next = seq;
    }
    if (fin && !h->fin && n <= UINT32_MAX && !seq_lt(seq + (uint32_t)n, h->next)) {
        h->fin = true;
        h->fin_seq = seq + (uint32_t)n;
    }
    if (n > h->limit) { /* never in real TCP (64 KiB + TSO); keep the arithmetic 32-bit */
        uint32_t cut = (uint32_t)n - h->limit;
        d += cut;
        seq += cut;
        n = h->limit;
    }
    for (;;) {
        if (seq_lt(seq, h->next)) {
            uint32_t k = h->next - seq;
            if (k >= n) {
                n = 0;
            } else {
                d += k;
                n -= k;
                seq = h->next;
            }
        }
        if (h->fin && n && seq_lt(h->fin_seq, seq + (uint32_t)n))
            n = seq_lt(seq, h->fin_seq) ? h->fin_seq - seq : 0;
        if (n == 0)
            break;
        uint32_t off = seq - h->next;
        if (off == 0 && !h->hold) {
            o->data(o->ctx, dir, ts, d, n);
            advance(h, (uint32_t)n);
            flush_prefix(h, o, dir, ts);
            break;
        }
        if (room_for(h, off, off + (uint32_t)n)) {
            store(h, off, d, (uint32_t)n);
            break;
        }
        if (h->hold) { /* no room to hold back more */
            dt_tcp_half_release(h, o, dir, ts);
            continue;
        }
        /* too much waiting: give up on the first hole */
        uint32_t hole = off;
        if (h->n_iv && h->iv[0].lo < hole)
            hole = h->iv[0].lo;
        skip_hole(h, o, dir, ts, hole);
    }
    if (h->ack_wait && !seq_lt(h->next, h->ack_to))
        h->ack_wait = false; /* the acknowledged data came after all */
    check_end(h, o, dir, ts);
}

/* Gives up the holes before target. */
static void skip_to(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts, uint32_t target)
{
    h->hold = false; /* holding would leave the hole at offset 0 */
    while (seq_lt(h->next, target)) {
        uint32_t hole = target - h->next;
        if (h->n_iv && h->iv[0].lo < hole)
            hole = h->iv[0].lo;
        skip_hole(h, o, dir, ts, hole);
    }
    h->ack_wait = false;
    check_end(h, o, dir, ts);
}

void dt_tcp_half_ack(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts, uint32_t ack)
{
    if (!h->started) {
        h->started = true;
        h->from_ack = true;
        h->next = ack;
        return;
    }
    if (h->ended)
        return;
    uint32_t target = ack;
    if (h->fin && seq_lt(h->fin_seq, target))
        target = h->fin_seq;
    if (!seq_lt(h->next, target) || target - h->next > (1u << 30))
        return; /* nothing missed, or a bogus acknowledgement */
    if (h->patience == 0) {
        skip_to(h, o, dir, ts, target);
        return;
    }
    if (!h->ack_wait) {
        h->ack_wait = true;
        h->ack_age = 0;
        h->ack_ts = ts;
        h->ack_to = target;
    } else if (seq_lt(h->ack_to, target)) {
        h->ack_to = target;
    }
}

void dt_tcp_half_tick(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts)
{
    if (!h->ack_wait)
        return;
    if (!seq_lt(h->next, h->ack_to) || h->ended)
        h->ack_wait = false;
    else if (++h->ack_age >= h->patience || ts >= h->ack_ts + DT_TCP_ACK_WAIT_NS)
        skip_to(h, o, dir, ts, h->ack_to);
}

void dt_tcp_half_hold(dt_tcp_half *h) { h->hold = true; }

void dt_tcp_half_release(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts)
{
    if (!h->hold)
        return;
    h->hold = false;
    flush_prefix(h, o, dir, ts);
    check_end(h, o, dir, ts);
}

void dt_tcp_half_flush(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts)
{
    h->hold = false;
    if (h->ack_wait && !h->ended)
        skip_to(h, o, dir, ts, h->ack_to);
    while (h->n_iv)
        skip_hole(h, o, dir, ts, h->iv[0].lo);
    h->ack_wait = false;
    check_end(h, o, dir, ts);
}
