/* IPv4 and IPv6 fragment reassembly, bounded: a fixed number of datagrams in
 * progress (the oldest is dropped to make room) and a timeout. */
#ifndef DIAGTAP_CAPTURE_IPFRAG_H
#define DIAGTAP_CAPTURE_IPFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_IPFRAG_SLOTS 32
#define DT_IPFRAG_MAX 65535u
#define DT_IPFRAG_TIMEOUT_NS (30ull * 1000000000ull)

typedef struct dt_ipfrag dt_ipfrag;

typedef struct dt_frag_key {
    uint32_t channel;
    uint32_t id;        /* IPv4 identification or IPv6 fragment id */
    uint8_t version;    /* 4 or 6 */
    uint8_t proto;
    uint8_t src[16];
    uint8_t dst[16];
} dt_frag_key;

dt_ipfrag *dt_ipfrag_new(void);
void dt_ipfrag_free(dt_ipfrag *f);
/* One fragment: payload bytes d[0..n) at byte offset off; more: not the last.
 * Returns 1 with the whole payload in *out (valid until the next call) when
 * the datagram is complete, 0 while waiting, -1 for a fragment that cannot
 * be used (beyond 64 KiB). */
int dt_ipfrag_add(dt_ipfrag *f, const dt_frag_key *k, uint64_t ts, uint32_t off, bool more, const uint8_t *d,
                  size_t n, const uint8_t **out, size_t *outlen);
/* Datagrams dropped unfinished (timeout or eviction) so far. */
uint64_t dt_ipfrag_dropped(const dt_ipfrag *f);

#endif
