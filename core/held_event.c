/* Deep copy of an event into one buffer (core/held_event.h). */
#include "held_event.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FILTER_DEPTH 64 /* as deep as the filter looks */
#define FULL_DEPTH 4096 /* deeper than any dissector builds (DAP's JSON stops at 2000) */

static size_t align_up(size_t n) { return (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1); }

static int max_depth(unsigned what) { return (what & DT_HELD_DEEP) ? FULL_DEPTH : FILTER_DEPTH; }

static bool has_bytes(const dt_field *f)
{
    return (f->def->type == DT_FT_STRING || f->def->type == DT_FT_BYTES) && f->v.s.ptr;
}

static size_t tree_size(const dt_field *f, int depth, int max)
{
    size_t n = 0;
    for (; f; f = f->next) {
        n += align_up(sizeof *f);
        if (has_bytes(f))
            n += align_up(f->v.s.len + 1);
        if (depth < max)
            n += tree_size(f->child, depth + 1, max);
    }
    return n;
}

static size_t str_size(const char *s) { return s ? align_up(strlen(s) + 1) : 0; }

/* Where the copy goes: at, up to end (NULL: the caller sized the buffer).
 * A take past end fails and the writer stops; nothing is written past end. */
typedef struct writer {
    char *at, *end;
} writer;

static void *take(writer *w, size_t n)
{
    size_t a = align_up(n);
    if (w->end && (size_t)(w->end - w->at) < a)
        return NULL;
    void *p = w->at;
    w->at += a;
    return p;
}

/* false: no room (*out untouched) */
static bool copy_str(writer *w, const char *s, const char **out)
{
    if (!s) {
        *out = NULL;
        return true;
    }
    size_t n = strlen(s);
    char *d = take(w, n + 1);
    if (!d)
        return false;
    memcpy(d, s, n + 1);
    *out = d;
    return true;
}

/* The copy of the list from f on, or false when out of room. */
static bool copy_tree(writer *w, const dt_field *f, int depth, int max, dt_field **first, dt_field **last)
{
    dt_field *prev = NULL;
    *first = NULL;
    for (; f; f = f->next) {
        dt_field *c = take(w, sizeof *c);
        if (!c)
            return false;
        *c = *f;
        c->next = NULL;
        if (has_bytes(f)) {
            char *s = take(w, f->v.s.len + 1);
            if (!s)
                return false;
            memcpy(s, f->v.s.ptr, f->v.s.len);
            s[f->v.s.len] = '\0';
            c->v.s.ptr = s;
        }
        c->child = c->last_child = NULL;
        if (depth < max && f->child && !copy_tree(w, f->child, depth + 1, max, &c->child, &c->last_child))
            return false;
        if (prev)
            prev->next = c;
        else
            *first = c;
        prev = c;
    }
    *last = prev;
    return true;
}

/* What copy_rest takes. */
static size_t rest_size(const dt_event *ev, unsigned what)
{
    size_t n = 0;
    if ((what & DT_HELD_RAW) && ev->raw)
        n += align_up(ev->raw_len);
    if (what & DT_HELD_CONV) {
        n += str_size(ev->input);
        if (ev->conv) {
            n += align_up(sizeof *ev->conv) + str_size(ev->conv->client) + str_size(ev->conv->server);
            const dt_channel *ch = ev->conv->channel;
            if (ch)
                n += align_up(sizeof *ch) + str_size(ch->name) + str_size(ch->description);
        }
    }
    return n;
}

size_t dt_held_event_size(const dt_event *ev, unsigned what)
{
    return align_up(sizeof *ev) + str_size(ev->summary) + str_size(ev->status) + str_size(ev->stats_key) +
           tree_size(ev->fields, 0, max_depth(what)) + rest_size(ev, what);
}

/* The bytes and the conversation of the copy c of ev, as what asks. */
static bool copy_rest(writer *w, const dt_event *ev, unsigned what, dt_event *c)
{
    if ((what & DT_HELD_RAW) && ev->raw) {
        uint8_t *r = take(w, ev->raw_len);
        if (!r)
            return false;
        memcpy(r, ev->raw, ev->raw_len);
        c->raw = r;
    }
    if (!(what & DT_HELD_CONV))
        return true;
    if (!copy_str(w, ev->input, &c->input))
        return false;
    if (!ev->conv)
        return true;
    dt_conv_info *ci = take(w, sizeof *ci);
    if (!ci)
        return false;
    *ci = *ev->conv;
    if (!copy_str(w, ev->conv->client, &ci->client) || !copy_str(w, ev->conv->server, &ci->server))
        return false;
    if (ev->conv->channel) {
        dt_channel *ch = take(w, sizeof *ch);
        if (!ch)
            return false;
        *ch = *ev->conv->channel;
        if (!copy_str(w, ch->name, &ch->name) || !copy_str(w, ch->description, &ch->description))
            return false;
        ci->channel = ch;
    }
    c->conv = ci;
    return true;
}

