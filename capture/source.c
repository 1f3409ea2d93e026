/* Opening a recorded input: gzip or not, then its format by magic. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/platform.h"

#include "linktype.h"
#include "source_impl.h"

int dt_dlt_to_linktype(int dlt)
{
    switch (dlt) {
    case 12: /* DLT_RAW on most systems */
    case 14: /* DLT_RAW on OpenBSD */
        return DT_LINKTYPE_RAW;
    default:
        return dlt;
    }
}

int dt_src_fail(dt_source *s, uint64_t offset, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(s->err, sizeof s->err, "%s: offset %llu: %s", s->display, (unsigned long long)offset, what);
    s->state = -1;
    return -1;
}

int dt_src_read(dt_source *s, void *dst, size_t n, size_t *got, const char **why)
{
    size_t done = 0;
    *why = NULL;
    while (done < n) {
        ssize_t r = dt_zread_read(&s->z, (uint8_t *)dst + done, n - done);
        if (r < 0)
            *why = dt_zread_error(&s->z);
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    *got = done;
    s->pos += done;
    if (done == n)
        return 1;
    if (done == 0 && !*why)
        return 0;
    return -1;
}

const uint8_t *dt_src_contig(dt_source *s, size_t n) { return dt_zread_contig(&s->z, n); }

void dt_src_skip(dt_source *s, size_t n)
{
    dt_zread_skip(&s->z, n);
    s->pos += n;
}

bool dt_src_reserve(dt_source *s, size_t n)
{
    if (n <= s->buf_cap)
        return true;
    size_t cap = s->buf_cap ? s->buf_cap : 65536;
    while (cap < n)
        cap *= 2;
    uint8_t *b = realloc(s->buf, cap);
    if (!b)
        return false;
    s->buf = b;
    s->buf_cap = cap;
    return true;
}

dt_source_iface *dt_src_add_iface(dt_source *s)
{
    if (s->n_ifaces == s->cap_ifaces) {
        size_t cap = s->cap_ifaces ? s->cap_ifaces * 2 : 4;
        dt_source_iface *fi = realloc(s->ifaces, cap * sizeof *fi);
        if (!fi)
            return NULL;
        s->ifaces = fi;
        dt_ng_iface *ng = realloc(s->ng, cap * sizeof *ng);
        if (!ng)
            return NULL;
        s->ng = ng;
        s->cap_ifaces = cap;
    }
    dt_source_iface *f = &s->ifaces[s->n_ifaces];
    memset(f, 0, sizeof *f);
    memset(&s->ng[s->n_ifaces], 0, sizeof s->ng[0]);
    s->ng[s->n_ifaces].tsresol = 6;
    s->n_ifaces++;
    return f;
}

static bool is_pcap_magic(const uint8_t m[4])
{
    static const uint32_t magics[] = { 0xa1b2c3d4u, 0xa1b23c4du, 0xa1b2cd34u };
    uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    uint32_t le = (uint32_t)m[3] << 24 | (uint32_t)m[2] << 16 | (uint32_t)m[1] << 8 | m[0];
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (be == magics[i] || le == magics[i])
            return true;
    return false;
}

dt_source *dt_source_open(const char *path, char *err, size_t errsz)
{
    dt_source *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        snprintf(err, errsz, "%s: out of memory", path);
        free(s);
        return NULL;
    }
    s->display = s->path;
    /* "-": standard input, a pipe as often as not; the reader never seeks
     * (the format is told from bytes zread buffers) */
    s->fd = strcmp(path, "-") == 0 ? dt_dup_stdin() : dt_open_read(path);
    if (s->fd < 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(s->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, errsz, "%s: is a directory", path);
            goto fail;
        }
        s->file_size = (uint64_t)st.st_size;
        s->mtime_ns = dt_stat_mtime_ns(&st);
    }
    int fd = s->fd;
    s->fd = -1; /* owned by the reader now */
    s->z_open = true;
    if (dt_zread_open(&s->z, fd) < 0) {
        snprintf(err, errsz, "%s: cannot read: %s", path, dt_zread_error(&s->z));
        goto fail;
    }

    uint8_t magic[8];
    ssize_t pr = dt_zread_peek(&s->z, magic, sizeof magic);
    size_t got = pr > 0 ? (size_t)pr : 0;
    const char *why = dt_zread_error(&s->z);
    if (why && got < 4) { /* a fault further on is met, and reported, in order */
        snprintf(err, errsz, "%s: offset %zu: %s%s", path, got, s->z.gzip ? "gzip: " : "", why);
        goto fail;
    }
    if (got == 0) {
        snprintf(err, errsz, "%s: empty file", path);
        goto fail;
    }
    if (got >= 4 && magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a)
        s->format = DT_SRC_PCAPNG;
    else if (got >= 4 && is_pcap_magic(magic))
        s->format = DT_SRC_PCAP;
    else if (got == 8 && memcmp(magic, "Nettrace", 8) == 0)
        s->format = DT_SRC_NETTRACE;
    else {
        snprintf(err, errsz, "%s: offset 0: not a pcap, pcapng or nettrace file (starts with %02x %02x %02x %02x)",
                 path, magic[0], got > 1 ? magic[1] : 0, got > 2 ? magic[2] : 0, got > 3 ? magic[3] : 0);
        goto fail;
    }
    s->pos = 0;
    s->state = 1;
    int ok;
    switch (s->format) {
    case DT_SRC_PCAP: ok = dt_pcap_open(s, err, errsz); break;
    case DT_SRC_PCAPNG: ok = dt_pcapng_open(s, err, errsz); break;
    default: ok = dt_nettrace_open(s, err, errsz); break;
    }
    if (ok < 0)
        goto fail;
    return s;
fail:
    dt_source_close(s);
    return NULL;
}

int dt_source_next(dt_source *s, dt_packet *p)
{
    if (s->state != 1)
        return s->state;
    switch (s->format) {
    case DT_SRC_PCAP: return dt_pcap_next(s, p);
    case DT_SRC_PCAPNG: return dt_pcapng_next(s, p);
    default: return dt_nettrace_next(s, p);
    }
}

const char *dt_source_error(const dt_source *s) { return s->err; }
dt_source_format dt_source_get_format(const dt_source *s) { return s->format; }
const char *dt_source_path(const dt_source *s) { return s->path; }
size_t dt_source_n_ifaces(const dt_source *s) { return s->n_ifaces; }

const dt_source_iface *dt_source_iface_at(const dt_source *s, uint32_t i)
{
    return i < s->n_ifaces ? &s->ifaces[i] : NULL;
}

uint64_t dt_source_file_pos(const dt_source *s)
{
    return s->z_open ? dt_zread_file_pos(&s->z) : 0;
}

uint64_t dt_source_file_size(const dt_source *s) { return s->file_size; }

void dt_source_close(dt_source *s)
{
    if (!s)
        return;
    dt_pcap_close(s);
    if (s->z_open)
        dt_zread_close(&s->z);
    if (s->fd >= 0)
        close(s->fd);
    for (size_t i = 0; i < s->n_ifaces; i++) {
        free((char *)s->ifaces[i].name);
        free((char *)s->ifaces[i].description);
    }
    free(s->ifaces);
    free(s->ng);
    free(s->buf);
    free(s->path);
    free(s);
}
