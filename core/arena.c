#include "arena.h"

#include "fmt_fast.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (16u * 1024u)

struct dt_arena_block {
    dt_arena_block *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

static dt_arena_block *block_new(size_t size)
{
    dt_arena_block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    return b;
}

/* cur's free space: what dt_arena_alloc_raw takes from inline */
static void use_block(dt_arena *a, dt_arena_block *b)
{
    a->cur = b;
    a->cur_pos = b ? b->data : NULL;
    a->cur_room = b ? b->size : 0;
    a->window = NULL;
}

void dt_arena_init(dt_arena *a, size_t limit)
{
    a->first = block_new(BLOCK_SIZE);
    use_block(a, a->first);
    a->limit = limit;
    a->used = 0;
}

void dt_arena_reset(dt_arena *a)
{
    if (!a->first)
        return;
    dt_arena_block *b = a->first->next;
    while (b) {
        dt_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->first->next = NULL;
    use_block(a, a->first);
    a->used = 0;
}

void dt_arena_free(dt_arena *a)
{
    dt_arena_reset(a);
    free(a->first);
    a->first = NULL;
    use_block(a, NULL);
}

void *dt_arena_alloc_slow(dt_arena *a, size_t size)
{
    size_t want = (size + 15u) & ~(size_t)15u;
    if (want < size || !a->cur || want > a->limit - a->used)
        return NULL;
    if (a->cur_room < want) {
        dt_arena_block *b = block_new(want > BLOCK_SIZE ? want : BLOCK_SIZE);
        if (!b)
            return NULL;
        a->cur->next = b;
        use_block(a, b);
    }
    void *p = a->cur_pos;
    a->cur_pos += want;
    a->cur_room -= want;
    a->used += want;
    return p;
}

void *dt_arena_alloc(dt_arena *a, size_t size)
{
    void *p = dt_arena_alloc_raw(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void dt_arena_use_window(dt_arena *a, void *at, size_t room)
{
    if (!a->first || a->cur != a->first || a->used)
        return; /* not just reset: the event goes on where it is */
    a->window = at;
    a->cur_pos = at;
    a->cur_room = room & ~(size_t)15u;
}

void dt_arena_span(const dt_arena *a, const void **base, size_t *len)
{
    const unsigned char *start = a->window ? a->window : a->first ? a->first->data : NULL;
    bool one = start && a->cur == a->first;
    *base = one ? start : NULL;
    *len = one ? (size_t)(a->cur_pos - start) : 0;
}

char *dt_arena_strndup(dt_arena *a, const char *s, size_t len)
{
    char *p = dt_arena_alloc_raw(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *dt_arena_vprintf_len(dt_arena *a, size_t *len, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    /* straight into the current block when it has room: no copy after */
    size_t room = a->cur_pos ? a->cur_room : 0;
    if (room > a->limit - a->used)
        room = (a->limit - a->used) & ~(size_t)15u;
    int n;
    if (room >= 64) {
        va_copy(ap2, ap);
        n = dt_fmt_fast((char *)a->cur_pos, room, fmt, ap2);
        va_end(ap2);
        if (n >= 0) {
            *len = (size_t)n;
            return dt_arena_alloc_raw(a, (size_t)n + 1); /* the bytes just written */
        }
    }
    /* the stack buffer is for a block near its end; refused in as much room
     * or more, the fast path would refuse again */
    if (room < sizeof small) {
        va_copy(ap2, ap);
        n = dt_fmt_fast(small, sizeof small, fmt, ap2);
        va_end(ap2);
        if (n >= 0) {
            *len = (size_t)n;
            return dt_arena_strndup(a, small, (size_t)n);
        }
    }
    va_copy(ap2, ap);
    n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p;
    if ((size_t)n < sizeof small)
        p = dt_arena_strndup(a, small, (size_t)n);
    else if ((p = dt_arena_alloc(a, (size_t)n + 1)) != NULL)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    if (p)
        *len = strlen(p); /* a %c of NUL ends the string there */
    return p;
}

char *dt_arena_vprintf(dt_arena *a, const char *fmt, va_list ap)
{
    size_t len;
    return dt_arena_vprintf_len(a, &len, fmt, ap);
}
