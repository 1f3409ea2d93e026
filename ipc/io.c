/* The platform-independent half of the I/O layer: the turn of the loop,
 * timers, idle work, deferred completions and delayed frees. */
#include "io_internal.h"

#include "core/platform.h"

#ifndef _WIN32
#include <netinet/in.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dt_io *dt_io_new(char *err, size_t errsz)
{
    dt_io *io = calloc(1, sizeof *io);
    if (!io) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    atomic_init(&io->stop, false);
    atomic_init(&io->busy_polls, 0);
    if (dt_io_be_init(io, err, errsz) < 0) {
        free(io);
        return NULL;
    }
    return io;
}

static void bury(dt_io *io)
{
    for (size_t i = 0; i < io->n_graveyard; i++)
        free(io->graveyard[i]);
    io->n_graveyard = 0;
}

void dt_io_free(dt_io *io)
{
    if (!io)
        return;
    dt_io_be_free(io);
    bury(io);
    free(io->graveyard);
    free(io->heap);
    free(io);
}

void dt_io_set_error(dt_io *io, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(io->error, sizeof io->error, fmt, ap);
    va_end(ap);
}

const char *dt_io_error(const dt_io *io) { return io->error; }

void dt_io_stop(dt_io *io)
{
    atomic_store(&io->stop, true);
    dt_io_be_wake(io);
}

bool dt_io_stopped(const dt_io *io) { return atomic_load(&((dt_io *)io)->stop); }

int dt_io_stop_signal(const dt_io *io) { return io->stop_sig; }

void dt_io_free_later(dt_io *io, void *p)
{
    if (io->n_graveyard == io->cap_graveyard) {
        size_t cap = io->cap_graveyard ? io->cap_graveyard * 2 : 16;
        void **g = realloc(io->graveyard, cap * sizeof *g);
        if (!g) { /* cannot delay: nothing of this turn may still point at it only if we stop here */
            bury(io);
            free(p);
            return;
        }
        io->graveyard = g;
        io->cap_graveyard = cap;
    }
    io->graveyard[io->n_graveyard++] = p;
}

/* ---- Deferred completions ---------------------------------------------- */

void dt_io_defer(dt_io *io, dt_io_task *t)
{
    if (t->queued)
        return;
    t->queued = true;
    t->next = NULL;
    t->prev = io->tasks_tail;
    if (io->tasks_tail)
        io->tasks_tail->next = t;
    else
        io->tasks = t;
    io->tasks_tail = t;
}

void dt_io_undefer(dt_io *io, dt_io_task *t)
{
    if (!t->queued)
        return;
    if (t->prev)
        t->prev->next = t->next;
    else
        io->tasks = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        io->tasks_tail = t->prev;
    t->queued = false;
    t->prev = t->next = NULL;
}

/* Runs the tasks queued so far; tasks they queue wait for the next turn,
 * so a stream that is always writable cannot starve the others. */
static void run_tasks(dt_io *io)
{
    dt_io_task *last = io->tasks_tail;
    while (io->tasks && !atomic_load(&io->stop)) {
        dt_io_task *t = io->tasks;
        bool was_last = t == last;
        dt_io_undefer(io, t);
        t->fn(t);
        if (was_last)
            break;
    }
}

/* ---- Timers: a binary min-heap ------------------------------------------ */

#define NOT_RUNNING ((size_t)-1)

static bool earlier(const dt_io_timer *a, const dt_io_timer *b) { return a->due_ns < b->due_ns; }

static void heap_set(dt_io *io, size_t i, dt_io_timer *t)
{
    io->heap[i] = t;
    t->heap_pos = i;
}

static void sift_up(dt_io *io, size_t i)
{
    dt_io_timer *t = io->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(t, io->heap[parent]))
            break;
        heap_set(io, i, io->heap[parent]);
        i = parent;
    }
    heap_set(io, i, t);
}

static void sift_down(dt_io *io, size_t i)
{
    dt_io_timer *t = io->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const dt_io_timer *best = t;
        if (l < io->n_timers && earlier(io->heap[l], best)) {
            m = l;
            best = io->heap[l];
        }
        if (r < io->n_timers && earlier(io->heap[r], best))
            m = r;
        if (m == i)
            break;
        heap_set(io, i, io->heap[m]);
        i = m;
    }
    heap_set(io, i, t);
}

static void heap_remove(dt_io *io, dt_io_timer *t)
{
    size_t i = t->heap_pos;
    t->heap_pos = NOT_RUNNING;
    dt_io_timer *last = io->heap[--io->n_timers];
    if (i == io->n_timers)
        return;
    heap_set(io, i, last);
    sift_down(io, i);
    sift_up(io, last->heap_pos);
}

dt_io_timer *dt_io_timer_new(dt_io *io, dt_io_timer_cb cb, void *ctx)
{
    dt_io_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    *t = (dt_io_timer){ .io = io, .cb = cb, .ctx = ctx, .heap_pos = NOT_RUNNING };
    return t;
}

void dt_io_timer_start(dt_io_timer *t, uint64_t ms, uint64_t repeat_ms)
{
    dt_io *io = t->io;
    t->due_ns = dt_io_mono_ns() + ms * 1000000u;
    t->repeat_ns = repeat_ms * 1000000u;
    if (t->heap_pos != NOT_RUNNING) {
        sift_down(io, t->heap_pos);
        sift_up(io, t->heap_pos);
        return;
    }
    if (io->n_timers == io->cap_timers) {
        size_t cap = io->cap_timers ? io->cap_timers * 2 : 16;
        dt_io_timer **h = realloc(io->heap, cap * sizeof *h);
        if (!h)
            return; /* out of memory: the timer does not run (callers treat it as never firing) */
        io->heap = h;
        io->cap_timers = cap;
    }
    heap_set(io, io->n_timers++, t);
    sift_up(io, t->heap_pos);
}

