/* Feeds WS-Man envelopes to the wsman dissector without HTTP around them and
 * prints the timeline as JSON Lines (the same sink `diagtap -T json` uses).
 *
 *   wsman_feed FILE   FILE: records of [dir u8][length u32 BE][envelope]
 *
 * Used by the unit-level corpus and bad-input tests, so the WS-Man/PSRP
 * decoding is checked on its own; the HTTP-wrapped end-to-end tests go
 * through `diagtap replay`. */
#include <stdio.h>
#include <stdlib.h>

#include "core/engine.h"
#include "core/engine_internal.h"
#include "core/registry.h"
#include "core/sink.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: wsman_feed RECORDS\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    dt_registry *reg = dt_registry_new();
    if (dt_registry_add_builtins(reg) != 0)
        return 1;
    dt_engine *e = dt_engine_new(reg);
    dt_sink *json = dt_json_sink_new(stdout);
    dt_engine_add_sink(e, json);
    const dt_channel *ch = dt_engine_channel(e, "test", "WS-Man envelopes", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_UDP, /* one message per call: no framer needed */ .client = "client", .server = "winrm",
                         .dissector = "wsman", .ts_ns = 1000000000 };
    dt_conv *c = dt_engine_conv_open(e, &p);
    if (!c) {
        fprintf(stderr, "wsman_feed: no wsman dissector\n");
        return 1;
    }
    uint64_t ts = 1000000000, off[2] = { 0, 0 };
    unsigned char h[5];
    while (fread(h, 1, 5, f) == 5) {
        size_t len = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
        unsigned char *buf = malloc(len ? len : 1);
        if (!buf || fread(buf, 1, len, f) != len) {
            fprintf(stderr, "wsman_feed: truncated record\n");
            return 1;
        }
        ts += 1000000;
        int dir = h[0] ? 1 : 0;
        dt_engine_dissect_pdu(e, c, (dt_dir)dir, ts, buf, len, off[dir]);
        off[dir] += len;
        free(buf);
    }
    fclose(f);
    int rc = dt_engine_finish(e, ts + 1000000);
    dt_engine_free(e);
    dt_registry_free(reg);
    if (json->destroy)
        json->destroy(json);
    return rc ? 1 : 0;
}
