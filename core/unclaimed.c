/* The open and close lines of conversations no dissector claims. */
#include "unclaimed.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine_internal.h"

enum {
    UF_BYTES_C2S,
    UF_BYTES_S2C,
    UF_PACKETS_C2S,
    UF_PACKETS_S2C,
    UF_DURATION,
    UF_PREVIEW_C2S,
    UF_PREVIEW_S2C,
    UF_COUNT,
};

static const dt_field_def unclaimed_fields[UF_COUNT] = {
    [UF_BYTES_C2S] = { "conv.bytes.c2s", "Bytes client to server", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0,
                       "Payload bytes the client sent (TCP: the stream; UDP: the datagrams)" },
    [UF_BYTES_S2C] = { "conv.bytes.s2c", "Bytes server to client", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0,
                       "Payload bytes the server sent" },
    [UF_PACKETS_C2S] = { "conv.packets.c2s", "Packets client to server", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0,
                         "Packets the client sent, with or without payload" },
    [UF_PACKETS_S2C] = { "conv.packets.s2c", "Packets server to client", DT_FT_UINT64, DT_BASE_DEC, NULL, 0, 0,
                         "Packets the server sent, with or without payload" },
    [UF_DURATION] = { "conv.duration", "Duration", DT_FT_RELTIME, DT_BASE_NONE, NULL, 0, 0,
                      "From the first packet to the last" },
    [UF_PREVIEW_C2S] = { "conv.preview.c2s", "First bytes client to server", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0,
                         "The start of what the client sent (at most 64 bytes)" },
    [UF_PREVIEW_S2C] = { "conv.preview.s2c", "First bytes server to client", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0,
                         "The start of what the server sent (at most 64 bytes)" },
};

static void no_dissect(dt_ctx *ctx) { (void)ctx; }

/* Never chosen for traffic (no transports): it owns the field table and the
 * name --proto and --stats use. */
const dt_dissector dt_unclaimed_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "conv",
    .display_name = "CONV",
    .description = "TCP and UDP conversations no dissector claims: opened, closed, bytes and packets each way",
    .fields = unclaimed_fields,
    .n_fields = UF_COUNT,
    .dissect = no_dissect,
};

static bool is_network(const dt_conv *c)
{
    return !c->parent && !c->show_undecoded && (c->transport == DT_CONV_TCP || c->transport == DT_CONV_UDP);
}

static void touch(dt_conv *c, uint64_t ts)
{
    if (!c->counts.first_ts || ts < c->counts.first_ts)
        c->counts.first_ts = ts;
    if (ts > c->counts.last_ts)
        c->counts.last_ts = ts;
}

void dt_unclaimed_packet(dt_conv *c, dt_dir dir, uint64_t ts)
{
    c->counts.packets_counted = true;
    c->counts.packets[dir]++;
    touch(c, ts);
}

void dt_unclaimed_bytes(dt_conv *c, dt_dir dir, uint64_t ts, const uint8_t *data, size_t len)
{
    struct dt_conv_counts *k = &c->counts;
    k->bytes[dir] += len;
    if (!k->packets_counted)
        k->packets[dir]++;
    size_t room = DT_UNCLAIMED_PREVIEW - k->preview_len[dir];
    size_t n = len < room ? len : room;
    memcpy(k->preview[dir] + k->preview_len[dir], data, n);
    k->preview_len[dir] = (uint8_t)(k->preview_len[dir] + n);
    touch(c, ts);
}

/* A preview must not show what a credential header carries: its value is
 * overwritten with '*' (unless --show-credentials). Checked at line starts. */
static void redact_credentials(uint8_t *p, size_t n)
{
    static const char *const names[] = { "authorization:", "proxy-authorization:", "cookie:", "set-cookie:" };
    for (size_t i = 0; i < n; i++) {
        if (i && p[i - 1] != '\n')
            continue;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            size_t len = strlen(names[k]);
            if (n - i < len || strncasecmp((const char *)p + i, names[k], len) != 0)
                continue;
            size_t j = i + len;
            while (j < n && p[j] == ' ')
                j++;
            for (; j < n && p[j] != '\r' && p[j] != '\n'; j++)
                p[j] = '*';
        }
    }
}

