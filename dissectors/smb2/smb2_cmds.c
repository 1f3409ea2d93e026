/* SMB2 command bodies: the fields a troubleshooter needs, the per-connection
 * state they update (sessions, trees, open files) and the text that goes
 * into each summary line. Offsets inside a body are relative to the start of
 * the SMB2 header, which is position 0 of the message cursor m->c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "smb2_int.h"

#define NT_TIME_EPOCH_DIFF UINT64_C(11644473600) /* seconds 1601 → 1970 */

static const uint8_t fid_related[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* A sub-cursor over [off, off+len) of the message; empty when out of range. */
static dt_cursor msg_range(smb2_msg *m, size_t off, size_t len)
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

static void add_nttime(dt_ctx *ctx, const dt_field_def *f, dt_cursor *c)
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

static void read_fid(dt_ctx *ctx, dt_cursor *c, uint8_t fid[16])
{
    size_t off = dt_cur_offset(c);
    if (!dt_cur_copy(c, fid, 16))
        return;
    dt_guid g;
    memcpy(g.b, fid, 16);
    dt_add_guid(ctx, NULL, HF(F_FID), off, &g);
}

static const char *tree_path(smb2_conv *conv, const smb2_msg *m, char *buf, size_t sz)
{
    smb2_tree *t = smb2_tree_find(conv, m->sesid, m->tid);
    if (t)
        return t->path;
    snprintf(buf, sz, "tid 0x%x", m->tid);
    return buf;
}

/* The display path of a FileId; also the file entry when it is known. */
static const char *fid_path(dt_ctx *ctx, smb2_conv *conv, const smb2_msg *m, const smb2_chain *chain,
                            const uint8_t fid[16], smb2_file **out, char *buf, size_t sz)
{
    *out = NULL;
    if (memcmp(fid, fid_related, 16) == 0 && (m->flags & SMB2_FLAGS_RELATED)) {
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
    snprintf(buf, sz, "fid 0x%llx", (unsigned long long)vol);
    return buf;
}

static uint64_t fid_key(const uint8_t fid[16])
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (int i = 0; i < 16; i++)
        h = (h ^ fid[i]) * UINT64_C(1099511628211);
    return h;
}

/* "srvsvc" from "\PIPE\srvsvc", "srvsvc", "\srvsvc". */
static void pipe_name(const char *name, char *out, size_t sz)
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

static bool tree_is_ipc(const smb2_tree *t)
{
    if (!t)
        return false;
    if (t->share_type == 2)
        return true;
    size_t n = strlen(t->path);
    return n >= 4 && strcasecmp(t->path + n - 4, "IPC$") == 0;
}

static void pipe_data(dt_ctx *ctx, smb2_file *f, dt_dir dir, dt_cursor data)
{
    if (!f || !f->is_pipe || dt_cur_left(&data) == 0)
        return;
    dt_add_string(ctx, NULL, HF(F_PIPE), 0, 0, f->pipe, strlen(f->pipe));
    dt_inner_stream(ctx, f->pipe, f->stream_key, dir, data.data + data.pos, dt_cur_left(&data));
}

/* ---- NEGOTIATE */

static void dialect_list(dt_ctx *ctx, dt_cursor *c, unsigned n, char *out, size_t sz)
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

static void add_sec_mode(dt_ctx *ctx, dt_cursor *c, uint16_t *mode, size_t width)
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

static void add_caps(dt_ctx *ctx, dt_cursor *c, uint32_t *caps)
{
    size_t off = dt_cur_offset(c);
    dt_field *f = dt_add_u32le(ctx, NULL, HF(F_CAPS), c, caps);
    static const int bits[] = { F_CAP_DFS, F_CAP_LEASING, F_CAP_LARGE_MTU, F_CAP_MULTI_CHANNEL,
                                F_CAP_PERSISTENT, F_CAP_DIR_LEASING, F_CAP_ENCRYPTION };
    for (size_t i = 0; f && i < sizeof bits / sizeof bits[0]; i++)
        dt_add_uint(ctx, f, HF(bits[i]), off, 4, (*caps & HF(bits[i])->bitmask) != 0);
}

static void negotiate_contexts(dt_ctx *ctx, smb2_msg *m, uint32_t off, unsigned count, char *extra, size_t sz)
{
    dt_cursor c = msg_range(m, off, SIZE_MAX);
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

static void negotiate(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    dt_cursor *c = &m->c;
    uint16_t size = dt_cur_u16le(c), mode = 0;
    uint32_t caps = 0;
    if (!m->response) {
        uint16_t n = 0, nctx = 0;
        uint32_t ctx_off = 0;
        dt_add_u16le(ctx, NULL, HF(F_DIALECT_COUNT), c, &n);
        add_sec_mode(ctx, c, &mode, 2);
        dt_cur_skip(c, 2);
        add_caps(ctx, c, &caps);
        dt_add_guid_cur(ctx, NULL, HF(F_CLIENT_GUID), c);
        ctx_off = dt_cur_u32le(c);
        nctx = dt_cur_u16le(c);
        dt_cur_skip(c, 2);
        char list[160] = "";
        dialect_list(ctx, c, n, list, sizeof list);
        bool has311 = strstr(list, "3.1.1") != NULL;
        snprintf(m->desc, sizeof m->desc, "dialects %s%s", list, (mode & 2) ? " signing required" : "");
        char extra[64] = "";
        if (has311 && nctx)
            negotiate_contexts(ctx, m, ctx_off, nctx, extra, sizeof extra);
        return;
    }
    (void)size;
    uint16_t dialect = 0, nctx = 0, sb_off = 0, sb_len = 0;
    uint32_t ctx_off = 0, v = 0;
    add_sec_mode(ctx, c, &mode, 2);
    dt_add_u16le(ctx, NULL, HF(F_DIALECT), c, &dialect);
    nctx = dt_cur_u16le(c);
    dt_add_guid_cur(ctx, NULL, HF(F_SERVER_GUID), c);
    add_caps(ctx, c, &caps);
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
    const char *dn = dt_value_name_find(smb2_dialect_vals, dialect, false);
    char extra[96] = "";
    if (dialect == 0x0311 && nctx)
        negotiate_contexts(ctx, m, ctx_off, nctx, extra, sizeof extra);
    if (dn)
        smb2_copy(m->result, sizeof m->result, dn);
    else
        snprintf(m->result, sizeof m->result, "dialect 0x%04x", dialect);
    smb2_appendf(m->result, sizeof m->result, "%s%s%s", (mode & 2) ? ", signing required" : "",
                 (caps & 0x40) ? ", encryption" : "", extra);
}

/* ---- SESSION_SETUP, LOGOFF */

static void session_setup(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    char user[96] = "";
    if (!m->response) {
        uint16_t mode = 0;
        uint32_t caps = 0;
        dt_add_u8(ctx, NULL, HF(F_SES_REQ_FLAGS), c, NULL);
        add_sec_mode(ctx, c, &mode, 1);
        add_caps(ctx, c, &caps);
        dt_cur_skip(c, 4);
        uint16_t off = dt_cur_u16le(c), len = dt_cur_u16le(c);
        uint64_t prev = 0;
        dt_add_u64le(ctx, NULL, HF(F_PREV_SESID), c, &prev);
        dt_add_uint(ctx, NULL, HF(F_SEC_BLOB_LEN), dt_cur_offset(c), 0, len);
        smb2_dissect_security_blob(ctx, NULL, msg_range(m, off, len), m->desc, sizeof m->desc, user, sizeof user);
        if (m->new_req)
            smb2_copy(m->new_req->path, sizeof m->new_req->path, user);
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
    char auth[128] = "";
    if (off && len)
        smb2_dissect_security_blob(ctx, NULL, msg_range(m, off, len), auth, sizeof auth, NULL, 0);
    if (m->status == STATUS_SUCCESS) {
        smb2_session *s = smb2_session_add(conv, m->sesid);
        if (m->req && m->req->path[0])
            smb2_copy(s->user, sizeof s->user, m->req->path);
        snprintf(m->result, sizeof m->result, "session 0x%llx%s%s%s%s", (unsigned long long)m->sesid,
                 s->user[0] ? " " : "", s->user, (flags & 1) ? " (guest)" : (flags & 2) ? " (anonymous)" : "",
                 (flags & 4) ? " encrypted" : "");
        if (m->flags & SMB2_FLAGS_SIGNED)
            smb2_appendf(m->result, sizeof m->result, " signed");
    } else if (auth[0]) {
        smb2_copy(m->result, sizeof m->result, auth);
    }
}

static void logoff(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    (void)ctx;
    smb2_session *s = smb2_session_find(conv, m->sesid);
    if (!m->response) {
        snprintf(m->desc, sizeof m->desc, "session 0x%llx%s%s", (unsigned long long)m->sesid,
                 s && s->user[0] ? " " : "", s ? s->user : "");
        return;
    }
    if (m->status == STATUS_SUCCESS)
        smb2_session_del(conv, m->sesid);
}

/* ---- TREE_CONNECT, TREE_DISCONNECT */

static void tree_connect(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        dt_add_u16le(ctx, NULL, HF(F_TC_FLAGS), c, NULL);
        uint16_t off = dt_cur_u16le(c), len = dt_cur_u16le(c);
        dt_cursor p = msg_range(m, off, len);
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
    snprintf(m->result, sizeof m->result, "tid 0x%x %s, maximal access 0x%08x%s", m->tid, tn ? tn : "share",
             access, (flags & 0x8000) ? ", encrypted" : "");
}

static void tree_disconnect(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    char buf[32];
    const char *p = tree_path(conv, m, buf, sizeof buf);
    if (!m->response) {
        dt_add_string(ctx, NULL, HF(F_TREE), 0, 0, p, strlen(p));
        smb2_copy(m->desc, sizeof m->desc, p);
    } else if (m->status == STATUS_SUCCESS) {
        smb2_tree_del(conv, m->sesid, m->tid);
    }
}

/* ---- CREATE */

static const char *context_name(const char *tag)
{
    static const struct { const char *tag, *name; } names[] = {
        { "ExtA", "ExtA (extended attributes)" },   { "SecD", "SecD (security descriptor)" },
        { "DHnQ", "DHnQ (durable handle)" },         { "DHnC", "DHnC (durable reconnect)" },
        { "AlSi", "AlSi (allocation size)" },        { "MxAc", "MxAc (maximal access)" },
        { "TWrp", "TWrp (timewarp)" },               { "QFid", "QFid (on-disk id)" },
        { "RqLs", "RqLs (lease)" },                  { "DH2Q", "DH2Q (durable handle v2)" },
        { "DH2C", "DH2C (durable reconnect v2)" },   { "POSX", "POSX (POSIX)" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(tag, names[i].tag) == 0)
            return names[i].name;
    }
    return NULL;
}

static void create_contexts(dt_ctx *ctx, smb2_msg *m, uint32_t off, uint32_t len)
{
    if (!off || !len)
        return;
    dt_cursor all = msg_range(m, off, len);
    size_t pos = 0;
    for (int i = 0; i < 32; i++) {
        dt_cursor c = all;
        if (!dt_cur_seek(&c, pos))
            break;
        uint32_t next = dt_cur_u32le(&c);
        uint16_t noff = dt_cur_u16le(&c), nlen = dt_cur_u16le(&c);
        if (!dt_cur_ok(&c))
            break;
        dt_cursor n = all;
        char tag[40] = "";
        if (dt_cur_seek(&n, pos + noff)) {
            const uint8_t *p = dt_cur_bytes(&n, nlen);
            if (p && nlen == 4) {
                for (int k = 0; k < 4; k++)
                    tag[k] = isprint(p[k]) ? (char)p[k] : '?';
                tag[4] = '\0';
            } else if (p && nlen == 16) {
                dt_guid g;
                memcpy(g.b, p, 16);
                dt_guid_format(&g, tag);
            }
        }
        const char *name = context_name(tag);
        if (!name)
            name = tag[0] ? tag : "(unnamed)";
        dt_add_string(ctx, NULL, HF(F_CREATE_CONTEXT), dt_cur_offset(&all) + pos, 16, name, strlen(name));
        if (!next || next < 16)
            break;
        pos += next;
    }
}

static void create(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        uint32_t disp = 0, v = 0;
        dt_cur_skip(c, 1);
        dt_add_u8(ctx, NULL, HF(F_OPLOCK), c, NULL);
        dt_add_u32le(ctx, NULL, HF(F_IMPERSONATION), c, &v);
        dt_cur_skip(c, 16);
        dt_add_u32le(ctx, NULL, HF(F_ACCESS_MASK), c, &v);
        dt_add_u32le(ctx, NULL, HF(F_FILE_ATTR), c, &v);
        dt_add_u32le(ctx, NULL, HF(F_SHARE_ACCESS), c, &v);
        dt_add_u32le(ctx, NULL, HF(F_DISPOSITION), c, &disp);
        dt_add_u32le(ctx, NULL, HF(F_CREATE_OPTIONS), c, &v);
        uint16_t noff = dt_cur_u16le(c), nlen = dt_cur_u16le(c);
        uint32_t coff = dt_cur_u32le(c), clen = dt_cur_u32le(c);
        char name[SMB2_PATH_MAX];
        dt_cursor n = msg_range(m, noff, nlen);
        size_t no = dt_cur_offset(&n);
        dt_cur_utf16le(&n, nlen, name, sizeof name);
        dt_add_string(ctx, NULL, HF(F_FILENAME), no, nlen, name, strlen(name));
        create_contexts(ctx, m, coff, clen);
        char tb[32];
        const char *tp = tree_path(conv, m, tb, sizeof tb);
        char full[SMB2_PATH_MAX];
        snprintf(full, sizeof full, "%s%s%s", tp, name[0] ? "\\" : "", name);
        const char *dn = dt_value_name_find(smb2_disposition_vals, disp, false);
        snprintf(m->desc, sizeof m->desc, "%s %s", full, dn ? dn : "?");
        if (m->new_req)
            smb2_copy(m->new_req->path, sizeof m->new_req->path, full);
        smb2_copy(chain->last_path, sizeof chain->last_path, full);
        chain->have_fid = false;
        return;
    }
    uint8_t oplock = 0;
    uint32_t action = 0, attrs = 0;
    uint64_t eof = 0, v64 = 0;
    uint8_t fid[16];
    dt_add_u8(ctx, NULL, HF(F_OPLOCK), c, &oplock);
    dt_cur_skip(c, 1);
    dt_add_u32le(ctx, NULL, HF(F_CREATE_ACTION), c, &action);
    add_nttime(ctx, HF(F_CREATE_TIME), c);
    dt_cur_skip(c, 8);
    add_nttime(ctx, HF(F_LAST_WRITE), c);
    dt_cur_skip(c, 8);
    dt_add_u64le(ctx, NULL, HF(F_ALLOC_SIZE), c, &v64);
    dt_add_u64le(ctx, NULL, HF(F_EOF), c, &eof);
    dt_add_u32le(ctx, NULL, HF(F_FILE_ATTR), c, &attrs);
    dt_cur_skip(c, 4);
    read_fid(ctx, c, fid);
    uint32_t coff = dt_cur_u32le(c), clen = dt_cur_u32le(c);
    if (m->status != STATUS_SUCCESS || !dt_cur_ok(c))
        return;
    create_contexts(ctx, m, coff, clen);
    smb2_file *f = smb2_file_add(conv, fid);
    if (m->req)
        smb2_copy(f->path, sizeof f->path, m->req->path);
    f->stream_key = fid_key(fid);
    smb2_tree *t = smb2_tree_find(conv, m->sesid, m->tid);
    if (tree_is_ipc(t) && m->req) {
        const char *last = strrchr(m->req->path, '\\');
        /* The name after the tree: "\\srv\IPC$\srvsvc" → "srvsvc" */
        const char *after = m->req->path + strlen(t->path);
        pipe_name(*after == '\\' ? after + 1 : (last ? last + 1 : m->req->path), f->pipe, sizeof f->pipe);
        f->is_pipe = f->pipe[0] != '\0';
    }
    chain->have_fid = true;
    memcpy(chain->last_fid, fid, 16);
    chain->last_is_pipe = f->is_pipe;
    const char *an = dt_value_name_find(smb2_create_action_vals, action, false);
    uint64_t vol = 0;
    for (int i = 15; i >= 8; i--)
        vol = (vol << 8) | fid[i];
    if (f->is_pipe)
        snprintf(m->result, sizeof m->result, "%s pipe %s fid 0x%llx", an ? an : "?", f->pipe,
                 (unsigned long long)vol);
    else if (attrs & 0x10)
        snprintf(m->result, sizeof m->result, "%s directory fid 0x%llx", an ? an : "?", (unsigned long long)vol);
    else
        snprintf(m->result, sizeof m->result, "%s %llu bytes fid 0x%llx", an ? an : "?",
                 (unsigned long long)eof, (unsigned long long)vol);
}

/* ---- CLOSE, FLUSH */

static void close_(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    dt_add_u16le(ctx, NULL, HF(F_CLOSE_FLAGS), c, NULL);
    dt_cur_skip(c, 4);
    if (!m->response) {
        uint8_t fid[16];
        char buf[40];
        smb2_file *f;
        read_fid(ctx, c, fid);
        const char *p = fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        smb2_copy(m->desc, sizeof m->desc, p);
        if (m->new_req) {
            m->new_req->have_fid = true;
            memcpy(m->new_req->fid, f ? f->fid : fid, 16);
        }
        return;
    }
    uint64_t eof = 0, v = 0;
    add_nttime(ctx, HF(F_CREATE_TIME), c);
    dt_cur_skip(c, 8);
    add_nttime(ctx, HF(F_LAST_WRITE), c);
    dt_cur_skip(c, 8);
    dt_add_u64le(ctx, NULL, HF(F_ALLOC_SIZE), c, &v);
    dt_add_u64le(ctx, NULL, HF(F_EOF), c, &eof);
    if (m->status == STATUS_SUCCESS && m->req && m->req->have_fid) {
        smb2_file *f = smb2_file_find(conv, m->req->fid);
        if (f && f->is_pipe)
            dt_inner_stream_end(ctx, f->stream_key);
        smb2_file_del(conv, m->req->fid);
    }
}

static void flush(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    if (m->response)
        return;
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 8);
    uint8_t fid[16];
    char buf[40];
    smb2_file *f;
    read_fid(ctx, c, fid);
    smb2_copy(m->desc, sizeof m->desc, fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf));
}

