/* A bump allocator for per-event data (field trees, summaries). Reset after
 * each event, keeping its first block, so steady-state decoding does not call
 * malloc at all. */
#ifndef DIAGTAP_CORE_ARENA_H
#define DIAGTAP_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct dt_arena_block dt_arena_block;

typedef struct dt_arena {
    dt_arena_block *first;
    dt_arena_block *cur;
    size_t limit;  /* most bytes one event may use */
    size_t used;
    unsigned char *cur_pos; /* the next free byte of cur, and how many follow */
    size_t cur_room;
} dt_arena;

void dt_arena_init(dt_arena *a, size_t limit);
void dt_arena_reset(dt_arena *a);
void dt_arena_free(dt_arena *a);
/* Zeroed, 16-byte aligned; NULL past the limit. */
void *dt_arena_alloc(dt_arena *a, size_t size);
/* The same, not zeroed: for memory the caller writes in full. Inline for
 * the common case (room in the current block); the rest in arena.c. */
void *dt_arena_alloc_slow(dt_arena *a, size_t size);
static inline void *dt_arena_alloc_raw(dt_arena *a, size_t size)
{
    size_t want = (size + 15u) & ~(size_t)15u;
    if (a->cur_pos && want <= a->cur_room && want <= a->limit - a->used && want >= size) {
        void *p = a->cur_pos;
        a->cur_pos += want;
        a->cur_room -= want;
        a->used += want;
        return p;
    }
    return dt_arena_alloc_slow(a, size);
}
char *dt_arena_strndup(dt_arena *a, const char *s, size_t len);
char *dt_arena_vprintf(dt_arena *a, const char *fmt, va_list ap);
/* The same, with the result's strlen in *len. */
char *dt_arena_vprintf_len(dt_arena *a, size_t *len, const char *fmt, va_list ap);

#endif
