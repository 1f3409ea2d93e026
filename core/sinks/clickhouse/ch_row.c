/* Timeline events as ClickHouse rows (RowBinary or JSONEachRow). Nothing
 * is allocated per event: rows go into the batch's buffer, which is reused. */
#include "ch_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sinks/format.h"

const dt_ch_column dt_ch_columns[] = {
    { "time", "DateTime('UTC')", "event time in seconds (UTC days: the sender cuts batches there too)" },
    { "ts_ns", "UInt64", "event time, nanoseconds since the Unix epoch" },
    { "host", "String", "host label (--host-label, default the host name)" },
    { "run_id", "UInt64", "random per diagtap run" },
    { "batch", "UInt64", "insert batch within the run (check-before-resend)" },
    { "seq", "UInt64", "1-based position in the run's timeline" },
    { "channel", "String", "capture interface or proxied connection" },
    { "input", "String", "replayed file, or ''" },
    { "kind", "Enum8('pdu' = 1, 'note' = 2, 'error' = 3, 'pending' = 4)", "what the event is" },
    { "proto", "String", "protocol display name (SMB2)" },
    { "proto_name", "String", "dissector name (smb2)" },
    { "dir", "Enum8('' = 0, 'c2s' = 1, 's2c' = 2)", "direction, '' without a conversation" },
    { "conv_id", "UInt32", "conversation, 1-based within the run; 0: none" },
    { "client", "String", "the side that opened the conversation" },
    { "server", "String", "the other side" },
    { "role", "Enum8('' = 0, 'request' = 1, 'response' = 2, 'interim' = 3)", "pairing role" },
    { "req_seq", "UInt64", "on a response or pending event: its request's seq; 0: none" },
    { "latency_ns", "Nullable(UInt64)", "response: ns since its request; pending: its age" },
    { "status", "String", "protocol status by name, or ''" },
    { "is_error", "UInt8", "the status is an error" },
    { "malformed", "UInt8", "the dissector found the message malformed" },
    { "stats_key", "String", "what --stats counts the event under, or ''" },
    { "summary", "String", "the one-line summary" },
    { "raw_len", "UInt32", "bytes of the message" },
    { "raw_offset", "UInt64", "stream offset of its first byte" },
    { "field_keys", "Array(String)", "field abbrevs, depth first (smb2.tree)" },
    { "field_values", "Array(String)", "their values as text, parallel to field_keys" },
    { NULL, NULL, NULL },
};

const char *dt_ch_column_list(void)
{
    static const char list[] = "time, ts_ns, host, run_id, batch, seq, channel, input, kind, proto, proto_name, "
                               "dir, conv_id, client, server, role, req_seq, latency_ns, status, is_error, "
                               "malformed, stats_key, summary, raw_len, raw_offset, field_keys, field_values";
    return list;
}

/* ---- buffer ---- */

