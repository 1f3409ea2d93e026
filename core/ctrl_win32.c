#include "ctrl_win32.h"

/* The one piece of global state on Windows: a console control handler is
 * called on its own thread with no context pointer, so the event it sets
 * must be reachable from it. It is written once, before the handler is
 * installed, and only read afterwards. */
static HANDLE ctrl_event;
static volatile LONG ctrl_type = -1;

static BOOL WINAPI on_ctrl(DWORD type)
{
    switch (type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT:
        InterlockedCompareExchange(&ctrl_type, (LONG)type, -1);
        SetEvent(ctrl_event);
        return TRUE; /* handled: the loop ends the run cleanly */
    default:
        return FALSE;
    }
}

HANDLE dt_ctrl_event(void)
{
    if (!ctrl_event) {
        HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
        if (!e)
            return NULL;
        ctrl_event = e;
        SetConsoleCtrlHandler(on_ctrl, TRUE);
    }
    return ctrl_event;
}

DWORD dt_ctrl_type(void)
{
    LONG t = ctrl_type;
    return t < 0 ? CTRL_C_EVENT : (DWORD)t;
}

void dt_ctrl_reset(void)
{
    InterlockedExchange(&ctrl_type, -1);
    if (ctrl_event)
        ResetEvent(ctrl_event);
}
