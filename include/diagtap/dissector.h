/* The dissector ABI: what a protocol module declares, and what the engine
 * offers it while it decodes one PDU.
 *
 * Built-in dissectors and external .so plugins use exactly this interface. A
 * dissector is pure: given a PDU and its per-conversation state it adds fields
 * and a summary to an event. No I/O, no printing, no global mutable state.
 *
 * External plugin: a shared object exporting
 *     int diagtap_plugin_init(dt_registry *reg);
 * that calls dt_register() for each dissector it provides and returns 0.
 */
#ifndef DIAGTAP_DISSECTOR_H
#define DIAGTAP_DISSECTOR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "event.h"
#include "fields.h"

/* 2: dt_dissector gained `options`. Version 1 plugins still load (the
 * registry copies them into a version 2 struct with no options). */
#define DT_ABI_VERSION 2u
#define DT_ABI_VERSION_MIN 1u

typedef struct dt_registry dt_registry;
typedef struct dt_ctx dt_ctx;

/* Transports a dissector can sit on. */
enum {
    DT_TRANSPORT_TCP = 1u << 0,    /* a captured TCP stream */
    DT_TRANSPORT_UDP = 1u << 1,    /* a captured UDP datagram */
    DT_TRANSPORT_STREAM = 1u << 2, /* any IPC byte stream (Unix socket, pipe, stdio, raw dump) */
    DT_TRANSPORT_INNER = 1u << 3,  /* a stream carried inside another protocol (a pipe over SMB) */
};

/* Framer return values beyond "a PDU of N bytes" (N > 0). */
#define DT_FRAME_NEED_MORE 0

/* Splits a byte stream into PDUs. Looks at the bytes at the current start of
 * one direction of the stream:
 *   > 0   a PDU of that many bytes starts here (may exceed avail: the engine
 *         waits for the rest);
 *   0     not enough bytes yet to tell;
 *   < 0   no PDU starts here: skip -ret bytes (garbage, resynchronisation).
 * The framer may read and update conv (protocols that switch framing, such as
 * the .NET IPC protocol turning into a nettrace stream). */
typedef long (*dt_frame_fn)(void *conv, dt_dir dir, const uint8_t *data, size_t avail);

/* Heuristic probe over the first bytes of a stream or a datagram. Returns 0
 * for "not mine", higher for more confidence (100: a magic number matched). */
typedef int (*dt_probe_fn)(const uint8_t *data, size_t len, dt_dir dir);

typedef void (*dt_dissect_fn)(dt_ctx *ctx);

/* A per-run option a dissector reads through dt_option(), declared here so
 * that the command line (`--kdnet-key KEY`), --help, the man page, shell
 * completion and `--set NAME=VALUE` all come from one place. */
enum {
    DT_OPT_SECRET = 1u << 0, /* a key or password: also read from `FLAG-file PATH` or
                                $DIAGTAP_NAME (dots as underscores), so it need not sit
                                in the process list; never echoed in messages */
    DT_OPT_MULTI = 1u << 1,  /* may be given several times; dt_option() then sees the
                                values joined by ';' */
};

typedef struct dt_option_def {
    const char *name;    /* "kdnet.key": the dt_option() and `--set` name */
    const char *flag;    /* "--kdnet-key", or NULL for `--set` only */
    const char *metavar; /* "KEY" */
    const char *help;    /* one line for --help and the man page */
    uint32_t flags;      /* DT_OPT_* */
} dt_option_def;

