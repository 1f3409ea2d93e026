/* KDNET: Windows kernel debugging over UDP. Outer header, decryption with
 * the configured keys, the control channel (target announcements, host
 * replies that derive the data-channel key) and the data channel carrying
 * KD packets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdnet.h"

#define MAGIC_MDBG 0x4D444247u
#define CHANNEL_DATA 0
#define CHANNEL_CONTROL 1
#define INNER_HEADER 8u          /* 3 reserved, sequence (4), tag */
#define KEY_MATERIAL_OFF 8u
#define KEY_MATERIAL_LEN 322u    /* bytes of the host's reply hashed into the data key */
#define CTL_REPLY 2

static const char *channel_name(uint8_t ch)
{
    return ch == CHANNEL_DATA ? "data" : ch == CHANNEL_CONTROL ? "control" : "unknown";
}

/* The numeric port after the last ':' of "addr:port", or 0. */
static uint16_t port_of(const char *endpoint)
{
    const char *c = endpoint ? strrchr(endpoint, ':') : NULL;
    if (!c || !c[1])
        return 0;
    char *end;
    unsigned long v = strtoul(c + 1, &end, 10);
    return *end == '\0' && v <= 65535 ? (uint16_t)v : 0;
}

static void conv_init(dt_ctx *ctx, kdnet_conv *kc)
{
    kc->init = true;
    kc->ctl_key = -1;
    kc->data_key_of = -1;
    const char *spec = dt_option(ctx, "kdnet.key");
    if (!spec || !*spec || !kdnet_crypto_available())
        return;
    kdnet_key all[KDNET_MAX_KEYS];
    int n = kdnet_key_parse_list(spec, all, KDNET_MAX_KEYS, kc->key_error, sizeof kc->key_error);
    if (n < 0)
        return;
    uint16_t p1 = 0, p2 = 0;
    if (ctx->ev && ctx->ev->conv) {
        p1 = port_of(ctx->ev->conv->client);
        p2 = port_of(ctx->ev->conv->server);
    }
    for (int i = 0; i < n; i++) {
        if (all[i].port && all[i].port != p1 && all[i].port != p2)
            continue;
        if (!kdnet_keyctx_open(&kc->ctl[kc->n_keys], all[i].key, true)) {
            snprintf(kc->key_error, sizeof kc->key_error, "libgcrypt could not set up KDNET key %d", i + 1);
            continue;
        }
        kc->keys[kc->n_keys++] = all[i];
    }
}

void kdnet_conv_free(void *conv)
{
    kdnet_conv *kc = conv;
    for (int i = 0; i < kc->n_keys; i++)
        kdnet_keyctx_close(&kc->ctl[i]);
    kdnet_keyctx_close(&kc->data);
    memset(kc->keys, 0, sizeof kc->keys);
    memset(kc->data_key, 0, sizeof kc->data_key);
}

int kdnet_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    if (len >= KDNET_HEADER_LEN + KDNET_MAC_LEN && memcmp(data, "MDBG", 4) == 0)
        return 100;
    return 0;
}

static bool try_key(kdnet_keyctx *dec, kdnet_keyctx *mac, const uint8_t *pdu, size_t ct_len, uint8_t *pt)
{
    const uint8_t *iv = pdu + KDNET_HEADER_LEN + ct_len;
    return kdnet_decrypt(dec, iv, pdu + KDNET_HEADER_LEN, ct_len, pt) &&
           kdnet_mac_ok(mac, pdu, pt, ct_len, iv);
}

/* Formats an IPv6 address, IPv4-mapped ones as dotted quads. */
static void fmt_addr(const uint8_t a[16], uint16_t port, char *out, size_t outsz)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (memcmp(a, mapped, 12) == 0) {
        snprintf(out, outsz, "%u.%u.%u.%u:%u", a[12], a[13], a[14], a[15], port);
        return;
    }
    size_t o = 0;
    o += (size_t)snprintf(out, outsz, "[");
    for (int i = 0; i < 16 && o < outsz; i += 2)
        o += (size_t)snprintf(out + o, outsz - o, "%s%x", i ? ":" : "", (a[i] << 8) | a[i + 1]);
    if (o < outsz)
        snprintf(out + o, outsz - o, "]:%u", port);
}

