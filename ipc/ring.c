#include "ring.h"

#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

int dt_ring_init(dt_ring *r, size_t cap)
{
    r->buf = malloc(cap);
    r->cap = r->buf ? cap : 0;
    r->head = 0;
    r->len = 0;
    return r->buf ? 0 : -1;
}

void dt_ring_free(dt_ring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->head = r->len = 0;
}

/* The free space as up to two segments, in stream order. */
static int free_segments(const dt_ring *r, struct iovec v[2])
{
    size_t tail = (r->head + r->len) % r->cap;
    size_t room = r->cap - r->len;
    size_t first = r->cap - tail < room ? r->cap - tail : room;
    v[0].iov_base = r->buf + tail;
    v[0].iov_len = first;
    v[1].iov_base = r->buf;
    v[1].iov_len = room - first;
    return v[1].iov_len ? 2 : 1;
}

ssize_t dt_ring_read_fd(dt_ring *r, int fd, struct iovec got[2])
{
    struct iovec v[2];
    int n = free_segments(r, v);
    ssize_t k = n == 1 ? read(fd, v[0].iov_base, v[0].iov_len) : readv(fd, v, n);
    if (k <= 0)
        return k;
    size_t a = (size_t)k < v[0].iov_len ? (size_t)k : v[0].iov_len;
    got[0].iov_base = v[0].iov_base;
    got[0].iov_len = a;
    got[1].iov_base = v[1].iov_base;
    got[1].iov_len = (size_t)k - a;
    r->len += (size_t)k;
    return k;
}

ssize_t dt_ring_write_fd(dt_ring *r, int fd, size_t max)
{
    size_t want = r->len < max ? r->len : max;
    size_t first = r->cap - r->head < want ? r->cap - r->head : want;
    struct iovec v[2] = {
        { r->buf + r->head, first },
        { r->buf, want - first },
    };
    ssize_t k = v[1].iov_len ? writev(fd, v, 2) : write(fd, v[0].iov_base, v[0].iov_len);
    if (k <= 0)
        return k;
    r->head = (r->head + (size_t)k) % r->cap;
    r->len -= (size_t)k;
    if (r->len == 0)
        r->head = 0; /* keep reads contiguous when possible */
    return k;
}
