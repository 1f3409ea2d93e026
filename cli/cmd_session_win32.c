/* `diagtap session` on Windows: not there yet. A session's sources are
 * captures, Unix/TCP proxies and files on one I/O loop; the Windows I/O
 * layer (ipc/io_win32.c) has named pipes and child processes but no sockets
 * yet, so the command says so in one line instead of half working. */
#include <stdio.h>

#include "commands.h"

const char dt_session_usage[] =
    "usage: diagtap session ... (not available in the Windows build yet)\n";

int dt_cmd_session(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("diagtap session: not available in the Windows build yet (its I/O layer has no sockets);"
          " use proxy pipe, wrap, capture or replay\n", stderr);
    return 2;
}
