#include "dotnet_pipe.h"

#include <windows.h>
#include <stdio.h>

int dt_dotnet_pipe_name(long pid, char *name, size_t namesz)
{
    int n = snprintf(name, namesz, "\\\\.\\pipe\\dotnet-diagnostic-%ld", pid);
    return n > 0 && (size_t)n < namesz ? 0 : -1;
}

int dt_dotnet_front_pipe_name(long pid, char *name, size_t namesz)
{
    int n = snprintf(name, namesz, "\\\\.\\pipe\\dotnet-diagnostic-%ld-diagtap", pid);
    return n > 0 && (size_t)n < namesz ? 0 : -1;
}

int dt_dotnet_check_pipe(long pid, const char *name, char *err, size_t errsz)
{
    HANDLE proc = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
    if (!proc && GetLastError() == ERROR_INVALID_PARAMETER) {
        snprintf(err, errsz, "proxy dotnet: no process %ld", pid);
        return -1;
    }
    if (proc) { /* not being allowed to open it still says it exists */
        DWORD code = 0;
        BOOL gone = GetExitCodeProcess(proc, &code) && code != STILL_ACTIVE;
        CloseHandle(proc);
        if (gone) {
            snprintf(err, errsz, "proxy dotnet: process %ld has exited", pid);
            return -1;
        }
    }
    /* WaitNamedPipe tells whether the name exists without taking an
     * instance: a free one returns at once, all busy is a timeout. */
    if (!WaitNamedPipeA(name, 1) && GetLastError() == ERROR_FILE_NOT_FOUND) {
        snprintf(err, errsz,
                 "proxy dotnet: no diagnostic port %s: is process %ld a .NET (Core 3.0 or later) process, "
                 "with DOTNET_EnableDiagnostics not 0?",
                 name, pid);
        return -1;
    }
    return 0;
}
