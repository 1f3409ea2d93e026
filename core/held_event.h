/* A deep copy of one event in one caller-owned buffer: what -Y's pairing
 * partner keeps of a request that did not match, until its response says
 * whether it is wanted (docs/filters.md). */
#ifndef DIAGTAP_CORE_HELD_EVENT_H
#define DIAGTAP_CORE_HELD_EVENT_H

#include <stddef.h>

#include "diagtap/event.h"

/* Copies ev (summary, status, stats key, bytes, field tree with its
 * strings) into *buf, growing it (*cap) when needed; the copy shares only
 * static strings and the conversation, which outlives its pending requests.
 * Returns the copy inside *buf, or NULL when out of memory. */
dt_event *dt_held_event_copy(void **buf, size_t *cap, const dt_event *ev);

#endif
