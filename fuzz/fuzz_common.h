/* What every diagtap fuzz target shares: one registry with the built-in
 * dissectors, and an engine whose events go through the real sinks (text
 * with field trees, JSON) into /dev/null, so formatting and redaction are
 * fuzzed with the decoders. A harness may keep process-wide state: it is
 * not diagtap. */
#ifndef DIAGTAP_FUZZ_COMMON_H
#define DIAGTAP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/engine.h"
#include "core/registry.h"
#include "core/sink.h"

typedef struct fuzz_run {
    dt_engine *eng;
    dt_sink *sinks[2];
} fuzz_run;

/* The registry, built once. */
dt_registry *fuzz_registry(void);
/* An engine with sinks; show_credentials alternates with the caller's bit. */
int fuzz_run_start(fuzz_run *r, int show_credentials);
void fuzz_run_finish(fuzz_run *r);

#endif
