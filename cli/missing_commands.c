/* Subcommands whose source is not part of this build yet resolve here. */
#include <stdio.h>

#include "commands.h"

#define MISSING(fn, name)                                                                                          \
    __attribute__((weak)) int fn(int argc, char **argv)                                                            \
    {                                                                                                              \
        (void)argc;                                                                                                \
        (void)argv;                                                                                                \
        fprintf(stderr, "diagtap: '%s' is not part of this build\n", name);                                        \
        return 2;                                                                                                  \
    }
MISSING(dt_cmd_replay, "replay")
MISSING(dt_cmd_capture, "capture")
MISSING(dt_cmd_proxy, "proxy")
MISSING(dt_cmd_wrap, "wrap")
