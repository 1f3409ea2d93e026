/* One KD packet: header, checksum, control packets (ACK, RESEND, RESET),
 * retransmit detection, and dispatch of the data packet types. */
#include <stdio.h>
#include <string.h>

#include "kd_priv.h"

bool kd_is_error_status(uint32_t status)
{
    return (status >> 30) == 3;
}

size_t kd_add_rest(kd_pkt *p, dt_cursor *d, int fid, size_t max)
{
    size_t n = dt_cur_left(d);
    if (n > max)
        n = max;
    if (n == 0)
        return 0;
    size_t off = dt_cur_offset(d);
    const uint8_t *b = dt_cur_bytes(d, n);
    if (b)
        dt_add_bytes(p->ctx, p->tree, &kd_fields[fid], off, n, b, n);
    return n;
}

const char *kd_add_text(kd_pkt *p, dt_cursor *d, int fid, size_t n)
{
    size_t left = dt_cur_left(d);
    bool cut = n > left;
    if (cut)
        n = left;
    size_t off = dt_cur_offset(d);
    size_t cap = n * 3 + 1; /* invalid bytes may become U+FFFD */
    char *s = dt_alloc(p->ctx, cap);
    if (!s) {
        dt_cur_skip(d, n);
        return "";
    }
    size_t len = dt_cur_string(d, n, s, cap);
    dt_add_string(p->ctx, p->tree, &kd_fields[fid], off, n, s, len);
    if (cut)
        d->overrun = true;
    return s;
}

void kd_summary_text(dt_ctx *ctx, const char *text, size_t max)
{
    char buf[256];
    size_t o = 0;
    bool space = false, cut = false;
    if (max > sizeof buf - 4)
        max = sizeof buf - 4;
    for (const unsigned char *t = (const unsigned char *)text; *t; t++) {
        if (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t') {
            space = o > 0;
            continue;
        }
        if (o + (space ? 2 : 1) > max) {
            cut = true;
            break;
        }
        if (space)
            buf[o++] = ' ';
        space = false;
        buf[o++] = *t < 0x20 || *t == 0x7f ? '.' : (char)*t;
    }
    if (cut) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    dt_summary_append(ctx, "%s", buf);
}

/* "host" or "target" for the sender (other=false) or its peer. */
static const char *side_name(const kd_pkt *p, bool other)
{
    if (p->side == KD_SIDE_UNKNOWN)
        return (p->ctx->dir == DT_DIR_C2S) != other ? "client" : "server";
    return (p->side == KD_SIDE_HOST) != other ? "host" : "target";
}

static void dissect_control(kd_pkt *p)
{
    kd_session *s = p->s;
    dt_ctx *ctx = p->ctx;
    s->control_packets++;
    switch (p->type) {
    case KD_ACKNOWLEDGE: {
        kd_sent *o = &s->sent[1 - p->slot];
        s->acks++;
        dt_stats_key(ctx, "ACKNOWLEDGE");
        if (o->valid && o->id == p->id) {
            const char *api = o->type == KD_STATE_CHANGE32 || o->type == KD_STATE_CHANGE64
                                  ? dt_value_name_find(kd_new_state_vals, o->api, false)
                              : o->api ? kd_api_name(o->api) : NULL;
            char what[96];
            snprintf(what, sizeof what, "%s%s%s", kd_type_name(o->type), api ? " " : "", api ? api : "");
            dt_add_string(ctx, p->tree, KDF(ACK_OF), 0, 0, what, strlen(what));
            dt_summary(ctx, "ACK 0x%x (%s%s)", p->id, what, o->acked ? ", again" : "");
            o->acked = true;
        } else {
            s->unmatched_acks++;
            dt_add_uint(ctx, p->tree, KDF(ACK_UNMATCHED), 0, 0, 1);
            dt_summary(ctx, "ACK 0x%x (no such packet from the %s seen)", p->id, side_name(p, true));
        }
        break;
    }
    case KD_RESEND:
        s->resends++;
        dt_stats_key(ctx, "RESEND");
        dt_summary(ctx, "RESEND: the %s asks for the last packet again", side_name(p, false));
        dt_status(ctx, "RESEND", false);
        break;
    case KD_RESET:
        s->resets++;
        dt_stats_key(ctx, "RESET");
        dt_summary(ctx, "RESET from the %s (id 0x%x)", side_name(p, false), p->id);
        dt_status(ctx, "RESET", false);
        break;
    default:
        dt_stats_key(ctx, kd_type_name(p->type));
        dt_summary(ctx, "%s control packet 0x%x", kd_type_name(p->type), p->id);
        break;
    }
}

