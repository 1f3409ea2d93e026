/* Which events reach the timeline sinks: --grep REGEX and --proto NAME[,NAME]. */
#ifndef DIAGTAP_CORE_FILTER_H
#define DIAGTAP_CORE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "diagtap/event.h"
#include "registry.h"

typedef struct dt_filter dt_filter;

dt_filter *dt_filter_new(void);
void dt_filter_free(dt_filter *f);
/* PCRE2 (JIT when available) over the summary and every field value. */
int dt_filter_set_grep(dt_filter *f, const char *regex, char *err, size_t errsz);
/* Comma-separated dissector names (or display names, case-insensitive). */
int dt_filter_set_protos(dt_filter *f, const char *list, char *err, size_t errsz);
/* --from / --to (core/timerange.h); either may be NULL. */
int dt_filter_set_time(dt_filter *f, const char *from, const char *to, char *err, size_t errsz);
/* -Y EXPR (core/dfilter.h), ANDed with the rest; err gets the caret lines. */
int dt_filter_set_display(dt_filter *f, const char *expr, const dt_registry *reg, char *err, size_t errsz);
/* With -Y, a request and its response pass together when either matches
 * (the default); false turns that off (--no-pair-partner). */
void dt_filter_set_pair_partner(dt_filter *f, bool on);
bool dt_filter_pair_partner(const dt_filter *f);
bool dt_filter_match(dt_filter *f, const dt_event *ev);
/* False when --proto is given and does not list name (an event's proto or
 * proto_name): no event of that protocol can match. */
bool dt_filter_passes_proto(const dt_filter *f, const char *name);

#endif
