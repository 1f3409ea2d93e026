/* CREATE, CLOSE, FLUSH, READ, WRITE, LOCK: FileId → path, bytes moved, and
 * the data of named pipes handed on to their inner stream. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smb2_int.h"

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
    dt_cursor all = smb2_msg_range(m, off, len);
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

void smb2_cmd_create(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
        dt_cursor n = smb2_msg_range(m, noff, nlen);
        size_t no = dt_cur_offset(&n);
        dt_cur_utf16le(&n, nlen, name, sizeof name);
        dt_add_string(ctx, NULL, HF(F_FILENAME), no, nlen, name, strlen(name));
        create_contexts(ctx, m, coff, clen);
        char tb[32];
        const char *tp = smb2_tree_path(conv, m, tb, sizeof tb);
        char full[SMB2_PATH_MAX];
        dt_snprintf(full, sizeof full, "%s%s%s", tp, name[0] ? "\\" : "", name);
        const char *dn = dt_value_name_find(smb2_disposition_vals, disp, false);
        dt_snprintf(m->desc, sizeof m->desc, "%s %s", full, dn ? dn : "?");
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
    smb2_add_nttime(ctx, HF(F_CREATE_TIME), c);
    dt_cur_skip(c, 8);
    smb2_add_nttime(ctx, HF(F_LAST_WRITE), c);
    dt_cur_skip(c, 8);
    dt_add_u64le(ctx, NULL, HF(F_ALLOC_SIZE), c, &v64);
    dt_add_u64le(ctx, NULL, HF(F_EOF), c, &eof);
    dt_add_u32le(ctx, NULL, HF(F_FILE_ATTR), c, &attrs);
    dt_cur_skip(c, 4);
    smb2_read_fid(ctx, c, fid);
    uint32_t coff = dt_cur_u32le(c), clen = dt_cur_u32le(c);
    if (m->status != STATUS_SUCCESS || !dt_cur_ok(c))
        return;
    create_contexts(ctx, m, coff, clen);
    smb2_file *f = smb2_file_add(conv, fid);
    if (!f) /* out of memory: the file goes untracked, its later messages show its FileId */
        return;
    if (m->req)
        smb2_copy(f->path, sizeof f->path, m->req->path);
    f->stream_key = smb2_fid_key(fid);
    smb2_tree *t = smb2_tree_find(conv, m->sesid, m->tid);
    if (smb2_tree_is_ipc(t) && m->req) {
        const char *last = strrchr(m->req->path, '\\');
        /* The name after the tree: "\\srv\IPC$\srvsvc" → "srvsvc" */
        const char *after = m->req->path + strlen(t->path);
        smb2_pipe_name(*after == '\\' ? after + 1 : (last ? last + 1 : m->req->path), f->pipe, sizeof f->pipe);
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
        dt_snprintf(m->result, sizeof m->result, "%s pipe %s fid 0x%llx", an ? an : "?", f->pipe,
                    (unsigned long long)vol);
    else if (attrs & 0x10)
        dt_snprintf(m->result, sizeof m->result, "%s directory fid 0x%llx", an ? an : "?", (unsigned long long)vol);
    else
        dt_snprintf(m->result, sizeof m->result, "%s %llu bytes fid 0x%llx", an ? an : "?",
                    (unsigned long long)eof, (unsigned long long)vol);
}

/* ---- CLOSE, FLUSH */

void smb2_cmd_close(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 2);
    dt_add_u16le(ctx, NULL, HF(F_CLOSE_FLAGS), c, NULL);
    dt_cur_skip(c, 4);
    if (!m->response) {
        uint8_t fid[16];
        char buf[40];
        smb2_file *f;
        smb2_read_fid(ctx, c, fid);
        const char *p = smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        smb2_copy(m->desc, sizeof m->desc, p);
        if (m->new_req) {
            m->new_req->have_fid = true;
            memcpy(m->new_req->fid, f ? f->fid : fid, 16);
        }
        return;
    }
    uint64_t eof = 0, v = 0;
    smb2_add_nttime(ctx, HF(F_CREATE_TIME), c);
    dt_cur_skip(c, 8);
    smb2_add_nttime(ctx, HF(F_LAST_WRITE), c);
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

void smb2_cmd_flush(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    if (m->response)
        return;
    dt_cursor *c = &m->c;
    dt_cur_skip(c, 8);
    uint8_t fid[16];
    char buf[40];
    smb2_file *f;
    smb2_read_fid(ctx, c, fid);
    smb2_copy(m->desc, sizeof m->desc, smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf));
}

/* ---- READ, WRITE */

void smb2_cmd_read(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
        smb2_read_fid(ctx, c, fid);
        dt_add_u32le(ctx, NULL, HF(F_MIN_COUNT), c, &v);
        const char *p = smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        dt_snprintf(m->desc, sizeof m->desc, "%s off=%llu len=%u", p, (unsigned long long)off, len);
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
    dt_snprintf(m->result, sizeof m->result, "%u bytes", dlen);
    if (m->req && m->req->have_fid) {
        smb2_file *f = smb2_file_find(conv, m->req->fid);
        dt_cursor d = smb2_msg_range(m, doff, dlen);
        if (!dt_cur_ok(&d))
            dt_malformed(ctx, dt_cur_offset(&d), "READ data (%u bytes at %u) beyond the message", dlen, doff);
        smb2_pipe_data(ctx, f, DT_DIR_S2C, d);
    }
}

void smb2_cmd_write(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
        smb2_read_fid(ctx, c, fid);
        dt_cur_skip(c, 12);
        dt_add_u32le(ctx, NULL, HF(F_WRITE_FLAGS), c, &v);
        const char *p = smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        dt_snprintf(m->desc, sizeof m->desc, "%s off=%llu len=%u", p, (unsigned long long)off, len);
        if (m->new_req) {
            m->new_req->have_fid = true;
            memcpy(m->new_req->fid, f ? f->fid : fid, 16);
            m->new_req->offset = off;
            m->new_req->length = len;
        }
        dt_cursor d = smb2_msg_range(m, doff, len);
        if (!dt_cur_ok(&d))
            dt_malformed(ctx, dt_cur_offset(&d), "WRITE data (%u bytes at %u) beyond the message", len, doff);
        smb2_pipe_data(ctx, f, DT_DIR_C2S, d);
        return;
    }
    uint32_t count = 0;
    dt_cur_skip(c, 2);
    dt_add_u32le(ctx, NULL, HF(F_WRITE_COUNT), c, &count);
    if (m->status == STATUS_SUCCESS && dt_cur_ok(c))
        dt_snprintf(m->result, sizeof m->result, "%u bytes", count);
}

/* ---- LOCK */

void smb2_cmd_lock(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
    smb2_read_fid(ctx, c, fid);
    const char *p = smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
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