static dt_event *write_copy(writer *w, const dt_event *ev, unsigned what)
{
    dt_event *c = take(w, sizeof *c);
    if (!c)
        return NULL;
    *c = *ev;
    c->raw = NULL;
    if (!copy_str(w, ev->summary, &c->summary) || !copy_str(w, ev->status, &c->status) ||
        !copy_str(w, ev->stats_key, &c->stats_key))
        return NULL;
    if (!copy_tree(w, ev->fields, 0, max_depth(what), &c->fields, &c->last_field) || !copy_rest(w, ev, what, c))
        return NULL;
    return c;
}

/* ---- an event that keeps its own memory ---- */

typedef struct span {
    uintptr_t lo, hi;
} span;

static span span_of(const void *base, size_t len) { return (span){ (uintptr_t)base, (uintptr_t)base + len }; }

static bool in_span(span sp, const char *s) { return (uintptr_t)s >= sp.lo && (uintptr_t)s < sp.hi; }

/* An event-level string that starts in the span is kept (the arena ends its
 * strings there); one elsewhere (static, or a request's summary the pairing
 * keeps) is copied. */
static bool keep_str(writer *w, span sp, const char *s, const char **out)
{
    if (s && in_span(sp, s)) {
        *out = s;
        return true;
    }
    return copy_str(w, s, out);
}

static size_t kept_str_size(span sp, const char *s) { return s && !in_span(sp, s) ? str_size(s) : 0; }

static dt_event *write_wrap(writer *w, const dt_event *ev, unsigned what, span sp)
{
    dt_event *c = take(w, sizeof *c);
    if (!c)
        return NULL;
    *c = *ev;
    c->raw = NULL;
    if (!keep_str(w, sp, ev->summary, &c->summary) || !keep_str(w, sp, ev->status, &c->status) ||
        !keep_str(w, sp, ev->stats_key, &c->stats_key) || !copy_rest(w, ev, what, c))
        return NULL;
    return c;
}

size_t dt_held_event_wrap_size(const dt_event *ev, unsigned what, const void *base, size_t len)
{
    span sp = span_of(base, len);
    return align_up(sizeof *ev) + kept_str_size(sp, ev->summary) + kept_str_size(sp, ev->status) +
           kept_str_size(sp, ev->stats_key) + rest_size(ev, what);
}

dt_event *dt_held_event_wrap(void *buf, const dt_event *ev, unsigned what, const void *base, size_t len)
{
    writer w = { buf, NULL };
    return write_wrap(&w, ev, what, span_of(base, len));
}

dt_event *dt_held_event_wrap_max(void *buf, size_t cap, const dt_event *ev, unsigned what, const void *base,
                                 size_t len, size_t *used)
{
    writer w = { buf, (char *)buf + cap };
    dt_event *c = write_wrap(&w, ev, what, span_of(base, len));
    *used = c ? (size_t)(w.at - (char *)buf) : 0;
    return c;
}

dt_event *dt_held_event_write(void *buf, const dt_event *ev, unsigned what)
{
    writer w = { buf, NULL };
    return write_copy(&w, ev, what);
}

dt_event *dt_held_event_write_max(void *buf, size_t cap, const dt_event *ev, unsigned what, size_t *used)
{
    writer w = { buf, (char *)buf + cap };
    dt_event *c = write_copy(&w, ev, what);
    *used = c ? (size_t)(w.at - (char *)buf) : 0;
    return c;
}

dt_event *dt_held_event_copy(void **buf, size_t *cap, const dt_event *ev)
{
    size_t need = dt_held_event_size(ev, DT_HELD_RAW);
    if (need > *cap) {
        void *nb = realloc(*buf, need);
        if (!nb)
            return NULL;
        *buf = nb;
        *cap = need;
    }
    return dt_held_event_write(*buf, ev, DT_HELD_RAW);
}
