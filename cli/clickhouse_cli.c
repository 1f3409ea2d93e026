/* The ClickHouse output's options and sink (docs/fleet.md). */
#include "clickhouse_cli.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sinks/clickhouse/ch_url.h"
#ifdef DT_HAVE_CLICKHOUSE
#include "core/sinks/clickhouse/clickhouse.h"
#endif

/* "123", "64k", "8M", "1G" (powers of 1024). */
static int size_value(const char *opt, const char *v, uint64_t min, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1024ull * 1024 * 1024, end++;
    if (errno || end == v || *end || v[0] == '-' || n * mul < min || (mul > 1 && n > UINT64_MAX / mul)) {
        fprintf(stderr, "diagtap: %s takes a number%s, not '%s'\n", opt, min ? " of at least 1" : "", v);
        return -1;
    }
    *out = n * mul;
    return 0;
}

int dt_cli_ch_set(dt_cli_ch_opts *o, const char *flag, const char *v)
{
    static const struct {
        const char *name;
        size_t off;
        bool size;
    } opts[] = {
        { "--clickhouse-password-file", offsetof(dt_cli_ch_opts, password_file), false },
        { "--clickhouse-cacert", offsetof(dt_cli_ch_opts, cacert), false },
        { "--clickhouse-spool", offsetof(dt_cli_ch_opts, spool_dir), false },
        { "--clickhouse-format", offsetof(dt_cli_ch_opts, format), false },
        { "--host-label", offsetof(dt_cli_ch_opts, host_label), false },
        { "--clickhouse-spool-max", offsetof(dt_cli_ch_opts, spool_max), true },
        { "--clickhouse-batch", offsetof(dt_cli_ch_opts, batch_rows), true },
        { "--clickhouse-batch-bytes", offsetof(dt_cli_ch_opts, batch_bytes), true },
        { "--clickhouse-batch-ms", offsetof(dt_cli_ch_opts, batch_ms), true },
        { "--clickhouse-queue", offsetof(dt_cli_ch_opts, queue), true },
        { "--clickhouse-exit-wait", offsetof(dt_cli_ch_opts, exit_wait_s), true },
    };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        if (strcmp(flag, opts[k].name) != 0)
            continue;
        if (opts[k].size) {
            bool may_be_zero = strcmp(opts[k].name, "--clickhouse-exit-wait") == 0;
            if (may_be_zero)
                o->exit_wait_set = true;
            return size_value(opts[k].name, v, may_be_zero ? 0 : 1, (uint64_t *)((char *)o + opts[k].off));
        }
        if (strcmp(opts[k].name, "--clickhouse-format") == 0 && strcmp(v, "rowbinary") != 0 &&
            strcmp(v, "jsoneachrow") != 0) {
            fprintf(stderr, "diagtap: --clickhouse-format takes rowbinary or jsoneachrow, not '%s'\n", v);
            return -1;
        }
        *(const char **)((char *)o + opts[k].off) = v;
        return 0;
    }
    fprintf(stderr, "diagtap: unknown option %s\n", flag);
    return -1;
}

#ifdef DT_HAVE_CLICKHOUSE
#include "core/sinks/clickhouse/clickhouse.h"
#endif



#ifdef DT_HAVE_CLICKHOUSE
/* mkdir -p, each new directory 0700. */
static void make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        mkdir(path, 0700);
        *p = '/';
    }
}

static char *default_spool(void)
{
    const char *v = getenv("DIAGTAP_CLICKHOUSE_SPOOL");
    char buf[4096];
    if (v && *v)
        return strdup(v);
    if ((v = getenv("STATE_DIRECTORY")) && *v) /* systemd's StateDirectory= */
        snprintf(buf, sizeof buf, "%.*s/spool", (int)strcspn(v, ":"), v);
    else if (geteuid() == 0)
        snprintf(buf, sizeof buf, "/var/spool/diagtap");
    else if ((v = getenv("XDG_STATE_HOME")) && *v)
        snprintf(buf, sizeof buf, "%s/diagtap/spool", v);
    else if ((v = getenv("HOME")) && *v)
        snprintf(buf, sizeof buf, "%s/.local/state/diagtap/spool", v);
    else
        return NULL;
    char *s = strdup(buf);
    if (s)
        make_parents(s);
    return s;
}

/* The password file's first line. */
static char *read_password(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "diagtap: --clickhouse-password-file %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
        fprintf(stderr, "diagtap: --clickhouse-password-file %s: %s\n", path, strerror(errno));
        return NULL;
    }
    buf[n] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    char *pw = strdup(buf);
    memset(buf, 0, sizeof buf);
    return pw;
}

struct dt_sink *dt_cli_ch_sink(const dt_cli_ch_opts *o, bool *failed)
{
    *failed = false;
    if (!o->url)
        return NULL;
    dt_ch_config c;
    dt_ch_config_defaults(&c);
    c.url = o->url;
    c.cacert = o->cacert;
    c.host_label = o->host_label;
    if (o->spool_max)
        c.spool_max_bytes = o->spool_max;
    if (o->batch_rows)
        c.batch_rows = o->batch_rows > 1000000 ? 1000000 : (uint32_t)o->batch_rows;
    if (o->batch_bytes)
        c.batch_bytes = o->batch_bytes > (1u << 30) ? (1u << 30) : (uint32_t)o->batch_bytes;
    if (o->batch_ms)
        c.batch_ms = o->batch_ms > 3600000 ? 3600000 : (uint32_t)o->batch_ms;
    if (o->queue)
        c.queue_batches = o->queue > 1024 ? 1024 : (uint32_t)o->queue;
    if (o->exit_wait_set)
        c.exit_wait_ms = o->exit_wait_s > 3600 ? 3600000 : (uint32_t)o->exit_wait_s * 1000;
    if (o->format && strcmp(o->format, "jsoneachrow") == 0)
        c.format = DT_CH_JSONEACHROW;
    char *password = NULL;
    if (o->password_file) {
        if (!(password = read_password(o->password_file))) {
            *failed = true;
            return NULL;
        }
    } else if (getenv("DIAGTAP_CLICKHOUSE_PASSWORD")) {
        password = strdup(getenv("DIAGTAP_CLICKHOUSE_PASSWORD"));
    }
    c.password = password;
    char *spool = o->spool_dir ? strdup(o->spool_dir) : default_spool();
    c.spool_dir = spool;
    char err[1024];
    struct dt_sink *s = spool ? dt_clickhouse_sink_new(&c, err, sizeof err) : NULL;
    if (!spool)
        snprintf(err, sizeof err, "clickhouse: no spool directory: give --clickhouse-spool DIR");
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    free(spool);
    if (!s) {
        fprintf(stderr, "diagtap: %s\n", err);
        *failed = true;
        return NULL;
    }
    /* The URL's password, if any, out of our argv (what ps shows). */
    const char *at = strrchr(o->url, '@');
    const char *auth = strstr(o->url, "://");
    if (at && auth) {
        char *colon = memchr(auth + 3, ':', (size_t)(at - auth - 3));
        if (colon)
            memset(colon + 1, '*', (size_t)(at - colon - 1));
    }
    return s;
}
#else
struct dt_sink *dt_cli_ch_sink(const dt_cli_ch_opts *o, bool *failed)
{
    *failed = o->url != NULL;
    if (o->url) {
        char red[640];
        dt_ch_url_redact(o->url, red, sizeof red);
        fprintf(stderr, "diagtap: %s: this diagtap was built without ClickHouse (meson -Dclickhouse=enabled, libcurl)\n",
                red);
    }
    return NULL;
}
#endif
