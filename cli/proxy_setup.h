/* The listening side of a proxy, made from the command line's words: shared
 * by `diagtap proxy` and `diagtap session` so both listen, check and name
 * channels the same way. Each setup prints one line and returns -1 on error. */
#ifndef DIAGTAP_CLI_PROXY_SETUP_H
#define DIAGTAP_CLI_PROXY_SETUP_H

#include <sys/stat.h>

#include "ipc/proxy.h"

typedef struct proxy_setup {
    dt_proxy_spec spec;
    int listen_fd;
    char listen_path[4096]; /* Unix listeners: removed at the end */
    struct stat made;
    char prefix[4200];
    char target_name[4096];
    char listen_name[4096];
    const char *who; /* a session's source word: names it in error lines */
} proxy_setup;

/* unix LISTEN_PATH TARGET_PATH */
int dt_proxy_setup_unix(proxy_setup *ps, const char *listen_path, const char *target_path);
/* tcp LISTEN_ADDR:PORT TARGET_ADDR:PORT (port 0: one is picked and named) */
int dt_proxy_setup_tcp(proxy_setup *ps, const char *listen_spec, const char *target_spec);
/* dotnet PID: the runtime's diagnostic socket, owner checked */
int dt_proxy_setup_dotnet(proxy_setup *ps, const char *pid_text);

#endif
