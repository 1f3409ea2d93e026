#include <stdlib.h>
#include <string.h>

#include "ipfrag.h"

#define UNITS ((DT_IPFRAG_MAX + 7u) / 8u)

typedef struct frag_slot {
    bool used;
    dt_frag_key key;
    uint64_t first_ts;
    uint32_t total;          /* payload length, once the last fragment came */
    bool have_last;
    uint8_t *buf;            /* DT_IPFRAG_MAX bytes, kept for reuse */
    uint8_t have[(UNITS + 7u) / 8u];
} frag_slot;

struct dt_ipfrag {
    frag_slot slot[DT_IPFRAG_SLOTS];
    uint64_t dropped;
};

dt_ipfrag *dt_ipfrag_new(void) { return calloc(1, sizeof(dt_ipfrag)); }

void dt_ipfrag_free(dt_ipfrag *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < DT_IPFRAG_SLOTS; i++)
        free(f->slot[i].buf);
    free(f);
}

uint64_t dt_ipfrag_dropped(const dt_ipfrag *f) { return f->dropped; }

static bool same_key(const dt_frag_key *a, const dt_frag_key *b)
{
    return a->channel == b->channel && a->id == b->id && a->version == b->version && a->proto == b->proto &&
           memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

static frag_slot *find_slot(dt_ipfrag *f, const dt_frag_key *k, uint64_t ts)
{
    frag_slot *hit = NULL, *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < DT_IPFRAG_SLOTS; i++) {
        frag_slot *s = &f->slot[i];
        if (s->used && ts > s->first_ts + DT_IPFRAG_TIMEOUT_NS) {
            s->used = false;
            f->dropped++;
        }
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (same_key(&s->key, k))
            hit = s;
        if (!oldest || s->first_ts < oldest->first_ts)
            oldest = s;
    }
    if (hit)
        return hit;
    frag_slot *s = free_slot;
    if (!s) {
        s = oldest;
        f->dropped++;
    }
    if (!s->buf && !(s->buf = malloc(DT_IPFRAG_MAX)))
        return NULL;
    s->used = true;
    s->key = *k;
    s->first_ts = ts;
    s->total = 0;
    s->have_last = false;
    memset(s->have, 0, sizeof s->have);
    return s;
}

static bool complete(const frag_slot *s)
{
    if (!s->have_last)
        return false;
    uint32_t units = (s->total + 7u) / 8u;
    for (uint32_t u = 0; u < units; u++)
        if (!(s->have[u / 8] & (1u << (u % 8))))
            return false;
    return true;
}

int dt_ipfrag_add(dt_ipfrag *f, const dt_frag_key *k, uint64_t ts, uint32_t off, bool more, const uint8_t *d,
                  size_t n, const uint8_t **out, size_t *outlen)
{
    if ((uint64_t)off + n > DT_IPFRAG_MAX)
        return -1;
    frag_slot *s = find_slot(f, k, ts);
    if (!s)
        return -1;
    memcpy(s->buf + off, d, n);
    if (n) {
        for (uint32_t u = off / 8u; u < (uint32_t)((off + n + 7u) / 8u); u++)
            s->have[u / 8] |= (uint8_t)(1u << (u % 8));
    }
    if (!more) {
        s->have_last = true;
        s->total = off + (uint32_t)n;
    }
    if (!complete(s))
        return 0;
    s->used = false; /* the buffer stays valid until the next call */
    *out = s->buf;
    *outlen = s->total;
    return 1;
}
