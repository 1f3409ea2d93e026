/* SMB2/3 over TCP: direct TCP (445) and NetBIOS session service (139)
 * framing, SMB1 negotiate recognition, SMB3 transform and compression
 * headers, and the SMB2 header of every message of a compound chain. The
 * command bodies are in smb2_cmds.c, authentication in smb2_auth.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "smb2_int.h"

#define MAGIC_SMB2 0x424D53FEu /* "\xfeSMB" read little-endian */
#define MAGIC_TRANSFORM 0x424D53FDu
#define MAGIC_COMPRESSED 0x424D53FCu
#define MAGIC_SMB1 0x424D53FFu

#define NBSS_MAX_CONTROL 1024 /* NBSS control messages are small */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static bool is_smb_magic(const uint8_t *p)
{
    uint32_t m = le32(p);
    return m == MAGIC_SMB2 || m == MAGIC_TRANSFORM || m == MAGIC_COMPRESSED || m == MAGIC_SMB1;
}

void smb2_copy(char *dst, size_t sz, const char *src)
{
    if (!sz)
        return;
    size_t n = strnlen(src, sz - 1);
    memmove(dst, src, n);
    dst[n] = '\0';
}

void smb2_appendf(char *buf, size_t sz, const char *fmt, ...)
{
    size_t used = strnlen(buf, sz);
    if (used + 1 >= sz)
        return;
    va_list ap;
    va_start(ap, fmt);
    dt_vsnprintf(buf + used, sz - used, fmt, ap);
    va_end(ap);
}

const char *smb2_status_name(uint32_t status, char buf[16])
{
    /* the count is known: dt_value_name_find would walk all 1 792 entries
     * to count them before each binary search */
    const char *n = dt_value_name_bsearch(smb2_ntstatus_vals, smb2_ntstatus_count, status);
    if (n)
        return n;
    dt_snprintf(buf, 16, "0x%08x", status);
    return buf;
}

const char *smb2_cmd_name(uint16_t cmd)
{
    const char *n = dt_value_name_find(smb2_cmd_vals, cmd, false);
    return n ? n : "UNKNOWN";
}

size_t smb2_utf16_at(const dt_cursor *msg, size_t off, size_t nbytes, char *out, size_t outsz)
{
    dt_cursor t = *msg;
    out[0] = '\0';
    if (!dt_cur_seek(&t, off))
        return 0;
    return dt_cur_utf16le(&t, nbytes, out, outsz);
}

/* ---- Framing: a 4-byte header, type then a 24-bit length (direct TCP
 * reads the whole 24 bits; NBSS session messages use 17, which is the same
 * thing when the flag bits are clear). */

static long resync(const uint8_t *d, size_t avail)
{
    for (size_t i = 1; i + 8 <= avail; i++) {
        if (d[i] == 0 && is_smb_magic(d + i + 4))
            return -(long)i;
    }
    return avail > 8 ? -(long)(avail - 7) : -1;
}

static long smb2_frame(void *conv, dt_dir dir, const uint8_t *d, size_t avail)
{
    (void)conv;
    (void)dir;
    if (avail < 4)
        return DT_FRAME_NEED_MORE;
    size_t len = ((size_t)d[1] << 16) | ((size_t)d[2] << 8) | d[3];
    if (d[0] == 0x00) {
        if (len == 0)
            return 4;
        if (len < 4)
            return resync(d, avail);
        if (avail >= 8 && !is_smb_magic(d + 4))
            return resync(d, avail);
        return (long)(4 + len);
    }
    if (d[0] >= 0x81 && d[0] <= 0x85 && (d[1] & 0xFE) == 0 && len <= NBSS_MAX_CONTROL)
        return (long)(4 + len);
    return resync(d, avail);
}

/* An NBSS session request opening a connection on a port other than 139:
 * its called name is a first-level-encoded NetBIOS name (32 letters A-P). */
static bool is_session_request(const uint8_t *d, size_t len)
{
    if (len < 38 || d[0] != 0x81 || d[1] != 0 || d[2] != 0 || d[3] < 68 || d[4] != 32 || d[37] != 0)
        return false;
    for (size_t i = 5; i < 37; i++) {
        if (d[i] < 'A' || d[i] > 'P')
            return false;
    }
    return true;
}

