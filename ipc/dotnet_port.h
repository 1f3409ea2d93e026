/* The .NET runtime's diagnostic port on Unix: a socket named
 * dotnet-diagnostic-PID-KEY-socket in $TMPDIR (or /tmp), KEY being the
 * process start time. */
#ifndef DIAGTAP_IPC_DOTNET_PORT_H
#define DIAGTAP_IPC_DOTNET_PORT_H

#include <stddef.h>

/* The directory the runtime and the tools use: $TMPDIR, else /tmp. */
const char *dt_dotnet_ipc_dir(void);

/* Finds the runtime's socket for pid in dir (the newest when several
 * match), ignoring the name diagtap itself listens on. Fills path and
 * returns 0, or returns -1 with a one-line message in err. */
int dt_dotnet_find_port(const char *dir, long pid, char *path, size_t pathsz, char *err, size_t errsz);

/* The target must be the process's own port: pid exists and the socket
 * at path (not followed if a symlink) is a socket owned by the process's
 * user. Returns 0, or -1 with one line in err (another user's planted
 * socket would otherwise become the target, and the tap theirs). */
int dt_dotnet_check_owner(long pid, const char *path, char *err, size_t errsz);

/* The name diagtap listens on: dotnet-diagnostic-PID-1-socket in dir. It
 * sorts before the runtime's own name (a '-' sorts before any digit of the
 * runtime's key) and, being the newest, is also the one picked by tools that
 * take the most recently written match (Microsoft.Diagnostics.NETCore.Client). */
int dt_dotnet_proxy_path(const char *dir, long pid, char *path, size_t pathsz);

/* Makes the socket at ours strictly newer than the one at real (file
 * times are coarse: both may carry the same tick), so tools that pick the
 * newest match pick ours. */
void dt_dotnet_make_newest(const char *ours, const char *real);

#endif
