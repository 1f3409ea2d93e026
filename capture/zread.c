/* See zread.h. */
#include "zread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/platform.h"

#define IN_SIZE (256u * 1024u)
#define OUT_SIZE (256u * 1024u)

static void fail(dt_zread *z, const char *what)
{
    z->failed = true;
    snprintf(z->err, sizeof z->err, "%s", what);
}

/* Keeps the unconsumed input, reads more after it. Bytes added, 0 at end of
 * file, -1 on a read error. */
static ssize_t refill(dt_zread *z)
{
    size_t keep = z->zs.avail_in;
    if (keep && z->zs.next_in != z->in)
        memmove(z->in, z->zs.next_in, keep);
    z->zs.next_in = z->in;
    ssize_t r;
    do
        r = read(z->fd, z->in + keep, z->in_cap - keep);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        fail(z, strerror(errno));
        return -1;
    }
    z->zs.avail_in = (uInt)(keep + (size_t)r);
    z->in_read += (uint64_t)r;
    return r;
}

int dt_zread_open(dt_zread *z, int fd)
{
    memset(z, 0, sizeof *z);
    z->fd = fd;
    z->in_cap = IN_SIZE;
    if (!(z->in = dt_alloc_aligned(z->in_cap))) { /* aligned: read(2) into it is faster */
        fail(z, "out of memory");
        return -1;
    }
    z->zs.next_in = z->in;
    while (z->zs.avail_in < 2) {
        ssize_t r = refill(z);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
    }
    z->gzip = z->zs.avail_in >= 2 && z->in[0] == 0x1f && z->in[1] == 0x8b;
    if (z->gzip) {
        z->out_cap = OUT_SIZE;
        if (!(z->out = malloc(z->out_cap)) || inflateInit2(&z->zs, 16 + MAX_WBITS) != Z_OK) {
            fail(z, "out of memory");
            return -1;
        }
        z->inflating = true;
    }
    return 0;
}

static ssize_t read_plain(dt_zread *z, uint8_t *dst, size_t n)
{
    /* Small reads (a block header, then its body) go through the input
     * buffer: one read(2) per 256 KiB instead of two per record. */
    if (!z->zs.avail_in && n < z->in_cap && !z->eof) {
        ssize_t r = refill(z);
        if (r < 0)
            return -1;
        if (r == 0)
            z->eof = true;
    }
    if (z->zs.avail_in) {
        size_t k = n < z->zs.avail_in ? n : z->zs.avail_in;
        memcpy(dst, z->zs.next_in, k);
        z->zs.next_in += k;
        z->zs.avail_in -= (uInt)k;
        return (ssize_t)k;
    }
    ssize_t r;
    do
        r = read(z->fd, dst, n);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        fail(z, strerror(errno));
        return -1;
    }
    z->in_read += (uint64_t)r;
    if (r == 0)
        z->eof = true;
    return r;
}

/* After a member: another member follows, or the end (trailing bytes that
 * are not gzip are ignored, as gzip and zlib's gzread do). */
static bool next_member(dt_zread *z)
{
    while (z->zs.avail_in < 2) {
        ssize_t r = refill(z);
        if (r <= 0)
            return false;
    }
    if (z->zs.next_in[0] != 0x1f || z->zs.next_in[1] != 0x8b)
        return false;
    if (inflateReset(&z->zs) != Z_OK)
        return false;
    z->inflating = true;
    return true;
}