/* Reads a 16-byte address and a big-endian port; returns false if zero/absent. */
static bool endpoint(dt_ctx *ctx, dt_cursor *c, int faddr, int fport, char *out, size_t outsz)
{
    size_t off = dt_cur_offset(c);
    const uint8_t *a = dt_cur_bytes(c, 16);
    uint16_t port = 0;
    if (!a)
        return false;
    dt_add_ipv6(ctx, NULL, &kdnet_fields[faddr], off, a);
    dt_add_u16be(ctx, NULL, &kdnet_fields[fport], c, &port);
    static const uint8_t zero_mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 };
    static const uint8_t zero[16];
    if (memcmp(a, zero, 16) == 0 || memcmp(a, zero_mapped, 16) == 0)
        return false;
    fmt_addr(a, port, out, outsz);
    return true;
}

static void control(dt_ctx *ctx, kdnet_conv *kc, dt_cursor *c, const uint8_t *pt, size_t pt_len, bool from_host,
                    uint32_t uptime)
{
    uint8_t version = 0, type = 0;
    uint64_t seq = 0;
    dt_add_u8(ctx, NULL, KNF(CTL_VERSION), c, &version);
    dt_add_u8(ctx, NULL, KNF(CTL_TYPE), c, &type);
    dt_add_u64le(ctx, NULL, KNF(CTL_SEQ), c, &seq);
    size_t toff = dt_cur_offset(c);
    uint16_t tf[8];
    for (int i = 0; i < 8; i++)
        tf[i] = dt_cur_u16le(c);
    if (dt_cur_ok(c)) {
        char t[40];
        snprintf(t, sizeof t, "%04u-%02u-%02u %02u:%02u:%02u", tf[0], tf[1], tf[2], tf[3], tf[4], tf[5]);
        dt_add_string(ctx, NULL, KNF(CTL_TIME), toff, 16, t, strlen(t));
    }
    dt_cur_skip(c, 8);

    if (!from_host) {
        char tgt[64] = "?", host[64] = "?", peer[64] = "";
        endpoint(ctx, c, KNF_CTL_TARGET_ADDR, KNF_CTL_TARGET_PORT, tgt, sizeof tgt);
        endpoint(ctx, c, KNF_CTL_HOST_ADDR, KNF_CTL_HOST_PORT, host, sizeof host);
        bool connected = endpoint(ctx, c, KNF_CTL_PEER_ADDR, KNF_CTL_PEER_PORT, peer, sizeof peer);
        if (kc->announcements == 0)
            kc->first_announce_ns = ctx->ts_ns;
        kc->announcements++;
        kc->last_announce_ns = ctx->ts_ns;
        dt_stats_key(ctx, "Announce");
        dt_summary(ctx, "Target announces (uptime %u s): target %s, host %s, %s", uptime, tgt, host,
                   connected ? "connected to " : "waiting for a debugger");
        if (connected)
            dt_summary_append(ctx, "%s", peer);
        return;
    }

    if (type != CTL_REPLY) {
        dt_stats_key(ctx, "Host control message");
        dt_summary(ctx, "Host control message type %u", type);
        return;
    }
    size_t roff = dt_cur_offset(c);
    const uint8_t *rnd = dt_cur_bytes(c, 32);
    if (rnd)
        dt_add_bytes(ctx, NULL, KNF(CTL_HOST_RANDOM), roff, 32, rnd, 32);
    if (pt_len < KEY_MATERIAL_OFF + KEY_MATERIAL_LEN) {
        dt_malformed(ctx, KDNET_HEADER_LEN + pt_len, "KDNET control reply of %zu bytes has no key material", pt_len);
        dt_summary(ctx, "Host reply without key material");
        return;
    }
    dt_add_bytes(ctx, NULL, KNF(CTL_KEY_MATERIAL), KDNET_HEADER_LEN + KEY_MATERIAL_OFF, KEY_MATERIAL_LEN,
                 pt + KEY_MATERIAL_OFF, KEY_MATERIAL_LEN);
    bool again = kc->replies > 0;
    kc->replies++;
    dt_stats_key(ctx, again ? "Reconnect" : "Connect");
    uint8_t dk[KDNET_KEY_LEN];
    const uint8_t *ck = kc->keys[kc->ctl_key].key;
    if (!kdnet_derive_data_key(ck, pt + KEY_MATERIAL_OFF, KEY_MATERIAL_LEN, dk)) {
        dt_summary(ctx, "Host %s (announcement 0x%llx): could not derive the data-channel key",
                   again ? "reconnects" : "connects", (unsigned long long)seq);
        return;
    }
    kdnet_keyctx_close(&kc->data);
    kc->have_data_key = kdnet_keyctx_open(&kc->data, dk, false);
    memcpy(kc->data_key, dk, sizeof dk);
    kc->data_key_of = kc->ctl_key;
    dt_add_bytes(ctx, NULL, KNF(DATA_KEY), 0, 0, dk, sizeof dk);
    memset(dk, 0, sizeof dk);
    dt_summary(ctx, "Host %s (reply to announcement 0x%llx): data-channel key derived",
               again ? "reconnects" : "connects", (unsigned long long)seq);
}

