/* The engine: sources push chunks in, events come out to sinks.
 *
 * Sources (capture/, ipc/) know how to get bytes and nothing about protocols.
 * They declare channels and conversations and push stream bytes, datagrams,
 * gaps and closes; the engine picks a dissector per conversation (decode-as,
 * ports, heuristic probes), frames streams into PDUs, runs the dissector,
 * pairs requests with responses and hands events to every sink.
 *
 * Single-threaded; a source calls it from its own loop.
 */
#ifndef DIAGTAP_CORE_ENGINE_H
#define DIAGTAP_CORE_ENGINE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "diagtap/dissector.h"
#include "filter.h"
#include "sink.h"

typedef struct dt_engine dt_engine;
typedef struct dt_conv dt_conv;

typedef enum dt_transport {
    DT_CONV_TCP,    /* captured TCP: ports select dissectors */
    DT_CONV_UDP,    /* captured UDP: each datagram is one PDU */
    DT_CONV_STREAM, /* IPC byte stream: proxy, wrapper, raw dump, recorded stream */
} dt_transport;

typedef struct dt_conv_params {
    const dt_channel *channel;
    dt_transport transport;
    const char *client;       /* text for the timeline: "127.0.0.1:40312" */
    const char *server;
    uint16_t client_port;     /* 0 when not a network conversation */
    uint16_t server_port;
    const char *dissector;    /* force this dissector (decode-as); NULL: choose */
    bool show_undecoded;      /* no dissector found: emit raw "N bytes" events (IPC) */
    bool whole_file;          /* the stream is a file's own content (.nettrace): an
                                 incomplete message at its end means the file was cut short */
    bool messages;            /* a message-mode pipe: each dt_engine_stream call is one
                                 message, kept apart while no dissector is chosen yet */
    uint64_t ts_ns;
} dt_conv_params;

/* Whether d can be run on conversations of transport t without calling a
 * hook it lacks: byte streams need a framer. NULL fits. */
bool dt_dissector_fits(const dt_dissector *d, dt_transport t);
/* "TCP and UDP", "UDP", "byte streams"…: a DT_TRANSPORT_* mask for messages. */
const char *dt_transports_text(uint32_t transports);

dt_engine *dt_engine_new(dt_registry *reg);
void dt_engine_free(dt_engine *e);

/* Sinks receive in the order added; the engine does not own them. */
void dt_engine_add_sink(dt_engine *e, dt_sink *s);
/* Event filter applied before event sinks (recorders see everything). */
void dt_engine_set_filter(dt_engine *e, dt_filter *f);
void dt_engine_set_option(dt_engine *e, const char *name, const char *value);
/* Asks every dissector to check the options set; -1 with "NAME=VALUE: why" in err. */
int dt_engine_check_options(dt_engine *e, char *err, size_t errsz);
void dt_engine_set_show_credentials(dt_engine *e, bool show);
/* "PORT=PROTO" (TCP and UDP) or "tcp.port==PORT,PROTO"; returns 0 or -1 with a message in err. */
int dt_engine_decode_as(dt_engine *e, const char *spec, char *err, size_t errsz);
/* The input name events are attributed to ("trace.pcapng"), may be NULL. */
void dt_engine_set_input(dt_engine *e, const char *input);

const dt_channel *dt_engine_channel(dt_engine *e, const char *name, const char *description, int linktype);

/* The channel is done with: its conversations are closed and no sink will
 * hear of it again (one channel per proxied connection would otherwise
 * grow memory with every connection ever made). Sinks learn it through
 * channel_release; its id may be given to a later channel. */
void dt_engine_channel_release(dt_engine *e, const dt_channel *ch);

dt_conv *dt_engine_conv_open(dt_engine *e, const dt_conv_params *p);
const dt_conv_info *dt_engine_conv_info(const dt_conv *c);
/* The dissector's per-conversation state (NULL until one is chosen): the
 * Wireshark adapter runs a framer on it outside the engine's own framing. */
void *dt_engine_conv_state(dt_conv *c);
void dt_engine_stream(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts_ns, const uint8_t *data, size_t len);
/* A captured packet of a network conversation, payload or not (SYN, ACK):
 * counted for the conversation's summary when no dissector claims it. */
void dt_engine_conv_packet(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts_ns);
void dt_engine_gap(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts_ns, uint64_t nbytes);
/* When the decoder falls behind a relay (ipc/decoder.h): bytes that are
 * recorded as they are but not decoded. The first decoded bytes after them
 * (or the end of the direction) bring one "decoder behind: N bytes not
 * decoded" error on the timeline, counted by --stats as diagtap "decoder
 * behind", and the framer resynchronises as after a gap. */
void dt_engine_stream_skip(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts_ns, const uint8_t *data, size_t len);
/* nbytes relayed that the decoder never saw (not even to record them):
 * reported the same way, "not decoded nor recorded". */
void dt_engine_undecoded(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts_ns, uint64_t nbytes);
/* True when a sink records byte streams (-w): only then are bytes the
 * decoder is too far behind to decode worth handing it (ipc/decoder.c). */
bool dt_engine_records_streams(const dt_engine *e);
void dt_engine_datagram(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts_ns, const uint8_t *data, size_t len);
/* One direction ended (FIN, half-close, EOF on a dump). */
void dt_engine_stream_end(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts_ns);
/* The conversation is over: flushes partial PDUs (reported as truncated),
 * ends the dissector's state and frees c. why: NULL for a normal close. */
void dt_engine_conv_close(dt_engine *e, dt_conv *c, uint64_t ts_ns, const char *why);

/* A captured frame, for recording sinks (network channels only). */
void dt_engine_frame(dt_engine *e, const dt_channel *ch, uint64_t ts_ns, const uint8_t *data,
                     size_t caplen, size_t origlen, uint32_t epb_flags);

/* A note or error on the timeline (connect refused, input fault). conv may be NULL. */
void dt_engine_note(dt_engine *e, dt_conv *c, uint64_t ts_ns, dt_event_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* End of input: every open conversation is closed, every request still
 * without a reply becomes a DT_EV_PENDING event aged against end_ts_ns, sinks
 * are finished. Returns 0, or -1 when a sink failed to write. */
int dt_engine_finish(dt_engine *e, uint64_t end_ts_ns);

/* The first "file cut short" fault of a whole_file stream ("offset N: …"),
 * or NULL; set by dt_engine_finish/conv_close. */
const char *dt_engine_input_fault(const dt_engine *e);

/* Latest timestamp seen, for ageing pending requests. */
uint64_t dt_engine_last_ts(const dt_engine *e);

#endif
