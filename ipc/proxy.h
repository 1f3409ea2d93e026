/* The proxy engine: one loop relaying every accepted client to its own
 * connection to the target, bytes unchanged and in order both ways, each
 * connection a channel and a stream conversation of the diagtap engine. */
#ifndef DIAGTAP_IPC_PROXY_H
#define DIAGTAP_IPC_PROXY_H

#include <stddef.h>
#include <sys/socket.h>

#include "core/engine.h"

#define DT_PROXY_BUF_DEFAULT (256u * 1024u)

typedef struct dt_proxy_spec {
    int listen_fd;               /* listening, non-blocking; not closed by the proxy */
    struct sockaddr_storage target;
    socklen_t target_len;
    const char *chan_prefix;     /* "unix:/tmp/x.sock": channels are "unix:/tmp/x.sock#3" */
    const char *description;     /* pcapng interface description prefix */
    const char *target_name;     /* the server on the timeline */
    const char *dissector;       /* force this dissector, or NULL to let the engine choose */
    size_t buf_size;             /* per direction and connection; 0: DT_PROXY_BUF_DEFAULT */
} dt_proxy_spec;

/* Relays until a signal arrives on sig_fd (dt_signals) and returns it, or
 * returns -1 after a fatal error (printed). Open connections are closed and
 * their conversations ended before returning. */
int dt_proxy_run(dt_engine *eng, const dt_proxy_spec *spec, int sig_fd);

#endif
