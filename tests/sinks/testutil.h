/* Building events and field trees by hand for the sink tests. */
#ifndef DIAGTAP_TESTS_SINKS_TESTUTIL_H
#define DIAGTAP_TESTS_SINKS_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagtap/event.h"

typedef struct tfields {
    dt_field nodes[256];
    size_t n;
} tfields;

/* Appends a node under parent (or at the top level of ev when NULL). */
static inline dt_field *tf_add(tfields *t, dt_event *ev, dt_field *parent, const dt_field_def *def)
{
    dt_field *f = &t->nodes[t->n++];
    memset(f, 0, sizeof *f);
    f->def = def;
    if (parent) {
        if (parent->last_child)
            parent->last_child->next = f;
        else
            parent->child = f;
        parent->last_child = f;
    } else {
        if (ev->last_field)
            ev->last_field->next = f;
        else
            ev->fields = f;
        ev->last_field = f;
    }
    return f;
}

static inline dt_field *tf_uint(tfields *t, dt_event *ev, dt_field *parent, const dt_field_def *def, uint64_t v)
{
    dt_field *f = tf_add(t, ev, parent, def);
    f->v.u = v;
    return f;
}

static inline dt_field *tf_str(tfields *t, dt_event *ev, dt_field *parent, const dt_field_def *def, const char *s,
                               size_t len)
{
    dt_field *f = tf_add(t, ev, parent, def);
    f->v.s.ptr = s;
    f->v.s.len = len;
    return f;
}

/* Reads a whole file; the caller frees. */
static inline unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    *len = 0;
    unsigned char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap)
            b = realloc(b, cap *= 2);
    }
    fclose(f);
    *len = n;
    return b;
}

#endif
