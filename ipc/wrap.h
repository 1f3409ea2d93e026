/* The stdio wrapper: runs a command (a debug adapter, a language server)
 * with its stdin, stdout and stderr relayed through diagtap, as a tap
 * between the program that started diagtap (the IDE) and the command.
 * Platform-independent: it runs on the I/O layer (io.h), the child started
 * by dt_io_spawn. */
#ifndef DIAGTAP_IPC_WRAP_H
#define DIAGTAP_IPC_WRAP_H

#include "decoder.h"
#include "io.h"

typedef struct dt_wrap dt_wrap;

/* Called once everything the command wrote is relayed after it exited
 * (or 2 s after its exit when something else still holds its output open).
 * status: what diagtap should exit with (see dt_wrap_run). */
typedef void (*dt_wrap_done_cb)(void *ctx, dt_wrap *w, int status);

/* Starts argv (argv[0] looked up in PATH) with our stdin relayed to its
 * stdin (the conversation's C2S side, client "ide"), its stdout to ours
 * (S2C, server: the command's base name), its stderr to ours line by line
 * and as notes. NULL when it could not be started: *status is then 127
 * (not found) or 126, and one line was printed. */
dt_wrap *dt_wrap_start(dt_io *io, dt_feed *feed, char *const argv[], const char *dissector, dt_wrap_done_cb done,
                       void *ctx, int *status);
/* The same, its conversation on the channel named channel (NULL: "stdio:NAME"). */
dt_wrap *dt_wrap_start_named(dt_io *io, dt_feed *feed, char *const argv[], const char *dissector,
                             const char *channel, dt_wrap_done_cb done, void *ctx, int *status);
/* Passes a stop signal on to the command. */
void dt_wrap_signal(dt_wrap *w, int sig);
/* Ends the conversation (exit status noted), frees everything; kills the
 * command first if it still runs. Returns the status diagtap should have. */
int dt_wrap_free(dt_wrap *w);

/* The whole of `diagtap wrap`: a loop (busy polling busy_poll_us after
 * traffic, dt_io_set_busy_poll), a decoder thread over eng, the command;
 * SIGINT, SIGTERM and SIGHUP are passed on to it. Returns the exit status
 * diagtap should have: the command's, 128+N when killed by signal N, 127
 * when it could not be started. */
int dt_wrap_run(dt_engine *eng, char *const argv[], const char *dissector, unsigned busy_poll_us);

#endif
