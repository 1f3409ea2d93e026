/* Deep copy of an event into one buffer (core/held_event.h). */
#include "held_event.h"

#include <stdalign.h>
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

static void *take(char **at, size_t n)
{
    void *p = *at;
    *at += align_up(n);
    return p;
}

static char *copy_str(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = take(at, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

static dt_field *copy_tree(char **at, const dt_field *f, int depth, int max, dt_field **last)
{
    dt_field *first = NULL, *prev = NULL;
    for (; f; f = f->next) {
        dt_field *c = take(at, sizeof *c);
        *c = *f;
        c->next = NULL;
        if (has_bytes(f)) {
            char *s = take(at, f->v.s.len + 1);
            memcpy(s, f->v.s.ptr, f->v.s.len);
            s[f->v.s.len] = '\0';
            c->v.s.ptr = s;
        }
        c->child = c->last_child = NULL;
        if (depth < max && f->child)
            c->child = copy_tree(at, f->child, depth + 1, max, &c->last_child);
        if (prev)
            prev->next = c;
        else
            first = c;
        prev = c;
    }
    *last = prev;
    return first;
}

size_t dt_held_event_size(const dt_event *ev, unsigned what)
{
    size_t n = align_up(sizeof *ev) + str_size(ev->summary) + str_size(ev->status) + str_size(ev->stats_key) +
               tree_size(ev->fields, 0, max_depth(what));
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

dt_event *dt_held_event_write(void *buf, const dt_event *ev, unsigned what)
{
    char *at = buf;
    dt_event *c = take(&at, sizeof *c);
    *c = *ev;
    c->summary = copy_str(&at, ev->summary);
    c->status = copy_str(&at, ev->status);
    c->stats_key = copy_str(&at, ev->stats_key);
    c->raw = NULL;
    if ((what & DT_HELD_RAW) && ev->raw) {
        uint8_t *r = take(&at, ev->raw_len);
        memcpy(r, ev->raw, ev->raw_len);
        c->raw = r;
    }
    c->fields = copy_tree(&at, ev->fields, 0, max_depth(what), &c->last_field);
    if (what & DT_HELD_CONV) {
        c->input = copy_str(&at, ev->input);
        if (ev->conv) {
            dt_conv_info *ci = take(&at, sizeof *ci);
            *ci = *ev->conv;
            ci->client = copy_str(&at, ev->conv->client);
            ci->server = copy_str(&at, ev->conv->server);
            if (ev->conv->channel) {
                dt_channel *ch = take(&at, sizeof *ch);
                *ch = *ev->conv->channel;
                ch->name = copy_str(&at, ch->name);
                ch->description = copy_str(&at, ch->description);
                ci->channel = ch;
            }
            c->conv = ci;
        }
    }
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
