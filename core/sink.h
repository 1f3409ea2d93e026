/* Sinks: where the timeline and the recording go. */
#ifndef DIAGTAP_CORE_SINK_H
#define DIAGTAP_CORE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diagtap/event.h"

/* pcapng EPB flags for direction. */
#define DT_EPB_INBOUND 1u  /* C2S: client → server */
#define DT_EPB_OUTBOUND 2u /* S2C: server → client */

typedef struct dt_sink dt_sink;
struct dt_sink {
    /* A new channel, before any of its frames or stream bytes. */
    void (*channel)(dt_sink *s, const dt_channel *ch);
    /* A captured frame of a network channel (linktype >= 0), as read. NULL
     * for a sink that records no frames (every one but the pcapng recorder). */
    void (*frame)(dt_sink *s, const dt_channel *ch, uint64_t ts_ns, const uint8_t *data, size_t caplen,
                  size_t origlen, uint32_t epb_flags);
    /* Bytes of an IPC stream (channel linktype -1), in order; every byte
     * exactly once, cut at PDU boundaries where a dissector framed them.
     * proto_name is the dissector's name, or "data" for bytes no dissector
     * framed. NULL for a sink that records no bytes: a relay whose decoder
     * falls behind then does not copy the bytes it cannot decode. */
    void (*stream)(dt_sink *s, const dt_conv_info *conv, dt_dir dir, uint64_t ts_ns, const char *proto_name,
                   const uint8_t *data, size_t len);
    /* A timeline event (after filtering). */
    void (*event)(dt_sink *s, const dt_event *ev);
    /* Flush; returns 0, or -1 after a write error (reported by the sink). */
    int (*finish)(dt_sink *s);
    void (*destroy)(dt_sink *s);
    /* The channel is gone (dt_engine_channel_release); its id may come
     * back for a new channel. Optional (last, so sinks written as positional
     * initializers stay valid). */
    void (*channel_release)(dt_sink *s, const dt_channel *ch);
    /* Optional, both or neither, for a sink that keeps events past the call
     * (a render thread's queue): event_memory lends room for the next event
     * the engine builds (*room bytes at *at, 16-byte aligned; false: none),
     * and event_span takes the place of event for the events built there:
     * base is where the event's own memory starts and len how much of it it
     * used, or base NULL when it did not stay in the lent room. Such an
     * event's field tree and strings may be kept as they are, not copied
     * (core/sinks/async_sink.c). The engine lends to one sink at most. */
    bool (*event_memory)(dt_sink *s, void **at, size_t *room);
    void (*event_span)(dt_sink *s, const dt_event *ev, const void *base, size_t len);
};

/* ---- The sinks of core/sinks/. Each returns NULL only on allocation failure
 * (pcapng: or when the file cannot be created, with a message in err). */

typedef struct dt_text_opts {
    bool color;   /* ANSI colours (the CLI decides: a terminal, or --color) */
    bool verbose; /* -V: the field tree under each line */
    bool utc;     /* times in UTC instead of local time */
    bool hex;     /* -x: each event's bytes as a hex and ASCII dump (bounded) */
} dt_text_opts;

/* The human timeline, one line per event. */
dt_sink *dt_text_sink_new(FILE *out, const dt_text_opts *opts);
/* JSON Lines, one object per event (docs/json-schema.md). */
dt_sink *dt_json_sink_new(FILE *out);
/* -V: each event also carries its message bytes ("raw", hex; for an inner
 * message such as a decrypted WinRM body, the bytes its dissector saw),
 * except events with a redacted credential. */
void dt_json_sink_set_raw(dt_sink *s, bool raw);
/* A pcapng recording, created 0600. */
dt_sink *dt_pcapng_sink_new(const char *path, char *err, size_t errsz);
/* --stats: a table per protocol and command, printed by finish(). */
dt_sink *dt_stats_sink_new(FILE *out);
/* The same statistics as one JSON object (the HTML report's table). */
dt_sink *dt_stats_sink_new_json(FILE *out);
/* -T html: one self-contained report (docs/html.md); title may be NULL. */
dt_sink *dt_html_sink_new(FILE *out, const char *title);
/* -T mermaid: a sequenceDiagram of the exchanges; markdown: inside a
 * ```mermaid fence; at most max_messages arrows (0: 1000), then a note. */
dt_sink *dt_mermaid_sink_new(FILE *out, bool markdown, uint64_t max_messages);

/* inner (a sink of events only: text, JSON) run on a render thread of its
 * own, so that turning events into text and writing them overlaps the
 * decoding (a replay on two cores; docs/performance.md). Each event is
 * queued, with a copy of its conversation and channel, and handed to inner
 * there in order: the output is the same. The engine builds events in
 * memory this sink lends (event_memory, DT_ASYNC_SPAN_BYTES in all), and an
 * event that stayed there is queued without copying its fields; others are
 * copied whole. with_raw: the queued event keeps the message bytes (-x,
 * JSON -V). The decoding waits only when
 * the queue is full; even a trickle of events reaches inner within a few
 * milliseconds (a replay shown on a terminal stays live). finish() drains the queue
 * and stops the thread before finishing inner, so a sink added later may
 * write to the same stream after it. Owns inner; NULL (out of memory, or
 * no thread) leaves inner the caller's, to use directly. */
dt_sink *dt_async_sink_new(dt_sink *inner, bool with_raw);
#define DT_ASYNC_SPAN_BYTES (1u << 20) /* the memory it lends events, a power of two */

#endif
