#include "ifaces.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void common_config(FILE *out, int n)
{
    fprintf(out,
            "arg {number=%d}{call=--decode-as}{display=Decode as}{type=string}{required=false}"
            "{tooltip=diagtap dissector for every connection (dap, lsp, dotnet_ipc, ...); empty: detect}"
            "{group=Decoding}\n",
            n);
}

static int need(const char *v, const char *what, char *err, size_t errsz)
{
    if (v && *v)
        return 0;
    snprintf(err, errsz, "diagtap-extcap: the %s setting is required", what);
    return -1;
}

/* diagtap proxy -w FIFO [-d PROTO] MODE ARGS... */
static int proxy_argv(const dtx_settings *s, const char *diagtap, const char *fifo, const char **argv,
                      const char *mode)
{
    int n = 0;
    argv[n++] = diagtap;
    argv[n++] = "proxy";
    argv[n++] = "-w";
    argv[n++] = fifo;
    if (s->decode_as && *s->decode_as) {
        argv[n++] = "-d";
        argv[n++] = s->decode_as;
    }
    argv[n++] = mode;
    return n;
}

static void unix_config(FILE *out)
{
    fprintf(out, "arg {number=0}{call=--listen}{display=Listen socket}{type=string}{required=true}"
                 "{tooltip=Path of the Unix socket diagtap creates; point the client at it}"
                 "{placeholder=/tmp/debugger-tap.sock}{group=Proxy}\n");
    fprintf(out, "arg {number=1}{call=--target}{display=Target socket}{type=fileselect}{mustexist=true}"
                 "{required=true}{tooltip=The server's Unix socket every client is relayed to}{group=Proxy}\n");
    common_config(out, 2);
}

static int unix_command(const dtx_settings *s, const char *diagtap, const char *fifo, const char **argv, char *err,
                        size_t errsz)
{
    if (need(s->listen, "listen socket", err, errsz) || need(s->target, "target socket", err, errsz))
        return -1;
    int n = proxy_argv(s, diagtap, fifo, argv, "unix");
    argv[n++] = s->listen;
    argv[n++] = s->target;
    return n;
}

static void tcp_config(FILE *out)
{
    fprintf(out, "arg {number=0}{call=--listen}{display=Listen on}{type=string}{required=true}"
                 "{tooltip=ADDRESS:PORT diagtap listens on; point the client at it}"
                 "{default=127.0.0.1:5679}{group=Proxy}\n");
    fprintf(out, "arg {number=1}{call=--target}{display=Target}{type=string}{required=true}"
                 "{tooltip=ADDRESS:PORT of the server every client is relayed to}"
                 "{placeholder=127.0.0.1:5678}{group=Proxy}\n");
    common_config(out, 2);
}

static int tcp_command(const dtx_settings *s, const char *diagtap, const char *fifo, const char **argv, char *err,
                       size_t errsz)
{
    if (need(s->listen, "listen address", err, errsz) || need(s->target, "target address", err, errsz))
        return -1;
    int n = proxy_argv(s, diagtap, fifo, argv, "tcp");
    argv[n++] = s->listen;
    argv[n++] = s->target;
    return n;
}

static void dotnet_config(FILE *out)
{
    fprintf(out, "arg {number=0}{call=--pid}{display=Process ID}{type=unsigned}{range=1,4194304}{required=true}"
                 "{tooltip=PID of the .NET process; diagtap interposes on its diagnostic port}{group=Process}\n");
}

static int dotnet_command(const dtx_settings *s, const char *diagtap, const char *fifo, const char **argv,
                          char *err, size_t errsz)
{
    if (need(s->pid, "process ID", err, errsz))
        return -1;
    char *end;
    long pid = strtol(s->pid, &end, 10);
    if (*end || pid <= 0) {
        snprintf(err, errsz, "diagtap-extcap: process ID '%s' is not a positive number", s->pid);
        return -1;
    }
    dtx_settings plain = *s;
    plain.decode_as = NULL; /* the .NET port is always dotnet_ipc */
    int n = proxy_argv(&plain, diagtap, fifo, argv, "dotnet");
    argv[n++] = s->pid;
    return n;
}

static void wrap_config(FILE *out)
{
    fprintf(out, "arg {number=0}{call=--pipe}{display=Recording pipe}{type=string}{required=true}"
                 "{default=/tmp/diagtap-wrap.pcapng}"
                 "{tooltip=diagtap-extcap creates this FIFO; start the adapter as "
                 "'diagtap wrap -w PIPE -- ADAPTER' (from the IDE's launch configuration) and its session "
                 "appears live}{group=Wrapper}\n");
}

const dtx_iface dtx_ifaces[] = {
    { "diagtap-unix", "diagtap: Unix socket proxy", unix_config, unix_command },
    { "diagtap-tcp", "diagtap: TCP proxy", tcp_config, tcp_command },
    { "diagtap-wrap", "diagtap: stdio wrapper (diagtap wrap -w PIPE)", wrap_config, NULL },
    { "diagtap-dotnet", "diagtap: .NET process by PID", dotnet_config, dotnet_command },
};
const size_t dtx_n_ifaces = sizeof dtx_ifaces / sizeof dtx_ifaces[0];

const dtx_iface *dtx_iface_find(const char *value)
{
    for (size_t i = 0; value && i < dtx_n_ifaces; i++)
        if (strcmp(dtx_ifaces[i].value, value) == 0)
            return &dtx_ifaces[i];
    return NULL;
}
