/* From captured frames to engine conversations: link layers, IPv4/IPv6 (with
 * fragment reassembly), UDP datagrams, TCP streams put back in order, and
 * diagtap's own recorded IPC streams (exported PDUs) and .nettrace chunks.
 *
 * Memory is bounded by the open conversations: flows close on FIN/RST, expire
 * when idle, and the number of flows and bytes waiting per flow are capped.
 */
#ifndef DIAGTAP_CAPTURE_NETDEC_H
#define DIAGTAP_CAPTURE_NETDEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/registry.h"

typedef struct dt_netdec dt_netdec;

typedef struct dt_netdec_limits {
    uint32_t tcp_window;     /* bytes waiting behind a hole, per direction */
    uint64_t idle_ns;        /* a flow with no packet for this long is closed */
    size_t max_flows;        /* beyond this, the least recently active is closed */
} dt_netdec_limits;

/* reg (may be NULL) tells which ports are known when no SYN was seen. */
dt_netdec *dt_netdec_new(dt_engine *e, const dt_registry *reg, const dt_netdec_limits *limits);
/* Frees flows and buffers. Call after dt_engine_finish, which closes the
 * conversations; this does not touch them. */
void dt_netdec_free(dt_netdec *d);

/* One frame of channel ch (its linktype: LINKTYPE_*, DT_LINKTYPE_UPPER_PDU or
 * DT_LINKTYPE_NETTRACE; ch itself has linktype -1 for the last two). Network
 * frames also go to dt_engine_frame for recording sinks. */
void dt_netdec_packet(dt_netdec *d, const dt_channel *ch, int linktype, uint64_t ts_ns, const uint8_t *data,
                      size_t caplen, size_t origlen, uint32_t epb_flags);

/* Time passed without packets (live capture, about once a second): expires
 * idle flows and gives up holes that waited too long, so events do not lag. */
void dt_netdec_tick(dt_netdec *d, uint64_t now_ns);

/* End of input: what waits behind holes is handed on with gaps; the
 * conversations stay open for dt_engine_finish. */
void dt_netdec_finish(dt_netdec *d, uint64_t ts_ns);

/* Open flows, for tests and statistics. */
size_t dt_netdec_open_flows(const dt_netdec *d);

#endif
