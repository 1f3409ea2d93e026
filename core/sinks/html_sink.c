/* -T html: one self-contained report (docs/html.md).
 *
 * The page's CSS and JavaScript (core/sinks/html/, embedded at build time)
 * come first; then every event is written as it arrives, one compact JSON
 * array per line inside a <script type="application/x-ndjson"> block; the
 * statistics table closes the file. Nothing is held per event: the sink
 * remembers which conversations it has described (one bit each) and the
 * statistics sink's per-key counters. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json_writer.h"
#include "sink_util.h"

#define RAW_MAX 256 /* bytes of each message's raw bytes kept in the report */

extern const char dt_html_css[];
extern const char dt_html_js[];

typedef struct html_sink {
    dt_sink base;
    FILE *out;
    dt_jw w;
    dt_sink *stats; /* the same table as --stats, written as JSON at the end */
    bool reported;
    bool have_base;
    uint64_t base_ns;  /* times are written as ns after the first event: exact in a JS number */
    uint8_t *convs;    /* bit per conversation id already described */
    size_t convs_bytes;
    char title[256];
} html_sink;

static void put_raw_b64(dt_jw *w, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[(RAW_MAX + 2) / 3 * 4];
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    dt_jw_string(w, out, o);
}

/* A secret was redacted somewhere in the tree: then the raw bytes (which
 * hold it) stay out of the report too, as they stay out of JSON Lines. */
static bool has_redacted(const dt_field *f, int depth)
{
    for (; f; f = f->next)
        if ((f->flags & DT_FLD_REDACTED) || (f->child && depth < 64 && has_redacted(f->child, depth + 1)))
            return true;
    return false;
}

/* Describes a conversation the first time one of its events comes by. */
static void describe_conv(html_sink *h, const dt_conv_info *c)
{
    size_t byte = c->id / 8;
    if (byte >= h->convs_bytes) {
        size_t n = h->convs_bytes ? h->convs_bytes : 64;
        while (n <= byte)
            n *= 2;
        uint8_t *g = realloc(h->convs, n);
        if (!g)
            return; /* described again next time: larger file, nothing lost */
        memset(g + h->convs_bytes, 0, n - h->convs_bytes);
        h->convs = g;
        h->convs_bytes = n;
    }
    if (h->convs[byte] & (1u << (c->id % 8)))
        return;
    h->convs[byte] |= (uint8_t)(1u << (c->id % 8));
    dt_jw *w = &h->w;
    dt_jw_begin_array(w);
    dt_jw_cstr(w, "cv");
    dt_jw_uint(w, c->id);
    dt_jw_cstr(w, c->channel ? c->channel->name : NULL);
    dt_jw_cstr(w, c->client);
    dt_jw_cstr(w, c->server);
    dt_jw_end_array(w);
    dt_jw_newline(w);
}

static void html_channel(dt_sink *s, const dt_channel *ch)
{
    html_sink *h = (html_sink *)s;
    dt_jw *w = &h->w;
    dt_jw_begin_array(w);
    dt_jw_cstr(w, "ch");
    dt_jw_cstr(w, ch->name);
    dt_jw_cstr(w, ch->description);
    dt_jw_end_array(w);
    dt_jw_newline(w);
}

/* ["e", seq, t, conv, dir, kind, proto, proto_name, summary, role, req_seq,
 *  latency_ns, status, flags, stats_key, raw_len, raw_b64] TAB {fields}
 * (docs/html.md lists them). */
