/* diagtap's engine as the plugin uses it: one engine for the open capture
 * file, one engine conversation per Wireshark conversation, fed one whole
 * PDU at a time (Wireshark does the framing and reassembly). The engine
 * runs the same dissector code, pairing and options as the diagtap
 * executable. */
#ifndef DIAGTAP_WS_RUN_H
#define DIAGTAP_WS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagtap/dissector.h"

typedef struct dt_registry dt_registry;
typedef struct dtws_run dtws_run;
typedef void (*dtws_event_fn)(void *user, const dt_event *ev);

/* Starts the engine for a capture file; options is a NULL-terminated list
 * of name, value pairs ("kdnet.key", "8.8.8.8"). Returns false when out of
 * memory. */
bool dtws_session_start(dt_registry *reg, const char *const *options, bool show_credentials);
/* Frees the engine and every conversation (file closed, preferences changed). */
void dtws_session_end(void);
bool dtws_session_active(void);

/* A conversation decoded by d between client and server ("addr:port" as
 * diagtap names endpoints: port-bound options such as "51111=KEY" need
 * them); NULL without a session. */
dtws_run *dtws_run_new(const dt_dissector *d, const char *client, const char *server);

/* The framer of d over a copy of the conversation state, so that asking for
 * a PDU length (Wireshark asks more than once) never changes the state. */
long dtws_run_frame(dtws_run *r, dt_dir dir, const uint8_t *data, size_t avail);

/* Runs the dissector on one PDU; ev_fn sees each event it produces (several
 * for PDUs that carry several messages), valid only during the call. */
void dtws_run_pdu(dtws_run *r, dt_dir dir, uint64_t ts_ns, const uint8_t *pdu, size_t len, dtws_event_fn ev_fn,
                  void *user);

#endif
