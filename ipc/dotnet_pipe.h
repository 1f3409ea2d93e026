/* The .NET runtime's diagnostic port on Windows: the byte-mode named pipe
 * \\.\pipe\dotnet-diagnostic-PID, which the runtime serves itself. */
#ifndef DIAGTAP_IPC_DOTNET_PIPE_H
#define DIAGTAP_IPC_DOTNET_PIPE_H

#include <stddef.h>

/* The runtime's pipe for pid. Returns 0, or -1 when name is too small. */
int dt_dotnet_pipe_name(long pid, char *name, size_t namesz);

/* The pipe diagtap serves in front of it: \\.\pipe\dotnet-diagnostic-PID-diagtap
 * (the runtime's name with a suffix, as on Unix, where diagtap's socket is
 * the runtime's name with the key 1). Tools reach it with
 * --diagnostic-port NAME,connect; -p PID still goes to the runtime. */
int dt_dotnet_front_pipe_name(long pid, char *name, size_t namesz);

/* Process pid exists and the pipe name exists, without connecting to it
 * (the listener's probe connection checks that its server is pid). Returns
 * 0, or -1 with one line in err. */
int dt_dotnet_check_pipe(long pid, const char *name, char *err, size_t errsz);

#endif
