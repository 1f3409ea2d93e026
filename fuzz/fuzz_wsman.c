/* libFuzzer target: the WS-Man XML path (wsman dissector, expat, base64,
 * the shell/command tables, and the PSRP payloads it hands on).
 *
 * Input: envelopes separated by the two bytes "\n\x01"; they alternate
 * client→server and server→client, as requests and replies do, so
 * pairing and the shell/command tables are exercised. The engine's sinks
 * (JSON) format every event into /dev/null. */
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "core/engine_internal.h"
#include "core/registry.h"
#include "core/sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *force, const uint8_t *data, size_t size)
{
    static dt_registry *reg;
    static FILE *null;
    if (!reg) {
        reg = dt_registry_new();
        dt_registry_add_builtins(reg);
        null = fopen("/dev/null", "w");
    }
    dt_engine *e = dt_engine_new(reg);
    dt_sink *json = dt_json_sink_new(null);
    dt_engine_add_sink(e, json);
    const dt_channel *ch = dt_engine_channel(e, "fuzz", "fuzz", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_UDP, .client = "c", .server = "s",
                         .dissector = force, .ts_ns = 1 };
    dt_conv *c = dt_engine_conv_open(e, &p);
    if (c) {
        size_t start = 0, n = 0;
        uint64_t off[2] = { 0, 0 };
        for (size_t i = 0; i <= size; i++) {
            if (i == size || (i + 1 < size && data[i] == '\n' && data[i + 1] == 1)) {
                dt_dir dir = (dt_dir)(n++ & 1);
                dt_engine_dissect_pdu(e, c, dir, 1000 + n, data + start, i - start, off[dir]);
                off[dir] += i - start;
                start = i + 2;
                i++;
            }
        }
    }
    dt_engine_finish(e, 1000000);
    dt_engine_free(e);
    if (json->destroy)
        json->destroy(json);
}

#ifndef FUZZ_DISSECTOR
#define FUZZ_DISSECTOR "wsman"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(FUZZ_DISSECTOR, data, size);
    return 0;
}
