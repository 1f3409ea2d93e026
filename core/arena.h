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
    unsigned char *window;  /* memory of the caller's the event started in, or NULL (dt_arena_use_window) */
} dt_arena;

void dt_arena_init(dt_arena *a, size_t limit);
void dt_arena_reset(dt_arena *a);
void dt_arena_free(dt_arena *a);
/* Zeroed, 16-byte aligned; NULL past the limit. */
void *dt_arena_alloc(dt_arena *a, size_t size);
/* The same, not zeroed: for memory the caller writes in full. Inline for
 * the common case (room in the current block); the rest in arena.c. */
void *dt_arena_alloc_slow(dt_arena *a, size_t size);
/* The common case alone: NULL when it needs the slow path. */
static inline void *dt_arena_alloc_fast(dt_arena *a, size_t size)
{
    size_t want = (size + 15u) & ~(size_t)15u;
    if (a->cur_pos && want <= a->cur_room && want <= a->limit - a->used && want >= size) {
        void *p = a->cur_pos;
        a->cur_pos += want;
        a->cur_room -= want;
        a->used += want;
        return p;
    }
    return NULL;
}
static inline void *dt_arena_alloc_raw(dt_arena *a, size_t size)
{
    void *p = dt_arena_alloc_fast(a, size);
    return p ? p : dt_arena_alloc_slow(a, size);
}
/* After dt_arena_reset: the event starts in the room bytes at at (16-byte
 * aligned), memory the caller owns and keeps valid until the next reset,
 * instead of the first block; what does not fit goes on in blocks of the
 * arena's own. A render thread's queue lends it so that an event is built
 * where it will be read, not copied there (core/sinks/async_sink.c). */
void dt_arena_use_window(dt_arena *a, void *at, size_t room);
/* Everything allocated since the last reset, when it lies in one piece (the
 * window, or the first block): its start in *base and its length in *len;
 * *base NULL when it spilled into a second block. */
void dt_arena_span(const dt_arena *a, const void **base, size_t *len);
char *dt_arena_strndup(dt_arena *a, const char *s, size_t len);
char *dt_arena_vprintf(dt_arena *a, const char *fmt, va_list ap);
/* The same, with the result's strlen in *len. */
char *dt_arena_vprintf_len(dt_arena *a, size_t *len, const char *fmt, va_list ap);

#endif
