/* Bounds-checked reading of packet bytes.
 *
 * Dissectors touch packet bytes only through a cursor. Every read checks the
 * remaining length; a read past the end returns zero, moves the cursor to the
 * end and sets a sticky `overrun` flag, so a dissector can read a whole
 * structure and check once. Header-only so that external dissectors and the
 * Wireshark plugin get it without linking anything.
 */
#ifndef DIAGTAP_CURSOR_H
#define DIAGTAP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct dt_cursor {
    const uint8_t *data;
    size_t len;
    size_t pos;
    size_t base; /* offset of data[0] within the PDU, so sub-cursors report PDU offsets */
    bool overrun;
} dt_cursor;

typedef struct dt_guid {
    uint8_t b[16]; /* as on the wire (Microsoft mixed-endian layout) */
} dt_guid;

static inline dt_cursor dt_cursor_make(const uint8_t *data, size_t len)
{
    dt_cursor c = { data, len, 0, 0, false };
    return c;
}

static inline size_t dt_cur_left(const dt_cursor *c) { return c->len - c->pos; }
static inline size_t dt_cur_offset(const dt_cursor *c) { return c->base + c->pos; }
static inline bool dt_cur_ok(const dt_cursor *c) { return !c->overrun; }
static inline bool dt_cur_eof(const dt_cursor *c) { return c->pos >= c->len; }

/* True when n more bytes are available; otherwise marks the overrun. */
static inline bool dt_cur_need(dt_cursor *c, size_t n)
{
    if (c->overrun || n > c->len - c->pos) {
        c->overrun = true;
        c->pos = c->len;
        return false;
    }
    return true;
}

static inline const uint8_t *dt_cur_bytes(dt_cursor *c, size_t n)
{
    if (!dt_cur_need(c, n))
        return NULL;
    const uint8_t *p = c->data + c->pos;
    c->pos += n;
    return p;
}

static inline bool dt_cur_skip(dt_cursor *c, size_t n) { return dt_cur_bytes(c, n) != NULL; }

static inline bool dt_cur_copy(dt_cursor *c, void *out, size_t n)
{
    const uint8_t *p = dt_cur_bytes(c, n);
    if (!p) {
        memset(out, 0, n);
        return false;
    }
    memcpy(out, p, n);
    return true;
}

/* Moves to an absolute position within this cursor (0..len). */
static inline bool dt_cur_seek(dt_cursor *c, size_t pos)
{
    if (pos > c->len) {
        c->overrun = true;
        c->pos = c->len;
        return false;
    }
    c->pos = pos;
    return true;
}

/* Bytes at pos+off without moving; NULL when they are not all there. */
static inline const uint8_t *dt_cur_peek(const dt_cursor *c, size_t off, size_t n)
{
    size_t left = c->len - c->pos;
    if (off > left || n > left - off)
        return NULL;
    return c->data + c->pos + off;
}

/* A cursor over the next n bytes; the parent moves past them. When fewer than
 * n are left the sub-cursor covers what is there and both are marked overrun. */
static inline dt_cursor dt_cur_sub(dt_cursor *c, size_t n)
{
    dt_cursor s;
    size_t left = c->len - c->pos;
    s.data = c->data + c->pos;
    s.base = c->base + c->pos;
    s.pos = 0;
    if (n > left) {
        s.len = left;
        s.overrun = true;
        c->overrun = true;
        c->pos = c->len;
    } else {
        s.len = n;
        s.overrun = false;
        c->pos += n;
    }
    return s;
}

static inline uint8_t dt_cur_u8(dt_cursor *c)
{
    const uint8_t *p = dt_cur_bytes(c, 1);
    return p ? p[0] : 0;
}

static inline uint16_t dt_cur_u16le(dt_cursor *c)
{
    const uint8_t *p = dt_cur_bytes(c, 2);
    return p ? (uint16_t)(p[0] | (p[1] << 8)) : 0;
}

static inline uint16_t dt_cur_u16be(dt_cursor *c)
{
    const uint8_t *p = dt_cur_bytes(c, 2);
    return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static inline uint32_t dt_cur_u32le(dt_cursor *c)
{
    const uint8_t *p = dt_cur_bytes(c, 4);
    return p ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24) : 0;
}

static inline uint32_t dt_cur_u32be(dt_cursor *c)
{
    const uint8_t *p = dt_cur_bytes(c, 4);
    return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3] : 0;
}

static inline uint64_t dt_cur_u64le(dt_cursor *c)
{
    uint64_t lo = dt_cur_u32le(c);
    uint64_t hi = dt_cur_u32le(c);
    return c->overrun ? 0 : lo | (hi << 32);
}

static inline uint64_t dt_cur_u64be(dt_cursor *c)
{
    uint64_t hi = dt_cur_u32be(c);
    uint64_t lo = dt_cur_u32be(c);
    return c->overrun ? 0 : lo | (hi << 32);
}

static inline int32_t dt_cur_i32le(dt_cursor *c) { return (int32_t)dt_cur_u32le(c); }
static inline int64_t dt_cur_i64le(dt_cursor *c) { return (int64_t)dt_cur_u64le(c); }

static inline bool dt_cur_guid(dt_cursor *c, dt_guid *g) { return dt_cur_copy(c, g->b, 16); }

/* Reads n bytes of UTF-16LE and writes them as NUL-terminated UTF-8 into out
 * (truncated to outsz-1 bytes at a character boundary). Unpaired surrogates
 * become U+FFFD. Returns the UTF-8 length written. */
size_t dt_cur_utf16le(dt_cursor *c, size_t nbytes, char *out, size_t outsz);

/* Reads UTF-16LE code units up to and including a 0x0000 terminator. */
size_t dt_cur_utf16le_z(dt_cursor *c, char *out, size_t outsz);

/* Reads n bytes of 8-bit text; NULs end the copied string early (the cursor
 * still moves n bytes), invalid UTF-8 becomes U+FFFD. Returns length written. */
size_t dt_cur_string(dt_cursor *c, size_t n, char *out, size_t outsz);

/* Reads up to and including a NUL byte. */
size_t dt_cur_cstring(dt_cursor *c, char *out, size_t outsz);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in the Microsoft layout. */
void dt_guid_format(const dt_guid *g, char out[37]);

#endif
