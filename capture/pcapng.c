/* pcapng reader (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng):
 * several sections in either byte order, interfaces of different link types,
 * EPB, SPB and the obsolete PB; other blocks are skipped. */
#include <stdlib.h>
#include <string.h>

#include "source_impl.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_PB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define BOM 0x1A2B3C4Du
#define MAX_BLOCK (256u * 1024u * 1024u)

#define OPT_ENDOFOPT 0
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define IF_TSOFFSET 14
#define EPB_FLAGS 2

static uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }

static uint16_t rd16(const dt_source *s, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return s->swap ? __builtin_bswap16(v) : v;
}

static uint32_t rd32(const dt_source *s, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return s->swap ? bswap32(v) : v;
}

static uint64_t rd64(const dt_source *s, const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return s->swap ? __builtin_bswap64(v) : v;
}

static const char *block_name(uint32_t type)
{
    switch (type) {
    case BT_SHB: return "Section Header Block";
    case BT_IDB: return "Interface Description Block";
    case BT_PB: return "Packet Block";
    case BT_SPB: return "Simple Packet Block";
    case BT_EPB: return "Enhanced Packet Block";
    default: return "block";
    }
}

/* A block length that can hold the smallest block (12 bytes) and the
 * header already read (have), in whole 32-bit words; MAX_BLOCK apart. */
static bool length_shape_ok(uint32_t len, size_t have) { return len >= 12 && len % 4 == 0 && len >= have; }

/* The next block in place in the read-ahead buffer, consumed, when it is
 * there whole and sound (nearly every block of a plain file): no copy.
 * NULL: read_block's way, which also says what is wrong with it. */
static const uint8_t *block_in_place(dt_source *s, uint32_t *type, uint32_t *len)
{
    const uint8_t *b = dt_src_contig(s, 12); /* 12: the smallest block */
    if (!b)
        return NULL;
    uint32_t t;
    memcpy(&t, b, 4);
    if (t == BT_SHB) /* its byte order is read_block's to set */
        return NULL;
    uint32_t l = rd32(s, b + 4);
    if (!length_shape_ok(l, 8) || l > MAX_BLOCK || !(b = dt_src_contig(s, l)) || rd32(s, b + l - 4) != l)
        return NULL;
    dt_src_skip(s, l);
    *type = rd32(s, b);
    *len = l;
    return b;
}

/* Reads one block into s->blk (whole block, header and trailer included):
 * in place, or copied into s->buf. 1 block, 0 clean end, -1 error. */
static int read_block(dt_source *s, uint32_t *type, uint32_t *len, uint64_t *at)
{
    uint8_t hdr[12];
    size_t got;
    const char *why;
    *at = s->pos;
    if ((s->blk = block_in_place(s, type, len)) != NULL)
        return 1;
    int r = dt_src_read(s, hdr, 8, &got, &why);
    if (r == 0)
        return 0;
    if (r < 0 && got == 0 && why)
        return dt_src_fail(s, *at, "gzip: %s", why);
    if (r < 0)
        return dt_src_fail(s, *at, "truncated block header: %zu of 8 bytes%s%s%s", got, why ? " (gzip: " : "",
                           why ? why : "", why ? ")" : "");
    uint32_t t;
    memcpy(&t, hdr, 4);
    if (t == BT_SHB) {
        /* the byte order of a new section is in its byte-order magic */
        r = dt_src_read(s, hdr + 8, 4, &got, &why);
        if (r != 1)
            return dt_src_fail(s, *at, "truncated Section Header Block: %zu of 12 bytes%s%s%s", 8 + got,
                               why ? " (gzip: " : "", why ? why : "", why ? ")" : "");
        uint32_t bom;
        memcpy(&bom, hdr + 8, 4);
        if (bom == BOM)
            s->swap = false;
        else if (bom == bswap32(BOM))
            s->swap = true;
        else
            return dt_src_fail(s, *at, "Section Header Block with bad byte-order magic 0x%08x", bom);
    }
    *type = rd32(s, hdr);
    *len = rd32(s, hdr + 4);
    size_t have = *type == BT_SHB ? 12 : 8;
    if (!length_shape_ok(*len, have))
        return dt_src_fail(s, *at, "%s with invalid length %u", block_name(*type), *len);
    if (*len > MAX_BLOCK)
        return dt_src_fail(s, *at, "%s length %u is implausibly large", block_name(*type), *len);
    if (!dt_src_reserve(s, *len))
        return dt_src_fail(s, *at, "out of memory for a block of %u bytes", *len);
    memcpy(s->buf, hdr, have);
    s->blk = s->buf;
    r = dt_src_read(s, s->buf + have, *len - have, &got, &why);
    if (r != 1)
        return dt_src_fail(s, *at, "truncated %s: %zu of %u bytes%s%s%s", block_name(*type), have + got, *len,
                           why ? " (gzip: " : "", why ? why : "", why ? ")" : "");
    uint32_t trailer = rd32(s, s->buf + *len - 4);
    if (trailer != *len)
        return dt_src_fail(s, *at, "%s length %u does not match its trailer %u", block_name(*type), *len, trailer);
    return 1;
}

