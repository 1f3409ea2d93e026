/* Malformed input: every SMB PDU of a real capture (the recorded Samba
 * session in tests/smb2/, or the capture named on the command line) is fed
 * through the engine truncated at every offset, with random bit flips, and
 * with its length header damaged, each time after the PDUs before it so the
 * connection state (sessions, trees, open files, pipes) is real; every other
 * PDU on a conversation the engine must recognise by the heuristic probe. Whatever
 * comes out must come out without a crash or a sanitizer report, and the
 * damage must be reported as malformed. */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/registry.h"
#include "core/sink.h"

typedef struct pdu {
    uint16_t client_port;
    dt_dir dir;
    uint8_t *data; /* NBSS header included */
    size_t len;
} pdu;

typedef struct stream {
    uint16_t client_port;
    bool used;
    uint32_t next_seq[2];
    bool have_seq[2];
    uint8_t *buf[2];
    size_t len[2], cap[2];
} stream;

static pdu *pdus;
static size_t n_pdus, cap_pdus;
static stream streams[64];

static void push_pdu(uint16_t port, dt_dir dir, const uint8_t *d, size_t len)
{
    if (n_pdus == cap_pdus) {
        cap_pdus = cap_pdus ? cap_pdus * 2 : 256;
        pdus = realloc(pdus, cap_pdus * sizeof *pdus);
    }
    pdu *p = &pdus[n_pdus++];
    p->client_port = port;
    p->dir = dir;
    p->data = malloc(len);
    memcpy(p->data, d, len);
    p->len = len;
}

/* Appends TCP payload in sequence order (loopback captures are in order;
 * retransmitted bytes are dropped) and cuts complete NBSS frames off. */
static void add_segment(uint16_t client_port, dt_dir dir, uint32_t seq, const uint8_t *d, size_t n)
{
    stream *s = NULL;
    for (size_t i = 0; i < 64 && !s; i++) {
        if (streams[i].used && streams[i].client_port == client_port)
            s = &streams[i];
    }
    for (size_t i = 0; i < 64 && !s; i++) {
        if (!streams[i].used) {
            s = &streams[i];
            s->used = true;
            s->client_port = client_port;
        }
    }
    if (!s)
        return;
    if (s->have_seq[dir]) {
        uint32_t skip = s->next_seq[dir] - seq;
        if ((int32_t)skip < 0)
            return; /* a gap: not expected on loopback */
        if (skip >= n)
            return;
        d += skip;
        n -= skip;
        seq += skip;
    }
    s->have_seq[dir] = true;
    s->next_seq[dir] = seq + (uint32_t)n;
    if (s->len[dir] + n > s->cap[dir]) {
        s->cap[dir] = (s->len[dir] + n) * 2;
        s->buf[dir] = realloc(s->buf[dir], s->cap[dir]);
    }
    memcpy(s->buf[dir] + s->len[dir], d, n);
    s->len[dir] += n;
    size_t off = 0;
    while (s->len[dir] - off >= 4) {
        const uint8_t *h = s->buf[dir] + off;
        size_t flen = 4 + (((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3]);
        if (s->len[dir] - off < flen)
            break;
        push_pdu(client_port, dir, h, flen);
        off += flen;
    }
    memmove(s->buf[dir], s->buf[dir] + off, s->len[dir] - off);
    s->len[dir] -= off;
}

static int load(const char *path, uint16_t server_port)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) {
        fprintf(stderr, "test_smb2_fuzz: %s: %s\n", path, err);
        return -1;
    }
    int dlt = pcap_datalink(pc);
    size_t l2 = dlt == DLT_EN10MB ? 14 : dlt == DLT_LINUX_SLL ? 16 : dlt == DLT_NULL ? 4 : dlt == DLT_RAW ? 0 : 14;
    struct pcap_pkthdr *h;
    const uint8_t *f;
    while (pcap_next_ex(pc, &h, &f) == 1) {
        if (h->caplen < l2 + 40)
            continue;
        const uint8_t *ip = f + l2;
        if ((ip[0] >> 4) != 4 || ip[9] != 6)
            continue;
        size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)((ip[2] << 8) | ip[3]);
        if (l2 + tot > h->caplen || tot < ihl + 20)
            continue;
        const uint8_t *tcp = ip + ihl;
        size_t thl = (size_t)(tcp[12] >> 4) * 4;
        if (tot < ihl + thl)
            continue;
        uint16_t sp = (uint16_t)((tcp[0] << 8) | tcp[1]), dp = (uint16_t)((tcp[2] << 8) | tcp[3]);
        uint32_t seq = ((uint32_t)tcp[4] << 24) | ((uint32_t)tcp[5] << 16) | ((uint32_t)tcp[6] << 8) | tcp[7];
        size_t n = tot - ihl - thl;
        if (n == 0)
            continue;
        if (dp == server_port)
            add_segment(sp, DT_DIR_C2S, seq, tcp + thl, n);
        else if (sp == server_port)
            add_segment(dp, DT_DIR_S2C, seq, tcp + thl, n);
    }
    pcap_close(pc);
    return 0;
}

