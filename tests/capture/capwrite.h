/* Test helper: builds pcap and pcapng files byte by byte, in either byte
 * order, remembering where each block starts. */
#ifndef DIAGTAP_TESTS_CAPWRITE_H
#define DIAGTAP_TESTS_CAPWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct capbuf {
    uint8_t *b;
    size_t len, cap;
    bool swap;              /* write in the other byte order than the host */
    size_t starts[256];     /* offset of each block/record */
    bool is_packet[256];
    int n_blocks;
} capbuf;

void cb_free(capbuf *c);
void cb_bytes(capbuf *c, const void *d, size_t n);
void cb_u16(capbuf *c, uint16_t v);
void cb_u32(capbuf *c, uint32_t v);

/* pcapng blocks; options: NULL name/description are left out, tsresol 0: left out. */
void ng_shb(capbuf *c, bool swap);
void ng_idb(capbuf *c, uint16_t linktype, uint32_t snaplen, const char *name, const char *desc, uint8_t tsresol);
void ng_epb(capbuf *c, uint32_t iface, uint64_t ts_units, const void *data, uint32_t len, uint32_t flags);
void ng_spb(capbuf *c, const void *data, uint32_t len);
void ng_pb(capbuf *c, uint16_t iface, uint64_t ts_units, const void *data, uint32_t len);
void ng_unknown(capbuf *c, uint32_t type, uint32_t body_len);

/* classic pcap: nano selects the nanosecond magic */
void pc_header(capbuf *c, bool swap, bool nano, uint32_t linktype);
void pc_record(capbuf *c, uint32_t sec, uint32_t frac, const void *data, uint32_t len);

/* Writes the first n bytes (gzip-compressed when gz). */
void cb_write(const capbuf *c, const char *path, size_t n, bool gz);

#endif
