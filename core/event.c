/* Building events: the API a dissector calls while it decodes a PDU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "fmt_fast.h"
#include "held_event.h"

static const dt_field_def core_fields[] = {
    { "diagtap.malformed", "Malformed", DT_FT_STRING, DT_BASE_NONE, NULL, 0, 0, "why the bytes could not be decoded" },
};

static const char REDACTED[] = "<redacted>";

void dt_ev_begin(dt_engine *e, dt_conv *c, dt_dir dir, uint64_t ts, dt_event_kind kind, const dt_dissector *d,
                 const uint8_t *raw, size_t raw_len, uint64_t raw_offset)
{
    dt_arena_reset(&e->arena);
    dt_arena_reset(&e->scratch);
    void *at;
    size_t room;
    if (e->mem_sink && e->mem_sink->event_memory(e->mem_sink, &at, &room))
        dt_arena_use_window(&e->arena, at, room);
    memset(&e->ev, 0, sizeof e->ev);
    e->ev.ts_ns = ts;
    e->ev.conv = c ? &c->info : NULL;
    e->ev.dir = dir;
    e->ev.kind = kind;
    e->ev.proto = d ? (d->display_name ? d->display_name : d->name) : "diagtap";
    e->ev.proto_name = d ? d->name : "diagtap";
    e->ev.summary = "";
    e->ev.raw = raw;
    e->ev.raw_len = raw_len;
    e->ev.raw_offset = raw_offset;
    e->ev.input = e->input;
    e->summary_len = 0;
    e->partner = NULL;
    if (ts > e->last_ts)
        e->last_ts = ts;
}

void dt_ev_commit(dt_engine *e)
{
    dt_event *ev = &e->ev;
    ev->seq = ++e->seq;
    if (ev->summary[0] == '\0' && ev->kind == DT_EV_PDU) {
        char *s = dt_arena_alloc_raw(&e->arena, 32);
        if (s) {
            char digits[24], *d = digits + sizeof digits;
            size_t v = ev->raw_len;
            do
                *--d = (char)('0' + v % 10);
            while (v /= 10);
            size_t n = (size_t)(digits + sizeof digits - d);
            memcpy(s, d, n);
            memcpy(s + n, " bytes", sizeof " bytes");
            ev->summary = s;
        }
    }
    bool pass = !e->filter || dt_filter_match(e->filter, ev);
    bool pairs = dt_filter_pair_partner(e->filter);
    if (pairs && e->partner) {
        /* a reply (or "no reply"): it passes when its request did; when it
         * matches and its request was held back, the request goes first */
        dt_pending *req = e->partner;
        if (req->filter_pass)
            pass = true;
        else if (pass && req->held_valid) {
            const dt_event *held = req->held;
            for (int i = 0; i < e->n_sinks; i++)
                if (e->sinks[i]->event)
                    e->sinks[i]->event(e->sinks[i], held);
            req->held_valid = false;
        }
        if (pass)
            req->filter_pass = true;
    }
    e->partner = NULL;
    if (e->ds && e->ds->request) {
        dt_pending *p = e->ds->request;
        p->filter_pass = pass;
        /* a request that did not match waits, bounded by the open pairing
         * entries, in case its reply matches */
        p->held_valid = pairs && !pass && dt_held_event_copy(&p->held, &p->held_cap, ev) != NULL;
        p->req_seq = ev->seq;
        p->ts_ns = ev->ts_ns;
        p->dir = ev->dir;
        p->proto = ev->proto;
        dt_copy_trunc(p->summary, sizeof p->summary, ev->summary);
        dt_copy_trunc(p->stats_key, sizeof p->stats_key, ev->stats_key ? ev->stats_key : "");
        e->ds->request = NULL;
    }
    if (!pass)
        return;
    for (int i = 0; i < e->n_sinks; i++) {
        dt_sink *s = e->sinks[i];
        if (s == e->mem_sink) {
            const void *base;
            size_t len;
            dt_arena_span(&e->arena, &base, &len);
            s->event_span(s, ev, base, len);
        } else if (s->event) {
            s->event(s, ev);
        }
    }
}

