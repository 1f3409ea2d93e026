/* The real engine feeding all four sinks: an IPC stream with no dissector
 * (raw events, "data" exported PDUs), a network channel's frames, a note.
 * usage: sinks_engine_demo OUT.pcapng OUT.jsonl OUT.txt OUT.stats */
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "core/registry.h"

#define T0 UINT64_C(1795000000000000000)

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    char err[512];
    dt_registry *reg = dt_registry_new();
    dt_engine *eng = dt_engine_new(reg);
    dt_sink *rec = dt_pcapng_sink_new(argv[1], err, sizeof err);
    FILE *jf = fopen(argv[2], "w"), *tf = fopen(argv[3], "w"), *sf = fopen(argv[4], "w");
    if (!reg || !eng || !rec || !jf || !tf || !sf) {
        fprintf(stderr, "setup failed: %s\n", err);
        return 1;
    }
    dt_text_opts to = { .utc = true };
    dt_sink *sinks[4] = { rec, dt_json_sink_new(jf), dt_text_sink_new(tf, &to), dt_stats_sink_new(sf) };
    for (int i = 0; i < 4; i++)
        dt_engine_add_sink(eng, sinks[i]);

    const dt_channel *ch = dt_engine_channel(eng, "unix:/tmp/demo.sock#1", "unix socket proxy", -1);
    dt_conv_params p = { 0 };
    p.channel = ch;
    p.transport = DT_CONV_STREAM;
    p.client = "client#1";
    p.server = "/tmp/demo.sock";
    p.show_undecoded = true;
    p.ts_ns = T0;
    dt_conv *c = dt_engine_conv_open(eng, &p);
    static const uint8_t hello[] = "hello\x00\xff\n";
    dt_engine_stream(eng, c, DT_DIR_C2S, T0 + 1000, hello, sizeof hello - 1);
    dt_engine_stream(eng, c, DT_DIR_S2C, T0 + 2000, (const uint8_t *)"world", 5);
    dt_engine_note(eng, c, T0 + 3000, DT_EV_NOTE, "peer closed the connection");
    dt_engine_conv_close(eng, c, T0 + 4000, NULL);

    const dt_channel *eth = dt_engine_channel(eng, "eth0", "Ethernet", 1);
    static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };
    dt_engine_frame(eng, eth, T0 + 5000, frame, sizeof frame, sizeof frame, DT_EPB_OUTBOUND);

    int rc = dt_engine_finish(eng, T0 + 6000);
    for (int i = 0; i < 4; i++)
        sinks[i]->destroy(sinks[i]);
    dt_engine_free(eng);
    dt_registry_free(reg);
    fclose(jf);
    fclose(tf);
    fclose(sf);
    return rc ? 1 : 0;
}