typedef struct dt_dissector {
    uint32_t abi_version;       /* DT_ABI_VERSION */
    const char *name;           /* short lowercase: "dap"; used by -d, --proto, JSON, pcapng PDU tags */
    const char *display_name;   /* "DAP": the protocol column of the timeline */
    const char *description;    /* "Debug Adapter Protocol" */
    const dt_field_def *fields; /* this protocol's field table */
    size_t n_fields;
    uint32_t transports;        /* DT_TRANSPORT_* */
    const uint16_t *tcp_ports;  /* 0-terminated; NULL for none */
    const uint16_t *udp_ports;  /* 0-terminated; NULL for none */
    const char *const *inner_names; /* NULL-terminated names for inner streams (SMB pipe names) */
    dt_probe_fn probe;          /* may be NULL */
    dt_frame_fn frame;          /* required for stream transports */
    dt_dissect_fn dissect;
    size_t conv_size;           /* per-conversation state, zeroed when a conversation starts */
    void (*conv_free)(void *conv); /* optional: release what conv owns */
    /* Optional: an end-of-conversation hook (report state, flush partial
     * work); may emit events like dissect. */
    void (*conv_end)(dt_ctx *ctx);
    /* Optional, NULL-terminated: dissectors whose field tables this one's
     * events also use (KDNET carries KD packets), so `diagtap fields kdnet`
     * lists what a KDNET event can hold. */
    const char *const *nested;
    /* Optional: checks the value of an option this dissector reads
     * (dt_option) when a run starts, so a bad `--kdnet-key` fails at once
     * instead of silently decrypting nothing. Returns 0 when the name is not
     * its own or the value is fine, -1 with a one-line reason in err. */
    int (*check_option)(const char *name, const char *value, char *err, size_t errsz);
    /* ABI 2. Optional: the options this dissector reads, ending with an
     * entry whose name is NULL. */
    const dt_option_def *options;
} dt_dissector;

/* Registers a dissector; returns 0, or -1 when the ABI version or name clashes. */
int dt_register(dt_registry *reg, const dt_dissector *d);

typedef int (*dt_plugin_init_fn)(dt_registry *reg);
#define DT_PLUGIN_INIT_SYMBOL "diagtap_plugin_init"

/* What a dissector sees while decoding one PDU. */
struct dt_ctx {
    dt_event *ev;           /* the event being filled */
    void *conv;             /* this dissector's per-conversation state */
    dt_dir dir;
    uint64_t ts_ns;
    const uint8_t *pdu;     /* the PDU's bytes */
    size_t pdu_len;
    const dt_dissector *self;
    void *engine;           /* private to the engine */
};

/* ---- Fields. Each returns the new node (NULL only on arena exhaustion).
 * parent NULL adds at the top level. offset/length are PDU byte positions. */
dt_field *dt_add_none(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length);
dt_field *dt_add_uint(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, uint64_t v);
dt_field *dt_add_int(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, int64_t v);
dt_field *dt_add_double(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, double v);
dt_field *dt_add_string(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, const char *s, size_t slen);
dt_field *dt_add_bytes(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, const uint8_t *b, size_t blen);
dt_field *dt_add_guid(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, const dt_guid *g);
dt_field *dt_add_ipv4(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, uint32_t ip_be);
dt_field *dt_add_ipv6(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, const uint8_t ip[16]);
dt_field *dt_add_time(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, uint64_t ns);

/* Read through the cursor and add in one step; the field records where the
 * bytes were. On overrun nothing is added and NULL is returned. */
dt_field *dt_add_u8(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, uint8_t *out);
dt_field *dt_add_u16le(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, uint16_t *out);
dt_field *dt_add_u32le(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, uint32_t *out);
dt_field *dt_add_u64le(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, uint64_t *out);
dt_field *dt_add_u16be(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, uint16_t *out);
dt_field *dt_add_u32be(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, uint32_t *out);
dt_field *dt_add_utf16le(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, size_t nbytes);
dt_field *dt_add_guid_cur(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c);

