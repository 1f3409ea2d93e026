/* The per-stream metadata table: records from MetadataBlocks, looked up by
 * the events' MetadataId. Strings and schemas go to a chunked pool that
 * never moves, so records can point into it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clr_events.h"
#include "nettrace.h"

struct nt_pool_chunk {
    nt_pool_chunk *next;
    size_t used, cap;
    size_t total; /* bytes of all chunks up to this one */
    uint8_t data[];
};

#define NT_POOL_CHUNK (64u * 1024u)

static void *pool_alloc(nt_stream *s, size_t n)
{
    size_t need = (n + 7) & ~(size_t)7;
    nt_pool_chunk *c = s->pool;
    if (!c || c->cap - c->used < need) {
        size_t total = c ? c->total : 0;
        size_t cap = need > NT_POOL_CHUNK ? need : NT_POOL_CHUNK;
        if (total + cap > NT_MAX_POOL)
            return NULL;
        nt_pool_chunk *nc = malloc(sizeof *nc + cap);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        nc->total = total + cap;
        s->pool = nc;
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += need;
    return p;
}

static const char *pool_str(nt_stream *s, const char *str)
{
    size_t n = strlen(str) + 1;
    char *p = pool_alloc(s, n);
    if (p)
        memcpy(p, str, n);
    return p;
}

void nt_stream_init(nt_stream *s) { memset(s, 0, sizeof *s); }

void nt_stream_free(nt_stream *s)
{
    while (s->pool) {
        nt_pool_chunk *n = s->pool->next;
        free(s->pool);
        s->pool = n;
    }
    free(s->meta);
    s->meta = NULL;
    s->n_meta = s->cap_meta = 0;
}

nt_meta *nt_meta_find(const nt_stream *s, uint32_t id)
{
    size_t lo = 0, hi = s->n_meta;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->meta[mid].id == id)
            return &s->meta[mid];
        if (s->meta[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Inserts (or replaces) the record with m->id, keeping the table sorted. */
static nt_meta *meta_put(nt_stream *s, const nt_meta *m)
{
    nt_meta *old = nt_meta_find(s, m->id);
    if (old) {
        *old = *m;
        return old;
    }
    if (s->n_meta >= NT_MAX_META)
        return NULL;
    if (s->n_meta == s->cap_meta) {
        size_t cap = s->cap_meta ? s->cap_meta * 2 : 64;
        nt_meta *nm = realloc(s->meta, cap * sizeof *nm);
        if (!nm)
            return NULL;
        s->meta = nm;
        s->cap_meta = cap;
    }
    size_t i = s->n_meta;
    while (i > 0 && s->meta[i - 1].id > m->id) /* ids normally arrive in order */
        i--;
    memmove(&s->meta[i + 1], &s->meta[i], (s->n_meta - i) * sizeof *m);
    s->meta[i] = *m;
    s->n_meta++;
    return &s->meta[i];
}

#define NT_MAX_DEPTH 8

static bool skip_utf16z(dt_cursor *c)
{
    while (!dt_cur_eof(c)) {
        if (dt_cur_u16le(c) == 0)
            return dt_cur_ok(c);
    }
    c->overrun = true;
    return false;
}

/* Walks a V1 field description: count, then (type, [nested], name). */
bool nt_skip_desc_v1(dt_cursor *c, int depth)
{
    if (depth > NT_MAX_DEPTH)
        return false;
    uint32_t n = dt_cur_u32le(c);
    if (!dt_cur_ok(c) || n > dt_cur_left(c) / 6)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t type = dt_cur_u32le(c);
        if (type == 1 && !nt_skip_desc_v1(c, depth + 1))
            return false;
        if (!skip_utf16z(c))
            return false;
    }
    return dt_cur_ok(c);
}

/* Walks a V2 field description: count, then self-sized field records. */
static bool skip_desc_v2(dt_cursor *c)
{
    uint32_t n = dt_cur_u32le(c);
    if (!dt_cur_ok(c) || n > dt_cur_left(c) / 4)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size = dt_cur_u32le(c);
        if (size < 4 || !dt_cur_skip(c, size - 4))
            return false;
    }
    return dt_cur_ok(c);
}

static const dt_value_name nt_typecode_names[] = {
    { 0, "Empty" },   { 1, "Object" },  { 2, "DBNull" }, { 3, "Boolean" },   { 4, "Char" },
    { 5, "SByte" },   { 6, "Byte" },    { 7, "Int16" },  { 8, "UInt16" },    { 9, "Int32" },
    { 10, "UInt32" }, { 11, "Int64" },  { 12, "UInt64" }, { 13, "Single" },  { 14, "Double" },
    { 15, "Decimal" }, { 16, "DateTime" }, { 17, "Guid" }, { 18, "String" }, { 19, "Array" },
    { 0, NULL },
};

/* Adds "Type Name" for each top-level field of the schema. */
static void list_fields(dt_ctx *ctx, dt_field *parent, const uint8_t *schema, size_t len, bool v2)
{
    dt_cursor c = dt_cursor_make(schema, len);
    uint32_t n = dt_cur_u32le(&c);
    char name[128], text[192];
    for (uint32_t i = 0; i < n && dt_cur_ok(&c); i++) {
        uint32_t type;
        if (v2) {
            uint32_t size = dt_cur_u32le(&c);
            dt_cursor f = dt_cur_sub(&c, size >= 4 ? size - 4 : 0);
            dt_cur_utf16le_z(&f, name, sizeof name);
            type = dt_cur_u32le(&f);
            if (type == 19) {
                uint32_t elem = dt_cur_u32le(&f);
                const char *en = dt_value_name_find(nt_typecode_names, elem, true);
                snprintf(text, sizeof text, "%s[] %s", en ? en : "?", name);
                dt_add_string(ctx, parent, &nt_fields[NTF_META_FIELD], 0, 0, text, strlen(text));
                continue;
            }
        } else {
            type = dt_cur_u32le(&c);
            if (type == 1)
                nt_skip_desc_v1(&c, 1);
            dt_cur_utf16le_z(&c, name, sizeof name);
        }
        const char *tn = dt_value_name_find(nt_typecode_names, type, true);
        snprintf(text, sizeof text, "%s %s", tn ? tn : "?", name);
        dt_add_string(ctx, parent, &nt_fields[NTF_META_FIELD], 0, 0, text, strlen(text));
    }
}

nt_meta *nt_meta_parse(dt_ctx *ctx, nt_stream *s, dt_field *parent, dt_cursor *c)
{
    nt_meta m;
    memset(&m, 0, sizeof m);
    m.opcode = -1;
    char provider[256], ename[256];
    size_t off = dt_cur_offset(c);
    dt_add_u32le(ctx, parent, &nt_fields[NTF_META_ID], c, &m.id);
    size_t p0 = dt_cur_offset(c);
    dt_cur_utf16le_z(c, provider, sizeof provider);
    dt_add_string(ctx, parent, &nt_fields[NTF_META_PROVIDER], p0, dt_cur_offset(c) - p0, provider, strlen(provider));
    dt_add_u32le(ctx, parent, &nt_fields[NTF_META_EVENT_ID], c, &m.event_id);
    p0 = dt_cur_offset(c);
    dt_cur_utf16le_z(c, ename, sizeof ename);
    if (ename[0])
        dt_add_string(ctx, parent, &nt_fields[NTF_META_EVENT_NAME], p0, dt_cur_offset(c) - p0, ename, strlen(ename));
    dt_add_u64le(ctx, parent, &nt_fields[NTF_META_KEYWORDS], c, &m.keywords);
    dt_add_u32le(ctx, parent, &nt_fields[NTF_META_VERSION], c, &m.version);
    dt_add_u32le(ctx, parent, &nt_fields[NTF_META_LEVEL], c, &m.level);
    if (!dt_cur_ok(c)) {
        dt_malformed(ctx, off, "metadata record cut short");
        return NULL;
    }

    /* V1 field description (absent in some old records: no fields). */
    const uint8_t *schema = NULL;
    size_t schema_len = 0;
    if (dt_cur_left(c) >= 4) {
        size_t start = c->pos;
        if (!nt_skip_desc_v1(c, 0)) {
            dt_malformed(ctx, dt_cur_offset(c), "bad field description in metadata %u", m.id);
            return NULL;
        }
        schema = c->data + start;
        schema_len = c->pos - start;
    }
    /* V5 tags: opcode, and V2 parameters that replace the V1 ones. */
    while (dt_cur_left(c) >= 5) {
        uint32_t tlen = dt_cur_u32le(c);
        uint8_t kind = dt_cur_u8(c);
        dt_cursor t = dt_cur_sub(c, tlen);
        if (!dt_cur_ok(c))
            break;
        if (kind == 1 && tlen >= 1) {
            m.opcode = dt_cur_u8(&t);
            dt_add_uint(ctx, parent, &nt_fields[NTF_META_OPCODE], dt_cur_offset(&t) - 1, 1, (uint64_t)m.opcode);
        } else if (kind == 2) {
            dt_cursor probe = t;
            if (skip_desc_v2(&probe)) {
                schema = t.data;
                schema_len = probe.pos;
                m.schema_v2 = true;
            }
        }
    }

    if (schema_len) {
        uint8_t *copy = pool_alloc(s, schema_len);
        if (!copy)
            return NULL;
        memcpy(copy, schema, schema_len);
        m.schema = copy;
        m.schema_len = (uint32_t)schema_len;
        m.field_count = (uint32_t)schema[0] | (uint32_t)schema[1] << 8 | (uint32_t)schema[2] << 16 |
                        (uint32_t)schema[3] << 24;
    }
    dt_add_uint(ctx, parent, &nt_fields[NTF_META_FIELD_COUNT], 0, 0, m.field_count);
    if (m.schema)
        list_fields(ctx, parent, m.schema, m.schema_len, m.schema_v2);

    char shown[300], key[600];
    nt_event_name(provider, m.event_id, ename, m.opcode, shown, sizeof shown);
    snprintf(key, sizeof key, "%s/%s", provider, shown);
    m.provider = pool_str(s, provider);
    m.name = pool_str(s, shown);
    m.stats_key = pool_str(s, key);
    if (!m.provider || !m.name || !m.stats_key)
        return NULL;
    m.is_counter = strcmp(ename, "EventCounters") == 0;
    if (m.field_count == 0)
        m.builtin = dt_clr_template_lookup(provider, m.event_id, m.version);
    return meta_put(s, &m);
}