/* ---- READ, WRITE */

static void read_(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        uint32_t len = 0, v = 0;
        uint64_t off = 0;
        uint8_t fid[16];
        char buf[40];
        smb2_file *f;
        dt_cur_skip(c, 2);
        dt_add_u32le(ctx, NULL, HF(F_READ_LENGTH), c, &len);
        dt_add_u64le(ctx, NULL, HF(F_FILE_OFFSET), c, &off);
        read_fid(ctx, c, fid);
        dt_add_u32le(ctx, NULL, HF(F_MIN_COUNT), c, &v);
        const char *p = fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        snprintf(m->desc, sizeof m->desc, "%s off=%llu len=%u", p, (unsigned long long)off, len);
        if (m->new_req) {
            m->new_req->have_fid = true;
            memcpy(m->new_req->fid, f ? f->fid : fid, 16);
            m->new_req->offset = off;
            m->new_req->length = len;
        }
        return;
    }
    uint8_t doff = dt_cur_u8(c);
    dt_cur_skip(c, 1);
    uint32_t dlen = 0, rem = 0;
    dt_add_u32le(ctx, NULL, HF(F_READ_LENGTH), c, &dlen);
    dt_add_u32le(ctx, NULL, HF(F_READ_REMAINING), c, &rem);
    if (!dt_cur_ok(c) || (m->status != STATUS_SUCCESS && m->status != STATUS_BUFFER_OVERFLOW))
        return;
    snprintf(m->result, sizeof m->result, "%u bytes", dlen);
    if (m->req && m->req->have_fid) {
        smb2_file *f = smb2_file_find(conv, m->req->fid);
        dt_cursor d = msg_range(m, doff, dlen);
        if (!dt_cur_ok(&d))
            dt_malformed(ctx, dt_cur_offset(&d), "READ data (%u bytes at %u) beyond the message", dlen, doff);
        pipe_data(ctx, f, DT_DIR_S2C, d);
    }
}

