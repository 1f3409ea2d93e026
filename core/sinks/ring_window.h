/* The room a lending ring gives next (core/sinks/async_sink.c), as plain
 * arithmetic, so that it can be checked on its own for every position
 * (tests/sinks/test_async_sink.c). Positions only grow; the consumer still
 * holds [head, tail) of a ring of cap bytes (a power of two). */
#ifndef DIAGTAP_CORE_SINKS_RING_WINDOW_H
#define DIAGTAP_CORE_SINKS_RING_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/* The bytes skipped at tail before the next window: the rest of the lap when
 * it is shorter than min, else none (a window never wraps). */
static inline size_t dt_ring_skip(uint64_t tail, size_t cap, size_t min)
{
    size_t to_end = cap - (size_t)(tail & (cap - 1));
    return to_end < min ? to_end : 0;
}

/* The room of the window that starts dt_ring_skip bytes after tail: at most
 * max, never past the lap's end nor over [head, tail); 0 when fewer than
 * min bytes (plus the skip) are free, and the producer must wait. The
 * comparisons never subtract past zero: with the skip, tail - head + skip
 * may exceed cap. */
static inline size_t dt_ring_window(uint64_t tail, uint64_t head, size_t cap, size_t min, size_t max)
{
    size_t skip = dt_ring_skip(tail, cap, min);
    uint64_t held = tail - head;
    if (held > cap || held + skip + min > cap)
        return 0;
    size_t room = cap - (size_t)held - skip;
    size_t to_end = cap - (size_t)((tail + skip) & (cap - 1));
    if (room > to_end)
        room = to_end;
    return room < max ? room : max;
}

#endif
