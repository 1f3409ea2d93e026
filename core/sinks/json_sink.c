/* JSON Lines: one object per event; the schema is docs/json-schema.md. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json_writer.h"
#include "sink_util.h"

/* Every event repeats its conversation ({"id":…,"client":…,"server":…,
 * "channel":…}: four strings escaped, one number) and the date and time
 * of its timestamp to the second; both are kept rendered. A conversation's
 * id is unique in the run and its names do not change while it is open. */
#define CONV_SLOTS 16
#define CONV_TEXT 240
typedef struct conv_slot {
    uint32_t id; /* 0: empty */
    uint32_t len;
    char text[CONV_TEXT];
} conv_slot;

typedef struct json_sink {
    dt_sink base;
    FILE *out;
    dt_jw w;
    bool reported;
    bool raw; /* -V: each event's bytes as "raw" hex */
    uint64_t ts_sec;    /* the second ts_text renders, UINT64_MAX: none */
    char ts_text[24];   /* "2026-11-21T11:02:10." with its opening quote */
    uint64_t ns_sec;    /* the second ns_text holds, UINT64_MAX: none */
    char ns_text[24];   /* its decimal digits: ts_ns without its last nine */
    size_t ns_len;
    conv_slot convs[CONV_SLOTS];
} json_sink;

/* Whether a credential in this event's tree was withheld: its bytes then
 * stay out of the output too. */
static bool has_redacted(const dt_field *f)
{
    for (; f; f = f->next)
        if ((f->flags & DT_FLD_REDACTED) || has_redacted(f->child))
            return true;
    return false;
}

/* The values of "kind", "role" and "dir" as JSON text, quotes included:
 * written as they are, with no length to count and nothing to escape. */
#define LIT(s) { s, sizeof s - 1 }
typedef struct lit {
    const char *text;
    size_t len;
} lit;

static lit kind_json(dt_event_kind k)
{
    static const lit names[] = { [DT_EV_PDU] = LIT("\"pdu\""), [DT_EV_NOTE] = LIT("\"note\""),
                                 [DT_EV_ERROR] = LIT("\"error\""), [DT_EV_PENDING] = LIT("\"pending\"") };
    return (size_t)k < sizeof names / sizeof names[0] && names[k].text ? names[k] : names[DT_EV_PDU];
}

static lit role_json(dt_role r)
{
    static const lit names[] = { [DT_ROLE_NONE] = LIT("null"), [DT_ROLE_REQUEST] = LIT("\"request\""),
                                 [DT_ROLE_RESPONSE] = LIT("\"response\""), [DT_ROLE_INTERIM] = LIT("\"interim\"") };
    return (size_t)r < sizeof names / sizeof names[0] && names[r].text ? names[r] : names[DT_ROLE_NONE];
}

static void write_value(dt_jw *w, const dt_field *f)
{
    char buf[64];
    if (f->flags & DT_FLD_REDACTED) { /* a withheld secret of any type */
        dt_jw_cstr(w, "<redacted>");
        return;
    }
    switch (f->def->type) {
    case DT_FT_NONE:
        dt_jw_null(w);
        break;
    case DT_FT_BOOL:
        dt_jw_bool(w, f->v.u != 0);
        break;
    case DT_FT_UINT8:
    case DT_FT_UINT16:
    case DT_FT_UINT32:
        dt_jw_uint(w, f->v.u);
        break;
    case DT_FT_INT32:
        dt_jw_int(w, (int32_t)f->v.i);
        break;
    case DT_FT_UINT64: /* decimal strings: exact in every parser (jq, jansson) */
        dt_jw_uint_str(w, f->v.u);
        break;
    case DT_FT_INT64:
        dt_jw_int_str(w, f->v.i);
        break;
    case DT_FT_RELTIME: /* seconds, as an exact decimal number */
        dt_jw_decimal(w, f->v.u / 1000000000u, (uint32_t)(f->v.u % 1000000000u));
        break;
    case DT_FT_DOUBLE:
        dt_jw_double(w, f->v.d);
        break;
    case DT_FT_STRING:
        dt_jw_string(w, f->v.s.ptr ? f->v.s.ptr : "", f->v.s.ptr ? f->v.s.len : 0);
        break;
    case DT_FT_BYTES:
        dt_jw_hex(w, f->v.s.ptr, f->v.s.ptr ? f->v.s.len : 0);
        break;
    case DT_FT_GUID:
    case DT_FT_IPV4:
    case DT_FT_IPV6:
    case DT_FT_ABSTIME:
        dt_fmt_value(f, buf, sizeof buf);
        dt_jw_cstr(w, buf);
        break;
    }
}

