/* The on-disk spool (see ch_spool.h). */
#include "ch_spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_LEN 64
#define MAGIC "diagtap-ch 1 "

struct dt_ch_spool {
    char *dir;
    int dfd;
    int lock_fd;
    uint64_t max_bytes;
    pthread_mutex_t mu; /* the counters: the main thread writes, the sender removes */
    dt_ch_spool_stats st;
    /* the sender's sorted listing, consumed from pos; refreshed when used up */
    char (*names)[NAME_LEN];
    size_t n_names, pos, cap_names;
};

static bool is_spool_name(const char *n)
{
    size_t len = strlen(n);
    return len >= 10 && len < NAME_LEN && n[0] != '.' &&
           (strcmp(n + len - 5, ".dtch") == 0 || strcmp(n + len - 6, ".dtchu") == 0);
}

/* "diagtap-ch 1 FMT ROWS RUN BATCH MINT MAXT CREATED HOSTHEX\n" */
static int parse_header(const char *line, dt_ch_batch *b)
{
    char fmt[8], hosthex[2 * sizeof b->host + 1];
    unsigned long long rows, run, batch, mint, maxt, created;
    if (strncmp(line, MAGIC, sizeof MAGIC - 1) != 0 ||
        sscanf(line + sizeof MAGIC - 1, "%7s %llu %llu %llu %llu %llu %llu %512s", fmt, &rows, &run, &batch, &mint,
               &maxt, &created, hosthex) != 8)
        return -1;
    if (strcmp(fmt, "rb") == 0)
        b->fmt = DT_CH_ROWBINARY;
    else if (strcmp(fmt, "json") == 0)
        b->fmt = DT_CH_JSONEACHROW;
    else
        return -1;
    size_t hl = strlen(hosthex);
    if (hl % 2 || hl / 2 >= sizeof b->host || (hl == 1 && hosthex[0] == '-'))
        return -1;
    if (strcmp(hosthex, "-") == 0)
        hl = 0;
    for (size_t i = 0; i < hl / 2; i++) {
        unsigned v;
        if (sscanf(hosthex + 2 * i, "%2x", &v) != 1)
            return -1;
        b->host[i] = (char)v;
    }
    b->host[hl / 2] = 0;
    b->rows = (uint32_t)rows;
    b->run_id = run;
    b->batch = batch;
    b->min_time = (uint32_t)mint;
    b->max_time = (uint32_t)maxt;
    b->created_ns = created;
    return 0;
}

static int header_text(const dt_ch_batch *b, char *out, size_t outsz)
{
    char hosthex[2 * sizeof b->host + 1];
    size_t i = 0;
    for (const char *p = b->host; *p && i + 2 < sizeof hosthex; p++, i += 2)
        snprintf(hosthex + i, 3, "%02x", (unsigned char)*p);
    hosthex[i] = 0;
    return snprintf(out, outsz, MAGIC "%s %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu32 " %" PRIu32 " %" PRIu64 " %s\n",
                    b->fmt == DT_CH_JSONEACHROW ? "json" : "rb", b->rows, b->run_id, b->batch, b->min_time,
                    b->max_time, b->created_ns, i ? hosthex : "-");
}

