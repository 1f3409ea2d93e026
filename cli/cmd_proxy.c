/* diagtap proxy unix|tcp|dotnet: interpose on a socket and relay. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/common.h"
#include "cli/proxy_setup.h"
#include "ipc/addr.h"
#include "ipc/dotnet_port.h"
#include "ipc/decoder.h"
#include "ipc/io.h"
#include "ipc/proxy.h"

const char dt_proxy_usage[] =
    "usage: diagtap proxy [OPTIONS] unix LISTEN_PATH TARGET_PATH\n"
    "       diagtap proxy [OPTIONS] tcp LISTEN_ADDR:PORT TARGET_ADDR:PORT\n"
    "       diagtap proxy [OPTIONS] dotnet PID\n"
    "Relays every client to its own connection to the target, unchanged, and\n"
    "decodes both directions on the timeline until SIGINT or SIGTERM.\n"
    "  -d PROTO              decode every connection as PROTO (default: detect)\n";

static void flush_timeline(void *ctx) { fflush(ctx); }

static void on_stop(void *ctx, int sig)
{
    (void)sig;
    dt_io_stop(ctx);
}

int dt_cmd_proxy(int argc, char **argv)
{
    dt_cli_opts opts;
    dt_cli_opts_init(&opts);
    /* Not line-buffered: the decoder thread flushes the timeline whenever
     * it has caught up (flush_timeline), one write per batch of events. */
    opts.live = false;
    const char *pos[4];
    int npos = dt_cli_command_args(&opts, argc, argv, "proxy", dt_proxy_usage, pos, 4);
    if (npos == DT_CLI_ARGS_HELP)
        return 0;
    if (npos == DT_CLI_ARGS_BAD)
        return 2;
    proxy_setup *ps = calloc(1, sizeof *ps);
    if (!ps) {
        fprintf(stderr, "diagtap: out of memory\n");
        return 1;
    }
    ps->listen_fd = -1;
    int rc = 2;
    bool dotnet = false;
    if (npos == 3 && strcmp(pos[0], "unix") == 0) {
        rc = dt_proxy_setup_unix(ps, pos[1], pos[2]);
    } else if (npos == 3 && strcmp(pos[0], "tcp") == 0) {
        rc = dt_proxy_setup_tcp(ps, pos[1], pos[2]);
    } else if (npos == 2 && strcmp(pos[0], "dotnet") == 0) {
        rc = dt_proxy_setup_dotnet(ps, pos[1]);
        dotnet = true;
    } else {
        fprintf(stderr, "%s", dt_proxy_usage);
        free(ps);
        return 2;
    }
    if (rc < 0) {
        free(ps);
        return 1;
    }
    ps->spec.target_name = ps->target_name;
    ps->spec.target.name = ps->target_name;
    ps->spec.chan_prefix = ps->prefix;

    dt_cli_run run;
    const char *force = dt_cli_forced_proto(&opts);
    char err[512];
    rc = 1;
    dt_io *io = dt_io_new(err, sizeof err);
    if (!io || dt_io_on_stop_signal(io, on_stop, io, err, sizeof err) < 0) {
        fprintf(stderr, "diagtap: %s\n", err);
        goto out_signals;
    }
    if (dt_cli_run_start(&run, &opts) < 0)
        goto out_signals;
    if (force && dt_cli_check_forced(run.reg, force, "the byte streams of proxied connections") != 0) {
        dt_cli_run_finish(&run, dt_now_ns());
        goto out_signals;
    }
    /* The .NET IPC dissector, when built in, is the obvious choice. */
    if (!force && dotnet && dt_registry_find(run.reg, "dotnet_ipc"))
        force = "dotnet_ipc";
    ps->spec.dissector = force;
    ps->spec.connect_timeout_ms = opts.connect_timeout_ms;

    /* From here until dt_decoder_stop the engine belongs to the decoder
     * thread; this thread only relays. */
    int r = -1;
    dt_decoder *dec = dt_decoder_start(run.eng, err, sizeof err);
    if (dec && run.out)
        dt_decoder_on_idle(dec, flush_timeline, run.out);
    dt_feed *feed = dec ? dt_decoder_feed(dec, io, ps->prefix, 0) : NULL;
    dt_proxy *px = feed ? dt_proxy_new(io, feed, &ps->spec) : NULL;
    if (!px || dt_proxy_listen(px, ps->listen_fd, err, sizeof err) < 0) {
        fprintf(stderr, "diagtap: %s\n", dec ? (px ? err : "out of memory") : err);
    } else {
        fprintf(stderr, "diagtap: listening on %s, relaying to %s\n", ps->listen_name, ps->target_name);
        dt_io_set_busy_poll(io, opts.busy_poll_us);
        r = dt_io_run(io);
        if (r < 0)
            fprintf(stderr, "diagtap: %s\n", dt_io_error(io));
    }
    /* Nobody may connect to a proxy that is gone. */
    if (ps->listen_path[0])
        dt_unlink_listener(ps->listen_path, &ps->made);
    dt_proxy_free(px);
    dt_decoder_interrupt(dec, dt_io_stop_signal(io));
    dt_decoder_stop(dec);
    close(ps->listen_fd);
    ps->listen_fd = -1;
    rc = dt_cli_run_finish(&run, dt_now_ns()) < 0 || r < 0 ? 1 : 0;
out_signals:
    dt_io_free(io);

    if (ps->listen_fd >= 0) {
        if (ps->listen_path[0])
            dt_unlink_listener(ps->listen_path, &ps->made);
        close(ps->listen_fd);
    }
    free(ps);
    return rc;
}