static void write_fields(dt_jw *w, const dt_field *first);

/* A field with children is an object: its own value under "value" (absent
 * for DT_FT_NONE), its children under their abbrevs. */
static void write_field(dt_jw *w, const dt_field *f)
{
    if (!f->child) {
        write_value(w, f);
        return;
    }
    if (!dt_jw_begin_object(w)) { /* nested too deep for the writer */
        dt_jw_null(w);
        return;
    }
    if (f->def->type != DT_FT_NONE) {
        DT_JW_KEY(w, "value");
        write_value(w, f);
    }
    write_fields(w, f->child);
    dt_jw_end_object(w);
}

/* The member for f's def: one value, or an array of every field of that def
 * from f on (f is the def's first occurrence). */
static void write_member(dt_jw *w, const dt_field *f, size_t count)
{
    dt_jw_key_of(w, f->def, f->def->abbrev);
    if (count == 1) {
        write_field(w, f);
    } else if (dt_jw_begin_array(w)) {
        for (const dt_field *g = f; g; g = g->next)
            if (g->def == f->def)
                write_field(w, g);
        dt_jw_end_array(w);
    } else {
        dt_jw_null(w);
    }
}

/* The plain way, for long lists of many defs: O(n^2) but no limits. */
static void write_fields_slow(dt_jw *w, const dt_field *first)
{
    const dt_field *prev = NULL;
    for (const dt_field *f = first; f; prev = f, f = f->next) {
        if (prev && prev->def == f->def)
            continue;
        bool seen = false;
        for (const dt_field *g = first; g != f && !seen; g = g->next)
            seen = g->def == f->def;
        if (seen)
            continue;
        size_t count = 0;
        for (const dt_field *g = f; g; g = g->next)
            count += g->def == f->def;
        write_member(w, f, count);
    }
}

#define WF_SLOTS 64   /* open-addressing table of the defs seen in one list */
#define WF_MAX_DEFS 32 /* at most half full */

/* Siblings as object members; a def that occurs more than once becomes an
 * array, at the place of its first occurrence. One pass counts each def's
 * fields in a small hash table on the stack (this runs for every event, so
 * no quadratic scans and no allocation); a list of more defs than the table
 * holds takes the plain way. */
#define WF_LINEAR 8 /* lists of up to this many defs: a linear search, no table */

static void write_fields_hashed(dt_jw *w, const dt_field *first);

/* Most lists are short (a field's children): their defs are found by a
 * linear search of the few seen so far. */
static void write_fields(dt_jw *w, const dt_field *first)
{
    const dt_field *head[WF_LINEAR];
    size_t count[WF_LINEAR];
    size_t ndefs = 0, cur = 0;
    const dt_field *prev = NULL;
    for (const dt_field *f = first; f; prev = f, f = f->next) {
        if (prev && prev->def == f->def) {
            count[cur]++;
            continue;
        }
        size_t k = 0;
        while (k < ndefs && head[k]->def != f->def)
            k++;
        if (k < ndefs) {
            count[cur = k]++;
            continue;
        }
        if (ndefs == WF_LINEAR) {
            write_fields_hashed(w, first);
            return;
        }
        head[ndefs] = f;
        count[ndefs] = 1;
        cur = ndefs++;
    }
    for (size_t k = 0; k < ndefs; k++)
        write_member(w, head[k], count[k]);
}

static void write_fields_hashed(dt_jw *w, const dt_field *first)
{
    uint8_t slot[WF_SLOTS] = { 0 }; /* 1 + index into head/count, or 0: free */
    const dt_field *head[WF_MAX_DEFS];
    size_t count[WF_MAX_DEFS];
    size_t ndefs = 0, cur = 0;
    const dt_field *prev = NULL;
    for (const dt_field *f = first; f; prev = f, f = f->next) {
        if (prev && prev->def == f->def) {
            count[cur]++;
            continue;
        }
        uintptr_t h = (uintptr_t)f->def;
        size_t s = (size_t)((h >> 4) ^ (h >> 10)) & (WF_SLOTS - 1);
        while (slot[s] && head[slot[s] - 1]->def != f->def)
            s = (s + 1) & (WF_SLOTS - 1);
        if (slot[s]) {
            cur = slot[s] - 1u;
            count[cur]++;
            continue;
        }
        if (ndefs == WF_MAX_DEFS) {
            write_fields_slow(w, first);
            return;
        }
        slot[s] = (uint8_t)(ndefs + 1);
        head[ndefs] = f;
        count[ndefs] = 1;
        cur = ndefs++;
    }
    for (size_t k = 0; k < ndefs; k++)
        write_member(w, head[k], count[k]);
}

