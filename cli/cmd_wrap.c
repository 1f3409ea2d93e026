/* diagtap wrap -- COMMAND: tap a command's stdin, stdout and stderr. */
#include <stdio.h>
#include <string.h>

#include "cli/common.h"
#include "ipc/wrap.h"

const char dt_wrap_usage[] =
    "usage: diagtap wrap [OPTIONS] -- COMMAND [ARGS...]\n"
    "Runs COMMAND with its stdin, stdout and stderr relayed unchanged and\n"
    "decodes them; the timeline goes to stderr (or -o FILE), never to stdout.\n"
    "diagtap exits with COMMAND's status (128+N when killed by signal N).\n"
    "  -d PROTO              decode the stream as PROTO (default: detect)\n";

int dt_cmd_wrap(int argc, char **argv)
{
    dt_cli_opts opts;
    dt_cli_opts_init(&opts);
    opts.live = true;
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || !a[1])
            break; /* the command */
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(dt_wrap_usage, stdout);
            dt_cli_print_common_help(stdout);
            return 0;
        }
        int r = dt_cli_common_arg(&opts, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r == 0) {
            fprintf(stderr, "diagtap wrap: unknown option %s\n%s", a, dt_wrap_usage);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "diagtap wrap: no command\n%s", dt_wrap_usage);
        return 2;
    }
    /* stdout is the relayed stream: the timeline must go elsewhere. */
    if (!opts.output_path)
        opts.timeline_to_stderr = true;

    dt_cli_run run;
    const char *force = dt_cli_forced_proto(&opts);
    if (dt_cli_run_start(&run, &opts) < 0)
        return 2;
    if (force && dt_cli_check_forced(run.reg, force, "a command's stdio streams") != 0) {
        dt_cli_run_finish(&run, dt_now_ns());
        return 2;
    }
    int status = dt_wrap_run(run.eng, argv + i, force, opts.busy_poll_us);
    if (dt_cli_run_finish(&run, dt_now_ns()) < 0 && status == 0)
        status = 1;
    return status;
}
