/* IOCTL: FSCTLs by name, with pipe transceive, pipe wait, DFS referrals
 * and validate-negotiate decoded. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smb2_int.h"

/* ---- IOCTL */

static void ioctl_input(dt_ctx *ctx, smb2_msg *m, uint32_t code, dt_cursor in)
{
    switch (code) {
    case FSCTL_PIPE_WAIT: {
        size_t to = dt_cur_offset(&in);
        int64_t timeout = dt_cur_i64le(&in);
        if (dt_cur_ok(&in))
            dt_add_int(ctx, NULL, HF(F_WAIT_TIMEOUT), to, 8, timeout);
        uint32_t nlen = dt_cur_u32le(&in);
        dt_cur_skip(&in, 2);
        size_t no = dt_cur_offset(&in);
        char name[64];
        dt_cur_utf16le(&in, nlen, name, sizeof name);
        if (dt_cur_ok(&in)) {
            dt_add_string(ctx, NULL, HF(F_WAIT_NAME), no, nlen, name, strlen(name));
            smb2_appendf(m->desc, sizeof m->desc, " %s", name);
        }
        break;
    }
    case FSCTL_DFS_GET_REFERRALS: {
        dt_add_u16le(ctx, NULL, HF(F_DFS_LEVEL), &in, NULL);
        size_t po = dt_cur_offset(&in);
        char path[SMB2_PATH_MAX];
        dt_cur_utf16le_z(&in, path, sizeof path);
        if (dt_cur_ok(&in)) {
            dt_add_string(ctx, NULL, HF(F_DFS_PATH), po, dt_cur_offset(&in) - po, path, strlen(path));
            smb2_appendf(m->desc, sizeof m->desc, " %s", path);
        }
        break;
    }
    case FSCTL_VALIDATE_NEGOTIATE_INFO: {
        uint32_t caps = 0;
        uint16_t mode = 0;
        smb2_add_caps(ctx, &in, &caps);
        dt_add_guid_cur(ctx, NULL, HF(F_CLIENT_GUID), &in);
        smb2_add_sec_mode(ctx, &in, &mode, 2);
        uint16_t n = dt_cur_u16le(&in);
        char list[96] = "";
        smb2_dialect_list(ctx, &in, n, list, sizeof list);
        smb2_appendf(m->desc, sizeof m->desc, " dialects %s", list);
        break;
    }
    default:
        break;
    }
}

/* A UTF-16 string at off (from the start of entry e) into a field. */
static void dfs_string(dt_ctx *ctx, dt_field *parent, const dt_field_def *hf, dt_cursor e, size_t off, char *out, size_t outsz)
{
    out[0] = '\0';
    if (!off || !dt_cur_seek(&e, off))
        return;
    size_t o = dt_cur_offset(&e);
    dt_cur_utf16le_z(&e, out, outsz);
    if (dt_cur_ok(&e))
        dt_add_string(ctx, parent, hf, o, dt_cur_offset(&e) - o, out, strlen(out));
}

/* RESP_GET_DFS_REFERRAL [MS-DFSC 2.2.4]: where the path is referred to. */
static void dfs_referrals(dt_ctx *ctx, smb2_msg *m, dt_cursor out)
{
    uint16_t n = 0;
    dt_add_u16le(ctx, NULL, HF(F_DFS_PATH_CONSUMED), &out, NULL);
    dt_add_u16le(ctx, NULL, HF(F_DFS_NUM_REFERRALS), &out, &n);
    dt_cur_skip(&out, 4); /* ReferralHeaderFlags */
    if (!dt_cur_ok(&out))
        return;
    smb2_appendf(m->result, sizeof m->result, ", %u referral%s", n, n == 1 ? "" : "s");
    for (unsigned i = 0; i < n && i < 32; i++) {
        size_t at = out.pos;
        dt_cursor rest = out;
        dt_cursor e = dt_cur_sub(&rest, dt_cur_left(&rest)); /* offsets count from the entry */
        uint16_t ver = 0, size = 0;
        dt_field *r = dt_add_none(ctx, NULL, HF(F_DFS_REFERRAL), dt_cur_offset(&e), 0);
        dt_add_u16le(ctx, r, HF(F_DFS_REF_VERSION), &e, &ver);
        size = dt_cur_u16le(&e);
        dt_cur_skip(&e, 4); /* ServerType, ReferralEntryFlags */
        char path[SMB2_PATH_MAX] = "", node[SMB2_PATH_MAX] = "";
        if (ver == 1) {
            size_t o = dt_cur_offset(&e);
            dt_cur_utf16le_z(&e, node, sizeof node);
            if (dt_cur_ok(&e))
                dt_add_string(ctx, r, HF(F_DFS_REF_NODE), o, dt_cur_offset(&e) - o, node, strlen(node));
        } else if (ver >= 2 && ver <= 4) {
            if (ver == 2)
                dt_cur_skip(&e, 4); /* Proximity */
            dt_add_u32le(ctx, r, HF(F_DFS_REF_TTL), &e, NULL);
            uint16_t poff = dt_cur_u16le(&e), aoff = dt_cur_u16le(&e), noff = dt_cur_u16le(&e);
            (void)aoff;
            if (dt_cur_ok(&e)) {
                dfs_string(ctx, r, HF(F_DFS_REF_PATH), e, poff, path, sizeof path);
                dfs_string(ctx, r, HF(F_DFS_REF_NODE), e, noff, node, sizeof node);
            }
        }
        if (i == 0 && node[0])
            smb2_appendf(m->result, sizeof m->result, " → %s", node);
        if (size < 8 || !dt_cur_seek(&out, at + size))
            break;
    }
}

