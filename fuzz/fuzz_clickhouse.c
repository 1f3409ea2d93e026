/* libFuzzer target for the ClickHouse sink's parsers: the output URL (and
 * its redaction, which must never let the password through), and a spool
 * file read back (header line and body) from a private spool directory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sinks/clickhouse/ch_spool.h"
#include "core/sinks/clickhouse/ch_url.h"

static void fuzz_url(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return;
    memcpy(s, data, size);
    s[size] = 0;
    dt_ch_url u;
    char err[1024], red[700];
    /* the password must not stand where it stood, between ':' and '@'
     * (its text may well occur elsewhere in the URL: "hous" in the scheme) */
    char leak[600];
    if (dt_ch_url_parse(s, &u, err, sizeof err) == 0 && u.has_password && u.password[0] &&
        (size_t)snprintf(leak, sizeof leak, ":%s@", u.password) < sizeof leak && strstr(s, leak) &&
        strstr(u.redacted, leak))
        abort(); /* the password leaked into what messages print */
    dt_ch_url_redact(s, red, sizeof red);
    free(s);
}

static void fuzz_spool(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz-ch-spool-%d", (int)getpid());
    }
    char err[512];
    dt_ch_spool *sp = dt_ch_spool_open(dir, 0, err, sizeof err);
    if (!sp)
        return;
    char path[128];
    snprintf(path, sizeof path, "%s/00000000000000000001-0000000000000001-0000000001.dtch", dir);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, size, f);
        fclose(f);
    }
    dt_ch_batch b;
    memset(&b, 0, sizeof b);
    uint64_t lost;
    if (dt_ch_spool_next(sp, &b, &lost, err, sizeof err) == 1)
        dt_ch_spool_remove(sp, &b);
    char bad[160];
    snprintf(bad, sizeof bad, "%s.bad", path);
    unlink(bad);
    unlink(path);
    dt_ch_buf_free(&b.body);
    dt_ch_spool_close(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        fuzz_url(data + 1, size - 1);
    else
        fuzz_spool(data + 1, size - 1);
    return 0;
}
