/* Test support for the .NET dissectors: a sink that counts events by their
 * stats key and keeps a textual copy of the first events, and a runner that
 * feeds byte streams through the real engine in random chunk sizes. */
#ifndef DN_SUPPORT_H
#define DN_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "core/registry.h"
#include "core/sink.h"

#define DN_KEEP 1024
#define DN_TAIL 128

typedef struct dn_event {
    dt_event_kind kind;
    dt_role role;
    dt_dir dir;
    uint64_t seq, req_seq, ts_ns;
    bool has_latency, malformed, is_error;
    char proto[32];
    char proto_name[32];
    char status[64];
    char stats_key[160];
    char summary[512];
    char fields[2048]; /* "abbrev=value;" for every field, depth first */
} dn_event;

typedef struct dn_count {
    char *key;
    uint64_t n;
} dn_count;

typedef struct dn_sink {
    dt_sink base;
    dn_event *ev; /* the first events, then the latest DN_TAIL (a ring) */
    size_t n_kept;
    size_t tail_next;
    uint64_t n_events, n_errors, n_malformed;
    dn_count *counts;
    size_t n_counts, cap_counts;
} dn_sink;

void dn_sink_init(dn_sink *s);
void dn_sink_free(dn_sink *s);
uint64_t dn_count_of(const dn_sink *s, const char *key);
/* The first kept event whose summary (or fields) contains text, or NULL. */
const dn_event *dn_find(const dn_sink *s, const char *text);
const dn_event *dn_find_field(const dn_sink *s, const char *field_text);

typedef struct dn_run {
    dt_registry *reg;
    dt_engine *eng;
    dn_sink sink;
    dt_conv *conv;
    uint64_t ts;
    uint32_t rng;
} dn_run;

/* dissector: forced dissector name, or NULL to let the probes choose. */
void dn_run_start(dn_run *r, const char *dissector, uint32_t seed);
/* Feeds data in random chunks of 1..max_chunk bytes (max_chunk 0: all at once). */
void dn_run_feed(dn_run *r, dt_dir dir, const uint8_t *data, size_t len, size_t max_chunk);
void dn_run_finish(dn_run *r); /* closes the conversation and finishes the engine */
void dn_run_free(dn_run *r);

uint8_t *dn_read_file(const char *path, size_t *len);
/* Path of a corpus file ($DIAGTAP_CORPUS/<rel>) into out. */
void dn_corpus_path(const char *rel, char *out, size_t outsz);

/* A growable byte buffer to build messages. */
typedef struct dn_buf {
    uint8_t *p;
    size_t len, cap;
} dn_buf;
void dn_put(dn_buf *b, const void *data, size_t n);
void dn_u8(dn_buf *b, uint8_t v);
void dn_u16(dn_buf *b, uint16_t v);
void dn_u32(dn_buf *b, uint32_t v);
void dn_u64(dn_buf *b, uint64_t v);
void dn_utf16z(dn_buf *b, const char *ascii);        /* UTF-16LE with a terminator */
void dn_ipc_string(dn_buf *b, const char *ascii);    /* uint32 units incl. NUL, UTF-16LE; "" → length 0 */
void dn_varint(dn_buf *b, uint64_t v);
void dn_buf_free(dn_buf *b);

#endif