static int smb2_probe(const uint8_t *d, size_t len, dt_dir dir)
{
    if (len >= 8 && d[0] == 0 && is_smb_magic(d + 4))
        return 100;
    if (dir == DT_DIR_C2S && is_session_request(d, len))
        return 80;
    return 0;
}

/* ---- NetBIOS session service control messages (port 139). */

/* A first-level encoded NetBIOS name: 32 letters 'A'..'P', two per byte. */
static void nb_name(dt_cursor *c, char *out, size_t outsz)
{
    uint8_t n = dt_cur_u8(c);
    const uint8_t *p = dt_cur_bytes(c, n);
    out[0] = '\0';
    if (!p || n != 32) {
        dt_snprintf(out, outsz, "(undecodable name)");
        return;
    }
    char raw[17];
    for (int i = 0; i < 16; i++) {
        int hi = p[2 * i] - 'A', lo = p[2 * i + 1] - 'A';
        raw[i] = (hi >= 0 && hi < 16 && lo >= 0 && lo < 16) ? (char)((hi << 4) | lo) : '?';
    }
    int suffix = (uint8_t)raw[15];
    int end = 15;
    while (end > 0 && raw[end - 1] == ' ')
        end--;
    for (int i = 0; i < end; i++) {
        if ((uint8_t)raw[i] < 0x20 || (uint8_t)raw[i] > 0x7e)
            raw[i] = '?';
    }
    raw[end] = '\0';
    dt_snprintf(out, outsz, "%s<%02x>", raw, suffix);
    /* skip the scope labels, if any */
    while (!dt_cur_eof(c)) {
        uint8_t l = dt_cur_u8(c);
        if (l == 0)
            break;
        dt_cur_skip(c, l);
    }
}

static void dissect_nbss_control(dt_ctx *ctx, uint8_t type, dt_cursor *c)
{
    char called[48], calling[48];
    switch (type) {
    case 0x81: {
        size_t o1 = dt_cur_offset(c);
        nb_name(c, called, sizeof called);
        dt_add_string(ctx, NULL, HF(F_NBSS_CALLED), o1, dt_cur_offset(c) - o1, called, strlen(called));
        size_t o2 = dt_cur_offset(c);
        nb_name(c, calling, sizeof calling);
        dt_add_string(ctx, NULL, HF(F_NBSS_CALLING), o2, dt_cur_offset(c) - o2, calling, strlen(calling));
        dt_summary(ctx, "NBSS session request %s from %s", called, calling);
        dt_pair_request(ctx, UINT64_C(0xFFFF000000000000), 0);
        dt_stats_key(ctx, "NBSS SESSION_REQUEST");
        break;
    }
    case 0x82:
        dt_summary(ctx, "NBSS SESSION_REQUEST → positive response");
        dt_pair_response(ctx, UINT64_C(0xFFFF000000000000), true);
        dt_stats_key(ctx, "NBSS SESSION_REQUEST");
        break;
    case 0x83: {
        uint8_t err = 0;
        dt_add_u8(ctx, NULL, HF(F_NBSS_ERROR), c, &err);
        static const dt_value_name errs[] = {
            { 0x80, "not listening on called name" }, { 0x81, "not listening for calling name" },
            { 0x82, "called name not present" },      { 0x83, "insufficient resources" },
            { 0x8F, "unspecified error" },            { 0, NULL },
        };
        const char *en = dt_value_name_find(errs, err, false);
        dt_summary(ctx, "NBSS SESSION_REQUEST → negative response 0x%02x (%s)", err, en ? en : "unknown");
        dt_pair_response(ctx, UINT64_C(0xFFFF000000000000), true);
        dt_stats_key(ctx, "NBSS SESSION_REQUEST");
        dt_status(ctx, "NBSS_NEGATIVE_RESPONSE", true);
        break;
    }
    case 0x84:
        dt_summary(ctx, "NBSS retarget session response");
        break;
    default:
        dt_summary(ctx, "NBSS keep-alive");
        break;
    }
}