static void html_event(dt_sink *s, const dt_event *ev)
{
    html_sink *h = (html_sink *)s;
    dt_jw *w = &h->w;
    h->stats->event(h->stats, ev);
    if (!h->have_base) {
        char ts[40];
        h->have_base = true;
        h->base_ns = ev->ts_ns;
        dt_fmt_rfc3339(ev->ts_ns, ts, sizeof ts);
        dt_jw_begin_array(w);
        dt_jw_cstr(w, "base");
        dt_jw_uint_str(w, ev->ts_ns);
        dt_jw_cstr(w, ts);
        dt_jw_end_array(w);
        dt_jw_newline(w);
    }
    if (ev->conv)
        describe_conv(h, ev->conv);
    dt_jw_begin_array(w);
    dt_jw_cstr(w, "e");
    dt_jw_uint(w, ev->seq);
    dt_jw_int(w, (int64_t)(ev->ts_ns - h->base_ns)); /* a late event (session reorder) may precede the base */
    dt_jw_uint(w, ev->conv ? ev->conv->id : 0);
    dt_jw_uint(w, ev->dir);
    dt_jw_uint(w, ev->kind);
    dt_jw_cstr(w, ev->proto);
    dt_jw_cstr(w, ev->proto_name);
    dt_jw_cstr(w, ev->summary ? ev->summary : "");
    dt_jw_uint(w, ev->role);
    dt_jw_uint(w, ev->req_seq);
    if (ev->has_latency)
        dt_jw_uint(w, ev->latency_ns);
    else
        dt_jw_null(w);
    dt_jw_cstr(w, ev->status);
    dt_jw_uint(w, (ev->is_error ? 1u : 0u) | (ev->malformed ? 2u : 0u));
    dt_jw_cstr(w, ev->stats_key);
    dt_jw_uint(w, ev->raw_len);
    if (ev->raw && ev->raw_len && !has_redacted(ev->fields, 0))
        put_raw_b64(w, ev->raw, ev->raw_len < RAW_MAX ? ev->raw_len : RAW_MAX);
    else
        dt_jw_null(w);
    dt_jw_end_array(w);
    /* The field tree after a tab, outside the array: the page parses the
     * small head of every record at load and a tree only when it is needed
     * (a click, a field search). A tab is never raw inside JSON text. */
    if (ev->fields) {
        dt_jw_flush(w);
        putc('\t', h->out);
        dt_jw_begin_object(w);
        dt_json_write_fields(w, ev->fields);
        dt_jw_end_object(w);
    }
    dt_jw_newline(w);
    dt_sink_file_status(h->out, &h->reported, "HTML report");
}

static int html_finish(dt_sink *s)
{
    html_sink *h = (html_sink *)s;
    fputs("</script>\n<script type=\"application/json\" id=\"dt-stats-json\">", h->out);
    int rc = h->stats->finish(h->stats);
    fputs("</script>\n<script type=\"application/json\" id=\"dt-meta\">", h->out);
    dt_jw *w = &h->w;
    dt_jw_begin_object(w);
    dt_jw_key(w, "generator");
    dt_jw_cstr(w, "diagtap " DIAGTAP_VERSION);
    dt_jw_key(w, "title");
    dt_jw_cstr(w, h->title);
    dt_jw_key(w, "complete");
    dt_jw_bool(w, true);
    dt_jw_end_object(w);
    dt_jw_flush(w);
    fputs("</script>\n</body>\n</html>\n", h->out);
    fflush(h->out);
    if (dt_sink_file_status(h->out, &h->reported, "HTML report") != 0)
        rc = -1;
    return rc;
}

static void html_destroy(dt_sink *s)
{
    html_sink *h = (html_sink *)s;
    if (h->stats)
        h->stats->destroy(h->stats);
    free(h->convs);
    free(h);
}

dt_sink *dt_html_sink_new(FILE *out, const char *title)
{
    html_sink *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->stats = dt_stats_sink_new_json(out);
    if (!h->stats) {
        free(h);
        return NULL;
    }
    h->base.channel = html_channel;
    h->base.event = html_event;
    h->base.finish = html_finish;
    h->base.destroy = html_destroy;
    h->out = out;
    h->w.script_safe = true;
    dt_jw_init(&h->w, out);
    snprintf(h->title, sizeof h->title, "%s", title && *title ? title : "diagtap timeline");
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"generator\" content=\"diagtap " DIAGTAP_VERSION "\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>",
          out);
    for (const char *p = h->title; *p; p++) { /* the title is the user's text: escaped */
        if (*p == '<')
            fputs("&lt;", out);
        else if (*p == '&')
            fputs("&amp;", out);
        else
            putc(*p, out);
    }
    fputs("</title>\n<style>\n", out);
    fputs(dt_html_css, out);
    fputs("</style>\n<script>\n", out);
    fputs(dt_html_js, out);
    fputs("</script>\n</head>\n<body>\n<script type=\"application/x-ndjson\" id=\"dt-events\">\n", out);
    return &h->base;
}
