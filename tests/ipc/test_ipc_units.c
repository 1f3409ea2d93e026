/* Unit tests of the ipc building blocks: the ring, address parsing, the
 * .NET diagnostic port lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/addr.h"
#include "ipc/dotnet_port.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_keeps_order),
        cmocka_unit_test(addr_parse),
        cmocka_unit_test(dotnet_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
