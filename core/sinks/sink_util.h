/* Helpers the sinks share. */
#ifndef DIAGTAP_SINKS_SINK_UTIL_H
#define DIAGTAP_SINKS_SINK_UTIL_H

#include <stdbool.h>
#include <stdio.h>

#include "core/sink.h"

/* Reports a write error on a timeline stream once; returns -1 after one. */
static inline int dt_sink_file_status(FILE *out, bool *reported, const char *what)
{
    if (!ferror(out))
        return 0;
    if (!*reported) {
        fprintf(stderr, "diagtap: cannot write the %s: output error\n", what);
        *reported = true;
    }
    return -1;
}

/* No-ops for the callbacks a sink does not use. */
void dt_sink_nop_channel(dt_sink *s, const dt_channel *ch);
void dt_sink_nop_event(dt_sink *s, const dt_event *ev);

#endif
