/* dt_plugin_dir_trusted and dt_plugin_open_trusted on POSIX (plugin_trust.h). */
#include "plugin_trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool owner_ok(const struct stat *st)
{
    return st->st_uid == 0 || st->st_uid == geteuid();
}

/* "" when st is acceptable; else why not. sticky_ok: an ancestor directory. */
static const char *verdict(const struct stat *st, bool sticky_ok, char *buf, size_t bufsz)
{
    if (!owner_ok(st)) {
        snprintf(buf, bufsz, "is owned by uid %u, neither root nor uid %u", (unsigned)st->st_uid, (unsigned)geteuid());
        return buf;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(sticky_ok && (st->st_mode & S_ISVTX))) {
        snprintf(buf, bufsz, "is writable by %s (mode %04o)", (st->st_mode & S_IWOTH) ? "others" : "its group",
                 (unsigned)(st->st_mode & 07777));
        return buf;
    }
    return "";
}

int dt_plugin_dir_trusted(const char *dir, char *why, size_t whysz)
{
    char real[PATH_MAX];
    if (!realpath(dir, real)) {
        if (errno == ENOENT)
            return 1;
        snprintf(why, whysz, "%s", strerror(errno));
        return -1;
    }
    char buf[160];
    /* the directory itself, then each one above it up to / */
    for (bool self = true;; self = false) {
        struct stat st;
        if (lstat(real, &st) != 0) {
            snprintf(why, whysz, "%s: %s", real, strerror(errno));
            return -1;
        }
        const char *v = verdict(&st, !self, buf, sizeof buf);
        if (*v) {
            snprintf(why, whysz, "%s%s %s", self ? "" : "its parent ", real, v);
            return -1;
        }
        char *slash = strrchr(real, '/');
        if (!slash || slash == real) {
            if (strcmp(real, "/") == 0)
                return 0;
            real[1] = '\0'; /* "/usr" → "/" */
            continue;
        }
        *slash = '\0';
    }
}

int dt_plugin_open_trusted(int dirfd, const char *name, char *why, size_t whysz)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(why, whysz, "is a symbolic link");
        else
            snprintf(why, whysz, "cannot be opened: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    char buf[160];
    const char *v;
    if (fstat(fd, &st) != 0)
        v = "cannot be examined";
    else if (!S_ISREG(st.st_mode))
        v = "is not a regular file";
    else
        v = verdict(&st, false, buf, sizeof buf);
    if (*v) {
        snprintf(why, whysz, "%s", v);
        close(fd);
        return -1;
    }
    return fd;
}
