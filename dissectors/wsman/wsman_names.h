/* Names for what WS-Management carries as URIs and numbers: actions,
 * resource URIs, signal codes, command states and WSManFault codes. */
#ifndef DIAGTAP_WSMAN_NAMES_H
#define DIAGTAP_WSMAN_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "diagtap/fields.h"

typedef enum wsm_action {
    WSM_A_OTHER,
    WSM_A_CREATE,
    WSM_A_DELETE,
    WSM_A_GET,
    WSM_A_PUT,
    WSM_A_COMMAND,
    WSM_A_SEND,
    WSM_A_RECEIVE,
    WSM_A_SIGNAL,
    WSM_A_CONNECT,
    WSM_A_DISCONNECT,
    WSM_A_RECONNECT,
    WSM_A_ENUMERATE,
    WSM_A_PULL,
    WSM_A_RELEASE,
    WSM_A_IDENTIFY,
    WSM_A_SUBSCRIBE,
    WSM_A_UNSUBSCRIBE,
    WSM_A_FAULT,
} wsm_action;

/* The action's short name ("Receive", "ReceiveResponse", "Fault", or the
 * URI's last segment for custom methods) into out; returns the kind and
 * whether it is a response. */
wsm_action wsm_action_parse(const char *uri, char *out, size_t outsz, bool *response);
const char *wsm_action_name(wsm_action a);

typedef enum wsm_shell_kind {
    WSM_SHELL_NONE,
    WSM_SHELL_CMD,        /* WinRS: .../windows/shell/cmd */
    WSM_SHELL_POWERSHELL, /* http://schemas.microsoft.com/powershell/<configuration> */
    WSM_SHELL_OTHER,
} wsm_shell_kind;

/* Short name of a resource URI ("cmd", "Microsoft.PowerShell", "JEA-Maintenance",
 * "wmi root/cimv2/Win32_Service", "config") into out. */
wsm_shell_kind wsm_resource_short(const char *uri, char *out, size_t outsz);

/* "terminate", "ctrl_c", "ctrl_break", "ps_ctrl_c" (PowerShell's stop), or the last segment. */
const char *wsm_signal_short(const char *uri);

/* "Done", "Running", "Pending", or the last segment. */
const char *wsm_state_short(const char *uri);

/* WSManFault codes (WS-Management and WinRS errors, and the Win32/HRESULT
 * codes WinRM commonly carries); sorted, for the field table. */
extern const dt_value_name wsm_fault_codes[];
extern const size_t wsm_n_fault_codes;
const char *wsm_fault_name(unsigned long code);

/* Copies s into dst (dstsz > 0), cut to fit, always terminated. */
static inline void wsm_copy(char *dst, size_t dstsz, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= dstsz)
        n = dstsz - 1;
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

#endif
