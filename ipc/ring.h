/* A fixed-size byte ring: what one direction of a relay holds between a
 * read from one side and a write to the other. The I/O layer reads straight
 * into its free space and writes straight from what it holds (two segments
 * across the wrap-around): no copies. A read into the free space and a
 * write of the held bytes may be in flight at the same time. */
#ifndef DIAGTAP_IPC_RING_H
#define DIAGTAP_IPC_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct dt_ring {
    uint8_t *buf;
    size_t cap;
    size_t head; /* first byte not yet written out */
    size_t len;  /* bytes held */
} dt_ring;

int dt_ring_init(dt_ring *r, size_t cap);
void dt_ring_free(dt_ring *r);

static inline bool dt_ring_full(const dt_ring *r) { return r->len == r->cap; }
static inline bool dt_ring_empty(const dt_ring *r) { return r->len == 0; }

/* The contiguous free space after the held bytes: *p and its length (0 when
 * full). Bytes read there are added with dt_ring_produced. */
size_t dt_ring_space(const dt_ring *r, uint8_t **p);
void dt_ring_produced(dt_ring *r, size_t n);
/* The held bytes as two segments, in order (the second may be empty). */
void dt_ring_held(const dt_ring *r, const uint8_t **a, size_t *na, const uint8_t **b, size_t *nb);
/* n held bytes were written out. When the ring is empty and no read is in
 * flight (idle), it restarts at 0 so later reads stay contiguous. */
void dt_ring_consumed(dt_ring *r, size_t n, bool idle);
/* Drops everything held. */
void dt_ring_clear(dt_ring *r);
/* Moves the held bytes, in order from offset 0, into a new buffer of cap
 * bytes (>= len). Only while no read or write is in flight on the ring.
 * -1 when out of memory (the ring is unchanged). */
int dt_ring_resize(dt_ring *r, size_t cap);

#endif
