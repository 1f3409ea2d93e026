/* --from / --to bounds: parsing and resolving against the first event. */
/* timegm: _GNU_SOURCE comes from the build */
#include "timerange.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NS 1000000000ull

/* Digits into *v; returns how many were read. */
static int digits(const char **p, int max, uint64_t *v)
{
    int n = 0;
    *v = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        *v = *v * 10 + (uint64_t)(**p - '0');
        (*p)++;
        n++;
    }
    return n;
}

/* ".123456789" (up to nine digits kept, more ignored) into ns. */
static uint64_t fraction(const char **p)
{
    uint64_t ns = 0, scale = NS / 10;
    if (**p != '.' && **p != ',')
        return 0;
    (*p)++;
    for (; isdigit((unsigned char)**p); (*p)++) {
        ns += (uint64_t)(**p - '0') * scale;
        scale /= 10;
    }
    return ns;
}

static int unit_ns(const char **p, uint64_t *mul)
{
    static const struct { const char *name; uint64_t mul; } units[] = {
        { "ns", 1 }, { "us", 1000 }, { "µs", 1000 }, { "ms", 1000000 },
        { "s", NS }, { "m", 60 * NS }, { "h", 3600 * NS },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].name);
        if (!strncmp(*p, units[i].name, n) && !isalpha((unsigned char)(*p)[n])) {
            *p += n;
            *mul = units[i].mul;
            return 0;
        }
    }
    return -1;
}

/* "+2.5s", "+1m30s", "+150ms", "+3" (seconds). */
static int parse_rel(const char *s, dt_tbound *out, char *err, size_t errsz)
{
    const char *p = s + 1;
    uint64_t total = 0;
    if (!*p)
        goto bad;
    while (*p) {
        uint64_t whole, mul = NS;
        const char *start = p;
        if (!digits(&p, 12, &whole) && *p != '.')
            goto bad;
        uint64_t frac = fraction(&p);
        if (p == start)
            goto bad;
        if (*p && unit_ns(&p, &mul) != 0)
            goto bad;
        /* frac is a fraction of one unit, in billionths */
        total += whole * mul + frac / 1000 * mul / 1000000;
    }
    out->kind = DT_TB_REL;
    out->ns = total;
    return 0;
bad:
    snprintf(err, errsz, "'%s': a relative time is +NUMBER[ns|us|ms|s|m|h], several may follow (+1m30s)", s);
    return -1;
}

/* "HH:MM[:SS[.frac]]" at *p; ns after midnight. */
static int parse_clock(const char **p, uint64_t *ns)
{
    uint64_t h, m, sec = 0;
    if (digits(p, 2, &h) < 1 || **p != ':')
        return -1;
    (*p)++;
    if (digits(p, 2, &m) != 2)
        return -1;
    if (**p == ':') {
        (*p)++;
        if (digits(p, 2, &sec) != 2)
            return -1;
    }
    if (h > 23 || m > 59 || sec > 60)
        return -1;
    *ns = ((h * 60 + m) * 60 + sec) * NS + fraction(p);
    return 0;
}

/* "Z", "+01:00", "-0530"; *off_s east of UTC. Returns 1 when a zone was
 * given, 0 when none, -1 when malformed. */
static int parse_zone(const char **p, long *off_s)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *off_s = 0;
        return 1;
    }
    if (**p != '+' && **p != '-')
        return 0;
    int sign = **p == '-' ? -1 : 1;
    (*p)++;
    uint64_t hh, mm = 0;
    if (digits(p, 2, &hh) != 2)
        return -1;
    if (**p == ':')
        (*p)++;
    if (isdigit((unsigned char)**p) && digits(p, 2, &mm) != 2)
        return -1;
    *off_s = sign * (long)(hh * 3600 + mm * 60);
    return 1;
}

int dt_tbound_parse(const char *s, dt_tbound *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    if (s[0] == '+')
        return parse_rel(s, out, err, errsz);
    const char *p = s;
    uint64_t y, mo, d, tod = 0;
    const char *q = p;
    if (digits(&q, 4, &y) == 4 && *q == '-') { /* a date */
        p = q + 1;
        if (digits(&p, 2, &mo) != 2 || *p != '-')
            goto bad;
        p++;
        if (digits(&p, 2, &d) != 2 || mo < 1 || mo > 12 || d < 1 || d > 31)
            goto bad;
        if (*p == 'T' || *p == 't' || *p == ' ') {
            p++;
            if (parse_clock(&p, &tod) != 0)
                goto bad;
        }
        long off = 0;
        int zone = parse_zone(&p, &off);
        if (zone < 0 || *p)
            goto bad;
        struct tm tm = { .tm_year = (int)y - 1900, .tm_mon = (int)mo - 1, .tm_mday = (int)d };
        time_t day;
        if (zone) {
            day = timegm(&tm) - off;
        } else { /* local time, as the text timeline shows it */
            tm.tm_isdst = -1;
            tm.tm_hour = (int)(tod / NS / 3600);
            tm.tm_min = (int)(tod / NS / 60 % 60);
            tm.tm_sec = (int)(tod / NS % 60);
            day = mktime(&tm);
            tod %= NS;
        }
        if (day < 0)
            goto bad;
        out->kind = DT_TB_ABS;
        out->ns = (uint64_t)day * NS + tod;
        return 0;
    }
    if (parse_clock(&p, &tod) == 0 && !*p) {
        out->kind = DT_TB_TOD;
        out->ns = tod;
        return 0;
    }
bad:
    snprintf(err, errsz,
             "'%s': expected YYYY-MM-DD[THH:MM:SS[.frac]][Z|±hh:mm], HH:MM:SS[.frac] (local, on the first "
             "event's date) or +DURATION after the first event (+2.5s, +1m30s)",
             s);
    return -1;
}

static uint64_t resolve(const dt_tbound *b, uint64_t first, uint64_t midnight, uint64_t unbounded)
{
    switch (b->kind) {
    case DT_TB_NONE: return unbounded;
    case DT_TB_ABS: return b->ns;
    case DT_TB_REL: return first + b->ns;
    case DT_TB_TOD: return midnight + b->ns;
    }
    return unbounded;
}

void dt_timerange_resolve(dt_timerange *r, uint64_t first)
{
    /* Local midnight of the first event's date. */
    time_t t = (time_t)(first / NS);
    struct tm tm;
    uint64_t midnight = 0;
    if (localtime_r(&t, &tm)) {
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        time_t m = mktime(&tm);
        if (m >= 0)
            midnight = (uint64_t)m * NS;
    }
    r->from_ns = resolve(&r->from, first, midnight, 0);
    r->to_ns = resolve(&r->to, first, midnight, UINT64_MAX);
    /* "--from 23:50 --to 00:10": the end is on the next day */
    if (r->to.kind == DT_TB_TOD && r->from.kind == DT_TB_TOD && r->to_ns < r->from_ns)
        r->to_ns += 86400 * NS;
    r->resolved = true;
}

bool dt_timerange_contains(dt_timerange *r, uint64_t ts)
{
    if (!r->resolved)
        dt_timerange_resolve(r, ts);
    return ts >= r->from_ns && ts <= r->to_ns;
}
