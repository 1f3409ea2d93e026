/* The two ends of a proxy benchmark (bench/proxy.sh), the same whatever sits
 * between them (nothing, socat, diagtap):
 *
 *   relaybench sink ADDR             accept connections; read each to EOF,
 *                                    then close it (the sender's "done")
 *   relaybench send ADDR KIND MB     connect, send MB MiB of KIND (random or
 *                                    dap: DAP output events), half-close,
 *                                    wait for the close; prints MB/s
 *   relaybench echo ADDR             accept connections; answer every DAP
 *                                    request with one ~220-byte response
 *   relaybench ping ADDR N           N request/response round trips of a
 *                                    ~220-byte DAP request; prints the
 *                                    median and p99 in microseconds
 *
 * ADDR is HOST:PORT or a Unix socket path (anything with a '/'). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static void die(const char *what)
{
    fprintf(stderr, "relaybench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int is_unix(const char *addr) { return strchr(addr, '/') != NULL; }

static socklen_t resolve(const char *addr, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (is_unix(addr)) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        un->sun_family = AF_UNIX;
        snprintf(un->sun_path, sizeof un->sun_path, "%s", addr);
        return sizeof *un;
    }
    char host[256];
    snprintf(host, sizeof host, "%s", addr);
    char *colon = strrchr(host, ':');
    if (!colon) {
        fprintf(stderr, "relaybench: %s: expected HOST:PORT or a path\n", addr);
        exit(2);
    }
    *colon = '\0';
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res) {
        fprintf(stderr, "relaybench: %s: cannot resolve\n", addr);
        exit(2);
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    socklen_t n = res->ai_addrlen;
    freeaddrinfo(res);
    return n;
}

static void nodelay(int fd, const char *addr)
{
    int one = 1;
    if (!is_unix(addr))
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int do_connect(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len = resolve(addr, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0)
        die(addr);
    nodelay(fd, addr);
    return fd;
}

static int do_listen(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len = resolve(addr, &ss);
    if (is_unix(addr))
        unlink(addr);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0)
        die(addr);
    printf("ready\n");
    fflush(stdout);
    return fd;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A buffer of DAP output events, as a debug adapter streams a program's output. */
static size_t dap_events(uint8_t *buf, size_t cap)
{
    size_t n = 0;
    for (unsigned seq = 1;; seq++) {
        char body[300], head[64];
        int bl = snprintf(body, sizeof body,
                          "{\"seq\":%u,\"type\":\"event\",\"event\":\"output\",\"body\":{\"category\":\"stdout\","
                          "\"output\":\"worker %u: processed item %u of the batch, status ok\\n\"}}",
                          seq, seq % 8, seq * 7);
        int hl = snprintf(head, sizeof head, "Content-Length: %d\r\n\r\n", bl);
        if (n + (size_t)(hl + bl) > cap)
            return n;
        memcpy(buf + n, head, (size_t)hl);
        memcpy(buf + n + hl, body, (size_t)bl);
        n += (size_t)(hl + bl);
    }
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die("write");
        p += k;
        n -= (size_t)k;
    }
}

static int cmd_send(const char *addr, const char *kind, long mb)
{
    static uint8_t buf[4 << 20];
    size_t len;
    if (!strcmp(kind, "dap")) {
        len = dap_events(buf, sizeof buf);
    } else {
        uint64_t x = 0x9e3779b97f4a7c15u;
        for (size_t i = 0; i < sizeof buf; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = (uint8_t)x;
        }
        len = sizeof buf;
    }
    uint64_t total = (uint64_t)mb << 20, sent = 0;
    int fd = do_connect(addr);
    double t0 = now_s();
    size_t off = 0;
    while (sent < total) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        if (n > total - sent)
            n = (size_t)(total - sent);
        write_all(fd, buf + off, n);
        sent += n;
        off = (off + n) % len;
    }
    shutdown(fd, SHUT_WR);
    char c;
    while (read(fd, &c, 1) > 0) /* the sink closes once it has read everything */
        ;
    double secs = now_s() - t0;
    printf("%.1f\n", (double)total / 1e6 / secs);
    close(fd);
    return 0;
}

static void serve(int lfd, void (*one)(int fd, const char *addr), const char *addr)
{
    signal(SIGCHLD, SIG_IGN);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            die("accept");
        }
        if (fork() == 0) {
            close(lfd);
            nodelay(fd, addr);
            one(fd, addr);
            _exit(0);
        }
        close(fd);
    }
}

static void sink_one(int fd, const char *addr)
{
    (void)addr;
    static uint8_t buf[CHUNK];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    close(fd);
}

static const char request_fmt[] =
    "{\"seq\":%u,\"type\":\"request\",\"command\":\"evaluate\",\"arguments\":{\"expression\":\"items[3].name\","
    "\"frameId\":1000,\"context\":\"watch\"}}";
static const char response_fmt[] =
    "{\"seq\":%u,\"type\":\"response\",\"request_seq\":%u,\"success\":true,\"command\":\"evaluate\","
    "\"body\":{\"result\":\"'widget'\",\"type\":\"str\",\"variablesReference\":0}}";

/* Reads one Content-Length framed message into buf; returns its total size, 0 at EOF. */
static size_t read_msg(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    for (;;) {
        char *end = have ? memmem(buf, have, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t body = (size_t)strtoul(buf + 16, NULL, 10);
            size_t total = (size_t)(end - buf) + 4 + body;
            while (have < total) {
                ssize_t k = read(fd, buf + have, cap - have);
                if (k <= 0)
                    return 0;
                have += (size_t)k;
            }
            return total;
        }
        ssize_t k = read(fd, buf + have, cap - have);
        if (k <= 0)
            return 0;
        have += (size_t)k;
    }
}

static size_t framed(char *out, size_t cap, const char *body)
{
    return (size_t)snprintf(out, cap, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
}

static void echo_one(int fd, const char *addr)
{
    (void)addr;
    char buf[4096], body[512], msg[600];
    unsigned seq = 0;
    while (read_msg(fd, buf, sizeof buf)) {
        seq++;
        snprintf(body, sizeof body, response_fmt, seq, seq);
        size_t n = framed(msg, sizeof msg, body);
        write_all(fd, (uint8_t *)msg, n);
    }
    close(fd);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_ping(const char *addr, long n)
{
    int fd = do_connect(addr);
    double *t = calloc((size_t)n, sizeof *t);
    char buf[4096], body[512], msg[600];
    for (long i = 0; i < n + 100; i++) { /* the first 100: warm-up */
        snprintf(body, sizeof body, request_fmt, (unsigned)i + 1);
        size_t len = framed(msg, sizeof msg, body);
        double t0 = now_s();
        write_all(fd, (uint8_t *)msg, len);
        if (!read_msg(fd, buf, sizeof buf)) {
            fprintf(stderr, "relaybench: connection closed\n");
            return 1;
        }
        if (i >= 100)
            t[i - 100] = (now_s() - t0) * 1e6;
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("%.1f %.1f\n", t[n / 2], t[n * 99 / 100]);
    close(fd);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 3 && !strcmp(argv[1], "sink"))
        serve(do_listen(argv[2]), sink_one, argv[2]);
    if (argc == 3 && !strcmp(argv[1], "echo"))
        serve(do_listen(argv[2]), echo_one, argv[2]);
    if (argc == 5 && !strcmp(argv[1], "send"))
        return cmd_send(argv[2], argv[3], atol(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "ping"))
        return cmd_ping(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: relaybench sink|echo ADDR | send ADDR random|dap MB | ping ADDR N\n");
    return 2;
}