static dt_engine *eng(dt_ctx *ctx) { return ((dt_dissect_state *)ctx->engine)->e; }

static bool redact(dt_ctx *ctx, const dt_field_def *f);

static void link_field(dt_engine *e, dt_field *parent, dt_field *n, const dt_field_def *f, size_t offset,
                       size_t length)
{
    /* one assignment, not a memset call: this runs for every field */
    *n = (dt_field){ .def = f, .offset = (uint32_t)offset, .length = (uint32_t)length };
    if (parent) {
        if (parent->last_child)
            parent->last_child->next = n;
        else
            parent->child = n;
        parent->last_child = n;
    } else {
        if (e->ev.last_field)
            e->ev.last_field->next = n;
        else
            e->ev.fields = n;
        e->ev.last_field = n;
    }
}

/* A new block, or the arena's limit: apart, so that the common case below
 * has no call in it and needs no registers saved (it runs for every field). */
__attribute__((noinline, cold)) static dt_field *add_field_slow(dt_engine *e, dt_field *parent,
                                                               const dt_field_def *f, size_t offset, size_t length)
{
    dt_field *n = dt_arena_alloc_slow(&e->arena, sizeof *n);
    if (n)
        link_field(e, parent, n, f, offset, length);
    return n;
}

static inline dt_field *add_field(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset,
                                  size_t length)
{
    dt_engine *e = eng(ctx);
    dt_field *n = dt_arena_alloc_fast(&e->arena, sizeof *n);
    if (__builtin_expect(!n, 0))
        return add_field_slow(e, parent, f, offset, length);
    link_field(e, parent, n, f, offset, length);
    return n;
}

dt_field *dt_add_none(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length)
{
    return add_field(ctx, parent, f, offset, length);
}

dt_field *dt_add_uint(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, uint64_t v)
{
    dt_field *n = add_field(ctx, parent, f, offset, length);
    if (n && redact(ctx, f)) /* a numeric secret: withheld like the others */
        n->flags |= DT_FLD_REDACTED;
    else if (n)
        n->v.u = v;
    return n;
}

dt_field *dt_add_int(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, int64_t v)
{
    dt_field *n = add_field(ctx, parent, f, offset, length);
    if (n && redact(ctx, f)) /* a numeric secret: withheld like the others */
        n->flags |= DT_FLD_REDACTED;
    else if (n)
        n->v.i = v;
    return n;
}

dt_field *dt_add_double(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, double v)
{
    dt_field *n = add_field(ctx, parent, f, offset, length);
    if (n && redact(ctx, f)) /* a numeric secret: withheld like the others */
        n->flags |= DT_FLD_REDACTED;
    else if (n)
        n->v.d = v;
    return n;
}

static bool redact(dt_ctx *ctx, const dt_field_def *f)
{
    return (f->flags & DT_FF_CREDENTIAL) && !eng(ctx)->show_credentials;
}

dt_field *dt_add_string(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length,
                        const char *s, size_t slen)
{
    dt_field *n = add_field(ctx, parent, f, offset, length);
    if (!n)
        return NULL;
    if (redact(ctx, f)) {
        s = REDACTED;
        slen = sizeof REDACTED - 1;
        n->flags |= DT_FLD_REDACTED;
    }
    n->v.s.ptr = dt_arena_strndup(&eng(ctx)->arena, s ? s : "", s ? slen : 0);
    n->v.s.len = n->v.s.ptr ? slen : 0;
    if (!n->v.s.ptr)
        n->v.s.ptr = "";
    return n;
}

