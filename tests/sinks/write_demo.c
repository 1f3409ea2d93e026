/* Writes what the sinks make of a small hand-built session, for the
 * integration script: a pcapng with one Ethernet and two IPC channels, and
 * the same events as JSON Lines and as text.
 * usage: sinks_write_demo OUT.pcapng OUT.jsonl OUT.txt */
#include <stdio.h>
#include <string.h>

#include "core/sink.h"

#define T0 UINT64_C(1795000000000000000)

static const uint8_t udp_frame[] = {
    /* Ethernet */
    0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
    /* IPv4, 20 bytes, UDP, 192.168.0.1 → 192.168.0.2 */
    0x45, 0, 0, 33, 0, 1, 0, 0, 64, 17, 0xf9, 0x6e, 192, 168, 0, 1, 192, 168, 0, 2,
    /* UDP 40000 → 50000, length 13 */
    0x9c, 0x40, 0xc3, 0x50, 0, 13, 0, 0, 'h', 'e', 'l', 'l', 'o',
};

static const dt_value_name type_vals[] = { { 1, "request" }, { 2, "response" }, { 0, NULL } };
static const dt_field_def defs[] = {
    { "dap.type", "Type", DT_FT_UINT8, DT_BASE_DEC, type_vals, 0, 0, NULL },
    { "dap.command", "Command", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "dap.arguments", "Arguments", DT_FT_NONE, DT_BASE_NONE, NULL, 0, 0, NULL },
    { "dap.line", "Line", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL },
};

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s OUT.pcapng OUT.jsonl OUT.txt\n", argv[0]);
        return 2;
    }
    char err[512];
    dt_sink *rec = dt_pcapng_sink_new(argv[1], err, sizeof err);
    if (!rec) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    FILE *jf = fopen(argv[2], "w"), *tf = fopen(argv[3], "w");
    if (!jf || !tf)
        return 1;
    dt_text_opts topts = { .verbose = true, .utc = true };
    dt_sink *sinks[3] = { rec, dt_json_sink_new(jf), dt_text_sink_new(tf, &topts) };

    dt_channel eth = { 0, "eth0", "Ethernet capture", 1 };
    dt_channel wrap = { 1, "stdio:lldb-vscode-14", "stdio wrapper", -1 };
    dt_channel sock = { 2, "unix:/tmp/dbg.sock#1", "unix socket proxy", -1 };
    dt_conv_info c_wrap = { 1, &wrap, "ide", "lldb-vscode-14" };
    dt_conv_info c_sock = { 2, &sock, "client#1", "/tmp/dbg.sock" };
    const char *req = "Content-Length: 40\r\n\r\n{\"seq\":1,\"type\":\"request\",\"command\":\"x\"}";
    const char *rsp = "Content-Length: 3\r\n\r\n{\"\"}";
    static const uint8_t odd[] = { 0, 1, 0xff, 0xfe, '\n', '"', '\\', 0x80 };

    for (int i = 0; i < 3; i++) {
        dt_sink *s = sinks[i];
        s->channel(s, &eth);
        s->channel(s, &wrap);
        if (s->frame) /* NULL: the sink records no frames (text, JSON) */
            s->frame(s, &eth, T0, udp_frame, sizeof udp_frame, sizeof udp_frame, DT_EPB_INBOUND);
        if (s->stream) /* NULL: the sink records no bytes (the engine checks it too) */
            s->stream(s, &c_wrap, DT_DIR_C2S, T0 + 1000, "dap", (const uint8_t *)req, strlen(req));
        s->channel(s, &sock);
        if (s->stream) {
            s->stream(s, &c_sock, DT_DIR_S2C, T0 + 2000, "data", odd, sizeof odd);
            s->stream(s, &c_wrap, DT_DIR_S2C, T0 + 301000, "dap", (const uint8_t *)rsp, strlen(rsp));
        }
    }

    dt_field f[4] = { 0 };
    f[0].def = &defs[0], f[0].v.u = 1, f[0].next = &f[1];
    f[1].def = &defs[1], f[1].v.s.ptr = "setBreakpoints", f[1].v.s.len = 14, f[1].next = &f[2];
    f[2].def = &defs[2], f[2].child = f[2].last_child = &f[3];
    f[3].def = &defs[3], f[3].v.u = 42;
    dt_event evs[4] = { 0 };
    evs[0] = (dt_event){ .seq = 1, .ts_ns = T0 + 1000, .conv = &c_wrap, .dir = DT_DIR_C2S, .proto = "DAP",
                         .proto_name = "dap", .summary = "request setBreakpoints main.c:42", .fields = &f[0],
                         .last_field = &f[2], .raw_len = 62, .role = DT_ROLE_REQUEST, .stats_key = "setBreakpoints" };
    evs[1] = (dt_event){ .seq = 2, .ts_ns = T0 + 2000, .conv = &c_sock, .dir = DT_DIR_S2C, .proto = "data",
                         .proto_name = "data", .summary = "8 bytes \"\\\x01\xff", .raw_len = 8 };
    evs[2] = (dt_event){ .seq = 3, .ts_ns = T0 + 301000, .conv = &c_wrap, .dir = DT_DIR_S2C, .proto = "DAP",
                         .proto_name = "dap", .summary = "response setBreakpoints → 1 verified", .raw_len = 25,
                         .role = DT_ROLE_RESPONSE, .req_seq = 1, .has_latency = true, .latency_ns = 300000,
                         .stats_key = "setBreakpoints", .status = "success" };
    evs[3] = (dt_event){ .seq = 4, .ts_ns = T0 + 400000, .kind = DT_EV_PENDING, .conv = &c_wrap, .proto = "DAP",
                         .proto_name = "dap", .summary = "request threads", .has_latency = true,
                         .latency_ns = 99000, .stats_key = "threads" };
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 4; k++)
            sinks[i]->event(sinks[i], &evs[k]);
        rc |= sinks[i]->finish(sinks[i]);
        sinks[i]->destroy(sinks[i]);
    }
    fclose(jf);
    fclose(tf);
    return rc ? 1 : 0;
}
