/* Conversations no dissector claims: never invisible. A captured TCP or
 * UDP conversation that no dissector takes gets one line when it opens (with
 * a preview of the first bytes each way) and one when it closes (bytes and
 * packets each way, duration), as Wireshark's Conversations window would
 * count it. The lines are the "conv" pseudo-protocol's, shown as TCP/UDP. */
#ifndef DIAGTAP_CORE_UNCLAIMED_H
#define DIAGTAP_CORE_UNCLAIMED_H

#include <stdint.h>

#include "diagtap/dissector.h"

typedef struct dt_engine dt_engine;
typedef struct dt_conv dt_conv;

#define DT_UNCLAIMED_PREVIEW 64 /* bytes kept of each direction's start */

/* Registered with the built-ins so `diagtap fields conv` lists its fields. */
extern const dt_dissector dt_unclaimed_dissector;

/* Counts a captured packet (payload or not: SYN, ACK, FIN). */
void dt_unclaimed_packet(dt_conv *c, dt_dir dir, uint64_t ts);
/* Counts payload bytes and keeps the first ones for the preview. */
void dt_unclaimed_bytes(dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len);
/* The conversation was left undecoded: the "opened" line, once. */
void dt_unclaimed_opened(dt_engine *e, dt_conv *c);
/* The conversation ends: the "opened" line if still owed, then "closed". */
void dt_unclaimed_closed(dt_engine *e, dt_conv *c, uint64_t ts);

#endif
