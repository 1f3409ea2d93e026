/* diagtap: tap diagnostic channels and decode them into one timeline. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "options.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
    const char *usage; /* for the man page and completion; NULL: no options of its own */
} commands[] = {
    { "replay", dt_cmd_replay, "decode recorded sessions (pcap, pcapng, .nettrace, raw dumps)", dt_replay_usage },
    { "capture", dt_cmd_capture, "live network capture through libpcap", dt_capture_usage },
    { "proxy", dt_cmd_proxy, "interpose on a Unix socket, TCP endpoint or .NET process", dt_proxy_usage },
    { "wrap", dt_cmd_wrap, "launch a program and tap its stdin/stdout/stderr", dt_wrap_usage },
    { "session", dt_cmd_session, "tap several sources at once into one timeline", dt_session_usage },
    { "dissectors", dt_cmd_dissectors, "list the protocols diagtap decodes", NULL },
    { "fields", dt_cmd_fields, "list the fields of every (or one) protocol", NULL },
    { "schema", dt_cmd_schema, "print the CREATE TABLE statements for the ClickHouse output", dt_schema_usage },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* `diagtap --man` and `diagtap --completion bash|zsh`: generated from the
 * same tables as --help (meson installs their output). */
static int generate(const char *what, const char *shell)
{
    dt_cli_command_info info[N_COMMANDS];
    for (size_t i = 0; i < N_COMMANDS; i++)
        info[i] = (dt_cli_command_info){ commands[i].name, commands[i].what, commands[i].usage };
    if (strcmp(what, "--man") == 0)
        return dt_cli_write_man(stdout, info, N_COMMANDS) == 0 ? 0 : 1;
    if (!shell) {
        fprintf(stderr, "diagtap: --completion takes bash or zsh\n");
        return 2;
    }
    return dt_cli_write_completion(stdout, shell, info, N_COMMANDS) == 0 ? 0 : 2;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: diagtap COMMAND [OPTIONS] ...\n\n"
                 "Taps diagnostic channels (KDNET, SMB2, DAP, the .NET diagnostics port, ...)\n"
                 "and decodes them into one timeline.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].what);
    fprintf(out, "\n'diagtap COMMAND --help' describes each command; 'diagtap --version' the build.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)
        return dt_cmd_version();
    if (strcmp(argv[1], "--man") == 0 || strcmp(argv[1], "--completion") == 0)
        return generate(argv[1], argc > 2 ? argv[2] : NULL);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "diagtap: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
