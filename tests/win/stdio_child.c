/* The command `wrap` runs in the Windows tests: copies stdin to stdout byte
 * for byte (raw Win32 handles, so \r\n and \x1a pass unchanged), writes a
 * line to stderr, and exits with the status given as argv[1]. */
#include <windows.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE), out = GetStdHandle(STD_OUTPUT_HANDLE);
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    static char buf[65536];
    DWORD n, w;
    while (ReadFile(in, buf, sizeof buf, &n, NULL) && n) {
        for (DWORD off = 0; off < n; off += w)
            if (!WriteFile(out, buf + off, n - off, &w, NULL))
                return 3;
    }
    WriteFile(err, "stdio_child: done\r\n", 19, &w, NULL);
    return argc > 1 ? atoi(argv[1]) : 0;
}