/* ---- SMB1: clients still open with a multi-protocol NEGOTIATE. */

static void dissect_smb1(dt_ctx *ctx, dt_cursor *c)
{
    uint8_t cmd = 0, flags = 0;
    uint32_t status = 0;
    uint16_t mid = 0;
    dt_cur_skip(c, 4);
    dt_add_u8(ctx, NULL, HF(F_SMB1_CMD), c, &cmd);
    dt_add_u32le(ctx, NULL, HF(F_SMB1_STATUS), c, &status);
    dt_add_u8(ctx, NULL, HF(F_SMB1_FLAGS), c, &flags);
    dt_cur_skip(c, 2 + 2 + 8 + 2 + 2 + 2 + 2); /* flags2, pid high, signature, reserved, tid, pid, uid */
    dt_add_u16le(ctx, NULL, HF(F_SMB1_MID), c, &mid);
    bool response = flags & 0x80;
    const char *name = dt_value_name_find(smb2_smb1_cmd_vals, cmd, false);
    char key[40];
    dt_snprintf(key, sizeof key, "SMB1 %s", name ? name : "command");
    dt_stats_key(ctx, key);
    if (!dt_cur_ok(c)) {
        dt_malformed(ctx, dt_cur_offset(c), "SMB1 header truncated");
        dt_summary(ctx, "SMB1 (truncated header)");
        return;
    }
    if (cmd != 0x72) {
        dt_summary(ctx, "SMB1 %s %s (not decoded)", name ? name : "command", response ? "response" : "request");
        return;
    }
    if (response) {
        char sb[16];
        dt_summary(ctx, "SMB1 NEGOTIATE → %s", smb2_status_name(status, sb));
        /* A server that speaks SMB2 answers with an SMB2 NEGOTIATE; an SMB1
         * reply pairs with the request by its multiplex id. */
        dt_pair_response(ctx, UINT64_C(0xFFFE000000000000) | mid, true);
        dt_status(ctx, smb2_status_name(status, sb), status >> 30 == 3);
        return;
    }
    uint8_t wct = dt_cur_u8(c);
    dt_cur_skip(c, (size_t)wct * 2);
    uint16_t bcc = dt_cur_u16le(c);
    dt_cursor b = dt_cur_sub(c, bcc);
    char list[256] = "";
    bool smb2 = false;
    while (!dt_cur_eof(&b)) {
        if (dt_cur_u8(&b) != 0x02)
            break;
        size_t o = dt_cur_offset(&b);
        char d[64];
        dt_cur_cstring(&b, d, sizeof d);
        dt_add_string(ctx, NULL, HF(F_SMB1_DIALECT), o, dt_cur_offset(&b) - o, d, strlen(d));
        smb2_appendf(list, sizeof list, "%s%s", list[0] ? ", " : "", d);
        if (strncmp(d, "SMB 2.", 6) == 0)
            smb2 = true;
    }
    dt_summary(ctx, "SMB1 NEGOTIATE dialects %s", list);
    /* The answer is an SMB2 NEGOTIATE response with message id 0 when the
     * request offered SMB 2.x, otherwise an SMB1 reply. */
    smb2_req *req = dt_pair_request(ctx, smb2 ? 0 : (UINT64_C(0xFFFE000000000000) | mid), sizeof(smb2_req));
    if (req) {
        req->cmd = SMB2_CMD_SMB1_NEGOTIATE;
        smb2_copy(req->desc, sizeof req->desc, "(to the SMB1 NEGOTIATE)");
    }
}

/* ---- SMB3 transform (encryption) and compression transform headers. */

static void dissect_smb2_chain(dt_ctx *ctx, smb2_conv *conv, dt_cursor *p);

/* The transform header, then — with the session's keys — the decrypted
 * messages dissected as ordinary SMB2 (their fields' offsets are those of
 * the ciphertext bytes they came from: CCM and GCM keep positions). */
