/* Times one command for bench/run.sh: the wall clock to the microsecond
 * (CLOCK_MONOTONIC around fork and wait), the command's user and system
 * CPU and its peak RSS (wait4's rusage). /usr/bin/time gives the same but
 * its wall time in 10 ms steps, which on a 0.16 s replay is 6%; taking the
 * clock in the shell around it adds two process starts (3-13 ms here).
 *
 *   timeit OUTFILE CMD [ARG...]
 *
 * writes "user_s sys_s wall_s maxrss_kib" to OUTFILE (the order of
 * /usr/bin/time -f '%U %S %e %M'); the command's stdin, stdout and stderr
 * are timeit's. Exits with the command's status (128+N for signal N). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: timeit OUTFILE CMD [ARG...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "timeit: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "timeit: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "timeit: wait: %s\n", strerror(errno));
            return 2;
        }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        fprintf(stderr, "timeit: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    fprintf(out, "%.3f %.3f %.6f %ld\n", seconds(ru.ru_utime), seconds(ru.ru_stime), wall, ru.ru_maxrss);
    if (fclose(out) != 0) {
        fprintf(stderr, "timeit: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
