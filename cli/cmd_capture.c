/* diagtap capture: live network capture through libpcap. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/live.h"
#include "capture/netdec.h"
#include "capture/stopsig.h"
#include "common.h"
#include "commands.h"

const char dt_capture_usage[] =
    "usage: diagtap capture -i IFACE [-i IFACE...] [-f BPF] [-c COUNT] [--duration S] [OPTIONS]\n"
    "       diagtap capture -D\n"
    "\n"
    "Captures live on IFACE (libpcap, immediate mode, nanosecond timestamps when\n"
    "available) and decodes what it sees into the timeline. Stops after COUNT\n"
    "packets, after S seconds, or on Ctrl-C / SIGTERM, finishing cleanly (the\n"
    "recording is complete, unanswered requests are listed).\n"
    "\n"
    "capture:\n"
    "  -i IFACE              the interface (lo, eth0, any; on Windows Npcap's\n"
    "                        \\Device\\NPF_{GUID}); repeat to tap several at once,\n"
    "                        each its own channel and recorded interface\n"
    "  -D, --list-interfaces list the interfaces (name and description) and exit\n"
    "  -f BPF                capture filter, e.g. 'tcp port 445'\n"
    "  -c COUNT              stop after COUNT packets\n"
    "  --duration S          stop after S seconds (decimals allowed)\n"
    "  -s SNAPLEN            bytes kept of each packet (default 262144)\n"
    "  -B MIB                kernel capture buffer (default 32); raise it if the\n"
    "                        final line reports packets dropped by the kernel\n"
    "\n";

#define MAX_IFACES 16

typedef struct live_run live_run;

/* One interface: its capture handle and channel. */
typedef struct live_iface {
    live_run *lr;
    dt_live *live;
    const char *name;
    const dt_channel *ch;
    int linktype;
    uint64_t count;
} live_iface;

struct live_run {
    dt_netdec *nd;
    dt_engine *eng;
    live_iface ifs[MAX_IFACES];
    int n_ifs;
    uint64_t count;
    uint64_t last_ts;      /* the newest packet time stamp (capture clock) */
    uint64_t last_ts_mono; /* when it was handed over (monotonic clock) */
    uint64_t last_tick;
};

