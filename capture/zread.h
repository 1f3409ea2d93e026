/* Reading a recorded input that may be gzip-compressed, through zlib's
 * inflate directly rather than gzread: gzread drops whatever it had inflated
 * in the call that hits a fault (a bad block, a wrong CRC), so a damaged .gz
 * would lose the packets before the damage. Here every byte that inflated
 * is delivered first, then the fault, with its compressed offset. */
#ifndef DIAGTAP_CAPTURE_ZREAD_H
#define DIAGTAP_CAPTURE_ZREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

typedef struct dt_zread {
    int fd;                 /* owned: closed by dt_zread_close */
    bool gzip;              /* the file starts with the gzip magic */
    bool inflating;         /* inside a gzip member */
    bool failed;            /* sticky: err says why */
    bool eof;
    bool truncated;         /* the fault is a gzip stream cut short */
    z_stream zs;
    uint8_t *in;            /* compressed (or plain) bytes read ahead */
    size_t in_cap;
    uint64_t in_read;       /* bytes read from fd so far */
    uint8_t *out;           /* gzip: inflated, not yet delivered (small reads
                             * would otherwise keep inflate off its fast path) */
    size_t out_cap, out_len, out_off;
    uint8_t look[16];       /* bytes peeked, served before anything else */
    size_t look_len, look_off;
    char err[200];
} dt_zread;

/* Takes fd. 0, or -1 with err set (out of memory, read error). */
int dt_zread_open(dt_zread *z, int fd);
/* Up to n bytes: >0 bytes delivered, 0 clean end, -1 a fault (dt_zread_error)
 * with nothing more to deliver. A short count is not an end: call again. */
ssize_t dt_zread_read(dt_zread *z, void *dst, size_t n);
/* Reads up to n (<= 16) bytes that later reads deliver again. */
ssize_t dt_zread_peek(dt_zread *z, void *dst, size_t n);
/* The next n bytes in place in the read-ahead buffer, not consumed, when it
 * holds them whole (plain files; refilled first when empty); NULL otherwise
 * (gzip, bytes peeked, a record across the buffer's end, the end of the
 * file, a read error): then dt_zread_read them. Valid until the next read. */
const uint8_t *dt_zread_contig(dt_zread *z, size_t n);
/* Consumes n bytes dt_zread_contig returned. */
void dt_zread_skip(dt_zread *z, size_t n);
/* "unexpected end of file" for a gzip stream cut short, zlib's message with
 * the compressed offset for damaged data, or the read error. */
const char *dt_zread_error(const dt_zread *z);
/* How far into the file (compressed bytes) the reader has consumed. */
uint64_t dt_zread_file_pos(const dt_zread *z);
void dt_zread_close(dt_zread *z);

#endif
