/* An external dissector, built as its own .so and loaded with --plugin-dir:
 * the proof that the public ABI is enough to add a protocol. "ECHO1" lines:
 * newline-terminated text, where "PING n" is answered by "PONG n". */
#include <stdio.h>
#include <string.h>

#include "diagtap/dissector.h"

static const dt_field_def echo_fields[] = {
    { "echo1.line", "Line", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "one line of text" },
    { "echo1.n", "Number", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL },
};

static int echo_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    return len >= 6 && memcmp(data, "ECHO1\n", 6) == 0 ? 100 : 0;
}

static long echo_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    (void)conv;
    (void)dir;
    const uint8_t *nl = memchr(data, '\n', avail);
    return nl ? (long)(nl - data + 1) : DT_FRAME_NEED_MORE;
}

static void echo_dissect(dt_ctx *ctx)
{
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    char line[256];
    dt_cur_string(&c, ctx->pdu_len - 1, line, sizeof line);
    dt_add_string(ctx, NULL, &echo_fields[0], 0, ctx->pdu_len - 1, line, strlen(line));
    unsigned n;
    if (sscanf(line, "PING %u", &n) == 1) {
        dt_add_uint(ctx, NULL, &echo_fields[1], 5, ctx->pdu_len - 6, n);
        dt_pair_request(ctx, n, 0);
        dt_summary(ctx, "ping %u", n);
    } else if (sscanf(line, "PONG %u", &n) == 1) {
        dt_add_uint(ctx, NULL, &echo_fields[1], 5, ctx->pdu_len - 6, n);
        dt_pair_response(ctx, n, true);
        dt_summary(ctx, "pong %u", n);
    } else {
        dt_summary(ctx, "%s", line);
    }
}

static const dt_dissector echo_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "echo1",
    .display_name = "ECHO1",
    .description = "example external dissector (tests/core/plugin_example.c)",
    .fields = echo_fields,
    .n_fields = sizeof echo_fields / sizeof echo_fields[0],
    .transports = DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM,
    .probe = echo_probe,
    .frame = echo_frame,
    .dissect = echo_dissect,
};

int diagtap_plugin_init(dt_registry *reg) { return dt_register(reg, &echo_dissector); }
