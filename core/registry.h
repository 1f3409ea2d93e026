/* The set of known dissectors: built-ins and external .so plugins. */
#ifndef DIAGTAP_CORE_REGISTRY_H
#define DIAGTAP_CORE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagtap/dissector.h"

dt_registry *dt_registry_new(void);
void dt_registry_free(dt_registry *reg);

/* Registers every dissector compiled into diagtap (dissectors/builtin.c). */
int dt_registry_add_builtins(dt_registry *reg);
/* dlopen()s every *.so in dir and calls its diagtap_plugin_init. A missing
 * dir is not an error; a plugin that fails to load is reported in err and
 * skipped. Returns the number of plugins loaded, or -1. */
int dt_registry_load_plugins(dt_registry *reg, const char *dir, char *err, size_t errsz);

size_t dt_registry_count(const dt_registry *reg);
/* True once a plugin was loaded: its dissectors' events may point at memory
 * of their own, which only a copy of the event outlives. */
bool dt_registry_has_plugins(const dt_registry *reg);
const dt_dissector *dt_registry_at(const dt_registry *reg, size_t i);
const dt_dissector *dt_registry_find(const dt_registry *reg, const char *name);
/* The option some dissector declares under name ("kdnet.key"), or with
 * flag ("--kdnet-key") when by_flag; NULL if none does. */
const dt_option_def *dt_registry_option(const dt_registry *reg, const char *key, bool by_flag);
const dt_dissector *dt_registry_by_port(const dt_registry *reg, uint32_t transport, uint16_t port);
const dt_dissector *dt_registry_by_inner_name(const dt_registry *reg, const char *name);
/* The dissector whose probe is most confident about these bytes, or NULL. */
const dt_dissector *dt_registry_probe(const dt_registry *reg, uint32_t transport, const uint8_t *data, size_t len,
                                      dt_dir dir);

#endif
