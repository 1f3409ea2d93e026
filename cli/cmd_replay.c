/* diagtap replay: decode recorded sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/rawdump.h"
#include "capture/replay.h"
#include "capture/stopsig.h"
#include "core/platform.h"
#include "common.h"
#include "commands.h"

const char dt_replay_usage[] =
    "usage: diagtap replay [OPTIONS] FILE...\n"
    "       diagtap replay [OPTIONS] --raw-in FILE --raw-out FILE -d PROTO\n"
    "\n"
    "Decodes recorded sessions into one timeline. FILE is a pcap or pcapng capture\n"
    "(any link types, several interfaces) or a .nettrace trace, optionally gzip-\n"
    "compressed; the format is recognised by its content. Several files are merged\n"
    "by timestamp. A truncated or corrupt file is reported with its byte offset;\n"
    "everything before the fault is still decoded, and the exit status is 1.\n"
    "\n"
    "raw dumps (byte streams logged by a tool, no timestamps):\n"
    "  --raw-in FILE         bytes the client sent (client to server)\n"
    "  --raw-out FILE        bytes the server sent (server to client)\n"
    "  -d PROTO              the dissector for them (see 'diagtap dissectors')\n"
    "  The client-to-server dump is decoded first, then the other: the dumps do\n"
    "  not say how the two directions interleaved, so latencies are meaningless.\n"
    "\n";

static const char *forced_proto(const dt_cli_opts *o)
{
    for (int i = 0; i < o->n_decode_as; i++)
        if (!strchr(o->decode_as[i], '='))
            return o->decode_as[i];
    return NULL;
}

static int replay_main(int argc, char **argv, char **files);

int dt_cmd_replay(int argc, char **argv)
{
    char **files = calloc((size_t)argc, sizeof *files);
    if (!files)
        return 1;
    int rc = replay_main(argc, argv, files);
    free(files);
    return rc;
}

static int replay_main(int argc, char **argv, char **files)
{
    dt_cli_opts o;
    dt_cli_opts_init(&o);
    /* the timeline rendered on a second core when there is one (on one, the
     * copy each event costs would only add to the time); DIAGTAP_RENDER_THREAD=0
     * keeps it on this one (bench/run.sh measures both) */
    const char *rt = getenv("DIAGTAP_RENDER_THREAD");
    o.render_thread = (!rt || strcmp(rt, "0") != 0) && dt_usable_cpus() > 1;
    const char *raw_in = NULL, *raw_out = NULL;
    int n_files = 0;
    bool only_files = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_files && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(dt_replay_usage, stdout);
            dt_cli_print_common_help(stdout);
            return 0;
        }
        if (!only_files && strcmp(a, "--") == 0) {
            only_files = true;
            continue;
        }
        if (!only_files && (strncmp(a, "--raw-in", 8) == 0 || strncmp(a, "--raw-out", 9) == 0)) {
            const char *eq = strchr(a, '=');
            size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
            if (name_len != (a[6] == 'i' ? 8u : 9u)) {
                fprintf(stderr, "diagtap: replay: unknown option '%s' (see 'diagtap replay --help')\n", a);
                return 2;
            }
            if (!eq && i + 1 >= argc) {
                fprintf(stderr, "diagtap: option '%s' needs a value\n", a);
                return 2;
            }
            *(a[6] == 'i' ? &raw_in : &raw_out) = eq ? eq + 1 : argv[++i];
            continue;
        }
        if (!only_files && a[0] == '-' && a[1]) {
            int r = dt_cli_common_arg(&o, argc, argv, &i);
            if (r < 0)
                return 2;
            if (r == 0) {
                fprintf(stderr, "diagtap: replay: unknown option '%s' (see 'diagtap replay --help')\n", a);
                return 2;
            }
            continue;
        }
        files[n_files++] = argv[i];
    }
    bool raw = raw_in || raw_out;
    if (!raw && n_files == 0) {
        fprintf(stderr, "diagtap: replay: no input file (see 'diagtap replay --help')\n");
        return 2;
    }
    if (raw && n_files) {
        fprintf(stderr, "diagtap: replay: --raw-in/--raw-out cannot be mixed with capture files\n");
        return 2;
    }
    const char *proto = forced_proto(&o);
    if (raw && !proto) {
        fprintf(stderr, "diagtap: replay: raw dumps need -d PROTO (see 'diagtap dissectors')\n");
        return 2;
    }
    if (!raw && proto) {
        fprintf(stderr, "diagtap: replay: -d takes PORT=PROTO for capture files, not '%s'\n", proto);
        return 2;
    }

    dt_cli_run run;
    if (dt_cli_run_start(&run, &o) != 0)
        return 2;
    if (raw && dt_cli_check_forced(run.reg, proto, "the byte streams of raw dumps") != 0) {
        dt_cli_run_finish(&run, 0);
        return 2;
    }
    int rc = 0;
    if (raw) {
        char err[640];
        const char *in_name = raw_in ? raw_in : raw_out;
        dt_engine_set_input(run.eng, strrchr(in_name, '/') ? strrchr(in_name, '/') + 1 : in_name);
        if (dt_rawdump_replay(run.eng, raw_in, raw_out, proto, err, sizeof err) != 0) {
            fprintf(stderr, "diagtap: %s\n", err);
            rc = 1;
        }
        if (dt_cli_run_finish(&run, dt_engine_last_ts(run.eng)) != 0)
            rc = 1;
        return rc;
    }
    /* SIGINT/SIGTERM stop the reading; what was decoded is finished and
     * flushed (a ClickHouse output sends or spools it) before exiting. */
    int stop_fd = dt_stopsig_open();
    dt_replay_opts ro = { .errors = stderr, .progress = isatty(STDERR_FILENO) ? stderr : NULL, .stop_fd = &stop_fd };
    dt_replay *rp = dt_replay_new(run.eng, run.reg, &ro);
    if (!rp) {
        fprintf(stderr, "diagtap: out of memory\n");
        dt_cli_run_finish(&run, 0);
        dt_stopsig_close(stop_fd);
        return 1;
    }
    if (dt_replay_files(rp, files, n_files) != 0)
        rc = 1;
    if (dt_replay_stopped(rp)) {
        fprintf(stderr, "diagtap: replay stopped by a signal after %llu packets\n",
                (unsigned long long)dt_replay_packets(rp));
        rc = 1;
    }
    dt_replay_finish(rp);
    uint64_t end = dt_replay_last_ts(rp);
    if (dt_engine_last_ts(run.eng) > end)
        end = dt_engine_last_ts(run.eng);
    if (dt_cli_run_finish(&run, end) != 0)
        rc = 1;
    dt_replay_free(rp);
    dt_stopsig_close(stop_fd);
    return rc;
}