/* Remembers a data packet for acknowledges and flags a retransmission. */
static void track_data(kd_pkt *p, uint32_t api, uint64_t ts_ns)
{
    kd_sent *prev = &p->s->sent[p->slot];
    if (prev->valid && prev->id == p->id && prev->type == p->type) {
        p->retransmit = true;
        p->s->retransmits++;
        dt_add_uint(p->ctx, p->tree, KDF(RETRANSMIT), 0, 0, 1);
    }
    prev->valid = true;
    prev->acked = false;
    prev->type = p->type;
    prev->id = p->id;
    prev->api = api;
    prev->ts_ns = ts_ns;
}

static void dissect_data(kd_pkt *p, dt_cursor *d)
{
    kd_session *s = p->s;
    dt_ctx *ctx = p->ctx;
    uint32_t api = 0;
    s->data_packets++;
    if (p->type != KD_POLL_BREAKIN) {
        const uint8_t *a = dt_cur_peek(d, 0, 4);
        if (a)
            api = (uint32_t)a[0] | ((uint32_t)a[1] << 8) | ((uint32_t)a[2] << 16) | ((uint32_t)a[3] << 24);
    }
    track_data(p, api, ctx->ts_ns);

    switch (p->type) {
    case KD_STATE_MANIPULATE:
        kd_dissect_manipulate(p, d);
        break;
    case KD_STATE_CHANGE64:
        kd_dissect_state_change(p, d, true);
        break;
    case KD_STATE_CHANGE32:
        kd_dissect_state_change(p, d, false);
        break;
    case KD_DEBUG_IO:
        kd_dissect_debug_io(p, d);
        break;
    case KD_TRACE_IO:
        kd_dissect_trace_io(p, d);
        break;
    case KD_CONTROL_REQUEST:
        kd_dissect_control_request(p, d);
        break;
    case KD_FILE_IO:
        kd_dissect_file_io(p, d);
        break;
    case KD_POLL_BREAKIN:
        if (s->polls == 0)
            s->first_poll_ns = ctx->ts_ns;
        s->polls++;
        s->last_poll_ns = ctx->ts_ns;
        dt_stats_key(ctx, "POLL_BREAKIN");
        dt_summary(ctx, "POLL_BREAKIN");
        kd_add_rest(p, d, KDF_DATA, SIZE_MAX);
        break;
    default:
        dt_stats_key(ctx, "UNKNOWN");
        dt_summary(ctx, "KD packet type %u, %u bytes", p->type, p->byte_count);
        kd_add_rest(p, d, KDF_DATA, SIZE_MAX);
        break;
    }
    if (!dt_cur_ok(d))
        dt_malformed(ctx, dt_cur_offset(d), "KD %s data truncated (byte count %u)", kd_type_name(p->type),
                     p->byte_count);
    if (p->retransmit) {
        /* Its own --stats row: per-API counts stay one per exchange. */
        dt_stats_key(ctx, "RETRANSMIT");
        dt_summary_append(ctx, " [retransmit]");
    }
}

