/* Dispatch of SMB2 command bodies; error responses; what every response
 * names from its request. Offsets inside a body are relative to the start of
 * the SMB2 header, which is position 0 of the message cursor m->c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smb2_int.h"

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
    case SMB2_NEGOTIATE: smb2_cmd_negotiate(ctx, conv, m); break;
    case SMB2_SESSION_SETUP: smb2_cmd_session_setup(ctx, conv, m); break;
    case SMB2_LOGOFF: smb2_cmd_logoff(ctx, conv, m); break;
    case SMB2_TREE_CONNECT: smb2_cmd_tree_connect(ctx, conv, m); break;
    case SMB2_TREE_DISCONNECT: smb2_cmd_tree_disconnect(ctx, conv, m); break;
    case SMB2_CREATE: smb2_cmd_create(ctx, conv, m, chain); break;
    case SMB2_CLOSE: smb2_cmd_close(ctx, conv, m, chain); break;
    case SMB2_FLUSH: smb2_cmd_flush(ctx, conv, m, chain); break;
    case SMB2_READ: smb2_cmd_read(ctx, conv, m, chain); break;
    case SMB2_WRITE: smb2_cmd_write(ctx, conv, m, chain); break;
    case SMB2_LOCK: smb2_cmd_lock(ctx, conv, m, chain); break;
    case SMB2_IOCTL: smb2_cmd_ioctl(ctx, conv, m, chain); break;
    case SMB2_CANCEL: smb2_cmd_cancel(ctx, conv, m); break;
    case SMB2_ECHO: break;
    case SMB2_QUERY_DIRECTORY: smb2_cmd_query_directory(ctx, conv, m, chain); break;
    case SMB2_CHANGE_NOTIFY: smb2_cmd_change_notify(ctx, conv, m, chain); break;
    case SMB2_QUERY_INFO: smb2_cmd_query_info(ctx, conv, m, chain); break;
    case SMB2_SET_INFO: smb2_cmd_set_info(ctx, conv, m, chain); break;
    case SMB2_OPLOCK_BREAK: smb2_cmd_oplock_break(ctx, conv, m, chain); break;
    default: break;
    }
    if (!dt_cur_ok(&m->c))
        dt_malformed(ctx, dt_cur_offset(&m->c), "SMB2 %s %s body truncated at offset %zu", smb2_cmd_name(m->cmd),
                     m->response ? "response" : "request", dt_cur_offset(&m->c));
    else if (m->bad_range)
        dt_malformed(ctx, dt_cur_offset(&m->c), "SMB2 %s %s: a buffer offset/length points past the message (%zu bytes)",
                     smb2_cmd_name(m->cmd), m->response ? "response" : "request", m->c.len);
}
