/* Every dissector × every transport, through the engine.
 *
 * Input:  [mode] [port hi] [port lo] then records
 *         [flags] [len hi] [len lo] [len bytes]   (the last may be short)
 * mode:   bits 0-1 transport (0 TCP, 1 UDP, 2 IPC stream, 3 TCP again)
 *         bits 2-7 dissector: 0 = let the engine choose (decode-as rule
 *         0 is none, ports, probes); k = the registry's (k-1) % count-th,
 *         FORCED whatever its transports (mismatches included) — on TCP
 *         and UDP through a decode-as rule on the port, on IPC streams as
 *         a proxy's -d.
 * flags:  bit 0 direction (server→client), bit 1 a gap of len bytes
 *         instead of data, bit 2 end this direction after the record,
 *         bit 3 show credentials (first record only).
 * The records of one input make one conversation; the sinks format every
 * event (text with field trees, JSON). fuzz/make_seeds.py turns captures
 * and raw files into inputs of this shape. */
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    dt_registry *reg = fuzz_registry();
    unsigned mode = data[0];
    uint16_t port = (uint16_t)(data[1] << 8 | data[2]);
    data += 3;
    size -= 3;
    dt_transport t = (mode & 3u) == 1 ? DT_CONV_UDP : (mode & 3u) == 2 ? DT_CONV_STREAM : DT_CONV_TCP;
    const dt_dissector *forced = NULL;
    if ((mode >> 2) && dt_registry_count(reg))
        forced = dt_registry_at(reg, ((mode >> 2) - 1u) % dt_registry_count(reg));

    fuzz_run r;
    if (fuzz_run_start(&r, size && (data[0] & 8u)) != 0)
        return 0;
    char spec[96], err[256];
    if (forced && t != DT_CONV_STREAM) {
        snprintf(spec, sizeof spec, "%u=%s", port ? port : 1u, forced->name);
        (void)dt_engine_decode_as(r.eng, spec, err, sizeof err); /* may refuse: then ports and probes */
    }
    const dt_channel *ch = dt_engine_channel(r.eng, "fuzz", "fuzz input", t == DT_CONV_STREAM ? -1 : 1);
    dt_conv_params p = {
        .channel = ch,
        .transport = t,
        .client = "client",
        .server = "server",
        .client_port = 40000,
        .server_port = port ? port : 1,
        .dissector = t == DT_CONV_STREAM && forced ? forced->name : NULL,
        .show_undecoded = t == DT_CONV_STREAM,
        .ts_ns = 1,
    };
    dt_conv *c = ch ? dt_engine_conv_open(r.eng, &p) : NULL;
    uint64_t ts = 1;
    while (c && size >= 3) {
        unsigned flags = data[0];
        size_t len = (size_t)data[1] << 8 | data[2];
        data += 3;
        size -= 3;
        dt_dir dir = (flags & 1u) ? DT_DIR_S2C : DT_DIR_C2S;
        ts += 1000;
        if (flags & 2u) {
            if (t != DT_CONV_UDP)
                dt_engine_gap(r.eng, c, dir, ts, len);
            continue;
        }
        if (len > size)
            len = size;
        if (t == DT_CONV_UDP)
            dt_engine_datagram(r.eng, c, dir, ts, data, len);
        else
            dt_engine_stream(r.eng, c, dir, ts, data, len);
        data += len;
        size -= len;
        if ((flags & 4u) && t != DT_CONV_UDP)
            dt_engine_stream_end(r.eng, c, dir, ts);
    }
    fuzz_run_finish(&r);
    return 0;
}
