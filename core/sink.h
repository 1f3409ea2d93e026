/* Sinks: where the timeline and the recording go. */
#ifndef DIAGTAP_CORE_SINK_H
#define DIAGTAP_CORE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "diagtap/event.h"

/* pcapng EPB flags for direction. */
#define DT_EPB_INBOUND 1u  /* C2S: client → server */
#define DT_EPB_OUTBOUND 2u /* S2C: server → client */

typedef struct dt_sink dt_sink;
struct dt_sink {
    /* A new channel, before any of its frames or stream bytes. */
    void (*channel)(dt_sink *s, const dt_channel *ch);
    /* A captured frame of a network channel (linktype >= 0), as read. */
    void (*frame)(dt_sink *s, const dt_channel *ch, uint64_t ts_ns, const uint8_t *data, size_t caplen,
                  size_t origlen, uint32_t epb_flags);
    /* Bytes of an IPC stream (channel linktype -1), in order; every byte
     * exactly once, cut at PDU boundaries where a dissector framed them.
     * proto_name is the dissector's name, or "data" for bytes no dissector
     * framed. */
    void (*stream)(dt_sink *s, const dt_conv_info *conv, dt_dir dir, uint64_t ts_ns, const char *proto_name,
                   const uint8_t *data, size_t len);
    /* A timeline event (after filtering). */
    void (*event)(dt_sink *s, const dt_event *ev);
    /* Flush; returns 0, or -1 after a write error (reported by the sink). */
    int (*finish)(dt_sink *s);
    void (*destroy)(dt_sink *s);
};

#endif
