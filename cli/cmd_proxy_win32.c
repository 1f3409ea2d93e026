/* diagtap proxy pipe|dotnet (Windows): interpose on a named pipe and relay, with
 * the same relay (ipc/proxy.c) and decoder thread as proxy unix/tcp; the
 * listener is a named-pipe listener of the I/O layer (io_win32.c), which
 * gives the front pipe the target's security descriptor and pipe type.
 * proxy dotnet is proxy pipe with names derived from the pid
 * (ipc/dotnet_port_win32.c) and the target's server held to that pid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "ipc/decoder.h"
#include "ipc/dotnet_pipe.h"
#include "ipc/io.h"
#include "ipc/proxy.h"

const char dt_proxy_usage[] =
    "usage: diagtap proxy [OPTIONS] pipe FRONT TARGET\n"
    "       diagtap proxy [OPTIONS] dotnet PID\n"
    "Creates the named pipe FRONT (\\\\.\\pipe\\NAME; a bare NAME means that) with\n"
    "TARGET's security descriptor and mode, relays every client to its own\n"
    "connection to TARGET, unchanged, and decodes both directions on the\n"
    "timeline until Ctrl+C. dotnet PID: TARGET is the .NET process's diagnostic\n"
    "port \\\\.\\pipe\\dotnet-diagnostic-PID (its server must be PID), FRONT is\n"
    "that name with -diagtap added, decoded as dotnet_ipc.\n"
    "  -d PROTO              decode every connection as PROTO (default: detect)\n";

static void pipe_name(const char *in, char *out, size_t size)
{
    if (strncmp(in, "\\\\", 2) == 0 || strncmp(in, "//", 2) == 0)
        snprintf(out, size, "%s", in);
    else
        snprintf(out, size, "\\\\.\\pipe\\%s", in);
}

static void on_stop(void *ctx, int sig)
{
    (void)sig;
    dt_io_stop(ctx);
}

int dt_cmd_proxy(int argc, char **argv)
{
    dt_cli_opts opts;
    dt_cli_opts_init(&opts);
    opts.live = true;
    const char *pos[4];
    int npos = dt_cli_command_args(&opts, argc, argv, "proxy", dt_proxy_usage, pos, 4);
    if (npos == DT_CLI_ARGS_HELP)
        return 0;
    if (npos == DT_CLI_ARGS_BAD)
        return 2;
    char front[512], target[512], prefix[600], err[700];
    long dotnet_pid = 0;
    if (npos == 3 && strcmp(pos[0], "pipe") == 0) {
        pipe_name(pos[1], front, sizeof front);
        pipe_name(pos[2], target, sizeof target);
        snprintf(prefix, sizeof prefix, "pipe:%s", front);
    } else if (npos == 2 && strcmp(pos[0], "dotnet") == 0) {
        char *end;
        dotnet_pid = strtol(pos[1], &end, 10);
        if (!*pos[1] || *end || dotnet_pid <= 0) {
            fprintf(stderr, "diagtap: proxy dotnet: '%s' is not a process id\n", pos[1]);
            return 1;
        }
        dt_dotnet_pipe_name(dotnet_pid, target, sizeof target);
        dt_dotnet_front_pipe_name(dotnet_pid, front, sizeof front);
        if (dt_dotnet_check_pipe(dotnet_pid, target, err, sizeof err) < 0) {
            fprintf(stderr, "diagtap: %s\n", err);
            return 1;
        }
        snprintf(prefix, sizeof prefix, "dotnet:%ld", dotnet_pid); /* as on Unix */
    } else {
        fprintf(stderr, "%s", dt_proxy_usage);
        return 2;
    }
    dt_proxy_spec spec = { 0 };
    spec.target.kind = DT_IO_PIPE;
    spec.target.name = target;
    spec.target.server_pid = dotnet_pid; /* 0 for proxy pipe: any server */
    spec.target_name = target;
    spec.chan_prefix = prefix;
    spec.description = dotnet_pid ? ".NET diagnostic port proxy" : "named pipe proxy";

    dt_cli_run run;
    const char *force = dt_cli_forced_proto(&opts);
    int rc = 1;
    dt_io *io = dt_io_new(err, sizeof err);
    if (!io || dt_io_on_stop_signal(io, on_stop, io, err, sizeof err) < 0) {
        fprintf(stderr, "diagtap: %s\n", err);
        dt_io_free(io);
        return 1;
    }
    if (dt_cli_run_start(&run, &opts) < 0) {
        dt_io_free(io);
        return 1;
    }
    if (force && dt_cli_check_forced(run.reg, force, "the byte streams of proxied connections") != 0) {
        dt_cli_run_finish(&run, dt_now_ns());
        dt_io_free(io);
        return 1;
    }
    /* The .NET IPC dissector, when built in, is the obvious choice. */
    if (!force && dotnet_pid && dt_registry_find(run.reg, "dotnet_ipc"))
        force = "dotnet_ipc";
    spec.dissector = force;
    spec.connect_timeout_ms = opts.connect_timeout_ms;

    int r = -1;
    dt_decoder *dec = dt_decoder_start(run.eng, err, sizeof err);
    dt_feed *feed = dec ? dt_decoder_feed(dec, io, prefix, 0) : NULL;
    dt_proxy *px = feed ? dt_proxy_new(io, feed, &spec) : NULL;
    dt_io_listener *l = px ? dt_io_listen_pipe(io, front, &spec.target, dt_proxy_accept, px, err, sizeof err) : NULL;
    if (!l) {
        fprintf(stderr, "diagtap: %s\n", dec ? (px ? err : "out of memory") : err);
    } else {
        fprintf(stderr, "diagtap: listening on %s (%s mode), relaying to %s\n", front,
                dt_io_listener_message_mode(l) ? "message" : "byte", target);
        if (dotnet_pid) /* -p PID would go to the runtime's own pipe, past diagtap */
            fprintf(stderr, "diagtap: point the tools at it: dotnet-trace collect --diagnostic-port %s,connect "
                            "(dotnet-counters monitor likewise)\n", front);
        dt_io_set_busy_poll(io, opts.busy_poll_us);
        r = dt_io_run(io);
        if (r < 0)
            fprintf(stderr, "diagtap: %s\n", dt_io_error(io));
    }
    /* ours to close (the proxy closes it too if it saw it accept: closing
     * twice is harmless until the end of the loop's turn) */
    dt_io_listener_close(l);
    dt_proxy_free(px);
    dt_decoder_interrupt(dec, dt_io_stop_signal(io));
    dt_decoder_stop(dec);
    rc = dt_cli_run_finish(&run, dt_now_ns()) < 0 || r < 0 ? 1 : 0;
    dt_io_free(io);
    return rc;
}
