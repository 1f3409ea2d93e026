/* DCE/RPC connection-oriented PDUs ([C706] chapter 12, [MS-RPCE]) as carried
 * by SMB named pipes (inner streams named after the pipe) and plain TCP:
 * bind/bind_ack with the interface named, request/response with the
 * operation named, faults, all paired by call id. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dcerpc_int.h"
#include "smb2_int.h"

enum {
    PT_REQUEST = 0, PT_PING = 1, PT_RESPONSE = 2, PT_FAULT = 3, PT_BIND = 11, PT_BIND_ACK = 12,
    PT_BIND_NAK = 13, PT_ALTER = 14, PT_ALTER_RESP = 15, PT_AUTH3 = 16, PT_SHUTDOWN = 17,
    PT_CANCEL = 18, PT_ORPHANED = 19,
};

#define PFC_FIRST_FRAG 0x01
#define PFC_LAST_FRAG 0x02
#define PFC_OBJECT_UUID 0x80

static const dt_value_name pkt_type_vals[] = {
    { PT_REQUEST, "Request" },   { PT_PING, "Ping" },           { PT_RESPONSE, "Response" },
    { PT_FAULT, "Fault" },       { PT_BIND, "Bind" },           { PT_BIND_ACK, "Bind_ack" },
    { PT_BIND_NAK, "Bind_nak" }, { PT_ALTER, "Alter_context" }, { PT_ALTER_RESP, "Alter_context_resp" },
    { PT_AUTH3, "AUTH3" },       { PT_SHUTDOWN, "Shutdown" },   { PT_CANCEL, "Co_cancel" },
    { PT_ORPHANED, "Orphaned" }, { 0, NULL },
};

static const dt_value_name ack_result_vals[] = {
    { 0, "acceptance" }, { 1, "user_rejection" }, { 2, "provider_rejection" }, { 3, "negotiate_ack" }, { 0, NULL },
};

enum dcerpc_field_id {
    D_VER, D_VER_MINOR, D_PKT_TYPE, D_FLAGS, D_DREP, D_FRAG_LEN, D_AUTH_LEN, D_CALL_ID, D_MAX_XMIT, D_MAX_RECV,
    D_ASSOC_GROUP, D_NUM_CTX, D_CTX_ID, D_IF_UUID, D_IF_VER, D_IF_VER_MINOR, D_TRANS_UUID, D_SEC_ADDR,
    D_ACK_RESULT, D_ACK_REASON, D_ALLOC_HINT, D_OPNUM, D_STATUS, D_INTERFACE, D_OPERATION, D_STUB_LEN,
    D_NAK_REASON, D_COUNT
};

static const dt_field_def dcerpc_hf[] = {
    [D_VER] = { "dcerpc.ver", "Version", DT_FT_UINT8, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_VER_MINOR] = { "dcerpc.ver_minor", "Version (minor)", DT_FT_UINT8, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_PKT_TYPE] = { "dcerpc.pkt_type", "Packet type", DT_FT_UINT8, DT_BASE_DEC, pkt_type_vals, 0, 0, NULL },
    [D_FLAGS] = { "dcerpc.cn_flags", "Packet Flags", DT_FT_UINT8, DT_BASE_HEX, NULL, 0, 0, NULL },
    [D_DREP] = { "dcerpc.drep", "Data Representation", DT_FT_BYTES, DT_BASE_NONE, NULL, 0, 0, NULL },
    [D_FRAG_LEN] = { "dcerpc.cn_frag_len", "Frag Length", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_AUTH_LEN] = { "dcerpc.cn_auth_len", "Auth Length", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_CALL_ID] = { "dcerpc.cn_call_id", "Call ID", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_MAX_XMIT] = { "dcerpc.cn_max_xmit", "Max Xmit Frag", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_MAX_RECV] = { "dcerpc.cn_max_recv", "Max Recv Frag", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_ASSOC_GROUP] = { "dcerpc.cn_assoc_group", "Assoc Group", DT_FT_UINT32, DT_BASE_HEX, NULL, 0, 0, NULL },
    [D_NUM_CTX] = { "dcerpc.cn_num_ctx_items", "Num Ctx Items", DT_FT_UINT8, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_CTX_ID] = { "dcerpc.cn_ctx_id", "Context ID", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_IF_UUID] = { "dcerpc.cn_bind_to_uuid", "Interface UUID", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, NULL },
    [D_IF_VER] = { "dcerpc.cn_bind_if_ver", "Interface Ver", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_IF_VER_MINOR] = { "dcerpc.cn_bind_if_ver_minor", "Interface Ver Minor", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_TRANS_UUID] = { "dcerpc.cn_bind_trans_id", "Transfer Syntax", DT_FT_GUID, DT_BASE_NONE, NULL, 0, 0, NULL },
    [D_SEC_ADDR] = { "dcerpc.cn_sec_addr", "Scndry Addr", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [D_ACK_RESULT] = { "dcerpc.cn_ack_result", "Ack result", DT_FT_UINT16, DT_BASE_DEC, ack_result_vals, 0, 0, NULL },
    [D_ACK_REASON] = { "dcerpc.cn_ack_reason", "Ack reason", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_ALLOC_HINT] = { "dcerpc.cn_alloc_hint", "Alloc hint", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_OPNUM] = { "dcerpc.opnum", "Opnum", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_STATUS] = { "dcerpc.cn_status", "Fault Status", DT_FT_UINT32, DT_BASE_HEX, dcerpc_fault_vals, 0, DT_FF_VALS_SORTED, NULL },
    [D_INTERFACE] = { "dcerpc.interface", "Interface", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [D_OPERATION] = { "dcerpc.operation", "Operation", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, NULL },
    [D_STUB_LEN] = { "dcerpc.stub_data_len", "Stub data length", DT_FT_UINT32, DT_BASE_DEC, NULL, 0, 0, NULL },
    [D_NAK_REASON] = { "dcerpc.cn_reject_reason", "Reject reason", DT_FT_UINT16, DT_BASE_DEC, NULL, 0, 0, NULL },
};

#define DF(id) (&dcerpc_hf[id])
#define MAX_CTX 16

typedef struct dcerpc_ctx_item {
    uint16_t ctx_id;
    int16_t iface; /* index in dcerpc_ifaces, -1 unknown */
    uint16_t ver;
    bool used;
} dcerpc_ctx_item;