static void dissect_transform(dt_ctx *ctx, dt_cursor *c)
{
    uint32_t magic = 0, size = 0;
    uint16_t flags = 0;
    uint64_t sesid = 0;
    size_t start = dt_cur_offset(c);
    const uint8_t *hdr = dt_cur_peek(c, 0, 52);
    dt_add_u32le(ctx, NULL, HF(F_PROTOCOL_ID), c, &magic);
    const uint8_t *sig = dt_cur_bytes(c, 16);
    if (sig)
        dt_add_bytes(ctx, NULL, HF(F_TR_SIGNATURE), dt_cur_offset(c) - 16, 16, sig, 16);
    const uint8_t *nonce = dt_cur_bytes(c, 16);
    if (nonce)
        dt_add_bytes(ctx, NULL, HF(F_TR_NONCE), dt_cur_offset(c) - 16, 16, nonce, 16);
    dt_add_u32le(ctx, NULL, HF(F_TR_MSG_SIZE), c, &size);
    dt_cur_skip(c, 2);
    dt_add_u16le(ctx, NULL, HF(F_TR_FLAGS), c, &flags);
    dt_add_u64le(ctx, NULL, HF(F_SESID), c, &sesid);
    if (!dt_cur_ok(c) || !hdr) {
        dt_malformed(ctx, dt_cur_offset(c), "SMB3 transform header truncated at offset %zu", dt_cur_offset(c));
        dt_summary(ctx, "SMB3 encrypted (truncated transform header)");
        return;
    }
    size_t enc = dt_cur_left(c);
    dt_add_uint(ctx, NULL, HF(F_TR_ENC_LEN), dt_cur_offset(c), enc, enc);
    smb2_conv *conv = ctx->conv;
    smb2_session *s = smb2_session_find(conv, sesid);
    char why[160] = "not decrypted";
    if (enc < size) {
        dt_malformed(ctx, dt_cur_offset(c), "encrypted data shorter (%zu) than the original size %u", enc, size);
    } else if (s && s->have_keys) {
        uint8_t *pt = dt_alloc(ctx, size ? size : 1);
        if (pt) {
            memcpy(pt, c->data + c->pos, size);
            if (smb2_decrypt(s, ctx->dir, hdr, pt, size, why, sizeof why) == 0) {
                dt_add_uint(ctx, NULL, HF(F_TR_DECRYPTED), 0, 0, 1);
                dt_cursor p = dt_cursor_make(pt, size);
                p.base = dt_cur_offset(c);
                dissect_smb2_chain(ctx, conv, &p);
                return;
            }
        }
    } else if (s && s->key_note[0]) {
        dt_snprintf(why, sizeof why, "not decrypted (%s)", s->key_note);
    }
    dt_stats_key(ctx, "ENCRYPTED");
    dt_summary(ctx, "SMB3 encrypted (session 0x%llx%s%s) %u bytes, %zu on the wire, %s", (unsigned long long)sesid,
               s && s->user[0] ? " " : "", s ? s->user : "", size, dt_cur_offset(c) - start + enc, why);
    if (strncmp(why, "decryption failed", 17) == 0)
        dt_status(ctx, "DECRYPTION_FAILED", true);
}

static void dissect_compressed(dt_ctx *ctx, dt_cursor *c)
{
    uint32_t magic = 0, orig = 0, offset = 0;
    uint16_t alg = 0, flags = 0;
    dt_add_u32le(ctx, NULL, HF(F_PROTOCOL_ID), c, &magic);
    dt_add_u32le(ctx, NULL, HF(F_CT_ORIG_SIZE), c, &orig);
    dt_add_u16le(ctx, NULL, HF(F_CT_ALG), c, &alg);
    dt_add_u16le(ctx, NULL, HF(F_CT_FLAGS), c, &flags);
    dt_add_u32le(ctx, NULL, HF(F_CT_OFFSET), c, &offset);
    if (!dt_cur_ok(c)) {
        dt_malformed(ctx, dt_cur_offset(c), "SMB3 compression transform header truncated");
        dt_summary(ctx, "SMB3 compressed (truncated header)");
        return;
    }
    dt_stats_key(ctx, "COMPRESSED");
    const char *an = dt_value_name_find(smb2_comp_vals, alg, false);
    size_t left = dt_cur_left(c);
    if (flags & 1) {
        dt_summary(ctx, "SMB3 compressed (chained) %u bytes → %u bytes", (unsigned)(left + 16), orig);
        return;
    }
    /* Unchained: Offset bytes are sent uncompressed; they begin with the
     * SMB2 header, which is worth showing. */
    size_t comp = left > offset ? left - offset : 0;
    dt_add_uint(ctx, NULL, HF(F_CT_COMP_LEN), dt_cur_offset(c) + offset, comp, comp);
    char what[64] = "";
    const uint8_t *h = dt_cur_peek(c, 0, 64);
    if (h && offset >= 64 && le32(h) == MAGIC_SMB2) {
        uint16_t cmd = (uint16_t)(h[12] | (h[13] << 8));
        uint32_t fl = le32(h + 16);
        dt_snprintf(what, sizeof what, " %s %s", smb2_cmd_name(cmd), (fl & 1) ? "response" : "request");
    }
    dt_summary(ctx, "SMB3 compressed%s (%s) %zu bytes → %u bytes", what, an ? an : "unknown algorithm",
               left + 16, orig);
}