static void write_(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        uint16_t doff = 0;
        uint32_t len = 0, v = 0;
        uint64_t off = 0;
        uint8_t fid[16];
        char buf[40];
        smb2_file *f;
        dt_add_u16le(ctx, NULL, HF(F_DATA_OFFSET), c, &doff);
        dt_add_u32le(ctx, NULL, HF(F_WRITE_LENGTH), c, &len);
        dt_add_u64le(ctx, NULL, HF(F_FILE_OFFSET), c, &off);
        read_fid(ctx, c, fid);
        dt_cur_skip(c, 12);
        dt_add_u32le(ctx, NULL, HF(F_WRITE_FLAGS), c, &v);
        const char *p = fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        snprintf(m->desc, sizeof m->desc, "%s off=%llu len=%u", p, (unsigned long long)off, len);
        if (m->new_req) {
            m->new_req->have_fid = true;
            memcpy(m->new_req->fid, f ? f->fid : fid, 16);
            m->new_req->offset = off;
            m->new_req->length = len;
        }
        dt_cursor d = msg_range(m, doff, len);
        if (!dt_cur_ok(&d))
            dt_malformed(ctx, dt_cur_offset(&d), "WRITE data (%u bytes at %u) beyond the message", len, doff);
        pipe_data(ctx, f, DT_DIR_C2S, d);
        return;
    }
    uint32_t count = 0;
    dt_cur_skip(c, 2);
    dt_add_u32le(ctx, NULL, HF(F_WRITE_COUNT), c, &count);
    if (m->status == STATUS_SUCCESS && dt_cur_ok(c))
        snprintf(m->result, sizeof m->result, "%u bytes", count);
}

