/* What io.c shares with the backends (io_posix.c, io_win32.c). Not for
 * users of the loop: they include io.h only. */
#ifndef DIAGTAP_IPC_IO_INTERNAL_H
#define DIAGTAP_IPC_IO_INTERNAL_H

#include <stdatomic.h>

#include "io.h"

/* A callback the loop runs at the start of its next turn, without waiting:
 * how a backend reports an operation that finished inside the call that
 * asked for it (a write that went through at once, a connect refused at
 * once) without calling back from inside that call. Embedded in the object
 * it belongs to; unlink it when the object closes. */
typedef struct dt_io_task {
    void (*fn)(struct dt_io_task *t);
    struct dt_io_task *prev, *next;
    bool queued;
} dt_io_task;

struct dt_io_timer {
    dt_io *io;
    dt_io_timer_cb cb;
    void *ctx;
    uint64_t due_ns; /* monotonic */
    uint64_t repeat_ns;
    size_t heap_pos; /* (size_t)-1 when not running */
};

struct dt_io_idle {
    dt_io *io;
    dt_io_idle_cb cb;
    void *ctx;
    dt_io_idle *prev, *next;
    bool active;
};

struct dt_io {
    void *be;                 /* the backend's state */
    dt_io_timer **heap;       /* running timers, a binary min-heap on due_ns */
    size_t n_timers, cap_timers;
    dt_io_idle *idles;
    size_t n_idle_active;
    dt_io_task *tasks, *tasks_tail;
    void **graveyard;         /* objects closed this turn, freed at its end */
    size_t n_graveyard, cap_graveyard;
    atomic_bool stop;
    int stop_sig;
    uint64_t busy_poll_ns;    /* dt_io_set_busy_poll; 0: a turn with nothing due sleeps */
    _Atomic uint64_t busy_polls; /* turns that polled without waiting (read by tests from any thread) */
    char error[256];
};

void dt_io_defer(dt_io *io, dt_io_task *t);
void dt_io_undefer(dt_io *io, dt_io_task *t);
/* Frees p at the end of the current turn: a backend may still find it in
 * the batch of events it is dispatching (and must see it is closed). */
void dt_io_free_later(dt_io *io, void *p);
void dt_io_set_error(dt_io *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Implemented by each backend. */
int dt_io_be_init(dt_io *io, char *err, size_t errsz);
void dt_io_be_free(dt_io *io);
/* Waits at most timeout_ms (-1: forever) and dispatches what is ready or
 * completed. Returns how many sources were (0: none), or -1 on a fatal
 * error (dt_io_set_error). */
int dt_io_be_wait(dt_io *io, int timeout_ms);
/* Interrupts a wait, from any thread. */
void dt_io_be_wake(dt_io *io);

#endif
