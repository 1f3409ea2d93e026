/* Pull-style readers of recorded inputs: classic pcap (libpcap), pcapng (our
 * own reader: libpcap cannot mix link types) and .nettrace files, each
 * optionally gzip-compressed. The format is found by magic, not by name.
 *
 * Several sources can be merged by timestamp: each keeps its current packet
 * valid until its next dt_source_next call.
 */
#ifndef DIAGTAP_CAPTURE_SOURCE_H
#define DIAGTAP_CAPTURE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_source dt_source;

typedef enum dt_source_format {
    DT_SRC_PCAP,
    DT_SRC_PCAPNG,
    DT_SRC_NETTRACE,
} dt_source_format;

/* One capture interface (pcapng IDB; a pcap file has one). */
typedef struct dt_source_iface {
    int linktype;            /* LINKTYPE_*, or DT_LINKTYPE_NETTRACE */
    const char *name;        /* if_name, or NULL */
    const char *description; /* if_description, or NULL */
    uint32_t snaplen;
} dt_source_iface;

typedef struct dt_packet {
    uint32_t iface;          /* index for dt_source_iface_at (unique across pcapng sections) */
    uint64_t ts_ns;          /* ns since the Unix epoch */
    const uint8_t *data;     /* valid until the next dt_source_next */
    uint32_t caplen;
    uint32_t origlen;
    uint32_t epb_flags;      /* pcapng epb_flags, 0 when absent */
    uint64_t offset;         /* byte offset of the record in the uncompressed input */
} dt_packet;

/* Opens and checks the file header. NULL with "PATH: what was wrong" in err. */
dt_source *dt_source_open(const char *path, char *err, size_t errsz);
/* 1: a packet; 0: end of input; -1: error, message "PATH: offset N: what" in
 * the source (dt_source_error). After -1 or 0, next keeps returning it. */
int dt_source_next(dt_source *s, dt_packet *p);
const char *dt_source_error(const dt_source *s);
void dt_source_close(dt_source *s);

dt_source_format dt_source_get_format(const dt_source *s);
const char *dt_source_path(const dt_source *s);
size_t dt_source_n_ifaces(const dt_source *s);
const dt_source_iface *dt_source_iface_at(const dt_source *s, uint32_t i);
/* How far the file (compressed bytes, if gzip) has been read, and its size:
 * for progress. */
uint64_t dt_source_file_pos(const dt_source *s);
uint64_t dt_source_file_size(const dt_source *s);

#endif
