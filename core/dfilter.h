/* -Y EXPR: a display filter in Wireshark's syntax (docs/filters.md).
 *
 * Compiled once into a flat tree; evaluated on an event's field tree and its
 * own properties, without rendering text or JSON and without allocating. */
#ifndef DIAGTAP_CORE_DFILTER_H
#define DIAGTAP_CORE_DFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "diagtap/event.h"
#include "registry.h"

typedef struct dt_dfilter dt_dfilter;

/* NULL on a bad expression, with err holding three lines: what is wrong,
 * the expression, and a caret line under the offending token. */
dt_dfilter *dt_dfilter_compile(const char *expr, const dt_registry *reg, char *err, size_t errsz);
bool dt_dfilter_match(dt_dfilter *f, const dt_event *ev);
void dt_dfilter_free(dt_dfilter *f);

#endif
