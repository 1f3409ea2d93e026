#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linktype.h"
#include "live.h"

struct dt_live {
    pcap_t *p;
    bool nano;
    char *description;
    dt_live_cb cb;
    void *ctx;
};

static char *find_description(const char *iface)
{
    pcap_if_t *all = NULL;
    char perr[PCAP_ERRBUF_SIZE];
    char *d = NULL;
    if (pcap_findalldevs(&all, perr) != 0)
        return NULL;
    for (pcap_if_t *i = all; i; i = i->next)
        if (strcmp(i->name, iface) == 0 && i->description)
            d = strdup(i->description);
    pcap_freealldevs(all);
    return d;
}

int dt_live_interfaces(dt_live_iface_cb cb, void *ctx, char *err, size_t errsz)
{
    pcap_if_t *all = NULL;
    char perr[PCAP_ERRBUF_SIZE] = "";
    if (pcap_findalldevs(&all, perr) != 0) {
        snprintf(err, errsz, "listing interfaces: %s", perr);
        return -1;
    }
    for (pcap_if_t *i = all; i; i = i->next)
        cb(ctx, i->name, i->description);
    pcap_freealldevs(all);
    return 0;
}

dt_live *dt_live_open(const char *iface, const char *bpf, int snaplen, int buffer_mib, char *err, size_t errsz)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    dt_live *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errsz, "%s: out of memory", iface);
        return NULL;
    }
    l->p = pcap_create(iface, perr);
    if (!l->p) {
        snprintf(err, errsz, "%s: %s", iface, perr);
        goto fail;
    }
    pcap_set_snaplen(l->p, snaplen > 0 ? snaplen : 262144);
    pcap_set_immediate_mode(l->p, 1);
    pcap_set_buffer_size(l->p, (buffer_mib > 0 ? buffer_mib : DT_LIVE_DEFAULT_BUFFER_MIB) * 1024 * 1024);
    pcap_set_timeout(l->p, 100);
    l->nano = pcap_set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int r = pcap_activate(l->p);
    if (r < 0) {
        const char *why = r == PCAP_ERROR ? pcap_geterr(l->p) : pcap_statustostr(r);
        if (r == PCAP_ERROR_PERM_DENIED || r == PCAP_ERROR_NO_SUCH_DEVICE)
            snprintf(err, errsz, "%s: %s (%s)", iface, pcap_statustostr(r), pcap_geterr(l->p));
        else
            snprintf(err, errsz, "%s: %s", iface, why);
        goto fail;
    }
    if (l->nano)
        l->nano = pcap_get_tstamp_precision(l->p) == PCAP_TSTAMP_PRECISION_NANO;
    if (bpf) {
        struct bpf_program prog;
        if (pcap_compile(l->p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, errsz, "capture filter '%s': %s", bpf, pcap_geterr(l->p));
            goto fail;
        }
        r = pcap_setfilter(l->p, &prog);
        pcap_freecode(&prog);
        if (r != 0) {
            snprintf(err, errsz, "capture filter '%s': %s", bpf, pcap_geterr(l->p));
            goto fail;
        }
    }
    if (pcap_setnonblock(l->p, 1, perr) != 0) {
        snprintf(err, errsz, "%s: %s", iface, perr);
        goto fail;
    }
    if (pcap_get_selectable_fd(l->p) < 0) {
        snprintf(err, errsz, "%s: cannot wait for packets on this interface", iface);
        goto fail;
    }
    l->description = find_description(iface);
    return l;
fail:
    dt_live_close(l);
    return NULL;
}

int dt_live_wait(dt_live *const *l, int n, int stop, int timeout_ms, char *err, size_t errsz)
{
    struct pollfd pf[65];
    if (n > 64)
        n = 64;
    pf[0] = (struct pollfd){ stop, POLLIN, 0 };
    for (int i = 0; i < n; i++)
        pf[i + 1] = (struct pollfd){ pcap_get_selectable_fd(l[i]->p), POLLIN, 0 };
    int r = poll(stop >= 0 ? pf : pf + 1, (nfds_t)n + (stop >= 0 ? 1 : 0), timeout_ms);
    if (r < 0 && errno != EINTR) {
        snprintf(err, errsz, "poll: %s", strerror(errno));
        return -1;
    }
    return r > 0 && stop >= 0 && (pf[0].revents & POLLIN) ? 1 : 0;
}

int dt_live_fd(const dt_live *l) { return pcap_get_selectable_fd(l->p); }
const char *dt_live_lib_version(void) { return pcap_lib_version(); }
int dt_live_linktype(const dt_live *l) { return dt_dlt_to_linktype(pcap_datalink(l->p)); }
const char *dt_live_description(const dt_live *l) { return l->description; }

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    dt_live *l = (dt_live *)user;
    uint64_t frac = (uint64_t)h->ts.tv_usec * (l->nano ? 1u : 1000u);
    l->cb(l->ctx, (uint64_t)h->ts.tv_sec * 1000000000u + frac, data, h->caplen, h->len);
}

int dt_live_dispatch(dt_live *l, int max, dt_live_cb cb, void *ctx, char *err, size_t errsz)
{
    l->cb = cb;
    l->ctx = ctx;
    int n = pcap_dispatch(l->p, max > 0 ? max : -1, on_packet, (u_char *)l);
    if (n == PCAP_ERROR) {
        snprintf(err, errsz, "%s", pcap_geterr(l->p));
        return -1;
    }
    return n < 0 ? 0 : n;
}

void dt_live_stats(dt_live *l, uint64_t *received, uint64_t *dropped)
{
    struct pcap_stat st;
    *received = *dropped = 0;
    if (pcap_stats(l->p, &st) == 0) {
        *received = st.ps_recv;
        *dropped = st.ps_drop;
    }
}

void dt_live_close(dt_live *l)
{
    if (!l)
        return;
    if (l->p)
        pcap_close(l->p);
    free(l->description);
    free(l);
}
