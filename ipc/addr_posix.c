#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int dt_addr_parse_tcp(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errsz)
{
    char host[256];
    const char *port;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errsz, "%s: expected [IPV6]:PORT", spec);
            return -1;
        }
        size_t n = (size_t)(close - spec - 1);
        if (n >= sizeof host)
            goto too_long;
        memcpy(host, spec + 1, n);
        host[n] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon) {
            snprintf(err, errsz, "%s: expected HOST:PORT", spec);
            return -1;
        }
        size_t n = (size_t)(colon - spec);
        if (n >= sizeof host)
            goto too_long;
        memcpy(host, spec, n);
        host[n] = '\0';
        port = colon + 1;
        if (strchr(host, ':')) {
            snprintf(err, errsz, "%s: write an IPv6 address as [ADDR]:PORT", spec);
            return -1;
        }
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535) {
        snprintf(err, errsz, "%s: bad port '%s'", spec, port);
        return -1;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errsz, "%s: %s", spec, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
too_long:
    snprintf(err, errsz, "%s: host name too long", spec);
    return -1;
}

void dt_addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(buf, size, "%s:%u", ip, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(buf, size, "[%s]:%u", ip, ntohs(in6->sin6_port));
    } else if (sa->sa_family == AF_UNIX && len > (socklen_t)offsetof(struct sockaddr_un, sun_path)) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t n = (size_t)len - offsetof(struct sockaddr_un, sun_path);
        snprintf(buf, size, "%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
    } else {
        snprintf(buf, size, "?");
    }
}

uint16_t dt_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

int dt_addr_unix(const char *path, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_un *un = (struct sockaddr_un *)ss;
    size_t n = strlen(path);
    if (n >= sizeof un->sun_path)
        return -1;
    memset(ss, 0, sizeof *ss);
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, n + 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

int dt_listen_tcp(const struct sockaddr *sa, socklen_t len, char *err, size_t errsz)
{
    char name[128];
    dt_addr_format(sa, len, name, sizeof name);
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errsz, "%s: socket: %s", name, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, sa, len) < 0 || listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errsz, "%s: cannot listen: %s", name, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int dt_listen_unix_like(const char *path, const char *like_path, struct stat *made, char *err, size_t errsz)
{
    struct stat like;
    if (stat(like_path, &like) < 0) {
        snprintf(err, errsz, "%s: %s", like_path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(like.st_mode)) {
        snprintf(err, errsz, "%s: not a socket", like_path);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len;
    if (dt_addr_unix(path, &ss, &len) < 0) {
        snprintf(err, errsz, "%s: path too long for a Unix socket", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errsz, "%s: socket: %s", path, strerror(errno));
        return -1;
    }
    /* Owner-only from the start: nobody can connect before the mode is set. */
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&ss, len);
    int bind_errno = errno;
    umask(old);
    if (rc < 0) {
        if (bind_errno == EADDRINUSE)
            snprintf(err, errsz, "%s: already exists (a stale socket? remove it if nothing listens there)", path);
        else
            snprintf(err, errsz, "%s: cannot create: %s", path, strerror(bind_errno));
        close(fd);
        return -1;
    }
    if (stat(path, made) < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        goto fail;
    }
    mode_t mode = like.st_mode & 0777;
    if (made->st_uid != like.st_uid || made->st_gid != like.st_gid) {
        if (chown(path, like.st_uid, like.st_gid) < 0) {
            /* Could not give the target's group: keep ours but without any
             * group access, so no one gets in who could not reach the target. */
            if (chown(path, (uid_t)-1, like.st_gid) < 0)
                mode &= ~(mode_t)0070;
        }
    }
    if (chmod(path, mode) < 0) {
        snprintf(err, errsz, "%s: chmod: %s", path, strerror(errno));
        goto fail;
    }
    if (stat(path, made) < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errsz, "%s: listen: %s", path, strerror(errno));
        goto fail;
    }
    return fd;
fail:
    unlink(path);
    close(fd);
    return -1;
}

void dt_unlink_listener(const char *path, const struct stat *made)
{
    struct stat now;
    if (stat(path, &now) == 0 && now.st_dev == made->st_dev && now.st_ino == made->st_ino)
        unlink(path);
}
