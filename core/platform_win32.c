#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

const char dt_dynlib_suffix[] = ".dll";

int dt_open_read(const char *path)
{
    return _open(path, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
}

char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

void *memmem(const void *hay, size_t haylen, const void *needle, size_t needlelen)
{
    const unsigned char *h = hay;
    if (needlelen == 0)
        return (void *)h;
    for (; haylen >= needlelen; h++, haylen--) {
        const unsigned char *first = memchr(h, *(const unsigned char *)needle, haylen - needlelen + 1);
        if (!first)
            return NULL;
        haylen -= (size_t)(first - h);
        h = first;
        if (memcmp(h, needle, needlelen) == 0)
            return (void *)h;
    }
    return NULL;
}

int dt_dup_stdin(void)
{
    int fd = _dup(0);
    if (fd >= 0)
        _setmode(fd, _O_BINARY);
    return fd;
}

int dt_open_output(const char *path, bool *live, char *err, size_t errsz)
{
    /* A new file gets its folder's inherited ACL (the user's profile: the
     * user, SYSTEM and Administrators), which is Windows' "owner only". */
    int fd = _open(path, _O_WRONLY | _O_CREAT | _O_TRUNC | _O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
    if (fd < 0) {
        snprintf(err, errsz, "%s", strerror(errno));
        return -1;
    }
    *live = GetFileType((HANDLE)_get_osfhandle(fd)) == FILE_TYPE_PIPE;
    return fd;
}

const char *dt_path_base(const char *path)
{
    const char *base = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\' || *p == ':')
            base = p + 1;
    return base;
}

uint64_t dt_stat_mtime_ns(const struct stat *st)
{
    return (uint64_t)st->st_mtime * 1000000000u;
}

bool dt_localtime(time_t t, struct tm *tm, long *utc_offset)
{
    if (localtime_s(tm, &t) != 0)
        return false;
    struct tm u;
    if (gmtime_s(&u, &t) != 0)
        return false;
    /* The offset is local minus UTC, both read as if they were UTC. */
    u.tm_isdst = 0;
    struct tm l = *tm;
    l.tm_isdst = 0;
    *utc_offset = (long)(_mkgmtime(&l) - _mkgmtime(&u));
    return true;
}

void *dt_dynlib_open(const char *path, char *err, size_t errsz)
{
    HMODULE h = LoadLibraryExA(path, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (!h)
        snprintf(err, errsz, "cannot load (Windows error %lu)", (unsigned long)GetLastError());
    return (void *)h;
}

void *dt_dynlib_sym(void *h, const char *name)
{
    return (void *)GetProcAddress((HMODULE)h, name);
}

void dt_dynlib_close(void *h)
{
    FreeLibrary((HMODULE)h);
}

const void *dt_memrchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    while (n--)
        if (p[n] == (unsigned char)c)
            return p + n;
    return NULL;
}

void *dt_alloc_aligned(size_t n) { return _aligned_malloc(n ? n : 1, DT_BUF_ALIGN); }

void dt_free_aligned(void *p) { _aligned_free(p); }

void dt_stdio_binary(void)
{
    _setmode(0, _O_BINARY);
    _setmode(1, _O_BINARY);
}

void dt_ip_text(int version, const void *addr, char *out, size_t outsz)
{
    if (!inet_ntop(version == 4 ? AF_INET : AF_INET6, (void *)addr, out, outsz))
        snprintf(out, outsz, "?");
}

bool dt_ip_parse(int version, const char *text, void *out)
{
    return inet_pton(version == 4 ? AF_INET : AF_INET6, text, out) == 1;
}

/* winpthreads' pthread_kill(t, sig) is pthread_cancel(t): the decoder
 * thread, cancelled in pthread_cond_wait, ended holding its mutex and
 * dt_decoder_stop waited for it forever (the hang after Ctrl+C). Windows
 * outputs are not interrupted by signals, so there is nothing to do. */
void dt_thread_interrupt(pthread_t t, int sig)
{
    (void)t;
    (void)sig;
}

/* Console control events arrive on a thread of their own: nothing to block. */
int dt_thread_start_quiet(pthread_t *t, void *(*fn)(void *), void *arg) { return pthread_create(t, NULL, fn, arg); }

void dt_cpu_yield(void) { SwitchToThread(); }

int dt_usable_cpus(void)
{
    DWORD_PTR proc, sys;
    if (GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys) && proc) {
        int n = 0;
        for (; proc; proc &= proc - 1)
            n++;
        return n;
    }
    return 1;
}
