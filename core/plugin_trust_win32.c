/* Plugins on Windows: not loaded. A DLL's trust would need its ACLs and
 * every folder's above it checked, and a loaded DLL can be swapped between
 * check and LoadLibrary unless loaded from a handle, which Windows cannot
 * do; the built-in dissectors are all in diagtap.exe (docs/windows.md). */
#include "plugin_trust.h"

#include <stdio.h>
#include <windows.h>

int dt_plugin_dir_trusted(const char *dir, char *why, size_t whysz)
{
    if (GetFileAttributesA(dir) == INVALID_FILE_ATTRIBUTES)
        return 1; /* nothing there: nothing to load, nothing to say */
    snprintf(why, whysz, "plugins are not loaded by Windows builds (docs/windows.md)");
    return -1;
}

int dt_plugin_open_trusted(int dirfd, const char *name, char *why, size_t whysz)
{
    (void)dirfd;
    (void)name;
    snprintf(why, whysz, "is not loaded: Windows builds load no plugins");
    return -1;
}
