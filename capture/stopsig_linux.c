/* Linux: signalfd. */
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "stopsig.h"

static void stop_set(sigset_t *s)
{
    sigemptyset(s);
    sigaddset(s, SIGINT);
    sigaddset(s, SIGTERM);
}

int dt_stopsig_open(void)
{
    sigset_t s;
    stop_set(&s);
    if (sigprocmask(SIG_BLOCK, &s, NULL) != 0)
        return -1;
    int fd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        sigprocmask(SIG_UNBLOCK, &s, NULL);
    return fd;
}

void dt_stopsig_close(int fd)
{
    if (fd < 0)
        return;
    /* consume what arrived, so unblocking does not kill us after a clean stop */
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
        ;
    close(fd);
    sigset_t s;
    stop_set(&s);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
}

bool dt_stopsig_pending(int fd)
{
    struct pollfd pf = { fd, POLLIN, 0 };
    return fd >= 0 && poll(&pf, 1, 0) > 0;
}
