#include "capwrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void cb_free(capbuf *c)
{
    free(c->b);
    memset(c, 0, sizeof *c);
}

void cb_bytes(capbuf *c, const void *d, size_t n)
{
    if (c->len + n > c->cap) {
        c->cap = (c->len + n) * 2 + 64;
        c->b = realloc(c->b, c->cap);
        if (!c->b)
            abort();
    }
    if (d)
        memcpy(c->b + c->len, d, n);
    else
        memset(c->b + c->len, 0, n);
    c->len += n;
}

void cb_u16(capbuf *c, uint16_t v)
{
    if (c->swap)
        v = __builtin_bswap16(v);
    cb_bytes(c, &v, 2);
}

void cb_u32(capbuf *c, uint32_t v)
{
    if (c->swap)
        v = __builtin_bswap32(v);
    cb_bytes(c, &v, 4);
}

static void set_u32(capbuf *c, size_t at, uint32_t v)
{
    if (c->swap)
        v = __builtin_bswap32(v);
    memcpy(c->b + at, &v, 4);
}

static size_t begin(capbuf *c, uint32_t type, bool packet)
{
    size_t at = c->len;
    c->starts[c->n_blocks] = at;
    c->is_packet[c->n_blocks++] = packet;
    cb_u32(c, type);
    cb_u32(c, 0);
    return at;
}

static void end(capbuf *c, size_t at)
{
    uint32_t len = (uint32_t)(c->len - at + 4);
    set_u32(c, at + 4, len);
    cb_u32(c, len);
}

static void pad4(capbuf *c)
{
    while (c->len % 4)
        cb_bytes(c, NULL, 1);
}

static void opt(capbuf *c, uint16_t code, const void *v, uint16_t len)
{
    cb_u16(c, code);
    cb_u16(c, len);
    cb_bytes(c, v, len);
    pad4(c);
}

void ng_shb(capbuf *c, bool swap)
{
    c->swap = swap;
    size_t at = begin(c, 0x0A0D0D0A, false);
    cb_u32(c, 0x1A2B3C4D);
    cb_u16(c, 1);
    cb_u16(c, 0);
    cb_u32(c, 0xffffffff);
    cb_u32(c, 0xffffffff);
    opt(c, 4, "diagtap tests", 13); /* shb_userappl */
    cb_u32(c, 0);
    end(c, at);
}

void ng_idb(capbuf *c, uint16_t linktype, uint32_t snaplen, const char *name, const char *desc, uint8_t tsresol)
{
    size_t at = begin(c, 1, false);
    cb_u16(c, linktype);
    cb_u16(c, 0);
    cb_u32(c, snaplen);
    if (name)
        opt(c, 2, name, (uint16_t)strlen(name));
    if (desc)
        opt(c, 3, desc, (uint16_t)strlen(desc));
    if (tsresol)
        opt(c, 9, &tsresol, 1);
    cb_u32(c, 0);
    end(c, at);
}

void ng_epb(capbuf *c, uint32_t iface, uint64_t ts, const void *data, uint32_t len, uint32_t flags)
{
    size_t at = begin(c, 6, true);
    cb_u32(c, iface);
    cb_u32(c, (uint32_t)(ts >> 32));
    cb_u32(c, (uint32_t)ts);
    cb_u32(c, len);
    cb_u32(c, len);
    cb_bytes(c, data, len);
    pad4(c);
    if (flags) {
        cb_u16(c, 2);
        cb_u16(c, 4);
        cb_u32(c, flags);
        cb_u32(c, 0);
    }
    end(c, at);
}

void ng_spb(capbuf *c, const void *data, uint32_t len)
{
    size_t at = begin(c, 3, true);
    cb_u32(c, len);
    cb_bytes(c, data, len);
    pad4(c);
    end(c, at);
}

void ng_pb(capbuf *c, uint16_t iface, uint64_t ts, const void *data, uint32_t len)
{
    size_t at = begin(c, 2, true);
    cb_u16(c, iface);
    cb_u16(c, 0);
    cb_u32(c, (uint32_t)(ts >> 32));
    cb_u32(c, (uint32_t)ts);
    cb_u32(c, len);
    cb_u32(c, len);
    cb_bytes(c, data, len);
    pad4(c);
    end(c, at);
}

void ng_unknown(capbuf *c, uint32_t type, uint32_t body_len)
{
    size_t at = begin(c, type, false);
    cb_bytes(c, NULL, (body_len + 3) & ~3u);
    end(c, at);
}

void pc_header(capbuf *c, bool swap, bool nano, uint32_t linktype)
{
    c->swap = swap;
    cb_u32(c, nano ? 0xa1b23c4d : 0xa1b2c3d4);
    cb_u16(c, 2);
    cb_u16(c, 4);
    cb_u32(c, 0);
    cb_u32(c, 0);
    cb_u32(c, 65535);
    cb_u32(c, linktype);
}

void pc_record(capbuf *c, uint32_t sec, uint32_t frac, const void *data, uint32_t len)
{
    c->starts[c->n_blocks] = c->len;
    c->is_packet[c->n_blocks++] = true;
    cb_u32(c, sec);
    cb_u32(c, frac);
    cb_u32(c, len);
    cb_u32(c, len);
    cb_bytes(c, data, len);
}

void cb_write(const capbuf *c, const char *path, size_t n, bool gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb");
        if (!g || (n && gzwrite(g, c->b, (unsigned)n) != (int)n) || gzclose(g) != Z_OK)
            abort();
        return;
    }
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(c->b, 1, n, f) != n) || fclose(f) != 0)
        abort();
}
