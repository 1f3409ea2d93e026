/* EventPipe event payloads decoded from their metadata's field schema. An
 * EventCounters payload additionally yields "counter name = value". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clr_events.h"
#include "nettrace.h"

#define MAX_DEPTH 8
#define MAX_SUMMARY_ARGS 8
#define MAX_ARRAY_SHOWN 16

typedef struct decoder {
    dt_ctx *ctx;
    dt_field *parent;
    int n_summary;
    bool is_counter;
    char counter_name[128];
    bool have_counter_name;
    double counter_value;
    bool have_counter_value;
    char counter_units[32];
} decoder;

static const char *leaf_name(const char *full)
{
    const char *dot = strrchr(full, '.');
    return dot ? dot + 1 : full;
}

static void emit(decoder *d, const char *name, const char *value, bool quiet)
{
    if (quiet)
        return;
    char text[512];
    int n = snprintf(text, sizeof text, "%s=%s", name, value);
    if (n < 0)
        return;
    dt_add_string(d->ctx, d->parent, &nt_fields[NTF_ARG], 0, 0, text,
                  (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
    if (d->n_summary < MAX_SUMMARY_ARGS && !d->is_counter)
        dt_summary_append(d->ctx, " %s=%.60s", name, value);
    d->n_summary++;
}

static void format_filetime(uint64_t ft, char *out, size_t outsz)
{
    const uint64_t epoch_diff = 116444736000000000ull; /* 1601 → 1970 in 100 ns */
    if (ft < epoch_diff || ft == UINT64_MAX) {
        snprintf(out, outsz, "%" PRIu64, ft);
        return;
    }
    uint64_t t = ft - epoch_diff;
    time_t secs = (time_t)(t / 10000000u);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || !strftime(out, outsz, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(out, outsz, "%" PRIu64, ft);
        return;
    }
    size_t n = strlen(out);
    snprintf(out + n, outsz - n, ".%07" PRIu64 "Z", t % 10000000u);
}

/* Reads one primitive value of type into out; false on overrun or unknown type. */
static bool read_primitive(dt_cursor *p, uint32_t type, char *out, size_t outsz, double *num, bool *is_num)
{
    *is_num = false;
    switch (type) {
    case 3: { uint32_t v = dt_cur_u32le(p); snprintf(out, outsz, "%s", v ? "true" : "false"); break; }
    case 4: {
        uint16_t v = dt_cur_u16le(p);
        if (v >= 0x20 && v < 0x7f)
            snprintf(out, outsz, "%c", (char)v);
        else
            snprintf(out, outsz, "U+%04X", v);
        break;
    }
    case 5: { int8_t v = (int8_t)dt_cur_u8(p); snprintf(out, outsz, "%d", v); *num = v; *is_num = true; break; }
    case 6: { uint8_t v = dt_cur_u8(p); snprintf(out, outsz, "%u", v); *num = v; *is_num = true; break; }
    case 7: { int16_t v = (int16_t)dt_cur_u16le(p); snprintf(out, outsz, "%d", v); *num = v; *is_num = true; break; }
    case 8: { uint16_t v = dt_cur_u16le(p); snprintf(out, outsz, "%u", v); *num = v; *is_num = true; break; }
    case 9: { int32_t v = dt_cur_i32le(p); snprintf(out, outsz, "%" PRId32, v); *num = v; *is_num = true; break; }
    case 10: { uint32_t v = dt_cur_u32le(p); snprintf(out, outsz, "%" PRIu32, v); *num = v; *is_num = true; break; }
    case 11: { int64_t v = dt_cur_i64le(p); snprintf(out, outsz, "%" PRId64, v); *num = (double)v; *is_num = true; break; }
    case 12: { uint64_t v = dt_cur_u64le(p); snprintf(out, outsz, "%" PRIu64, v); *num = (double)v; *is_num = true; break; }
    case 13: {
        uint32_t bits = dt_cur_u32le(p);
        float f;
        memcpy(&f, &bits, sizeof f);
        snprintf(out, outsz, "%.9g", (double)f);
        *num = f;
        *is_num = true;
        break;
    }
    case 14: {
        uint64_t bits = dt_cur_u64le(p);
        double f;
        memcpy(&f, &bits, sizeof f);
        snprintf(out, outsz, "%.17g", f);
        *num = f;
        *is_num = true;
        break;
    }
    case 15: {
        const uint8_t *b = dt_cur_bytes(p, 16);
        if (b) {
            size_t k = 0;
            for (int i = 0; i < 16 && k + 3 <= outsz; i++)
                k += (size_t)snprintf(out + k, outsz - k, "%02x", b[i]);
        }
        break;
    }
    case 16: format_filetime(dt_cur_u64le(p), out, outsz); break;
    case 17: {
        dt_guid g;
        if (dt_cur_guid(p, &g)) {
            char t[37];
            dt_guid_format(&g, t);
            snprintf(out, outsz, "%s", t);
        }
        break;
    }
    case 18: dt_cur_utf16le_z(p, out, outsz); break;
    default: return false;
    }
    return dt_cur_ok(p);
}

