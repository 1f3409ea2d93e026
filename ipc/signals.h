/* Signals as a readable descriptor, so the relay loops handle them in
 * order with everything else (no handler, no global state). */
#ifndef DIAGTAP_IPC_SIGNALS_H
#define DIAGTAP_IPC_SIGNALS_H

#include <signal.h>

typedef struct dt_signals {
    int fd;
    sigset_t old_mask;
} dt_signals;

/* Blocks the n signals in sigs and opens a descriptor that becomes readable
 * when one is pending. Returns 0, or -1 with errno set. */
int dt_signals_open(dt_signals *s, const int *sigs, int n);
/* The next pending signal read from a dt_signals descriptor, or 0. */
int dt_signals_next(int fd);
/* Closes the descriptor and restores the previous mask. */
void dt_signals_close(dt_signals *s);

#endif
