/* Internals shared by netdec.c (layers 2-3), flows.c (UDP/TCP) and
 * chanstream.c (per-channel byte streams). */
#ifndef DIAGTAP_CAPTURE_NETDEC_IMPL_H
#define DIAGTAP_CAPTURE_NETDEC_IMPL_H

#include <stdbool.h>

#include "ipfrag.h"
#include "netdec.h"
#include "tcp_reasm.h"

#define DT_FLOW_BUCKETS 16384u
#define DT_FLOW_TOMBSTONE_NS (30ull * 1000000000ull) /* how long a closed TCP flow absorbs late packets */

typedef struct dt_flow_key {
    uint32_t channel;
    uint8_t version;     /* 4 or 6 */
    uint8_t proto;       /* 6 TCP, 17 UDP */
    uint16_t port[2];    /* endpoints in canonical order: (addr[0],port[0]) <= (addr[1],port[1]) */
    uint8_t addr[2][16];
} dt_flow_key;

typedef struct dt_flow dt_flow;
struct dt_flow {
    dt_flow_key key;
    dt_flow *hnext;
    dt_flow *newer, *older;  /* activity list */
    dt_netdec *owner;
    uint64_t last_ts;
    dt_conv *conv;           /* NULL: closed (a tombstone) */
    int client_end;          /* which key endpoint (0/1) is the client */
    dt_tcp_half half[2];     /* by dt_dir: C2S is the client's data */
    bool ended[2];
    char client[64];
    char server[64];
};

/* One IP packet's transport payload, with its endpoints. */
typedef struct dt_ip_pkt {
    const dt_channel *ch;
    uint64_t ts;
    uint8_t version;
    uint8_t proto;
    const uint8_t *src, *dst; /* 4 or 16 bytes */
    const uint8_t *payload;
    size_t len;
    bool truncated;          /* the capture cut the payload short */
} dt_ip_pkt;

typedef struct dt_chan_conv {
    dt_conv *conv;
    bool opened;
    char dissector[64];
    char client[128];
    char server[128];
} dt_chan_conv;

struct dt_netdec {
    dt_engine *eng;
    const dt_registry *reg;
    dt_netdec_limits lim;
    dt_ipfrag *frag;
    dt_flow *bucket[DT_FLOW_BUCKETS];
    dt_flow *newest, *oldest;
    size_t n_flows;          /* in the table, closed ones included */
    size_t n_live;           /* with an open conversation */
    dt_chan_conv **chan;     /* by channel id */
    size_t n_chan;
};

void dt_flow_ip(dt_netdec *d, const dt_ip_pkt *ip);
void dt_flow_expire(dt_netdec *d, uint64_t now);
void dt_flow_finish_all(dt_netdec *d, uint64_t ts);
void dt_flow_tick_all(dt_netdec *d, uint64_t now);
void dt_flow_free_all(dt_netdec *d);

void dt_chan_upper_pdu(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *data, size_t len,
                       uint32_t epb_flags);
void dt_chan_nettrace(dt_netdec *d, const dt_channel *ch, uint64_t ts, const uint8_t *data, size_t len);

#endif
