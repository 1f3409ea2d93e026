/* Live capture through libpcap: immediate mode, nanosecond timestamps when
 * the platform has them, non-blocking so the caller can poll. */
#ifndef DIAGTAP_CAPTURE_LIVE_H
#define DIAGTAP_CAPTURE_LIVE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_live dt_live;

typedef void (*dt_live_cb)(void *ctx, uint64_t ts_ns, const uint8_t *data, size_t caplen, size_t origlen);

/* Immediate mode makes libpcap use fixed-size ring slots (one snaplen each,
 * or the MTU), so a small ring holds few packets: the default ring is large. */
#define DT_LIVE_DEFAULT_BUFFER_MIB 32

/* bpf may be NULL; snaplen and buffer_mib 0 for the defaults. NULL with
 * "IFACE: why" in err. */
dt_live *dt_live_open(const char *iface, const char *bpf, int snaplen, int buffer_mib, char *err, size_t errsz);
/* Waits up to timeout_ms for packets on any of the n captures or a stop
 * request on stop (from dt_stopsig_open, -1: none). 1: stop requested; 0:
 * packets may be ready (or timeout); -1 with the error in err. */
int dt_live_wait(dt_live *const *l, int n, int stop, int timeout_ms, char *err, size_t errsz);
/* The descriptor to poll for readability (POSIX only: `diagtap session`
 * puts it on its I/O loop; Npcap has no such descriptor). */
int dt_live_fd(const dt_live *l);
typedef void (*dt_live_iface_cb)(void *ctx, const char *name, const char *description);
/* Hands each interface libpcap (or Npcap) can capture on to cb, description
 * NULL when there is none; 0, or -1 with the reason in err. */
int dt_live_interfaces(dt_live_iface_cb cb, void *ctx, char *err, size_t errsz);
/* "libpcap version 1.10.3", or on Windows what Npcap says (or that it is missing). */
const char *dt_live_lib_version(void);
/* LINKTYPE_* of the interface. */
int dt_live_linktype(const dt_live *l);
/* The interface's description from the system, or NULL. */
const char *dt_live_description(const dt_live *l);
/* Hands up to max (0: all) ready packets to cb; returns how many, or -1
 * with the error in err. */
int dt_live_dispatch(dt_live *l, int max, dt_live_cb cb, void *ctx, char *err, size_t errsz);
/* Packets received and dropped by the kernel, as libpcap reports them. */
void dt_live_stats(dt_live *l, uint64_t *received, uint64_t *dropped);
void dt_live_close(dt_live *l);

#endif