/* Marks the event malformed and adds a "_ws.malformed"-style note field at offset. */
void dt_malformed(dt_ctx *ctx, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- Summary line. */
void dt_summary(dt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dt_summary_append(dt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dt_vsummary_append(dt_ctx *ctx, const char *fmt, va_list ap);

/* snprintf for dissectors' own buffers (descriptions, results, names):
 * the same bytes and return value, without the C library's FILE machinery
 * for the conversions summaries use (core/fmt_fast.h); anything else goes
 * to vsnprintf. A dissector formats several strings per message. */
int dt_snprintf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int dt_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap);

/* Text the dissector wants to keep for the event's lifetime (copied into the arena). */
char *dt_strdup(dt_ctx *ctx, const char *s, size_t len);
void *dt_alloc(dt_ctx *ctx, size_t size); /* zeroed, event lifetime */
/* The same, not zeroed: for memory the caller writes in full before reading. */
void *dt_alloc_uninit(dt_ctx *ctx, size_t size);
/* Working memory for the dissector's own use while it builds the event (a
 * parsed message, a buffer it decodes into), not zeroed. It lives as long
 * as dt_alloc's, but apart from the event: no field, summary or status may
 * point into it (dt_add_string and the others copy). A sink that keeps
 * events then keeps only what they hold (core/sinks/async_sink.c). */
void *dt_scratch(dt_ctx *ctx, size_t size);

/* ---- Statistics: the command/event name this event is counted under
 * ("READ", "Microsoft-Windows-DotNETRuntime/GCStart") and its status. */
void dt_stats_key(dt_ctx *ctx, const char *key);
void dt_status(dt_ctx *ctx, const char *status, bool is_error);

/* ---- Request/response pairing. Keys live per conversation and dissector;
 * fold the direction into the key when each side numbers its own requests.
 *
 * dt_pair_request remembers the current event as a request waiting for key
 * and returns a zeroed blob of user_len bytes kept with it (NULL if 0) for
 * whatever the response will need (a file name, a command).
 *
 * dt_pair_response links the current event to the request with that key,
 * sets its latency and returns the request's blob (NULL if no such request
 * was seen). final=false marks an interim reply (SMB2 STATUS_PENDING): the
 * request stays open for its final reply. */
void *dt_pair_request(dt_ctx *ctx, uint64_t key, size_t user_len);
void *dt_pair_response(dt_ctx *ctx, uint64_t key, bool final);

/* ---- More than one event per PDU (SMB2 compounds, nettrace blocks):
 * commits the current event to the timeline and starts a fresh one with the
 * same time, conversation and direction. */
void dt_next_event(dt_ctx *ctx);

/* ---- Inner streams: bytes carried inside this protocol (a named pipe over
 * SMB) are handed to the dissector registered under that name; the engine
 * frames them per (conversation, stream_key, direction) and their events
 * follow the current one. Returns false if no dissector has that name. */
bool dt_inner_stream(dt_ctx *ctx, const char *name, uint64_t stream_key, dt_dir dir,
                     const uint8_t *data, size_t len);
/* Ends an inner stream (the pipe was closed). */
void dt_inner_stream_end(dt_ctx *ctx, uint64_t stream_key);

/* ---- Inner messages: ONE COMPLETE message carried inside this protocol (an
 * HTTP body, decrypted or not) is handed to the dissector with that name (or
 * inner name) as one PDU, without framing. The receiving dissector keeps
 * per-(conversation, stream_key) state in its conv (conv_size) like any
 * other; its frame may be NULL; it declares DT_TRANSPORT_INNER. Its events
 * follow the current one. The data is copied. Returns false if no dissector
 * has that name. */
bool dt_inner_message(dt_ctx *ctx, const char *name, uint64_t stream_key, dt_dir dir, const uint8_t *data,
                      size_t len);
/* Ends an inner message stream: its dissector's conv_end runs, its requests
 * still unanswered are reported. */
void dt_inner_message_end(dt_ctx *ctx, uint64_t stream_key);
/* The carrier may attach who it authenticated (HTTP: "DOMAIN\user") to the
 * next messages of an inner stream; NULL clears it. */
void dt_inner_set_user(dt_ctx *ctx, uint64_t stream_key, const char *user);
/* In an inner dissector: the user its carrier attached, or NULL. */
const char *dt_carrier_user(dt_ctx *ctx);

/* Per-run options a dissector may read: "kdnet.key" → "8.8.8.8;1.2.3.4",
 * set by the command line (--kdnet-key, -o name:value). NULL if unset. */
const char *dt_option(dt_ctx *ctx, const char *name);

/* Whether credentials seen on the wire may be shown (--show-credentials). */
bool dt_show_credentials(dt_ctx *ctx);

#endif
