#include "json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "format.h"

void dt_jw_flush(dt_jw *w)
{
    if (w->used)
        fwrite(w->buf, 1, w->used, w->f);
    w->used = 0;
}

static void put(dt_jw *w, const void *s, size_t n)
{
    if (n > sizeof w->buf - w->used) {
        dt_jw_flush(w);
        if (n > sizeof w->buf) {
            fwrite(s, 1, n, w->f);
            return;
        }
    }
    memcpy(w->buf + w->used, s, n);
    w->used += n;
}

static void put_c(dt_jw *w, char c)
{
    if (w->used == sizeof w->buf)
        dt_jw_flush(w);
    w->buf[w->used++] = c;
}

/* Two digits per division: numbers (seq, ts_ns, offsets, field values) are a
 * good part of every line. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

static const uint64_t pow10_u64[20] = { 1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
                                        1000000000u, 10000000000u, 100000000000u, 1000000000000u,
                                        10000000000000u, 100000000000000u, 1000000000000000u,
                                        10000000000000000u, 100000000000000000u, 1000000000000000000u,
                                        10000000000000000000u };

/* Decimal digits of v: from its bit length (log10(2) ~ 1233/4096),
 * then one compare, instead of a compare per digit (ts_ns has 19). */
static size_t digits_u64(uint64_t v)
{
    if (v < 10)
        return 1;
    size_t n = (size_t)((64 - __builtin_clzll(v)) * 1233) >> 12; /* digits - 1 or digits */
    return n + (v >= pow10_u64[n]);
}

static void put_u64_long(dt_jw *w, uint64_t v)
{
    size_t n = digits_u64(v);
    if (sizeof w->buf - w->used < n)
        dt_jw_flush(w);
    /* the digits in place, from the last, two per division */
    char *p = w->buf + w->used + n;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        p[0] = digit_pairs[2 * r];
        p[1] = digit_pairs[2 * r + 1];
    }
    if (v >= 10) {
        p -= 2;
        p[0] = digit_pairs[2 * v];
        p[1] = digit_pairs[2 * v + 1];
    } else {
        *--p = (char)('0' + v);
    }
    w->used += n;
}

static inline void put_u64(dt_jw *w, uint64_t v)
{
    if (v < 10 && w->used < sizeof w->buf) { /* flags, counts, zeros: most numbers of an event */
        w->buf[w->used++] = (char)('0' + v);
        return;
    }
    put_u64_long(w, v);
}

/* Bytes put_string must look at: controls, '"', '\\', DEL and every byte
 * >= 0x80 (UTF-8 is checked, not copied blindly); the second table adds
 * '<', '>' and '&' for script_safe. Runs of other bytes are copied at once. */
static const uint8_t jw_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
static const uint8_t jw_special_script[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

#if defined(__SSE2__)
/* Bit k set when p[k] needs care (jw_special), for 16 bytes at once:
 * below 0x20 or from 0x80 on is one signed compare. */
static inline unsigned special_mask16(const uint8_t *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
                                                       _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)))));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The bytes of a string between its quotes, escaped as needed. */
static void put_string_body(dt_jw *w, const uint8_t *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *special = w->script_safe ? jw_special_script : jw_special;
    size_t run = 0; /* bytes at p[i - run .. i) to copy as they are */
    for (size_t i = 0; i < len;) {
        size_t start = i;
#if defined(__SSE2__)
        /* summaries and paths: 16 bytes a round (script_safe's <>& take the byte way) */
        if (!w->script_safe) {
            while (len - i >= 16) {
                unsigned m = special_mask16(p + i);
                if (m) {
                    i += (unsigned)__builtin_ctz(m);
                    break;
                }
                i += 16;
            }
        }
#endif
        /* four bytes a round while none needs care: most text needs none */
        while (len - i >= 4 && !(special[p[i]] | special[p[i + 1]] | special[p[i + 2]] | special[p[i + 3]]))
            i += 4;
        while (i < len && !special[p[i]])
            i++;
        run += i - start;
        if (i == len)
            break;
        uint8_t b = p[i];
        const char *esc;
        size_t esc_len = 2;
        char u[7];
        size_t n = 1;
        if (b >= 0x80) {
            if (dt_utf8_next(p + i, len - i, &n) >= 0) {
                run += n;
                i += n;
                continue;
            }
            esc = "\\ufffd";
            esc_len = 6;
        } else {
            switch (b) {
            case '"': esc = "\\\""; break;
            case '\\': esc = "\\\\"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            default: /* C0 controls, DEL, and <>& when script_safe */
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
                u[4] = hex[b >> 4], u[5] = hex[b & 15], u[6] = '\0';
                esc = u;
                esc_len = 6;
            }
        }
        put(w, p + i - run, run);
        run = 0;
        put(w, esc, esc_len);
        i += n;
    }
    put(w, p + len - run, run);
}

