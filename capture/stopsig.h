/* A stop request (SIGINT, SIGTERM) as a readable descriptor, so a capture
 * loop polls it with its input and stops cleanly, without global state. */
#ifndef DIAGTAP_CAPTURE_STOPSIG_H
#define DIAGTAP_CAPTURE_STOPSIG_H

#include <stdbool.h>

/* Blocks SIGINT and SIGTERM and returns a descriptor that becomes readable
 * when one arrives, or -1. */
int dt_stopsig_open(void);
/* Closes it, discards stop requests already read, unblocks the signals. */
void dt_stopsig_close(int fd);
/* True when a stop request arrived on fd (does not consume it). */
bool dt_stopsig_pending(int fd);

#endif
