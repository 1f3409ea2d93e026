/* Internals shared by the readers behind capture/source.h. */
#ifndef DIAGTAP_CAPTURE_SOURCE_IMPL_H
#define DIAGTAP_CAPTURE_SOURCE_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "source.h"
#include "zread.h"

typedef struct dt_pcap_state dt_pcap_state;

/* pcapng: what a packet needs from its interface beyond dt_source_iface. */
typedef struct dt_ng_iface {
    uint8_t tsresol;   /* if_tsresol as in the file (6 = microseconds) */
    int64_t tsoffset;  /* if_tsoffset, seconds */
} dt_ng_iface;

struct dt_source {
    char *path;
    const char *display;        /* path as given, for messages */
    dt_zread z;                 /* the file, gzip or not */
    bool z_open;
    int fd;
    uint64_t file_size;
    dt_source_format format;
    int state;                  /* 1 reading, 0 end, -1 error */
    bool fail_next;             /* err is set: fail after the chunk just returned */
    char err[512];
    uint64_t pos;               /* uncompressed bytes consumed */

    dt_source_iface *ifaces;
    dt_ng_iface *ng;            /* parallel to ifaces (pcapng) */
    size_t n_ifaces, cap_ifaces;

    uint8_t *buf;               /* a record copied: one across the read-ahead
                                 * buffer's end, or gzip; reused */
    size_t buf_cap;
    const uint8_t *blk;         /* pcapng: the current block, in place in the
                                 * read-ahead buffer or in buf */

    /* classic pcap through libpcap */
    FILE *cookie;
    struct pcap *pcap;
    /* classic pcap, own reader (pcap_file_own.c) */
    bool pcap_nsec;
    /* pcapng */
    bool swap;                  /* this section is in the other byte order */
    uint32_t section_base;      /* first iface index of this section */
    uint64_t last_ts;           /* for Simple Packet Blocks, which carry none */
    /* nettrace */
    uint64_t mtime_ns;
};

/* Stops the source with "PATH: offset N: what"; returns -1. */
int dt_src_fail(dt_source *s, uint64_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reads exactly n bytes. 1 done, 0 clean end before any byte, -1 short read
 * or decompression error (what in *why). */
int dt_src_read(dt_source *s, void *dst, size_t n, size_t *got, const char **why);
bool dt_src_reserve(dt_source *s, size_t n);
/* The next n bytes in place (no copy) or NULL: see dt_zread_contig. Then
 * dt_src_skip consumes them. */
const uint8_t *dt_src_contig(dt_source *s, size_t n);
void dt_src_skip(dt_source *s, size_t n);
dt_source_iface *dt_src_add_iface(dt_source *s);

int dt_pcap_open(dt_source *s, char *err, size_t errsz);
int dt_pcap_next(dt_source *s, dt_packet *p);
void dt_pcap_close(dt_source *s);

int dt_pcapng_open(dt_source *s, char *err, size_t errsz);
int dt_pcapng_next(dt_source *s, dt_packet *p);

int dt_nettrace_open(dt_source *s, char *err, size_t errsz);
int dt_nettrace_next(dt_source *s, dt_packet *p);

#endif
