/* The out-of-line parts of the cursor: text conversion. */
#include "diagtap/cursor.h"

#include <stdio.h>

/* Appends code point cp as UTF-8 if it fits whole; returns false when full. */
static bool put_utf8(char *out, size_t outsz, size_t *n, uint32_t cp)
{
    char buf[4];
    size_t k;
    if (cp < 0x80) {
        buf[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        buf[0] = (char)(0xF0 | (cp >> 18));
        buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (outsz == 0 || *n + k > outsz - 1)
        return false;
    memcpy(out + *n, buf, k);
    *n += k;
    return true;
}

static size_t utf16_convert(const uint8_t *p, size_t units, char *out, size_t outsz, bool stop_at_nul)
{
    size_t n = 0;
    bool full = false;
    for (size_t i = 0; i < units && !full; i++) {
        uint32_t u = (uint32_t)p[2 * i] | ((uint32_t)p[2 * i + 1] << 8);
        if (u == 0 && stop_at_nul)
            break;
        uint32_t cp = u;
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
            uint32_t lo = (uint32_t)p[2 * i + 2] | ((uint32_t)p[2 * i + 3] << 8);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            } else {
                cp = 0xFFFD;
            }
        } else if (u >= 0xD800 && u <= 0xDFFF) {
            cp = 0xFFFD;
        }
        full = !put_utf8(out, outsz, &n, cp);
    }
    if (outsz)
        out[n] = '\0';
    return n;
}

size_t dt_cur_utf16le(dt_cursor *c, size_t nbytes, char *out, size_t outsz)
{
    const uint8_t *p = dt_cur_bytes(c, nbytes);
    if (!p) {
        if (outsz)
            out[0] = '\0';
        return 0;
    }
    return utf16_convert(p, nbytes / 2, out, outsz, false);
}

size_t dt_cur_utf16le_z(dt_cursor *c, char *out, size_t outsz)
{
    size_t units = 0;
    const uint8_t *start = c->data + c->pos;
    while (true) {
        const uint8_t *u = dt_cur_peek(c, units * 2, 2);
        if (!u) {
            dt_cur_skip(c, dt_cur_left(c) + 1); /* mark the overrun */
            return utf16_convert(start, units, out, outsz, true);
        }
        units++;
        if (u[0] == 0 && u[1] == 0)
            break;
    }
    dt_cur_skip(c, units * 2);
    return utf16_convert(start, units, out, outsz, true);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t left)
{
    uint8_t b = p[0];
    size_t k;
    uint32_t cp;
    if (b < 0x80)
        return 1;
    if ((b & 0xE0) == 0xC0) {
        k = 2;
        cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
        k = 3;
        cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
        k = 4;
        cp = b & 0x07;
    } else {
        return 0;
    }
    if (k > left)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

static size_t text_convert(const uint8_t *p, size_t len, char *out, size_t outsz)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (p[i] == 0)
            break;
        size_t k = utf8_seq(p + i, len - i);
        if (k == 0) {
            if (!put_utf8(out, outsz, &n, 0xFFFD))
                break;
            i++;
            continue;
        }
        if (outsz == 0 || n + k > outsz - 1)
            break;
        memcpy(out + n, p + i, k);
        n += k;
        i += k;
    }
    if (outsz)
        out[n] = '\0';
    return n;
}

size_t dt_cur_string(dt_cursor *c, size_t n, char *out, size_t outsz)
{
    const uint8_t *p = dt_cur_bytes(c, n);
    if (!p) {
        if (outsz)
            out[0] = '\0';
        return 0;
    }
    return text_convert(p, n, out, outsz);
}

size_t dt_cur_cstring(dt_cursor *c, char *out, size_t outsz)
{
    const uint8_t *start = c->data + c->pos;
    const uint8_t *nul = memchr(start, 0, dt_cur_left(c));
    if (!nul) {
        size_t n = dt_cur_left(c);
        size_t r = text_convert(start, n, out, outsz);
        dt_cur_skip(c, n + 1); /* mark the overrun: no terminator */
        return r;
    }
    size_t n = (size_t)(nul - start);
    dt_cur_skip(c, n + 1);
    return text_convert(start, n, out, outsz);
}

void dt_guid_format(const dt_guid *g, char out[37])
{
    /* the mixed-endian text form, byte order as Windows prints it; by hand:
     * snprintf of 16 %02x was a visible share of an SMB2 replay */
    static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int k = 0; k < 16; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10)
            *o++ = '-';
        uint8_t v = g->b[order[k]];
        *o++ = hex[v >> 4];
        *o++ = hex[v & 15];
    }
    *o = '\0';
}
