/* The EventPipe nettrace stream (format V4 and V5): framing of the
 * FastSerialization objects, and decoding of the Trace object and the
 * Metadata, Stack, Event and SequencePoint blocks.
 *
 * One nt_stream is the state of one direction of a stream: the framing
 * phase, the Trace object's clock, and the metadata table the events refer
 * to. It is used by the "nettrace" dissector (files, raw streams) and by the
 * "dotnet_ipc" dissector for the continuation that follows CollectTracing.
 */
#ifndef DT_DOTNET_NETTRACE_H
#define DT_DOTNET_NETTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagtap/dissector.h"

#define NT_MAGIC "Nettrace"
#define NT_MAGIC_LEN 8
#define NT_SERIALIZER "!FastSerialization.1"
#define NT_SERIALIZER_LEN 20
#define NT_HEADER_LEN (NT_MAGIC_LEN + 4 + NT_SERIALIZER_LEN)

/* FastSerialization tags. */
enum { NT_TAG_NULL = 1, NT_TAG_BEGIN_PRIVATE = 5, NT_TAG_END = 6 };

typedef enum nt_phase {
    NT_PHASE_HEADER,  /* expecting "Nettrace" + "!FastSerialization.1" */
    NT_PHASE_OBJECTS, /* objects until the NullReference tag */
    NT_PHASE_DONE,    /* end-of-stream tag seen */
    NT_PHASE_V6,      /* a version 6 stream (block format): passed over, not decoded */
} nt_phase;

/* One metadata record: what an event's MetadataId refers to. Strings and
 * the parameter schema live in the stream's pool. */
typedef struct nt_meta {
    uint32_t id;
    uint32_t event_id;
    uint32_t version;
    uint32_t level;
    int32_t opcode;          /* -1 when the metadata does not say */
    uint64_t keywords;
    const char *provider;
    const char *name;        /* the event name shown: "GC/Start", "EventCounters" */
    const char *stats_key;   /* "Provider/EventName" */
    const uint8_t *schema;   /* field descriptions, V1 or V2 layout */
    uint32_t schema_len;
    uint32_t field_count;
    bool schema_v2;
    bool is_counter;         /* an EventCounters event */
    const struct dt_clr_template *builtin; /* runtime event layout when the metadata has none */
} nt_meta;

/* A chunk of the pool; chunks never move, so pointers into them stay valid. */
typedef struct nt_pool_chunk nt_pool_chunk;

typedef struct nt_stream {
    nt_phase phase;
    bool started;            /* the header was seen */
    uint64_t offset;         /* stream offset of the next object (alignment is relative to it) */
    uint32_t trace_version;
    uint32_t v6_major, v6_minor;
    bool have_trace;
    uint64_t sync_ns;        /* SyncTimeUTC, ns since the Unix epoch */
    uint64_t sync_qpc;
    uint64_t qpc_freq;
    uint32_t pointer_size;
    uint32_t pid;
    uint64_t last_ns;        /* wall-clock time of the latest event, for block-level events */
    uint64_t n_events;
    uint64_t n_blocks;
    nt_meta *meta;           /* sorted by id */
    size_t n_meta;
    size_t cap_meta;
    nt_pool_chunk *pool;
} nt_stream;

/* Limits that keep a hostile stream from growing the state without bound. */
#define NT_MAX_META 65536
#define NT_MAX_POOL (64u << 20)

void nt_stream_init(nt_stream *s);
void nt_stream_free(nt_stream *s);

/* Framer over the bytes at the stream's current position (see dt_frame_fn);
 * pure: the same bytes give the same answer until nt_dissect consumed them. */
long nt_frame(const nt_stream *s, const uint8_t *data, size_t avail);

/* Decodes one framed PDU (or a partial one at the end of input) and moves
 * the stream past it. Emits one timeline event per EventPipe event. When
 * relabel is set the events are shown as EventPipe even though another
 * dissector (dotnet_ipc) framed them. */
void nt_dissect(dt_ctx *ctx, nt_stream *s, bool relabel);

/* End of the conversation: reports a stream cut short. */
void nt_end(dt_ctx *ctx, nt_stream *s, bool relabel);