dt_field *dt_add_bytes(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length,
                       const uint8_t *b, size_t blen)
{
    dt_field *n = add_field(ctx, parent, f, offset, length);
    if (!n)
        return NULL;
    if (redact(ctx, f)) {
        n->flags |= DT_FLD_REDACTED;
        n->v.s.ptr = REDACTED;
        n->v.s.len = 0;
        return n;
    }
    uint8_t *copy = dt_arena_alloc(&eng(ctx)->arena, blen ? blen : 1);
    if (copy && blen)
        memcpy(copy, b, blen);
    n->v.s.ptr = (const char *)copy;
    n->v.s.len = copy ? blen : 0;
    return n;
}

dt_field *dt_add_guid(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, const dt_guid *g)
{
    dt_field *n = add_field(ctx, parent, f, offset, 16);
    if (n)
        memcpy(n->v.b16, g->b, 16);
    return n;
}

dt_field *dt_add_ipv4(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, uint32_t ip_be)
{
    dt_field *n = add_field(ctx, parent, f, offset, 4);
    if (n)
        n->v.ip4 = ip_be;
    return n;
}

dt_field *dt_add_ipv6(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, const uint8_t ip[16])
{
    dt_field *n = add_field(ctx, parent, f, offset, 16);
    if (n)
        memcpy(n->v.b16, ip, 16);
    return n;
}

dt_field *dt_add_time(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t offset, size_t length, uint64_t ns)
{
    return dt_add_uint(ctx, parent, f, offset, length, ns);
}

#define ADD_READ(fn, type, rd, width)                                                                              \
    dt_field *fn(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, type *out)                   \
    {                                                                                                              \
        size_t off = dt_cur_offset(c);                                                                             \
        type v = rd(c);                                                                                            \
        if (out)                                                                                                   \
            *out = v;                                                                                              \
        if (c->overrun)                                                                                            \
            return NULL;                                                                                           \
        return dt_add_uint(ctx, parent, f, off, width, v);                                                         \
    }
ADD_READ(dt_add_u8, uint8_t, dt_cur_u8, 1)
ADD_READ(dt_add_u16le, uint16_t, dt_cur_u16le, 2)
ADD_READ(dt_add_u32le, uint32_t, dt_cur_u32le, 4)
ADD_READ(dt_add_u64le, uint64_t, dt_cur_u64le, 8)
ADD_READ(dt_add_u16be, uint16_t, dt_cur_u16be, 2)
ADD_READ(dt_add_u32be, uint32_t, dt_cur_u32be, 4)

dt_field *dt_add_utf16le(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c, size_t nbytes)
{
    size_t off = dt_cur_offset(c);
    if (nbytes > dt_cur_left(c)) { /* a length past the PDU: overrun, without sizing a buffer by it */
        dt_cur_skip(c, nbytes);
        return NULL;
    }
    size_t cap = nbytes / 2 * 3 + 1; /* UTF-16 code unit → at most 3 UTF-8 bytes */
    char *buf = dt_arena_alloc(&eng(ctx)->arena, cap);
    if (!buf) {
        dt_cur_skip(c, nbytes);
        return NULL;
    }
    size_t n = dt_cur_utf16le(c, nbytes, buf, cap);
    if (c->overrun)
        return NULL;
    dt_field *fl = add_field(ctx, parent, f, off, nbytes);
    if (!fl)
        return NULL;
    if (redact(ctx, f)) {
        fl->flags |= DT_FLD_REDACTED;
        fl->v.s.ptr = REDACTED;
        fl->v.s.len = sizeof REDACTED - 1;
    } else {
        fl->v.s.ptr = buf;
        fl->v.s.len = n;
    }
    return fl;
}

dt_field *dt_add_guid_cur(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, dt_cursor *c)
{
    size_t off = dt_cur_offset(c);
    dt_guid g;
    if (!dt_cur_guid(c, &g))
        return NULL;
    return dt_add_guid(ctx, parent, f, off, &g);
}

