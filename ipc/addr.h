/* Socket addresses and listening sockets for the proxies. */
#ifndef DIAGTAP_IPC_ADDR_H
#define DIAGTAP_IPC_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* "HOST:PORT" or "[V6ADDR]:PORT" (HOST a name or a literal). Returns 0, or
 * -1 with a one-line message in err. */
int dt_addr_parse_tcp(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errsz);
/* "127.0.0.1:5678", "[::1]:5678", or the path of a Unix socket. */
void dt_addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);
uint16_t dt_addr_port(const struct sockaddr *sa);
/* Fills a sockaddr_un; -1 when the path does not fit. */
int dt_addr_unix(const char *path, struct sockaddr_storage *ss, socklen_t *len);

/* A non-blocking listening TCP socket, or -1 with a message in err. */
int dt_listen_tcp(const struct sockaddr *sa, socklen_t len, char *err, size_t errsz);

/* A non-blocking listening Unix socket at path whose owner, group and mode
 * are those of the socket at like_path, never wider: it is created under a
 * umask that leaves it owner-only, then given like_path's owner and mode.
 * When the group cannot be given, group bits are dropped. Fails when path
 * already exists. Returns the fd, or -1 with a message in err. */
int dt_listen_unix_like(const char *path, const char *like_path, struct stat *made, char *err, size_t errsz);
/* Removes the socket at path if it is still the one that was made (same
 * device and inode), so cleanup never deletes someone else's file. */
void dt_unlink_listener(const char *path, const struct stat *made);

#endif