typedef struct dcerpc_conv {
    dcerpc_ctx_item ctx[MAX_CTX];
    size_t next_slot;
} dcerpc_conv;

/* What a request leaves for its response. */
typedef struct dcerpc_req {
    uint8_t ptype;
    uint16_t opnum;
    int16_t iface;
    uint8_t n_items;
    dcerpc_ctx_item items[8]; /* bind/alter: offered contexts */
} dcerpc_req;

static int iface_find(const dt_guid *g)
{
    char s[37];
    dt_guid_format(g, s);
    for (int i = 0; dcerpc_ifaces[i].uuid; i++) {
        if (strcasecmp(dcerpc_ifaces[i].uuid, s) == 0)
            return i;
    }
    return -1;
}

static int ctx_iface(dcerpc_conv *c, uint16_t ctx_id)
{
    for (size_t i = 0; i < MAX_CTX; i++) {
        if (c->ctx[i].used && c->ctx[i].ctx_id == ctx_id)
            return c->ctx[i].iface;
    }
    return -1;
}

static void ctx_set(dcerpc_conv *c, const dcerpc_ctx_item *it)
{
    dcerpc_ctx_item *slot = NULL;
    for (size_t i = 0; i < MAX_CTX && !slot; i++) {
        if (c->ctx[i].used && c->ctx[i].ctx_id == it->ctx_id)
            slot = &c->ctx[i];
    }
    if (!slot)
        slot = &c->ctx[c->next_slot++ % MAX_CTX];
    *slot = *it;
    slot->used = true;
}

