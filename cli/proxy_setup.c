/* Setting up a proxy's listener and target (proxy_setup.h). */
#include "cli/proxy_setup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/addr.h"
#include "ipc/dotnet_port.h"

/* One line on stderr: "diagtap: what", or "diagtap session: WORD: what"
 * when the setup is one source of a session (ps->who). */
__attribute__((format(printf, 2, 3))) static void say(const proxy_setup *ps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ps->who)
        fprintf(stderr, "diagtap session: %s: ", ps->who);
    else
        fputs("diagtap: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

int dt_proxy_setup_unix(proxy_setup *ps, const char *listen_path, const char *target_path)
{
    char err[512];
    ps->spec.target.kind = DT_IO_UNIX;
    if (dt_addr_unix(target_path, &ps->spec.target.addr, &ps->spec.target.addr_len) < 0) {
        say(ps, "%s: path too long for a Unix socket\n", target_path);
        return -1;
    }
    ps->listen_fd = dt_listen_unix_like(listen_path, target_path, &ps->made, err, sizeof err);
    if (ps->listen_fd < 0) {
        say(ps, "%s\n", err);
        return -1;
    }
    snprintf(ps->listen_path, sizeof ps->listen_path, "%s", listen_path);
    snprintf(ps->listen_name, sizeof ps->listen_name, "%s", listen_path);
    snprintf(ps->target_name, sizeof ps->target_name, "%s", target_path);
    snprintf(ps->prefix, sizeof ps->prefix, "unix:%s", listen_path);
    ps->spec.description = "Unix socket proxy";
    return 0;
}

int dt_proxy_setup_tcp(proxy_setup *ps, const char *listen_spec, const char *target_spec)
{
    char err[512];
    struct sockaddr_storage la;
    socklen_t ll;
    if (dt_addr_parse_tcp(listen_spec, &la, &ll, err, sizeof err) < 0 ||
        dt_addr_parse_tcp(target_spec, &ps->spec.target.addr, &ps->spec.target.addr_len, err, sizeof err) < 0) {
        say(ps, "%s\n", err);
        return -1;
    }
    ps->listen_fd = dt_listen_tcp((struct sockaddr *)&la, ll, err, sizeof err);
    if (ps->listen_fd < 0) {
        say(ps, "%s\n", err);
        return -1;
    }
    /* Port 0: say which port we got. */
    ll = sizeof la;
    getsockname(ps->listen_fd, (struct sockaddr *)&la, &ll);
    dt_addr_format((struct sockaddr *)&la, ll, ps->listen_name, sizeof ps->listen_name);
    ps->spec.target.kind = DT_IO_TCP;
    dt_addr_format((struct sockaddr *)&ps->spec.target.addr, ps->spec.target.addr_len, ps->target_name,
                   sizeof ps->target_name);
    snprintf(ps->prefix, sizeof ps->prefix, "tcp:%s", ps->listen_name);
    ps->spec.description = "TCP proxy";
    return 0;
}

int dt_proxy_setup_dotnet(proxy_setup *ps, const char *pid_text)
{
    char *end;
    long pid = strtol(pid_text, &end, 10);
    if (!*pid_text || *end || pid <= 0) {
        say(ps, "proxy dotnet: '%s' is not a process id\n", pid_text);
        return -1;
    }
    const char *dir = dt_dotnet_ipc_dir();
    char err[512], real[4096], ours[4096];
    if (dt_dotnet_find_port(dir, pid, real, sizeof real, err, sizeof err) < 0 ||
        dt_dotnet_check_owner(pid, real, err, sizeof err) < 0) {
        say(ps, "%s\n", err);
        return -1;
    }
    if (dt_dotnet_proxy_path(dir, pid, ours, sizeof ours) < 0) {
        say(ps, "%s: path too long\n", dir);
        return -1;
    }
    if (dt_proxy_setup_unix(ps, ours, real) < 0)
        return -1;
    dt_dotnet_make_newest(ours, real);
    snprintf(ps->prefix, sizeof ps->prefix, "dotnet:%ld", pid);
    ps->spec.description = ".NET diagnostic port proxy";
    return 0;
}

