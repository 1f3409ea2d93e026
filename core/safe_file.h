/* Every file diagtap writes (-w recordings, -o timelines, reports, spools)
 * is opened here, because diagtap often runs as root in directories other
 * users can write (/tmp):
 *
 * - A regular file is never opened by its name. A fresh file is created
 *   beside it (O_CREAT|O_EXCL, mode 0600, so no symlink or hard link can be
 *   followed) and renamed over NAME: whatever NAME was — a file another user
 *   created in advance and still holds open, a symlink to /etc/shadow — is
 *   REPLACED, never written, truncated or chmod-ed. (In a sticky directory
 *   only root may replace another user's file; others get one error line.)
 * - A FIFO or character device (an extcap pipe, /dev/null) is opened as it
 *   is, without following a symlink, and only when the caller or root owns
 *   it: another user's FIFO would hand that user the recording.
 * - Directories and sockets are refused.
 * - Opening a FIFO waits for its reader, and writing waits for room, but
 *   both give way at once to SIGINT, SIGTERM or SIGHUP, handled or blocked
 *   (a proxy blocks them for its signalfd): the signal stays pending for the
 *   caller's own loop, and the open or write fails with ECANCELED.
 *
 * The platform part lives in safe_file_posix.c. */
#ifndef DIAGTAP_CORE_SAFE_FILE_H
#define DIAGTAP_CORE_SAFE_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Opens PATH for writing as described above: a file descriptor (close-on-
 * exec; non-blocking for FIFOs: write with dt_safe_write), or -1 with
 * "PATH: why" in err. */
int dt_safe_create(const char *path, char *err, size_t errsz);

/* The same as a stdio stream (writes through dt_safe_write). */
FILE *dt_safe_fopen(const char *path, char *err, size_t errsz);

/* Writes all n bytes to an fd from dt_safe_create, waiting for room in a
 * FIFO unless a stop signal is pending. Returns n, or -1 with errno
 * (ECANCELED: a stop signal arrived while waiting). */
ssize_t dt_safe_write(int fd, const void *buf, size_t n);

#endif
