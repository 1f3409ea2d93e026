/* The proxy: every accepted client relayed to its own connection to the
 * target, bytes unchanged and in order both ways, each connection a channel
 * and a stream conversation handed to the decoder through a feed.
 *
 * Platform-independent: it runs on the I/O layer (io.h). Who listens is
 * the caller's business (a POSIX socket made by addr_posix.c, a Windows
 * named pipe listener): give the proxy a listener whose accept callback is
 * dt_proxy_accept with the proxy as its context, or let dt_proxy_listen
 * make one from a listening socket. Several proxies may share a loop and a
 * decoder (diagtap session). */
#ifndef DIAGTAP_IPC_PROXY_H
#define DIAGTAP_IPC_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "io.h"

#define DT_PROXY_BUF_DEFAULT (256u * 1024u)
#define DT_PROXY_CONNECT_TIMEOUT_MS 10000u
#define DT_PROXY_MSG_MAX (64u * 1024u * 1024u) /* longest message-mode pipe message relayed whole */

typedef struct dt_proxy_spec {
    dt_io_endpoint target;
    const char *chan_prefix;     /* "unix:/tmp/x.sock": channels are "unix:/tmp/x.sock#3" */
    const char *description;     /* pcapng interface description prefix */
    const char *target_name;     /* the server on the timeline */
    const char *dissector;       /* force this dissector, or NULL to let the engine choose */
    size_t buf_size;             /* per direction and connection; 0: DT_PROXY_BUF_DEFAULT */
    unsigned connect_timeout_ms; /* give up connecting to the target after this; 0: default */
} dt_proxy_spec;

typedef struct dt_proxy dt_proxy;

/* The spec's strings must outlive the proxy. NULL when out of memory. */
dt_proxy *dt_proxy_new(dt_io *io, dt_feed *feed, const dt_proxy_spec *spec);
/* Accepts on a listening socket (not closed by the proxy). */
int dt_proxy_listen(dt_proxy *px, dt_io_handle listening, char *err, size_t errsz);
/* The accept callback for listeners made elsewhere (ctx: the proxy); the
 * proxy pauses and closes such a listener too once it saw it accept. */
void dt_proxy_accept(void *px, dt_io_listener *l, dt_io_stream *s, const dt_io_peer *peer, int err);
/* Connections open now (relaying or connecting). */
size_t dt_proxy_open_count(const dt_proxy *px);
/* Closes the listeners and every connection ("diagtap stopped") and frees
 * the proxy. */
void dt_proxy_free(dt_proxy *px);

#endif
