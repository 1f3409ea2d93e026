#include "dn_support.h"

#include "dtcorpus.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void render_fields(const dt_field *f, char *out, size_t outsz, size_t *len)
{
    for (; f; f = f->next) {
        char val[300] = "";
        switch (f->def->type) {
        case DT_FT_STRING: snprintf(val, sizeof val, "%s", f->v.s.ptr ? f->v.s.ptr : ""); break;
        case DT_FT_INT32:
        case DT_FT_INT64: snprintf(val, sizeof val, "%" PRId64, f->v.i); break;
        case DT_FT_DOUBLE: snprintf(val, sizeof val, "%g", f->v.d); break;
        case DT_FT_GUID: {
            dt_guid g;
            memcpy(g.b, f->v.b16, 16);
            char t[37];
            dt_guid_format(&g, t);
            snprintf(val, sizeof val, "%s", t);
            break;
        }
        case DT_FT_NONE:
        case DT_FT_BYTES: snprintf(val, sizeof val, "<%u>", f->length); break;
        default: snprintf(val, sizeof val, "%" PRIu64, f->v.u); break;
        }
        if (*len < outsz) {
            int k = snprintf(out + *len, outsz - *len, "%s=%s;", f->def->abbrev, val);
            if (k > 0)
                *len += (size_t)k;
        }
        if (f->child)
            render_fields(f->child, out, outsz, len);
    }
}

static void on_event(dt_sink *base, const dt_event *ev)
{
    dn_sink *s = (dn_sink *)base;
    s->n_events++;
    s->n_errors += ev->kind == DT_EV_ERROR;
    s->n_malformed += ev->malformed;
    if (ev->stats_key && ev->kind == DT_EV_PDU) {
        size_t i;
        for (i = 0; i < s->n_counts; i++)
            if (strcmp(s->counts[i].key, ev->stats_key) == 0)
                break;
        if (i == s->n_counts) {
            if (s->n_counts == s->cap_counts) {
                s->cap_counts = s->cap_counts ? s->cap_counts * 2 : 64;
                s->counts = realloc(s->counts, s->cap_counts * sizeof *s->counts);
            }
            s->counts[i].key = strdup(ev->stats_key);
            s->counts[i].n = 0;
            s->n_counts++;
        }
        s->counts[i].n++;
    }
    /* the first events, then a ring of the latest DN_TAIL */
    dn_event *c;
    if (s->n_kept < DN_KEEP - DN_TAIL)
        c = &s->ev[s->n_kept++];
    else {
        c = &s->ev[DN_KEEP - DN_TAIL + s->tail_next];
        s->tail_next = (s->tail_next + 1) % DN_TAIL;
        if (s->n_kept < DN_KEEP)
            s->n_kept++;
    }
    memset(c, 0, sizeof *c);
    c->kind = ev->kind;
    c->role = ev->role;
    c->dir = ev->dir;
    c->seq = ev->seq;
    c->req_seq = ev->req_seq;
    c->ts_ns = ev->ts_ns;
    c->has_latency = ev->has_latency;
    c->malformed = ev->malformed;
    c->is_error = ev->is_error;
    snprintf(c->proto, sizeof c->proto, "%s", ev->proto);
    snprintf(c->proto_name, sizeof c->proto_name, "%s", ev->proto_name);
    snprintf(c->status, sizeof c->status, "%s", ev->status ? ev->status : "");
    snprintf(c->stats_key, sizeof c->stats_key, "%s", ev->stats_key ? ev->stats_key : "");
    snprintf(c->summary, sizeof c->summary, "%s", ev->summary);
    size_t len = 0;
    render_fields(ev->fields, c->fields, sizeof c->fields, &len);
}

void dn_sink_init(dn_sink *s)
{
    memset(s, 0, sizeof *s);
    s->base.event = on_event;
    s->ev = calloc(DN_KEEP, sizeof *s->ev);
}