static bool decode_desc(decoder *d, dt_cursor schema, bool v2, dt_cursor *p, const char *prefix, int depth,
                        bool quiet);

static void note_counter(decoder *d, const char *name, const char *text, double num, bool is_num)
{
    const char *leaf = leaf_name(name);
    if (strcmp(leaf, "Name") == 0 && !d->have_counter_name) {
        snprintf(d->counter_name, sizeof d->counter_name, "%s", text);
        d->have_counter_name = true;
    } else if (is_num && (strcmp(leaf, "Mean") == 0 || strcmp(leaf, "Increment") == 0)) {
        d->counter_value = num;
        d->have_counter_value = true;
    } else if (strcmp(leaf, "DisplayUnits") == 0) {
        snprintf(d->counter_units, sizeof d->counter_units, "%s", text);
    }
}

static bool decode_value(decoder *d, uint32_t type, uint32_t elem, dt_cursor nested, bool v2, dt_cursor *p,
                         const char *name, int depth, bool quiet)
{
    if (depth > MAX_DEPTH)
        return false;
    if (type == 1)
        return decode_desc(d, nested, v2, p, name, depth + 1, quiet);
    if (type == 19) {
        uint16_t count = dt_cur_u16le(p);
        if (!dt_cur_ok(p))
            return false;
        char list[256];
        size_t k = (size_t)snprintf(list, sizeof list, "[%u]", count);
        for (uint32_t i = 0; i < count; i++) {
            char ename[160];
            snprintf(ename, sizeof ename, "%.140s[%u]", name, i);
            bool q = quiet || i >= MAX_ARRAY_SHOWN;
            if (elem == 1) {
                if (!decode_desc(d, nested, v2, p, ename, depth + 1, q))
                    return false;
                continue;
            }
            char text[128];
            double num;
            bool is_num;
            if (!read_primitive(p, elem, text, sizeof text, &num, &is_num))
                return false;
            if (i < MAX_ARRAY_SHOWN && k + strlen(text) + 8 < sizeof list)
                k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? "," : " ", text);
            else if (i == MAX_ARRAY_SHOWN && k + 5 < sizeof list)
                k += (size_t)snprintf(list + k, sizeof list - k, ",...");
        }
        if (elem != 1)
            emit(d, name, list, quiet);
        return true;
    }
    char text[400];
    double num = 0;
    bool is_num = false;
    text[0] = '\0';
    if (!read_primitive(p, type, text, sizeof text, &num, &is_num))
        return false;
    if (d->is_counter)
        note_counter(d, name, text, num, is_num);
    emit(d, name, text, quiet);
    return true;
}

static bool decode_desc(decoder *d, dt_cursor schema, bool v2, dt_cursor *p, const char *prefix, int depth,
                        bool quiet)
{
    if (depth > MAX_DEPTH)
        return false;
    uint32_t n = dt_cur_u32le(&schema);
    for (uint32_t i = 0; i < n && dt_cur_ok(&schema); i++) {
        char fname[96], full[160];
        uint32_t type, elem = 0;
        dt_cursor nested;
        if (v2) {
            uint32_t size = dt_cur_u32le(&schema);
            dt_cursor f = dt_cur_sub(&schema, size >= 4 ? size - 4 : 0);
            dt_cur_utf16le_z(&f, fname, sizeof fname);
            type = dt_cur_u32le(&f);
            if (type == 19)
                elem = dt_cur_u32le(&f);
            nested = f;
        } else {
            type = dt_cur_u32le(&schema);
            nested = schema;
            /* an object's nested description comes before the field's name */
            if (type == 1 && !nt_skip_desc_v1(&schema, depth + 1))
                return false;
            dt_cur_utf16le_z(&schema, fname, sizeof fname);
        }
        if (!dt_cur_ok(&schema))
            return false;
        if (prefix && prefix[0])
            snprintf(full, sizeof full, "%s.%s", prefix, fname);
        else
            snprintf(full, sizeof full, "%s", fname);
        if (!decode_value(d, type, elem, nested, v2, p, full, depth, quiet))
            return false;
    }
    return dt_cur_ok(&schema);
}