/* Most strings need no escape but the backslashes of Windows paths and
 * quotes, and most are short: while the buffer has room for what is left
 * of the string with every byte as it is, bytes are copied straight in, 16
 * a round with SSE2, and '\\' and '"' escaped in place; at any other byte
 * that needs care (controls, DEL, UTF-8) put_string_body takes over. */
static void put_string(dt_jw *w, const void *s, size_t len)
{
    const uint8_t *p = s;
    size_t i = 0;
    put_c(w, '"');
    if (!w->script_safe) {
        char *o = w->buf + w->used, *end = w->buf + sizeof w->buf;
        /* room for the rest as it is, one more escape, and a 16-byte store */
        while ((size_t)(end - o) >= len - i + 18) {
#if defined(__SSE2__)
            while (len - i >= 16) {
                _mm_storeu_si128((__m128i *)o, _mm_loadu_si128((const __m128i *)(p + i)));
                unsigned m = special_mask16(p + i);
                if (m) {
                    unsigned k = (unsigned)__builtin_ctz(m);
                    i += k;
                    o += k;
                    break;
                }
                i += 16;
                o += 16;
            }
#endif
            while (i < len && !jw_special[p[i]])
                *o++ = (char)p[i++];
            if (i == len || (p[i] != '\\' && p[i] != '"'))
                break;
            o[0] = '\\';
            o[1] = (char)p[i++];
            o += 2;
        }
        w->used = (size_t)(o - w->buf);
    }
    if (i < len)
        put_string_body(w, p + i, len - i);
    put_c(w, '"');
}

void dt_json_write_string(FILE *f, const void *s, size_t len)
{
    dt_jw w = { 0 };
    dt_jw_init(&w, f);
    put_string(&w, s, len);
    dt_jw_flush(&w);
}

void dt_jw_init(dt_jw *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->after_key = false;
    w->has_items[0] = false;
    w->used = 0;
}

/* Comma before a value or key that is not the first of its container. */
static void sep(dt_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && w->has_items[w->depth])
        put_c(w, ',');
    w->has_items[w->depth] = true;
}

static bool jw_open(dt_jw *w, char c)
{
    if (w->depth + 1 >= DT_JW_MAX_DEPTH)
        return false;
    sep(w);
    put_c(w, c);
    w->has_items[++w->depth] = false;
    return true;
}

static void jw_close(dt_jw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    put_c(w, c);
}

bool dt_jw_begin_object(dt_jw *w) { return jw_open(w, '{'); }
void dt_jw_end_object(dt_jw *w) { jw_close(w, '}'); }
bool dt_jw_begin_array(dt_jw *w) { return jw_open(w, '['); }
void dt_jw_end_array(dt_jw *w) { jw_close(w, ']'); }

void dt_jw_key(dt_jw *w, const char *key)
{
    sep(w);
    /* Keys are nearly always plain ASCII names (field abbrevs): copy them in
     * one pass that stops at the end or at the first byte needing care, and
     * escape from the start only in that rare case. */
    if (sizeof w->buf - w->used > 2) {
        size_t room = sizeof w->buf - w->used - 2, i = 0;
        char *o = w->buf + w->used + 1;
        while (i < room && key[i] && !jw_special_script[(uint8_t)key[i]]) {
            o[i] = key[i];
            i++;
        }
        if (!key[i]) {
            o[-1] = '"';
            o[i] = '"';
            w->used += i + 2;
            put_c(w, ':');
            w->after_key = true;
            return;
        }
    }
    put_string(w, key, strlen(key));
    put_c(w, ':');
    w->after_key = true;
}

