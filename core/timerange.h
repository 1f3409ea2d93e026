/* --from / --to: which part of the timeline, in time, reaches the sinks.
 *
 * A bound is absolute ("2026-11-18T12:06:40.5Z", "2026-11-18 12:06:40" in
 * local time, "12:06:40.25": that time of day, local, on the first event's
 * date) or relative to the first event ("+2.5s", "+150ms", "+1m30s").
 * Bounds that need the first event are resolved when it is seen. */
#ifndef DIAGTAP_CORE_TIMERANGE_H
#define DIAGTAP_CORE_TIMERANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum dt_tbound_kind {
    DT_TB_NONE,
    DT_TB_ABS,      /* ns since the Unix epoch */
    DT_TB_REL,      /* ns after the first event */
    DT_TB_TOD,      /* ns after local midnight of the first event's date */
} dt_tbound_kind;

typedef struct dt_tbound {
    dt_tbound_kind kind;
    uint64_t ns;
} dt_tbound;

typedef struct dt_timerange {
    dt_tbound from, to;
    bool resolved;           /* first event seen: from_ns/to_ns are final */
    uint64_t from_ns, to_ns; /* inclusive; 0 / UINT64_MAX when unbounded */
} dt_timerange;

/* Parses one bound; -1 with "why" in err. */
int dt_tbound_parse(const char *text, dt_tbound *out, char *err, size_t errsz);
/* Fixes every bound against the first event's time (local time zone for
 * times of day); called once. */
void dt_timerange_resolve(dt_timerange *r, uint64_t first_ts_ns);
/* Is ts inside? Resolves against ts when not resolved yet. */
bool dt_timerange_contains(dt_timerange *r, uint64_t ts_ns);

#endif
