/* The dissectors compiled into diagtap. Each protocol folder's meson.build
 * adds its name to builtin_dissectors, which defines DT_BUILTIN_<NAME>. */
#include "core/registry.h"

#define BUILTIN(name) int dt_builtin_##name(dt_registry *reg);
#ifdef DT_BUILTIN_AUTH
BUILTIN(auth)
#endif
#ifdef DT_BUILTIN_DAP
BUILTIN(dap)
#endif
#ifdef DT_BUILTIN_SMB2
BUILTIN(smb2)
#endif
#ifdef DT_BUILTIN_KD
BUILTIN(kd)
#endif
#ifdef DT_BUILTIN_DOTNET
BUILTIN(dotnet)
#endif
#ifdef DT_BUILTIN_WSMAN
BUILTIN(wsman)
#endif
#ifdef DT_BUILTIN_HTTP
BUILTIN(http)
#endif

int dt_registry_add_builtins(dt_registry *reg)
{
    int rc = 0;
    (void)reg;
#ifdef DT_BUILTIN_AUTH
    rc |= dt_builtin_auth(reg);
#endif
#ifdef DT_BUILTIN_DAP
    rc |= dt_builtin_dap(reg);
#endif
#ifdef DT_BUILTIN_SMB2
    rc |= dt_builtin_smb2(reg);
#endif
#ifdef DT_BUILTIN_KD
    rc |= dt_builtin_kd(reg);
#endif
#ifdef DT_BUILTIN_DOTNET
    rc |= dt_builtin_dotnet(reg);
#endif
#ifdef DT_BUILTIN_WSMAN
    rc |= dt_builtin_wsman(reg);
#endif
#ifdef DT_BUILTIN_HTTP
    rc |= dt_builtin_http(reg);
#endif
    return rc;
}
