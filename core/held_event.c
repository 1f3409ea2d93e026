/* Deep copy of an event into one buffer (core/held_event.h). */
#include "held_event.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64 /* as deep as the filter looks */

static size_t align_up(size_t n) { return (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1); }

static bool has_bytes(const dt_field *f)
{
    return (f->def->type == DT_FT_STRING || f->def->type == DT_FT_BYTES) && f->v.s.ptr;
}

static size_t tree_size(const dt_field *f, int depth)
{
    size_t n = 0;
    for (; f; f = f->next) {
        n += align_up(sizeof *f);
        if (has_bytes(f))
            n += align_up(f->v.s.len + 1);
        if (depth < MAX_DEPTH)
            n += tree_size(f->child, depth + 1);
    }
    return n;
}

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

static dt_field *copy_tree(char **at, const dt_field *f, int depth, dt_field **last)
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
        if (depth < MAX_DEPTH && f->child)
            c->child = copy_tree(at, f->child, depth + 1, &c->last_child);
        if (prev)
            prev->next = c;
        else
            first = c;
        prev = c;
    }
    *last = prev;
    return first;
}

dt_event *dt_held_event_copy(void **buf, size_t *cap, const dt_event *ev)
{
    size_t need = align_up(sizeof *ev) + align_up(strlen(ev->summary) + 1) + align_up(ev->raw_len) +
                  (ev->status ? align_up(strlen(ev->status) + 1) : 0) +
                  (ev->stats_key ? align_up(strlen(ev->stats_key) + 1) : 0) + tree_size(ev->fields, 0);
    if (need > *cap) {
        void *nb = realloc(*buf, need);
        if (!nb)
            return NULL;
        *buf = nb;
        *cap = need;
    }
    char *at = *buf;
    dt_event *c = take(&at, sizeof *c);
    *c = *ev;
    c->summary = copy_str(&at, ev->summary);
    c->status = copy_str(&at, ev->status);
    c->stats_key = copy_str(&at, ev->stats_key);
    if (ev->raw_len) {
        uint8_t *r = take(&at, ev->raw_len);
        memcpy(r, ev->raw, ev->raw_len);
        c->raw = r;
    }
    c->fields = copy_tree(&at, ev->fields, 0, &c->last_field);
    return c;
}
