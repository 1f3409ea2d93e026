/* A cached diagtap event as a Wireshark protocol tree. */
#include "dtws.h"


#include <epan/proto.h>
#include <wsutil/inet_ipv6.h>

#include "core/sinks/format.h"

static e_guid_t guid_from_wire(const uint8_t b[16])
{
    e_guid_t g;
    g.data1 = (guint32)b[0] | ((guint32)b[1] << 8) | ((guint32)b[2] << 16) | ((guint32)b[3] << 24);
    g.data2 = (guint16)(b[4] | (b[5] << 8));
    g.data3 = (guint16)(b[6] | (b[7] << 8));
    memcpy(g.data4, b + 8, 8);
    return g;
}

static nstime_t ns_time(uint64_t ns, bool relative)
{
    nstime_t t;
    if (relative && (int64_t)ns < 0) {
        int64_t v = (int64_t)ns;
        t.secs = (time_t)(v / 1000000000);
        t.nsecs = (int)(v % 1000000000);
    } else {
        t.secs = (time_t)(ns / 1000000000u);
        t.nsecs = (int)(ns % 1000000000u);
    }
    return t;
}

static proto_item *add_value(proto_tree *tree, int hf, tvbuff_t *tvb, int off, int len, const dt_field *f)
{
    const dt_field_def *def = f->def;
    /* Credentials arrive redacted from the engine unless the show_credentials
     * preference is on. */
    switch (def->type) {
    case DT_FT_NONE:
        return proto_tree_add_item(tree, hf, tvb, off, len, ENC_NA);
    case DT_FT_BOOL:
        return proto_tree_add_boolean(tree, hf, tvb, off, len, f->v.u != 0);
    case DT_FT_UINT8:
    case DT_FT_UINT16:
    case DT_FT_UINT32:
        return proto_tree_add_uint(tree, hf, tvb, off, len, (guint32)f->v.u);
    case DT_FT_UINT64:
        return proto_tree_add_uint64(tree, hf, tvb, off, len, f->v.u);
    case DT_FT_INT32:
        return proto_tree_add_int(tree, hf, tvb, off, len, (gint32)f->v.i);
    case DT_FT_INT64:
        return proto_tree_add_int64(tree, hf, tvb, off, len, f->v.i);
    case DT_FT_DOUBLE:
        return proto_tree_add_double(tree, hf, tvb, off, len, f->v.d);
    case DT_FT_STRING:
        return proto_tree_add_string(tree, hf, tvb, off, len, f->v.s.ptr ? f->v.s.ptr : "");
    case DT_FT_BYTES:
        return proto_tree_add_bytes_with_length(tree, hf, tvb, off, len, (const guint8 *)f->v.s.ptr,
                                                (gint)f->v.s.len);
    case DT_FT_GUID: {
        e_guid_t g = guid_from_wire(f->v.b16);
        return proto_tree_add_guid(tree, hf, tvb, off, len, &g);
    }
    case DT_FT_IPV4:
        return proto_tree_add_ipv4(tree, hf, tvb, off, len, f->v.ip4);
    case DT_FT_IPV6: {
        ws_in6_addr a;
        memcpy(a.bytes, f->v.b16, 16);
        return proto_tree_add_ipv6(tree, hf, tvb, off, len, &a);
    }
    case DT_FT_ABSTIME:
    case DT_FT_RELTIME: {
        nstime_t t = ns_time(f->v.u, def->type == DT_FT_RELTIME);
        return proto_tree_add_time(tree, hf, tvb, off, len, &t);
    }
    }
    return NULL;
}

static void add_fields(const dtws_proto *p, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const dt_field *f)
{
    guint tvb_len = tvb_captured_length(tvb);
    for (; f; f = f->next) {
        /* Fields not read from these bytes (decrypted or decompressed data,
         * computed values) are shown as generated. */
        bool generated = f->length == 0 || f->offset > tvb_len || f->length > tvb_len - f->offset;
        int off = generated ? 0 : (int)f->offset;
        int len = generated ? 0 : (int)f->length;
        int idx = dtws_field_index(p, f->def);
        proto_item *it;
        if (idx >= 0) {
            it = add_value(tree, p->hf[idx], tvb, off, len, f);
        } else if (f->def->abbrev && (idx = proto_registrar_get_id_byname(f->def->abbrev)) >= 0 &&
                   proto_registrar_get_ftype(idx) == dtws_ftype(f->def->type)) {
            /* a core field such as diagtap.malformed, registered by plugin.c */
            it = add_value(tree, idx, tvb, off, len, f);
            if (strstr(f->def->abbrev, "malformed"))
                expert_add_info_format(pinfo, it, &dtws_g.ei_malformed, "%s", f->v.s.ptr ? f->v.s.ptr : "");
            idx = -1;
        } else {
            char val[512];
            dt_fmt_value(f, val, sizeof val); /* as diagtap's timeline shows it */
            it = proto_tree_add_string_format(tree, dtws_g.hf_text, tvb, off, len, val, "%s: %s",
                                              f->def->name ? f->def->name : f->def->abbrev, val);
            if (f->def->abbrev && strstr(f->def->abbrev, "malformed"))
                expert_add_info_format(pinfo, it, &dtws_g.ei_malformed, "%s", val);
        }
        if (generated)
            proto_item_set_generated(it);
        if (f->child) {
            proto_tree *sub = proto_item_add_subtree(it, idx >= 0 ? p->ett_field[idx] : p->ett);
            add_fields(p, tvb, pinfo, sub, f->child);
        }
    }
}

void dtws_tree_add_event(const dtws_proto *p, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_item *pi,
                         const dtws_event *ev)
{
    proto_item *sum = proto_tree_add_string(tree, dtws_g.hf_summary, tvb, 0, 0, ev->summary);
    proto_item_set_generated(sum);
    proto_item *dir = proto_tree_add_string(tree, dtws_g.hf_dir, tvb, 0, 0, ev->dir == DT_DIR_C2S ? "c2s" : "s2c");
    proto_item_set_generated(dir);
    add_fields(p, tvb, pinfo, tree, ev->fields);
    if (ev->role == DT_ROLE_REQUEST && ev->rsp_frame) {
        proto_item *it = proto_tree_add_uint(tree, dtws_g.hf_response_in, tvb, 0, 0, ev->rsp_frame);
        proto_item_set_generated(it);
    }
    if ((ev->role == DT_ROLE_RESPONSE || ev->role == DT_ROLE_INTERIM) && ev->req_frame) {
        proto_item *it = proto_tree_add_uint(tree, dtws_g.hf_response_to, tvb, 0, 0, ev->req_frame);
        proto_item_set_generated(it);
    }
    if (ev->has_latency) {
        nstime_t t = ns_time(ev->latency_ns, true);
        proto_item *it = proto_tree_add_time(tree, dtws_g.hf_latency, tvb, 0, 0, &t);
        proto_item_set_generated(it);
    }
    if (ev->status) {
        proto_item *it = proto_tree_add_string(tree, dtws_g.hf_status, tvb, 0, 0, ev->status);
        proto_item_set_generated(it);
        if (ev->is_error)
            expert_add_info_format(pinfo, it, &dtws_g.ei_error_status, "%s", ev->status);
    }
    if (ev->malformed && pi)
        expert_add_info(pinfo, pi, &dtws_g.ei_malformed);
}