/* ---- LOCK */

static void lock(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    if (m->response)
        return;
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    uint16_t n = 0;
    uint8_t fid[16];
    char buf[40];
    smb2_file *f;
    dt_add_u16le(ctx, NULL, HF(F_LOCK_COUNT), c, &n);
    dt_cur_skip(c, 4);
    read_fid(ctx, c, fid);
    const char *p = fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
    smb2_copy(m->desc, sizeof m->desc, p);
    for (unsigned i = 0; i < n && i < 64; i++) {
        size_t lo = dt_cur_offset(c);
        dt_field *li = dt_add_none(ctx, NULL, HF(F_LOCK_INFO), lo, 24);
        uint64_t off = 0, len = 0;
        uint32_t fl = 0;
        dt_field *x = dt_add_u64le(ctx, li, HF(F_FILE_OFFSET), c, &off);
        dt_add_u64le(ctx, li, HF(F_LOCK_LENGTH), c, &len);
        dt_add_u32le(ctx, li, HF(F_LOCK_FLAGS), c, &fl);
        dt_cur_skip(c, 4);
        if (!x || !dt_cur_ok(c))
            break;
        if (i == 0)
            smb2_appendf(m->desc, sizeof m->desc, " off=%llu len=%llu %s%s", (unsigned long long)off,
                         (unsigned long long)len,
                         (fl & 4) ? "unlock" : (fl & 2) ? "exclusive" : (fl & 1) ? "shared" : "?",
                         (fl & 0x10) ? " fail-immediately" : "");
    }
    if (n > 1)
        smb2_appendf(m->desc, sizeof m->desc, " (+%u more)", n - 1);
}

