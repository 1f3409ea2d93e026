/* Relaying and decoding decoupled: a decoder thread owns the engine (and so
 * the sinks); sources on the I/O thread hand it what they relayed through
 * one bounded queue per source (a dt_feed) and never wait for it.
 *
 * Past half full a feed is "behind": bytes are still queued, but to be
 * recorded (-w) and not decoded (without a recording, not queued at all:
 * reported as lost, below), until the decoder has emptied it down to a
 * quarter; the engine then reports "decoder behind: N bytes not decoded" on
 * the timeline (counted by --stats) and its framer resynchronises on the
 * next message. A full feed takes no bytes at all: they are relayed, not
 * recorded, and reported as "not decoded nor recorded" with their stream
 * offset. Conversation bookkeeping (open, end, close, the notes that
 * explain a close) has room reserved per open conversation, so it is never
 * lost; when there is not even room to open another conversation,
 * dt_feed_open says so and the source relays that connection undecoded.
 *
 * Threads: dt_decoder_start, dt_decoder_feed and dt_decoder_stop on the
 * thread that made the engine; every dt_feed_* call on ONE producer thread
 * per feed (the I/O loop's); the engine and the sinks only on the decoder
 * thread between start and stop. The engine stays single-threaded.
 */
#ifndef DIAGTAP_IPC_DECODER_H
#define DIAGTAP_IPC_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "io.h"

typedef struct dt_decoder dt_decoder;
typedef struct dt_feed dt_feed;
typedef struct dt_feed_conv dt_feed_conv;

#define DT_FEED_CAP_DEFAULT (16u * 1024u * 1024u)
/* Linux: the nice value of a proxy's or wrap's decoder thread (never below
 * the process's own; see decoder.c). A session's keeps the caller's. */
#define DT_DECODER_NICE 10

/* Starts the decoder thread over eng, for live sources (proxies, wrap):
 * their records carry the wall clock of their relay, so a decoder that
 * runs seconds behind says so on the timeline ("timeline late"), and on
 * Linux it runs at DT_DECODER_NICE. Start it after dt_io_on_stop_signal
 * (the thread inherits the blocked signals). NULL with a message in err. */
dt_decoder *dt_decoder_start(dt_engine *eng, char *err, size_t errsz);
/* The same, merging its feeds in time order (diagtap session): a record is
 * decoded once it is window_ns old (wall clock) and no older record waits in
 * another feed; a feed filling past a quarter, and the stop, release records
 * at once. A record older than one already decoded is "late": decoded
 * where it arrived, with a note marking the run, counted at the stop.
 * window_ns 0: feeds drained in turn. Sources may be replayed files: no
 * "timeline late" notes, and the thread keeps the caller's priority. */
dt_decoder *dt_decoder_start_merged(dt_engine *eng, uint64_t window_ns, char *err, size_t errsz);
/* A new source's queue of cap bytes (0: DT_FEED_CAP_DEFAULT). io is the
 * producer's loop: the feed keeps a timer there, so that a trickle of small
 * messages wakes the decoder after a few milliseconds instead of on every
 * message (keeping a round trip through a proxy short). NULL when out of
 * memory. Feeds live until dt_decoder_stop. */
dt_feed *dt_decoder_feed(dt_decoder *d, dt_io *io, const char *name, size_t cap);
/* fn(ctx) runs on the decoder thread each time it has emptied every feed
 * and is about to sleep: where a timeline written to a fully buffered
 * stream is flushed (one write per batch of events instead of one per
 * line; a quiet session's timeline still lags by a few milliseconds only). */
void dt_decoder_on_idle(dt_decoder *d, void (*fn)(void *ctx), void *ctx);
/* Lets the decoder empty every feed, stops it and joins it; the engine is
 * the caller's again. Every feed's producer must be done. Frees everything.
 * What a lowered-priority decoder (Linux, not a merging one) has not run
 * yet is run by a new thread at the caller's priority. */
/* A stop signal arrived: an output the decoder thread is blocked on (a
 * recording to a FIFO nobody reads) gives up instead of holding the stop. */
void dt_decoder_interrupt(dt_decoder *d, int sig);
void dt_decoder_stop(dt_decoder *d);

/* ---- Producer side (the I/O thread) ------------------------------------ */

typedef struct dt_feed_conv_params {
    const char *channel;      /* channel name, e.g. "unix:/tmp/x.sock#3" */
    const char *description;  /* channel description (pcapng interface) */
    dt_transport transport;
    const char *client, *server;
    uint16_t client_port, server_port;
    const char *dissector;    /* forced, or NULL */
    bool show_undecoded;
    bool release_channel;     /* free the channel when the conversation closes
                                 (one channel per proxied connection) */
    bool messages;            /* fed with dt_feed_message (message-mode pipe) */
} dt_feed_conv_params;

/* Opens a conversation (and its channel) on the decoder's side. NULL when
 * the feed has no room for another conversation's bookkeeping right now or
 * out of memory: the caller relays without decoding and says so later. */
dt_feed_conv *dt_feed_open(dt_feed *f, const dt_feed_conv_params *p, uint64_t ts_ns);
/* Bytes relayed in direction dir: queued for decoding, or for recording
 * only when the decoder is behind, or counted as lost when the feed is
 * full. Never blocks. */
void dt_feed_stream(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns, const uint8_t *data, size_t len);
/* One whole message of a message-mode pipe (two segments: a ring's
 * wrap-around), decoded and recorded as one piece of the stream (one
 * record, cut only at the recording's own record limit) when it is at most
 * an eighth of the feed (2 MiB by default); longer ones go as dt_feed_stream. */
void dt_feed_message(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns, const uint8_t *a, size_t na,
                     const uint8_t *b, size_t nb);
/* True when bytes of direction dir would not be queued now, not even to be
 * recorded (the feed is full, or a gap waits to be queued): a relay that
 * can move bytes without looking at them (dt_io_relay) then takes no copy
 * and reports them with dt_feed_lost, as dt_feed_stream would have. */
bool dt_feed_full(dt_feed *f, dt_feed_conv *c, dt_dir dir);
/* len bytes of direction dir were relayed and are neither decoded nor
 * recorded ("decoder behind: N bytes not decoded nor recorded"). */
void dt_feed_lost(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns, size_t len);
/* One direction ended. */
void dt_feed_end(dt_feed *f, dt_feed_conv *c, dt_dir dir, uint64_t ts_ns);
/* A note or error on the conversation's timeline (c NULL: the source's).
 * Text longer than 400 bytes is cut. */
void dt_feed_note(dt_feed *f, dt_feed_conv *c, uint64_t ts_ns, dt_event_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Closes the conversation (why: NULL for a normal close). c is gone after. */
void dt_feed_close(dt_feed *f, dt_feed_conv *c, uint64_t ts_ns, const char *why);

/* Anything else a source needs done on the decoder thread (a captured
 * frame through capture's decoding, a replayed file's block): fn runs
 * there with a copy of data (at most a quarter of the feed). may_drop: when
 * the feed is behind or full the call is refused and counted (the caller
 * reports it); otherwise it fails only when there is no room at all.
 * Returns true when queued. */
typedef void (*dt_feed_fn)(dt_engine *eng, void *ctx, uint64_t ts_ns, const uint8_t *data, size_t len);
bool dt_feed_call(dt_feed *f, dt_feed_fn fn, void *ctx, uint64_t ts_ns, const uint8_t *data, size_t len,
                  bool may_drop);

/* Bytes not decoded so far because the decoder was behind (all feeds of
 * this one's source). Producer thread. */
uint64_t dt_feed_behind_bytes(const dt_feed *f);

#endif
