/* The decoder thread's stop after a stop signal (dt_decoder_interrupt, then
 * dt_decoder_stop), as every proxy does it, with the main thread late
 * between the two calls as on a loaded machine: the stop must return, and
 * every record queued before it must have been run.
 *
 * Issue 13: on Windows, dt_decoder_interrupt used pthread_kill, which
 * winpthreads implements as pthread_cancel; the cancelled decoder died in
 * pthread_cond_wait holding its mutex and dt_decoder_stop waited for it for
 * ever. A watchdog thread turns such a hang into a failure. Built for Linux
 * (suite ipc, quick) and for Windows (win_decoder_stop, under wine). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ipc/decoder.h" /* first: on Windows it brings winsock2.h, which must come before windows.h */

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif
#ifdef __linux__
#include <sys/resource.h>
#endif

#define WATCHDOG_MS 40000

static void sleep_ms(unsigned ms)
{
#ifdef _WIN32
    Sleep(ms);
#else
    struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0) {
    }
#endif
}

typedef struct counter {
    atomic_uint ran;
    unsigned slow_ms; /* the first record takes this long: the decoder is busy */
} counter;

static void count_record(dt_engine *eng, void *ctx, uint64_t ts_ns, const uint8_t *data, size_t len)
{
    (void)eng, (void)ts_ns, (void)data, (void)len;
    counter *c = ctx;
    if (atomic_fetch_add(&c->ran, 1) == 0 && c->slow_ms)
        sleep_ms(c->slow_ms);
}

typedef struct watchdog {
    pthread_t thread;
    atomic_bool done;
    const char *what;
} watchdog;

static void *watchdog_main(void *arg)
{
    watchdog *w = arg;
    for (unsigned waited = 0; waited < WATCHDOG_MS; waited += 10) {
        if (atomic_load(&w->done))
            return NULL;
        sleep_ms(10);
    }
    fprintf(stderr, "FAIL: %s: dt_decoder_stop did not return within %u ms (hung)\n", w->what, WATCHDOG_MS);
    fflush(stderr);
    _exit(1);
}

/* Queues n records (the decoder runs them), interrupts as after a stop
 * signal, is late by late_ms, then stops under the watchdog. */
static void stop_after_interrupt(const char *what, unsigned n, unsigned slow_ms, unsigned idle_first_ms,
                                 unsigned late_ms)
{
    char err[200];
    dt_decoder *d = dt_decoder_start(NULL, err, sizeof err); /* R_CALL records only: no engine needed */
    assert_non_null(d);
    dt_feed *f = dt_decoder_feed(d, NULL, "test", 0); /* no loop: every record wakes the decoder */
    assert_non_null(f);
    counter c = { .slow_ms = slow_ms };
    atomic_init(&c.ran, 0);
    for (unsigned i = 0; i < n; i++)
        assert_true(dt_feed_call(f, count_record, &c, i, (const uint8_t *)"x", 1, false));
    if (idle_first_ms) { /* everything run: the decoder goes to sleep on its condition */
        while (atomic_load(&c.ran) < n)
            sleep_ms(1);
        sleep_ms(idle_first_ms);
    }
    dt_decoder_interrupt(d, SIGINT);
    sleep_ms(late_ms);
    watchdog w = { .what = what };
    atomic_init(&w.done, false);
    assert_int_equal(pthread_create(&w.thread, NULL, watchdog_main, &w), 0);
    dt_decoder_stop(d);
    atomic_store(&w.done, true);
    pthread_join(w.thread, NULL);
    assert_int_equal(atomic_load(&c.ran), n);
}

/* Asleep when the signal comes; the stop comes 200 ms later (winpthreads
 * polls for cancellation every 40 ms: it had died by then). */
static void test_idle_decoder(void **state)
{
    (void)state;
    stop_after_interrupt("idle decoder", 3, 0, 50, 200);
}

/* Busy with a slow record when the signal comes, done and about to sleep
 * before the stop: records queued behind the slow one must still be run. */
static void test_busy_decoder(void **state)
{
    (void)state;
    stop_after_interrupt("busy decoder", 500, 300, 0, 600);
}

/* The usual order on an idle machine: stop right after the signal. */
static void test_prompt_stop(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++)
        stop_after_interrupt("prompt stop", 50, 0, 0, 0);
}

#ifdef __linux__
/* The decoder runs at a lower priority so that the relay comes first; at
 * the stop nothing is relayed any more, and what is left is decoded at the
 * priority of the thread that stops it (a busy machine gave a nice-19
 * decoder ~0.1% of a core: a proxy took 50 s to stop). Records run in
 * order, every one, and the stop signal stays pending for the thread that
 * runs the rest (an output stuck on a FIFO must still give up). */
#define PRIO_RECORDS 200

typedef struct prio_log {
    atomic_uint ran;
    atomic_bool started;
    uint64_t order_errors;
    int nice_first, nice_last;
    bool pending_last;
} prio_log;

