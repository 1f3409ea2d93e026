#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

typedef struct slot {
    int fd;         /* -1: free */
    unsigned interest;
    dt_loop_cb cb;
    void *ctx;
} slot;

struct dt_loop {
    struct pollfd *pfd; /* pfd[i] mirrors slots[i]; fd < 0 when not polled */
    slot *slots;
    int n, cap;
    int free_hint;
};

dt_loop *dt_loop_new(void)
{
    return calloc(1, sizeof(dt_loop));
}

void dt_loop_free(dt_loop *l)
{
    if (!l)
        return;
    free(l->pfd);
    free(l->slots);
    free(l);
}

static short to_poll(unsigned interest)
{
    return (short)(((interest & DT_LOOP_IN) ? POLLIN : 0) | ((interest & DT_LOOP_OUT) ? POLLOUT : 0));
}

static void sync_slot(dt_loop *l, int i)
{
    slot *s = &l->slots[i];
    l->pfd[i].fd = (s->fd >= 0 && s->interest) ? s->fd : -1;
    l->pfd[i].events = to_poll(s->interest);
    l->pfd[i].revents = 0;
}

int dt_loop_add(dt_loop *l, int fd, unsigned interest, dt_loop_cb cb, void *ctx)
{
    int i;
    for (i = l->free_hint; i < l->n && l->slots[i].fd >= 0; i++)
        ;
    if (i == l->n) {
        if (l->n == l->cap) {
            int cap = l->cap ? l->cap * 2 : 64;
            struct pollfd *p = realloc(l->pfd, (size_t)cap * sizeof *p);
            if (!p)
                return -1;
            l->pfd = p;
            slot *s = realloc(l->slots, (size_t)cap * sizeof *s);
            if (!s)
                return -1;
            l->slots = s;
            l->cap = cap;
        }
        l->n++;
    }
    l->slots[i] = (slot){ fd, interest, cb, ctx };
    sync_slot(l, i);
    l->free_hint = i + 1;
    return i;
}

void dt_loop_set(dt_loop *l, int i, unsigned interest)
{
    if (i < 0 || i >= l->n || l->slots[i].interest == interest)
        return;
    short keep = l->pfd[i].revents;
    l->slots[i].interest = interest;
    sync_slot(l, i);
    l->pfd[i].revents = keep; /* still dispatched this round if ready */
}

void dt_loop_del(dt_loop *l, int i)
{
    if (i < 0 || i >= l->n)
        return;
    l->slots[i].fd = -1;
    l->slots[i].interest = 0;
    sync_slot(l, i);
    if (i < l->free_hint)
        l->free_hint = i;
    while (l->n > 0 && l->slots[l->n - 1].fd < 0)
        l->n--;
}

int dt_loop_once(dt_loop *l, int timeout_ms)
{
    int r = poll(l->pfd, (nfds_t)l->n, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -1;
    /* l->n may shrink or grow during dispatch; new slots have revents 0. */
    for (int i = 0; i < l->n; i++) {
        short re = l->pfd[i].revents;
        if (!re || l->slots[i].fd < 0)
            continue;
        l->pfd[i].revents = 0;
        unsigned ready = 0;
        if (re & (POLLIN | POLLHUP | POLLERR))
            ready |= DT_LOOP_IN;
        if (re & (POLLOUT | POLLERR))
            ready |= DT_LOOP_OUT;
        if (re & (POLLHUP | POLLERR | POLLNVAL))
            ready |= DT_LOOP_ERR;
        l->slots[i].cb(l->slots[i].ctx, l->slots[i].fd, ready);
    }
    return r;
}