static void data(dt_ctx *ctx, kdnet_conv *kc, dt_cursor *c, size_t body_len, bool from_host)
{
    dt_cursor body = dt_cur_sub(c, body_len);
    const uint8_t *lead = dt_cur_peek(&body, 0, 6);
    if (!lead || !kd_header_plausible(lead, 6)) {
        size_t off = dt_cur_offset(&body);
        const uint8_t *b = dt_cur_bytes(&body, body_len);
        if (b && body_len)
            dt_add_bytes(ctx, NULL, KNF(PAYLOAD), off, body_len, b, body_len);
        dt_stats_key(ctx, "Data without KD packet");
        dt_summary(ctx, "KDNET data from the %s: %zu bytes, no KD packet", from_host ? "host" : "target", body_len);
        return;
    }
    kd_side side = from_host ? KD_SIDE_HOST : KD_SIDE_TARGET;
    kd_dissect_packet(ctx, &kc->kd, &body, side, side);
}

static void encrypted(dt_ctx *ctx, kdnet_conv *kc, const uint8_t *ct, size_t ct_len, const char *why, bool mismatch)
{
    dt_add_bytes(ctx, NULL, KNF(CIPHERTEXT), KDNET_HEADER_LEN, ct_len, ct, ct_len);
    dt_add_string(ctx, NULL, KNF(DECRYPTION), 0, 0, why, strlen(why));
    if (mismatch)
        dt_summary_append(ctx, ": %s, %zu bytes encrypted", why, ct_len);
    else
        dt_summary_append(ctx, ": encrypted (%s), %zu bytes", why, ct_len);
    dt_status(ctx, why, mismatch);
    kc->undecrypted++;
}