/* Calls fn for each option in [p, end). Returns false on a malformed list. */
typedef void (*opt_fn)(dt_source *s, void *arg, uint16_t code, const uint8_t *v, uint16_t len);

static bool walk_options(dt_source *s, const uint8_t *p, const uint8_t *end, opt_fn fn, void *arg)
{
    while (end - p >= 4) {
        uint16_t code = rd16(s, p), len = rd16(s, p + 2);
        p += 4;
        if (code == OPT_ENDOFOPT)
            return true;
        size_t padded = ((size_t)len + 3u) & ~(size_t)3u;
        if ((size_t)(end - p) < len)
            return false;
        fn(s, arg, code, p, len);
        if ((size_t)(end - p) < padded)
            return true; /* missing padding at the very end: tolerate */
        p += padded;
    }
    return true;
}

static char *copy_text(const uint8_t *v, uint16_t len)
{
    size_t n = len;
    while (n > 0 && v[n - 1] == 0)
        n--;
    char *t = malloc(n + 1);
    if (t) {
        memcpy(t, v, n);
        t[n] = 0;
    }
    return t;
}

static void idb_option(dt_source *s, void *arg, uint16_t code, const uint8_t *v, uint16_t len)
{
    size_t idx = (size_t)(uintptr_t)arg;
    dt_source_iface *f = &s->ifaces[idx];
    dt_ng_iface *ng = &s->ng[idx];
    switch (code) {
    case IF_NAME:
        if (!f->name)
            f->name = copy_text(v, len);
        break;
    case IF_DESCRIPTION:
        if (!f->description)
            f->description = copy_text(v, len);
        break;
    case IF_TSRESOL:
        if (len >= 1)
            ng->tsresol = v[0];
        break;
    case IF_TSOFFSET:
        if (len >= 8)
            ng->tsoffset = (int64_t)rd64(s, v);
        break;
    default:
        break;
    }
}

static void epb_option(dt_source *s, void *arg, uint16_t code, const uint8_t *v, uint16_t len)
{
    if (code == EPB_FLAGS && len >= 4)
        *(uint32_t *)arg = rd32(s, v);
}

static uint64_t to_ns(const dt_ng_iface *ng, uint64_t units)
{
    uint8_t r = ng->tsresol;
    __extension__ unsigned __int128 ns;
    if (r & 0x80) {
        unsigned shift = r & 0x7f;
        ns = shift >= 127 ? 0 : ((unsigned __int128)units * 1000000000u) >> shift;
    } else if (r <= 9) {
        uint64_t mul = 1;
        for (unsigned i = r; i < 9; i++)
            mul *= 10;
        ns = (unsigned __int128)units * mul;
    } else {
        unsigned __int128 div = 1;
        for (unsigned i = 9; i < r && i < 38; i++)
            div *= 10;
        ns = units / div;
    }
    ns += (unsigned __int128)((__int128)ng->tsoffset * 1000000000);
    return (uint64_t)ns;
}

static int on_shb(dt_source *s, uint32_t len, uint64_t at)
{
    if (len < 28)
        return dt_src_fail(s, at, "Section Header Block too short (%u bytes)", len);
    uint16_t major = rd16(s, s->blk + 12);
    if (major != 1)
        return dt_src_fail(s, at, "unsupported pcapng version %u.%u", major, rd16(s, s->blk + 14));
    s->section_base = (uint32_t)s->n_ifaces;
    return 0;
}