void dt_io_timer_stop(dt_io_timer *t)
{
    if (t->heap_pos != NOT_RUNNING)
        heap_remove(t->io, t);
}

bool dt_io_timer_active(const dt_io_timer *t) { return t->heap_pos != NOT_RUNNING; }

void dt_io_timer_free(dt_io_timer *t)
{
    if (!t)
        return;
    dt_io_timer_stop(t);
    free(t);
}

static void run_timers(dt_io *io)
{
    uint64_t now = dt_io_mono_ns();
    while (io->n_timers && io->heap[0]->due_ns <= now && !atomic_load(&io->stop)) {
        dt_io_timer *t = io->heap[0];
        heap_remove(io, t);
        if (t->repeat_ns) {
            t->due_ns = now + t->repeat_ns;
            if (io->n_timers < io->cap_timers) {
                heap_set(io, io->n_timers++, t);
                sift_up(io, t->heap_pos);
            }
        }
        t->cb(t->ctx, t); /* may free t */
    }
}

/* ---- Idle work ----------------------------------------------------------- */

dt_io_idle *dt_io_idle_new(dt_io *io, dt_io_idle_cb cb, void *ctx)
{
    dt_io_idle *i = calloc(1, sizeof *i);
    if (!i)
        return NULL;
    i->io = io;
    i->cb = cb;
    i->ctx = ctx;
    i->next = io->idles;
    if (io->idles)
        io->idles->prev = i;
    io->idles = i;
    return i;
}

void dt_io_idle_start(dt_io_idle *i)
{
    if (!i->active)
        i->io->n_idle_active++;
    i->active = true;
}

void dt_io_idle_stop(dt_io_idle *i)
{
    if (i->active)
        i->io->n_idle_active--;
    i->active = false;
}

void dt_io_idle_free(dt_io_idle *i)
{
    if (!i)
        return;
    dt_io_idle_stop(i);
    dt_io *io = i->io;
    if (i->prev)
        i->prev->next = i->next;
    else
        io->idles = i->next;
    if (i->next)
        i->next->prev = i->prev;
    i->cb = NULL;
    i->prev = i->next = NULL;
    dt_io_free_later(io, i); /* run_idles may be walking past it */
}

static void run_idles(dt_io *io)
{
    dt_io_idle *next;
    for (dt_io_idle *i = io->idles; i && !atomic_load(&io->stop); i = next) {
        next = i->next;
        if (i->active && i->cb)
            i->cb(i->ctx, i);
    }
}

/* ---- The turn -------------------------------------------------------------- */

/* One turn: returns how many sources were ready (0: the wait timed out or
 * only timers and tasks ran), or -1 on a fatal error. */
static int run_turn(dt_io *io, int timeout_ms)
{
    if (io->tasks || io->n_idle_active)
        timeout_ms = 0;
    if (io->n_timers && timeout_ms != 0) {
        uint64_t now = dt_io_mono_ns(), due = io->heap[0]->due_ns;
        uint64_t ms = due <= now ? 0 : (due - now + 999999u) / 1000000u;
        if (timeout_ms < 0 || ms < (uint64_t)timeout_ms)
            timeout_ms = ms > 1000000 ? 1000000 : (int)ms;
    }
    if (atomic_load(&io->stop))
        timeout_ms = 0;
    int rc = dt_io_be_wait(io, timeout_ms);
    if (rc >= 0) {
        run_tasks(io);
        run_timers(io);
        run_idles(io);
    }
    bury(io);
    return rc;
}

int dt_io_run_once(dt_io *io, int timeout_ms) { return run_turn(io, timeout_ms) < 0 ? -1 : 0; }

void dt_io_set_busy_poll(dt_io *io, unsigned usec)
{
    if (usec > DT_IO_BUSY_POLL_MAX_US)
        usec = DT_IO_BUSY_POLL_MAX_US;
    io->busy_poll_ns = dt_usable_cpus() > 1 ? (uint64_t)usec * 1000u : 0;
}

uint64_t dt_io_busy_polls(dt_io *io) { return atomic_load_explicit(&io->busy_polls, memory_order_relaxed); }

/* With busy polling, a turn that found something ready is followed by
 * turns that do not wait, until busy_poll_ns pass with nothing ready: the
 * next message of a conversation (a response to what was just relayed)
 * is then seen without a sleep and a wake-up, the largest part of what a
 * relay adds to a round trip on a virtual machine. Timers and tasks alone
 * do not count as activity, so an idle loop sleeps. */
int dt_io_run(dt_io *io)
{
    uint64_t active_at = 0;
    while (!atomic_load(&io->stop)) {
        uint64_t now = io->busy_poll_ns ? dt_io_mono_ns() : 0;
        bool spin = io->busy_poll_ns && now - active_at < io->busy_poll_ns;
        if (spin) /* a peer waiting for this CPU (two cores, three busy processes) goes first */
            dt_cpu_yield();
        int n = run_turn(io, spin ? 0 : -1);
        if (n < 0)
            return -1;
        if (spin) /* one writer: a plain add, readable from another thread */
            atomic_store_explicit(&io->busy_polls, atomic_load_explicit(&io->busy_polls, memory_order_relaxed) + 1,
                                  memory_order_relaxed);
        if (n > 0 && io->busy_poll_ns)
            active_at = spin ? now : dt_io_mono_ns();
    }
    return 0;
}

uint16_t dt_io_endpoint_port(const dt_io_endpoint *ep)
{
    if (ep->kind != DT_IO_TCP)
        return 0;
    if (ep->addr.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&ep->addr)->sin_port);
    if (ep->addr.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&ep->addr)->sin6_port);
    return 0;
}
