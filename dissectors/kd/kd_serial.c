/* KDCOM framing: "0000" data packets followed by the 0xAA trailing byte,
 * "iiii" control packets, 'b' break-in bytes, and resynchronisation on the
 * next leader after garbage (line noise, a boot loader's console output). */
#include <string.h>

#include "kd_serial.h"

const dt_field_def kds_fields[KSF_COUNT] = {
    [KSF_BREAKIN] = { "kd_serial.breakin", "Break-in bytes", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0,
                      "Run of 'b' bytes the debugger sends to stop the target" },
    [KSF_TRAILER] = { "kd_serial.trailer", "Trailing byte", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0,
                      "0xAA after every data packet" },
};

static bool is_leader_byte(uint8_t b) { return b == 0x30 || b == 0x69; }

long kds_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    kds_conv *kc = conv;
    bool *rs = &kc->resyncing[dir & 1];
    if (avail == 0)
        return DT_FRAME_NEED_MORE;
    uint8_t b0 = data[0];
    /* Only the host sends break-ins, and a run of 'b' is followed by
     * nothing (the host waits) or a packet: "boot..." from the target's
     * console is not one. */
    bool from_target = kc->kd.host_known && (uint8_t)dir != kc->kd.host_dir;
    if (b0 == KD_BREAKIN_BYTE && !*rs && !from_target) {
        size_t n = 1;
        while (n < avail && data[n] == KD_BREAKIN_BYTE)
            n++;
        if (n == avail || is_leader_byte(data[n]))
            return (long)n;
    }
    if (is_leader_byte(b0)) {
        size_t k = 1;
        while (k < 4 && k < avail && data[k] == b0)
            k++;
        if (k == avail && k < 8)
            return DT_FRAME_NEED_MORE;
        if (k == 4) {
            if (avail < 8)
                return DT_FRAME_NEED_MORE;
            uint16_t count = (uint16_t)(data[6] | (data[7] << 8));
            bool ok = kd_header_plausible(data, avail) && count <= KD_MAX_DATA && (b0 == 0x30 || count == 0);
            if (ok) {
                *rs = false;
                return (long)(KD_HEADER_LEN + (b0 == 0x30 ? count + 1u : 0u));
            }
        }
    }
    /* Garbage: skip to the next byte that could start a leader. */
    size_t i = 1;
    while (i < avail && !is_leader_byte(data[i]))
        i++;
    *rs = true;
    return -(long)i;
}

int kds_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    return len >= 8 && kd_header_plausible(data, len) ? 80 : 0;
}

/* Learns which direction the host writes from packets only one side sends. */
static void learn_sides(kds_conv *kc, dt_dir dir, const dt_cursor *c)
{
    const uint8_t *h = dt_cur_peek(c, 0, KD_HEADER_LEN + 12);
    if (kc->kd.host_known || !h || h[0] != 0x30)
        return;
    uint16_t type = (uint16_t)(h[4] | (h[5] << 8));
    uint32_t api = (uint32_t)h[16] | ((uint32_t)h[17] << 8);
    uint32_t st = (uint32_t)h[24] | ((uint32_t)h[25] << 8) | ((uint32_t)h[26] << 16) | ((uint32_t)h[27] << 24);
    bool target = type == KD_STATE_CHANGE32 || type == KD_STATE_CHANGE64 || type == KD_TRACE_IO ||
                  (type == KD_DEBUG_IO && api == 0x3230); /* DbgPrint */
    bool host = type == KD_STATE_MANIPULATE && st == 0x103; /* requests carry STATUS_PENDING */
    if (target || host) {
        kc->kd.host_known = true;
        kc->kd.host_dir = (uint8_t)(host ? dir : 1 - dir);
    }
}

void kds_dissect(dt_ctx *ctx)
{
    kds_conv *kc = ctx->conv;
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    const uint8_t *first = dt_cur_peek(&c, 0, 1);
    if (first && *first == KD_BREAKIN_BYTE) {
        size_t n = ctx->pdu_len;
        kc->kd.breakins++;
        if (!kc->kd.host_known) {
            kc->kd.host_known = true;
            kc->kd.host_dir = (uint8_t)ctx->dir;
        }
        dt_add_uint(ctx, NULL, &kds_fields[KSF_BREAKIN], 0, n, n);
        dt_stats_key(ctx, "BREAKIN");
        dt_summary(ctx, "Break-in from the host");
        if (n > 1)
            dt_summary_append(ctx, " (%zu bytes)", n);
        return;
    }
    learn_sides(kc, ctx->dir, &c);
    kd_side side = !kc->kd.host_known ? KD_SIDE_UNKNOWN
                   : (uint8_t)ctx->dir == kc->kd.host_dir ? KD_SIDE_HOST : KD_SIDE_TARGET;
    bool data = first && *first == 0x30;
    size_t used = kd_dissect_packet(ctx, &kc->kd, &c, side, (int)ctx->dir);
    if (!data || used < KD_HEADER_LEN)
        return;
    uint8_t t = 0;
    if (!dt_add_u8(ctx, NULL, &kds_fields[KSF_TRAILER], &c, &t))
        dt_malformed(ctx, ctx->pdu_len, "KD data packet without its trailing byte 0xAA");
    else if (t != KD_TRAILING_BYTE)
        dt_malformed(ctx, used, "KD trailing byte is 0x%02x, not 0xAA", t);
}

void kds_conv_end(dt_ctx *ctx)
{
    kds_conv *kc = ctx->conv;
    if (kc->kd.packets || kc->kd.breakins)
        kd_session_summary(ctx, &kc->kd, "KD serial session");
}

void kd_raw_dissect(dt_ctx *ctx)
{
    kd_session *s = ctx->conv;
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    kd_dissect_packet(ctx, s, &c, KD_SIDE_UNKNOWN, (int)ctx->dir);
}
