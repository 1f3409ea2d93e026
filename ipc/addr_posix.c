#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <grp.h>
#include <pwd.h>
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

/* Whether uid belongs to gid (primary or supplementary). */
static int uid_in_group(uid_t uid, gid_t gid)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || !found)
        return 0;
    if (pw.pw_gid == gid)
        return 1;
    gid_t groups[256];
    int n = (int)(sizeof groups / sizeof groups[0]);
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
        return 0; /* more groups than we look at: count as not a member (narrower) */
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return 1;
    return 0;
}

/* Which of the target socket's permission classes (owner 0700, group 0070,
 * other 0007) can search every directory on the way to it: a 0666 socket in
 * a 0700 directory (the /run/user/UID pattern) reaches its owner only. The
 * path is resolved (realpath) and each directory's mode bits are read; when
 * a class's membership of a directory's group cannot be known (members of
 * the socket's group in another group), it is not counted: the result is
 * never wider. ACLs are not read (out of scope: docs/security.md). */
static mode_t reach_mask(const char *like_path, const struct stat *sock, char *err, size_t errsz)
{
    char *real = realpath(like_path, NULL);
    if (!real) {
        snprintf(err, errsz, "%s: %s", like_path, strerror(errno));
        return (mode_t)-1;
    }
    mode_t mask = 0777;
    for (char *slash = strchr(real, '/'); slash; slash = strchr(slash + 1, '/')) {
        char saved = slash[1];
        slash[1] = '\0'; /* the prefix up to and including this slash */
        struct stat d;
        int rc = stat(real, &d);
        slash[1] = saved;
        if (rc < 0) {
            snprintf(err, errsz, "%s: %s", real, strerror(errno));
            free(real);
            return (mode_t)-1;
        }
        if (!(d.st_mode & S_IXOTH))
            mask &= ~(mode_t)0007;
        /* group members (not the directory's owner) pass by its group bits
         * when it has the socket's group, else by its other bits */
        if (!(d.st_gid == sock->st_gid ? d.st_mode & S_IXGRP : d.st_mode & S_IXOTH))
            mask &= ~(mode_t)0070;
        int owner_ok;
        if (d.st_uid == sock->st_uid) {
            owner_ok = (d.st_mode & S_IXUSR) != 0;
        } else {
            int owner_in_group = uid_in_group(sock->st_uid, d.st_gid);
            owner_ok = (owner_in_group ? d.st_mode & S_IXGRP : d.st_mode & S_IXOTH) != 0;
        }
        if (!owner_ok && sock->st_uid != 0)
            mask &= ~(mode_t)0700;
    }
    free(real);
    return mask;
}

/* What is at path now: 0 nothing; 1 our dead socket (a socket owned by us
 * or by the target's owner that refuses connections: a proxy killed with
 * SIGKILL left it) which may be replaced; -1 anything else, refused with a
 * message. */
static int existing_listener(const char *path, uid_t target_uid, char *err, size_t errsz)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errsz, "%s: already exists and is not a socket: refusing to replace it", path);
        return -1;
    }
    if (st.st_uid != geteuid() && st.st_uid != target_uid) {
        snprintf(err, errsz, "%s: a socket of another user (uid %u) is there: refusing to replace it", path,
                 (unsigned)st.st_uid);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || dt_addr_unix(path, &ss, &len) < 0) {
        snprintf(err, errsz, "%s: cannot probe the socket there", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    int connect_errno = errno;
    close(fd);
    if (rc == 0 || connect_errno != ECONNREFUSED) {
        snprintf(err, errsz, "%s: a socket that is in use is there (%s): refusing to replace it", path,
                 rc == 0 ? "something listens" : strerror(connect_errno));
        return -1;
    }
    return 1;
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
    mode_t reach = reach_mask(like_path, &like, err, errsz);
    if (reach == (mode_t)-1)
        return -1;
    int replace = existing_listener(path, like.st_uid, err, errsz);
    if (replace < 0)
        return -1;

    /* The socket is made in a fresh 0700 directory beside path that nobody
     * else can enter, given its owner and mode there, and only then moved
     * to path: there is no moment at which someone could swap it for a link
     * between bind() and chown()/chmod(). (fchmod/fchown on a socket fd
     * succeed on Linux but change the socket's own inode, not the file
     * bind() made, so they cannot be used.) The directory is held by fd and
     * reached through /proc/self/fd, so renaming it away does not help. */
    char priv[4096];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) + 1 : 0;
    if (snprintf(priv, sizeof priv, "%.*s.diagtap-XXXXXX", dirlen, path) >= (int)sizeof priv) {
        snprintf(err, errsz, "%s: path too long", path);
        return -1;
    }
    if (!mkdtemp(priv)) {
        snprintf(err, errsz, "%s: cannot create a private directory beside it: %s", path, strerror(errno));
        return -1;
    }
    int fd = -1, bound = 0;
    int dfd = open(priv, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat ds;
    if (dfd < 0 || fstat(dfd, &ds) < 0 || ds.st_uid != geteuid() || (ds.st_mode & 077)) {
        snprintf(err, errsz, "%s: private directory was tampered with", priv);
        goto fail;
    }
    char inner[64];
    snprintf(inner, sizeof inner, "/proc/self/fd/%d/s", dfd);
    struct sockaddr_storage ss;
    socklen_t len;
    if (dt_addr_unix(path, &ss, &len) < 0 || dt_addr_unix(inner, &ss, &len) < 0) {
        snprintf(err, errsz, "%s: path too long for a Unix socket", path);
        goto fail;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errsz, "%s: socket: %s", path, strerror(errno));
        goto fail;
    }
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&ss, len);
    int bind_errno = errno;
    umask(old);
    if (rc < 0) {
        snprintf(err, errsz, "%s: cannot create: %s", path, strerror(bind_errno));
        goto fail;
    }
    bound = 1;
    mode_t mode = like.st_mode & reach & 0777;
    if (fchownat(dfd, "s", like.st_uid, like.st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
        /* Could not give the target's owner: keep ours but without any group
         * access, so no one gets in who could not reach the target. */
        if (fchownat(dfd, "s", (uid_t)-1, like.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
            mode &= ~(mode_t)0070;
    }
    if (fchmodat(dfd, "s", mode, 0) < 0 || fstatat(dfd, "s", made, AT_SYMLINK_NOFOLLOW) < 0) {
        snprintf(err, errsz, "%s: chmod: %s", path, strerror(errno));
        goto fail;
    }
    if (listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errsz, "%s: listen: %s", path, strerror(errno));
        goto fail;
    }
    /* Into place: a new name never replaces what appeared meanwhile (link
     * fails with EEXIST); a dead socket of ours is replaced atomically. */
    rc = replace ? renameat(dfd, "s", AT_FDCWD, path) : linkat(dfd, "s", AT_FDCWD, path, 0);
    if (rc < 0) {
        if (errno == EEXIST)
            snprintf(err, errsz, "%s: appeared while the socket was being made: refusing to replace it", path);
        else
            snprintf(err, errsz, "%s: cannot create: %s", path, strerror(errno));
        goto fail;
    }
    if (!replace)
        unlinkat(dfd, "s", 0);
    close(dfd);
    rmdir(priv);
    return fd;
fail:
    if (bound)
        unlinkat(dfd, "s", 0);
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    rmdir(priv);
    return -1;
}

void dt_unlink_listener(const char *path, const struct stat *made)
{
    struct stat now;
    if (stat(path, &now) == 0 && now.st_dev == made->st_dev && now.st_ino == made->st_ino)
        unlink(path);
}
