/* diagtap capture: live network capture through libpcap. */
#include <errno.h>
#include <poll.h>
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
    "usage: diagtap capture -i IFACE [-f BPF] [-c COUNT] [--duration S] [OPTIONS]\n"
    "\n"
    "Captures live on IFACE (libpcap, immediate mode, nanosecond timestamps when\n"
    "available) and decodes what it sees into the timeline. Stops after COUNT\n"
    "packets, after S seconds, or on Ctrl-C / SIGTERM, finishing cleanly (the\n"
    "recording is complete, unanswered requests are listed).\n"
    "\n"
    "capture:\n"
    "  -i IFACE              the interface (lo, eth0, any)\n"
    "  -f BPF                capture filter, e.g. 'tcp port 445'\n"
    "  -c COUNT              stop after COUNT packets\n"
    "  --duration S          stop after S seconds (decimals allowed)\n"
    "  -s SNAPLEN            bytes kept of each packet (default 262144)\n"
    "  -B MIB                kernel capture buffer (default 32); raise it if the\n"
    "                        final line reports packets dropped by the kernel\n"
    "\n";

typedef struct live_run {
    dt_netdec *nd;
    dt_engine *eng;
    const dt_channel *ch;
    int linktype;
    uint64_t count;
    uint64_t last_ts;
    uint64_t last_tick;
} live_run;

static void on_packet(void *ctx, uint64_t ts, const uint8_t *data, size_t caplen, size_t origlen)
{
    live_run *lr = ctx;
    lr->count++;
    if (ts > lr->last_ts)
        lr->last_ts = ts;
    dt_netdec_packet(lr->nd, lr->ch, lr->linktype, ts, data, caplen, origlen, 0);
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static bool parse_number(const char *opt, const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || d < 0) {
        fprintf(stderr, "diagtap: %s takes a non-negative number, not '%s'\n", opt, v);
        return false;
    }
    *out = d;
    return true;
}

/* Polls the capture and the stop signal until a limit or a stop. */
static int capture_loop(dt_live *live, live_run *lr, uint64_t max_count, double duration, int sigfd)
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
        struct pollfd pf[2] = { { dt_live_fd(live), POLLIN, 0 }, { sigfd, POLLIN, 0 } };
        int r = poll(pf, sigfd >= 0 ? 2 : 1, timeout);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "diagtap: poll: %s\n", strerror(errno));
            return -1;
        }
        if (r > 0 && sigfd >= 0 && (pf[1].revents & POLLIN))
            return 0;
        /* also on timeout: libpcap may hold packets without waking poll */
        char err[512];
        int left = max_count ? (int)(max_count - lr->count) : 0;
        if (dt_live_dispatch(live, left, on_packet, lr, err, sizeof err) < 0) {
            fprintf(stderr, "diagtap: capture: %s\n", err);
            return -1;
        }
        uint64_t now = dt_now_ns();
        if (now >= lr->last_tick + 1000000000u) {
            dt_netdec_tick(lr->nd, now);
            lr->last_tick = now;
        }
    }
}

int dt_cmd_capture(int argc, char **argv)
{
    dt_cli_opts o;
    dt_cli_opts_init(&o);
    const char *iface = NULL, *bpf = NULL;
    double count = 0, duration = 0, snaplen = 0, buffer_mib = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(dt_capture_usage, stdout);
            dt_cli_print_common_help(stdout);
            return 0;
        }
        bool takes = strcmp(a, "-i") == 0 || strcmp(a, "-f") == 0 || strcmp(a, "-c") == 0 ||
                     strcmp(a, "--duration") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "-B") == 0;
        if (takes) {
            if (i + 1 >= argc) {
                fprintf(stderr, "diagtap: option '%s' needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (a[1] == 'i')
                iface = v;
            else if (a[1] == 'f')
                bpf = v;
            else if (!parse_number(a, v,
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
    if (!iface) {
        fprintf(stderr, "diagtap: capture: -i IFACE is required (see 'diagtap capture --help')\n");
        return 2;
    }
    char err[640];
    dt_live *live = dt_live_open(iface, bpf, (int)snaplen, (int)buffer_mib, err, sizeof err);
    if (!live) {
        fprintf(stderr, "diagtap: %s\n", err);
        return 1;
    }
    dt_cli_run run;
    if (dt_cli_run_start(&run, &o) != 0) {
        dt_live_close(live);
        return 2;
    }
    live_run lr = { .eng = run.eng, .linktype = dt_live_linktype(live) };
    dt_engine_set_input(run.eng, iface);
    lr.ch = dt_engine_channel(run.eng, iface, dt_live_description(live), lr.linktype);
    lr.nd = dt_netdec_new(run.eng, run.reg, NULL);
    int sigfd = dt_stopsig_open();
    int rc = 1;
    if (lr.ch && lr.nd)
        rc = capture_loop(live, &lr, (uint64_t)count, duration, sigfd) == 0 ? 0 : 1;
    dt_stopsig_close(sigfd);
    uint64_t received, dropped;
    dt_live_stats(live, &received, &dropped);
    dt_live_close(live);
    uint64_t end = lr.last_ts ? lr.last_ts : dt_now_ns();
    if (lr.nd)
        dt_netdec_finish(lr.nd, end);
    if (dt_cli_run_finish(&run, end) != 0)
        rc = 1;
    dt_netdec_free(lr.nd);
    fprintf(stderr, "diagtap: %llu packets captured on %s, %llu dropped by the kernel\n",
            (unsigned long long)lr.count, iface, (unsigned long long)dropped);
    (void)received;
    return rc;
}
