/* An event of the unified timeline, as sinks see it. */
#ifndef DIAGTAP_EVENT_H
#define DIAGTAP_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"

/* Direction within a conversation. C2S: from the side that opened it (the
 * client, the IDE on stdin, the tool on a diagnostic socket) to the other. */
typedef enum dt_dir {
    DT_DIR_C2S = 0,
    DT_DIR_S2C = 1,
} dt_dir;

typedef enum dt_event_kind {
    DT_EV_PDU,     /* a decoded message */
    DT_EV_NOTE,    /* connection opened/closed, resynchronised, stream handed over */
    DT_EV_ERROR,   /* missing bytes, truncated message, connect failure, input fault */
    DT_EV_PENDING, /* end of input: a request that never got its reply */
} dt_event_kind;

typedef enum dt_role {
    DT_ROLE_NONE,
    DT_ROLE_REQUEST,
    DT_ROLE_RESPONSE,
    DT_ROLE_INTERIM, /* an interim reply; the request stays open */
} dt_role;

/* A source of chunks: a capture interface, or one proxied connection. */
typedef struct dt_channel {
    uint32_t id;             /* 0-based, in order of appearance */
    const char *name;        /* "lo", "unix:/tmp/dbg.sock#3", "stdio:lldb-vscode-14" */
    const char *description; /* longer text, pcapng if_description */
    int linktype;            /* pcap LINKTYPE_*, or -1 for an IPC byte stream */
} dt_channel;

/* A conversation: a TCP connection, a UDP flow, a proxied connection. */
typedef struct dt_conv_info {
    uint32_t id;             /* 1-based, unique in the run */
    const dt_channel *channel;
    const char *client;      /* "127.0.0.1:40312", "ide", "client#3" */
    const char *server;      /* "127.0.0.1:5678", "lldb-vscode-14", "target" */
} dt_conv_info;

typedef struct dt_event {
    uint64_t seq;            /* 1-based position in the timeline */
    uint64_t ts_ns;          /* wall clock, ns since the Unix epoch */
    const dt_conv_info *conv; /* NULL for events about an input as a whole */
    dt_dir dir;
    dt_event_kind kind;
    const char *proto;       /* display name ("SMB2"), or "diagtap" for engine notes */
    const char *proto_name;  /* dissector name ("smb2"), or "diagtap" */
    const char *summary;     /* one line, never NULL */
    dt_field *fields;        /* first top-level field */
    dt_field *last_field;
    const uint8_t *raw;      /* the PDU's bytes, valid while sinks see the event */
    size_t raw_len;
    uint64_t raw_offset;     /* stream offset of raw[0] in its direction, or input offset */
    dt_role role;
    uint64_t req_seq;        /* response: the request's seq (0 if unknown) */
    uint64_t latency_ns;     /* response: time since its request */
    bool has_latency;
    bool malformed;
    const char *stats_key;   /* what --stats counts this under, or NULL */
    const char *status;      /* "STATUS_ACCESS_DENIED", or NULL */
    bool is_error;
    const char *input;       /* file name the event came from, when replaying */
} dt_event;

#endif