static void op_name(int iface, uint16_t opnum, char *out, size_t sz)
{
    if (iface < 0) {
        dt_snprintf(out, sz, "opnum %u", opnum);
        return;
    }
    const dcerpc_iface *f = &dcerpc_ifaces[iface];
    if (opnum < f->n_ops)
        dt_snprintf(out, sz, "%s.%s", f->name, f->ops[opnum]);
    else
        dt_snprintf(out, sz, "%s opnum %u", f->name, opnum);
}

static long dcerpc_frame(void *conv, dt_dir dir, const uint8_t *d, size_t avail)
{
    (void)conv;
    (void)dir;
    if (avail < 10)
        return DT_FRAME_NEED_MORE;
    if (d[0] != 5 || d[1] > 1 || d[2] > PT_ORPHANED)
        return -1;
    size_t len = (d[4] & 0x10) ? (size_t)(d[8] | (d[9] << 8)) : (size_t)((d[8] << 8) | d[9]);
    if (len < 16)
        return -1;
    return (long)len;
}

static int dcerpc_probe(const uint8_t *d, size_t len, dt_dir dir)
{
    (void)dir;
    if (len >= 16 && d[0] == 5 && d[1] <= 1 && (d[2] == PT_BIND || d[2] == PT_REQUEST) && (d[4] & 0xEE) == 0)
        return 60;
    return 0;
}

static uint16_t rd16(dt_cursor *c, bool le) { return le ? dt_cur_u16le(c) : dt_cur_u16be(c); }
static uint32_t rd32(dt_cursor *c, bool le) { return le ? dt_cur_u32le(c) : dt_cur_u32be(c); }

static dt_field *add16(dt_ctx *ctx, int id, dt_cursor *c, bool le, uint16_t *out)
{
    size_t off = dt_cur_offset(c);
    uint16_t v = rd16(c, le);
    if (!dt_cur_ok(c))
        return NULL;
    if (out)
        *out = v;
    return dt_add_uint(ctx, NULL, DF(id), off, 2, v);
}

static dt_field *add32(dt_ctx *ctx, int id, dt_cursor *c, bool le, uint32_t *out)
{
    size_t off = dt_cur_offset(c);
    uint32_t v = rd32(c, le);
    if (!dt_cur_ok(c))
        return NULL;
    if (out)
        *out = v;
    return dt_add_uint(ctx, NULL, DF(id), off, 4, v);
}

static void bind(dt_ctx *ctx, dcerpc_conv *conv, dt_cursor *c, bool le, uint32_t call_id, bool alter)
{
    (void)conv;
    uint16_t xmit = 0, recv = 0;
    uint32_t group = 0;
    add16(ctx, D_MAX_XMIT, c, le, &xmit);
    add16(ctx, D_MAX_RECV, c, le, &recv);
    add32(ctx, D_ASSOC_GROUP, c, le, &group);
    uint8_t n = 0;
    dt_add_u8(ctx, NULL, DF(D_NUM_CTX), c, &n);
    dt_cur_skip(c, 3);
    dcerpc_req *req = dt_pair_request(ctx, call_id, sizeof(dcerpc_req));
    if (req)
        req->ptype = alter ? PT_ALTER : PT_BIND;
    char ifaces[160] = "";
    for (unsigned i = 0; i < n && dt_cur_ok(c); i++) {
        uint16_t ctx_id = 0, ver = 0, minor = 0;
        add16(ctx, D_CTX_ID, c, le, &ctx_id);
        uint8_t ntrans = dt_cur_u8(c);
        dt_cur_skip(c, 1);
        size_t go = dt_cur_offset(c);
        dt_guid g;
        if (!dt_cur_guid(c, &g))
            break;
        dt_add_guid(ctx, NULL, DF(D_IF_UUID), go, &g);
        add16(ctx, D_IF_VER, c, le, &ver);
        add16(ctx, D_IF_VER_MINOR, c, le, &minor);
        for (unsigned t = 0; t < ntrans && dt_cur_ok(c); t++) {
            dt_add_guid_cur(ctx, NULL, DF(D_TRANS_UUID), c);
            dt_cur_skip(c, 4);
        }
        int idx = iface_find(&g);
        char gs[37];
        dt_guid_format(&g, gs);
        const char *name = idx >= 0 ? dcerpc_ifaces[idx].name : gs;
        dt_add_string(ctx, NULL, DF(D_INTERFACE), go, 16, name, strlen(name));
        /* Several items usually offer one interface with different
         * transfer syntaxes; name it once. */
        if (!strstr(ifaces, name))
            smb2_appendf(ifaces, sizeof ifaces, "%s%s v%u.%u", ifaces[0] ? ", " : "", name, ver, minor);
        if (req && req->n_items < 8) {
            dcerpc_ctx_item *it = &req->items[req->n_items++];
            it->ctx_id = ctx_id;
            it->iface = (int16_t)idx;
            it->ver = ver;
        }
    }
    dt_summary(ctx, "%s %s call_id=%u", alter ? "Alter_context" : "Bind", ifaces, call_id);
    dt_stats_key(ctx, alter ? "Alter_context" : "Bind");
}

