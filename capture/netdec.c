/* Link layers and IP: down to a transport payload with its endpoints. */
#include <stdlib.h>
#include <string.h>

#include "linktype.h"
#include "netdec_impl.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88A8
#define ETHERTYPE_QINQ_OLD 0x9100

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

dt_netdec *dt_netdec_new(dt_engine *e, const dt_registry *reg, const dt_netdec_limits *limits)
{
    dt_netdec *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->eng = e;
    d->reg = reg;
    d->lim.tcp_window = DT_TCP_DEFAULT_LIMIT;
    d->lim.idle_ns = 600ull * 1000000000ull;
    d->lim.max_flows = 65536;
    if (limits) {
        if (limits->tcp_window)
            d->lim.tcp_window = limits->tcp_window;
        if (limits->idle_ns)
            d->lim.idle_ns = limits->idle_ns;
        if (limits->max_flows)
            d->lim.max_flows = limits->max_flows;
    }
    d->frag = dt_ipfrag_new();
    if (!d->frag) {
        free(d);
        return NULL;
    }
    return d;
}

void dt_netdec_free(dt_netdec *d)
{
    if (!d)
        return;
    dt_flow_free_all(d);
    dt_ipfrag_free(d->frag);
    for (size_t i = 0; i < d->n_chan; i++)
        free(d->chan[i]);
    free(d->chan);
    free(d);
}

size_t dt_netdec_open_flows(const dt_netdec *d) { return d->n_live; }

static void ip_payload(dt_netdec *d, dt_ip_pkt *ip, uint8_t nh, const uint8_t *p, size_t len);

static void ipv6_chain(dt_netdec *d, dt_ip_pkt *ip, uint8_t nh, const uint8_t *p, size_t len, bool may_fragment)
{
    for (int hops = 0; hops < 16; hops++) {
        switch (nh) {
        case 0:   /* hop-by-hop */
        case 43:  /* routing */
        case 60:  /* destination options */
        case 135: /* mobility */
        case 139: /* HIP */
        case 140: /* shim6 */
        {
            if (len < 8)
                return;
            size_t hl = ((size_t)p[1] + 1) * 8;
            if (hl > len)
                return;
            nh = p[0];
            p += hl;
            len -= hl;
            continue;
        }
        case 51: { /* AH */
            if (len < 8)
                return;
            size_t hl = ((size_t)p[1] + 2) * 4;
            if (hl > len)
                return;
            nh = p[0];
            p += hl;
            len -= hl;
            continue;
        }
        case 44: { /* fragment */
            if (len < 8 || !may_fragment || ip->truncated)
                return;
            uint16_t offm = be16(p + 2);
            dt_frag_key k;
            memset(&k, 0, sizeof k);
            k.channel = ip->ch->id;
            k.id = be32(p + 4);
            k.version = 6;
            k.proto = p[0];
            memcpy(k.src, ip->src, 16);
            memcpy(k.dst, ip->dst, 16);
            const uint8_t *whole;
            size_t wlen;
            if (dt_ipfrag_add(d->frag, &k, ip->ts, offm & 0xfff8u, offm & 1u, p + 8, len - 8, &whole, &wlen) != 1)
                return;
            ipv6_chain(d, ip, k.proto, whole, wlen, false);
            return;
        }
        default:
            ip_payload(d, ip, nh, p, len);
            return;
        }
    }
}

static void ip_payload(dt_netdec *d, dt_ip_pkt *ip, uint8_t nh, const uint8_t *p, size_t len)
{
    if (nh != 6 && nh != 17)
        return;
    ip->proto = nh;
    ip->payload = p;
    ip->len = len;
    dt_flow_ip(d, ip);
}

static void ipv4(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *p, size_t len, bool cut)
{
    if (len < 20 || p[0] >> 4 != 4)
        return;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    size_t total = be16(p + 2);
    if (ihl < 20 || ihl > len || total < ihl)
        return;
    bool truncated = cut;
    if (total > len)
        truncated = true; /* snaplen */
    else
        len = total;      /* drop link-layer padding */
    dt_ip_pkt ip = { .ch = ch, .ts = ts, .version = 4, .src = p + 12, .dst = p + 16, .truncated = truncated };
    uint16_t frag = be16(p + 6);
    bool more = frag & 0x2000u;
    uint32_t off = (uint32_t)(frag & 0x1fffu) * 8u;
    if (more || off) {
        if (truncated)
            return;
        dt_frag_key k;
        memset(&k, 0, sizeof k);
        k.channel = ch->id;
        k.id = be16(p + 4);
        k.version = 4;
        k.proto = p[9];
        memcpy(k.src, p + 12, 4);
        memcpy(k.dst, p + 16, 4);
        const uint8_t *whole;
        size_t wlen;
        if (dt_ipfrag_add(d->frag, &k, ts, off, more, p + ihl, len - ihl, &whole, &wlen) == 1)
            ip_payload(d, &ip, k.proto, whole, wlen);
        return;
    }
    ip_payload(d, &ip, p[9], p + ihl, len - ihl);
}

