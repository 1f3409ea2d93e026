/* One direction of a TCP connection, put back in order.
 *
 * In-order data is handed on at once without copying; data ahead of a hole
 * waits in a per-direction buffer (bounded). A hole that will never be filled
 * becomes a gap: the peer acknowledged past it (and a few more packets of the
 * connection went by without it: captures do reorder a segment after its
 * ACK), the connection ended, or too much is waiting behind it. Bytes already handed on are never handed on
 * again (a retransmission or overlap only fills what is still missing; among
 * bytes still waiting, the latest copy wins).
 */
#ifndef DIAGTAP_CAPTURE_TCP_REASM_H
#define DIAGTAP_CAPTURE_TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_TCP_MAX_HOLES 32
#define DT_TCP_DEFAULT_LIMIT (2u * 1024u * 1024u)
#define DT_TCP_ACK_PATIENCE 16 /* packets an acknowledged hole may wait */
#define DT_TCP_ACK_WAIT_NS 2000000000ull /* and for how long */

typedef struct dt_tcp_out {
    void (*data)(void *ctx, int dir, uint64_t ts_ns, const uint8_t *d, size_t n);
    void (*gap)(void *ctx, int dir, uint64_t ts_ns, uint64_t n);
    void (*end)(void *ctx, int dir, uint64_t ts_ns); /* the FIN was reached in order */
    void *ctx;
} dt_tcp_out;

typedef struct dt_tcp_range {
    uint32_t lo, hi; /* offsets from next, [lo, hi) */
} dt_tcp_range;

typedef struct dt_tcp_half {
    bool started;
    bool from_ack;           /* next came from the peer's ACK; no data seen yet */
    bool fin;                /* fin_seq is known */
    bool ended;              /* the FIN was reached: no more data */
    uint32_t next;           /* next sequence number to hand on */
    uint32_t fin_seq;
    uint32_t limit;          /* most bytes waiting ahead of next */
    bool ack_wait;           /* the peer acknowledged up to ack_to, past next */
    uint32_t ack_to;
    unsigned ack_age;        /* packets seen since */
    uint64_t ack_ts;         /* when */
    unsigned patience;       /* DT_TCP_ACK_PATIENCE; 0: give up at the ACK */
    bool hold;               /* keep even in-order data back (see dt_tcp_half_hold) */
    uint8_t *buf;            /* buf[i] is sequence number next + i */
    size_t cap;
    dt_tcp_range iv[DT_TCP_MAX_HOLES];
    unsigned n_iv;
} dt_tcp_half;

void dt_tcp_half_init(dt_tcp_half *h, uint32_t limit);
void dt_tcp_half_free(dt_tcp_half *h);
/* A SYN (or SYN-ACK) with this sequence number: data starts at isn + 1. */
void dt_tcp_half_syn(dt_tcp_half *h, uint32_t isn);
void dt_tcp_half_segment(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts, uint32_t seq,
                         const uint8_t *d, size_t n, bool fin);
/* The peer acknowledged everything before ack. */
void dt_tcp_half_ack(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts, uint32_t ack);
/* Another packet of the connection went by, or time passed (ts): an
 * acknowledged hole that has waited long enough becomes a gap. */
void dt_tcp_half_tick(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts);
/* While the peer's earlier data is missing (its hole was acknowledged, so it
 * was sent before what comes now), this direction's data waits, so that a
 * reordered capture still yields requests before their responses. */
void dt_tcp_half_hold(dt_tcp_half *h);
void dt_tcp_half_release(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts);
/* No more segments will come: hand on what waits, holes as gaps. */
void dt_tcp_half_flush(dt_tcp_half *h, const dt_tcp_out *o, int dir, uint64_t ts);
/* Bytes waiting behind holes. */
size_t dt_tcp_half_buffered(const dt_tcp_half *h);

#endif