size_t kd_dissect_packet(dt_ctx *ctx, kd_session *s, dt_cursor *c, kd_side side, int slot)
{
    size_t start = dt_cur_offset(c);
    if (dt_cur_left(c) < KD_HEADER_LEN) {
        dt_malformed(ctx, start, "KD packet header truncated: %zu of 16 bytes", dt_cur_left(c));
        dt_summary(ctx, "KD packet header truncated (%zu bytes)", dt_cur_left(c));
        c->pos = c->len;
        return 0;
    }
    kd_pkt p = { .ctx = ctx, .s = s, .side = side, .slot = slot & 1 };
    p.tree = dt_add_none(ctx, NULL, KDF(PACKET), start, KD_HEADER_LEN + (size_t)0);
    uint32_t leader = 0, checksum = 0;
    dt_add_u32le(ctx, p.tree, KDF(LEADER), c, &leader);
    dt_add_u16le(ctx, p.tree, KDF(TYPE), c, &p.type);
    dt_add_u16le(ctx, p.tree, KDF(BYTE_COUNT), c, &p.byte_count);
    dt_add_u32le(ctx, p.tree, KDF(PACKET_ID), c, &p.id);
    dt_add_u32le(ctx, p.tree, KDF(CHECKSUM), c, &checksum);
    if (side != KD_SIDE_UNKNOWN)
        dt_add_uint(ctx, p.tree, KDF(FROM_HOST), 0, 0, side == KD_SIDE_HOST);
    if (p.tree)
        p.tree->length = (uint32_t)(KD_HEADER_LEN + p.byte_count);

    s->packets++;
    s->bytes += KD_HEADER_LEN + p.byte_count;
    if (s->first_ns == 0)
        s->first_ns = ctx->ts_ns;
    s->last_ns = ctx->ts_ns;

    size_t avail = dt_cur_left(c);
    size_t n = p.byte_count <= avail ? p.byte_count : avail;
    dt_cursor d = dt_cur_sub(c, n);
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += d.data[i];
    bool good = sum == checksum && n == p.byte_count;
    dt_add_uint(ctx, p.tree, KDF(CHECKSUM_GOOD), start + 12, 4, good);
    if (sum != checksum)
        dt_add_uint(ctx, p.tree, KDF(CHECKSUM_COMPUTED), start + 12, 4, sum);

    if (leader == KD_LEADER_CONTROL || p.type == KD_ACKNOWLEDGE || p.type == KD_RESEND || p.type == KD_RESET)
        dissect_control(&p);
    else if (leader == KD_LEADER_DATA)
        dissect_data(&p, &d);
    else {
        dt_malformed(ctx, start, "unknown KD packet leader 0x%08x", leader);
        dt_summary(ctx, "KD packet with unknown leader 0x%08x", leader);
        kd_add_rest(&p, &d, KDF_DATA, SIZE_MAX);
    }

    if (n < p.byte_count)
        dt_malformed(ctx, start + KD_HEADER_LEN + n, "KD packet truncated: byte count %u, %zu present",
                     p.byte_count, n);
    if (!good && n == p.byte_count) {
        s->bad_checksums++;
        dt_summary_append(ctx, " [bad checksum 0x%08x, computed 0x%08x]", checksum, sum);
        dt_status(ctx, "bad checksum", true);
    }
    return KD_HEADER_LEN + n;
}

void kd_session_summary(dt_ctx *ctx, const kd_session *s, const char *what)
{
    dt_add_uint(ctx, NULL, KDF(SESSION_PACKETS), 0, 0, s->packets);
    dt_add_uint(ctx, NULL, KDF(SESSION_BYTES), 0, 0, s->bytes);
    dt_add_uint(ctx, NULL, KDF(SESSION_RETRANSMITS), 0, 0, s->retransmits);
    dt_add_uint(ctx, NULL, KDF(SESSION_RESENDS), 0, 0, s->resends);
    dt_add_uint(ctx, NULL, KDF(SESSION_RESETS), 0, 0, s->resets);
    dt_add_uint(ctx, NULL, KDF(SESSION_BREAKINS), 0, 0, s->breakins);
    dt_add_uint(ctx, NULL, KDF(SESSION_BAD_CHECKSUMS), 0, 0, s->bad_checksums);
    dt_summary(ctx, "%s: %llu KD packets (%llu data, %llu control), %llu bytes, %llu retransmits, %llu resends, "
               "%llu resets, %llu break-ins",
               what, (unsigned long long)s->packets, (unsigned long long)s->data_packets,
               (unsigned long long)s->control_packets, (unsigned long long)s->bytes,
               (unsigned long long)s->retransmits, (unsigned long long)s->resends, (unsigned long long)s->resets,
               (unsigned long long)s->breakins);
    if (s->bad_checksums)
        dt_summary_append(ctx, ", %llu bad checksums", (unsigned long long)s->bad_checksums);
    if (s->polls > 1) {
        uint64_t mean = (s->last_poll_ns - s->first_poll_ns) / (s->polls - 1);
        dt_add_time(ctx, NULL, KDF(SESSION_POLL_INTERVAL), 0, 0, mean);
        dt_summary_append(ctx, ", polled every %.3f s", (double)mean / 1e9);
    }
}