/* ---- IOCTL */

static void ioctl_input(dt_ctx *ctx, smb2_msg *m, uint32_t code, dt_cursor in)
{
    switch (code) {
    case FSCTL_PIPE_WAIT: {
        uint64_t timeout = 0;
        dt_add_u64le(ctx, NULL, HF(F_WAIT_TIMEOUT), &in, &timeout);
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
        add_caps(ctx, &in, &caps);
        dt_add_guid_cur(ctx, NULL, HF(F_CLIENT_GUID), &in);
        add_sec_mode(ctx, &in, &mode, 2);
        uint16_t n = dt_cur_u16le(&in);
        char list[96] = "";
        dialect_list(ctx, &in, n, list, sizeof list);
        smb2_appendf(m->desc, sizeof m->desc, " dialects %s", list);
        break;
    }
    default:
        break;
    }
}

static void ioctl_(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
        snprintf(cbuf, sizeof cbuf, "0x%08x", code);
        cn = cbuf;
    }
    read_fid(ctx, c, fid);
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
            p = fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        snprintf(m->desc, sizeof m->desc, "%s%s%s", cn, p[0] ? " " : "", p);
        dt_cursor in = msg_range(m, in_off, in_len);
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
            pipe_data(ctx, f, DT_DIR_C2S, msg_range(m, in_off, in_len));
        return;
    }
    uint32_t out_off = dt_cur_u32le(c), out_len = 0;
    dt_add_u32le(ctx, NULL, HF(F_IOCTL_OUT_LEN), c, &out_len);
    if (m->status != STATUS_SUCCESS && m->status != STATUS_BUFFER_OVERFLOW)
        return;
    if (dt_cur_ok(c))
        snprintf(m->result, sizeof m->result, "out=%u bytes", out_len);
    if (code == FSCTL_VALIDATE_NEGOTIATE_INFO) {
        dt_cursor o = msg_range(m, out_off, out_len);
        uint32_t caps = 0;
        uint16_t mode = 0, d = 0;
        add_caps(ctx, &o, &caps);
        dt_add_guid_cur(ctx, NULL, HF(F_SERVER_GUID), &o);
        add_sec_mode(ctx, &o, &mode, 2);
        dt_add_u16le(ctx, NULL, HF(F_DIALECT), &o, &d);
    }
    if (code == FSCTL_PIPE_TRANSCEIVE && m->req && m->req->have_fid) {
        f = smb2_file_find(conv, m->req->fid);
        pipe_data(ctx, f, DT_DIR_S2C, msg_range(m, out_off, out_len));
    }
}

/* ---- QUERY_DIRECTORY, CHANGE_NOTIFY */

/* Offset of the FileNameLength field and of the name, per information class. */
static bool dir_entry_layout(uint8_t cls, size_t *len_at, size_t *name_at)
{
    switch (cls) {
    case 1: *len_at = 60; *name_at = 64; return true;   /* FileDirectoryInformation */
    case 2: *len_at = 60; *name_at = 68; return true;   /* FileFullDirectoryInformation */
    case 3: *len_at = 60; *name_at = 94; return true;   /* FileBothDirectoryInformation */
    case 12: *len_at = 8; *name_at = 12; return true;   /* FileNamesInformation */
    case 37: *len_at = 60; *name_at = 104; return true; /* FileIdBothDirectoryInformation */
    case 38: *len_at = 60; *name_at = 80; return true;  /* FileIdFullDirectoryInformation */
    case 60: *len_at = 60; *name_at = 112; return true; /* FileIdExtdDirectoryInformation */
    default: return false;
    }
}

