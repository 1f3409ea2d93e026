/* Subcommands: each takes argv starting at its own name. */
#ifndef DIAGTAP_CLI_COMMANDS_H
#define DIAGTAP_CLI_COMMANDS_H

int dt_cmd_replay(int argc, char **argv);
int dt_cmd_capture(int argc, char **argv);
int dt_cmd_proxy(int argc, char **argv);
int dt_cmd_wrap(int argc, char **argv);
int dt_cmd_session(int argc, char **argv);
int dt_cmd_dissectors(int argc, char **argv);
int dt_cmd_fields(int argc, char **argv);
int dt_cmd_schema(int argc, char **argv);
int dt_cmd_version(void);

/* What each command's --help prints before the shared options; the man page
 * and shell completion are generated from the same text. */
extern const char dt_replay_usage[];
extern const char dt_capture_usage[];
extern const char dt_proxy_usage[];
extern const char dt_wrap_usage[];
extern const char dt_session_usage[];
extern const char dt_schema_usage[];

#endif
