#include "dotnet_port.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *dt_dotnet_ipc_dir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

static const char *sep(const char *dir)
{
    size_t n = strlen(dir);
    return n && dir[n - 1] == '/' ? "" : "/";
}

int dt_dotnet_proxy_path(const char *dir, long pid, char *path, size_t pathsz)
{
    int n = snprintf(path, pathsz, "%s%sdotnet-diagnostic-%ld-1-socket", dir, sep(dir), pid);
    return n > 0 && (size_t)n < pathsz ? 0 : -1;
}

/* "dotnet-diagnostic-PID-" KEY "-socket" with a non-empty all-digit KEY. */
static int matches(const char *name, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) != 0)
        return 0;
    const char *k = name + pl;
    size_t kl = strspn(k, "0123456789");
    return kl > 0 && strcmp(k + kl, "-socket") == 0;
}

int dt_dotnet_find_port(const char *dir, long pid, char *path, size_t pathsz, char *err, size_t errsz)
{
    char prefix[64], ours[64];
    snprintf(prefix, sizeof prefix, "dotnet-diagnostic-%ld-", pid);
    snprintf(ours, sizeof ours, "dotnet-diagnostic-%ld-1-socket", pid);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errsz, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    struct timespec best = { 0, 0 };
    int found = 0;
    char cand[4096];
    while ((de = readdir(d)) != NULL) {
        if (!matches(de->d_name, prefix) || strcmp(de->d_name, ours) == 0)
            continue;
        int n = snprintf(cand, sizeof cand, "%s%s%s", dir, sep(dir), de->d_name);
        struct stat st;
        if (n < 0 || (size_t)n >= sizeof cand || stat(cand, &st) < 0 || !S_ISSOCK(st.st_mode))
            continue;
        if (!found || st.st_mtim.tv_sec > best.tv_sec ||
            (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec)) {
            if ((size_t)n >= pathsz)
                continue;
            memcpy(path, cand, (size_t)n + 1);
            best = st.st_mtim;
            found = 1;
        }
    }
    closedir(d);
    if (!found) {
        snprintf(err, errsz, "no diagnostic port %s%s%s*-socket: is process %ld a .NET process of this user?", dir,
                 sep(dir), prefix, pid);
        return -1;
    }
    return 0;
}

void dt_dotnet_make_newest(const char *ours, const char *real)
{
    struct stat o, r;
    if (stat(ours, &o) < 0 || stat(real, &r) < 0)
        return;
    if (o.st_mtim.tv_sec > r.st_mtim.tv_sec ||
        (o.st_mtim.tv_sec == r.st_mtim.tv_sec && o.st_mtim.tv_nsec > r.st_mtim.tv_nsec))
        return;
    struct timespec t = r.st_mtim;
    t.tv_nsec += 1000000; /* 1 ms, above any file system's time granularity we meet */
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    struct timespec times[2] = { t, t };
    utimensat(AT_FDCWD, ours, times, 0);
}

int dt_dotnet_check_owner(long pid, const char *path, char *err, size_t errsz)
{
    char status[64], line[256];
    snprintf(status, sizeof status, "/proc/%ld/status", pid);
    FILE *f = fopen(status, "r");
    if (!f) {
        snprintf(err, errsz, "proxy dotnet: no process %ld", pid);
        return -1;
    }
    long uid = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Uid: %*d %ld", &uid) == 1) /* the effective uid: who the runtime runs as */
            break;
    fclose(f);
    struct stat st;
    if (uid < 0 || lstat(path, &st) < 0) {
        snprintf(err, errsz, "proxy dotnet: %s: %s", path, uid < 0 ? "cannot read the process's owner" : strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode) || (long)st.st_uid != uid) {
        snprintf(err, errsz, "proxy dotnet: %s is owned by uid %ld, process %ld by uid %ld: not its diagnostic port, refused",
                 path, (long)st.st_uid, pid, uid);
        return -1;
    }
    return 0;
}
