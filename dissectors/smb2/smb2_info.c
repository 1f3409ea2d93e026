/* QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO, SET_INFO, OPLOCK_BREAK, CANCEL. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smb2_int.h"

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

void smb2_cmd_query_directory(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
        smb2_read_fid(ctx, c, fid);
        uint16_t noff = dt_cur_u16le(c), nlen = dt_cur_u16le(c);
        dt_add_u32le(ctx, NULL, HF(F_OUTPUT_LEN), c, NULL);
        dt_cursor n = smb2_msg_range(m, noff, nlen);
        size_t no = dt_cur_offset(&n);
        dt_cur_utf16le(&n, nlen, pattern, sizeof pattern);
        dt_add_string(ctx, NULL, HF(F_FIND_PATTERN), no, nlen, pattern, strlen(pattern));
        const char *p = smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf);
        const char *cn = dt_value_name_find(smb2_file_info_vals, cls, false);
        dt_snprintf(m->desc, sizeof m->desc, "%s pattern=%s %s%s", p, pattern, cn ? cn : "?",
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
    dt_cursor all = smb2_msg_range(m, off, len);
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
    dt_snprintf(m->result, sizeof m->result, "%u entries", count);
}

void smb2_cmd_change_notify(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
        smb2_read_fid(ctx, c, fid);
        dt_add_u32le(ctx, NULL, HF(F_NOTIFY_FILTER), c, &filter);
        dt_snprintf(m->desc, sizeof m->desc, "%s filter=0x%x%s", smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf),
                    filter, (flags & 1) ? " watch-tree" : "");
        return;
    }
    uint16_t off = dt_cur_u16le(c);
    uint32_t len = dt_cur_u32le(c);
    if (m->status != STATUS_SUCCESS)
        return;
    dt_cursor all = smb2_msg_range(m, off, len);
    size_t pos = 0;
    unsigned count = 0; /* entries decoded */
    while (count < 256) {
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
        if (count++ == 0) {
            const char *an = dt_value_name_find(smb2_notify_action_vals, action, false);
            dt_snprintf(m->result, sizeof m->result, "%s %s", an ? an : "?", name);
        }
        if (!next)
            break;
        pos += next;
    }
    if (count > 1)
        smb2_appendf(m->result, sizeof m->result, " (+%u more)", count - 1);
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

void smb2_cmd_query_info(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
        smb2_read_fid(ctx, c, fid);
        const char *cn = info_class_name(type, cls);
        dt_snprintf(m->desc, sizeof m->desc, "%s %s", smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf),
                    cn ? cn : "?");
        return;
    }
    dt_cur_skip(c, 2);
    uint32_t len = 0;
    dt_add_u32le(ctx, NULL, HF(F_OUTPUT_LEN), c, &len);
    if (m->status == STATUS_SUCCESS && dt_cur_ok(c))
        dt_snprintf(m->result, sizeof m->result, "%u bytes", len);
}

void smb2_cmd_set_info(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
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
    smb2_read_fid(ctx, c, fid);
    const char *cn = info_class_name(type, cls);
    dt_snprintf(m->desc, sizeof m->desc, "%s %s", smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf), cn ? cn : "?");
    if (type != 1)
        return;
    dt_cursor b = smb2_msg_range(m, off, len);
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

void smb2_cmd_oplock_break(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m, smb2_chain *chain)
{
    dt_cursor *c = &m->c;
    uint16_t size = dt_cur_u16le(c);
    if (size == 24) {
        uint8_t level = 0, fid[16];
        char buf[40];
        smb2_file *f;
        dt_add_u8(ctx, NULL, HF(F_OPLOCK), c, &level);
        dt_cur_skip(c, 5);
        smb2_read_fid(ctx, c, fid);
        const char *ln = dt_value_name_find(smb2_oplock_vals, level, false);
        dt_snprintf(m->desc, sizeof m->desc, "%s to %s%s", smb2_fid_path(ctx, conv, m, chain, fid, &f, buf, sizeof buf),
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
    dt_snprintf(m->desc, sizeof m->desc, "lease to %s%s%s%s%s", (state & 1) ? "R" : "", (state & 2) ? "H" : "",
                (state & 4) ? "W" : "", state ? "" : "none",
                size == 44 ? " (server notification)" : m->response ? "" : " (ack)");
}

void smb2_cmd_cancel(dt_ctx *ctx, smb2_conv *conv, smb2_msg *m)
{
    if (m->async) {
        smb2_async *a = smb2_async_find(conv, m->aid);
        if (a) {
            dt_add_uint(ctx, NULL, HF(F_CANCEL_OF), 0, 0, a->msg_id);
            dt_snprintf(m->desc, sizeof m->desc, "async 0x%llx (message %llu, %s)", (unsigned long long)m->aid,
                        (unsigned long long)a->msg_id, smb2_cmd_name(a->cmd));
        } else {
            dt_snprintf(m->desc, sizeof m->desc, "async 0x%llx", (unsigned long long)m->aid);
        }
    } else {
        dt_add_uint(ctx, NULL, HF(F_CANCEL_OF), 0, 0, m->msg_id);
        dt_snprintf(m->desc, sizeof m->desc, "message %llu", (unsigned long long)m->msg_id);
    }
}
