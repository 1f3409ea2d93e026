/* The stdio wrapper: runs a command (a debug adapter, a language server)
 * with its stdin, stdout and stderr relayed through diagtap, as a tap
 * between the program that started diagtap (the IDE) and the command. */
#ifndef DIAGTAP_IPC_WRAP_H
#define DIAGTAP_IPC_WRAP_H

#include "core/engine.h"

/* Runs argv (argv[0] looked up in PATH) until it exits and its output is
 * relayed. stdin is the conversation's C2S side (client "ide"), stdout its
 * S2C side (server: the command's base name); stderr lines are relayed to
 * diagtap's stderr and shown as notes. SIGINT, SIGTERM and SIGHUP are
 * forwarded to the command. dissector forces a dissector (NULL: detect).
 * Returns the exit status diagtap should have: the command's, 128+N when
 * killed by signal N, 127 when it could not be started. */
int dt_wrap_run(dt_engine *eng, char *const argv[], const char *dissector);

#endif
