/* Names of the .NET runtime's native events, which carry no name in their
 * EventPipe metadata. */
#ifndef DT_DOTNET_CLR_EVENTS_H
#define DT_DOTNET_CLR_EVENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_clr_event_name {
    const char *provider;
    uint32_t event_id;
    const char *name; /* "GC/Start": TraceEvent's Task/Opcode convention */
} dt_clr_event_name;

/* Sorted by provider, then event id. */
extern const dt_clr_event_name dt_clr_event_names[];
extern const size_t dt_clr_event_names_count;

/* The well-known name of (provider, event id), or NULL. */
const char *dt_clr_event_lookup(const char *provider, uint32_t event_id);

#endif
