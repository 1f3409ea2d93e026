#include "dap_harness.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/engine.h"
#include "core/registry.h"

void tr_load(transcript *t, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", DAP_DATA_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    t->buf = malloc((size_t)size);
    assert_non_null(t->buf);
    assert_int_equal(fread(t->buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    assert_memory_equal(t->buf, "DTTR1\n", 6);
    size_t pos = 6, cap = 0;
    t->rec = NULL;
    t->n = 0;
    while (pos + 13 <= (size_t)size) {
        const uint8_t *p = t->buf + pos;
        uint64_t ns = 0;
        for (int i = 0; i < 8; i++)
            ns = (ns << 8) | p[1 + i];
        size_t len = (size_t)p[9] << 24 | (size_t)p[10] << 16 | (size_t)p[11] << 8 | p[12];
        pos += 13;
        assert_true(pos + len <= (size_t)size);
        if (t->n == cap) {
            cap = cap ? cap * 2 : 64;
            t->rec = realloc(t->rec, cap * sizeof *t->rec);
        }
        t->rec[t->n++] = (tr_record){ p[0], ns, t->buf + pos, len };
        pos += len;
    }
    assert_int_equal(pos, (size_t)size);
}

void tr_free(transcript *t)
{
    free(t->buf);
    free(t->rec);
}

/* ---- the collecting sink */

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)k + 1 > t->cap) {
        t->cap = (t->n + (size_t)k + 1) * 2;
        t->s = realloc(t->s, t->cap);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
}

static void put_fields(text *t, const dt_field *f)
{
    for (; f; f = f->next) {
        put(t, " %s", f->def->abbrev);
        switch (f->def->type) {
        case DT_FT_NONE:
            break;
        case DT_FT_BOOL:
        case DT_FT_UINT8:
        case DT_FT_UINT16:
        case DT_FT_UINT32:
        case DT_FT_UINT64:
            put(t, "=%" PRIu64, f->v.u);
            break;
        case DT_FT_INT32:
        case DT_FT_INT64:
            put(t, "=%" PRId64, f->v.i);
            break;
        case DT_FT_STRING:
            put(t, "=%s", f->v.s.ptr);
            break;
        default:
            put(t, "=?");
            break;
        }
        if (f->child) {
            put(t, " {");
            put_fields(t, f->child);
            put(t, " }");
        }
    }
}

typedef struct coll {
    dt_sink base;
    ev_list *out;
} coll;

static void on_event(dt_sink *base, const dt_event *ev)
{
    ev_list *l = ((coll *)base)->out;
    static const char *const kinds[] = { "PDU", "NOTE", "ERROR", "PENDING" };
    static const char *const roles[] = { "-", "request", "response", "interim" };
    text t = { 0 };
    put(&t, "%s %s %s %s req=%" PRIu64 " lat=%d mal=%d status=%s key=%s | %s |", kinds[ev->kind],
        ev->dir == DT_DIR_C2S ? "c2s" : "s2c", roles[ev->role], ev->proto_name, ev->req_seq, ev->has_latency,
        ev->malformed, ev->status ? ev->status : "-", ev->stats_key ? ev->stats_key : "-", ev->summary);
    put_fields(&t, ev->fields);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->line = realloc(l->line, l->cap * sizeof *l->line);
        l->summary = realloc(l->summary, l->cap * sizeof *l->summary);
    }
    l->summary[l->n] = strdup(ev->summary);
    l->line[l->n++] = t.s;
}

void ev_free(ev_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->line[i]);
        free(l->summary[i]);
    }
    free(l->line);
    free(l->summary);
    memset(l, 0, sizeof *l);
}

const char *ev_find(const ev_list *l, ...)
{
    for (size_t i = 0; i < l->n; i++) {
        va_list ap;
        va_start(ap, l);
        bool all = true;
        for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
            if (!strstr(l->line[i], s)) {
                all = false;
                break;
            }
        va_end(ap);
        if (all)
            return l->line[i];
    }
    return NULL;
}

size_t ev_count(const ev_list *l, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strstr(l->line[i], needle) != NULL;
    return n;
}

/* ---- driving the engine */

typedef struct run {
    dt_registry *reg;
    dt_engine *eng;
    coll sink;
    dt_conv *conv;
} run;

static void run_open(run *r, const char *force, ev_list *out)
{
    memset(out, 0, sizeof *out);
    r->reg = dt_registry_new();
    assert_int_equal(dt_registry_add_builtins(r->reg), 0);
    r->eng = dt_engine_new(r->reg);
    memset(&r->sink, 0, sizeof r->sink);
    r->sink.base.event = on_event;
    r->sink.out = out;
    dt_engine_add_sink(r->eng, &r->sink.base);
    const dt_channel *ch = dt_engine_channel(r->eng, "test", "a DAP test stream", -1);
    dt_conv_params p = { .channel = ch, .transport = DT_CONV_STREAM, .client = "ide", .server = "adapter",
                         .dissector = force, .ts_ns = 1000000000 };
    r->conv = dt_engine_conv_open(r->eng, &p);
    assert_non_null(r->conv);
}

static void run_close(run *r, uint64_t end)
{
    assert_int_equal(dt_engine_finish(r->eng, end), 0);
    dt_engine_free(r->eng);
    dt_registry_free(r->reg);
}

void run_transcript(const tr_record *rec, size_t n, const char *force, chunk_fn chunk, void *chunk_arg,
                    inject_fn inject, void *inject_arg, ev_list *out)
{
    run r;
    run_open(&r, force, out);
    uint64_t base = 1000000000, ts = base;
    for (size_t i = 0; i <= n; i++) {
        int idir;
        const uint8_t *extra;
        size_t elen;
        if (inject && inject(i, &idir, &extra, &elen, inject_arg))
            dt_engine_stream(r.eng, r.conv, (dt_dir)idir, ts, extra, elen);
        if (i == n)
            break;
        ts = base + rec[i].ns;
        size_t sent = 0;
        while (sent < rec[i].len) {
            size_t k = chunk ? chunk(rec[i].len, sent, chunk_arg) : rec[i].len - sent;
            if (k == 0 || k > rec[i].len - sent)
                k = rec[i].len - sent;
            dt_engine_stream(r.eng, r.conv, (dt_dir)rec[i].dir, ts, rec[i].data + sent, k);
            sent += k;
        }
    }
    run_close(&r, ts + 1000);
}

void run_bytes(const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c, size_t s2c_len, const char *force,
               ev_list *out)
{
    run r;
    run_open(&r, force, out);
    if (c2s_len)
        dt_engine_stream(r.eng, r.conv, DT_DIR_C2S, 2000000000, c2s, c2s_len);
    if (s2c_len)
        dt_engine_stream(r.eng, r.conv, DT_DIR_S2C, 3000000000, s2c, s2c_len);
    run_close(&r, 4000000000);
}
