/* A fixed-size byte ring: what one direction of a relay holds between a
 * read from one side and a write to the other. Reads and writes go straight
 * between the ring and a file descriptor (readv/writev), with no copies. */
#ifndef DIAGTAP_IPC_RING_H
#define DIAGTAP_IPC_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

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

/* Reads once from fd into the free space. On success (> 0) got[0..1] point
 * at the new bytes, in order (got[1].iov_len may be 0). Returns what read()
 * returns; 0 when the ring is full is impossible (callers check). */
ssize_t dt_ring_read_fd(dt_ring *r, int fd, struct iovec got[2]);

/* Writes at most max bytes of the held data to fd. Returns what writev()
 * returns. */
ssize_t dt_ring_write_fd(dt_ring *r, int fd, size_t max);

#endif