static void bind_ack(dt_ctx *ctx, dcerpc_conv *conv, dt_cursor *c, bool le, uint32_t call_id, bool alter)
{
    uint16_t xmit = 0, recv = 0, alen = 0;
    uint32_t group = 0;
    add16(ctx, D_MAX_XMIT, c, le, &xmit);
    add16(ctx, D_MAX_RECV, c, le, &recv);
    add32(ctx, D_ASSOC_GROUP, c, le, &group);
    alen = rd16(c, le);
    size_t ao = dt_cur_offset(c);
    char addr[64];
    dt_cur_string(c, alen, addr, sizeof addr);
    if (alen && dt_cur_ok(c))
        dt_add_string(ctx, NULL, DF(D_SEC_ADDR), ao, alen, addr, strlen(addr));
    size_t rel = dt_cur_offset(c) - c->base; /* align to 4 from the PDU start */
    if (rel & 3)
        dt_cur_skip(c, 4 - (rel & 3));
    uint8_t n = dt_cur_u8(c);
    dt_cur_skip(c, 3);
    dcerpc_req *req = dt_pair_response(ctx, call_id, true);
    char ifaces[160] = "";
    unsigned accepted = 0, rejected = 0;
    for (unsigned i = 0; i < n && dt_cur_ok(c); i++) {
        uint16_t result = 0, reason = 0;
        add16(ctx, D_ACK_RESULT, c, le, &result);
        add16(ctx, D_ACK_REASON, c, le, &reason);
        dt_add_guid_cur(ctx, NULL, DF(D_TRANS_UUID), c);
        dt_cur_skip(c, 4);
        if (!dt_cur_ok(c))
            break;
        if (result == 0)
            accepted++;
        else
            rejected++;
        if (req && i < req->n_items && result == 0) {
            ctx_set(conv, &req->items[i]);
            int idx = req->items[i].iface;
            const char *name = idx >= 0 ? dcerpc_ifaces[idx].name : "unknown interface";
            dt_add_string(ctx, NULL, DF(D_INTERFACE), 0, 0, name, strlen(name));
            if (!strstr(ifaces, name))
                smb2_appendf(ifaces, sizeof ifaces, "%s%s", ifaces[0] ? ", " : "", name);
        }
    }
    dt_summary(ctx, "%s %s call_id=%u → %s", alter ? "Alter_context" : "Bind", ifaces[0] ? ifaces : "?", call_id,
               accepted ? "accepted" : "rejected");
    if (accepted && rejected)
        dt_summary_append(ctx, " (%u of %u contexts)", accepted, accepted + rejected);
    if (accepted)
        dt_summary_append(ctx, ", max_xmit %u", xmit);
    dt_stats_key(ctx, alter ? "Alter_context" : "Bind");
    dt_status(ctx, accepted ? "accepted" : "rejected", accepted == 0);
}