static void query_directory(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        uint8_t cls = 0, flags = 0;
        uint8_t fid[16];
        char buf[40], pattern[128];
        smb2_file *f;
        dt_add_u8(ctx, NULL, HF(F_FIND_LEVEL), c, &cls);
        dt_add_u8(ctx, NULL, HF(F_FIND_FLAGS), c, &flags);
        dt_cur_skip(c, 4);
        read_fid(ctx, c, fid);
        uint16_t noff = dt_cur_u16le(c), nlen = dt_cur_u16le(c);
        dt_add_u32le(ctx, NULL, HF(F_OUTPUT_LEN), c, NULL);
        dt_cursor n = msg_range(m, noff, nlen);
        size_t no = dt_cur_offset(&n);
        dt_cur_utf16le(&n, nlen, pattern, sizeof pattern);
        dt_add_string(ctx, NULL, HF(F_FIND_PATTERN), no, nlen, pattern, strlen(pattern));
        const char *p = fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        const char *cn = dt_value_name_find(smb2_file_info_vals, cls, false);
        snprintf(m->desc, sizeof m->desc, "%s pattern=%s %s%s", p, pattern, cn ? cn : "?",
                 (flags & 1) ? " restart" : "");
        if (m->new_req)
            m->new_req->info_class = cls;
        return;
    }
    uint16_t off = dt_cur_u16le(c);
    uint32_t len = dt_cur_u32le(c);
    if (m->status != STATUS_SUCCESS || !m->req)
        return;
    size_t len_at, name_at;
    dt_cursor all = msg_range(m, off, len);
    unsigned count = 0;
    if (dir_entry_layout(m->req->info_class, &len_at, &name_at)) {
        size_t pos = 0;
        for (;;) {
            dt_cursor e = all;
            if (!dt_cur_seek(&e, pos) || dt_cur_eof(&e))
                break;
            uint32_t next = dt_cur_u32le(&e);
            count++;
            dt_cursor l = all;
            if (count <= 256 && dt_cur_seek(&l, pos + len_at)) {
                uint32_t nlen = dt_cur_u32le(&l);
                dt_cursor nc = all;
                if (dt_cur_seek(&nc, pos + name_at))
                    dt_add_utf16le(ctx, NULL, HF(F_FIND_NAME), &nc, nlen);
            }
            if (!next || count >= 100000)
                break;
            pos += next;
        }
    }
    dt_add_uint(ctx, NULL, HF(F_FIND_ENTRIES), dt_cur_offset(&all), len, count);
    snprintf(m->result, sizeof m->result, "%u entries", count);
}

static void change_notify(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        uint16_t flags = 0;
        uint32_t filter = 0;
        uint8_t fid[16];
        char buf[40];
        smb2_file *f;
        dt_add_u16le(ctx, NULL, HF(F_NOTIFY_FLAGS), c, &flags);
        dt_add_u32le(ctx, NULL, HF(F_OUTPUT_LEN), c, NULL);
        read_fid(ctx, c, fid);
        dt_add_u32le(ctx, NULL, HF(F_NOTIFY_FILTER), c, &filter);
        snprintf(m->desc, sizeof m->desc, "%s filter=0x%x%s", fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf),
                 filter, (flags & 1) ? " watch-tree" : "");
        return;
    }
    uint16_t off = dt_cur_u16le(c);
    uint32_t len = dt_cur_u32le(c);
    if (m->status != STATUS_SUCCESS)
        return;
    dt_cursor all = msg_range(m, off, len);
    size_t pos = 0;
    unsigned count = 0;
    for (; count < 256; count++) {
        dt_cursor e = all;
        if (!dt_cur_seek(&e, pos) || dt_cur_eof(&e))
            break;
        uint32_t next = dt_cur_u32le(&e), action = 0;
        dt_add_u32le(ctx, NULL, HF(F_NOTIFY_ACTION), &e, &action);
        uint32_t nlen = dt_cur_u32le(&e);
        size_t no = dt_cur_offset(&e);
        char name[128];
        dt_cur_utf16le(&e, nlen, name, sizeof name);
        if (!dt_cur_ok(&e))
            break;
        dt_add_string(ctx, NULL, HF(F_FILENAME), no, nlen, name, strlen(name));
        if (count == 0) {
            const char *an = dt_value_name_find(smb2_notify_action_vals, action, false);
            snprintf(m->result, sizeof m->result, "%s %s", an ? an : "?", name);
        }
        if (!next)
            break;
        pos += next;
    }
    if (count > 0)
        smb2_appendf(m->result, sizeof m->result, " (+%u more)", count);
}

/* ---- QUERY_INFO, SET_INFO */

static const char *info_class_name(uint8_t type, uint8_t cls)
{
    if (type == 1)
        return dt_value_name_find(smb2_file_info_vals, cls, false);
    if (type == 2)
        return dt_value_name_find(smb2_fs_info_vals, cls, false);
    if (type == 3)
        return "SecurityDescriptor";
    if (type == 4)
        return "Quota";
    return NULL;
}

static void add_info_class(dt_ctx *ctx, dt_cursor *c, uint8_t *type, uint8_t *cls)
{
    dt_add_u8(ctx, NULL, HF(F_INFO_TYPE), c, type);
    int fid = *type == 1 ? F_FILE_INFO_LEVEL : *type == 2 ? F_FS_INFO_LEVEL : F_INFO_LEVEL;
    dt_add_u8(ctx, NULL, HF(fid), c, cls);
}

