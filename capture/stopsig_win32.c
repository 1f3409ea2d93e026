/* Stop requests on Windows: the console control handler (core/ctrl_win32.c).
 * The "descriptor" is 0 when the event exists; live_npcap.c waits on it. */
#include "core/ctrl_win32.h"
#include "stopsig.h"

int dt_stopsig_open(void)
{
    return dt_ctrl_event() ? 0 : -1;
}

void dt_stopsig_close(int fd)
{
    (void)fd;
    dt_ctrl_reset();
}

bool dt_stopsig_pending(int fd)
{
    HANDLE ev = dt_ctrl_event();
    return fd >= 0 && ev && WaitForSingleObject(ev, 0) == WAIT_OBJECT_0;
}
