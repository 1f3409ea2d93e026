/* Helpers the SMB2 command decoders share: buffers inside a message, FileIds
 * and the paths they stand for, named-pipe data handed to inner streams,
 * NEGOTIATE-style dialect lists, security modes and capabilities. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smb2_int.h"

#define NT_TIME_EPOCH_DIFF UINT64_C(11644473600) /* seconds 1601 → 1970 */

const uint8_t smb2_fid_related[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

dt_cursor smb2_msg_range(smb2_msg *m, size_t off, size_t len)
{
    dt_cursor t = m->c;
    if (!dt_cur_seek(&t, off)) {
        dt_cursor e = dt_cursor_make(t.data, 0);
        e.base = t.base + t.len;
        e.overrun = true;
        m->bad_range = true;
        return e;
    }
    if (len == SIZE_MAX) /* to the end of the message */
        len = dt_cur_left(&t);
    dt_cursor s = dt_cur_sub(&t, len);
    if (!dt_cur_ok(&s))
        m->bad_range = true;
    return s;
}

void smb2_add_nttime(dt_ctx *ctx, const dt_field_def *f, dt_cursor *c)
{
    size_t off = dt_cur_offset(c);
    uint64_t t = dt_cur_u64le(c);
    if (!dt_cur_ok(c) || t == 0)
        return;
    uint64_t secs = t / 10000000u;
    if (secs < NT_TIME_EPOCH_DIFF)
        return;
    uint64_t ns = (secs - NT_TIME_EPOCH_DIFF) * 1000000000u + (t % 10000000u) * 100u;
    dt_add_time(ctx, NULL, f, off, 8, ns);
}

void smb2_read_fid(dt_ctx *ctx, dt_cursor *c, uint8_t fid[16])
{
    size_t off = dt_cur_offset(c);
    if (!dt_cur_copy(c, fid, 16))
        return;
    dt_guid g;
    memcpy(g.b, fid, 16);
    dt_add_guid(ctx, NULL, HF(F_FID), off, &g);
}

const char *smb2_tree_path(smb2_conv *conv, const smb2_msg *m, char *buf, size_t sz)
{
    smb2_tree *t = smb2_tree_find(conv, m->sesid, m->tid);
    if (t)
        return t->path;
    dt_snprintf(buf, sz, "tid 0x%x", m->tid);
    return buf;
}

/* The display path of a FileId; also the file entry when it is known. */
const char *smb2_fid_path(dt_ctx *ctx, smb2_conv *conv, const smb2_msg *m, const smb2_chain *chain,
                            const uint8_t fid[16], smb2_file **out, char *buf, size_t sz)
{
    *out = NULL;
    if (memcmp(fid, smb2_fid_related, 16) == 0 && (m->flags & SMB2_FLAGS_RELATED)) {
        if (chain->have_fid) {
            smb2_file *f = smb2_file_find(conv, chain->last_fid);
            *out = f;
        }
        if (chain->last_path[0])
            return chain->last_path;
        return "(related)";
    }
    smb2_file *f = smb2_file_find(conv, fid);
    *out = f;
    if (f) {
        dt_add_string(ctx, NULL, HF(F_FILENAME), 0, 0, f->path, strlen(f->path));
        return f->path;
    }
    uint64_t vol = 0;
    for (int i = 15; i >= 8; i--)
        vol = (vol << 8) | fid[i];
    dt_snprintf(buf, sz, "fid 0x%llx", (unsigned long long)vol);
    return buf;
}

uint64_t smb2_fid_key(const uint8_t fid[16])
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (int i = 0; i < 16; i++)
        h = (h ^ fid[i]) * UINT64_C(1099511628211);
    return h;
}

/* "srvsvc" from "\PIPE\srvsvc", "srvsvc", "\srvsvc". */
void smb2_pipe_name(const char *name, char *out, size_t sz)
{
    const char *p = name;
    while (*p == '\\')
        p++;
    if (strncasecmp(p, "pipe\\", 5) == 0)
        p += 5;
    size_t i = 0;
    for (; p[i] && i + 1 < sz; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[i] = '\0';
}

bool smb2_tree_is_ipc(const smb2_tree *t)
{
    if (!t)
        return false;
    if (t->share_type == 2)
        return true;
    size_t n = strlen(t->path);
    return n >= 4 && strcasecmp(t->path + n - 4, "IPC$") == 0;
}

void smb2_pipe_data(dt_ctx *ctx, smb2_file *f, dt_dir dir, dt_cursor data)
{
    if (!f || !f->is_pipe || dt_cur_left(&data) == 0)
        return;
    dt_add_string(ctx, NULL, HF(F_PIPE), 0, 0, f->pipe, strlen(f->pipe));
    dt_inner_stream(ctx, f->pipe, f->stream_key, dir, data.data + data.pos, dt_cur_left(&data));
}

/* ---- NEGOTIATE */

void smb2_dialect_list(dt_ctx *ctx, dt_cursor *c, unsigned n, char *out, size_t sz)
{
    for (unsigned i = 0; i < n && dt_cur_ok(c); i++) {
        uint16_t d = 0;
        if (!dt_add_u16le(ctx, NULL, HF(F_DIALECT), c, &d))
            break;
        const char *name = dt_value_name_find(smb2_dialect_vals, d, false);
        if (name && strncmp(name, "SMB ", 4) == 0)
            name += 4;
        if (name)
            smb2_appendf(out, sz, "%s%s", i ? "," : "", name);
        else
            smb2_appendf(out, sz, "%s0x%04x", i ? "," : "", d);
    }
}

void smb2_add_sec_mode(dt_ctx *ctx, dt_cursor *c, uint16_t *mode, size_t width)
{
    size_t off = dt_cur_offset(c);
    uint16_t v = width == 1 ? dt_cur_u8(c) : dt_cur_u16le(c);
    if (!dt_cur_ok(c))
        return;
    *mode = v;
    dt_field *f = dt_add_uint(ctx, NULL, HF(F_SEC_MODE), off, width, v);
    dt_add_uint(ctx, f, HF(F_SEC_SIGN_ENABLED), off, width, (v & 1) != 0);
    dt_add_uint(ctx, f, HF(F_SEC_SIGN_REQUIRED), off, width, (v & 2) != 0);
}

void smb2_add_caps(dt_ctx *ctx, dt_cursor *c, uint32_t *caps)
{
    size_t off = dt_cur_offset(c);
    dt_field *f = dt_add_u32le(ctx, NULL, HF(F_CAPS), c, caps);
    static const int bits[] = { F_CAP_DFS, F_CAP_LEASING, F_CAP_LARGE_MTU, F_CAP_MULTI_CHANNEL,
                                F_CAP_PERSISTENT, F_CAP_DIR_LEASING, F_CAP_ENCRYPTION };
    for (size_t i = 0; f && i < sizeof bits / sizeof bits[0]; i++)
        dt_add_uint(ctx, f, HF(bits[i]), off, 4, (*caps & HF(bits[i])->bitmask) != 0);
}
