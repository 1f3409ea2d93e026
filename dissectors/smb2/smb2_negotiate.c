/* NEGOTIATE: dialects offered and chosen, signing, capabilities, and the
 * SMB 3.1.1 negotiate contexts (preauth hash, ciphers, signing, compression). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smb2_int.h"

/* ---- NEGOTIATE */

static void negotiate_contexts(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, uint32_t off, unsigned count, char *extra, size_t sz)
{
    dt_cursor c = smb2_msg_range(m, off, SIZE_MAX);
    for (unsigned i = 0; i < count && i < 32 && !dt_cur_eof(&c); i++) {
        size_t rel = dt_cur_offset(&c) - m->c.base;
        if (rel & 7)
            dt_cur_skip(&c, 8 - (rel & 7));
        uint16_t type = 0, dlen = 0;
        dt_field *tf = dt_add_u16le(ctx, NULL, HF(F_NEG_CTX_TYPE), &c, &type);
        dlen = dt_cur_u16le(&c);
        dt_cur_skip(&c, 4);
        dt_cursor d = dt_cur_sub(&c, dlen);
        if (!tf || !dt_cur_ok(&c))
            break;
        switch (type) {
        case 1: {
            uint16_t n = dt_cur_u16le(&d);
            dt_cur_skip(&d, 2);
            for (unsigned k = 0; k < n && k < 8; k++)
                dt_add_u16le(ctx, tf, HF(F_NEG_HASH), &d, NULL);
            break;
        }
        case 2: {
            uint16_t n = dt_cur_u16le(&d);
            for (unsigned k = 0; k < n && k < 8; k++) {
                uint16_t id = 0;
                if (!dt_add_u16le(ctx, tf, HF(F_NEG_CIPHER), &d, &id))
                    break;
                if (m->response) {
                    conv->cipher = id;
                    const char *cn = dt_value_name_find(smb2_cipher_vals, id, false);
                    smb2_appendf(extra, sz, ", %s", cn ? cn : "no cipher");
                }
            }
            break;
        }
        case 3: {
            uint16_t n = dt_cur_u16le(&d);
            dt_cur_skip(&d, 6);
            for (unsigned k = 0; k < n && k < 8; k++)
                dt_add_u16le(ctx, tf, HF(F_NEG_COMP), &d, NULL);
            break;
        }
        case 5:
            dt_add_utf16le(ctx, tf, HF(F_NEG_NETNAME), &d, dlen);
            break;
        case 8: {
            uint16_t n = dt_cur_u16le(&d);
            for (unsigned k = 0; k < n && k < 8; k++) {
                uint16_t id = 0;
                if (!dt_add_u16le(ctx, tf, HF(F_NEG_SIGNING), &d, &id))
                    break;
                if (m->response) {
                    const char *sn = dt_value_name_find(smb2_signing_vals, id, false);
                    smb2_appendf(extra, sz, ", signing %s", sn ? sn : "?");
                }
            }
            break;
        }
        default:
            break;
        }
    }
}

void smb2_cmd_negotiate(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    dt_cursor *c = &m->c;
    uint16_t size = dt_cur_u16le(c), mode = 0;
    uint32_t caps = 0;
    if (!m->response) {
        uint16_t n = 0, nctx = 0;
        uint32_t ctx_off = 0;
        dt_add_u16le(ctx, NULL, HF(F_DIALECT_COUNT), c, &n);
        smb2_add_sec_mode(ctx, c, &mode, 2);
        dt_cur_skip(c, 2);
        smb2_add_caps(ctx, c, &caps);
        dt_add_guid_cur(ctx, NULL, HF(F_CLIENT_GUID), c);
        ctx_off = dt_cur_u32le(c);
        nctx = dt_cur_u16le(c);
        dt_cur_skip(c, 2);
        char list[160] = "";
        smb2_dialect_list(ctx, c, n, list, sizeof list);
        bool has311 = strstr(list, "3.1.1") != NULL;
        dt_snprintf(m->desc, sizeof m->desc, "dialects %s%s", list, (mode & 2) ? " signing required" : "");
        char extra[64] = "";
        if (has311 && nctx)
            negotiate_contexts(ctx, conv, m, ctx_off, nctx, extra, sizeof extra);
        return;
    }
    (void)size;
    uint16_t dialect = 0, nctx = 0, sb_off = 0, sb_len = 0;
    uint32_t ctx_off = 0, v = 0;
    smb2_add_sec_mode(ctx, c, &mode, 2);
    dt_add_u16le(ctx, NULL, HF(F_DIALECT), c, &dialect);
    nctx = dt_cur_u16le(c);
    dt_add_guid_cur(ctx, NULL, HF(F_SERVER_GUID), c);
    smb2_add_caps(ctx, c, &caps);
    dt_add_u32le(ctx, NULL, HF(F_MAX_TRANS), c, &v);
    dt_add_u32le(ctx, NULL, HF(F_MAX_READ), c, &v);
    dt_add_u32le(ctx, NULL, HF(F_MAX_WRITE), c, &v);
    dt_cur_skip(c, 16);
    sb_off = dt_cur_u16le(c);
    sb_len = dt_cur_u16le(c);
    ctx_off = dt_cur_u32le(c);
    (void)sb_off;
    (void)sb_len;
    if (m->status != STATUS_SUCCESS)
        return;
    conv->dialect = dialect;
    conv->cipher = dialect >= 0x0300 ? 1 : 0; /* 3.0/3.0.2: AES-128-CCM; 3.1.1: its context says */
    const char *dn = dt_value_name_find(smb2_dialect_vals, dialect, false);
    char extra[96] = "";
    if (dialect == 0x0311 && nctx)
        negotiate_contexts(ctx, conv, m, ctx_off, nctx, extra, sizeof extra);
    if (dn)
        smb2_copy(m->result, sizeof m->result, dn);
    else
        dt_snprintf(m->result, sizeof m->result, "dialect 0x%04x", dialect);
    smb2_appendf(m->result, sizeof m->result, "%s%s%s", (mode & 2) ? ", signing required" : "",
                 (caps & 0x40) ? ", encryption" : "", extra);
}
