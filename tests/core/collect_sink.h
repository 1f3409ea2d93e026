/* A sink that keeps what the engine emits, for assertions. */
#ifndef COLLECT_SINK_H
#define COLLECT_SINK_H

#include "core/sink.h"

#define COLLECT_MAX 4096

typedef struct collected {
    dt_event_kind kind;
    dt_role role;
    dt_dir dir;
    uint64_t seq, req_seq, latency_ns, ts_ns, raw_offset;
    bool has_latency;
    bool malformed;
    char proto[32];
    char summary[256];
    char first_field[128];
} collected;

typedef struct collect_sink {
    dt_sink base;
    collected ev[COLLECT_MAX];
    size_t n;
    uint8_t stream[2][65536];
    size_t stream_len[2];
    int finished;
} collect_sink;

void collect_sink_init(collect_sink *s);

#endif
