/* diagtap-extcap: diagtap's proxies as Wireshark capture interfaces.
 *
 * Wireshark runs an extcap program to list interfaces (--extcap-interfaces),
 * their link types (--extcap-dlts) and settings (--extcap-config), and to
 * capture (--capture --fifo FILE), reading pcapng from FILE as it is
 * written. Each interface runs a diagtap proxy with -w FILE.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ifaces.h"
#include "spawn.h"

#ifndef DIAGTAP_VERSION
#define DIAGTAP_VERSION "0"
#endif
#ifndef DIAGTAP_EXE
#define DIAGTAP_EXE "diagtap"
#endif

#define LINKTYPE_WIRESHARK_UPPER_PDU 252

enum {
    OPT_INTERFACES = 1000,
    OPT_VERSION_WS,
    OPT_DLTS,
    OPT_CONFIG,
    OPT_INTERFACE,
    OPT_CAPTURE,
    OPT_FIFO,
    OPT_FILTER,
    OPT_CONTROL_IN,
    OPT_CONTROL_OUT,
    OPT_LISTEN,
    OPT_TARGET,
    OPT_PID,
    OPT_PIPE,
    OPT_DECODE_AS,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option options[] = {
    { "extcap-interfaces", no_argument, NULL, OPT_INTERFACES },
    { "extcap-version", optional_argument, NULL, OPT_VERSION_WS },
    { "extcap-dlts", no_argument, NULL, OPT_DLTS },
    { "extcap-config", no_argument, NULL, OPT_CONFIG },
    { "extcap-interface", required_argument, NULL, OPT_INTERFACE },
    { "capture", no_argument, NULL, OPT_CAPTURE },
    { "fifo", required_argument, NULL, OPT_FIFO },
    { "extcap-capture-filter", required_argument, NULL, OPT_FILTER },
    { "extcap-control-in", required_argument, NULL, OPT_CONTROL_IN },
    { "extcap-control-out", required_argument, NULL, OPT_CONTROL_OUT },
    { "listen", required_argument, NULL, OPT_LISTEN },
    { "target", required_argument, NULL, OPT_TARGET },
    { "pid", required_argument, NULL, OPT_PID },
    { "pipe", required_argument, NULL, OPT_PIPE },
    { "decode-as", required_argument, NULL, OPT_DECODE_AS },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

static const char usage[] =
    "usage: diagtap-extcap --extcap-interfaces\n"
    "       diagtap-extcap --extcap-dlts --extcap-interface IFACE\n"
    "       diagtap-extcap --extcap-config --extcap-interface IFACE\n"
    "       diagtap-extcap --capture --extcap-interface IFACE --fifo FILE [SETTINGS]\n"
    "Wireshark runs this program from its extcap directory; it offers diagtap's\n"
    "proxies as capture interfaces and streams their pcapng recording to FILE.\n"
    "Settings: --listen ADDR --target ADDR (unix, tcp), --pid PID (dotnet),\n"
    "          --pipe PATH (wrap), --decode-as PROTO\n"
    "The diagtap executable is $DIAGTAP, else " DIAGTAP_EXE ".\n";

static void print_interfaces(void)
{
    printf("extcap {version=%s}{display=diagtap IPC capture}\n", DIAGTAP_VERSION);
    for (size_t i = 0; i < dtx_n_ifaces; i++)
        printf("interface {value=%s}{display=%s}\n", dtx_ifaces[i].value, dtx_ifaces[i].display);
}

static const char *diagtap_exe(void)
{
    const char *env = getenv("DIAGTAP");
    return env && *env ? env : DIAGTAP_EXE;
}

int main(int argc, char **argv)
{
    int action = 0;
    const char *iface_name = NULL, *fifo = NULL;
    dtx_settings s;
    memset(&s, 0, sizeof s);

    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case OPT_INTERFACES:
        case OPT_DLTS:
        case OPT_CONFIG:
        case OPT_CAPTURE:
        case OPT_HELP:
        case OPT_VERSION:
            action = c;
            break;
        case OPT_VERSION_WS: /* Wireshark's version, informational */
        case OPT_FILTER:     /* diagtap records whole sessions: no capture filter */
        case OPT_CONTROL_IN:
        case OPT_CONTROL_OUT:
            break;
        case OPT_INTERFACE: iface_name = optarg; break;
        case OPT_FIFO: fifo = optarg; break;
        case OPT_LISTEN: s.listen = optarg; break;
        case OPT_TARGET: s.target = optarg; break;
        case OPT_PID: s.pid = optarg; break;
        case OPT_PIPE: s.pipe = optarg; break;
        case OPT_DECODE_AS: s.decode_as = optarg; break;
        default:
            fprintf(stderr, "diagtap-extcap: unknown option %s\n%s", argv[optind - 1], usage);
            return 2;
        }
    }
    if (action == OPT_HELP || action == 0) {
        fputs(usage, action ? stdout : stderr);
        return action ? 0 : 2;
    }
    if (action == OPT_VERSION) {
        printf("diagtap-extcap %s\n", DIAGTAP_VERSION);
        return 0;
    }
    if (action == OPT_INTERFACES) {
        print_interfaces();
        return 0;
    }
    const dtx_iface *iface = dtx_iface_find(iface_name);
    if (!iface) {
        fprintf(stderr, "diagtap-extcap: no interface named '%s' (see --extcap-interfaces)\n",
                iface_name ? iface_name : "");
        return 2;
    }
    if (action == OPT_DLTS) {
        printf("dlt {number=%d}{name=WIRESHARK_UPPER_PDU}{display=diagtap recording (IPC messages as exported "
               "PDUs)}\n",
               LINKTYPE_WIRESHARK_UPPER_PDU);
        return 0;
    }
    if (action == OPT_CONFIG) {
        iface->config(stdout);
        return 0;
    }
    /* --capture */
    if (!fifo) {
        fprintf(stderr, "diagtap-extcap: --capture needs --fifo FILE\n");
        return 2;
    }
    if (!iface->command) {
        if (!s.pipe || !*s.pipe) {
            fprintf(stderr, "diagtap-extcap: the recording pipe setting is required\n");
            return 2;
        }
        return dtx_relay_pipe(s.pipe, fifo);
    }
    const char *args[DTX_MAX_ARGS + 1];
    char err[256];
    int n = iface->command(&s, diagtap_exe(), fifo, args, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    args[n] = NULL;
    return dtx_run_child(args);
}
