#include "ring.h"

#include <stdlib.h>
#include <string.h>

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

size_t dt_ring_space(const dt_ring *r, uint8_t **p)
{
    size_t tail = (r->head + r->len) % r->cap;
    size_t room = r->cap - r->len;
    size_t to_end = r->cap - tail;
    *p = r->buf + tail;
    return room < to_end ? room : to_end;
}

void dt_ring_produced(dt_ring *r, size_t n) { r->len += n; }

void dt_ring_held(const dt_ring *r, const uint8_t **a, size_t *na, const uint8_t **b, size_t *nb)
{
    size_t first = r->cap - r->head < r->len ? r->cap - r->head : r->len;
    *a = r->buf + r->head;
    *na = first;
    *b = r->buf;
    *nb = r->len - first;
}

void dt_ring_consumed(dt_ring *r, size_t n, bool idle)
{
    r->head = (r->head + n) % r->cap;
    r->len -= n;
    if (r->len == 0 && idle)
        r->head = 0;
}

int dt_ring_resize(dt_ring *r, size_t cap)
{
    uint8_t *nb = malloc(cap);
    if (!nb)
        return -1;
    const uint8_t *a, *b;
    size_t na, nbytes;
    dt_ring_held(r, &a, &na, &b, &nbytes);
    memcpy(nb, a, na);
    memcpy(nb + na, b, nbytes);
    free(r->buf);
    r->buf = nb;
    r->cap = cap;
    r->head = 0;
    return 0;
}

void dt_ring_clear(dt_ring *r)
{
    r->head = (r->head + r->len) % r->cap; /* keeps the free space where a read may be in flight */
    r->len = 0;
}
