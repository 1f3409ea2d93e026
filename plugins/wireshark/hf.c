/* hf_register_info generated from a diagtap field table. */
#include "dtws.h"

#include <epan/proto.h>

enum ftenum dtws_ftype(dt_ftype t)
{
    switch (t) {
    case DT_FT_NONE: return FT_NONE;
    case DT_FT_BOOL: return FT_BOOLEAN;
    case DT_FT_UINT8: return FT_UINT8;
    case DT_FT_UINT16: return FT_UINT16;
    case DT_FT_UINT32: return FT_UINT32;
    case DT_FT_UINT64: return FT_UINT64;
    case DT_FT_INT32: return FT_INT32;
    case DT_FT_INT64: return FT_INT64;
    case DT_FT_DOUBLE: return FT_DOUBLE;
    case DT_FT_STRING: return FT_STRING;
    case DT_FT_BYTES: return FT_BYTES;
    case DT_FT_GUID: return FT_GUID;
    case DT_FT_IPV4: return FT_IPv4;
    case DT_FT_IPV6: return FT_IPv6;
    case DT_FT_ABSTIME: return FT_ABSOLUTE_TIME;
    case DT_FT_RELTIME: return FT_RELATIVE_TIME;
    }
    return FT_NONE;
}

static int ws_int_base(dt_fbase b)
{
    switch (b) {
    case DT_BASE_HEX: return BASE_HEX;
    case DT_BASE_DEC_HEX: return BASE_DEC_HEX;
    default: return BASE_DEC;
    }
}

/* Wireshark's value_string (32-bit) or val64_string from dt_value_name; the
 * arrays live as long as the plugin, like any hf's strings. */
static const void *ws_vals(const dt_field_def *def, bool *is64)
{
    size_t n = 0;
    while (def->vals[n].name)
        n++;
    *is64 = def->type == DT_FT_UINT64 || def->type == DT_FT_INT64;
    if (*is64) {
        val64_string *v = g_new0(val64_string, n + 1);
        for (size_t i = 0; i < n; i++) {
            v[i].value = def->vals[i].value;
            v[i].strptr = def->vals[i].name;
        }
        return v;
    }
    value_string *v = g_new0(value_string, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = def->vals[i].value;
        if (def->type == DT_FT_INT32)
            x = (guint32)(gint32)(int64_t)x; /* a negative value, as Wireshark compares it */
        else if (x > G_MAXUINT32)
            continue; /* cannot occur in a 32-bit field */
        v[k].value = (guint32)x;
        v[k].strptr = def->vals[i].name;
        k++;
    }
    return v;
}

static void fill_hf(header_field_info *h, const dt_field_def *def)
{
    h->name = def->name;
    h->abbrev = def->abbrev;
    h->type = dtws_ftype(def->type);
    h->blurb = def->blurb;
    /* Bit fields carry their extracted value in diagtap: no mask here. */
    h->bitmask = 0;
    h->strings = NULL;
    switch (def->type) {
    case DT_FT_UINT8:
    case DT_FT_UINT16:
    case DT_FT_UINT32:
    case DT_FT_UINT64:
        h->display = ws_int_base(def->base);
        if (def->vals) {
            bool is64;
            h->strings = ws_vals(def, &is64);
            if (is64)
                h->display |= BASE_VAL64_STRING;
        }
        break;
    case DT_FT_INT32:
    case DT_FT_INT64:
        h->display = BASE_DEC; /* Wireshark shows signed values in decimal only */
        if (def->vals) {
            bool is64;
            h->strings = ws_vals(def, &is64);
            if (is64)
                h->display |= BASE_VAL64_STRING;
        }
        break;
    case DT_FT_STRING:
        h->display = BASE_NONE;
        break;
    case DT_FT_ABSTIME:
        h->display = ABSOLUTE_TIME_UTC;
        break;
    default:
        h->display = BASE_NONE;
        break;
    }
}

void dtws_register_fields(dtws_proto *p)
{
    const dt_dissector *d = p->d;
    size_t n = d->n_fields;
    p->hf = g_new(int, n ? n : 1);
    p->ett_field = g_new(gint, n ? n : 1);
    hf_register_info *hf = g_new0(hf_register_info, n ? n : 1);
    gint **ett = g_new(gint *, n + 1);

    p->ett = -1;
    ett[0] = &p->ett;
    for (size_t i = 0; i < n; i++) {
        p->hf[i] = -1;
        p->ett_field[i] = -1;
        ett[i + 1] = &p->ett_field[i];
        hf[i].p_id = &p->hf[i];
        fill_hf(&hf[i].hfinfo, &d->fields[i]);
        hf[i].hfinfo.id = -1;
        hf[i].hfinfo.parent = 0;
        hf[i].hfinfo.ref_type = HF_REF_TYPE_NONE;
        hf[i].hfinfo.same_name_prev_id = -1;
        hf[i].hfinfo.same_name_next = NULL;
    }
    if (n)
        proto_register_field_array(p->proto, hf, (int)n);
    proto_register_subtree_array(ett, (int)n + 1);
}

int dtws_field_index(const dtws_proto *p, const dt_field_def *def)
{
    const dt_field_def *first = p->d->fields;
    if (!def || !first || def < first || def >= first + p->d->n_fields)
        return -1;
    return (int)(def - first);
}