void dt_malformed(dt_ctx *ctx, size_t offset, const char *fmt, ...)
{
    dt_engine *e = eng(ctx);
    va_list ap;
    va_start(ap, fmt);
    char *msg = dt_arena_vprintf(&e->arena, fmt, ap);
    va_end(ap);
    e->ev.malformed = true;
    if (msg) {
        dt_field *n = add_field(ctx, NULL, &core_fields[0], offset, 0);
        if (n) {
            n->v.s.ptr = msg;
            n->v.s.len = strlen(msg);
        }
    }
}

void dt_vsummary_append(dt_ctx *ctx, const char *fmt, va_list ap)
{
    dt_engine *e = eng(ctx);
    size_t alen;
    char *add = dt_arena_vprintf_len(&e->arena, &alen, fmt, ap);
    if (!add)
        return;
    if (e->summary_len == 0) {
        e->ev.summary = add;
        e->summary_len = alen;
        return;
    }
    char *s = dt_arena_alloc_raw(&e->arena, e->summary_len + alen + 1);
    if (!s)
        return;
    memcpy(s, e->ev.summary, e->summary_len);
    memcpy(s + e->summary_len, add, alen + 1);
    e->ev.summary = s;
    e->summary_len += alen;
}

void dt_summary(dt_ctx *ctx, const char *fmt, ...)
{
    dt_engine *e = eng(ctx);
    e->ev.summary = "";
    e->summary_len = 0;
    va_list ap;
    va_start(ap, fmt);
    dt_vsummary_append(ctx, fmt, ap);
    va_end(ap);
}

void dt_summary_append(dt_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dt_vsummary_append(ctx, fmt, ap);
    va_end(ap);
}

char *dt_strdup(dt_ctx *ctx, const char *s, size_t len) { return dt_arena_strndup(&eng(ctx)->arena, s, len); }

void *dt_alloc(dt_ctx *ctx, size_t size) { return dt_arena_alloc(&eng(ctx)->arena, size); }

void *dt_alloc_uninit(dt_ctx *ctx, size_t size) { return dt_arena_alloc_raw(&eng(ctx)->arena, size); }

void *dt_scratch(dt_ctx *ctx, size_t size) { return dt_arena_alloc_raw(&eng(ctx)->scratch, size); }

void dt_stats_key(dt_ctx *ctx, const char *key)
{
    eng(ctx)->ev.stats_key = dt_arena_strndup(&eng(ctx)->arena, key, strlen(key));
}

void dt_status(dt_ctx *ctx, const char *status, bool is_error)
{
    dt_engine *e = eng(ctx);
    e->ev.status = status ? dt_arena_strndup(&e->arena, status, strlen(status)) : NULL;
    e->ev.is_error = is_error;
}

void *dt_pair_request(dt_ctx *ctx, uint64_t key, size_t user_len)
{
    dt_dissect_state *ds = ctx->engine;
    bool existed;
    dt_pending *p = dt_pairing_add(ds->e->pairing, ds->conv, &ds->conv->pending, key, user_len, &existed);
    ds->e->ev.role = DT_ROLE_REQUEST;
    if (!p)
        return NULL;
    if (!existed)
        ds->request = p; /* a retransmitted request keeps the first one's time */
    return p->user;
}

void *dt_pair_response(dt_ctx *ctx, uint64_t key, bool final)
{
    dt_dissect_state *ds = ctx->engine;
    dt_engine *e = ds->e;
    e->ev.role = final ? DT_ROLE_RESPONSE : DT_ROLE_INTERIM;
    dt_pending *p = dt_pairing_find(e->pairing, ds->conv, key);
    if (!p || p->req_seq == 0)
        return NULL;
    e->ev.req_seq = p->req_seq;
    e->partner = p;
    e->ev.latency_ns = ctx->ts_ns >= p->ts_ns ? ctx->ts_ns - p->ts_ns : 0;
    e->ev.has_latency = true;
    if (final) {
        for (size_t i = 0; i < ds->n_answered; i++)
            if (ds->answered[i] == p)
                return p->user;
        if (ds->n_answered < sizeof ds->answered / sizeof ds->answered[0])
            ds->answered[ds->n_answered++] = p;
        else
            p->req_seq = 0; /* too many in one PDU: stop matching it, freed when the conversation ends */
    }
    return p->user;
}

