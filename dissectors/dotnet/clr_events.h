/* Names of the .NET runtime's native events, which carry no name in their
 * EventPipe metadata. */
#ifndef DT_DOTNET_CLR_EVENTS_H
#define DT_DOTNET_CLR_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagtap/fields.h"

typedef struct dt_clr_event_name {
    const char *provider;
    uint32_t event_id;
    const char *name; /* "GC/Start": TraceEvent's Task/Opcode convention */
} dt_clr_event_name;

/* Sorted by provider, then event id. */
extern const dt_clr_event_name dt_clr_event_names[];
extern const size_t dt_clr_event_names_count;

/* Payload layouts of the runtime's events (their metadata has none). */
typedef enum dt_clr_type {
    DT_CLR_U8, DT_CLR_U16, DT_CLR_U32, DT_CLR_U64, DT_CLR_I32, DT_CLR_PTR, DT_CLR_BOOL, DT_CLR_DOUBLE,
    DT_CLR_GUID, DT_CLR_UTF16Z, DT_CLR_ANSIZ,
} dt_clr_type;

typedef struct dt_clr_field {
    const char *name;
    dt_clr_type type;
    bool hex;
    const dt_value_name *map; /* value names, sorted; may be NULL */
} dt_clr_field;

typedef struct dt_clr_template {
    const char *provider;
    uint32_t event_id;
    uint32_t version;
    const dt_clr_field *fields;
    uint16_t n_fields;
    bool complete; /* false: fields after these (arrays of structs) are not described */
} dt_clr_template;

/* Sorted by provider, event id, version. */
extern const dt_clr_template dt_clr_templates[];
extern const size_t dt_clr_templates_count;

/* The layout of (provider, event id, version): that version's, else the
 * highest version below it; NULL if none. */
const dt_clr_template *dt_clr_template_lookup(const char *provider, uint32_t event_id, uint32_t version);

/* The well-known name of (provider, event id), or NULL. */
const char *dt_clr_event_lookup(const char *provider, uint32_t event_id);

#endif