/* Reads the header of one file (at open) for the counters. */
static void count_file(dt_ch_spool *sp, const char *name)
{
    int fd = openat(sp->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    char line[700];
    ssize_t n = read(fd, line, sizeof line - 1);
    if (fstat(fd, &st) == 0 && n > 0) {
        line[n] = 0;
        dt_ch_batch b;
        memset(&b, 0, sizeof b);
        if (parse_header(line, &b) == 0)
            sp->st.rows += b.rows;
        sp->st.files++;
        sp->st.bytes += (uint64_t)st.st_size;
    }
    close(fd);
}

dt_ch_spool *dt_ch_spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errsz)
{
    dt_ch_spool *sp = calloc(1, sizeof *sp);
    if (!sp || !(sp->dir = strdup(dir))) {
        free(sp);
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    sp->dfd = sp->lock_fd = -1;
    sp->max_bytes = max_bytes;
    pthread_mutex_init(&sp->mu, NULL);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errsz, "spool directory %s: %s", dir, strerror(errno));
        goto fail;
    }
    /* O_NOFOLLOW: a symlink planted at the spool's place is refused */
    sp->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sp->dfd < 0) {
        /* Linux says ENOTDIR for a symlink with O_DIRECTORY|O_NOFOLLOW, ELOOP without */
        int e = errno;
        struct stat lst;
        bool link = (e == ELOOP || e == ENOTDIR) && lstat(dir, &lst) == 0 && S_ISLNK(lst.st_mode);
        snprintf(err, errsz, "spool directory %s: %s", dir, link ? "is a symbolic link (refused)" : strerror(e));
        goto fail;
    }
    struct stat st;
    if (fstat(sp->dfd, &st) == 0 && (st.st_mode & 0077) && st.st_uid == getuid())
        fprintf(stderr, "diagtap: warning: spool directory %s is readable by others (mode %o)\n", dir,
                (unsigned)(st.st_mode & 0777));
    sp->lock_fd = openat(sp->dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (sp->lock_fd < 0 || flock(sp->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errsz, "spool directory %s: %s", dir,
                 sp->lock_fd >= 0 && errno == EWOULDBLOCK ? "in use by another diagtap (give each its own spool)"
                 : sp->lock_fd < 0 && errno == ELOOP     ? "its lock file is a symbolic link (refused)"
                                                          : strerror(errno));
        goto fail;
    }
    DIR *d = fdopendir(dup(sp->dfd));
    if (!d) {
        snprintf(err, errsz, "spool directory %s: %s", dir, strerror(errno));
        goto fail;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, ".tmp-", 5) == 0) /* a write cut short by a crash: never complete */
            unlinkat(sp->dfd, de->d_name, 0);
        else if (is_spool_name(de->d_name))
            count_file(sp, de->d_name);
    }
    closedir(d);
    return sp;
fail:
    dt_ch_spool_close(sp);
    return NULL;
}

void dt_ch_spool_close(dt_ch_spool *sp)
{
    if (!sp)
        return;
    if (sp->lock_fd >= 0)
        close(sp->lock_fd);
    if (sp->dfd >= 0)
        close(sp->dfd);
    pthread_mutex_destroy(&sp->mu);
    free(sp->names);
    free(sp->dir);
    free(sp);
}

const char *dt_ch_spool_dir(const dt_ch_spool *sp) { return sp->dir; }

dt_ch_spool_stats dt_ch_spool_stats_get(dt_ch_spool *sp)
{
    pthread_mutex_lock(&sp->mu);
    dt_ch_spool_stats st = sp->st;
    pthread_mutex_unlock(&sp->mu);
    return st;
}

static void file_name(const dt_ch_batch *b, char *out, size_t outsz)
{
    snprintf(out, outsz, "%020" PRIu64 "-%016" PRIx64 "-%010" PRIu64 ".dtch%s", b->created_ns, b->run_id, b->batch,
             b->uncertain ? "u" : "");
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n) {
        ssize_t w = write(fd, q, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

int dt_ch_spool_write(dt_ch_spool *sp, const dt_ch_batch *b, char *err, size_t errsz)
{
    char hdr[700], name[NAME_LEN], tmp[NAME_LEN + 8];
    int hl = header_text(b, hdr, sizeof hdr);
    uint64_t size = (uint64_t)hl + b->body.len;
    if (sp->max_bytes) {
        pthread_mutex_lock(&sp->mu);
        bool over = sp->st.bytes + size > sp->max_bytes;
        pthread_mutex_unlock(&sp->mu);
        if (over) {
            snprintf(err, errsz, "spool %s is full (its limit is %" PRIu64 " bytes)", sp->dir, sp->max_bytes);
            return -1;
        }
    }
    file_name(b, name, sizeof name);
    snprintf(tmp, sizeof tmp, ".tmp-%s", name);
    int fd = openat(sp->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errsz, "spool %s: cannot create %s: %s", sp->dir, tmp, strerror(errno));
        return -1;
    }
    if (write_all(fd, hdr, (size_t)hl) != 0 || write_all(fd, b->body.p, b->body.len) != 0) {
        int e = errno;
        close(fd);
        unlinkat(sp->dfd, tmp, 0);
        snprintf(err, errsz, "spool %s is full: %s", sp->dir, strerror(e));
        return -1;
    }
    if (close(fd) != 0 || renameat(sp->dfd, tmp, sp->dfd, name) != 0) {
        int e = errno;
        unlinkat(sp->dfd, tmp, 0);
        snprintf(err, errsz, "spool %s: %s", sp->dir, strerror(e));
        return -1;
    }
    pthread_mutex_lock(&sp->mu);
    sp->st.files++;
    sp->st.bytes += size;
    sp->st.rows += b->rows;
    pthread_mutex_unlock(&sp->mu);
    return 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp(a, b); }

static int refresh_listing(dt_ch_spool *sp)
{
    sp->n_names = sp->pos = 0;
    DIR *d = fdopendir(dup(sp->dfd));
    if (!d)
        return -1;
    rewinddir(d); /* the dup shares the offset with an earlier listing */
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!is_spool_name(de->d_name))
            continue;
        if (sp->n_names == sp->cap_names) {
            size_t cap = sp->cap_names ? sp->cap_names * 2 : 64;
            void *p = realloc(sp->names, cap * NAME_LEN);
            if (!p)
                break;
            sp->names = p;
            sp->cap_names = cap;
        }
        snprintf(sp->names[sp->n_names++], NAME_LEN, "%.63s", de->d_name);
    }
    closedir(d);
    qsort(sp->names, sp->n_names, NAME_LEN, cmp_names);
    return 0;
}

