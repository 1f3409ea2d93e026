#ifndef DIAGTAP_IPC_CLOCK_H
#define DIAGTAP_IPC_CLOCK_H

#include <stdint.h>

/* Wall-clock nanoseconds since the Unix epoch, for chunk timestamps. */
uint64_t dt_ipc_now_ns(void);

#endif
