#include "addr.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdbool.h>
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

/* Whether uid belongs to gid (primary or supplementary group). */
static bool uid_in_group(uid_t uid, gid_t gid)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || !found)
        return false;
    if (pw.pw_gid == gid)
        return true;
    gid_t groups[256];
    int n = (int)(sizeof groups / sizeof groups[0]);
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
        return false; /* more groups than we look at: counted as not a member (narrower) */
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return true;
    return false;
}

/* The search (x) bits of one directory, seen by the socket's owner, by
 * members of the socket's group and by everyone else, folded into the
 * class bits of a socket mode: a class keeps its bits on the tap only if
 * every directory above the target lets it through. The kernel applies
 * exactly one class of the directory's bits: the owner's if the user owns
 * it, else the group's if the user is in its group, else the others'. So
 * a member of the socket's group passes a directory of that same group
 * only through its group bits (a 0701 directory shuts them out even though
 * others may pass), and the socket's owner is looked up in the directory's
 * group. Conservative: a user who reaches the target through some other
 * group of theirs gets no access through the tap (narrower is allowed,
 * wider never). ACLs are not read. */
static mode_t dir_lets_through(const struct stat *dir, const struct stat *sock)
{
    mode_t keep = 0;
    bool owner_passes = dir->st_uid == sock->st_uid ? (dir->st_mode & S_IXUSR) != 0
                        : uid_in_group(sock->st_uid, dir->st_gid) ? (dir->st_mode & S_IXGRP) != 0
                                                                   : (dir->st_mode & S_IXOTH) != 0;
    if (sock->st_uid == 0 || owner_passes)
        keep |= 0700;
    if (dir->st_gid == sock->st_gid ? (dir->st_mode & S_IXGRP) : (dir->st_mode & S_IXOTH))
        keep |= 0070;
    if (dir->st_mode & S_IXOTH)
        keep |= 0007;
    return keep;
}

/* The access the target really gives: its own mode narrowed by every
 * directory on the way to it (the /run/user/UID pattern: a 0666 socket in
 * a 0700 directory is private). Returns -1 with err set. */
static int effective_mode(const char *like_path, const struct stat *like, mode_t *mode, char *err, size_t errsz)
{
    char real[PATH_MAX];
    if (!realpath(like_path, real)) {
        snprintf(err, errsz, "%s: %s", like_path, strerror(errno));
        return -1;
    }
    mode_t m = like->st_mode & 0777;
    for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
        if (slash == real)
            slash[1] = '\0'; /* the root directory itself */
        else
            *slash = '\0';
        struct stat dir;
        if (stat(real, &dir) < 0) {
            snprintf(err, errsz, "%s: %s", real, strerror(errno));
            return -1;
        }
        m &= dir_lets_through(&dir, like);
        if (slash == real)
            break;
    }
    *mode = m;
    return 0;
}

/* An existing socket at name in dirfd that nothing listens on any more (left
 * by a proxy that was killed) and that belongs to us or to owner. */
static bool stale_socket(int dirfd, const char *path, const char *name, uid_t owner)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode))
        return false;
    if (st.st_uid != geteuid() && st.st_uid != owner)
        return false;
    struct sockaddr_storage ss;
    socklen_t len;
    if (dt_addr_unix(path, &ss, &len) < 0)
        return false;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    int e = errno;
    close(fd);
    return rc < 0 && e == ECONNREFUSED;
}

/* Splits path into its directory (opened, never through a symlink at the
 * last component) and its last component. */
