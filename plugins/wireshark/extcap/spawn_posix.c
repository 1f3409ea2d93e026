#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static volatile pid_t child_pid;

static void on_signal(int sig)
{
    stop_signal = sig;
    if (child_pid > 0)
        kill(child_pid, SIGTERM); /* diagtap finishes its recording on SIGTERM */
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Keeps the last bytes diagtap wrote to stderr: Wireshark shows anything an
 * extcap writes there as an error, so diagtap's notes ("listening on ...")
 * are passed on only when diagtap fails. */
typedef struct tail_buf {
    char data[8192];
    size_t len;
} tail_buf;

/* n is at most one read (1 KiB), less than the buffer. */
static void tail_add(tail_buf *t, const char *p, size_t n)
{
    if (t->len + n > sizeof t->data) {
        size_t drop = t->len + n - sizeof t->data;
        memmove(t->data, t->data + drop, t->len - drop);
        t->len -= drop;
    }
    memcpy(t->data + t->len, p, n);
    t->len += n;
}

int dtx_run_child(const char *const *argv)
{
    catch_signals();
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) {
        fprintf(stderr, "diagtap-extcap: pipe: %s\n", strerror(errno));
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "diagtap-extcap: cannot start %s: %s\n", argv[0], strerror(errno));
        return 1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO); /* the timeline: Wireshark only wants the recording */
        }
        dup2(errpipe[1], STDERR_FILENO);
        signal(SIGPIPE, SIG_DFL);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "diagtap-extcap: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(errpipe[1]);
    child_pid = pid;
    if (stop_signal)
        kill(pid, SIGTERM);
    static tail_buf tail;
    char buf[1024]; /* smaller than tail.data */
    for (;;) {
        ssize_t r = read(errpipe[0], buf, sizeof buf);
        if (r > 0)
            tail_add(&tail, buf, (size_t)r);
        else if (r == 0 || errno != EINTR)
            break;
    }
    close(errpipe[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "diagtap-extcap: waiting for diagtap: %s\n", strerror(errno));
            return 1;
        }
    }
    child_pid = 0;
    int rc = 1;
    if (WIFEXITED(status))
        rc = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        rc = 128 + WTERMSIG(status);
    if (stop_signal)
        rc = 0; /* stopped by Wireshark: a normal end */
    if (rc != 0 && tail.len)
        fwrite(tail.data, 1, tail.len, stderr);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR && !stop_signal)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int dtx_relay_pipe(const char *pipe_path, const char *fifo)
{
    catch_signals();
    struct stat st;
    int made = 0;
    if (mkfifo(pipe_path, 0600) == 0) {
        made = 1;
    } else if (errno != EEXIST || stat(pipe_path, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        fprintf(stderr, "diagtap-extcap: cannot create the FIFO %s: %s\n", pipe_path,
                errno == EEXIST ? "a file that is not a FIFO is in the way" : strerror(errno));
        return 1;
    }
    int rc = 0;
    int out = open(fifo, O_WRONLY | O_CLOEXEC);
    if (out < 0) {
        fprintf(stderr, "diagtap-extcap: cannot open %s: %s\n", fifo, strerror(errno));
        rc = 1;
        goto done;
    }
    /* Blocks until the wrapped session opens the pipe for writing. */
    int in = open(pipe_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        if (!stop_signal) {
            fprintf(stderr, "diagtap-extcap: cannot open %s: %s\n", pipe_path, strerror(errno));
            rc = 1;
        }
        close(out);
        goto done;
    }
    char buf[65536];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR && !stop_signal)
                continue;
            break;
        }
        if (write_all(out, buf, (size_t)r) != 0)
            break; /* Wireshark stopped reading */
    }
    close(in);
    close(out);
done:
    if (made)
        unlink(pipe_path);
    return rc;
}
