#include "platform.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char dt_dynlib_suffix[] = ".so";

int dt_open_read(const char *path)
{
    return open(path, O_RDONLY | O_CLOEXEC);
}

int dt_dup_stdin(void)
{
    return fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
}

int dt_open_output(const char *path, bool *live, char *err, size_t errsz)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errsz, "%s", strerror(errno));
        return -1;
    }
    /* An existing file keeps its mode through O_TRUNC: make it private too.
     * Devices and FIFOs (an extcap pipe, /dev/full) are left alone. */
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
        snprintf(err, errsz, "cannot make it private: %s", strerror(errno));
        close(fd);
        return -1;
    }
    *live = fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    return fd;
}

const char *dt_path_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

uint64_t dt_stat_mtime_ns(const struct stat *st)
{
    return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

bool dt_localtime(time_t t, struct tm *tm, long *utc_offset)
{
    if (!localtime_r(&t, tm))
        return false;
    *utc_offset = tm->tm_gmtoff;
    return true;
}

void *dt_dynlib_open(const char *path, char *err, size_t errsz)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        snprintf(err, errsz, "%s", dlerror());
    return h;
}

void *dt_dynlib_sym(void *h, const char *name)
{
    return dlsym(h, name);
}

void dt_dynlib_close(void *h)
{
    dlclose(h);
}

void dt_stdio_binary(void)
{
}

const void *dt_memrchr(const void *s, int c, size_t n) { return memrchr(s, c, n); }

void *dt_alloc_aligned(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, DT_BUF_ALIGN, n ? n : 1) == 0 ? p : NULL;
}

void dt_free_aligned(void *p) { free(p); }

void dt_ip_text(int version, const void *addr, char *out, size_t outsz)
{
    if (!inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, out, outsz))
        snprintf(out, outsz, "?");
}

bool dt_ip_parse(int version, const char *text, void *out)
{
    return inet_pton(version == 4 ? AF_INET : AF_INET6, text, out) == 1;
}

void dt_thread_interrupt(pthread_t t, int sig) { pthread_kill(t, sig); }

int dt_thread_start_quiet(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    /* what its own actions raise still acts on it: a fault (blocking one is
     * undefined), and SIGPIPE, so that `diagtap replay … | head` ends when
     * head does, as it did with one thread */
    static const int own[] = { SIGPIPE, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        sigdelset(&all, own[i]);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the new thread inherits the mask */
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

void dt_cpu_yield(void) { sched_yield(); }

int dt_usable_cpus(void)
{
#ifdef CPU_COUNT /* glibc, musl: the affinity mask */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