static int on_idb(dt_source *s, uint32_t len, uint64_t at)
{
    if (len < 20)
        return dt_src_fail(s, at, "Interface Description Block too short (%u bytes)", len);
    dt_source_iface *f = dt_src_add_iface(s);
    if (!f)
        return dt_src_fail(s, at, "out of memory");
    f->linktype = rd16(s, s->blk + 8);
    f->snaplen = rd32(s, s->blk + 12);
    size_t idx = s->n_ifaces - 1;
    if (!walk_options(s, s->blk + 16, s->blk + len - 4, idb_option, (void *)(uintptr_t)idx))
        return dt_src_fail(s, at, "Interface Description Block with malformed options");
    if (s->ng[idx].tsresol & 0x80 ? (s->ng[idx].tsresol & 0x7f) > 64 : s->ng[idx].tsresol > 19)
        return dt_src_fail(s, at, "Interface Description Block with unsupported if_tsresol %u",
                           s->ng[idx].tsresol);
    return 0;
}

static int find_iface(dt_source *s, uint32_t local, uint64_t at, uint32_t *out)
{
    if ((uint64_t)s->section_base + local >= s->n_ifaces)
        return dt_src_fail(s, at, "packet for interface %u, which this section does not declare", local);
    *out = s->section_base + local;
    return 0;
}

static int on_epb(dt_source *s, uint32_t type, uint32_t len, uint64_t at, dt_packet *p)
{
    const uint8_t *b = s->blk;
    size_t fixed = 28;
    if (len < fixed + 4)
        return dt_src_fail(s, at, "%s too short (%u bytes)", block_name(type), len);
    uint32_t local = type == BT_PB ? rd16(s, b + 8) : rd32(s, b + 8);
    uint32_t idx = 0;
    if (find_iface(s, local, at, &idx) < 0)
        return -1;
    uint64_t units = (uint64_t)rd32(s, b + 12) << 32 | rd32(s, b + 16);
    uint32_t caplen = rd32(s, b + 20);
    uint32_t origlen = rd32(s, b + 24);
    size_t room = len - fixed - 4;
    if (caplen > room)
        return dt_src_fail(s, at, "%s captured length %u exceeds the block (%zu bytes)", block_name(type), caplen,
                           room);
    uint32_t flags = 0;
    size_t padded = ((size_t)caplen + 3u) & ~(size_t)3u;
    if (padded <= room)
        walk_options(s, b + fixed + padded, b + len - 4, epb_option, &flags);
    memset(p, 0, sizeof *p);
    p->iface = idx;
    p->ts_ns = to_ns(&s->ng[idx], units);
    p->data = b + fixed;
    p->caplen = caplen;
    p->origlen = origlen < caplen ? caplen : origlen;
    p->epb_flags = flags;
    p->offset = at;
    s->last_ts = p->ts_ns;
    return 1;
}

static int on_spb(dt_source *s, uint32_t len, uint64_t at, dt_packet *p)
{
    if (len < 16)
        return dt_src_fail(s, at, "Simple Packet Block too short (%u bytes)", len);
    uint32_t idx = 0;
    if (find_iface(s, 0, at, &idx) < 0)
        return -1;
    uint32_t origlen = rd32(s, s->blk + 8);
    size_t room = len - 16;
    size_t caplen = origlen;
    if (caplen > room)
        caplen = room;
    uint32_t snap = s->ifaces[idx].snaplen;
    if (snap && caplen > snap)
        caplen = snap;
    memset(p, 0, sizeof *p);
    p->iface = idx;
    p->ts_ns = s->last_ts; /* an SPB has no timestamp: keep the order */
    p->data = s->blk + 12;
    p->caplen = (uint32_t)caplen;
    p->origlen = origlen < caplen ? (uint32_t)caplen : origlen;
    p->offset = at;
    return 1;
}

int dt_pcapng_open(dt_source *s, char *err, size_t errsz)
{
    uint32_t type, len;
    uint64_t at;
    int r = read_block(s, &type, &len, &at);
    if (r == 1 && type == BT_SHB)
        r = on_shb(s, len, at);
    if (r < 0) {
        snprintf(err, errsz, "%s", s->err);
        return -1;
    }
    return 0;
}

int dt_pcapng_next(dt_source *s, dt_packet *p)
{
    for (;;) {
        uint32_t type, len;
        uint64_t at;
        int r = read_block(s, &type, &len, &at);
        if (r == 0) {
            s->state = 0;
            return 0;
        }
        if (r < 0)
            return -1;
        switch (type) {
        case BT_SHB: r = on_shb(s, len, at); break;
        case BT_IDB: r = on_idb(s, len, at); break;
        case BT_EPB:
        case BT_PB: r = on_epb(s, type, len, at, p); break;
        case BT_SPB: r = on_spb(s, len, at, p); break;
        default: r = 0; break; /* NRB, ISB, DSB, custom...: not needed */
        }
        if (r != 0)
            return r;
    }
}