void kdnet_dissect(dt_ctx *ctx)
{
    kdnet_conv *kc = ctx->conv;
    if (!kc->init)
        conv_init(ctx, kc);
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    uint32_t magic = 0;
    uint8_t version = 0, channel = 0;
    dt_add_u32be(ctx, NULL, KNF(MAGIC), &c, &magic);
    dt_add_u8(ctx, NULL, KNF(VERSION), &c, &version);
    dt_add_u8(ctx, NULL, KNF(CHANNEL), &c, &channel);
    dt_stats_key(ctx, channel == CHANNEL_CONTROL ? "Control" : "Data");
    if (!dt_cur_ok(&c) || magic != MAGIC_MDBG) {
        dt_malformed(ctx, 0, "not a KDNET packet (magic, %zu bytes)", ctx->pdu_len);
        dt_summary(ctx, "Not a KDNET packet (%zu bytes)", ctx->pdu_len);
        return;
    }
    dt_summary(ctx, "KDNET v%u %s channel", version, channel_name(channel));
    if (kc->key_error[0]) {
        dt_summary_append(ctx, " [%s]", kc->key_error);
        kc->key_error[0] = '\0';
    }
    if (ctx->pdu_len < KDNET_HEADER_LEN + KDNET_MAC_LEN) {
        dt_malformed(ctx, KDNET_HEADER_LEN, "KDNET packet of %zu bytes has no room for its 16-byte MAC", ctx->pdu_len);
        return;
    }
    size_t ct_len = ctx->pdu_len - KDNET_HEADER_LEN - KDNET_MAC_LEN;
    const uint8_t *ct = ctx->pdu + KDNET_HEADER_LEN;
    const uint8_t *mac = ct + ct_len;
    dt_add_bytes(ctx, NULL, KNF(MAC), KDNET_HEADER_LEN + ct_len, KDNET_MAC_LEN, mac, KDNET_MAC_LEN);
    if (ct_len % 16 || ct_len < INNER_HEADER) {
        dt_malformed(ctx, KDNET_HEADER_LEN, "KDNET ciphertext of %zu bytes is not whole AES blocks", ct_len);
        return;
    }
    if (!kdnet_crypto_available()) {
        encrypted(ctx, kc, ct, ct_len, "decryption not built", false);
        return;
    }
    if (kc->n_keys == 0) {
        encrypted(ctx, kc, ct, ct_len, "no key", false);
        return;
    }

    uint8_t *pt = dt_alloc(ctx, ct_len);
    if (!pt)
        return;
    int used = -1;
    if (channel == CHANNEL_DATA && kc->have_data_key &&
        try_key(&kc->data, &kc->ctl[kc->data_key_of], ctx->pdu, ct_len, pt))
        used = kc->data_key_of;
    /* The control channel uses the configured keys; without a usable data
     * key, a configured key might still be the data key. */
    if (used < 0 && kc->ctl_key >= 0 && try_key(&kc->ctl[kc->ctl_key], &kc->ctl[kc->ctl_key], ctx->pdu, ct_len, pt))
        used = kc->ctl_key;
    for (int i = 0; i < kc->n_keys && used < 0; i++)
        if (i != kc->ctl_key && try_key(&kc->ctl[i], &kc->ctl[i], ctx->pdu, ct_len, pt))
            used = i;
    if (used >= 0 && channel == CHANNEL_CONTROL)
        kc->ctl_key = used;
    if (used < 0) {
        kc->mac_failures++;
        bool known = kc->ctl_key >= 0 && !kc->have_data_key && channel == CHANNEL_DATA;
        encrypted(ctx, kc, ct, ct_len,
                  known ? "data-channel key unknown: the host's control reply was not captured"
                        : "MAC mismatch (wrong key?)",
                  true);
        return;
    }

    dt_add_string(ctx, NULL, KNF(DECRYPTION), 0, 0, "verified", 8);
    dt_add_uint(ctx, NULL, KNF(KEY_INDEX), 0, 0, (uint64_t)used + 1);
    dt_cursor pc = dt_cursor_make(pt, ct_len);
    pc.base = KDNET_HEADER_LEN;
    dt_cur_skip(&pc, 3);
    uint32_t seq = 0;
    uint8_t tag = 0;
    dt_add_u32be(ctx, NULL, channel == CHANNEL_CONTROL ? KNF(CTL_UPTIME) : KNF(SEQ), &pc, &seq);
    dt_field *tf = dt_add_u8(ctx, NULL, KNF(TAG), &pc, &tag);
    dt_add_uint(ctx, tf, KNF(FROM_HOST), KDNET_HEADER_LEN + 7, 1, tag & 0x80);
    dt_add_uint(ctx, tf, KNF(PAD_LEN), KDNET_HEADER_LEN + 7, 1, tag & 0x7f);
    bool from_host = tag & 0x80;
    size_t pad = tag & 0x7f;
    if (pad > ct_len - INNER_HEADER) {
        dt_malformed(ctx, KDNET_HEADER_LEN + 7, "KDNET padding of %zu bytes exceeds the %zu-byte payload", pad,
                     ct_len - INNER_HEADER);
        pad = 0;
    }
    size_t body_len = ct_len - INNER_HEADER - pad;
    if (channel == CHANNEL_CONTROL)
        control(ctx, kc, &pc, pt, INNER_HEADER + body_len, from_host, seq);
    else
        data(ctx, kc, &pc, body_len, from_host);
}

void kdnet_conv_end(dt_ctx *ctx)
{
    kdnet_conv *kc = ctx->conv;
    if (!kc->init)
        return;
    kd_session_summary(ctx, &kc->kd, "KDNET session");
    dt_add_uint(ctx, NULL, KNF(SESSION_ANNOUNCEMENTS), 0, 0, kc->announcements);
    dt_add_uint(ctx, NULL, KNF(SESSION_REPLIES), 0, 0, kc->replies);
    dt_add_uint(ctx, NULL, KNF(SESSION_MAC_FAILURES), 0, 0, kc->mac_failures);
    dt_summary_append(ctx, "; %llu announcements", (unsigned long long)kc->announcements);
    if (kc->announcements > 1) {
        uint64_t mean = (kc->last_announce_ns - kc->first_announce_ns) / (kc->announcements - 1);
        dt_add_time(ctx, NULL, KNF(SESSION_ANNOUNCE_INTERVAL), 0, 0, mean);
        dt_summary_append(ctx, " every %.1f s", (double)mean / 1e9);
    }
    dt_summary_append(ctx, ", %llu host connects", (unsigned long long)kc->replies);
    if (kc->mac_failures)
        dt_summary_append(ctx, ", %llu packets did not verify", (unsigned long long)kc->mac_failures);
    else if (kc->undecrypted)
        dt_summary_append(ctx, ", %llu packets not decrypted", (unsigned long long)kc->undecrypted);
}