static void on_packet(void *ctx, uint64_t ts, const uint8_t *data, size_t caplen, size_t origlen)
{
    live_iface *li = ctx;
    live_run *lr = li->lr;
    lr->count++;
    li->count++;
    if (ts > lr->last_ts)
        lr->last_ts = ts;
    dt_netdec_packet(lr->nd, li->ch, li->linktype, ts, data, caplen, origlen, 0);
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* "Now" on the capture's clock, which times the flows' idle and ACK waits:
 * the newest packet time stamp plus the time since it came. The system
 * clock is not that clock: Npcap's time stamps drift from it, a NIC may
 * stamp with its own, and a replayed source (the tests' Npcap double)
 * hands old time stamps, all of which made every flow look idle. */
static uint64_t capture_now(const live_run *lr)
{
    return lr->last_ts + (mono_ns() - lr->last_ts_mono);
}

/* Polls every interface and the stop signal until a limit or a stop. */
static int capture_loop(live_run *lr, uint64_t max_count, double duration, int sigfd)
{
    uint64_t deadline = duration > 0 ? mono_ns() + (uint64_t)(duration * 1e9) : 0;
    for (;;) {
        if (max_count && lr->count >= max_count)
            return 0;
        int timeout = 1000;
        if (deadline) {
            uint64_t now = mono_ns();
            if (now >= deadline)
                return 0;
            uint64_t left_ms = (deadline - now + 999999) / 1000000;
            if (left_ms < (uint64_t)timeout)
                timeout = (int)left_ms;
        }
        dt_live *lives[MAX_IFACES];
        for (int i = 0; i < lr->n_ifs; i++)
            lives[i] = lr->ifs[i].live;
        char werr[512];
        int r = dt_live_wait(lives, lr->n_ifs, sigfd, timeout, werr, sizeof werr);
        if (r < 0) {
            fprintf(stderr, "diagtap: %s\n", werr);
            return -1;
        }
        if (r > 0)
            return 0;
        /* every interface, also on timeout: libpcap may hold packets without waking poll */
        uint64_t newest = lr->last_ts;
        for (int i = 0; i < lr->n_ifs; i++) {
            char err[512];
            if (max_count && lr->count >= max_count)
                return 0;
            int left = max_count ? (int)(max_count - lr->count) : 0;
            if (dt_live_dispatch(lr->ifs[i].live, left, on_packet, &lr->ifs[i], err, sizeof err) < 0) {
                fprintf(stderr, "diagtap: capture: %s\n", err);
                return -1;
            }
        }
        if (lr->last_ts != newest)
            lr->last_ts_mono = mono_ns();
        uint64_t now = lr->last_ts ? capture_now(lr) : 0; /* no packet yet: nothing to time out */
        if (now && now >= lr->last_tick + 1000000000u) {
            dt_netdec_tick(lr->nd, now);
            lr->last_tick = now;
        }
    }
}

static void print_iface(void *ctx, const char *name, const char *description)
{
    (void)ctx;
    if (description)
        printf("%s (%s)\n", name, description);
    else
        printf("%s\n", name);
}

static int list_interfaces(void)
{
    char err[512];
    if (dt_live_interfaces(print_iface, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "diagtap: %s\n", err);
        return 1;
    }
    return 0;
}

int dt_cmd_capture(int argc, char **argv)
{
    dt_cli_opts o;
    dt_cli_opts_init(&o);
    const char *ifaces[MAX_IFACES], *bpf = NULL;
    int n_ifaces = 0;
    double count = 0, duration = 0, snaplen = 0, buffer_mib = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(dt_capture_usage, stdout);
            dt_cli_print_common_help(stdout);
            return 0;
        }
        if (strcmp(a, "-D") == 0 || strcmp(a, "--list-interfaces") == 0)
            return list_interfaces();
        bool takes = strcmp(a, "-i") == 0 || strcmp(a, "-f") == 0 || strcmp(a, "-c") == 0 ||
                     strcmp(a, "--duration") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "-B") == 0;
        if (takes) {
            if (i + 1 >= argc) {
                fprintf(stderr, "diagtap: option '%s' needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (a[1] == 'i') {
                if (n_ifaces == MAX_IFACES) {
                    fprintf(stderr, "diagtap: capture: at most %d interfaces\n", MAX_IFACES);
                    return 2;
                }
                ifaces[n_ifaces++] = v;
            }
            else if (a[1] == 'f')
                bpf = v;
            else if (!dt_cli_parse_number(a, v,
                                   a[1] == 'c'   ? &count
                                   : a[1] == 's' ? &snaplen
                                   : a[1] == 'B' ? &buffer_mib
                                                 : &duration))
                return 2;
            continue;
        }
        int r = dt_cli_common_arg(&o, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r == 0) {
            fprintf(stderr, "diagtap: capture: unexpected '%s' (see 'diagtap capture --help')\n", a);
            return 2;
        }
    }
    if (dt_cli_forced_proto(&o)) { /* captured traffic has ports: a forced dissector would mean nothing */
        fprintf(stderr, "diagtap: capture: -d takes PORT=PROTO for captured traffic, not '%s'\n",
                dt_cli_forced_proto(&o));
        return 2;
    }
    if (n_ifaces == 0) {
        fprintf(stderr, "diagtap: capture: -i IFACE is required (see 'diagtap capture --help')\n");
        return 2;
    }
    live_run lr = { .n_ifs = n_ifaces };
    for (int i = 0; i < n_ifaces; i++) {
        char err[640];
        lr.ifs[i] = (live_iface){ .lr = &lr, .name = ifaces[i] };
        lr.ifs[i].live = dt_live_open(ifaces[i], bpf, (int)snaplen, (int)buffer_mib, err, sizeof err);
        if (!lr.ifs[i].live) {
            fprintf(stderr, "diagtap: %s\n", err);
            for (int k = 0; k < i; k++)
                dt_live_close(lr.ifs[k].live);
            return 1;
        }
    }
    dt_cli_run run;
    if (dt_cli_run_start(&run, &o) != 0) {
        for (int i = 0; i < n_ifaces; i++)
            dt_live_close(lr.ifs[i].live);
        return 2;
    }
    lr.eng = run.eng;
    if (n_ifaces == 1)
        dt_engine_set_input(run.eng, ifaces[0]);
    bool ok = true;
    for (int i = 0; i < n_ifaces; i++) {
        live_iface *li = &lr.ifs[i];
        li->linktype = dt_live_linktype(li->live);
        li->ch = dt_engine_channel(run.eng, li->name, dt_live_description(li->live), li->linktype);
        ok = ok && li->ch;
    }
    lr.nd = dt_netdec_new(run.eng, run.reg, NULL);
    int sigfd = dt_stopsig_open();
    int rc = 1;
    if (ok && lr.nd)
        rc = capture_loop(&lr, (uint64_t)count, duration, sigfd) == 0 ? 0 : 1;
    uint64_t end = lr.last_ts ? lr.last_ts : dt_now_ns();
    if (lr.nd)
        dt_netdec_finish(lr.nd, end);
    if (dt_cli_run_finish(&run, end) != 0)
        rc = 1;
    /* only now: a second SIGTERM must not cut the ClickHouse flush short */
    dt_stopsig_close(sigfd);
    dt_netdec_free(lr.nd);
    for (int i = 0; i < n_ifaces; i++) {
        uint64_t received, dropped;
        dt_live_stats(lr.ifs[i].live, &received, &dropped);
        dt_live_close(lr.ifs[i].live);
        fprintf(stderr, "diagtap: %llu packets captured on %s, %llu dropped by the kernel\n",
                (unsigned long long)lr.ifs[i].count, lr.ifs[i].name, (unsigned long long)dropped);
        (void)received;
    }
    return rc;
}
