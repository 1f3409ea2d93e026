#include "format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diagtap/cursor.h"

/* snprintf-style accumulation: len counts everything, buf keeps what fits. */
typedef struct out {
    char *buf;
    size_t sz;
    size_t len;
} out;

static void out_mem(out *o, const char *s, size_t n)
{
    if (o->len < o->sz) {
        size_t room = o->sz - 1 - o->len;
        size_t k = n < room ? n : room;
        memcpy(o->buf + o->len, s, k);
        o->buf[o->len + k] = '\0';
    }
    o->len += n;
}

static void out_str(out *o, const char *s) { out_mem(o, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static void out_fmt(out *o, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        out_mem(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static out out_make(char *buf, size_t sz)
{
    out o = { buf, sz, 0 };
    if (sz)
        buf[0] = '\0';
    return o;
}

static int hex_width(dt_ftype t)
{
    switch (t) {
    case DT_FT_UINT8: return 2;
    case DT_FT_UINT16: return 4;
    case DT_FT_UINT32:
    case DT_FT_INT32: return 8;
    default: return 16;
    }
}

static bool is_signed(dt_ftype t) { return t == DT_FT_INT32 || t == DT_FT_INT64; }

static void put_int(out *o, uint64_t v, dt_ftype type, dt_fbase base)
{
    uint64_t hv = type == DT_FT_INT32 ? (uint32_t)v : v;
    char dec[24];
    if (is_signed(type))
        snprintf(dec, sizeof dec, "%" PRId64, type == DT_FT_INT32 ? (int64_t)(int32_t)v : (int64_t)v);
    else
        snprintf(dec, sizeof dec, "%" PRIu64, v);
    switch (base) {
    case DT_BASE_HEX:
        out_fmt(o, "0x%0*" PRIx64, hex_width(type), hv);
        break;
    case DT_BASE_DEC_HEX:
        out_fmt(o, "%s (0x%0*" PRIx64 ")", dec, hex_width(type), hv);
        break;
    default:
        out_str(o, dec);
        break;
    }
}

size_t dt_fmt_int(uint64_t v, dt_ftype type, dt_fbase base, char *buf, size_t bufsz)
{
    out o = out_make(buf, bufsz);
    put_int(&o, v, type, base);
    return o.len;
}

/* Three significant digits in the unit that reads best. */
static void put_duration(out *o, uint64_t ns)
{
    if (ns < 1000)
        out_fmt(o, "%" PRIu64 " ns", ns);
    else if (ns < 100000)
        out_fmt(o, "%.3g µs", (double)ns / 1e3);
    else if (ns < 999500000)
        out_fmt(o, "%.3g ms", (double)ns / 1e6);
    else if (ns < UINT64_C(59950000000))
        out_fmt(o, "%.3g s", (double)ns / 1e9);
    else {
        uint64_t s = (ns + 500000000u) / 1000000000u;
        if (s < 3600)
            out_fmt(o, "%" PRIu64 " m %02u s", s / 60, (unsigned)(s % 60));
        else
            out_fmt(o, "%" PRIu64 " h %02u m", s / 3600, (unsigned)(s / 60 % 60));
    }
}

size_t dt_fmt_duration(uint64_t ns, char *buf, size_t bufsz)
{
    out o = out_make(buf, bufsz);
    put_duration(&o, ns);
    return o.len;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
void dt_civil_from_unix(int64_t secs, dt_civil *c)
{
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    c->year = (int)(yoe + era * 400 + (m <= 2));
    c->month = (int)m;
    c->day = (int)d;
    c->hour = (int)(rem / 3600);
    c->min = (int)(rem / 60 % 60);
    c->sec = (int)(rem % 60);
}

static char *digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* By hand rather than snprintf: the JSON sink calls this for every event. */
size_t dt_fmt_rfc3339(uint64_t ns, char *buf, size_t bufsz)
{
    dt_civil c;
    char tmp[32], *p = tmp;
    dt_civil_from_unix((int64_t)(ns / 1000000000u), &c);
    p = digits(p, (unsigned)c.year, 4);
    *p++ = '-';
    p = digits(p, (unsigned)c.month, 2);
    *p++ = '-';
    p = digits(p, (unsigned)c.day, 2);
    *p++ = 'T';
    p = digits(p, (unsigned)c.hour, 2);
    *p++ = ':';
    p = digits(p, (unsigned)c.min, 2);
    *p++ = ':';
    p = digits(p, (unsigned)c.sec, 2);
    *p++ = '.';
    p = digits(p, (unsigned)(ns % 1000000000u), 9);
    *p++ = 'Z';
    out o = out_make(buf, bufsz);
    out_mem(&o, tmp, (size_t)(p - tmp));
    return o.len;
}

static void put_hex(out *o, const uint8_t *b, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[64];
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        tmp[k++] = digits[b[i] >> 4];
        tmp[k++] = digits[b[i] & 15];
        if (k == sizeof tmp) {
            out_mem(o, tmp, k);
            k = 0;
            if (o->len >= o->sz) { /* the rest only counts */
                o->len += 2 * (len - i - 1);
                return;
            }
        }
    }
    out_mem(o, tmp, k);
}

size_t dt_fmt_hex(const uint8_t *b, size_t len, char *buf, size_t bufsz)
{
    out o = out_make(buf, bufsz);
    put_hex(&o, b, len);
    return o.len;
}

size_t dt_fmt_ipv4(uint32_t ip_be, char *buf, size_t bufsz)
{
    const uint8_t *b = (const uint8_t *)&ip_be; /* network order in memory */
    out o = out_make(buf, bufsz);
    out_fmt(&o, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return o.len;
}

size_t dt_fmt_ipv6(const uint8_t ip[16], char *buf, size_t bufsz)
{
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
    int best = -1, best_len = 1; /* RFC 5952: a single zero group is not shortened */
    for (int i = 0; i < 8;) {
        if (g[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !g[j])
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    out o = out_make(buf, bufsz);
    bool v4mapped = best == 0 && best_len == 5 && g[5] == 0xffff;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out_str(&o, i == 0 ? "::" : ":");
            i += best_len - 1;
            continue;
        }
        if (v4mapped && i == 6) {
            out_fmt(&o, "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
            break;
        }
        out_fmt(&o, "%x", g[i]);
        if (i < 7)
            out_str(&o, ":");
    }
    return o.len;
}

int32_t dt_utf8_next(const uint8_t *p, size_t len, size_t *n)
{
    uint8_t b = p[0];
    *n = 1;
    if (b < 0x80)
        return b;
    int need;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    int32_t cp;
    if (b >= 0xc2 && b <= 0xdf) {
        need = 1;
        cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        cp = b & 0x0f;
        if (b == 0xe0)
            lo = 0xa0; /* overlong */
        else if (b == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        cp = b & 0x07;
        if (b == 0xf0)
            lo = 0x90; /* overlong */
        else if (b == 0xf4)
            hi = 0x8f; /* beyond U+10FFFF */
    } else {
        return -1;
    }
    for (int i = 1; i <= need; i++) {
        if ((size_t)i >= len)
            return -1;
        uint8_t c = p[i];
        if (i == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xbf))
            return -1;
        cp = cp << 6 | (c & 0x3f);
        *n = (size_t)i + 1;
    }
    return cp;
}

size_t dt_fmt_value(const dt_field *f, char *buf, size_t bufsz)
{
    out o = out_make(buf, bufsz);
    const dt_field_def *d = f->def;
    if (f->flags & DT_FLD_REDACTED) { /* whatever its type: the README promises this word */
        out_str(&o, "<redacted>");
        return o.len;
    }
    switch (d->type) {
    case DT_FT_NONE:
        break;
    case DT_FT_BOOL:
        out_str(&o, f->v.u ? "True" : "False");
        break;
    case DT_FT_UINT8:
    case DT_FT_UINT16:
    case DT_FT_UINT32:
    case DT_FT_UINT64:
    case DT_FT_INT32:
    case DT_FT_INT64:
        if (d->vals) {
            const char *name = dt_field_value_name(d, f->v.u);
            out_str(&o, name ? name : "Unknown");
            out_str(&o, " (");
            put_int(&o, f->v.u, d->type, d->base == DT_BASE_DEC_HEX ? DT_BASE_HEX : d->base);
            out_str(&o, ")");
        } else {
            put_int(&o, f->v.u, d->type, d->base);
        }
        break;
    case DT_FT_DOUBLE:
        out_fmt(&o, "%.15g", f->v.d);
        break;
    case DT_FT_STRING:
        if (f->v.s.ptr)
            out_mem(&o, f->v.s.ptr, f->v.s.len);
        break;
    case DT_FT_BYTES:
        if (f->v.s.ptr)
            put_hex(&o, (const uint8_t *)f->v.s.ptr, f->v.s.len);
        break;
    case DT_FT_GUID: {
        dt_guid g;
        char s[37];
        memcpy(g.b, f->v.b16, 16);
        dt_guid_format(&g, s);
        out_str(&o, s);
        break;
    }
    case DT_FT_IPV4: {
        char s[16];
        dt_fmt_ipv4(f->v.ip4, s, sizeof s);
        out_str(&o, s);
        break;
    }
    case DT_FT_IPV6: {
        char s[48];
        dt_fmt_ipv6(f->v.b16, s, sizeof s);
        out_str(&o, s);
        break;
    }
    case DT_FT_ABSTIME: {
        char s[40];
        dt_fmt_rfc3339(f->v.u, s, sizeof s);
        out_str(&o, s);
        break;
    }
    case DT_FT_RELTIME:
        put_duration(&o, f->v.u);
        break;
    }
    return o.len;
}
