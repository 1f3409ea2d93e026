/* Classic pcap files read by diagtap itself, for builds without libpcap
 * (Windows: replay must not need Npcap). Both byte orders, micro- and
 * nanosecond magics; a record is used in place in the read-ahead buffer, or
 * read whole into s->buf when it lies across its end. Same interface as
 * pcap_file.c (libpcap). */
#include <stdlib.h>
#include <string.h>

#include "linktype.h"
#include "source_impl.h"

#define PCAP_FILE_HEADER 24u
#define PCAP_RECORD_HEADER 16u
#define MAX_RECORD (256u * 1024u * 1024u)

static uint32_t rd32(const dt_source *s, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return s->swap ? __builtin_bswap32(v) : v;
}

static const char *gz_paren(const char *why) { return why ? " (gzip: " : ""; }

int dt_pcap_open(dt_source *s, char *err, size_t errsz)
{
    uint8_t h[PCAP_FILE_HEADER];
    size_t got;
    const char *why;
    if (dt_src_read(s, h, sizeof h, &got, &why) != 1) {
        snprintf(err, errsz, "%s: offset 0: truncated pcap file header: %zu of %u bytes%s%s%s", s->display, got,
                 PCAP_FILE_HEADER, gz_paren(why), why ? why : "", why ? ")" : "");
        return -1;
    }
    uint32_t magic;
    memcpy(&magic, h, 4);
    s->swap = false;
    if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
        s->swap = true;
        magic = __builtin_bswap32(magic);
    }
    if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) {
        snprintf(err, errsz, "%s: offset 0: unsupported pcap variant (magic %08x)", s->display, magic);
        return -1;
    }
    s->pcap_nsec = magic == 0xa1b23c4du;
    dt_source_iface *f = dt_src_add_iface(s);
    if (!f) {
        snprintf(err, errsz, "%s: out of memory", s->display);
        return -1;
    }
    /* LinkType's upper bits carry the FCS length: only the low 16 name it. */
    f->linktype = dt_dlt_to_linktype((int)(rd32(s, h + 20) & 0xFFFFu));
    f->snaplen = rd32(s, h + 16);
    return 0;
}

/* The packet of the record whose header is h and data (caplen bytes) data. */
static int record(dt_source *s, dt_packet *p, const uint8_t *h, const uint8_t *data, uint64_t at)
{
    uint32_t sec = rd32(s, h), frac = rd32(s, h + 4), caplen = rd32(s, h + 8), origlen = rd32(s, h + 12);
    memset(p, 0, sizeof *p);
    p->iface = 0;
    p->ts_ns = (uint64_t)sec * 1000000000u + (uint64_t)frac * (s->pcap_nsec ? 1u : 1000u);
    p->data = data;
    p->caplen = caplen;
    p->origlen = origlen < caplen ? caplen : origlen;
    p->offset = at;
    return 1;
}

int dt_pcap_next(dt_source *s, dt_packet *p)
{
    uint8_t h[PCAP_RECORD_HEADER];
    size_t got;
    const char *why;
    uint64_t at = s->pos;
    /* Nearly every record is whole in the read-ahead buffer: used in place. */
    const uint8_t *in = dt_src_contig(s, PCAP_RECORD_HEADER);
    if (in) {
        uint32_t cl = rd32(s, in + 8);
        if (cl <= MAX_RECORD && (in = dt_src_contig(s, PCAP_RECORD_HEADER + (size_t)cl)) != NULL) {
            dt_src_skip(s, PCAP_RECORD_HEADER + (size_t)cl);
            return record(s, p, in, in + PCAP_RECORD_HEADER, at);
        }
    }
    int r = dt_src_read(s, h, sizeof h, &got, &why);
    if (r == 0) {
        s->state = 0;
        return 0;
    }
    if (r < 0)
        return dt_src_fail(s, at, "truncated record header: %zu of %u bytes%s%s%s", got, PCAP_RECORD_HEADER,
                           gz_paren(why), why ? why : "", why ? ")" : "");
    uint32_t caplen = rd32(s, h + 8);
    if (caplen > MAX_RECORD)
        return dt_src_fail(s, at, "record of %u bytes is larger than any capture", caplen);
    if (!dt_src_reserve(s, caplen ? caplen : 1))
        return dt_src_fail(s, at, "out of memory for a record of %u bytes", caplen);
    if (dt_src_read(s, s->buf, caplen, &got, &why) < 0 || got < caplen)
        return dt_src_fail(s, at, "truncated record: %zu of %u bytes%s%s%s", got, caplen, gz_paren(why),
                           why ? why : "", why ? ")" : "");
    return record(s, p, h, s->buf, at);
}

void dt_pcap_close(dt_source *s)
{
    (void)s;
}
