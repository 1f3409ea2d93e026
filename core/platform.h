/* The few operating-system services the portable code needs, each with one
 * implementation per platform (platform_posix.c, platform_win32.c), so that
 * core/, capture/ and cli/ carry no #ifdef per system. */
#ifndef DIAGTAP_CORE_PLATFORM_H
#define DIAGTAP_CORE_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Opens path for reading in binary mode, not inherited by children. */
int dt_open_read(const char *path);

/* A private duplicate of standard input, binary, not inherited. */
int dt_dup_stdin(void);

/* Creates (or truncates) path for writing in binary mode, owner-only (0600
 * on POSIX; on Windows the file is new and inherits its folder's ACL, or an
 * existing file keeps its ACL). live is set when it is a FIFO or socket (the
 * writer then flushes early). -1 with "why" in err. */
int dt_open_output(const char *path, bool *live, char *err, size_t errsz);

/* The last component of a path ("C:\\x\\t.pcap" → "t.pcap" on Windows), or
 * "" when the path ends in a separator. */
const char *dt_path_base(const char *path);

/* A stat's modification time in ns since the Unix epoch. */
uint64_t dt_stat_mtime_ns(const struct stat *st);

/* Local civil time of t and its offset from UTC in seconds; false when the
 * system cannot say. */
bool dt_localtime(time_t t, struct tm *tm, long *utc_offset);

/* Loadable modules (plugins .so / .dll; Npcap's wpcap.dll). */
extern const char dt_dynlib_suffix[]; /* ".so", ".dll" */
void *dt_dynlib_open(const char *path, char *err, size_t errsz);
void *dt_dynlib_sym(void *h, const char *name);
void dt_dynlib_close(void *h);

/* An IPv4 (version 4) or IPv6 (6) address as text. */
#define DT_IP_TEXT_MAX 46
void dt_ip_text(int version, const void *addr, char *out, size_t outsz);
/* Text to an IPv4 (4 bytes) or IPv6 (16 bytes) address, network order. */
bool dt_ip_parse(int version, const char *text, void *out);

/* Standard output and input as raw bytes (Windows: no CRLF translation). */
void dt_stdio_binary(void);

/* The last byte c in the n bytes at s, or NULL (glibc's memrchr, which
 * Windows lacks). */
const void *dt_memrchr(const void *s, int c, size_t n);

/* Memory for buffers the kernel copies into (read, recv): n bytes starting
 * on a 64-byte boundary, freed with dt_free_aligned (NULL is fine). malloc's
 * 16-byte alignment makes read(2) into a large buffer up to 5x slower on
 * some CPUs (AMD EPYC here: a 256 KiB read into page + 16 costs 5x one into
 * page + 0 or + 32; docs/performance.md). NULL when out of memory. */
#define DT_BUF_ALIGN 64
void *dt_alloc_aligned(size_t n);
void dt_free_aligned(void *p);

/* Leaves the stop signal sig pending on thread t, so an output it is stuck
 * on gives way (POSIX: pthread_kill). Nothing on Windows, where there is no
 * such signal and winpthreads' pthread_kill cancels the thread instead. */
void dt_thread_interrupt(pthread_t t, int sig);

/* pthread_create for a worker that must not take the process's stop
 * signals (POSIX: asynchronous signals blocked in it, so SIGINT reaches the
 * thread that waits for it with signalfd; the faults and SIGPIPE its own
 * actions raise still act). 0 or an errno value. */
int dt_thread_start_quiet(pthread_t *t, void *(*fn)(void *), void *arg);

/* How many CPUs this process may run on (its affinity mask: `taskset -c 0`
 * says 1), at least 1. */
int dt_usable_cpus(void);

/* Lets another thread that is ready to run on this CPU have it (POSIX:
 * sched_yield, Windows: SwitchToThread); returns at once when none is. */
void dt_cpu_yield(void);

#endif
