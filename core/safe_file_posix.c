/* dt_safe_create and friends on POSIX (see safe_file.h for the rules). */
#include "safe_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 100

/* A stop signal is waiting: blocked (a proxy's signalfd will read it) or
 * delivered to a handler while we slept (poll returned EINTR). */
static bool stop_pending(void)
{
    sigset_t s;
    if (sigpending(&s) != 0)
        return false;
    return sigismember(&s, SIGINT) == 1 || sigismember(&s, SIGTERM) == 1 || sigismember(&s, SIGHUP) == 1;
}

/* Sleeps up to WAIT_MS for fd to become writable (fd < 0: just sleeps).
 * Returns false when a stop signal asks us to give up. */
static bool wait_or_stop(int fd)
{
    if (stop_pending())
        return false;
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    if (poll(&p, fd >= 0 ? 1 : 0, WAIT_MS) < 0 && errno == EINTR)
        return false;
    return !stop_pending();
}

static int fail(char *err, size_t errsz, const char *path, const char *what, int e)
{
    snprintf(err, errsz, "%s: %s%s%s", path, what, e ? ": " : "", e ? strerror(e) : "");
    errno = e ? e : EPERM;
    return -1;
}

static int refuse_owner(const char *path, const struct stat *st, char *err, size_t errsz)
{
    snprintf(err, errsz, "%s: refused: a %s owned by uid %u, not by us or root, would hand that user everything written",
             path, S_ISFIFO(st->st_mode) ? "FIFO" : "device", (unsigned)st->st_uid);
    errno = EPERM;
    return -1;
}

/* A FIFO or a device that already exists: open it as it is. */
static int open_special(const char *path, const struct stat *seen, char *err, size_t errsz)
{
    if (seen->st_uid != geteuid() && seen->st_uid != 0)
        return refuse_owner(path, seen, err, errsz); /* before waiting for its reader */
    int fd;
    for (;;) {
        fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != ENXIO) /* ENXIO: a FIFO without a reader yet */
            return fail(err, errsz, path, "cannot open", errno);
        if (!wait_or_stop(-1))
            return fail(err, errsz, path, "stopped while waiting for a reader", ECANCELED);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fail(err, errsz, path, "cannot open", e);
    }
    if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
        close(fd); /* swapped for something else since we looked */
        return fail(err, errsz, path, "changed while being opened; not written", 0);
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        close(fd);
        return refuse_owner(path, &st, err, errsz);
    }
    if (S_ISCHR(st.st_mode)) { /* a terminal or /dev/null: ordinary blocking writes */
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    return fd;
}

/* A regular file: create a fresh one beside it and rename it over PATH. */
static int create_fresh(const char *path, char *err, size_t errsz)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    if (!*base)
        return fail(err, errsz, path, "is a directory", EISDIR);
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", (int)dirlen, path, base) >= sizeof tmp)
        return fail(err, errsz, path, "path too long", ENAMETOOLONG);
    int fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT|O_EXCL: never follows a link */
    if (fd < 0)
        return fail(err, errsz, path, "cannot create", errno);
    if (fchmod(fd, 0600) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        close(fd);
        return fail(err, errsz, path, e == EPERM || e == EACCES ? "cannot replace the file there" : "cannot create", e);
    }
    return fd;
}

int dt_safe_create(const char *path, char *err, size_t errsz)
{
    struct stat st;
    if (!path || !*path)
        return fail(err, errsz, "\"\"", "no file name", EINVAL);
    if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return fail(err, errsz, path, "is a directory", EISDIR);
        if (S_ISSOCK(st.st_mode))
            return fail(err, errsz, path, "is a socket", EPERM);
        if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
            return open_special(path, &st, err, errsz);
        /* a regular file, a symlink, a block device: replaced, never opened */
    } else if (errno != ENOENT) {
        return fail(err, errsz, path, "cannot create", errno);
    }
    return create_fresh(path, err, errsz);
}

ssize_t dt_safe_write(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    size_t left = n;
    while (left) {
        ssize_t k = write(fd, p, left);
        if (k > 0) {
            p += k;
            left -= (size_t)k;
            continue;
        }
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        if (errno == EINTR) {
            if (stop_pending()) {
                errno = ECANCELED;
                return -1;
            }
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (!wait_or_stop(fd)) { /* a FIFO whose reader stopped reading */
            errno = ECANCELED;
            return -1;
        }
    }
    return (ssize_t)n;
}

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
    ssize_t k = dt_safe_write((int)(intptr_t)c, buf, n);
    return k < 0 ? -1 : k;
}

static int cookie_close(void *c)
{
    return close((int)(intptr_t)c);
}

FILE *dt_safe_fopen(const char *path, char *err, size_t errsz)
{
    int fd = dt_safe_create(path, err, errsz);
    if (fd < 0)
        return NULL;
    cookie_io_functions_t io = { .write = cookie_write, .close = cookie_close };
    FILE *f = fopencookie((void *)(intptr_t)fd, "w", io);
    if (!f) {
        int e = errno;
        close(fd);
        fail(err, errsz, path, "cannot open", e);
    }
    return f;
}
