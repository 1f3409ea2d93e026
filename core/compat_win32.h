/* POSIX functions the portable code uses that Windows' C runtime lacks,
 * defined in platform_win32.c. Included into every file of the Windows
 * build by meson.build (-include), so the portable code stays as it is. */
#ifndef DIAGTAP_CORE_COMPAT_WIN32_H
#define DIAGTAP_CORE_COMPAT_WIN32_H

#include <stddef.h>

char *strndup(const char *s, size_t n);
void *memmem(const void *hay, size_t haylen, const void *needle, size_t needlelen);
#define timegm _mkgmtime   /* <time.h>: UTC struct tm to time_t */
#define S_ISSOCK(m) 0      /* a descriptor is never a socket here */
#define SIGKILL 9          /* dt_io_child_signal: TerminateProcess */

#endif