/* The server port: where the first SMB message went. */
static uint16_t find_server_port(const char *path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return 0;
    size_t l2 = pcap_datalink(pc) == DLT_EN10MB ? 14 : 16;
    struct pcap_pkthdr *h;
    const uint8_t *f;
    uint16_t port = 0;
    while (!port && pcap_next_ex(pc, &h, &f) == 1) {
        if (h->caplen < l2 + 40 + 8)
            continue;
        const uint8_t *ip = f + l2, *tcp = ip + (size_t)(ip[0] & 15) * 4;
        const uint8_t *pl = tcp + (size_t)(tcp[12] >> 4) * 4;
        if (pl + 8 <= f + h->caplen && pl[0] == 0 && pl[5] == 'S' && pl[6] == 'M' && pl[7] == 'B')
            port = (uint16_t)((tcp[2] << 8) | tcp[3]);
    }
    pcap_close(pc);
    return port;
}

/* A sink that counts what it is given. */
typedef struct count_sink {
    dt_sink base;
    size_t events, malformed, smb2, dcerpc;
} count_sink;

static void count_event(dt_sink *s, const dt_event *ev)
{
    count_sink *c = (count_sink *)s;
    c->events++;
    c->malformed += ev->malformed;
    c->smb2 += strcmp(ev->proto_name, "smb2") == 0;
    c->dcerpc += strcmp(ev->proto_name, "dcerpc") == 0;
    /* touch every field so a dangling string shows up under ASan */
    size_t sum = strlen(ev->summary);
    for (const dt_field *f = ev->fields; f; f = f->next)
        if (f->def->type == DT_FT_STRING && f->v.s.ptr)
            sum += strlen(f->v.s.ptr);
    (void)sum;
}

static int count_finish(dt_sink *s)
{
    (void)s;
    return 0;
}

static void count_destroy(dt_sink *s) { (void)s; }

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct run {
    dt_engine *e;
    const dt_channel *ch;
    uint64_t ts;
} run;

/* heuristic: an unknown server port and no decode-as, so the engine's probe
 * (the smb2 dissector's \xfeSMB/NBSS heuristic) sees the bytes first. */
static dt_conv *open_conv_as(run *r, uint16_t port, bool heuristic)
{
    char client[32];
    snprintf(client, sizeof client, "127.0.0.1:%u", port);
    dt_conv_params p = { .channel = r->ch, .transport = DT_CONV_STREAM, .client = client,
                         .server = heuristic ? "127.0.0.1:1" : "127.0.0.1:445", .dissector = heuristic ? NULL : "smb2",
                         .ts_ns = r->ts };
    return dt_engine_conv_open(r->e, &p);
}


static void feed(run *r, dt_conv *c, dt_dir dir, const uint8_t *d, size_t n)
{
    r->ts += 1000;
    dt_engine_stream(r->e, c, dir, r->ts, d, n);
}

/* The connection up to PDU i, so state is as it was in the capture. */
static dt_conv *replay_prefix(run *r, size_t i, bool heuristic)
{
    dt_conv *c = open_conv_as(r, pdus[i].client_port, heuristic);
    for (size_t k = 0; k < i; k++) {
        if (pdus[k].client_port == pdus[i].client_port)
            feed(r, c, pdus[k].dir, pdus[k].data, pdus[k].len);
    }
    return c;
}