static void ipv6(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *p, size_t len, bool cut)
{
    if (len < 40 || p[0] >> 4 != 6)
        return;
    size_t plen = be16(p + 4);
    size_t avail = len - 40;
    bool truncated = cut;
    if (plen == 0)
        plen = avail; /* jumbogram */
    if (plen > avail)
        truncated = true;
    else
        avail = plen;
    dt_ip_pkt ip = { .ch = ch, .ts = ts, .version = 6, .src = p + 8, .dst = p + 24, .truncated = truncated };
    ipv6_chain(d, &ip, p[6], p + 40, avail, true);
}

static void by_ethertype(dt_netdec *d, const dt_channel *ch, uint64_t ts, uint16_t type, const uint8_t *p,
                         size_t len, bool cut)
{
    if (type == ETHERTYPE_IPV4)
        ipv4(d, ch, ts, p, len, cut);
    else if (type == ETHERTYPE_IPV6)
        ipv6(d, ch, ts, p, len, cut);
}

static void raw_ip(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *p, size_t len, bool cut)
{
    if (len < 1)
        return;
    if (p[0] >> 4 == 4)
        ipv4(d, ch, ts, p, len, cut);
    else if (p[0] >> 4 == 6)
        ipv6(d, ch, ts, p, len, cut);
}

/* BSD loopback: the address family, in the capturing host's byte order
 * (NULL) or big-endian (LOOP). AF_INET6 differs between systems. */
static void null_loop(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *p, size_t len, bool cut,
                      bool big_endian)
{
    if (len < 4)
        return;
    uint32_t af = be32(p);
    if (!big_endian && (af & 0xffff) == 0)
        af = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    p += 4;
    len -= 4;
    if (af == 2)
        ipv4(d, ch, ts, p, len, cut);
    else if (af == 10 || af == 24 || af == 28 || af == 30)
        ipv6(d, ch, ts, p, len, cut);
}

static void ethernet(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *p, size_t len, bool cut)
{
    if (len < 14)
        return;
    uint16_t type = be16(p + 12);
    p += 14;
    len -= 14;
    for (int tags = 0; tags < 4 && (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD);
         tags++) {
        if (len < 4)
            return;
        type = be16(p + 2);
        p += 4;
        len -= 4;
    }
    by_ethertype(d, ch, ts, type, p, len, cut);
}

void dt_netdec_packet(dt_netdec *d, const dt_channel *ch, int linktype, uint64_t ts, const uint8_t *p,
                      size_t caplen, size_t origlen, uint32_t epb_flags)
{
    if (linktype == DT_LINKTYPE_UPPER_PDU) {
        dt_chan_upper_pdu(d, ch, ts, p, caplen, epb_flags);
        return;
    }
    if (linktype == DT_LINKTYPE_NETTRACE) {
        dt_chan_nettrace(d, ch, ts, p, caplen);
        return;
    }
    dt_engine_frame(d->eng, ch, ts, p, caplen, origlen, epb_flags);
    bool cut = caplen < origlen;
    switch (linktype) {
    case DT_LINKTYPE_ETHERNET:
        ethernet(d, ch, ts, p, caplen, cut);
        break;
    case DT_LINKTYPE_LINUX_SLL:
        if (caplen >= 16)
            by_ethertype(d, ch, ts, be16(p + 14), p + 16, caplen - 16, cut);
        break;
    case DT_LINKTYPE_LINUX_SLL2:
        if (caplen >= 20)
            by_ethertype(d, ch, ts, be16(p), p + 20, caplen - 20, cut);
        break;
    case DT_LINKTYPE_NULL:
        null_loop(d, ch, ts, p, caplen, cut, false);
        break;
    case DT_LINKTYPE_LOOP:
        null_loop(d, ch, ts, p, caplen, cut, true);
        break;
    case DT_LINKTYPE_RAW:
    case 12:
    case 14:
        raw_ip(d, ch, ts, p, caplen, cut);
        break;
    case DT_LINKTYPE_IPV4:
        ipv4(d, ch, ts, p, caplen, cut);
        break;
    case DT_LINKTYPE_IPV6:
        ipv6(d, ch, ts, p, caplen, cut);
        break;
    default:
        break;
    }
    dt_flow_expire(d, ts);
}

void dt_netdec_finish(dt_netdec *d, uint64_t ts) { dt_flow_finish_all(d, ts); }

void dt_netdec_tick(dt_netdec *d, uint64_t now)
{
    dt_flow_tick_all(d, now);
    dt_flow_expire(d, now);
}