/* ---- SMB2 header and pairing; one message of a chain. */

static bool status_is_error(uint32_t status, uint16_t cmd)
{
    if (status >> 30 != 3)
        return false;
    if (status == STATUS_MORE_PROCESSING_REQUIRED && cmd == SMB2_SESSION_SETUP)
        return false;
    return true;
}

static void dissect_message(dt_ctx *ctx, smb2_conv *conv, dt_cursor m, smb2_chain *chain)
{
    smb2_msg msg;
    memset(&msg, 0, sizeof msg);
    dt_cursor c = m;
    const uint8_t *h = dt_cur_peek(&c, 0, 64);
    if (!h) {
        dt_malformed(ctx, dt_cur_offset(&c), "SMB2 header truncated: %zu of 64 bytes", dt_cur_left(&c));
        dt_summary(ctx, "SMB2 (truncated header, %zu bytes)", dt_cur_left(&c));
        return;
    }
    msg.flags = le32(h + 16);
    msg.response = msg.flags & SMB2_FLAGS_RESPONSE;
    msg.async = msg.flags & SMB2_FLAGS_ASYNC;
    uint32_t magic;
    uint16_t u16;
    uint32_t u32;
    dt_add_u32le(ctx, NULL, HF(F_PROTOCOL_ID), &c, &magic);
    dt_add_u16le(ctx, NULL, HF(F_HEADER_LEN), &c, &u16);
    dt_add_u16le(ctx, NULL, HF(F_CREDIT_CHARGE), &c, &u16);
    if (msg.response) {
        dt_add_u32le(ctx, NULL, HF(F_NT_STATUS), &c, &msg.status);
    } else {
        dt_add_u16le(ctx, NULL, HF(F_CHANNEL_SEQ), &c, &u16);
        dt_cur_skip(&c, 2);
    }
    dt_add_u16le(ctx, NULL, HF(F_CMD), &c, &msg.cmd);
    dt_add_u16le(ctx, NULL, HF(msg.response ? F_CREDITS_GRANTED : F_CREDITS_REQ), &c, &u16);
    dt_field *ff = dt_add_u32le(ctx, NULL, HF(F_FLAGS), &c, &u32);
    size_t fo = dt_cur_offset(&c) - 4;
    static const int flag_fields[] = { F_FLAGS_RESPONSE, F_FLAGS_ASYNC, F_FLAGS_CHAINED, F_FLAGS_SIGNED,
                                       F_FLAGS_PRIORITY, F_FLAGS_DFS, F_FLAGS_REPLAY };
    for (size_t i = 0; ff && i < sizeof flag_fields / sizeof flag_fields[0]; i++) {
        const dt_field_def *d = HF(flag_fields[i]);
        uint64_t v = msg.flags & d->bitmask;
        if (d->type != DT_FT_BOOL) /* a multi-bit value, shown shifted down */
            v >>= __builtin_ctzll(d->bitmask);
        dt_add_uint(ctx, ff, d, fo, 4, d->type == DT_FT_BOOL ? (v != 0) : v);
    }
    dt_add_u32le(ctx, NULL, HF(F_CHAIN_OFFSET), &c, &u32);
    dt_add_u64le(ctx, NULL, HF(F_MSG_ID), &c, &msg.msg_id);
    if (msg.async) {
        dt_add_u64le(ctx, NULL, HF(F_AID), &c, &msg.aid);
    } else {
        dt_add_u32le(ctx, NULL, HF(F_PID), &c, &u32);
        dt_add_u32le(ctx, NULL, HF(F_TID), &c, &msg.tid);
    }
    dt_add_u64le(ctx, NULL, HF(F_SESID), &c, &msg.sesid);
    const uint8_t *sig = dt_cur_bytes(&c, 16);
    if (sig && (msg.flags & SMB2_FLAGS_SIGNED))
        dt_add_bytes(ctx, NULL, HF(F_SIGNATURE), dt_cur_offset(&c) - 16, 16, sig, 16);

    const char *cmd_name = smb2_cmd_name(msg.cmd);
    dt_stats_key(ctx, cmd_name);
    bool interim = msg.response && msg.async && msg.status == STATUS_PENDING;
    bool unsolicited = msg.msg_id == UINT64_MAX;

    if (!msg.response) {
        if (msg.cmd != SMB2_CANCEL && !unsolicited) {
            msg.new_req = dt_pair_request(ctx, msg.msg_id, sizeof(smb2_req));
            if (msg.new_req)
                msg.new_req->cmd = msg.cmd;
        }
    } else if (!unsolicited) {
        msg.req = dt_pair_response(ctx, msg.msg_id, !interim);
        if (msg.req && msg.req->cmd == SMB2_CMD_SMB1_NEGOTIATE && msg.cmd == SMB2_NEGOTIATE)
            dt_stats_key(ctx, "SMB1 NEGOTIATE");
        else if (msg.req && msg.req->cmd != msg.cmd)
            msg.req = NULL; /* a message id reused for something else */
    }

    /* the preauth hash only feeds SMB 3.1.1 key derivation, which needs a password:
     * without one it is never read (smb2_session_keys stops at "no --ntlm-password") */
    if ((msg.cmd == SMB2_NEGOTIATE || msg.cmd == SMB2_SESSION_SETUP) && dt_auth_keys_possible(ctx))
        smb2_preauth_update(conv, &msg, m.data + m.pos, dt_cur_left(&m));
    msg.c = m;
    dt_cur_seek(&msg.c, 64);
    if (interim) {
        dt_add_uint(ctx, NULL, HF(F_INTERIM), dt_cur_offset(&c), 0, 1);
        smb2_async_add(conv, msg.aid, msg.msg_id, msg.cmd);
    } else {
        smb2_dissect_body(ctx, conv, &msg, chain);
    }
    if (msg.new_req)
        smb2_copy(msg.new_req->desc, sizeof msg.new_req->desc, msg.desc);

    const char *desc = msg.req && msg.req->desc[0] ? msg.req->desc : msg.desc;
    if (!msg.response || unsolicited) { /* a request, or a server notification (oplock/lease break) */
        dt_summary(ctx, "%s%s%s", cmd_name, desc[0] ? " " : "", desc);
        return;
    }
    char sb[16];
    const char *sname = smb2_status_name(msg.status, sb);
    dt_status(ctx, sname, status_is_error(msg.status, msg.cmd));
    /* one format per response, not a prefix and an append (a copy each) */
    const char *sp = desc[0] ? " " : "";
    if (interim)
        dt_summary(ctx, "%s%s%s → STATUS_PENDING (interim, async id 0x%llx)", cmd_name, sp, desc,
                   (unsigned long long)msg.aid);
    else if (msg.status == STATUS_SUCCESS && msg.result[0])
        dt_summary(ctx, "%s%s%s → %s", cmd_name, sp, desc, msg.result);
    else
        dt_summary(ctx, "%s%s%s → %s%s%s", cmd_name, sp, desc, sname, msg.result[0] ? " " : "", msg.result);
}

