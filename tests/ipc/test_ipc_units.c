/* Unit tests of the ipc building blocks: the ring, the I/O layer's relay
 * (dt_io_relay), address parsing, the .NET diagnostic port lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/platform.h"
#include "ipc/addr.h"
#include "ipc/dotnet_port.h"
#include "ipc/io.h"
#include "ipc/ring.h"

/* Bytes pushed through a small ring in odd sizes come out in order, across
 * the wrap-around, with a write of the held bytes in flight while more are
 * read into the free space (as the relay does). */
static void ring_keeps_order(void **state)
{
    (void)state;
    dt_ring r;
    assert_int_equal(dt_ring_init(&r, 13), 0);
    uint8_t next_in = 0, next_out = 0;
    for (int round = 0; round < 400; round++) {
        /* read: up to n bytes into the contiguous free space */
        uint8_t *p;
        size_t room = dt_ring_space(&r, &p);
        size_t n = (size_t)(round * 7 % 11) + 1;
        if (n > room)
            n = room;
        for (size_t i = 0; i < n; i++)
            p[i] = next_in++;
        dt_ring_produced(&r, n);
        /* write: part of what is held, both segments in order */
        const uint8_t *a, *b;
        size_t na, nb;
        dt_ring_held(&r, &a, &na, &b, &nb);
        assert_int_equal(na + nb, r.len);
        size_t take = (size_t)(round % 5) + 1;
        if (take > na + nb)
            take = na + nb;
        for (size_t i = 0; i < take; i++)
            assert_int_equal(i < na ? a[i] : b[i - na], next_out++);
        dt_ring_consumed(&r, take, round % 3 == 0);
    }
    const uint8_t *a, *b;
    size_t na, nb;
    dt_ring_held(&r, &a, &na, &b, &nb);
    for (size_t i = 0; i < na + nb; i++)
        assert_int_equal(i < na ? a[i] : b[i - na], next_out++);
    assert_int_equal(next_out, next_in);
    dt_ring_free(&r);
}

static void addr_parse(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len;
    char err[256], text[128];
    assert_int_equal(dt_addr_parse_tcp("127.0.0.1:5678", &ss, &len, err, sizeof err), 0);
    dt_addr_format((struct sockaddr *)&ss, len, text, sizeof text);
    assert_string_equal(text, "127.0.0.1:5678");
    assert_int_equal(dt_addr_port((struct sockaddr *)&ss), 5678);
    assert_int_equal(dt_addr_parse_tcp("[::1]:0", &ss, &len, err, sizeof err), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    dt_addr_format((struct sockaddr *)&ss, len, text, sizeof text);
    assert_string_equal(text, "[::1]:0");

    assert_int_equal(dt_addr_parse_tcp("::1:80", &ss, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "[ADDR]:PORT"));
    assert_int_equal(dt_addr_parse_tcp("localhost", &ss, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "localhost"));
    assert_int_equal(dt_addr_parse_tcp("1.2.3.4:99999", &ss, &len, err, sizeof err), -1);
    assert_non_null(strstr(err, "99999"));
    assert_int_equal(dt_addr_parse_tcp("[::1]80", &ss, &len, err, sizeof err), -1);
    assert_int_equal(dt_addr_parse_tcp("1.2.3.4:", &ss, &len, err, sizeof err), -1);
}

static void make_socket(const char *path)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(dt_addr_unix(path, &ss, &len), 0);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
    close(fd);
}

