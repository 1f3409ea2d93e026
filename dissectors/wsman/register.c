/* Registers WinRM's two layers: WS-Management and PowerShell Remoting. */
#include "diagtap/dissector.h"

extern const dt_dissector wsman_dissector;
extern const dt_dissector psrp_dissector;

int dt_builtin_wsman(dt_registry *reg);

int dt_builtin_wsman(dt_registry *reg)
{
    return dt_register(reg, &wsman_dissector) | dt_register(reg, &psrp_dissector);
}