static void dissect_smb2_chain(dt_ctx *ctx, smb2_conv *conv, dt_cursor *p)
{
    smb2_chain chain;
    memset(&chain, 0, sizeof chain);
    for (int idx = 0; !dt_cur_eof(p); idx++) {
        const uint8_t *h = dt_cur_peek(p, 0, 24);
        size_t left = dt_cur_left(p);
        uint32_t next = h ? le32(h + 20) : 0;
        bool bad = next && (next < 64 || next > left || (next & 7));
        size_t mlen = next && !bad ? next : left;
        if (idx > 0)
            dt_next_event(ctx);
        if (h && le32(h) != MAGIC_SMB2) {
            dt_malformed(ctx, dt_cur_offset(p), "compound message %d does not start with \\xfeSMB", idx + 1);
            dt_summary(ctx, "SMB2 malformed compound (message %d)", idx + 1);
            return;
        }
        dissect_message(ctx, conv, dt_cur_sub(p, mlen), &chain);
        if (bad) {
            dt_malformed(ctx, dt_cur_offset(p), "bad NextCommand offset %u", next);
            return;
        }
        if (!next)
            return;
        if (idx >= 255) {
            dt_malformed(ctx, dt_cur_offset(p), "compound chain longer than 256 messages");
            return;
        }
    }
}