void dt_json_write_fields(dt_jw *w, const struct dt_field *first) { write_fields(w, first); }

static void write_conv_object(dt_jw *w, const dt_conv_info *c)
{
    dt_jw_begin_object(w);
    DT_JW_KEY(w, "id");
    dt_jw_uint(w, c->id);
    DT_JW_KEY(w, "client");
    dt_jw_cstr(w, c->client);
    DT_JW_KEY(w, "server");
    dt_jw_cstr(w, c->server);
    DT_JW_KEY(w, "channel");
    dt_jw_cstr(w, c->channel ? c->channel->name : NULL);
    dt_jw_end_object(w);
}

static void write_conv(json_sink *js, const dt_conv_info *c)
{
    conv_slot *slot = &js->convs[c->id % CONV_SLOTS];
    if (c->id && slot->id == c->id) {
        dt_jw_raw(&js->w, slot->text, slot->len);
        return;
    }
    size_t names = (c->client ? strlen(c->client) : 0) + (c->server ? strlen(c->server) : 0) +
                   (c->channel && c->channel->name ? strlen(c->channel->name) : 0);
    /* Rendered apart in tmp, whose 4 KiB must not fill (it has no FILE):
     * 200 bytes of names are 1 200 at most escaped. Longer: written as before. */
    if (!c->id || names > 200) {
        write_conv_object(&js->w, c);
        return;
    }
    dt_jw tmp; /* rendered alone, by the same writer code: the same bytes */
    tmp.script_safe = js->w.script_safe;
    tmp.keys = NULL;
    dt_jw_init(&tmp, NULL);
    write_conv_object(&tmp, c);
    if (tmp.used <= CONV_TEXT) { /* kept; a longer one is written, not kept */
        memcpy(slot->text, tmp.buf, tmp.used);
        slot->len = (uint32_t)tmp.used;
        slot->id = c->id;
    }
    dt_jw_raw(&js->w, tmp.buf, tmp.used);
}

/* The nine digits of ns's fraction of a second, for "ts" and "ts_ns" both. */
static void frac9_digits(uint64_t ns, char out[9])
{
    uint32_t frac = (uint32_t)(ns % 1000000000u);
    for (int i = 8; i >= 0; i--, frac /= 10)
        out[i] = (char)('0' + frac % 10);
}

/* "2026-11-21T11:02:10.867556000Z", the part up to the second rendered once
 * per second (dt_fmt_rfc3339's text: the fraction is its last 10 bytes). */
static void write_ts(json_sink *js, uint64_t ns, const char frac9[9])
{
    uint64_t sec = ns / 1000000000u;
    if (sec != js->ts_sec) {
        char ts[40];
        size_t n = dt_fmt_rfc3339(ns, ts, sizeof ts);
        if (n != 30) { /* a year past 9999: not kept */
            dt_jw_string(&js->w, ts, n);
            return;
        }
        js->ts_text[0] = '"';
        memcpy(js->ts_text + 1, ts, 20);
        js->ts_sec = sec;
    }
    char text[32];
    memcpy(text, js->ts_text, 21);
    memcpy(text + 21, frac9, 9);
    text[30] = 'Z';
    text[31] = '"';
    dt_jw_raw(&js->w, text, 32);
}

/* ts_ns: the digits of its second, kept as the date of "ts" is, then the
 * nine of the nanoseconds (a 19-digit number was ten 64-bit divisions). */
static void write_ts_ns(json_sink *js, uint64_t ns, const char frac9[9])
{
    uint64_t sec = ns / 1000000000u;
    if (sec == 0) {
        dt_jw_uint(&js->w, ns);
        return;
    }
    if (sec != js->ns_sec) {
        char digits[24], *d = digits + sizeof digits;
        for (uint64_t v = sec; v; v /= 10)
            *--d = (char)('0' + v % 10);
        js->ns_len = (size_t)(digits + sizeof digits - d);
        memcpy(js->ns_text, d, js->ns_len);
        js->ns_sec = sec;
    }
    char text[32];
    size_t n = js->ns_len;
    memcpy(text, js->ns_text, sizeof js->ns_text);
    memcpy(text + n, frac9, 9);
    dt_jw_raw(&js->w, text, n + 9);
}

