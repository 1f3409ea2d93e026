/* UDP and TCP flows: which side is the client, TCP reassembly per
 * direction, and the bounded table of open conversations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/platform.h"
#include "netdec_impl.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Eight bytes per step, not one: a byte-wise FNV over the 44-byte key was a
 * chain of 44 dependent multiplies per packet (5% of a replay). */
static uint32_t hash_key(const dt_flow_key *k)
{
    const uint8_t *b = (const uint8_t *)k;
    uint64_t h = 0x9e3779b97f4a7c15u, w;
    size_t i = 0;
    for (; i + 8 <= sizeof *k; i += 8) {
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    if (i < sizeof *k) {
        w = 0;
        memcpy(&w, b + i, sizeof *k - i);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
    }
    h ^= h >> 32;
    return (uint32_t)h & (DT_FLOW_BUCKETS - 1);
}

/* Canonical key; *sender is the key endpoint (0/1) that sent this packet. */
static void make_key(const dt_ip_pkt *ip, uint16_t sport, uint16_t dport, dt_flow_key *k, int *sender)
{
    size_t alen = ip->version == 4 ? 4 : 16;
    memset(k, 0, sizeof *k);
    k->channel = ip->ch->id;
    k->version = ip->version;
    k->proto = ip->proto;
    int c = memcmp(ip->src, ip->dst, alen);
    if (c == 0)
        c = sport < dport ? -1 : sport > dport;
    *sender = c <= 0 ? 0 : 1;
    memcpy(k->addr[*sender], ip->src, alen);
    memcpy(k->addr[!*sender], ip->dst, alen);
    k->port[*sender] = sport;
    k->port[!*sender] = dport;
}

static void endpoint_text(const dt_flow_key *k, int end, char *out, size_t outsz)
{
    char a[DT_IP_TEXT_MAX];
    if (k->version == 4) {
        dt_ip_text(4, k->addr[end], a, sizeof a);
        snprintf(out, outsz, "%s:%u", a, k->port[end]);
    } else {
        dt_ip_text(6, k->addr[end], a, sizeof a);
        snprintf(out, outsz, "[%s]:%u", a, k->port[end]);
    }
}

static dt_flow *find(dt_netdec *d, const dt_flow_key *k)
{
    for (dt_flow *f = d->bucket[hash_key(k)]; f; f = f->hnext)
        if (memcmp(&f->key, k, sizeof *k) == 0)
            return f;
    return NULL;
}

static void list_unlink(dt_netdec *d, dt_flow *f)
{
    if (f->newer)
        f->newer->older = f->older;
    else
        d->newest = f->older;
    if (f->older)
        f->older->newer = f->newer;
    else
        d->oldest = f->newer;
    f->newer = f->older = NULL;
}

static void link_newest(dt_netdec *d, dt_flow *f)
{
    f->newer = NULL;
    f->older = d->newest;
    if (d->newest)
        d->newest->newer = f;
    d->newest = f;
    if (!d->oldest)
        d->oldest = f;
}

static void touch(dt_netdec *d, dt_flow *f, uint64_t ts)
{
    if (ts > f->last_ts)
        f->last_ts = ts;
    if (d->newest == f)
        return;
    list_unlink(d, f);
    link_newest(d, f);
}

static void on_data(void *ctx, int dir, uint64_t ts, const uint8_t *data, size_t n)
{
    dt_flow *f = ctx;
    dt_engine_stream(f->owner->eng, f->conv, (dt_dir)dir, ts, data, n);
}

static void on_gap(void *ctx, int dir, uint64_t ts, uint64_t n)
{
    dt_flow *f = ctx;
    dt_engine_gap(f->owner->eng, f->conv, (dt_dir)dir, ts, n);
}

static void on_end(void *ctx, int dir, uint64_t ts)
{
    dt_flow *f = ctx;
    f->ended[dir] = true;
    dt_engine_stream_end(f->owner->eng, f->conv, (dt_dir)dir, ts);
}

static dt_tcp_out tcp_out(dt_flow *f)
{
    dt_tcp_out o = { on_data, on_gap, on_end, f };
    return o;
}

static void destroy(dt_netdec *d, dt_flow *f)
{
    dt_flow **pp = &d->bucket[hash_key(&f->key)];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
    list_unlink(d, f);
    dt_tcp_half_free(&f->half[0]);
    dt_tcp_half_free(&f->half[1]);
    d->n_flows--;
    free(f);
}

static void flush_halves(dt_flow *f, uint64_t ts)
{
    if (f->key.proto != 6)
        return;
    dt_tcp_out o = tcp_out(f);
    int first = f->half[1].ack_wait ? 1 : 0; /* the side whose data came first */
    dt_tcp_half_flush(&f->half[first], &o, first, ts);
    dt_tcp_half_flush(&f->half[!first], &o, !first, ts);
}

/* Ends the conversation. After FIN or RST the flow stays as a tombstone for
 * a while, so late retransmissions and ACKs do not open a new one. */
static void close_flow(dt_netdec *d, dt_flow *f, uint64_t ts, const char *why, bool tombstone)
{
    flush_halves(f, ts);
    dt_engine_conv_close(d->eng, f->conv, ts, why);
    f->conv = NULL;
    d->n_live--;
    if (!tombstone) {
        destroy(d, f);
        return;
    }
    dt_tcp_half_free(&f->half[0]);
    dt_tcp_half_free(&f->half[1]);
}

/* Frees the least recently active flow, closing it if it is live. */
static void drop_oldest(dt_netdec *d, uint64_t ts, const char *why)
{
    dt_flow *f = d->oldest;
    if (f->conv)
        close_flow(d, f, ts, why, false);
    else
        destroy(d, f);
}

static dt_flow *create(dt_netdec *d, const dt_flow_key *k, int client_end, const dt_ip_pkt *ip)
{
    if (d->n_flows >= d->lim.max_flows && d->oldest)
        drop_oldest(d, ip->ts, "closed: too many open conversations");
    dt_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->key = *k;
    f->owner = d;
    f->client_end = client_end;
    f->last_ts = ip->ts;
    dt_tcp_half_init(&f->half[0], d->lim.tcp_window);
    dt_tcp_half_init(&f->half[1], d->lim.tcp_window);
    endpoint_text(k, client_end, f->client, sizeof f->client);
    endpoint_text(k, !client_end, f->server, sizeof f->server);
    dt_conv_params p = {
        .channel = ip->ch,
        .transport = k->proto == 6 ? DT_CONV_TCP : DT_CONV_UDP,
        .client = f->client,
        .server = f->server,
        .client_port = k->port[client_end],
        .server_port = k->port[!client_end],
        .ts_ns = ip->ts,
    };
    f->conv = dt_engine_conv_open(d->eng, &p);
    if (!f->conv) {
        free(f);
        return NULL;
    }
    uint32_t h = hash_key(k);
    f->hnext = d->bucket[h];
    d->bucket[h] = f;
    d->n_flows++;
    d->n_live++;
    link_newest(d, f);
    return f;
}

static bool known_port(const dt_netdec *d, uint16_t port)
{
    return d->reg && dt_registry_by_port(d->reg, DT_TRANSPORT_TCP, port) != NULL;
}

/* Without a SYN: the known port, else the lower port, is the server's. */
static int guess_client(const dt_netdec *d, const dt_flow_key *k, int sender)
{
    bool k0 = known_port(d, k->port[0]), k1 = known_port(d, k->port[1]);
    if (k0 != k1)
        return k0 ? 1 : 0;
    if (k->port[0] != k->port[1])
        return k->port[0] < k->port[1] ? 1 : 0;
    return sender;
}

static void udp(dt_netdec *d, dt_ip_pkt *ip)
{
    if (ip->len < 8)
        return;
    const uint8_t *p = ip->payload;
    size_t ulen = be16(p + 4);
    if (ulen < 8)
        return;
    size_t n = ip->len - 8;
    if (ulen - 8 < n)
        n = ulen - 8;
    dt_flow_key k;
    int sender;
    make_key(ip, be16(p), be16(p + 2), &k, &sender);
    dt_flow *f = find(d, &k);
    if (!f && !(f = create(d, &k, sender, ip))) /* first sender is the client */
        return;
    touch(d, f, ip->ts);
    dt_dir dir = sender == f->client_end ? DT_DIR_C2S : DT_DIR_S2C;
    dt_engine_conv_packet(d->eng, f->conv, dir, ip->ts);
    dt_engine_datagram(d->eng, f->conv, dir, ip->ts, p + 8, n);
}

/* The peer's missing data came, or was given up: what was held goes on. */
static void release_held(dt_flow *f, const dt_tcp_out *o, uint64_t ts)
{
    for (int k = 0; k < 2; k++)
        if (f->half[k].hold && !f->half[!k].ack_wait)
            dt_tcp_half_release(&f->half[k], o, k, ts);
}

static void tcp(dt_netdec *d, dt_ip_pkt *ip)
{
    const uint8_t *p = ip->payload;
    if (ip->len < 20)
        return;
    size_t doff = (size_t)(p[12] >> 4) * 4;
    if (doff < 20 || doff > ip->len)
        return;
    uint8_t fl = p[13];
    uint32_t seq = be32(p + 4), ack = be32(p + 8);
    const uint8_t *data = p + doff;
    size_t n = ip->len - doff;
    bool syn = fl & TH_SYN, has_ack = fl & TH_ACK;

    dt_flow_key k;
    int sender;
    make_key(ip, be16(p), be16(p + 2), &k, &sender);
    dt_flow *f = find(d, &k);
    if (f && !f->conv) { /* closed by FIN or RST */
        if (!syn || has_ack)
            return;
        destroy(d, f);   /* a new connection on the same ports */
        f = NULL;
    }
    if (f && syn && !has_ack) {
        /* a new connection on the same ports, unless it is the same SYN again */
        dt_tcp_half *h = &f->half[sender == f->client_end ? DT_DIR_C2S : DT_DIR_S2C];
        if (sender != f->client_end || !h->started || h->next != seq + 1) {
            close_flow(d, f, ip->ts, "closed: its ports were reused by a new connection", false);
            f = NULL;
        }
    }
    if (!f) {
        if (!syn && n == 0)
            return; /* a bare ACK, FIN or RST of a conversation we did not see */
        int client = syn ? (has_ack ? !sender : sender) : guess_client(d, &k, sender);
        if (!(f = create(d, &k, client, ip)))
            return;
    }
    touch(d, f, ip->ts);
    int dir = sender == f->client_end ? DT_DIR_C2S : DT_DIR_S2C;
    dt_engine_conv_packet(d->eng, f->conv, (dt_dir)dir, ip->ts);
    dt_tcp_out o = tcp_out(f);
    if (syn) {
        dt_tcp_half_syn(&f->half[dir], seq);
        seq++;
    }
    for (int k = 0; k < 2; k++)
        dt_tcp_half_tick(&f->half[k], &o, k, ip->ts);
    /* the ACK first: what it confirms was sent before this segment's data */
    if (has_ack)
        dt_tcp_half_ack(&f->half[!dir], &o, !dir, ip->ts, ack);
    if (f->half[!dir].ack_wait)
        dt_tcp_half_hold(&f->half[dir]);
    bool fin = (fl & TH_FIN) && !ip->truncated;
    if (n || fin)
        dt_tcp_half_segment(&f->half[dir], &o, dir, ip->ts, seq, data, n, fin);
    release_held(f, &o, ip->ts);
    if (fl & TH_RST)
        close_flow(d, f, ip->ts, "connection reset (RST)", true);
    else if (f->ended[0] && f->ended[1])
        close_flow(d, f, ip->ts, NULL, true);
}

void dt_flow_ip(dt_netdec *d, const dt_ip_pkt *ip)
{
    dt_ip_pkt copy = *ip;
    if (ip->proto == 17)
        udp(d, &copy);
    else if (ip->proto == 6)
        tcp(d, &copy);
}

void dt_flow_expire(dt_netdec *d, uint64_t now)
{
    while (d->oldest) {
        dt_flow *f = d->oldest;
        uint64_t idle = f->conv ? d->lim.idle_ns : DT_FLOW_TOMBSTONE_NS;
        if (f->last_ts + idle >= now)
            break;
        if (!f->conv) {
            destroy(d, f);
            continue;
        }
        char why[64];
        snprintf(why, sizeof why, "closed after %llu s without traffic", (unsigned long long)(idle / 1000000000u));
        close_flow(d, f, now, why, false);
    }
}

void dt_flow_tick_all(dt_netdec *d, uint64_t now)
{
    for (dt_flow *f = d->newest; f; f = f->older) {
        if (!f->conv || f->key.proto != 6 || !(f->half[0].ack_wait || f->half[1].ack_wait))
            continue;
        dt_tcp_out o = tcp_out(f);
        for (int k = 0; k < 2; k++)
            if (f->half[k].ack_wait && now >= f->half[k].ack_ts + DT_TCP_ACK_WAIT_NS)
                dt_tcp_half_tick(&f->half[k], &o, k, now);
        release_held(f, &o, now);
    }
}

void dt_flow_finish_all(dt_netdec *d, uint64_t ts)
{
    for (dt_flow *f = d->newest; f; f = f->older)
        if (f->conv)
            flush_halves(f, ts);
}

void dt_flow_free_all(dt_netdec *d)
{
    while (d->oldest) {
        dt_flow *f = d->oldest;
        list_unlink(d, f);
        dt_tcp_half_free(&f->half[0]);
        dt_tcp_half_free(&f->half[1]);
        free(f);
    }
    memset(d->bucket, 0, sizeof d->bucket);
    d->n_flows = d->n_live = 0;
}
