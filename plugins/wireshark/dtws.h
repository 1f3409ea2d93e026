/* The Wireshark adapter over diagtap's dissectors: shared declarations.
 *
 * One dtws_proto per diagtap dissector: a Wireshark protocol whose hf array
 * is generated from the dissector's dt_field_def table. Packets are decoded
 * by the diagtap dissector itself (run.h); this adapter only turns the
 * resulting events into protocol trees and columns.
 */
#ifndef DIAGTAP_WS_DTWS_H
#define DIAGTAP_WS_DTWS_H

#include <stdbool.h>
#include <stdint.h>

#include <epan/expert.h>
#include <epan/packet.h>

#include "diagtap/dissector.h"

#define DTWS_MAX_OPTIONS 8

typedef struct dtws_proto {
    const dt_dissector *d;
    const char *filter_name; /* Wireshark protocol filter name ("kdnet", "dap_debug") */
    int proto;
    int *hf;                 /* hf ids, parallel to d->fields */
    gint ett;                /* the protocol subtree */
    gint *ett_field;         /* one subtree per field, parallel to d->fields */
    dissector_handle_t pdu_handle; /* exported PDUs by diagtap's dissector name; NULL if Wireshark has that name */
    dissector_handle_t udp_handle; /* a datagram is one PDU */
    dissector_handle_t tcp_handle; /* a TCP stream framed by the diagtap framer */
    const char *opt_value[DTWS_MAX_OPTIONS]; /* string preferences, one per declared option */
} dtws_proto;

/* An event cached for a frame: copied out of the diagtap run on the first
 * pass, replayed into the tree on every pass. File-scope memory. */
typedef struct dtws_event dtws_event;
struct dtws_event {
    dtws_event *next;        /* more events from the same PDU */
    const dtws_proto *owner; /* the protocol the event is from (nettrace inside dotnet_ipc) */
    const char *summary;
    dt_field *fields;        /* copied tree: def, next, child, offset, length, v */
    bool malformed;
    dt_role role;
    dt_dir dir;
    uint64_t seq;            /* position in its conversation's run */
    uint32_t req_frame;      /* response: frame of its request (0 unknown) */
    uint32_t rsp_frame;      /* request: frame of its final response (0 none yet) */
    uint64_t latency_ns;
    bool has_latency;
    const char *status;
    bool is_error;
    bool placeholder;        /* no event: a piece of a message, or a PDU that produced none */
    const uint8_t *reassembled; /* first event only: a message gathered from several records */
    uint32_t reassembled_len;
};

/* Globals of the umbrella "diagtap" protocol: generic fields and expert infos. */
typedef struct dtws_common {
    int proto;
    int hf_text;        /* a field from outside a protocol's table, shown as text */
    int hf_malformed;   /* the engine's own "diagtap.malformed" */
    int hf_summary;     /* the event's one-line summary, as diagtap prints it */
    int hf_dir;         /* "c2s" or "s2c", as in diagtap's JSON */
    int hf_response_in;
    int hf_response_to;
    int hf_latency;
    int hf_status;
    expert_field ei_malformed;
    expert_field ei_error_status;
    expert_field ei_not_first_pass;
    gboolean show_credentials;
} dtws_common;

extern dtws_common dtws_g;

/* The dissector options set in the preferences, as name/value pairs ending
 * with NULL, for the run that decodes a file. Returns the pair count. */
size_t dtws_collect_options(const char **pairs, size_t max_pairs);

/* hf.c: builds and registers the hf and ett arrays of p from its field table. */
void dtws_register_fields(dtws_proto *p);
/* Wireshark's field type for a diagtap one. */
enum ftenum dtws_ftype(dt_ftype t);
/* The hf id of def within p's table, or -1 when def is not from that table. */
int dtws_field_index(const dtws_proto *p, const dt_field_def *def);

/* tree.c: adds a cached event under tree. */
void dtws_tree_add_event(const dtws_proto *p, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                         proto_item *pi, const dtws_event *ev);

/* plugin.c: the protocol registered for a diagtap dissector name, or NULL. */
const dtws_proto *dtws_proto_by_name(const char *name);

/* dissect.c: the dissector callbacks and their registration. */
void dtws_register_handles(dtws_proto *p);
void dtws_handoff(dtws_proto *p);
void dtws_cleanup(void);

#endif
