#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/platform.h"
#include "rawdump.h"
#include "zread.h"

#define RAW_CHUNK (64u * 1024u)

typedef struct raw_file {
    const char *path;
    dt_zread z;
    bool open;
    uint64_t mtime_ns;
} raw_file;

static int raw_open(raw_file *f, const char *path, char *err, size_t errsz)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    if (!path)
        return 0;
    int fd = dt_open_read(path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errsz, "%s: is a directory", path);
        close(fd);
        return -1;
    }
    f->mtime_ns = dt_stat_mtime_ns(&st);
    f->open = true;
    if (dt_zread_open(&f->z, fd) < 0) {
        snprintf(err, errsz, "%s: cannot read: %s", path, dt_zread_error(&f->z));
        dt_zread_close(&f->z);
        f->open = false;
        return -1;
    }
    return 0;
}

static const char *base_name(const char *p)
{
    return dt_path_base(p);
}

static int feed(dt_engine *e, dt_conv *c, dt_dir dir, raw_file *f, uint8_t *buf, char *err, size_t errsz)
{
    if (!f->open)
        return 0;
    uint64_t off = 0;
    for (;;) {
        ssize_t n = dt_zread_read(&f->z, buf, RAW_CHUNK);
        if (n > 0) {
            dt_engine_stream(e, c, dir, f->mtime_ns, buf, (size_t)n);
            off += (uint64_t)n;
        } else if (n < 0) {
            snprintf(err, errsz, "%s: offset %llu: %s%s", f->path, (unsigned long long)off, f->z.gzip ? "gzip: " : "",
                     dt_zread_error(&f->z));
            return -1;
        } else {
            return 0;
        }
    }
}

int dt_rawdump_replay(dt_engine *e, const char *in_path, const char *out_path, const char *dissector, char *err,
                      size_t errsz)
{
    raw_file in, out;
    if (raw_open(&in, in_path, err, errsz) < 0)
        return -1;
    if (raw_open(&out, out_path, err, errsz) < 0) {
        if (in.open)
            dt_zread_close(&in.z);
        if (out.open)
            dt_zread_close(&out.z);
        return -1;
    }
    int rc = -1;
    uint8_t *buf = malloc(RAW_CHUNK);
    char desc[640], client[256], server[256];
    snprintf(client, sizeof client, "%s", in_path ? base_name(in_path) : "client");
    snprintf(server, sizeof server, "%s", out_path ? base_name(out_path) : "server");
    snprintf(desc, sizeof desc, "raw dumps: %s (client to server), %s (server to client)", client, server);
    const dt_channel *ch = buf ? dt_engine_channel(e, "raw", desc, -1) : NULL;
    dt_conv_params p = {
        .channel = ch,
        .transport = DT_CONV_STREAM,
        .client = client,
        .server = server,
        .dissector = dissector,
        .show_undecoded = true,
        .whole_file = false, /* a dump cut mid-message records the session, not a damaged file */
        .ts_ns = in_path ? in.mtime_ns : out.mtime_ns,
    };
    dt_conv *c = ch ? dt_engine_conv_open(e, &p) : NULL;
    if (!c)
        snprintf(err, errsz, "cannot set up the raw dump conversation");
    else if (feed(e, c, DT_DIR_C2S, &in, buf, err, errsz) == 0 && feed(e, c, DT_DIR_S2C, &out, buf, err, errsz) == 0)
        rc = 0;
    /* Both ends only now: a recording (-w) keeps no end marks, and replaying
     * it must give the same events. */
    if (c) {
        uint64_t end_ts = out_path ? out.mtime_ns : in.mtime_ns;
        if (in_path)
            dt_engine_stream_end(e, c, DT_DIR_C2S, end_ts);
        if (out_path)
            dt_engine_stream_end(e, c, DT_DIR_S2C, end_ts);
    }
    free(buf);
    if (in.open)
        dt_zread_close(&in.z);
    if (out.open)
        dt_zread_close(&out.z);
    return rc;
}