void dt_ch_buf_free(dt_ch_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

bool dt_ch_buf_reserve(dt_ch_buf *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->len + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void dt_ch_buf_put(dt_ch_buf *b, const void *p, size_t n)
{
    if (n == 0 || !dt_ch_buf_reserve(b, n))
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put_byte(dt_ch_buf *b, uint8_t c)
{
    if (b->len < b->cap || dt_ch_buf_reserve(b, 1))
        b->p[b->len++] = c;
}

static void put_cstr(dt_ch_buf *b, const char *s) { dt_ch_buf_put(b, s, strlen(s)); }

static void put_u64_dec(dt_ch_buf *b, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    dt_ch_buf_put(b, tmp + i, sizeof tmp - (size_t)i);
}

/* ---- UTF-8: the JSON schema's rule, one U+FFFD per ill-formed subpart ---- */

static bool utf8_valid(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n;
        if (dt_utf8_next(p + i, len - i, &n) < 0)
            return false;
        i += n;
    }
    return true;
}

static void put_utf8(dt_ch_buf *b, const uint8_t *p, size_t len)
{
    size_t run = 0; /* start of the pending valid run */
    for (size_t i = 0; i < len;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n;
        if (dt_utf8_next(p + i, len - i, &n) >= 0) {
            i += n;
            continue;
        }
        dt_ch_buf_put(b, p + run, i - run);
        dt_ch_buf_put(b, "\xef\xbf\xbd", 3);
        i += n;
        run = i;
    }
    dt_ch_buf_put(b, p + run, len - run);
}

/* ---- field values as text ---- */

void dt_ch_field_text(dt_ch_buf *b, const dt_field *f)
{
    char tmp[64];
    if (f->flags & DT_FLD_REDACTED) { /* the same word JSON and the timeline show */
        put_cstr(b, "<redacted>");
        return;
    }
    switch (f->def->type) {
    case DT_FT_NONE:
        break;
    case DT_FT_BOOL:
        put_cstr(b, f->v.u ? "true" : "false");
        break;
    case DT_FT_UINT8:
    case DT_FT_UINT16:
    case DT_FT_UINT32:
    case DT_FT_UINT64:
        put_u64_dec(b, f->v.u);
        break;
    case DT_FT_INT32:
    case DT_FT_INT64: {
        int64_t v = f->def->type == DT_FT_INT32 ? (int32_t)f->v.i : f->v.i;
        if (v < 0) {
            put_byte(b, '-');
            put_u64_dec(b, (uint64_t)0 - (uint64_t)v);
        } else {
            put_u64_dec(b, (uint64_t)v);
        }
        break;
    }
    case DT_FT_RELTIME: {
        put_u64_dec(b, f->v.u / 1000000000u);
        uint32_t frac = (uint32_t)(f->v.u % 1000000000u);
        char fr[10];
        fr[0] = '.';
        for (int i = 9; i >= 1; i--, frac /= 10)
            fr[i] = (char)('0' + frac % 10);
        dt_ch_buf_put(b, fr, sizeof fr);
        break;
    }
    case DT_FT_DOUBLE: {
        int n = snprintf(tmp, sizeof tmp, "%.17g", f->v.d);
        if (f->v.d != f->v.d || f->v.d - f->v.d != 0) /* NaN, infinities: JSON's null */
            break;
        dt_ch_buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
        break;
    }
    case DT_FT_STRING:
        if (f->v.s.ptr)
            put_utf8(b, (const uint8_t *)f->v.s.ptr, f->v.s.len);
        break;
    case DT_FT_BYTES: {
        static const char hex[] = "0123456789abcdef";
        if (!f->v.s.ptr || !dt_ch_buf_reserve(b, f->v.s.len * 2))
            break;
        const uint8_t *p = (const uint8_t *)f->v.s.ptr;
        for (size_t i = 0; i < f->v.s.len; i++) {
            b->p[b->len++] = (uint8_t)hex[p[i] >> 4];
            b->p[b->len++] = (uint8_t)hex[p[i] & 15];
        }
        break;
    }
    case DT_FT_GUID:
    case DT_FT_IPV4:
    case DT_FT_IPV6:
    case DT_FT_ABSTIME: {
        size_t n = dt_fmt_value(f, tmp, sizeof tmp);
        dt_ch_buf_put(b, tmp, n < sizeof tmp ? n : sizeof tmp - 1);
        break;
    }
    }
}

/* ---- RowBinary ---- */

static void rb_varint(dt_ch_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        put_byte(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put_byte(b, (uint8_t)v);
}

static void rb_le(dt_ch_buf *b, uint64_t v, int n)
{
    if (!dt_ch_buf_reserve(b, (size_t)n))
        return;
    for (int i = 0; i < n; i++)
        b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static void rb_bytes(dt_ch_buf *b, const void *p, size_t n)
{
    rb_varint(b, n);
    dt_ch_buf_put(b, p, n);
}

/* A String column: valid UTF-8 straight in, the rest through scratch. */
static void rb_string(dt_ch_buf *b, dt_ch_row_ctx *rc, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    if (utf8_valid((const uint8_t *)s, n)) {
        rb_bytes(b, s, n);
        return;
    }
    rc->scratch.len = 0;
    put_utf8(&rc->scratch, (const uint8_t *)s, n);
    rb_bytes(b, rc->scratch.p, rc->scratch.len);
}

static size_t count_fields(const dt_field *f)
{
    size_t n = 0;
    for (; f; f = f->next)
        n += 1 + count_fields(f->child);
    return n;
}

static void rb_field_keys(dt_ch_buf *b, const dt_field *f)
{
    for (; f; f = f->next) {
        rb_bytes(b, f->def->abbrev, strlen(f->def->abbrev));
        rb_field_keys(b, f->child);
    }
}

static void rb_field_values(dt_ch_buf *b, dt_ch_row_ctx *rc, const dt_field *f)
{
    for (; f; f = f->next) {
        rc->scratch.len = 0;
        dt_ch_field_text(&rc->scratch, f);
        rb_bytes(b, rc->scratch.p, rc->scratch.len);
        rb_field_values(b, rc, f->child);
    }
}

static void row_binary(dt_ch_buf *b, dt_ch_row_ctx *rc, const dt_event *ev)
{
    rb_le(b, ev->ts_ns / 1000000000u, 4);
    rb_le(b, ev->ts_ns, 8);
    rb_string(b, rc, rc->host);
    rb_le(b, rc->run_id, 8);
    rb_le(b, rc->batch, 8);
    rb_le(b, ev->seq, 8);
    rb_string(b, rc, ev->conv && ev->conv->channel ? ev->conv->channel->name : "");
    rb_string(b, rc, ev->input);
    put_byte(b, (uint8_t)(ev->kind + 1));
    rb_string(b, rc, ev->proto);
    rb_string(b, rc, ev->proto_name);
    put_byte(b, ev->conv ? (uint8_t)(ev->dir + 1) : 0);
    rb_le(b, ev->conv ? ev->conv->id : 0, 4);
    rb_string(b, rc, ev->conv ? ev->conv->client : "");
    rb_string(b, rc, ev->conv ? ev->conv->server : "");
    put_byte(b, (uint8_t)ev->role);
    rb_le(b, ev->req_seq, 8);
    put_byte(b, ev->has_latency ? 0 : 1); /* Nullable: 1 means NULL */
    if (ev->has_latency)
        rb_le(b, ev->latency_ns, 8);
    rb_string(b, rc, ev->status);
    put_byte(b, ev->is_error);
    put_byte(b, ev->malformed);
    rb_string(b, rc, ev->stats_key);
    rb_string(b, rc, ev->summary);
    rb_le(b, ev->raw_len > UINT32_MAX ? UINT32_MAX : ev->raw_len, 4);
    rb_le(b, ev->raw_offset, 8);
    size_t n = count_fields(ev->fields);
    rb_varint(b, n);
    rb_field_keys(b, ev->fields);
    rb_varint(b, n);
    rb_field_values(b, rc, ev->fields);
}

/* ---- JSONEachRow ---- */

static void js_string_bytes(dt_ch_buf *b, const uint8_t *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    put_byte(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len;) {
        uint8_t c = p[i];
        char esc[8];
        const char *e = NULL;
        size_t n = 1;
        if (c >= 0x80) {
            if (dt_utf8_next(p + i, len - i, &n) >= 0) {
                i += n;
                continue;
            }
            e = "\\ufffd";
        } else if (c == '"') {
            e = "\\\"";
        } else if (c == '\\') {
            e = "\\\\";
        } else if (c == '\n') {
            e = "\\n";
        } else if (c == '\r') {
            e = "\\r";
        } else if (c == '\t') {
            e = "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc[6] = 0;
            e = esc;
        } else {
            i++;
            continue;
        }
        dt_ch_buf_put(b, p + run, i - run);
        put_cstr(b, e);
        i += n;
        run = i;
    }
    dt_ch_buf_put(b, p + run, len - run);
    put_byte(b, '"');
}

static void js_string(dt_ch_buf *b, const char *s)
{
    if (!s)
        s = "";
    js_string_bytes(b, (const uint8_t *)s, strlen(s));
}

static void js_key(dt_ch_buf *b, const char *k, bool first)
{
    if (!first)
        put_byte(b, ',');
    put_byte(b, '"');
    put_cstr(b, k);
    put_cstr(b, "\":");
}

static void js_uint(dt_ch_buf *b, const char *k, uint64_t v)
{
    js_key(b, k, false);
    put_u64_dec(b, v);
}

static void js_str(dt_ch_buf *b, const char *k, const char *v)
{
    js_key(b, k, false);
    js_string(b, v);
}

static void js_field_keys(dt_ch_buf *b, const dt_field *f, bool *first)
{
    for (; f; f = f->next) {
        if (!*first)
            put_byte(b, ',');
        *first = false;
        js_string(b, f->def->abbrev);
        js_field_keys(b, f->child, first);
    }
}

static void js_field_values(dt_ch_buf *b, dt_ch_row_ctx *rc, const dt_field *f, bool *first)
{
    for (; f; f = f->next) {
        if (!*first)
            put_byte(b, ',');
        *first = false;
        rc->scratch.len = 0;
        dt_ch_field_text(&rc->scratch, f);
        js_string_bytes(b, rc->scratch.p, rc->scratch.len);
        js_field_values(b, rc, f->child, first);
    }
}

static void json_each_row(dt_ch_buf *b, dt_ch_row_ctx *rc, const dt_event *ev)
{
    static const char *const kinds[] = { "pdu", "note", "error", "pending" };
    static const char *const roles[] = { "", "request", "response", "interim" };
    put_byte(b, '{');
    js_key(b, "time", true);
    put_u64_dec(b, ev->ts_ns / 1000000000u);
    js_uint(b, "ts_ns", ev->ts_ns);
    js_str(b, "host", rc->host);
    js_uint(b, "run_id", rc->run_id);
    js_uint(b, "batch", rc->batch);
    js_uint(b, "seq", ev->seq);
    js_str(b, "channel", ev->conv && ev->conv->channel ? ev->conv->channel->name : "");
    js_str(b, "input", ev->input);
    js_str(b, "kind", kinds[ev->kind & 3]);
    js_str(b, "proto", ev->proto);
    js_str(b, "proto_name", ev->proto_name);
    js_str(b, "dir", !ev->conv ? "" : ev->dir == DT_DIR_C2S ? "c2s" : "s2c");
    js_uint(b, "conv_id", ev->conv ? ev->conv->id : 0);
    js_str(b, "client", ev->conv ? ev->conv->client : "");
    js_str(b, "server", ev->conv ? ev->conv->server : "");
    js_str(b, "role", roles[ev->role & 3]);
    js_uint(b, "req_seq", ev->req_seq);
    if (ev->has_latency) {
        js_uint(b, "latency_ns", ev->latency_ns);
    } else {
        js_key(b, "latency_ns", false);
        put_cstr(b, "null");
    }
    js_str(b, "status", ev->status);
    js_uint(b, "is_error", ev->is_error);
    js_uint(b, "malformed", ev->malformed);
    js_str(b, "stats_key", ev->stats_key);
    js_str(b, "summary", ev->summary);
    js_uint(b, "raw_len", ev->raw_len > UINT32_MAX ? UINT32_MAX : ev->raw_len);
    js_uint(b, "raw_offset", ev->raw_offset);
    bool first = true;
    js_key(b, "field_keys", false);
    put_byte(b, '[');
    js_field_keys(b, ev->fields, &first);
    put_cstr(b, "],");
    first = true;
    js_key(b, "field_values", true);
    put_byte(b, '[');
    js_field_values(b, rc, ev->fields, &first);
    put_cstr(b, "]}\n");
}

void dt_ch_row_append(dt_ch_buf *b, dt_ch_format fmt, dt_ch_row_ctx *rc, const dt_event *ev)
{
    if (fmt == DT_CH_JSONEACHROW)
        json_each_row(b, rc, ev);
    else
        row_binary(b, rc, ev);
}