static int open_parent(const char *path, char *base, size_t basesz, char *err, size_t errsz)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name || strlen(name) >= basesz || (size_t)(name - path) >= sizeof dir) {
        snprintf(err, errsz, "%s: not a socket path", path);
        return -1;
    }
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    snprintf(base, basesz, "%s", name);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        snprintf(err, errsz, "%s: %s", dir, strerror(errno));
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
    mode_t mode;
    if (effective_mode(like_path, &like, &mode, err, errsz) < 0)
        return -1;
    struct sockaddr_storage check;
    socklen_t check_len;
    if (dt_addr_unix(path, &check, &check_len) < 0) {
        snprintf(err, errsz, "%s: path too long for a Unix socket", path);
        return -1;
    }
    char base[256];
    int parent = open_parent(path, base, sizeof base, err, errsz);
    if (parent < 0)
        return -1;

    /* What is at path now decides how the socket may be put there: nothing
     * (rename refuses to replace), our own dead socket (replaced), anything
     * else (refused, untouched). */
    bool replace = false;
    struct stat existing;
    if (fstatat(parent, base, &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!stale_socket(parent, path, base, like.st_uid)) {
            snprintf(err, errsz, "%s: already exists%s", path,
                     S_ISSOCK(existing.st_mode) ? " and something listens there (or it is not ours)"
                                                : " and is not a socket: not replaced");
            close(parent);
            return -1;
        }
        replace = true;
    }

    /* The socket is born in a private directory (0700, ours) beside path,
     * where nobody else can reach it or swap it for a symlink while its owner
     * and mode are set; only then is it renamed into place. The private
     * directory is held open and the socket bound through /proc/self/fd, so
     * renaming the directory away does not redirect anything. */
    char priv[64];
    int privfd = -1, fd = -1;
    for (int tries = 0; tries < 100 && privfd < 0; tries++) {
        unsigned r;
        if (getentropy(&r, sizeof r) < 0)
            r = (unsigned)getpid() * 2654435761u + (unsigned)tries;
        snprintf(priv, sizeof priv, ".diagtap-%08x", r);
        if (mkdirat(parent, priv, 0700) < 0) {
            if (errno == EEXIST)
                continue;
            snprintf(err, errsz, "%s: cannot create a private directory beside it: %s", path, strerror(errno));
            close(parent);
            return -1;
        }
        privfd = openat(parent, priv, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (privfd < 0) {
            snprintf(err, errsz, "%s: %s", path, strerror(errno));
            unlinkat(parent, priv, AT_REMOVEDIR);
            close(parent);
            return -1;
        }
    }
    if (privfd < 0) {
        snprintf(err, errsz, "%s: cannot create a private directory beside it", path);
        close(parent);
        return -1;
    }
    struct stat pst;
    char inner[64];
    snprintf(inner, sizeof inner, "/proc/self/fd/%d/s", privfd);
    struct sockaddr_storage ss;
    socklen_t len;
    if (fstat(privfd, &pst) < 0 || pst.st_uid != geteuid() || (pst.st_mode & 077) ||
        dt_addr_unix(inner, &ss, &len) < 0) {
        snprintf(err, errsz, "%s: the private directory beside it is not ours", path);
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
    struct stat born;
    if (fstatat(privfd, "s", &born, AT_SYMLINK_NOFOLLOW) < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (born.st_uid != like.st_uid || born.st_gid != like.st_gid) {
        if (fchownat(privfd, "s", like.st_uid, like.st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
            /* Could not give the target's owner: keep ours, and group
             * access only with the target's group. */
            if (fchownat(privfd, "s", (uid_t)-1, like.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                mode &= ~(mode_t)0070;
        }
    }
    if (fchmodat(privfd, "s", mode, 0) < 0) {
        snprintf(err, errsz, "%s: chmod: %s", path, strerror(errno));
        goto fail;
    }
    if (listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errsz, "%s: listen: %s", path, strerror(errno));
        goto fail;
    }
    if (fstatat(privfd, "s", made, AT_SYMLINK_NOFOLLOW) < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (replace ? renameat(privfd, "s", parent, base) < 0
                : renameat2(privfd, "s", parent, base, RENAME_NOREPLACE) < 0) {
        snprintf(err, errsz, "%s: %s", path, errno == EEXIST ? "already exists" : strerror(errno));
        goto fail;
    }
    unlinkat(parent, priv, AT_REMOVEDIR);
    close(privfd);
    close(parent);
    return fd;
fail:
    unlinkat(privfd, "s", 0);
    unlinkat(parent, priv, AT_REMOVEDIR);
    close(privfd);
    close(parent);
    if (fd >= 0)
        close(fd);
    return -1;
}

void dt_unlink_listener(const char *path, const struct stat *made)
{
    struct stat now;
    if (stat(path, &now) == 0 && now.st_dev == made->st_dev && now.st_ino == made->st_ino)
        unlink(path);
}