void dt_jw_key_plain_slow(dt_jw *w, const char *key, size_t len)
{
    sep(w);
    put_c(w, '"');
    put(w, key, len);
    put(w, "\":", 2);
    w->after_key = true;
}

void dt_jw_key_of_slow(dt_jw *w, const void *id, const char *key)
{
    if (w->keys) {
        dt_jw_keyslot *s = &w->keys->slot[dt_jw_key_slot(id)];
        if (s->id != id || s->key != key) { /* a miss: this slot now holds id */
            size_t n = strlen(key);
            bool plain = n + 3 <= sizeof s->text;
            for (size_t k = 0; k < n && plain; k++)
                plain = !jw_special_script[(uint8_t)key[k]];
            s->id = id;
            s->key = key;
            s->plain = plain;
            s->len = 0;
            if (plain) {
                memset(s->text, 0, sizeof s->text);
                s->text[0] = '"';
                memcpy(s->text + 1, key, n);
                s->text[n + 1] = '"';
                s->text[n + 2] = ':';
                s->len = (uint32_t)n + 3;
            }
        }
        if (s->plain && sizeof w->buf - w->used >= sizeof s->text + 1) {
            sep(w);
            memcpy(w->buf + w->used, s->text, sizeof s->text); /* whole: used advances by len only */
            w->used += s->len;
            w->after_key = true;
            return;
        }
    }
    dt_jw_key(w, key);
}

void dt_jw_string(dt_jw *w, const void *s, size_t len)
{
    sep(w);
    put_string(w, s, len);
}


void dt_jw_hex(dt_jw *w, const void *b, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = b;
    sep(w);
    put_c(w, '"');
    /* as many bytes as the buffer has room for at a time, without a bound
     * check per digit: payloads (KDNET, -V's "raw") are long */
    while (len) {
        size_t room = (sizeof w->buf - w->used) / 2;
        if (!room) {
            dt_jw_flush(w);
            continue;
        }
        size_t n = len < room ? len : room;
        char *o = w->buf + w->used;
        for (size_t i = 0; i < n; i++) {
            o[2 * i] = digits[p[i] >> 4];
            o[2 * i + 1] = digits[p[i] & 15];
        }
        w->used += 2 * n;
        p += n;
        len -= n;
    }
    put_c(w, '"');
}

void dt_jw_uint_slow(dt_jw *w, uint64_t v)
{
    sep(w);
    put_u64(w, v);
}

void dt_jw_uint_str(dt_jw *w, uint64_t v)
{
    sep(w);
    put_c(w, '"');
    put_u64(w, v);
    put_c(w, '"');
}

void dt_jw_int_str(dt_jw *w, int64_t v)
{
    sep(w);
    put_c(w, '"');
    if (v < 0)
        put_c(w, '-');
    put_u64(w, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    put_c(w, '"');
}

void dt_jw_int(dt_jw *w, int64_t v)
{
    sep(w);
    if (v < 0) {
        put_c(w, '-');
        put_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(w, (uint64_t)v);
    }
}

void dt_jw_decimal(dt_jw *w, uint64_t whole, uint32_t frac9)
{
    char tmp[10];
    sep(w);
    put_u64(w, whole);
    tmp[0] = '.';
    for (int i = 9; i >= 1; i--, frac9 /= 10)
        tmp[i] = (char)('0' + frac9 % 10);
    put(w, tmp, sizeof tmp);
}

void dt_jw_double(dt_jw *w, double v)
{
    char tmp[32];
    if (!isfinite(v)) {
        dt_jw_null(w);
        return;
    }
    sep(w);
    int n = snprintf(tmp, sizeof tmp, "%.17g", v);
    put(w, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void dt_jw_raw(dt_jw *w, const char *json, size_t len)
{
    sep(w);
    put(w, json, len);
}

void dt_jw_bool_slow(dt_jw *w, bool v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void dt_jw_null_slow(dt_jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void dt_jw_newline(dt_jw *w)
{
    put_c(w, '\n');
    dt_jw_flush(w);
    dt_jw_init(w, w->f);
}
