#include "toy_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_TEXT, F_KEY, F_SECRET, F_COUNT };
static const dt_field_def toy_fields[F_COUNT] = {
    [F_TEXT] = { "toy.text", "Text", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [F_KEY] = { "toy.key", "Key", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [F_SECRET] = { "toy.secret", "Secret", DT_FT_STRING, DT_BASE_NONE, NULL, 0, DT_FF_CREDENTIAL, NULL },
};

typedef struct toy_conv {
    int messages;
} toy_conv;

static long toy_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    (void)conv;
    (void)dir;
    if (data[0] != 0xA5)
        return -1;
    if (avail < 2)
        return DT_FRAME_NEED_MORE;
    return 2 + (long)data[1];
}

static int toy_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    return len >= 2 && data[0] == 0xA5 && data[1] > 0 ? 50 : 0;
}

static void toy_dissect(dt_ctx *ctx)
{
    toy_conv *tc = ctx->conv;
    tc->messages++;
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    dt_cur_skip(&c, 1);
    uint8_t n = dt_cur_u8(&c);
    char text[256];
    size_t off = dt_cur_offset(&c);
    dt_cur_string(&c, n, text, sizeof text);
    unsigned key;
    if (sscanf(text, "REQ %u", &key) == 1) {
        char *blob = dt_pair_request(ctx, key, 16);
        if (blob)
            snprintf(blob, 16, "req%u", key);
        dt_summary(ctx, "request %u", key);
    } else if (sscanf(text, "RSP %u", &key) == 1) {
        const char *blob = dt_pair_response(ctx, key, true);
        dt_summary(ctx, "response %u (%s)", key, blob ? blob : "unpaired");
    } else if (strncmp(text, "PIPE ", 5) == 0) {
        dt_summary(ctx, "pipe write");
        dt_inner_stream(ctx, "toy", 7, ctx->dir, ctx->pdu + off + 5, n - 5);
    } else if (strncmp(text, "MSG ", 4) == 0) {
        /* "MSG a|b": a and b are two whole messages for "toymsg" */
        dt_summary(ctx, "message carrier");
        const char *bar = strchr(text + 4, '|');
        size_t a = bar ? (size_t)(bar - (text + 4)) : strlen(text + 4);
        dt_inner_set_user(ctx, 9, NULL);
        dt_inner_message(ctx, "toymsg", 9, ctx->dir, ctx->pdu + off + 4, a);
        dt_inner_set_user(ctx, 9, "DOM\\bob");
        if (bar)
            dt_inner_message(ctx, "toymsg", 9, ctx->dir, ctx->pdu + off + 4 + a + 1, strlen(bar + 1));
    } else if (strncmp(text, "SCRATCH ", 8) == 0) {
        /* "SCRATCH n": n KiB of working memory, then the text as a field */
        unsigned kib = (unsigned)atoi(text + 8);
        char *work = dt_scratch(ctx, (size_t)kib * 1024u);
        if (work)
            memset(work, 'w', (size_t)kib * 1024u);
        dt_summary(ctx, "scratch %u KiB", kib);
    } else if (strncmp(text, "SECRET ", 7) == 0) {
        dt_add_string(ctx, NULL, &toy_fields[F_SECRET], off + 7, strlen(text + 7), text + 7, strlen(text + 7));
        dt_summary(ctx, "secret");
        return;
    } else {
        dt_summary(ctx, "text %s", text);
    }
    dt_add_string(ctx, NULL, &toy_fields[F_TEXT], off, n, text, strlen(text));
}

const dt_dissector toy_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "toy",
    .display_name = "TOY",
    .description = "test protocol",
    .fields = toy_fields,
    .n_fields = F_COUNT,
    .transports = DT_TRANSPORT_STREAM | DT_TRANSPORT_TCP | DT_TRANSPORT_INNER,
    .inner_names = (const char *const[]){ "toy", NULL },
    .probe = toy_probe,
    .frame = toy_frame,
    .dissect = toy_dissect,
    .conv_size = sizeof(toy_conv),
};

/* Whole messages from dt_inner_message: no framer; REQ/RSP pair inside. */
static void toymsg_dissect(dt_ctx *ctx)
{
    const char *user = dt_carrier_user(ctx);
    unsigned key;
    char text[256];
    size_t n = ctx->pdu_len < sizeof text - 1 ? ctx->pdu_len : sizeof text - 1;
    memcpy(text, ctx->pdu, n);
    text[n] = '\0';
    if (sscanf(text, "REQ %u", &key) == 1)
        dt_pair_request(ctx, key, 0);
    else if (sscanf(text, "RSP %u", &key) == 1)
        dt_pair_response(ctx, key, true);
    dt_summary(ctx, "whole '%s' (%zu bytes) user %s", text, ctx->pdu_len, user ? user : "-");
}

static const dt_dissector toymsg_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "toymsg",
    .display_name = "TOYMSG",
    .description = "whole-message test protocol",
    .transports = DT_TRANSPORT_INNER,
    .dissect = toymsg_dissect,
    .conv_size = sizeof(toy_conv),
};

int toy_register(dt_registry *reg)
{
    int rc = dt_register(reg, &toy_dissector);
    return rc ? rc : dt_register(reg, &toymsg_dissector);
}

size_t toy_msg(uint8_t *buf, const char *text)
{
    size_t n = strlen(text);
    buf[0] = 0xA5;
    buf[1] = (uint8_t)n;
    memcpy(buf + 2, text, n);
    return n + 2;
}
