#include "signals.h"

#include <errno.h>
#include <sys/signalfd.h>
#include <unistd.h>

int dt_signals_open(dt_signals *s, const int *sigs, int n)
{
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < n; i++)
        sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, &s->old_mask) < 0)
        return -1;
    s->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s->fd < 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
        errno = e;
        return -1;
    }
    return 0;
}

int dt_signals_next(int fd)
{
    struct signalfd_siginfo si;
    ssize_t k = read(fd, &si, sizeof si);
    return k == (ssize_t)sizeof si ? (int)si.ssi_signo : 0;
}

void dt_signals_close(dt_signals *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
}