void dt_next_event(dt_ctx *ctx)
{
    dt_dissect_state *ds = ctx->engine;
    dt_engine *e = ds->e;
    dt_event saved = e->ev;
    dt_ev_commit(e);
    dt_ev_begin(e, ds->conv, saved.dir, saved.ts_ns, saved.kind, ctx->self, saved.raw, saved.raw_len,
                saved.raw_offset);
}

bool dt_inner_stream(dt_ctx *ctx, const char *name, uint64_t stream_key, dt_dir dir, const uint8_t *data, size_t len)
{
    dt_dissect_state *ds = ctx->engine;
    const dt_dissector *d = dt_registry_by_inner_name(ds->e->reg, name);
    if (!d || !d->frame)
        return false;
    dt_conv *inner = dt_engine_inner_get(ds->e, ds->conv, d, stream_key);
    if (!inner)
        return false;
    dt_engine_inner_feed(ds->e, inner, dir, data, len);
    return true;
}

void dt_inner_stream_end(dt_ctx *ctx, uint64_t stream_key)
{
    dt_dissect_state *ds = ctx->engine;
    dt_engine_inner_close(ds->e, ds->conv, stream_key);
}

static const dt_dissector *message_dissector(dt_engine *e, const char *name)
{
    const dt_dissector *d = dt_registry_find(e->reg, name);
    return d ? d : dt_registry_by_inner_name(e->reg, name);
}

bool dt_inner_message(dt_ctx *ctx, const char *name, uint64_t stream_key, dt_dir dir, const uint8_t *data,
                      size_t len)
{
    dt_dissect_state *ds = ctx->engine;
    const dt_dissector *d = message_dissector(ds->e, name);
    if (!d || !d->dissect)
        return false;
    dt_conv *inner = dt_engine_inner_msg_get(ds->e, ds->conv, d, stream_key);
    if (!inner)
        return false;
    dt_engine_inner_msg_feed(ds->e, inner, dir, data, len);
    return true;
}

void dt_inner_message_end(dt_ctx *ctx, uint64_t stream_key)
{
    dt_dissect_state *ds = ctx->engine;
    dt_engine_inner_close(ds->e, ds->conv, stream_key);
}

void dt_inner_set_user(dt_ctx *ctx, uint64_t stream_key, const char *user)
{
    dt_dissect_state *ds = ctx->engine;
    /* kept for a stream the next dt_inner_message opens (the first body of a
     * connection: WinRM's Create) */
    if (!(ds->conv->next_inner_user && user && strcmp(ds->conv->next_inner_user, user) == 0)) {
        free(ds->conv->next_inner_user);
        ds->conv->next_inner_user = user ? strdup(user) : NULL;
    }
    for (dt_conv *i = ds->conv->inner; i; i = i->inner_next) {
        if (i->inner_key != stream_key || !i->whole_messages)
            continue;
        if (i->carrier_user && user && strcmp(i->carrier_user, user) == 0)
            continue;
        free(i->carrier_user);
        i->carrier_user = user ? strdup(user) : NULL;
    }
}

const char *dt_carrier_user(dt_ctx *ctx)
{
    dt_dissect_state *ds = ctx->engine;
    return ds->conv ? ds->conv->msg_user : NULL;
}

const char *dt_option(dt_ctx *ctx, const char *name)
{
    dt_engine *e = eng(ctx);
    for (size_t i = 0; i < e->n_opts; i++)
        if (strcmp(e->opts[i].name, name) == 0)
            return e->opts[i].value;
    return NULL;
}

bool dt_show_credentials(dt_ctx *ctx) { return eng(ctx)->show_credentials; }