/* A runtime event laid out by the CLR manifest's template. */
static bool decode_builtin(decoder *d, const dt_clr_template *t, uint32_t psize, dt_cursor *p)
{
    for (uint16_t i = 0; i < t->n_fields; i++) {
        const dt_clr_field *f = &t->fields[i];
        char text[400];
        uint64_t v = 0;
        bool is_int = true;
        switch (f->type) {
        case DT_CLR_U8: v = dt_cur_u8(p); break;
        case DT_CLR_U16: v = dt_cur_u16le(p); break;
        case DT_CLR_U32: v = dt_cur_u32le(p); break;
        case DT_CLR_U64: v = dt_cur_u64le(p); break;
        case DT_CLR_PTR: v = psize == 4 ? dt_cur_u32le(p) : dt_cur_u64le(p); break;
        case DT_CLR_BOOL: v = dt_cur_u32le(p) != 0; break;
        case DT_CLR_I32: {
            int32_t x = dt_cur_i32le(p);
            snprintf(text, sizeof text, "%" PRId32, x);
            is_int = false;
            break;
        }
        case DT_CLR_DOUBLE: {
            double num;
            bool is_num;
            read_primitive(p, 14, text, sizeof text, &num, &is_num);
            is_int = false;
            break;
        }
        case DT_CLR_GUID: {
            double num;
            bool is_num;
            read_primitive(p, 17, text, sizeof text, &num, &is_num);
            is_int = false;
            break;
        }
        case DT_CLR_UTF16Z: dt_cur_utf16le_z(p, text, sizeof text); is_int = false; break;
        case DT_CLR_ANSIZ: dt_cur_cstring(p, text, sizeof text); is_int = false; break;
        }
        if (!dt_cur_ok(p))
            return false;
        if (is_int) {
            const char *name = f->map ? dt_value_name_find(f->map, v, true) : NULL;
            if (name)
                snprintf(text, sizeof text, "%s", name);
            else if (f->type == DT_CLR_BOOL)
                snprintf(text, sizeof text, "%s", v ? "true" : "false");
            else if (f->hex || f->type == DT_CLR_PTR)
                snprintf(text, sizeof text, "0x%" PRIx64, v);
            else
                snprintf(text, sizeof text, "%" PRIu64, v);
        }
        emit(d, f->name, text, false);
        if (dt_cur_eof(p))
            break; /* older runtimes send fewer fields than the newest template */
    }
    return true;
}

void nt_payload_decode(dt_ctx *ctx, const nt_meta *m, uint32_t pointer_size, dt_field *parent, dt_cursor *payload)
{
    decoder d;
    memset(&d, 0, sizeof d);
    d.ctx = ctx;
    d.parent = parent;
    d.is_counter = m->is_counter;
    if (m->builtin && (!m->schema || m->field_count == 0)) {
        size_t start = dt_cur_offset(payload);
        if (!decode_builtin(&d, m->builtin, pointer_size, payload))
            dt_malformed(ctx, start, "payload shorter than the %s/%s layout", m->provider, m->name);
        if (d.n_summary > MAX_SUMMARY_ARGS)
            dt_summary_append(ctx, " …");
        return;
    }
    if (!m->schema || m->field_count == 0) {
        if (dt_cur_left(payload))
            dt_summary_append(ctx, " (%zu bytes)", dt_cur_left(payload));
        return;
    }
    size_t start = dt_cur_offset(payload);
    dt_cursor schema = dt_cursor_make(m->schema, m->schema_len);
    if (!decode_desc(&d, schema, m->schema_v2, payload, "", 0, false))
        dt_malformed(ctx, start, "payload does not match the schema of %s/%s", m->provider, m->name);
    if (d.n_summary > MAX_SUMMARY_ARGS && !d.is_counter)
        dt_summary_append(ctx, " …");
    if (d.is_counter && d.have_counter_name && d.have_counter_value) {
        dt_add_string(ctx, parent, &nt_fields[NTF_COUNTER_NAME], 0, 0, d.counter_name, strlen(d.counter_name));
        dt_add_double(ctx, parent, &nt_fields[NTF_COUNTER_VALUE], 0, 0, d.counter_value);
        dt_summary_append(ctx, " %s = %.10g%s%s", d.counter_name, d.counter_value, d.counter_units[0] ? " " : "",
                          d.counter_units);
    }
}