/* Inflates into dst (up to n bytes); stops early at a fault or the end. */
static size_t inflate_into(dt_zread *z, uint8_t *dst, size_t n)
{
    size_t done = 0;
    while (done < n && !z->failed && !z->eof) {
        if (!z->inflating) {
            if (!next_member(z)) {
                z->eof = !z->failed;
                break;
            }
        }
        if (z->zs.avail_in == 0) {
            ssize_t r = refill(z);
            if (r < 0)
                break;
            if (r == 0) {
                fail(z, "unexpected end of file");
                z->truncated = true;
                break;
            }
        }
        size_t want = n - done;
        if (want > (1u << 30))
            want = 1u << 30;
        z->zs.next_out = dst + done;
        z->zs.avail_out = (uInt)want;
        int r = inflate(&z->zs, Z_NO_FLUSH);
        done += want - z->zs.avail_out;
        if (r == Z_STREAM_END) {
            z->inflating = false;
        } else if (r != Z_OK && r != Z_BUF_ERROR) {
            char what[160];
            snprintf(what, sizeof what, "%s near compressed byte %llu",
                     z->zs.msg ? z->zs.msg : (r == Z_MEM_ERROR ? "out of memory" : "corrupt data"),
                     (unsigned long long)dt_zread_file_pos(z));
            fail(z, what);
        }
    }
    return done;
}

/* Large reads inflate straight into dst; small ones go through z->out. */
static ssize_t read_gzip(dt_zread *z, uint8_t *dst, size_t n)
{
    size_t done = 0;
    while (done < n) {
        if (z->out_off < z->out_len) {
            size_t k = z->out_len - z->out_off;
            if (k > n - done)
                k = n - done;
            memcpy(dst + done, z->out + z->out_off, k);
            z->out_off += k;
            done += k;
            continue;
        }
        if (z->failed || z->eof)
            break;
        if (n - done >= z->out_cap) {
            done += inflate_into(z, dst + done, n - done);
            break;
        }
        z->out_off = 0;
        z->out_len = inflate_into(z, z->out, z->out_cap);
        if (z->out_len == 0)
            break;
    }
    return (ssize_t)done;
}

ssize_t dt_zread_read(dt_zread *z, void *dst, size_t n)
{
    if (n == 0)
        return 0;
    if (z->look_off < z->look_len) {
        size_t k = z->look_len - z->look_off;
        if (k > n)
            k = n;
        memcpy(dst, z->look + z->look_off, k);
        z->look_off += k;
        return (ssize_t)k;
    }
    ssize_t r = z->gzip ? read_gzip(z, dst, n) : (z->failed ? -1 : read_plain(z, dst, n));
    if (r > 0)
        return r;
    return z->failed ? -1 : 0;
}

ssize_t dt_zread_peek(dt_zread *z, void *dst, size_t n)
{
    if (n > sizeof z->look)
        n = sizeof z->look;
    /* only before the first read */
    size_t got = 0;
    while (got < n) {
        ssize_t r = z->gzip ? read_gzip(z, z->look + got, n - got) : read_plain(z, z->look + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    z->look_len = got;
    z->look_off = 0;
    memcpy(dst, z->look, got);
    if (got == 0 && z->failed)
        return -1;
    return (ssize_t)got;
}

const uint8_t *dt_zread_contig(dt_zread *z, size_t n)
{
    if (z->gzip || z->failed || z->look_off < z->look_len)
        return NULL;
    if (!z->zs.avail_in && !z->eof && n <= z->in_cap) {
        ssize_t r = refill(z); /* a failure is sticky: dt_zread_read reports it */
        if (r <= 0) {
            z->eof = r == 0;
            return NULL;
        }
    }
    return z->zs.avail_in >= n ? z->zs.next_in : NULL;
}

void dt_zread_skip(dt_zread *z, size_t n)
{
    z->zs.next_in += n;
    z->zs.avail_in -= (uInt)n;
}

const char *dt_zread_error(const dt_zread *z) { return z->failed ? z->err : NULL; }

uint64_t dt_zread_file_pos(const dt_zread *z) { return z->in_read - z->zs.avail_in; }

void dt_zread_close(dt_zread *z)
{
    if (z->gzip)
        inflateEnd(&z->zs);
    dt_free_aligned(z->in);
    free(z->out);
    z->in = z->out = NULL;
    if (z->fd >= 0)
        close(z->fd);
    z->fd = -1;
}
