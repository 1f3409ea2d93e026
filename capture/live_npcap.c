/* Live capture on Windows through Npcap, loaded at run time: diagtap.exe
 * does not link wpcap.dll, so everything else (replay, the proxies, wrap)
 * works on a machine without Npcap, and `capture` says how to get it.
 * Npcap installs wpcap.dll in %SystemRoot%\System32\Npcap (not on the DLL
 * search path unless its "WinPcap compatible mode" was chosen). The pcap
 * declarations below are the stable libpcap ABI (pcap.h) for the calls used. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "core/ctrl_win32.h"
#include "core/platform.h"
#include "linktype.h"
#include "live.h"

#define NPCAP_HINT "Npcap is not installed: get it from https://npcap.com (the installer's defaults are fine)"

typedef struct pcap pcap_t;
struct np_timeval { long tv_sec, tv_usec; };
struct pcap_pkthdr { struct np_timeval ts; uint32_t caplen, len; };
struct bpf_program { unsigned bf_len; void *bf_insns; };
struct pcap_stat { unsigned ps_recv, ps_drop, ps_ifdrop, ps_capt, ps_sent, ps_netdrop; };
typedef struct pcap_if { struct pcap_if *next; char *name, *description; void *addresses; uint32_t flags; } pcap_if_t;
typedef void (*pcap_handler)(unsigned char *, const struct pcap_pkthdr *, const unsigned char *);
#define PCAP_ERRBUF_SIZE 256
#define PCAP_TSTAMP_PRECISION_NANO 1
#define PCAP_NETMASK_UNKNOWN 0xffffffffu
#define PCAP_ERROR (-1)

/* The entry points, resolved from wpcap.dll. */
typedef struct npcap {
    HMODULE dll;
    pcap_t *(*create)(const char *, char *);
    int (*set_snaplen)(pcap_t *, int);
    int (*set_immediate_mode)(pcap_t *, int);
    int (*set_buffer_size)(pcap_t *, int);
    int (*set_timeout)(pcap_t *, int);
    int (*set_tstamp_precision)(pcap_t *, int);
    int (*get_tstamp_precision)(pcap_t *);
    int (*activate)(pcap_t *);
    char *(*geterr)(pcap_t *);
    const char *(*statustostr)(int);
    int (*compile)(pcap_t *, struct bpf_program *, const char *, int, uint32_t);
    int (*setfilter)(pcap_t *, struct bpf_program *);
    void (*freecode)(struct bpf_program *);
    int (*setnonblock)(pcap_t *, int, char *);
    HANDLE (*getevent)(pcap_t *);
    int (*datalink)(pcap_t *);
    int (*dispatch)(pcap_t *, int, pcap_handler, unsigned char *);
    int (*stats)(pcap_t *, struct pcap_stat *);
    void (*close)(pcap_t *);
    int (*findalldevs)(pcap_if_t **, char *);
    void (*freealldevs)(pcap_if_t *);
    const char *(*lib_version)(void);
} npcap;

struct dt_live {
    npcap np;
    pcap_t *p;
    bool nano;
    char *description;
    dt_live_cb cb;
    void *ctx;
};

/* Loads Npcap's wpcap.dll from its own folder; false with one line in err. */
static bool npcap_load(npcap *np, char *err, size_t errsz)
{
    char dir[MAX_PATH], path[MAX_PATH + 32];
    UINT n = GetSystemDirectoryA(dir, sizeof dir);
    if (n == 0 || n >= sizeof dir) {
        snprintf(err, errsz, "%s", NPCAP_HINT);
        return false;
    }
    snprintf(path, sizeof path, "%s\\Npcap\\wpcap.dll", dir);
    char why[256];
    np->dll = (HMODULE)dt_dynlib_open(path, why, sizeof why);
    if (!np->dll) {
        snprintf(err, errsz, "%s", NPCAP_HINT);
        return false;
    }
#define SYM(field, name)                                                                                 \
    if (!(np->field = (void *)GetProcAddress(np->dll, name))) {                                          \
        snprintf(err, errsz, "%s has no %s: Npcap is too old, get a current one from https://npcap.com", \
                 path, name);                                                                            \
        FreeLibrary(np->dll);                                                                            \
        np->dll = NULL;                                                                                  \
        return false;                                                                                    \
    }
    SYM(create, "pcap_create")
    SYM(set_snaplen, "pcap_set_snaplen")
    SYM(set_immediate_mode, "pcap_set_immediate_mode")
    SYM(set_buffer_size, "pcap_set_buffer_size")
    SYM(set_timeout, "pcap_set_timeout")
    SYM(set_tstamp_precision, "pcap_set_tstamp_precision")
    SYM(get_tstamp_precision, "pcap_get_tstamp_precision")
    SYM(activate, "pcap_activate")
    SYM(geterr, "pcap_geterr")
    SYM(statustostr, "pcap_statustostr")
    SYM(compile, "pcap_compile")
    SYM(setfilter, "pcap_setfilter")
    SYM(freecode, "pcap_freecode")
    SYM(setnonblock, "pcap_setnonblock")
    SYM(getevent, "pcap_getevent")
    SYM(datalink, "pcap_datalink")
    SYM(dispatch, "pcap_dispatch")
    SYM(stats, "pcap_stats")
    SYM(close, "pcap_close")
    SYM(findalldevs, "pcap_findalldevs")
    SYM(freealldevs, "pcap_freealldevs")
    SYM(lib_version, "pcap_lib_version")
#undef SYM
    return true;
}

