#include "pairing.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PENDING (1u << 20) /* bounds memory when a peer never answers */

struct dt_pairing {
    dt_pending **buckets;
    size_t n_buckets; /* power of two */
    size_t count;
    dt_pending *free_list;
};

static size_t hash(const void *conv, uint64_t key, size_t mask)
{
    uint64_t h = (uint64_t)(uintptr_t)conv * 0x9E3779B97F4A7C15ull ^ key;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (size_t)h & mask;
}

dt_pairing *dt_pairing_new(void)
{
    dt_pairing *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n_buckets = 1024;
    p->buckets = calloc(p->n_buckets, sizeof *p->buckets);
    if (!p->buckets) {
        free(p);
        return NULL;
    }
    return p;
}

static void free_entry(dt_pending *e)
{
    free(e->user_heap);
    free(e->held);
    free(e);
}

void dt_pairing_free(dt_pairing *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_buckets; i++) {
        dt_pending *e = p->buckets[i];
        while (e) {
            dt_pending *n = e->hnext;
            free_entry(e);
            e = n;
        }
    }
    while (p->free_list) {
        dt_pending *n = p->free_list->hnext;
        free_entry(p->free_list);
        p->free_list = n;
    }
    free(p->buckets);
    free(p);
}

static void grow(dt_pairing *p)
{
    size_t nb = p->n_buckets * 2;
    dt_pending **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* keep the old table: longer chains, still correct */
    for (size_t i = 0; i < p->n_buckets; i++) {
        dt_pending *e = p->buckets[i];
        while (e) {
            dt_pending *n = e->hnext;
            size_t h = hash(e->conv, e->key, nb - 1);
            e->hnext = b[h];
            b[h] = e;
            e = n;
        }
    }
    free(p->buckets);
    p->buckets = b;
    p->n_buckets = nb;
}

dt_pending *dt_pairing_find(dt_pairing *p, const void *conv, uint64_t key)
{
    for (dt_pending *e = p->buckets[hash(conv, key, p->n_buckets - 1)]; e; e = e->hnext)
        if (e->conv == conv && e->key == key)
            return e;
    return NULL;
}

dt_pending *dt_pairing_add(dt_pairing *p, const void *conv, dt_pending **conv_head, uint64_t key, size_t user_len,
                           bool *existed)
{
    dt_pending *e = dt_pairing_find(p, conv, key);
    *existed = e != NULL;
    if (e)
        return e;
    if (p->count >= MAX_PENDING)
        return NULL;
    if (p->free_list) {
        e = p->free_list;
        p->free_list = e->hnext;
    } else {
        e = malloc(sizeof *e);
        if (!e)
            return NULL;
        e->held = NULL;
        e->held_cap = 0;
        e->user_heap = NULL;
        e->user_cap = 0;
    }
    memset(e, 0, offsetof(dt_pending, inline_user));
    if (user_len > DT_PENDING_INLINE_USER) {
        if (user_len > e->user_cap) {
            void *u = malloc(user_len);
            if (!u) {
                e->hnext = p->free_list;
                p->free_list = e;
                return NULL;
            }
            free(e->user_heap);
            e->user_heap = u;
            e->user_cap = user_len;
        }
        e->user = e->user_heap;
        memset(e->user, 0, user_len);
    } else if (user_len) {
        e->user = e->inline_user;
        memset(e->inline_user, 0, user_len);
    }
    e->user_len = user_len;
    e->conv = conv;
    e->key = key;
    if (p->count + 1 > p->n_buckets)
        grow(p);
    size_t h = hash(conv, key, p->n_buckets - 1);
    e->hnext = p->buckets[h];
    p->buckets[h] = e;
    e->cnext = *conv_head;
    if (*conv_head)
        (*conv_head)->cprev = e;
    *conv_head = e;
    p->count++;
    return e;
}

void dt_pairing_remove(dt_pairing *p, dt_pending **conv_head, dt_pending *e)
{
    dt_pending **pp = &p->buckets[hash(e->conv, e->key, p->n_buckets - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    if (e->cprev)
        e->cprev->cnext = e->cnext;
    else
        *conv_head = e->cnext;
    if (e->cnext)
        e->cnext->cprev = e->cprev;
    e->user = NULL;
    e->hnext = p->free_list;
    p->free_list = e;
    p->count--;
}

size_t dt_pairing_count(const dt_pairing *p) { return p->count; }
