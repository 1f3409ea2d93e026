/* Engine internals shared by engine.c (conversations, framing) and event.c
 * (the API dissectors call while decoding). */
#ifndef DIAGTAP_CORE_ENGINE_INTERNAL_H
#define DIAGTAP_CORE_ENGINE_INTERNAL_H

#include "arena.h"
#include "engine.h"
#include "filter.h"
#include "pairing.h"
#include "registry.h"

#define DT_MAX_SINKS 8
#define DT_MAX_DECODE_AS 32
#define DT_MAX_PDU (64u * 1024u * 1024u)
#define DT_PROBE_BYTES 64   /* undecided streams buffer this much before giving up */
#define DT_PROBE_TRIES 4    /* datagrams probed before a flow is left undecoded */
#define DT_RESYNC_TAIL 512  /* skipping an oversized PDU: bytes held back in case a message starts there */

typedef struct dir_state {
    uint8_t *buf;          /* bytes of a PDU not yet complete */
    size_t len, cap;
    size_t need;           /* total the framer asked for, 0 if unknown */
    uint64_t offset;       /* stream offset of the next byte to frame (buf[0]) */
    uint64_t skip_left;    /* bytes of an oversized PDU still to discard */
    uint64_t skip_off;     /* where that PDU started, and the size it announced */
    uint64_t skip_size;
    uint64_t garbage;      /* bytes skipped since the last PDU */
    uint64_t garbage_off;
    bool resync;           /* after a gap: look for a boundary with the probe */
    bool ended;
    /* raw previews: the current text line's start, to redact credential headers across chunks */
    char line[24];
    uint8_t line_len;
    bool line_secret;      /* inside "Authorization: …" and the like, until the end of the line */
    uint64_t undecoded;    /* bytes recorded but not decoded since the last decoded ones */
    uint64_t undecoded_off;
    uint64_t undecoded_ts;
    /* message conversations: the lengths of the chunks held in buf while
     * no dissector is chosen (each shorter than DT_PROBE_BYTES) */
    uint8_t held_cut[DT_PROBE_BYTES];
    uint8_t n_held;
} dir_state;

struct dt_conv {
    dt_conv_info info;
    char *client, *server;
    dt_transport transport;
    uint16_t client_port, server_port;
    const dt_dissector *d;
    void *state;
    bool decided;          /* dissector chosen, or given up */
    bool show_undecoded;
    bool whole_file;
    bool messages;   /* dt_conv_params.messages */
    int probe_tries;
    dir_state dirs[2];
    dt_pending *pending;   /* this conversation's unanswered requests */
    dt_conv *parent;       /* inner stream: its carrier */
    uint64_t inner_key;
    dt_conv *inner;        /* inner streams (list) */
    dt_conv *inner_next;
    bool inner_dirty;
    bool closing;          /* inner stream ended: finish after the carrier's event */
    bool replaying;        /* held bytes go through dt_engine_stream again: counted once */
    bool whole_messages;   /* inner messages: dirs[] queue [u64 len][u32 ulen][user][bytes], no framer */
    char *carrier_user;    /* inner: who the carrier authenticated (dt_inner_set_user) */
    char *next_inner_user; /* carrier: that user, for inner message streams not opened yet */
    const char *msg_user;  /* while a queued message is dissected: its carrier user, or NULL */
    dt_conv *prev, *next;  /* the engine's open conversations */
    /* Traffic counts, for conversations no dissector claims (unclaimed.c). */
    struct dt_conv_counts {
        uint64_t first_ts, last_ts;
        uint64_t bytes[2], packets[2];
        uint8_t preview[2][64];
        uint8_t preview_len[2];
        bool packets_counted; /* the capture counts packets (else a chunk is one) */
        bool opened_shown;
    } counts;
};

typedef struct dt_option_kv {
    char *name;
    char *value;
} dt_option_kv;

/* What ctx->engine points to during a dissect call. */
typedef struct dt_dissect_state {
    dt_engine *e;
    dt_conv *conv;
    dt_pending *request;     /* the current event's request entry */
    dt_pending *answered[64]; /* final replies: entries freed after dissect returns */
    size_t n_answered;
} dt_dissect_state;

struct dt_engine {
    dt_registry *reg;
    dt_sink *sinks[DT_MAX_SINKS];
    int n_sinks;
    dt_sink *mem_sink; /* the sink that lends each event its memory (event_memory), or NULL */
    dt_filter *filter;
    bool filter_drops_all; /* --proto lists no protocol any event can have: nothing is dissected */
    dt_option_kv *opts;
    size_t n_opts;
    bool show_credentials;
    struct {
        uint16_t port;
        const dt_dissector *d;
        bool warned;       /* said once that it does not fit a conversation's transport */
    } decode_as[DT_MAX_DECODE_AS];
    int n_decode_as;
    dt_channel **channels;
    size_t n_channels, cap_channels;
    uint32_t *free_channel_ids; /* released ids, reused before the table grows */
    size_t n_free_channel_ids;
    dt_conv *convs;
    uint32_t next_conv_id;
    uint64_t seq;
    uint64_t last_ts;
    const char *input;
    dt_pairing *pairing;
    dt_arena arena;
    dt_arena scratch; /* dt_scratch: reset with arena, never part of an event */
    dt_event ev;          /* the event being built */
    size_t summary_len;
    dt_dissect_state *ds; /* set while a dissector runs */
    dt_pending *partner;  /* the event being built answers (or gives up on) this request: -Y pairing */
    char input_fault[256];
};

void dt_ev_begin(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, dt_event_kind kind, const dt_dissector *d,
                 const uint8_t *raw, size_t raw_len, uint64_t raw_offset);
void dt_ev_commit(dt_engine *e);
/* Runs d->dissect on one PDU and commits its events. */
void dt_engine_dissect_pdu(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *pdu, size_t len,
                           uint64_t offset);
void dt_engine_process_inner(dt_engine *e, dt_conv *c);
dt_conv *dt_engine_inner_get(dt_engine *e, dt_conv *parent, const dt_dissector *d, uint64_t key);
dt_conv *dt_engine_inner_msg_get(dt_engine *e, dt_conv *parent, const dt_dissector *d, uint64_t key);
void dt_engine_inner_msg_feed(dt_engine *e, dt_conv *inner, dt_dir dir, const uint8_t *data, size_t len);
void dt_engine_inner_feed(dt_engine *e, dt_conv *inner, dt_dir dir, const uint8_t *data, size_t len);
void dt_engine_inner_close(dt_engine *e, dt_conv *parent, uint64_t key);

#endif