static void query_info(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    if (!m->response) {
        uint8_t type = 0, cls = 0;
        uint8_t fid[16];
        char buf[40];
        smb2_file *f;
        add_info_class(ctx, c, &type, &cls);
        dt_add_u32le(ctx, NULL, HF(F_OUTPUT_LEN), c, NULL);
        dt_cur_skip(c, 8);
        dt_add_u32le(ctx, NULL, HF(F_ADDITIONAL), c, NULL);
        dt_cur_skip(c, 4);
        read_fid(ctx, c, fid);
        const char *cn = info_class_name(type, cls);
        snprintf(m->desc, sizeof m->desc, "%s %s", fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf),
                 cn ? cn : "?");
        return;
    }
    dt_cur_skip(c, 2);
    uint32_t len = 0;
    dt_add_u32le(ctx, NULL, HF(F_OUTPUT_LEN), c, &len);
    if (m->status == STATUS_SUCCESS && dt_cur_ok(c))
        snprintf(m->result, sizeof m->result, "%u bytes", len);
}

static void set_info(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    if (m->response)
        return;
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    uint8_t type = 0, cls = 0;
    uint8_t fid[16];
    char buf[40];
    smb2_file *f;
    add_info_class(ctx, c, &type, &cls);
    uint32_t len = 0;
    dt_add_u32le(ctx, NULL, HF(F_SETINFO_SIZE), c, &len);
    uint16_t off = dt_cur_u16le(c);
    dt_cur_skip(c, 2);
    dt_add_u32le(ctx, NULL, HF(F_ADDITIONAL), c, NULL);
    read_fid(ctx, c, fid);
    const char *cn = info_class_name(type, cls);
    snprintf(m->desc, sizeof m->desc, "%s %s", fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf), cn ? cn : "?");
    if (type != 1)
        return;
    dt_cursor b = msg_range(m, off, len);
    switch (cls) {
    case 10: /* FileRenameInformation */
    case 65: { /* FileRenameInformationEx */
        size_t ro = dt_cur_offset(&b);
        uint32_t flags = cls == 10 ? dt_cur_u8(&b) : dt_cur_u32le(&b);
        dt_add_uint(ctx, NULL, HF(F_REPLACE_IF), ro, cls == 10 ? 1 : 4, (flags & 1) != 0);
        dt_cur_skip(&b, cls == 10 ? 7 : 4);
        dt_cur_skip(&b, 8);
        uint32_t nlen = dt_cur_u32le(&b);
        size_t no = dt_cur_offset(&b);
        char name[SMB2_PATH_MAX];
        dt_cur_utf16le(&b, nlen, name, sizeof name);
        if (dt_cur_ok(&b)) {
            dt_add_string(ctx, NULL, HF(F_RENAME_TARGET), no, nlen, name, strlen(name));
            smb2_appendf(m->desc, sizeof m->desc, " → %s%s", name, (flags & 1) ? " (replace)" : "");
        }
        break;
    }
    case 13: { /* FileDispositionInformation */
        size_t o = dt_cur_offset(&b);
        uint8_t del = dt_cur_u8(&b);
        if (dt_cur_ok(&b)) {
            dt_add_uint(ctx, NULL, HF(F_DELETE_ON_CLOSE), o, 1, del != 0);
            smb2_appendf(m->desc, sizeof m->desc, "%s", del ? " delete-on-close" : " keep");
        }
        break;
    }
    case 64: { /* FileDispositionInformationEx */
        size_t o = dt_cur_offset(&b);
        uint32_t fl = dt_cur_u32le(&b);
        if (dt_cur_ok(&b)) {
            dt_add_uint(ctx, NULL, HF(F_DELETE_ON_CLOSE), o, 4, (fl & 1) != 0);
            smb2_appendf(m->desc, sizeof m->desc, "%s", (fl & 1) ? " delete-on-close" : " keep");
        }
        break;
    }
    case 19: /* FileAllocationInformation */
    case 20: { /* FileEndOfFileInformation */
        uint64_t v = 0;
        if (dt_add_u64le(ctx, NULL, HF(cls == 20 ? F_EOF : F_ALLOC_SIZE), &b, &v))
            smb2_appendf(m->desc, sizeof m->desc, " %s=%llu", cls == 20 ? "eof" : "alloc", (unsigned long long)v);
        break;
    }
    default:
        break;
    }
}

/* ---- OPLOCK_BREAK (oplock and lease), CANCEL */

static void oplock_break(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    uint16_t size = dt_cur_u16le(c);
    if (size == 24) {
        uint8_t level = 0, fid[16];
        char buf[40];
        smb2_file *f;
        dt_add_u8(ctx, NULL, HF(F_OPLOCK), c, &level);
        dt_cur_skip(c, 5);
        read_fid(ctx, c, fid);
        const char *ln = dt_value_name_find(smb2_oplock_vals, level, false);
        snprintf(m->desc, sizeof m->desc, "%s to %s%s", fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf),
                 ln ? ln : "?", m->msg_id == UINT64_MAX ? " (server notification)" : m->response ? "" : " (ack)");
        return;
    }
    /* Lease break notification (44), acknowledgment and response (36). */
    dt_cur_skip(c, 2);
    dt_cur_skip(c, 4);
    dt_add_guid_cur(ctx, NULL, HF(F_LEASE_KEY), c);
    uint32_t state = 0;
    if (size == 44)
        dt_cur_skip(c, 4);
    dt_add_u32le(ctx, NULL, HF(F_LEASE_STATE), c, &state);
    snprintf(m->desc, sizeof m->desc, "lease to %s%s%s%s%s", (state & 1) ? "R" : "", (state & 2) ? "H" : "",
             (state & 4) ? "W" : "", state ? "" : "none",
             size == 44 ? " (server notification)" : m->response ? "" : " (ack)");
}