int dt_ch_spool_next(dt_ch_spool *sp, dt_ch_batch *b, uint64_t *lost_rows, char *err, size_t errsz)
{
    *lost_rows = 0;
    for (;;) {
        if (sp->pos == sp->n_names && (refresh_listing(sp) != 0 || sp->n_names == 0))
            return 0;
        const char *name = sp->names[sp->pos++];
        int fd = openat(sp->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue; /* gone meanwhile */
        struct stat st;
        bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        size_t size = ok ? (size_t)st.st_size : 0;
        b->body.len = 0;
        b->body.failed = false;
        ok = ok && dt_ch_buf_reserve(&b->body, size + 1);
        size_t got = 0;
        while (ok && got < size) {
            ssize_t r = read(fd, b->body.p + got, size - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        close(fd);
        uint8_t *nl = ok && got == size ? memchr(b->body.p, '\n', got < 700 ? got : 700) : NULL;
        if (nl) {
            *nl = 0;
            ok = parse_header((const char *)b->body.p, b) == 0;
        }
        if (!nl || !ok) {
            char bad[NAME_LEN + 8];
            snprintf(bad, sizeof bad, "%s.bad", name);
            renameat(sp->dfd, name, sp->dfd, bad);
            if (nl)
                *lost_rows = b->rows;
            pthread_mutex_lock(&sp->mu);
            sp->st.files--;
            sp->st.bytes -= (uint64_t)st.st_size <= sp->st.bytes ? (uint64_t)st.st_size : sp->st.bytes;
            pthread_mutex_unlock(&sp->mu);
            snprintf(err, errsz, "spool %s: %s cannot be read back; kept as %s", sp->dir, name, bad);
            return -1;
        }
        size_t hl = (size_t)(nl - b->body.p) + 1;
        memmove(b->body.p, b->body.p + hl, got - hl);
        b->body.len = got - hl;
        b->uncertain = name[strlen(name) - 1] == 'u';
        snprintf(b->spool_name, sizeof b->spool_name, "%.63s", name);
        return 1;
    }
}

void dt_ch_spool_remove(dt_ch_spool *sp, dt_ch_batch *b)
{
    struct stat st;
    if (fstatat(sp->dfd, b->spool_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (unlinkat(sp->dfd, b->spool_name, 0) != 0)
        return;
    pthread_mutex_lock(&sp->mu);
    sp->st.files--;
    sp->st.bytes -= (uint64_t)st.st_size <= sp->st.bytes ? (uint64_t)st.st_size : sp->st.bytes;
    sp->st.rows -= b->rows <= sp->st.rows ? b->rows : sp->st.rows;
    pthread_mutex_unlock(&sp->mu);
    b->spool_name[0] = 0;
}

void dt_ch_spool_mark_uncertain(dt_ch_spool *sp, dt_ch_batch *b)
{
    size_t len = strlen(b->spool_name);
    if (len == 0 || b->spool_name[len - 1] == 'u' || len + 2 > sizeof b->spool_name)
        return;
    char to[NAME_LEN];
    memcpy(to, b->spool_name, len); /* len + 2 <= NAME_LEN, checked above */
    to[len] = 'u';
    to[len + 1] = 0;
    if (renameat(sp->dfd, b->spool_name, sp->dfd, to) == 0)
        memcpy(b->spool_name, to, len + 2);
}