/* True when data starts with the nettrace magic (needs 8 bytes). */
bool nt_is_magic(const uint8_t *data, size_t len);

/* ---- Internals shared by the nettrace files. */
extern const dt_field_def nt_fields[];
extern const size_t nt_n_fields;

enum nt_field_index {
    NTF_MAGIC, NTF_SERIALIZER, NTF_OBJECT, NTF_OBJ_TYPE, NTF_OBJ_VERSION, NTF_OBJ_MINVER,
    NTF_TRACE_SYNC_TIME, NTF_TRACE_SYNC_QPC, NTF_TRACE_QPC_FREQ, NTF_TRACE_POINTER_SIZE,
    NTF_TRACE_PID, NTF_TRACE_CPUS, NTF_TRACE_SAMPLING_RATE,
    NTF_BLOCK_SIZE, NTF_BLOCK_HEADER_SIZE, NTF_BLOCK_FLAGS, NTF_BLOCK_COMPRESSED, NTF_BLOCK_MIN_TS,
    NTF_BLOCK_MAX_TS, NTF_BLOCK_COUNT,
    NTF_META, NTF_META_ID, NTF_META_PROVIDER, NTF_META_EVENT_ID, NTF_META_EVENT_NAME, NTF_META_KEYWORDS,
    NTF_META_VERSION, NTF_META_LEVEL, NTF_META_OPCODE, NTF_META_FIELD_COUNT, NTF_META_FIELD,
    NTF_EV_PROVIDER, NTF_EV_NAME, NTF_EV_ID, NTF_EV_META_ID, NTF_EV_SEQ, NTF_EV_THREAD,
    NTF_EV_CAPTURE_THREAD, NTF_EV_PROCESSOR, NTF_EV_STACK, NTF_EV_TIMESTAMP, NTF_EV_TIME,
    NTF_EV_ACTIVITY, NTF_EV_RELATED_ACTIVITY, NTF_EV_SORTED, NTF_EV_PAYLOAD_SIZE, NTF_EV_PAYLOAD,
    NTF_ARG, NTF_COUNTER_NAME, NTF_COUNTER_VALUE,
    NTF_STACK, NTF_STACK_FIRST_ID, NTF_STACK_COUNT, NTF_STACK_ID, NTF_STACK_SIZE, NTF_STACK_FRAMES,
    NTF_SP_TIMESTAMP, NTF_SP_THREAD_COUNT, NTF_SP_THREAD, NTF_SP_THREAD_ID, NTF_SP_SEQ,
    NTF_END, NTF_STREAM_OFFSET,
    NTF__COUNT
};

/* Metadata table (nettrace_meta.c). */
nt_meta *nt_meta_find(const nt_stream *s, uint32_t id);
/* Parses one metadata record's payload and adds it to the table; adds its
 * fields under parent. Returns the record, or NULL when malformed. */
nt_meta *nt_meta_parse(dt_ctx *ctx, nt_stream *s, dt_field *parent, dt_cursor *c);

/* Walks a V1 field description (count, then type, [nested], name). */
bool nt_skip_desc_v1(dt_cursor *c, int depth);

/* Payload decoding from the schema (nettrace_payload.c): adds one "arg"
 * field per parameter and appends "Name=Value" pairs to the summary. */
void nt_payload_decode(dt_ctx *ctx, const nt_meta *m, uint32_t pointer_size, dt_field *parent, dt_cursor *payload);

/* Well-known names (nettrace_names.c). Writes the name shown for an event
 * into out: the runtime's Task/Opcode name, or the metadata name with
 * TraceEvent's Start/Stop convention, or "EventID(N)". */
/* The name of a standard ETW opcode ("Start", "DCStop"), or NULL. */
const char *nt_opcode_name(int32_t opcode);
void nt_event_name(const char *provider, uint32_t event_id, const char *meta_name, int32_t opcode,
                   char *out, size_t outsz);

/* Converts a QPC timestamp into ns since the Unix epoch (0 when unknown). */
uint64_t nt_qpc_to_ns(const nt_stream *s, uint64_t qpc);

#endif
