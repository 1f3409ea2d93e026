/* diagtap: tap diagnostic channels and decode them into one timeline. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} commands[] = {
    { "replay", dt_cmd_replay, "decode recorded sessions (pcap, pcapng, .nettrace, raw dumps)" },
    { "capture", dt_cmd_capture, "live network capture through libpcap" },
    { "proxy", dt_cmd_proxy, "interpose on a Unix socket, TCP endpoint or .NET process" },
    { "wrap", dt_cmd_wrap, "launch a program and tap its stdin/stdout/stderr" },
    { "dissectors", dt_cmd_dissectors, "list the protocols diagtap decodes" },
    { "fields", dt_cmd_fields, "list the fields of every (or one) protocol" },
    { "schema", dt_cmd_schema, "print the CREATE TABLE statements for the ClickHouse output" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: diagtap COMMAND [OPTIONS] ...\n\n"
                 "Taps diagnostic channels (KDNET, SMB2, DAP, the .NET diagnostics port, ...)\n"
                 "and decodes them into one timeline.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
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
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "diagtap: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
