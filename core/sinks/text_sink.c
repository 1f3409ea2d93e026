/* The human timeline: one line per event, the field tree under it with -V. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/platform.h"
#include "format.h"
#include "sink_util.h"

#define COL_CONV_MAX 56
#define COL_PROTO_MAX 10
#define VALUE_MAX 1024 /* bytes of a value shown under -V */
#define MAX_DEPTH 32   /* levels of the field tree shown under -V */
#define HEX_MAX 512    /* bytes of an event dumped under -x */

#define C_DIM "\033[2m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_MAGENTA "\033[35m"
#define C_OFF "\033[0m"

typedef struct text_sink {
    dt_sink base;
    FILE *out;
    dt_text_opts opts;
    bool reported;
    int last_ymd;        /* date of the last line, year*10000+month*100+day */
    int64_t cached_sec;  /* the second civil/utc_off were computed for */
    dt_civil civil;
    long utc_off;        /* seconds east of UTC */
    size_t conv_width;   /* widest endpoints column so far */
    size_t proto_width;
    char value[VALUE_MAX]; /* one rendered value */
} text_sink;

/* Terminal-safe output: controls escaped, invalid UTF-8 as U+FFFD, C1
 * controls as \u00XX; at most max bytes of input, then "…". */
static void put_safe(FILE *f, const char *s, size_t len, size_t max)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t lim = len < max ? len : max;
    size_t i = 0;
    while (i < lim) {
        uint8_t b = p[i];
        size_t n = 1;
        if (b >= 0x20 && b < 0x7f) {
            size_t j = i;
            while (j < lim && p[j] >= 0x20 && p[j] < 0x7f)
                j++;
            fwrite(p + i, 1, j - i, f);
            i = j;
            continue;
        }
        if (b < 0x80) {
            switch (b) {
            case '\n': fputs("\\n", f); break;
            case '\r': fputs("\\r", f); break;
            case '\t': fputs("\\t", f); break;
            default: fprintf(f, "\\x%02x", b);
            }
        } else {
            int32_t cp = dt_utf8_next(p + i, len - i, &n);
            if (cp < 0)
                fputs("\xef\xbf\xbd", f);
            else if (cp < 0xa0)
                fprintf(f, "\\u%04x", (unsigned)cp);
            else
                fwrite(p + i, 1, n, f);
        }
        i += n;
    }
    if (len > max)
        fputs("…", f);
}

static void put_cstr(FILE *f, const char *s) { put_safe(f, s, strlen(s), (size_t)-1); }

/* Display columns of s: code points, which is right for the text we print. */
static size_t columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((uint8_t)*s & 0xc0) != 0x80;
    return n;
}

static void pad(FILE *f, size_t n)
{
    while (n--)
        putc(' ', f);
}

static void update_clock(text_sink *t, uint64_t ts_ns)
{
    int64_t sec = (int64_t)(ts_ns / 1000000000u);
    if (sec == t->cached_sec)
        return;
    t->cached_sec = sec;
    t->utc_off = 0;
    if (!t->opts.utc) {
        time_t tt = (time_t)sec;
        struct tm tm;
        long off;
        if (dt_localtime(tt, &tm, &off)) {
            t->utc_off = off;
            t->civil = (dt_civil){ tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec };
            return;
        }
    }
    dt_civil_from_unix(sec, &t->civil);
}

static void put_date_line(text_sink *t)
{
    const dt_civil *c = &t->civil;
    int ymd = c->year * 10000 + c->month * 100 + c->day;
    if (ymd == t->last_ymd)
        return;
    t->last_ymd = ymd;
    FILE *f = t->out;
    if (t->opts.color)
        fputs(C_DIM, f);
    fprintf(f, "--- %04d-%02d-%02d", c->year, c->month, c->day);
    if (t->opts.utc) {
        fputs(" (UTC) ---", f);
    } else {
        long off = t->utc_off < 0 ? -t->utc_off : t->utc_off;
        fprintf(f, " (local time, UTC%c%02ld:%02ld) ---", t->utc_off < 0 ? '-' : '+', off / 3600, off / 60 % 60);
    }
    if (t->opts.color)
        fputs(C_OFF, f);
    putc('\n', f);
}

static void put_tree(text_sink *t, const dt_field *f, int depth)
{
    char *buf = t->value;
    for (; f; f = f->next) {
        pad(t->out, 4 + 4 * (size_t)depth);
        put_cstr(t->out, f->def->name ? f->def->name : f->def->abbrev);
        if (f->def->type != DT_FT_NONE) {
            fputs(": ", t->out);
            if (f->def->type == DT_FT_STRING) {
                if (f->v.s.ptr)
                    put_safe(t->out, f->v.s.ptr, f->v.s.len, VALUE_MAX);
            } else {
                size_t n = dt_fmt_value(f, buf, VALUE_MAX);
                put_cstr(t->out, buf);
                if (n >= VALUE_MAX)
                    fputs("…", t->out);
                if (n >= VALUE_MAX && f->def->type == DT_FT_BYTES)
                    fprintf(t->out, " (%zu bytes)", f->v.s.len);
            }
        }
        putc('\n', t->out);
        if (f->child && depth + 1 < MAX_DEPTH) {
            put_tree(t, f->child, depth + 1);
        } else if (f->child) {
            pad(t->out, 4 + 4 * (size_t)(depth + 1));
            fputs("…\n", t->out); /* deeper levels are in the JSON output */
        }
    }
}