static void dcerpc_dissect(dt_ctx *ctx)
{
    dcerpc_conv *conv = ctx->conv;
    dt_cursor c = dt_cursor_make(ctx->pdu, ctx->pdu_len);
    const uint8_t *h = dt_cur_peek(&c, 0, 16);
    if (!h) {
        dt_malformed(ctx, 0, "DCE/RPC header truncated: %zu of 16 bytes", ctx->pdu_len);
        dt_summary(ctx, "DCE/RPC (truncated, %zu bytes)", ctx->pdu_len);
        return;
    }
    bool le = h[4] & 0x10;
    uint8_t ver, minor, ptype, flags;
    uint16_t frag_len = 0, auth_len = 0;
    uint32_t call_id = 0;
    dt_add_u8(ctx, NULL, DF(D_VER), &c, &ver);
    dt_add_u8(ctx, NULL, DF(D_VER_MINOR), &c, &minor);
    dt_add_u8(ctx, NULL, DF(D_PKT_TYPE), &c, &ptype);
    dt_add_u8(ctx, NULL, DF(D_FLAGS), &c, &flags);
    dt_add_bytes(ctx, NULL, DF(D_DREP), 4, 4, h + 4, 4);
    dt_cur_skip(&c, 4);
    add16(ctx, D_FRAG_LEN, &c, le, &frag_len);
    add16(ctx, D_AUTH_LEN, &c, le, &auth_len);
    add32(ctx, D_CALL_ID, &c, le, &call_id);
    /* The stub ends where the auth trailer (8 bytes + auth_len) starts. */
    size_t body_end = ctx->pdu_len;
    if (auth_len && (size_t)auth_len + 8 + 16 <= body_end)
        body_end -= (size_t)auth_len + 8;
    dt_cursor b = dt_cursor_make(ctx->pdu, body_end);
    dt_cur_seek(&b, 16);

    const char *tn = dt_value_name_find(pkt_type_vals, ptype, false);
    char frag[32] = "";
    if ((ptype == PT_REQUEST || ptype == PT_RESPONSE) && (flags & 3) != 3)
        dt_snprintf(frag, sizeof frag, " [fragment%s%s]", (flags & PFC_FIRST_FRAG) ? " first" : "",
                    (flags & PFC_LAST_FRAG) ? " last" : "");
    switch (ptype) {
    case PT_BIND:
    case PT_ALTER:
        bind(ctx, conv, &b, le, call_id, ptype == PT_ALTER);
        break;
    case PT_BIND_ACK:
    case PT_ALTER_RESP:
        bind_ack(ctx, conv, &b, le, call_id, ptype == PT_ALTER_RESP);
        break;
    case PT_BIND_NAK: {
        uint16_t reason = 0;
        add16(ctx, D_NAK_REASON, &b, le, &reason);
        dt_pair_response(ctx, call_id, true);
        dt_summary(ctx, "Bind call_id=%u → rejected (reason %u)", call_id, reason);
        dt_stats_key(ctx, "Bind");
        dt_status(ctx, "bind_nak", true);
        break;
    }
    case PT_REQUEST: {
        uint32_t hint = 0;
        uint16_t ctx_id = 0, opnum = 0;
        add32(ctx, D_ALLOC_HINT, &b, le, &hint);
        add16(ctx, D_CTX_ID, &b, le, &ctx_id);
        add16(ctx, D_OPNUM, &b, le, &opnum);
        if (flags & PFC_OBJECT_UUID)
            dt_cur_skip(&b, 16);
        int iface = ctx_iface(conv, ctx_id);
        char op[96];
        op_name(iface, opnum, op, sizeof op);
        dt_add_string(ctx, NULL, DF(D_OPERATION), 0, 0, op, strlen(op));
        size_t stub = dt_cur_left(&b);
        dt_add_uint(ctx, NULL, DF(D_STUB_LEN), dt_cur_offset(&b), stub, stub);
        if (flags & PFC_FIRST_FRAG) {
            dcerpc_req *req = dt_pair_request(ctx, call_id, sizeof(dcerpc_req));
            if (req) {
                req->ptype = PT_REQUEST;
                req->opnum = opnum;
                req->iface = (int16_t)iface;
            }
        }
        dt_summary(ctx, "Request %s call_id=%u stub=%zu%s", op, call_id, stub, frag);
        dt_stats_key(ctx, op);
        break;
    }
    case PT_RESPONSE:
    case PT_FAULT: {
        uint32_t hint = 0, status = 0;
        uint16_t ctx_id = 0;
        add32(ctx, D_ALLOC_HINT, &b, le, &hint);
        add16(ctx, D_CTX_ID, &b, le, &ctx_id);
        dt_cur_skip(&b, 2);
        if (ptype == PT_FAULT)
            add32(ctx, D_STATUS, &b, le, &status);
        dcerpc_req *req = NULL;
        if ((flags & PFC_LAST_FRAG) || ptype == PT_FAULT)
            req = dt_pair_response(ctx, call_id, true);
        char op[96];
        if (req && req->ptype == PT_REQUEST) {
            op_name(req->iface, req->opnum, op, sizeof op);
            dt_add_uint(ctx, NULL, DF(D_OPNUM), 0, 0, req->opnum); /* generated, as Wireshark does */
        }
        else
            smb2_copy(op, sizeof op, ctx_iface(conv, ctx_id) >= 0 ? dcerpc_ifaces[ctx_iface(conv, ctx_id)].name : "call");
        dt_add_string(ctx, NULL, DF(D_OPERATION), 0, 0, op, strlen(op));
        dt_stats_key(ctx, op);
        if (ptype == PT_FAULT) {
            const char *sn = dt_value_name_find(dcerpc_fault_vals, status, true);
            if (!sn)
                sn = dt_value_name_bsearch(smb2_ntstatus_vals, smb2_ntstatus_count, status);
            char sb[16];
            if (!sn) {
                dt_snprintf(sb, sizeof sb, "0x%08x", status);
                sn = sb;
            }
            dt_summary(ctx, "%s call_id=%u → fault %s", op, call_id, sn);
            dt_status(ctx, sn, true);
        } else {
            size_t stub = dt_cur_left(&b);
            dt_add_uint(ctx, NULL, DF(D_STUB_LEN), dt_cur_offset(&b), stub, stub);
            dt_summary(ctx, "Response %s call_id=%u → %zu bytes%s", op, call_id, stub, frag);
        }
        break;
    }
    default:
        dt_summary(ctx, "%s call_id=%u", tn ? tn : "DCE/RPC", call_id);
        dt_stats_key(ctx, tn ? tn : "DCE/RPC");
        break;
    }
    if (!dt_cur_ok(&b) || !dt_cur_ok(&c))
        dt_malformed(ctx, dt_cur_offset(&b), "DCE/RPC %s truncated at offset %zu", tn ? tn : "PDU", dt_cur_offset(&b));
    if (frag_len != ctx->pdu_len)
        dt_malformed(ctx, 8, "frag_len %u but the PDU has %zu bytes", frag_len, ctx->pdu_len);
}

static const char *const dcerpc_inner_names[] = {
    "srvsvc", "wkssvc", "lsarpc", "lsass", "samr", "netlogon", "winreg", "svcctl", "ntsvcs", "epmapper",
    "spoolss", "eventlog", "atsvc", "netdfs", "dssetup", "browser", "protected_storage", "w32time",
    "initshutdown", "ntlsa", "scerpc", "drsuapi", "mgmt", NULL,
};

static const uint16_t dcerpc_tcp_ports[] = { 135, 0 };

static const dt_dissector dcerpc_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "dcerpc",
    .display_name = "DCERPC",
    .description = "DCE/RPC connection-oriented (MS-RPCE) over SMB named pipes and TCP",
    .fields = dcerpc_hf,
    .n_fields = D_COUNT,
    .transports = DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM | DT_TRANSPORT_INNER,
    .tcp_ports = dcerpc_tcp_ports,
    .inner_names = dcerpc_inner_names,
    .probe = dcerpc_probe,
    .frame = dcerpc_frame,
    .dissect = dcerpc_dissect,
    .conv_size = sizeof(dcerpc_conv),
};

int dt_dcerpc_register(dt_registry *reg)
{
    return dt_register(reg, &dcerpc_dissector);
}