static void cancel(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    if (m->async) {
        smb2_async *a = smb2_async_find(conv, m->aid);
        if (a) {
            dt_add_uint(ctx, NULL, HF(F_CANCEL_OF), 0, 0, a->msg_id);
            snprintf(m->desc, sizeof m->desc, "async 0x%llx (message %llu, %s)", (unsigned long long)m->aid,
                     (unsigned long long)a->msg_id, smb2_cmd_name(a->cmd));
        } else {
            snprintf(m->desc, sizeof m->desc, "async 0x%llx", (unsigned long long)m->aid);
        }
    } else {
        dt_add_uint(ctx, NULL, HF(F_CANCEL_OF), 0, 0, m->msg_id);
        snprintf(m->desc, sizeof m->desc, "message %llu", (unsigned long long)m->msg_id);
    }
}

/* ---- Error responses: StructureSize 9 with ErrorContextCount/ByteCount. */

static bool error_body(dt_ctx *ctx, smb2_msg *m)
{
    if (!m->response || m->status == STATUS_SUCCESS || m->status == STATUS_BUFFER_OVERFLOW)
        return false;
    if (m->cmd == SMB2_SESSION_SETUP && m->status == STATUS_MORE_PROCESSING_REQUIRED)
        return false;
    const uint8_t *p = dt_cur_peek(&m->c, 0, 2);
    if (!p || (p[0] | (p[1] << 8)) != 9)
        return false;
    /* QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO and SESSION_SETUP have
     * 9-byte responses too; an error status decides. */
    dt_cursor c = m->c;
    dt_cur_skip(&c, 4);
    dt_add_u32le(ctx, NULL, HF(F_ERROR_BYTES), &c, NULL);
    return true;
}

/* A response names what its request touched: the tree, the file. */
static void response_context(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    if (!m->response || !m->req)
        return;
    if (m->cmd == SMB2_TREE_CONNECT && m->req->path[0]) {
        dt_add_string(ctx, NULL, HF(F_TREE), 0, 0, m->req->path, strlen(m->req->path));
    } else if (m->cmd == SMB2_CREATE && m->req->path[0]) {
        dt_add_string(ctx, NULL, HF(F_FILENAME), 0, 0, m->req->path, strlen(m->req->path));
    } else if (m->req->have_fid) {
        smb2_file *f = smb2_file_find(conv, m->req->fid);
        if (f)
            dt_add_string(ctx, NULL, HF(F_FILENAME), 0, 0, f->path, strlen(f->path));
    } else {
        smb2_tree *t = smb2_tree_find(conv, m->sesid, m->tid);
        if (t)
            dt_add_string(ctx, NULL, HF(F_TREE), 0, 0, t->path, strlen(t->path));
    }
}

void smb2_dissect_body(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    response_context(ctx, conv, m);
    size_t body_start = dt_cur_offset(&m->c);
    const uint8_t *p = dt_cur_peek(&m->c, 0, 2);
    if (p)
        dt_add_uint(ctx, NULL, HF(F_STRUCT_SIZE), body_start, 2, (uint64_t)(p[0] | (p[1] << 8)));
    if (error_body(ctx, m)) {
        /* Requests whose summary needs no body still get their context. */
        return;
    }
    switch (m->cmd) {
    case SMB2_NEGOTIATE: negotiate(ctx, conv, m); break;
    case SMB2_SESSION_SETUP: session_setup(ctx, conv, m); break;
    case SMB2_LOGOFF: logoff(ctx, conv, m); break;
    case SMB2_TREE_CONNECT: tree_connect(ctx, conv, m); break;
    case SMB2_TREE_DISCONNECT: tree_disconnect(ctx, conv, m); break;
    case SMB2_CREATE: create(ctx, conv, m, chain); break;
    case SMB2_CLOSE: close_(ctx, conv, m, chain); break;
    case SMB2_FLUSH: flush(ctx, conv, m, chain); break;
    case SMB2_READ: read_(ctx, conv, m, chain); break;
    case SMB2_WRITE: write_(ctx, conv, m, chain); break;
    case SMB2_LOCK: lock(ctx, conv, m, chain); break;
    case SMB2_IOCTL: ioctl_(ctx, conv, m, chain); break;
    case SMB2_CANCEL: cancel(ctx, conv, m); break;
    case SMB2_ECHO: break;
    case SMB2_QUERY_DIRECTORY: query_directory(ctx, conv, m, chain); break;
    case SMB2_CHANGE_NOTIFY: change_notify(ctx, conv, m, chain); break;
    case SMB2_QUERY_INFO: query_info(ctx, conv, m, chain); break;
    case SMB2_SET_INFO: set_info(ctx, conv, m, chain); break;
    case SMB2_OPLOCK_BREAK: oplock_break(ctx, conv, m, chain); break;
    default: break;
    }
    if (!dt_cur_ok(&m->c))
        dt_malformed(ctx, dt_cur_offset(&m->c), "SMB2 %s %s body truncated at offset %zu", smb2_cmd_name(m->cmd),
                     m->response ? "response" : "request", dt_cur_offset(&m->c));
    else if (m->bad_range)
        dt_malformed(ctx, dt_cur_offset(&m->c), "SMB2 %s %s: a buffer offset/length points past the message (%zu bytes)",
                     smb2_cmd_name(m->cmd), m->response ? "response" : "request", m->c.len);
}