static void log_priority(dt_engine *eng, void *ctx, uint64_t ts_ns, const uint8_t *data, size_t len)
{
    (void)eng, (void)data, (void)len;
    prio_log *l = ctx;
    unsigned k = atomic_load(&l->ran);
    if (ts_ns != k)
        l->order_errors++;
    int nice = getpriority(PRIO_PROCESS, (id_t)gettid());
    if (k == 0) {
        l->nice_first = nice;
        atomic_store(&l->started, true);
        sleep_ms(300); /* busy when the stop comes */
    }
    if (k == PRIO_RECORDS - 1) {
        l->nice_last = nice;
        sigset_t s;
        l->pending_last = sigpending(&s) == 0 && sigismember(&s, SIGINT) == 1;
    }
    atomic_store(&l->ran, k + 1);
}

static void test_rest_at_callers_priority(void **state)
{
    (void)state;
    char err[200];
    dt_decoder *d = dt_decoder_start(NULL, err, sizeof err);
    assert_non_null(d);
    dt_feed *f = dt_decoder_feed(d, NULL, "test", 0);
    assert_non_null(f);
    prio_log l = { .nice_first = -100, .nice_last = -100 };
    atomic_init(&l.ran, 0);
    atomic_init(&l.started, false);
    for (unsigned i = 0; i < PRIO_RECORDS; i++)
        assert_true(dt_feed_call(f, log_priority, &l, i, (const uint8_t *)"x", 1, false));
    while (!atomic_load(&l.started)) /* the decoder is in the first, slow record */
        sleep_ms(1);
    dt_decoder_interrupt(d, SIGINT);
    dt_decoder_stop(d);
    assert_int_equal(atomic_load(&l.ran), PRIO_RECORDS);
    assert_int_equal(l.order_errors, 0);
    int caller = getpriority(PRIO_PROCESS, (id_t)gettid());
    assert_int_equal(l.nice_first, caller < DT_DECODER_NICE ? DT_DECODER_NICE : caller);
    assert_int_equal(l.nice_last, caller);
    assert_true(l.pending_last);
}
#endif

#ifdef _WIN32
/* The decoder blocked writing its output (a pipe nobody reads) when the
 * stop comes: after 10 s without progress dt_decoder_stop says so and
 * cancels the write, and the stop completes instead of hanging. */
typedef struct blocked_out {
    HANDLE w;
    DWORD err;
    atomic_uint ran;
} blocked_out;

static void write_blocked(dt_engine *eng, void *ctx, uint64_t ts_ns, const uint8_t *data, size_t len)
{
    (void)eng, (void)ts_ns, (void)data, (void)len;
    blocked_out *b = ctx;
    if (atomic_fetch_add(&b->ran, 1) != 0)
        return;
    static uint8_t big[1 << 20];
    DWORD done = 0;
    b->err = WriteFile(b->w, big, sizeof big, &done, NULL) ? 0 : GetLastError();
}

static void test_blocked_output(void **state)
{
    (void)state;
    HANDLE r, w;
    assert_true(CreatePipe(&r, &w, NULL, 4096));
    blocked_out b = { .w = w };
    atomic_init(&b.ran, 0);
    char err[200];
    dt_decoder *d = dt_decoder_start(NULL, err, sizeof err);
    assert_non_null(d);
    dt_feed *f = dt_decoder_feed(d, NULL, "test", 0);
    assert_non_null(f);
    for (int i = 0; i < 10; i++)
        assert_true(dt_feed_call(f, write_blocked, &b, (uint64_t)i, (const uint8_t *)"x", 1, false));
    while (atomic_load(&b.ran) == 0)
        sleep_ms(1);
    dt_decoder_interrupt(d, SIGINT);
    watchdog wd = { .what = "blocked output" };
    atomic_init(&wd.done, false);
    assert_int_equal(pthread_create(&wd.thread, NULL, watchdog_main, &wd), 0);
    dt_decoder_stop(d);
    atomic_store(&wd.done, true);
    pthread_join(wd.thread, NULL);
    assert_int_equal(b.err, ERROR_OPERATION_ABORTED);
    assert_int_equal(atomic_load(&b.ran), 10);
    CloseHandle(r);
    CloseHandle(w);
}
#endif

int main(void)
{
#ifndef _WIN32
    /* As dt_io_on_stop_signal does before starting threads: the stop
     * signals blocked, so the one sent to the decoder stays pending there
     * and dies with it (it must not end the process). */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
#endif
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_decoder),
        cmocka_unit_test(test_busy_decoder),
        cmocka_unit_test(test_prompt_stop),
#ifdef __linux__
        cmocka_unit_test(test_rest_at_callers_priority),
#endif
#ifdef _WIN32
        cmocka_unit_test(test_blocked_output),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