static void json_event(dt_sink *s, const dt_event *ev)
{
    json_sink *js = (json_sink *)s;
    dt_jw *w = &js->w;

    dt_jw_begin_object(w);
    DT_JW_KEY(w, "seq");
    dt_jw_uint(w, ev->seq);
    char frac9[9];
    frac9_digits(ev->ts_ns, frac9);
    DT_JW_KEY(w, "ts");
    write_ts(js, ev->ts_ns, frac9);
    DT_JW_KEY(w, "ts_ns");
    write_ts_ns(js, ev->ts_ns, frac9);
    DT_JW_KEY(w, "conv");
    if (ev->conv)
        write_conv(js, ev->conv);
    else
        dt_jw_null(w);
    DT_JW_KEY(w, "dir");
    if (ev->conv)
        dt_jw_raw(w, ev->dir == DT_DIR_C2S ? "\"c2s\"" : "\"s2c\"", 5);
    else
        dt_jw_null(w);
    DT_JW_KEY(w, "kind");
    lit kind = kind_json(ev->kind);
    dt_jw_raw(w, kind.text, kind.len);
    DT_JW_KEY(w, "proto");
    dt_jw_cstr(w, ev->proto);
    DT_JW_KEY(w, "proto_name");
    dt_jw_cstr(w, ev->proto_name);
    DT_JW_KEY(w, "summary");
    dt_jw_cstr(w, ev->summary ? ev->summary : "");
    DT_JW_KEY(w, "role");
    lit role = role_json(ev->role);
    dt_jw_raw(w, role.text, role.len);
    DT_JW_KEY(w, "req_seq");
    if (ev->req_seq)
        dt_jw_uint(w, ev->req_seq);
    else
        dt_jw_null(w);
    DT_JW_KEY(w, "latency_ns");
    if (ev->has_latency)
        dt_jw_uint(w, ev->latency_ns);
    else
        dt_jw_null(w);
    DT_JW_KEY(w, "malformed");
    dt_jw_bool(w, ev->malformed);
    DT_JW_KEY(w, "stats_key");
    dt_jw_cstr(w, ev->stats_key);
    DT_JW_KEY(w, "status");
    dt_jw_cstr(w, ev->status);
    DT_JW_KEY(w, "is_error");
    dt_jw_bool(w, ev->is_error);
    DT_JW_KEY(w, "input");
    dt_jw_cstr(w, ev->input);
    DT_JW_KEY(w, "raw_len");
    dt_jw_uint(w, ev->raw_len);
    DT_JW_KEY(w, "raw_offset");
    dt_jw_uint(w, ev->raw_offset);
    if (js->raw && ev->raw && ev->raw_len && !has_redacted(ev->fields)) {
        DT_JW_KEY(w, "raw");
        dt_jw_hex(w, ev->raw, ev->raw_len);
    }
    DT_JW_KEY(w, "fields");
    dt_jw_begin_object(w);
    write_fields_hashed(w, ev->fields); /* an event's own list has more defs than WF_LINEAR */
    dt_jw_end_object(w);
    dt_jw_end_object(w);
    dt_jw_newline(w);
    dt_sink_file_status(js->out, &js->reported, "JSON timeline");
}

static int json_finish(dt_sink *s)
{
    json_sink *js = (json_sink *)s;
    fflush(js->out);
    return dt_sink_file_status(js->out, &js->reported, "JSON timeline");
}

static void json_destroy(dt_sink *s)
{
    free(((json_sink *)s)->w.keys);
    free(s);
}

void dt_json_sink_set_raw(dt_sink *s, bool raw) { ((json_sink *)s)->raw = raw; }

dt_sink *dt_json_sink_new(FILE *out)
{
    json_sink *js = calloc(1, sizeof *js);
    if (!js)
        return NULL;
    js->base.channel = dt_sink_nop_channel;
    js->base.event = json_event;
    js->base.finish = json_finish;
    js->base.destroy = json_destroy;
    js->out = out;
    js->ts_sec = UINT64_MAX;
    js->ns_sec = UINT64_MAX;
    dt_jw_init(&js->w, out);
    js->w.keys = calloc(1, sizeof *js->w.keys); /* without it keys are scanned each time */
    return &js->base;
}