/* "TCP" or "UDP" in the protocol column; "conv" for --proto and JSON. */
static void begin(dt_engine *e, dt_conv *c, uint64_t ts, dt_dissect_state *ds, dt_ctx *ctx)
{
    dt_ev_begin(e, c, DT_DIR_C2S, ts, DT_EV_NOTE, &dt_unclaimed_dissector, NULL, 0, 0);
    e->ev.proto = c->transport == DT_CONV_TCP ? "TCP" : "UDP";
    *ds = (dt_dissect_state){ .e = e, .conv = c };
    *ctx = (dt_ctx){ .ev = &e->ev, .dir = DT_DIR_C2S, .ts_ns = ts, .self = &dt_unclaimed_dissector, .engine = ds };
}

/* The server port names the row in --stats, as Wireshark's Conversations
 * and Endpoints windows group it. */
static void stats_key(dt_engine *e, dt_ctx *ctx, const dt_conv *c)
{
    char key[32];
    snprintf(key, sizeof key, "unclaimed port %u", (unsigned)c->server_port);
    dt_stats_key(ctx, dt_arena_strndup(&e->arena, key, strlen(key)));
}

void dt_unclaimed_opened(dt_engine *e, dt_conv *c)
{
    if (!is_network(c) || c->counts.opened_shown)
        return;
    c->counts.opened_shown = true;
    dt_dissect_state ds;
    dt_ctx ctx;
    begin(e, c, c->counts.first_ts ? c->counts.first_ts : e->last_ts, &ds, &ctx);
    dt_summary(&ctx, "%s conversation opened; no dissector claims it", e->ev.proto);
    for (int d = 0; d < 2; d++) {
        if (!c->counts.preview_len[d])
            continue;
        if (!e->show_credentials)
            redact_credentials(c->counts.preview[d], c->counts.preview_len[d]);
        dt_add_bytes(&ctx, NULL, &unclaimed_fields[d ? UF_PREVIEW_S2C : UF_PREVIEW_C2S], 0, 0,
                     c->counts.preview[d], c->counts.preview_len[d]);
    }
    dt_ev_commit(e);
}

void dt_unclaimed_closed(dt_engine *e, dt_conv *c, uint64_t ts)
{
    if (!is_network(c))
        return;
    dt_unclaimed_opened(e, c);
    const struct dt_conv_counts *k = &c->counts;
    uint64_t end = k->last_ts > k->first_ts ? k->last_ts : k->first_ts;
    uint64_t dur = end - k->first_ts;
    dt_dissect_state ds;
    dt_ctx ctx;
    begin(e, c, end ? end : ts, &ds, &ctx);
    dt_summary(&ctx, "%s conversation closed after %" PRIu64 ".%06" PRIu64 " s: %" PRIu64 " bytes in %" PRIu64
               " packets client→server, %" PRIu64 " bytes in %" PRIu64 " packets server→client",
               e->ev.proto, dur / 1000000000u, dur % 1000000000u / 1000u, k->bytes[0], k->packets[0], k->bytes[1],
               k->packets[1]);
    dt_add_uint(&ctx, NULL, &unclaimed_fields[UF_BYTES_C2S], 0, 0, k->bytes[0]);
    dt_add_uint(&ctx, NULL, &unclaimed_fields[UF_BYTES_S2C], 0, 0, k->bytes[1]);
    dt_add_uint(&ctx, NULL, &unclaimed_fields[UF_PACKETS_C2S], 0, 0, k->packets[0]);
    dt_add_uint(&ctx, NULL, &unclaimed_fields[UF_PACKETS_S2C], 0, 0, k->packets[1]);
    dt_add_time(&ctx, NULL, &unclaimed_fields[UF_DURATION], 0, 0, dur);
    stats_key(e, &ctx, c);
    dt_ev_commit(e);
}