void dn_sink_free(dn_sink *s)
{
    for (size_t i = 0; i < s->n_counts; i++)
        free(s->counts[i].key);
    free(s->counts);
    free(s->ev);
}

uint64_t dn_count_of(const dn_sink *s, const char *key)
{
    for (size_t i = 0; i < s->n_counts; i++)
        if (strcmp(s->counts[i].key, key) == 0)
            return s->counts[i].n;
    return 0;
}

const dn_event *dn_find(const dn_sink *s, const char *text)
{
    for (size_t i = 0; i < s->n_kept; i++)
        if (strstr(s->ev[i].summary, text))
            return &s->ev[i];
    return NULL;
}

const dn_event *dn_find_field(const dn_sink *s, const char *field_text)
{
    for (size_t i = 0; i < s->n_kept; i++)
        if (strstr(s->ev[i].fields, field_text))
            return &s->ev[i];
    return NULL;
}

static uint32_t rng_next(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

void dn_run_start(dn_run *r, const char *dissector, uint32_t seed)
{
    memset(r, 0, sizeof *r);
    r->rng = seed ? seed : 1;
    r->reg = dt_registry_new();
    dt_registry_add_builtins(r->reg);
    r->eng = dt_engine_new(r->reg);
    dn_sink_init(&r->sink);
    dt_engine_add_sink(r->eng, &r->sink.base);
    r->ts = 1700000000ull * 1000000000ull;
    const dt_channel *ch = dt_engine_channel(r->eng, "test", "dotnet test stream", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "tool", .server = "runtime",
                         .dissector = dissector, .ts_ns = r->ts };
    r->conv = dt_engine_conv_open(r->eng, &p);
}

void dn_run_feed(dn_run *r, dt_dir dir, const uint8_t *data, size_t len, size_t max_chunk)
{
    size_t pos = 0;
    while (pos < len) {
        size_t n = len - pos;
        if (max_chunk) {
            size_t k = 1 + rng_next(&r->rng) % max_chunk;
            if (k < n)
                n = k;
        }
        r->ts += 1000;
        dt_engine_stream(r->eng, r->conv, dir, r->ts, data + pos, n);
        pos += n;
    }
}

void dn_run_finish(dn_run *r)
{
    r->ts += 1000;
    if (r->conv)
        dt_engine_conv_close(r->eng, r->conv, r->ts, NULL);
    r->conv = NULL;
    dt_engine_finish(r->eng, r->ts);
}

void dn_run_free(dn_run *r)
{
    dt_engine_free(r->eng);
    dt_registry_free(r->reg);
    dn_sink_free(&r->sink);
}

uint8_t *dn_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

void dn_corpus_path(const char *rel, char *out, size_t outsz)
{
    dt_corpus_path(rel, out, outsz);
}

void dn_put(dn_buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void dn_u8(dn_buf *b, uint8_t v) { dn_put(b, &v, 1); }
void dn_u16(dn_buf *b, uint16_t v) { uint8_t t[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; dn_put(b, t, 2); }
void dn_u32(dn_buf *b, uint32_t v) { dn_u16(b, (uint16_t)v); dn_u16(b, (uint16_t)(v >> 16)); }
void dn_u64(dn_buf *b, uint64_t v) { dn_u32(b, (uint32_t)v); dn_u32(b, (uint32_t)(v >> 32)); }

void dn_utf16z(dn_buf *b, const char *s)
{
    for (; *s; s++)
        dn_u16(b, (uint8_t)*s);
    dn_u16(b, 0);
}

void dn_ipc_string(dn_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n == 0) {
        dn_u32(b, 0);
        return;
    }
    dn_u32(b, (uint32_t)n + 1);
    dn_utf16z(b, s);
}

void dn_varint(dn_buf *b, uint64_t v)
{
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        if (v)
            x |= 0x80;
        dn_u8(b, x);
    } while (v);
}

void dn_buf_free(dn_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