/* tcpdump -X style: offset, 16 bytes in hex, the same as ASCII. */
static void put_hexdump(FILE *f, const char *label, const uint8_t *b, size_t len)
{
    size_t n = len < HEX_MAX ? len : HEX_MAX;
    if (label)
        fprintf(f, "    %s:\n", label);
    for (size_t off = 0; off < n; off += 16) {
        fprintf(f, "    %04zx  ", off);
        for (size_t i = 0; i < 16; i++) {
            if (off + i < n)
                fprintf(f, "%02x ", b[off + i]);
            else
                fputs("   ", f);
            if (i == 7)
                putc(' ', f);
        }
        putc(' ', f);
        for (size_t i = 0; i < 16 && off + i < n; i++)
            putc(b[off + i] >= 0x20 && b[off + i] < 0x7f ? b[off + i] : '.', f);
        putc('\n', f);
    }
    if (len > n)
        fprintf(f, "    … %zu more bytes\n", len - n);
}

/* -x: the event's bytes; an event without (a conversation's opened line)
 * dumps the byte fields it carries instead (the previews). */
static void put_event_hex(FILE *f, const dt_event *ev)
{
    if (ev->raw && ev->raw_len) {
        put_hexdump(f, NULL, ev->raw, ev->raw_len);
        return;
    }
    for (const dt_field *x = ev->fields; x; x = x->next)
        if (x->def && x->def->type == DT_FT_BYTES && !(x->flags & DT_FLD_REDACTED) && x->v.s.len)
            put_hexdump(f, x->def->name, (const uint8_t *)x->v.s.ptr, x->v.s.len);
}

static void text_event(dt_sink *s, const dt_event *ev)
{
    text_sink *t = (text_sink *)s;
    FILE *f = t->out;
    bool color = t->opts.color;
    char conv[256];
    char dur[32];

    update_clock(t, ev->ts_ns);
    put_date_line(t);
    if (color)
        fputs(C_DIM, f);
    fprintf(f, "%02d:%02d:%02d.%06u", t->civil.hour, t->civil.min, t->civil.sec,
            (unsigned)(ev->ts_ns % 1000000000u / 1000u));
    if (color)
        fputs(C_OFF, f);
    fputs("  ", f);

    /* Endpoints, arrow by direction; the column widens to the widest seen. */
    if (ev->conv)
        snprintf(conv, sizeof conv, "%s %s %s", ev->conv->client ? ev->conv->client : "?",
                 ev->dir == DT_DIR_C2S ? "→" : "←", ev->conv->server ? ev->conv->server : "?");
    else
        snprintf(conv, sizeof conv, "%s", ev->input ? ev->input : "-");
    size_t w = columns(conv);
    if (w > t->conv_width && w <= COL_CONV_MAX)
        t->conv_width = w;
    if (color && ev->conv)
        fputs(ev->dir == DT_DIR_C2S ? C_CYAN : C_MAGENTA, f);
    put_cstr(f, conv);
    if (color && ev->conv)
        fputs(C_OFF, f);
    pad(f, (w < t->conv_width ? t->conv_width - w : 0) + 2);

    const char *proto = ev->proto ? ev->proto : "?";
    w = columns(proto);
    if (w > t->proto_width && w <= COL_PROTO_MAX)
        t->proto_width = w;
    if (color)
        fputs(C_BOLD, f);
    put_cstr(f, proto);
    if (color)
        fputs(C_OFF, f);
    pad(f, (w < t->proto_width ? t->proto_width - w : 0) + 2);

    const char *mark = NULL, *hue = NULL;
    if (ev->kind == DT_EV_ERROR)
        mark = "error: ", hue = C_RED;
    else if (ev->kind == DT_EV_PENDING)
        mark = "pending: ", hue = C_YELLOW;
    else if (ev->kind == DT_EV_NOTE)
        hue = C_DIM;
    else if (ev->is_error || ev->malformed)
        hue = C_RED;
    if (color && hue)
        fputs(hue, f);
    if (mark)
        fputs(mark, f);
    put_cstr(f, ev->summary ? ev->summary : "");
    if (ev->malformed)
        fputs(" [malformed]", f);
    if (ev->has_latency && ev->kind != DT_EV_PENDING) { /* a pending summary states its age itself */
        dt_fmt_duration(ev->latency_ns, dur, sizeof dur);
        fprintf(f, " %s", dur);
    }
    if (color && hue)
        fputs(C_OFF, f);
    putc('\n', f);

    if (t->opts.verbose && ev->fields)
        put_tree(t, ev->fields, 0);
    if (t->opts.hex)
        put_event_hex(f, ev);
    dt_sink_file_status(f, &t->reported, "timeline");
}

static int text_finish(dt_sink *s)
{
    text_sink *t = (text_sink *)s;
    fflush(t->out);
    return dt_sink_file_status(t->out, &t->reported, "timeline");
}

static void text_destroy(dt_sink *s) { free(s); }

dt_sink *dt_text_sink_new(FILE *out, const dt_text_opts *opts)
{
    text_sink *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->base.channel = dt_sink_nop_channel;
    t->base.event = text_event;
    t->base.finish = text_finish;
    t->base.destroy = text_destroy;
    t->out = out;
    if (opts)
        t->opts = *opts;
    t->cached_sec = INT64_MIN;
    return &t->base;
}
