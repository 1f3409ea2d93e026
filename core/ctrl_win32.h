/* Ctrl+C, Ctrl+Break and console close on Windows, as a manual-reset event
 * the loops wait on with their handles (the counterpart of signalfd). */
#ifndef DIAGTAP_CORE_CTRL_WIN32_H
#define DIAGTAP_CORE_CTRL_WIN32_H

#include <windows.h>

/* The event, set when a stop was requested; installs the console control
 * handler on first use. NULL when it cannot be created. */
HANDLE dt_ctrl_event(void);
/* Which control arrived first (CTRL_C_EVENT, ...), valid once the event is set. */
DWORD dt_ctrl_type(void);
/* Forgets a stop request already handled. */
void dt_ctrl_reset(void);

#endif
