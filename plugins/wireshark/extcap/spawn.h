/* Running the capture: a diagtap child writing the recording into
 * Wireshark's FIFO, or a relay from a FIFO a wrapped session writes to. */
#ifndef DIAGTAP_EXTCAP_SPAWN_H
#define DIAGTAP_EXTCAP_SPAWN_H

/* Runs argv (argv[0] a path or a name looked up in PATH) with stdout sent
 * to /dev/null, forwards SIGINT/SIGTERM/SIGHUP to it and waits. Returns the
 * exit status to use: 0 when the child ended because it was asked to. */
int dtx_run_child(const char *const *argv);

/* Creates a FIFO at pipe_path (mode 0600; an existing FIFO is reused),
 * copies everything written to it into fifo until the writer closes it or
 * a signal asks to stop, then removes it. Returns the exit status. */
int dtx_relay_pipe(const char *pipe_path, const char *fifo);

#endif