const char *dt_live_lib_version(void)
{
    /* Loaded only to ask; the version text is a static string in the DLL,
     * so the DLL stays loaded for the rest of the process. */
    npcap np;
    char err[256];
    if (!npcap_load(&np, err, sizeof err))
        return "live capture: Npcap not installed (https://npcap.com)";
    return np.lib_version();
}

static char *find_description(npcap *np, const char *iface)
{
    pcap_if_t *all = NULL;
    char perr[PCAP_ERRBUF_SIZE];
    char *d = NULL;
    if (np->findalldevs(&all, perr) != 0)
        return NULL;
    for (pcap_if_t *i = all; i; i = i->next)
        if (strcmp(i->name, iface) == 0 && i->description)
            d = strdup(i->description);
    np->freealldevs(all);
    return d;
}

int dt_live_interfaces(dt_live_iface_cb cb, void *ctx, char *err, size_t errsz)
{
    npcap np;
    pcap_if_t *all = NULL;
    char perr[PCAP_ERRBUF_SIZE] = "";
    if (!npcap_load(&np, err, errsz))
        return -1;
    int r = np.findalldevs(&all, perr);
    if (r != 0)
        snprintf(err, errsz, "listing interfaces: %s", perr);
    for (pcap_if_t *i = all; r == 0 && i; i = i->next)
        cb(ctx, i->name, i->description);
    if (r == 0)
        np.freealldevs(all);
    FreeLibrary(np.dll);
    return r == 0 ? 0 : -1;
}

dt_live *dt_live_open(const char *iface, const char *bpf, int snaplen, int buffer_mib, char *err, size_t errsz)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    dt_live *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errsz, "%s: out of memory", iface);
        return NULL;
    }
    if (!npcap_load(&l->np, err, errsz)) {
        free(l);
        return NULL;
    }
    npcap *np = &l->np;
    l->p = np->create(iface, perr);
    if (!l->p) {
        snprintf(err, errsz, "%s: %s", iface, perr);
        goto fail;
    }
    np->set_snaplen(l->p, snaplen > 0 ? snaplen : 262144);
    np->set_immediate_mode(l->p, 1);
    np->set_buffer_size(l->p, (buffer_mib > 0 ? buffer_mib : DT_LIVE_DEFAULT_BUFFER_MIB) * 1024 * 1024);
    np->set_timeout(l->p, 100);
    l->nano = np->set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int r = np->activate(l->p);
    if (r < 0) {
        snprintf(err, errsz, "%s: %s (%s)", iface, np->statustostr(r), np->geterr(l->p));
        goto fail;
    }
    if (l->nano)
        l->nano = np->get_tstamp_precision(l->p) == PCAP_TSTAMP_PRECISION_NANO;
    if (bpf) {
        struct bpf_program prog;
        if (np->compile(l->p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(err, errsz, "capture filter '%s': %s", bpf, np->geterr(l->p));
            goto fail;
        }
        r = np->setfilter(l->p, &prog);
        np->freecode(&prog);
        if (r != 0) {
            snprintf(err, errsz, "capture filter '%s': %s", bpf, np->geterr(l->p));
            goto fail;
        }
    }
    if (np->setnonblock(l->p, 1, perr) != 0) {
        snprintf(err, errsz, "%s: %s", iface, perr);
        goto fail;
    }
    l->description = find_description(np, iface);
    return l;
fail:
    dt_live_close(l);
    return NULL;
}

int dt_live_wait(dt_live *const *l, int n, int stop, int timeout_ms, char *err, size_t errsz)
{
    HANDLE h[MAXIMUM_WAIT_OBJECTS];
    DWORD k = 0;
    if (stop >= 0 && dt_ctrl_event())
        h[k++] = dt_ctrl_event();
    for (int i = 0; i < n && k < MAXIMUM_WAIT_OBJECTS; i++)
        h[k++] = l[i]->np.getevent(l[i]->p);
    DWORD r = WaitForMultipleObjects(k, h, FALSE, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
    if (r == WAIT_FAILED) {
        snprintf(err, errsz, "waiting for packets: Windows error %lu", (unsigned long)GetLastError());
        return -1;
    }
    return stop >= 0 && r == WAIT_OBJECT_0 ? 1 : 0;
}

int dt_live_linktype(const dt_live *l) { return dt_dlt_to_linktype(l->np.datalink(l->p)); }
const char *dt_live_description(const dt_live *l) { return l->description; }

static void on_packet(unsigned char *user, const struct pcap_pkthdr *h, const unsigned char *data)
{
    dt_live *l = (dt_live *)user;
    uint64_t frac = (uint64_t)h->ts.tv_usec * (l->nano ? 1u : 1000u);
    l->cb(l->ctx, (uint64_t)(uint32_t)h->ts.tv_sec * 1000000000u + frac, data, h->caplen, h->len);
}

int dt_live_dispatch(dt_live *l, int max, dt_live_cb cb, void *ctx, char *err, size_t errsz)
{
    l->cb = cb;
    l->ctx = ctx;
    int n = l->np.dispatch(l->p, max > 0 ? max : -1, on_packet, (unsigned char *)l);
    if (n == PCAP_ERROR) {
        snprintf(err, errsz, "%s", l->np.geterr(l->p));
        return -1;
    }
    return n < 0 ? 0 : n;
}

void dt_live_stats(dt_live *l, uint64_t *received, uint64_t *dropped)
{
    struct pcap_stat st;
    *received = *dropped = 0;
    if (l->np.stats(l->p, &st) == 0) {
        *received = st.ps_recv;
        *dropped = st.ps_drop;
    }
}

void dt_live_close(dt_live *l)
{
    if (!l)
        return;
    if (l->p)
        l->np.close(l->p);
    if (l->np.dll)
        FreeLibrary(l->np.dll);
    free(l->description);
    free(l);
}
