#include "fuzz_common.h"

#include <stdlib.h>

static dt_registry *registry;
static FILE *devnull;

dt_registry *fuzz_registry(void)
{
    if (!registry) {
        registry = dt_registry_new();
        if (!registry || dt_registry_add_builtins(registry) != 0)
            abort();
        devnull = fopen("/dev/null", "w");
        if (!devnull)
            abort();
    }
    return registry;
}

int fuzz_run_start(fuzz_run *r, int show_credentials)
{
    dt_registry *reg = fuzz_registry();
    r->eng = dt_engine_new(reg);
    if (!r->eng)
        return -1;
    dt_text_opts to = { .verbose = 1 };
    r->sinks[0] = dt_text_sink_new(devnull, &to);
    r->sinks[1] = dt_json_sink_new(devnull);
    for (int i = 0; i < 2; i++)
        if (r->sinks[i])
            dt_engine_add_sink(r->eng, r->sinks[i]);
    dt_engine_set_show_credentials(r->eng, show_credentials != 0);
    /* the key of the corpus' KDNET session: decryption paths are reached */
    dt_engine_set_option(r->eng, "kdnet.key", "8.8.8.8");
    dt_engine_set_input(r->eng, "fuzz");
    return 0;
}

void fuzz_run_finish(fuzz_run *r)
{
    dt_engine_finish(r->eng, dt_engine_last_ts(r->eng));
    dt_engine_free(r->eng);
    for (int i = 0; i < 2; i++)
        if (r->sinks[i] && r->sinks[i]->destroy)
            r->sinks[i]->destroy(r->sinks[i]);
}
