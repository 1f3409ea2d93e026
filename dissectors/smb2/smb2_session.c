/* SESSION_SETUP, LOGOFF, TREE_CONNECT, TREE_DISCONNECT: who the session is
 * and which \\server\share each tree id stands for. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smb2_int.h"

/* ---- SESSION_SETUP, LOGOFF */

/* The security blob goes to the shared auth module; the SMB2 account fields
 * (smb2.acct, smb2.domain, smb2.host) are kept from its NTLM AUTHENTICATE. */
static const char *security_blob(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, dt_cursor blob)
{
    dt_auth_state *st = &conv->auth;
    /* A new exchange: a request that opens with a NEGOTIATE or an AP-REQ. */
    if (!m->response && (st->stage >= DT_AUTH_STAGE_AUTHENTICATE))
        dt_auth_reset(st);
    dt_auth_stage before = st->stage;
    const char *d = dt_auth_token(ctx, NULL, st, ctx->dir, blob.data + blob.pos, dt_cur_left(&blob));
    if (!m->response && st->mech == DT_AUTH_MECH_NTLM && st->stage == DT_AUTH_STAGE_AUTHENTICATE &&
        before != DT_AUTH_STAGE_AUTHENTICATE && strcmp(st->user, "anonymous") != 0) {
        const char *bs = strchr(st->user, '\\');
        const char *u = bs ? bs + 1 : st->user;
        size_t dl = bs ? (size_t)(bs - st->user) : 0;
        dt_add_string(ctx, NULL, HF(F_ACCT), 0, 0, u, strlen(u));
        dt_add_string(ctx, NULL, HF(F_DOMAIN), 0, 0, st->user, dl);
        dt_add_string(ctx, NULL, HF(F_HOST), 0, 0, st->workstation, strlen(st->workstation));
    }
    return d;
}

void smb2_cmd_session_setup(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        uint16_t mode = 0;
        uint32_t caps = 0;
        dt_add_u8(ctx, NULL, HF(F_SES_REQ_FLAGS), c, NULL);
        smb2_add_sec_mode(ctx, c, &mode, 1);
        smb2_add_caps(ctx, c, &caps);
        dt_cur_skip(c, 4);
        uint16_t off = dt_cur_u16le(c), len = dt_cur_u16le(c);
        uint64_t prev = 0;
        dt_add_u64le(ctx, NULL, HF(F_PREV_SESID), c, &prev);
        dt_add_uint(ctx, NULL, HF(F_SEC_BLOB_LEN), dt_cur_offset(c), 0, len);
        smb2_copy(m->desc, sizeof m->desc, security_blob(ctx, conv, m, smb2_msg_range(m, off, len)));
        if (m->new_req && conv->auth.stage == DT_AUTH_STAGE_AUTHENTICATE)
            smb2_copy(m->new_req->path, sizeof m->new_req->path, dt_auth_user(&conv->auth));
        return;
    }
    uint16_t flags = 0;
    size_t fo = dt_cur_offset(c);
    dt_field *ff = dt_add_u16le(ctx, NULL, HF(F_SES_FLAGS), c, &flags);
    if (ff) {
        dt_add_uint(ctx, ff, HF(F_SES_GUEST), fo, 2, (flags & 1) != 0);
        dt_add_uint(ctx, ff, HF(F_SES_NULL), fo, 2, (flags & 2) != 0);
        dt_add_uint(ctx, ff, HF(F_SES_ENCRYPT), fo, 2, (flags & 4) != 0);
    }
    uint16_t off = dt_cur_u16le(c), len = dt_cur_u16le(c);
    char auth[DT_AUTH_DESC_MAX] = "";
    if (off && len)
        smb2_copy(auth, sizeof auth, security_blob(ctx, conv, m, smb2_msg_range(m, off, len)));
    if (m->status != STATUS_MORE_PROCESSING_REQUIRED)
        dt_auth_set_outcome(&conv->auth, m->status == STATUS_SUCCESS);
    if (m->status == STATUS_SUCCESS) {
        smb2_session *s = smb2_session_add(conv, m->sesid);
        if (m->req && m->req->path[0])
            smb2_copy(s->user, sizeof s->user, m->req->path);
        smb2_session_keys(conv, s);
        dt_snprintf(m->result, sizeof m->result, "session 0x%llx%s%s%s%s", (unsigned long long)m->sesid,
                    s->user[0] ? " " : "", s->user, (flags & 1) ? " (guest)" : (flags & 2) ? " (anonymous)" : "",
                    (flags & 4) ? " encrypted" : "");
        if (m->flags & SMB2_FLAGS_SIGNED)
            smb2_appendf(m->result, sizeof m->result, " signed");
    } else if (auth[0]) {
        smb2_copy(m->result, sizeof m->result, auth);
    }
}

void smb2_cmd_logoff(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    (void)ctx;
    smb2_session *s = smb2_session_find(conv, m->sesid);
    if (!m->response) {
        dt_snprintf(m->desc, sizeof m->desc, "session 0x%llx%s%s", (unsigned long long)m->sesid,
                    s && s->user[0] ? " " : "", s ? s->user : "");
        return;
    }
    if (m->status == STATUS_SUCCESS)
        smb2_session_del(conv, m->sesid);
}

/* ---- TREE_CONNECT, TREE_DISCONNECT */

void smb2_cmd_tree_connect(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        dt_add_u16le(ctx, NULL, HF(F_TC_FLAGS), c, NULL);
        uint16_t off = dt_cur_u16le(c), len = dt_cur_u16le(c);
        dt_cursor p = smb2_msg_range(m, off, len);
        char path[128];
        size_t po = dt_cur_offset(&p);
        dt_cur_utf16le(&p, len, path, sizeof path);
        dt_add_string(ctx, NULL, HF(F_TREE), po, len, path, strlen(path));
        smb2_copy(m->desc, sizeof m->desc, path);
        if (m->new_req)
            smb2_copy(m->new_req->path, sizeof m->new_req->path, path);
        return;
    }
    uint8_t type = 0;
    uint32_t flags = 0, caps = 0, access = 0;
    dt_add_u8(ctx, NULL, HF(F_SHARE_TYPE), c, &type);
    dt_cur_skip(c, 1);
    dt_add_u32le(ctx, NULL, HF(F_SHARE_FLAGS), c, &flags);
    dt_add_u32le(ctx, NULL, HF(F_SHARE_CAPS), c, &caps);
    dt_add_u32le(ctx, NULL, HF(F_MAX_ACCESS), c, &access);
    if (m->status != STATUS_SUCCESS)
        return;
    smb2_tree *t = smb2_tree_add(conv, m->sesid, m->tid);
    t->share_type = type;
    if (m->req)
        smb2_copy(t->path, sizeof t->path, m->req->path);
    const char *tn = dt_value_name_find(smb2_share_type_vals, type, false);
    dt_snprintf(m->result, sizeof m->result, "tid 0x%x %s, maximal access 0x%08x%s", m->tid, tn ? tn : "share",
                access, (flags & 0x8000) ? ", encrypted" : "");
}

void smb2_cmd_tree_disconnect(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    char buf[32];
    const char *p = smb2_tree_path(conv, m, buf, sizeof buf);
    if (!m->response) {
        dt_add_string(ctx, NULL, HF(F_TREE), 0, 0, p, strlen(p));
        smb2_copy(m->desc, sizeof m->desc, p);
    } else if (m->status == STATUS_SUCCESS) {
        smb2_tree_del(conv, m->sesid, m->tid);
    }
}
