/* A deep copy of one event in one caller-owned buffer: what -Y's pairing
 * partner keeps of a request that did not match, until its response says
 * whether it is wanted (docs/filters.md), and what the render thread of an
 * asynchronous sink (core/sinks/async_sink.c) is handed. */
#ifndef DIAGTAP_CORE_HELD_EVENT_H
#define DIAGTAP_CORE_HELD_EVENT_H

#include <stddef.h>

#include "diagtap/event.h"

/* What a copy holds besides the event, its strings and its field tree. */
enum {
    DT_HELD_RAW = 1u << 0,  /* the message bytes (raw); without it raw is NULL, raw_len kept */
    DT_HELD_CONV = 1u << 1, /* the conversation, its channel and the input name: the copy
                               outlives them (without it it shares them) */
    DT_HELD_DEEP = 1u << 2, /* the whole field tree (without it: as deep as the filter looks) */
};

/* The bytes dt_held_event_write needs for ev; a multiple of
 * alignof(max_align_t). */
size_t dt_held_event_size(const dt_event *ev, unsigned what);
/* Writes the copy into the dt_held_event_size(ev, what) bytes at at (aligned
 * to max_align_t) and returns it (at). It shares only static strings (proto,
 * field definitions) and, without DT_HELD_CONV, the conversation. */
dt_event *dt_held_event_write(void *at, const dt_event *ev, unsigned what);
/* The same in one pass, into at most cap bytes at at: the copy and its size
 * in *used (what dt_held_event_size says), or NULL when it does not fit
 * (nothing written past cap). Saves the sizing walk when room is likely. */
dt_event *dt_held_event_write_max(void *at, size_t cap, const dt_event *ev, unsigned what, size_t *used);
/* A shallow copy, for an event whose own memory (its field nodes and their
 * strings, most often its summary) is the len bytes at base and stays valid
 * as long as the copy: the copy shares the field tree and the strings in
 * that span, and holds the rest as dt_held_event_write does (event-level
 * strings that lie elsewhere, the conversation, the bytes). Only for events
 * whose every field points into the span or at static memory, which is what
 * the engine's dt_add_* functions build. _size and _max as for the deep
 * copy. */
size_t dt_held_event_wrap_size(const dt_event *ev, unsigned what, const void *base, size_t len);
dt_event *dt_held_event_wrap(void *at, const dt_event *ev, unsigned what, const void *base, size_t len);
dt_event *dt_held_event_wrap_max(void *at, size_t cap, const dt_event *ev, unsigned what, const void *base,
                                 size_t len, size_t *used);

/* Copies ev (summary, status, stats key, bytes, field tree with its
 * strings) into *buf, growing it (*cap) when needed; the copy shares only
 * static strings and the conversation, which outlives its pending requests.
 * Returns the copy inside *buf, or NULL when out of memory. */
dt_event *dt_held_event_copy(void **buf, size_t *cap, const dt_event *ev);

#endif
