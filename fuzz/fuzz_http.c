/* libFuzzer target for the HTTP layer: framing (http-parser state kept
 * across chunks), header and auth parsing, multipart/encrypted unsealing
 * (a password is set, so the NTLM paths run), bodies handed to the WS-Man
 * dissector, TLS records. Events go through the JSON and text sinks.
 *
 * Input: records [flags][len hi][len lo][len bytes] (the last may be short)
 * flags: bit 0 direction (server→client), bit 1 a gap of len bytes instead of
 * data, bit 2 end this direction, bit 3 show credentials (first record). */
#include <stdio.h>

#include "core/engine.h"
#include "core/registry.h"
#include "core/sink.h"

static dt_registry *registry(void)
{
    static dt_registry *reg; /* the harness's own, built once: not diagtap state */
    if (!reg) {
        reg = dt_registry_new();
        if (reg)
            dt_registry_add_builtins(reg);
    }
    return reg;
}

static FILE *devnull(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_registry *reg = registry();
    FILE *out = devnull();
    if (!reg || !out)
        return 0;
    dt_engine *e = dt_engine_new(reg);
    if (!e)
        return 0;
    dt_sink *json = dt_json_sink_new(out);
    dt_text_opts to = { .verbose = true };
    dt_sink *text = dt_text_sink_new(out, &to);
    if (json) {
        dt_json_sink_set_raw(json, true);
        dt_engine_add_sink(e, json);
    }
    if (text)
        dt_engine_add_sink(e, text);
    dt_engine_set_option(e, "ntlm.password", "vagrant:vagrant");
    dt_engine_set_show_credentials(e, size && (data[0] & 8u));
    const dt_channel *ch = dt_engine_channel(e, "fuzz", "", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "c", .server = "s:5985",
                         .dissector = "http", .ts_ns = 1 };
    dt_conv *c = ch ? dt_engine_conv_open(e, &p) : NULL;
    uint64_t ts = 1;
    while (c && size >= 3) {
        unsigned flags = data[0];
        size_t len = (size_t)data[1] << 8 | data[2];
        data += 3;
        size -= 3;
        dt_dir dir = (flags & 1u) ? DT_DIR_S2C : DT_DIR_C2S;
        ts += 1000;
        if (flags & 2u) {
            dt_engine_gap(e, c, dir, ts, len);
            continue;
        }
        if (len > size)
            len = size;
        dt_engine_stream(e, c, dir, ts, data, len);
        data += len;
        size -= len;
        if (flags & 4u)
            dt_engine_stream_end(e, c, dir, ts);
    }
    dt_engine_finish(e, ts + 1);
    dt_engine_free(e);
    if (json)
        json->destroy(json);
    if (text)
        text->destroy(text);
    return 0;
}
