/* A small readiness loop over file descriptors (poll(2) underneath).
 *
 * Each watched descriptor has a slot. A slot whose interest is 0 is not
 * polled at all, so a hung-up socket nobody wants to hear from does not
 * wake the loop. Deleting a slot inside a callback is safe: its pending
 * readiness is dropped. */
#ifndef DIAGTAP_IPC_LOOP_H
#define DIAGTAP_IPC_LOOP_H

#include <stdbool.h>

enum {
    DT_LOOP_IN = 1u << 0,
    DT_LOOP_OUT = 1u << 1,
    DT_LOOP_ERR = 1u << 2, /* reported only: hang-up or error on the descriptor */
};

typedef struct dt_loop dt_loop;
typedef void (*dt_loop_cb)(void *ctx, int fd, unsigned ready);

dt_loop *dt_loop_new(void);
void dt_loop_free(dt_loop *l);

/* Returns the slot, or -1 when out of memory. */
int dt_loop_add(dt_loop *l, int fd, unsigned interest, dt_loop_cb cb, void *ctx);
void dt_loop_set(dt_loop *l, int slot, unsigned interest);
void dt_loop_del(dt_loop *l, int slot);

/* Waits up to timeout_ms (-1: forever) and dispatches. Returns the number
 * of descriptors that were ready, 0 on timeout or EINTR, -1 on error. */
int dt_loop_once(dt_loop *l, int timeout_ms);

#endif