void smb2_cmd_ioctl(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 4);
    uint32_t code = 0;
    uint8_t fid[16];
    char buf[40];
    smb2_file *f = NULL;
    dt_add_u32le(ctx, NULL, HF(F_IOCTL_FUNCTION), c, &code);
    const char *cn = dt_value_name_find(smb2_fsctl_vals, code, true);
    char cbuf[24];
    if (!cn) {
        dt_snprintf(cbuf, sizeof cbuf, "0x%08x", code);
        cn = cbuf;
    }
    smb2_read_fid(ctx, c, fid);
    bool null_fid = true;
    for (int i = 0; i < 16; i++)
        null_fid = null_fid && fid[i] == 0xff;
    uint32_t in_off = dt_cur_u32le(c), in_len = 0;
    dt_add_u32le(ctx, NULL, HF(F_IOCTL_IN_LEN), c, &in_len);
    if (!m->response) {
        uint32_t v = 0, out_off, out_len;
        dt_cur_skip(c, 4);
        out_off = dt_cur_u32le(c);
        out_len = dt_cur_u32le(c);
        (void)out_off;
        (void)out_len;
        dt_add_u32le(ctx, NULL, HF(F_MAX_IOCTL_OUT), c, &v);
        dt_add_u32le(ctx, NULL, HF(F_IOCTL_FLAGS), c, &v);
        const char *p = "";
        /* FSCTLs on the share itself carry an all-ones FileId */
        if (!(null_fid && !(m->flags & SMB2_FLAGS_RELATED)))
            p = smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        dt_snprintf(m->desc, sizeof m->desc, "%s%s%s", cn, p[0] ? " " : "", p);
        dt_cursor in = smb2_msg_range(m, in_off, in_len);
        ioctl_input(ctx, m, code, in);
        if (in_len)
            smb2_appendf(m->desc, sizeof m->desc, " in=%u", in_len);
        if (m->new_req) {
            m->new_req->ctl_code = code;
            m->new_req->have_fid = f != NULL;
            if (f)
                memcpy(m->new_req->fid, f->fid, 16);
        }
        if (code == FSCTL_PIPE_TRANSCEIVE)
            smb2_pipe_data(ctx, f, DT_DIR_C2S, smb2_msg_range(m, in_off, in_len));
        return;
    }
    uint32_t out_off = dt_cur_u32le(c), out_len = 0;
    dt_add_u32le(ctx, NULL, HF(F_IOCTL_OUT_LEN), c, &out_len);
    if (m->status != STATUS_SUCCESS && m->status != STATUS_BUFFER_OVERFLOW)
        return;
    if (dt_cur_ok(c))
        dt_snprintf(m->result, sizeof m->result, "out=%u bytes", out_len);
    if (code == FSCTL_VALIDATE_NEGOTIATE_INFO) {
        dt_cursor o = smb2_msg_range(m, out_off, out_len);
        uint32_t caps = 0;
        uint16_t mode = 0, d = 0;
        smb2_add_caps(ctx, &o, &caps);
        dt_add_guid_cur(ctx, NULL, HF(F_SERVER_GUID), &o);
        smb2_add_sec_mode(ctx, &o, &mode, 2);
        dt_add_u16le(ctx, NULL, HF(F_DIALECT), &o, &d);
    }
    if (code == FSCTL_DFS_GET_REFERRALS || code == FSCTL_DFS_GET_REFERRALS_EX)
        dfs_referrals(ctx, m, smb2_msg_range(m, out_off, out_len));
    if (code == FSCTL_PIPE_TRANSCEIVE && m->req && m->req->have_fid) {
        f = smb2_file_find(conv, m->req->fid);
        smb2_pipe_data(ctx, f, DT_DIR_S2C, smb2_msg_range(m, out_off, out_len));
    }
}