static void smb2_dissect(dt_ctx *ctx)
{
    smb2_conv *conv = ctx->conv;
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    uint8_t type = 0;
    const uint8_t *t = dt_cur_peek(&c, 0, 1);
    type = t ? t[0] : 0;
    if (type != 0) {
        dt_add_u8(ctx, NULL, HF(F_NBSS_TYPE), &c, &type);
        dt_cur_skip(&c, 1);
        uint16_t len = 0;
        dt_add_u16be(ctx, NULL, HF(F_NBSS_LENGTH), &c, &len);
        dissect_nbss_control(ctx, type, &c);
        return;
    }
    dt_cur_skip(&c, 4);
    if (dt_cur_eof(&c)) {
        dt_summary(ctx, "NBSS empty session message");
        return;
    }
    const uint8_t *m = dt_cur_peek(&c, 0, 4);
    if (!m) {
        dt_malformed(ctx, dt_cur_offset(&c), "SMB message shorter than its protocol id");
        dt_summary(ctx, "SMB (truncated, %zu bytes)", dt_cur_left(&c));
        return;
    }
    switch (le32(m)) {
    case MAGIC_SMB2:
        dissect_smb2_chain(ctx, conv, &c);
        break;
    case MAGIC_TRANSFORM:
        dissect_transform(ctx, &c);
        break;
    case MAGIC_COMPRESSED:
        dissect_compressed(ctx, &c);
        break;
    case MAGIC_SMB1:
        dissect_smb1(ctx, &c);
        break;
    default:
        dt_malformed(ctx, dt_cur_offset(&c), "not an SMB message (protocol id 0x%08x)", le32(m));
        dt_summary(ctx, "not SMB: %zu bytes", dt_cur_left(&c));
        break;
    }
}

static const uint16_t smb2_tcp_ports[] = { 445, 139, 0 };

static void smb2_conv_free(void *conv)
{
    smb2_conv *c = conv;
    dt_auth_free(&c->auth);
    smb2_file_free_all(c);
    for (size_t i = 0; i < SMB2_MAX_SESSIONS; i++)
        smb2_session_close_keys(&c->sessions[i]);
}

static const dt_dissector smb2_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "smb2",
    .display_name = "SMB2",
    .description = "SMB2/3 file sharing (with NetBIOS session service, SMB1 negotiate, NTLMSSP)",
    .fields = smb2_hf,
    .n_fields = F_SMB2_COUNT,
    .transports = DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM,
    .tcp_ports = smb2_tcp_ports,
    .probe = smb2_probe,
    .frame = smb2_frame,
    .dissect = smb2_dissect,
    .conv_size = sizeof(smb2_conv),
    .conv_free = smb2_conv_free,
    .nested = (const char *const[]){ "auth", NULL },
};

int dt_builtin_smb2(dt_registry *reg)
{
    int rc = dt_register(reg, &smb2_dissector);
    if (rc == 0)
        rc = dt_dcerpc_register(reg);
    return rc;
}