static void dotnet_lookup(void **state)
{
    (void)state;
    char dir[] = "/tmp/dt-unit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512], found[512], err[512];
    assert_int_equal(dt_dotnet_find_port(dir, 4242, found, sizeof found, err, sizeof err), -1);
    assert_non_null(strstr(err, "dotnet-diagnostic-4242-"));

    snprintf(p, sizeof p, "%s/dotnet-diagnostic-4242-100-socket", dir);
    make_socket(p);
    struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
    utimensat(AT_FDCWD, p, old, 0);
    snprintf(p, sizeof p, "%s/dotnet-diagnostic-4242-200-socket", dir); /* newest: the live runtime */
    make_socket(p);
    snprintf(p, sizeof p, "%s/dotnet-diagnostic-4242-1-socket", dir); /* diagtap's own */
    make_socket(p);
    snprintf(p, sizeof p, "%s/dotnet-diagnostic-4242-300-socket", dir); /* not a socket */
    fclose(fopen(p, "w"));
    snprintf(p, sizeof p, "%s/dotnet-diagnostic-42420-400-socket", dir); /* another pid */
    make_socket(p);
    snprintf(p, sizeof p, "%s/dotnet-diagnostic-4242-x1-socket", dir); /* not a key */
    make_socket(p);

    assert_int_equal(dt_dotnet_find_port(dir, 4242, found, sizeof found, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s/dotnet-diagnostic-4242-200-socket", dir);
    assert_string_equal(found, p);
    assert_int_equal(dt_dotnet_proxy_path(dir, 4242, found, sizeof found), 0);
    snprintf(p, sizeof p, "%s/dotnet-diagnostic-4242-1-socket", dir);
    assert_string_equal(found, p);
    /* Same file time on both (coarse clocks): ours is made the newer one. */
    char real[512];
    snprintf(real, sizeof real, "%s/dotnet-diagnostic-4242-200-socket", dir);
    struct timespec same[2] = { { 2000, 5 }, { 2000, 5 } };
    utimensat(AT_FDCWD, real, same, 0);
    utimensat(AT_FDCWD, p, same, 0);
    dt_dotnet_make_newest(p, real);
    struct stat so, sr;
    assert_int_equal(stat(p, &so), 0);
    assert_int_equal(stat(real, &sr), 0);
    assert_true(so.st_mtim.tv_sec > sr.st_mtim.tv_sec ||
                (so.st_mtim.tv_sec == sr.st_mtim.tv_sec && so.st_mtim.tv_nsec > sr.st_mtim.tv_nsec));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- dt_io_relay: src's bytes reach dst unchanged, the copies are the same bytes ---- */

typedef struct relay_seen {
    uint8_t *copied;       /* every copy handed to on_taken, in order */
    size_t n_copied, n_taken, n_delivered;
    bool eof;
    int taken_err, delivered_err;
    dt_io_relay *r;
    uint8_t buf[70000];    /* the copy buffer of each take */
    size_t take_cap;
} relay_seen;

static void seen_taken(void *ctx, dt_io_relay *r, const uint8_t *copy, size_t n, unsigned flags, int err)
{
    relay_seen *v = ctx;
    if (err)
        v->taken_err = err;
    if (flags & DT_IO_EOF) {
        v->eof = true;
        return;
    }
    assert_non_null(copy);
    assert_ptr_equal(copy, v->buf);
    memcpy(v->copied + v->n_copied, copy, n);
    v->n_copied += n;
    v->n_taken += n;
    if (!err)
        dt_io_relay_take(r, v->buf, v->take_cap);
}

static void seen_delivered(void *ctx, dt_io_relay *r, size_t n, int err)
{
    (void)r;
    relay_seen *v = ctx;
    v->n_delivered += n;
    if (err)
        v->delivered_err = err;
}

static const dt_io_relay_cbs seen_cbs = { seen_taken, seen_delivered };

static uint8_t pattern(size_t i) { return (uint8_t)(i * 2654435761u >> 13); }

/* 3 MiB through a relay between two socket pairs, written in odd sizes,
 * with the reader pausing (backpressure: the relay holds at most its
 * pipe); what arrives and every copy taken are exactly what was sent; the
 * end of stream comes after the last byte. Where the backend cannot
 * splice, dt_io_relay_new says so (NULL) and there is nothing to test. */
static void relay_moves_and_copies(void **state)
{
    (void)state;
    int a[2], b[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    fcntl(a[0], F_SETFL, O_NONBLOCK);
    fcntl(b[1], F_SETFL, O_NONBLOCK);
    char err[200];
    dt_io *io = dt_io_new(err, sizeof err);
    assert_non_null(io);
    static const dt_io_stream_cbs none = { NULL, NULL };
    dt_io_stream *src = dt_io_stream_open(io, a[1], 0, &none, NULL, err, sizeof err);
    dt_io_stream *dst = dt_io_stream_open(io, b[0], 0, &none, NULL, err, sizeof err);
    assert_non_null(src);
    assert_non_null(dst);
    const size_t total = 3u << 20, cap = 65536;
    relay_seen *v = calloc(1, sizeof *v);
    assert_non_null(v);
    v->copied = malloc(total);
    v->take_cap = sizeof v->buf;
    v->r = dt_io_relay_new(src, dst, cap, &seen_cbs, v);
    if (!v->r) {
        dt_io_close(src, false);
        dt_io_close(dst, false);
        dt_io_run_once(io, 0);
        dt_io_free(io);
        close(a[0]);
        close(b[1]);
        free(v->copied);
        free(v);
        skip();
        return;
    }
    assert_int_equal(dt_io_relay_take(v->r, v->buf, v->take_cap), 0);
    assert_int_equal(dt_io_relay_take(v->r, v->buf, v->take_cap), -1); /* one take at a time */
    uint8_t *got = malloc(total), chunk[9001];
    size_t sent = 0, received = 0, max_held = 0;
    for (int turn = 0; received < total && turn < 200000; turn++) {
        if (sent < total) {
            size_t n = (size_t)(turn * 7919 % 9001) + 1;
            if (n > total - sent)
                n = total - sent;
            for (size_t i = 0; i < n; i++)
                chunk[i] = pattern(sent + i);
            ssize_t k = write(a[0], chunk, n);
            if (k > 0)
                sent += (size_t)k;
            if (sent == total)
                shutdown(a[0], SHUT_WR);
        }
        assert_int_equal(dt_io_run_once(io, 0), 0);
        if (dt_io_relay_held(v->r) > max_held)
            max_held = dt_io_relay_held(v->r);
        if (turn / 300 % 2 == 0) { /* the reader pauses for 300 turns in 600: every buffer fills */
            ssize_t k = read(b[1], got + received, total - received);
            if (k > 0)
                received += (size_t)k;
        }
    }
    for (int turn = 0; !v->eof && turn < 1000; turn++)
        assert_int_equal(dt_io_run_once(io, 10), 0);
    assert_int_equal(received, total);
    for (size_t i = 0; i < total; i++)
        if (got[i] != pattern(i))
            fail_msg("byte %zu differs after the relay", i);
    assert_int_equal(v->n_copied, total);
    assert_memory_equal(v->copied, got, total);
    assert_int_equal(v->n_delivered, total);
    assert_true(v->eof);
    assert_int_equal(v->taken_err, 0);
    assert_int_equal(v->delivered_err, 0);
    assert_int_equal(dt_io_relay_held(v->r), 0);
    assert_true(max_held > 0);        /* the paused reader made the relay hold bytes */
    assert_true(max_held <= 1u << 20); /* bounded by the pipe (cap rounded up by the kernel) */

    /* dst's reader gone: the next bytes end in an error, none delivered */
    close(b[1]);
    int b2[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b2), 0);
    dt_io_relay_free(v->r);
    dt_io_close(src, false);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    src = dt_io_stream_open(io, a[1], 0, &none, NULL, err, sizeof err);
    dt_io_relay *r2 = dt_io_relay_new(src, dst, cap, &seen_cbs, v);
    assert_non_null(r2);
    v->n_delivered = 0;
    v->delivered_err = 0;
    v->take_cap = 100;
    v->n_copied = 0;
    assert_int_equal(dt_io_relay_take(r2, v->buf, v->take_cap), 0);
    assert_int_equal(write(a[0], "hello", 5), 5);
    for (int turn = 0; !v->delivered_err && turn < 1000; turn++)
        assert_int_equal(dt_io_run_once(io, 10), 0);
    assert_int_equal(v->delivered_err, EPIPE);
    assert_int_equal(v->n_delivered, 0);
    assert_int_equal(v->n_copied, 5);
    assert_int_equal(dt_io_relay_held(r2), 5); /* counted as not delivered */
    dt_io_relay_free(r2);
    dt_io_close(src, false);
    dt_io_close(dst, false);
    dt_io_run_once(io, 0);
    dt_io_free(io);
    close(a[0]);
    close(b2[0]);
    close(b2[1]);
    free(got);
    free(v->copied);
    free(v);
}

/* ---- Busy polling (dt_io_set_busy_poll) ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

typedef struct poll_loop {
    dt_io *io;
    dt_io_stream *s;
    dt_io_timer *t;
    uint8_t buf[64];
    _Atomic int reads;
    pthread_t th;
} poll_loop;

static void poll_read_cb(void *ctx, dt_io_stream *s, uint8_t *data, size_t n, unsigned flags, int err)
{
    (void)data, (void)flags, (void)err;
    poll_loop *p = ctx;
    atomic_fetch_add(&p->reads, 1);
    if (n)
        dt_io_read(s, p->buf, sizeof p->buf);
}

static void poll_tick(void *ctx, dt_io_timer *t) { (void)ctx, (void)t; }

static void *poll_main(void *arg)
{
    poll_loop *p = arg;
    dt_io_run(p->io);
    return NULL;
}

/* A loop reading one end of a socketpair, with a 1 ms timer running, on its
 * own thread; usec of busy polling. Returns the other end. */
static int poll_loop_start(poll_loop *p, unsigned usec)
{
    int sv[2];
    char err[200];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    p->io = dt_io_new(err, sizeof err);
    assert_non_null(p->io);
    static const dt_io_stream_cbs cbs = { poll_read_cb, NULL };
    p->s = dt_io_stream_open(p->io, sv[1], 0, &cbs, p, err, sizeof err);
    assert_non_null(p->s);
    assert_int_equal(dt_io_read(p->s, p->buf, sizeof p->buf), 0);
    p->t = dt_io_timer_new(p->io, poll_tick, NULL);
    assert_non_null(p->t);
    dt_io_timer_start(p->t, 1, 1); /* timers alone are not activity: no spinning */
    dt_io_set_busy_poll(p->io, usec);
    assert_int_equal(pthread_create(&p->th, NULL, poll_main, p), 0);
    return sv[0];
}

static void poll_loop_stop(poll_loop *p, int peer)
{
    dt_io_stop(p->io);
    pthread_join(p->th, NULL);
    dt_io_close(p->s, false);
    dt_io_timer_free(p->t);
    close(peer);
    dt_io_run_once(p->io, 0);
}

static void busy_poll_spins_after_traffic_then_sleeps(void **state)
{
    (void)state;
    if (dt_usable_cpus() < 2) {
        skip(); /* busy polling is off on one CPU (tested below) */
        return;
    }
    poll_loop *p = calloc(1, sizeof *p);
    int peer = poll_loop_start(p, 10000);
    sleep_ms(50);
    assert_int_equal(dt_io_busy_polls(p->io), 0); /* idle, timer running: asleep */
    assert_int_equal(write(peer, "x", 1), 1);
    for (int i = 0; i < 2000 && atomic_load(&p->reads) == 0; i++)
        sleep_ms(1);
    assert_int_equal(atomic_load(&p->reads), 1);
    sleep_ms(100); /* ten times the window */
    uint64_t spun = dt_io_busy_polls(p->io);
    assert_true(spun > 0); /* it polled without waiting after the byte */
    sleep_ms(100);
    assert_int_equal(dt_io_busy_polls(p->io), spun); /* then went back to sleep */
    poll_loop_stop(p, peer);
    dt_io_free(p->io);
    free(p);
}

static void busy_poll_off(void **state)
{
    (void)state;
    /* 0: never; and pinned to one CPU, a window asked for is not kept */
    cpu_set_t old, one;
    assert_int_equal(sched_getaffinity(0, sizeof old, &old), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &old)) {
            CPU_SET(c, &one);
            break;
        }
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
        poll_loop *p = calloc(1, sizeof *p);
        int peer = poll_loop_start(p, round == 0 ? 0 : 10000);
        assert_int_equal(write(peer, "y", 1), 1);
        for (int i = 0; i < 2000 && atomic_load(&p->reads) == 0; i++)
            sleep_ms(1);
        assert_int_equal(atomic_load(&p->reads), 1);
        sleep_ms(30);
        assert_int_equal(dt_io_busy_polls(p->io), 0);
        poll_loop_stop(p, peer);
        dt_io_free(p->io);
        free(p);
    }
    assert_int_equal(sched_setaffinity(0, sizeof old, &old), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_keeps_order),
        cmocka_unit_test(relay_moves_and_copies),
        cmocka_unit_test(addr_parse),
        cmocka_unit_test(dotnet_lookup),
        cmocka_unit_test(busy_poll_spins_after_traffic_then_sleeps),
        cmocka_unit_test(busy_poll_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
