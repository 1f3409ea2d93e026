#include "line_proto.h"

#include <stdio.h>
#include <string.h>

static const dt_field_def line_fields[] = {
    { "lines.text", "Text", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
};

static long line_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    (void)conv;
    (void)dir;
    const uint8_t *nl = memchr(data, '\n', avail);
    return nl ? (long)(nl - data) + 1 : DT_FRAME_NEED_MORE;
}

static void line_dissect(dt_ctx *ctx)
{
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    size_t n = ctx->pdu_len;
    while (n && (ctx->pdu[n - 1] == '\n' || ctx->pdu[n - 1] == '\r'))
        n--;
    char text[256];
    snprintf(text, sizeof text, "%.*s", (int)n, (const char *)dt_cur_bytes(&c, n));
    dt_add_string(ctx, NULL, &line_fields[0], 0, n, text, strlen(text));
    unsigned key;
    if (sscanf(text, "REQ %u", &key) == 1)
        dt_pair_request(ctx, key, 0);
    else if (sscanf(text, "RSP %u", &key) == 1)
        dt_pair_response(ctx, key, true);
    dt_summary(ctx, "line %s", text);
}

static const uint16_t line_ports[] = { 7777, 0 };

static const dt_dissector line_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "lines",
    .display_name = "LINES",
    .description = "newline-terminated text (diagtap capture tests)",
    .fields = line_fields,
    .n_fields = 1,
    .transports = DT_TRANSPORT_TCP | DT_TRANSPORT_UDP | DT_TRANSPORT_STREAM,
    .tcp_ports = line_ports,
    .udp_ports = line_ports,
    .frame = line_frame,
    .dissect = line_dissect,
};

int line_proto_register(dt_registry *reg) { return dt_register(reg, &line_dissector); }

/* As an external plugin. */
int diagtap_plugin_init(dt_registry *reg);
int diagtap_plugin_init(dt_registry *reg) { return line_proto_register(reg); }