int main(int argc, char **argv)
{
    char def[4096];
    const char *path = argc > 1 ? argv[1] : NULL;
    if (!path) {
        const char *src = getenv("DIAGTAP_SRCDIR");
        snprintf(def, sizeof def, "%s/tests/smb2/smb-session.pcapng", src ? src : ".");
        path = def;
    }
    uint16_t port = find_server_port(path);
    if (!port || load(path, port) != 0 || n_pdus < 50) {
        fprintf(stderr, "test_smb2_fuzz: %s: expected an SMB capture (%zu PDUs found)\n", path, n_pdus);
        return 1;
    }
    dt_registry *reg = dt_registry_new();
    if (dt_registry_add_builtins(reg) != 0 || !dt_registry_find(reg, "smb2") || !dt_registry_find(reg, "dcerpc")) {
        fprintf(stderr, "test_smb2_fuzz: smb2/dcerpc dissectors not registered\n");
        return 1;
    }
    FILE *null = fopen("/dev/null", "w");
    count_sink counter = { { .event = count_event, .finish = count_finish, .destroy = count_destroy }, 0, 0, 0, 0 };
    dt_sink *json = dt_json_sink_new(null);
    run r = { dt_engine_new(reg), NULL, UINT64_C(1700000000000000000) };
    dt_engine_add_sink(r.e, &counter.base);
    if (json)
        dt_engine_add_sink(r.e, json);
    r.ch = dt_engine_channel(r.e, "fuzz", "smb2 fuzz", -1);

    /* The capture as it is: decodes cleanly, also where the engine must
     * recognise SMB (or an NBSS session request) by its probe. */
    for (size_t i = 0; i < 64; i++) {
        if (!streams[i].used)
            continue;
        dt_conv *c = open_conv_as(&r, streams[i].client_port, i % 2);
        for (size_t k = 0; k < n_pdus; k++) {
            if (pdus[k].client_port == streams[i].client_port)
                feed(&r, c, pdus[k].dir, pdus[k].data, pdus[k].len);
        }
        dt_engine_conv_close(r.e, c, r.ts, NULL);
    }
    size_t clean_events = counter.events, clean_malformed = counter.malformed, clean_rpc = counter.dcerpc;
    if (clean_malformed || counter.smb2 < n_pdus || clean_rpc < 4) {
        fprintf(stderr, "test_smb2_fuzz: the clean capture gave %zu malformed, %zu SMB2 events for %zu PDUs, %zu DCE/RPC\n",
                clean_malformed, counter.smb2, n_pdus, clean_rpc);
        return 1;
    }

    uint8_t *buf = malloc(1 << 24);
    size_t variants = 0;
    for (size_t i = 0; i < n_pdus; i++) {
        const pdu *p = &pdus[i];
        size_t body = p->len - 4;
        dt_conv *c = replay_prefix(&r, i, i % 2);
        /* Truncated at every offset: the frame says the shorter length. */
        for (size_t t = 0; t < body; t++) {
            buf[0] = p->data[0];
            buf[1] = (uint8_t)(t >> 16);
            buf[2] = (uint8_t)(t >> 8);
            buf[3] = (uint8_t)t;
            memcpy(buf + 4, p->data + 4, t);
            feed(&r, c, p->dir, buf, 4 + t);
            variants++;
        }
        /* Random bit flips anywhere after the length header. */
        for (int k = 0; k < 300; k++) {
            memcpy(buf, p->data, p->len);
            int flips = 1 + (int)(rnd() % 4);
            for (int b = 0; b < flips && body; b++) {
                size_t at = 4 + (size_t)(rnd() % (body < 256 || k % 2 ? body : 256));
                buf[at] ^= (uint8_t)(1u << (rnd() % 8));
            }
            feed(&r, c, p->dir, buf, p->len);
            variants++;
        }
        dt_engine_conv_close(r.e, c, r.ts, NULL);
        /* The stream ends inside the PDU; and a damaged length header. */
        c = replay_prefix(&r, i, false);
        feed(&r, c, p->dir, p->data, 4 + body / 2);
        dt_engine_conv_close(r.e, c, r.ts, NULL);
        c = replay_prefix(&r, i, true);
        memcpy(buf, p->data, p->len);
        buf[1] ^= 0x80;
        buf[0] ^= (uint8_t)(rnd() & 0x85);
        feed(&r, c, p->dir, buf, p->len);
        dt_engine_conv_close(r.e, c, r.ts, NULL);
        variants += 2;
    }
    int rc = dt_engine_finish(r.e, r.ts);
    printf("test_smb2_fuzz: %zu PDUs from %s, %zu damaged variants; %zu events (%zu malformed, %zu DCE/RPC); clean run %zu events\n",
           n_pdus, path, variants, counter.events, counter.malformed, counter.dcerpc, clean_events);
    if (counter.malformed < n_pdus) {
        fprintf(stderr, "test_smb2_fuzz: truncation was not reported as malformed often enough\n");
        rc = 1;
    }
    dt_engine_free(r.e);
    if (json)
        json->destroy(json);
    fclose(null);
    dt_registry_free(reg);
    free(buf);
    for (size_t i = 0; i < n_pdus; i++)
        free(pdus[i].data);
    free(pdus);
    for (size_t i = 0; i < 64; i++) {
        free(streams[i].buf[0]);
        free(streams[i].buf[1]);
    }
    return rc == 0 ? 0 : 1;
}
