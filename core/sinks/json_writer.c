#include "json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "format.h"

void dt_json_write_string(FILE *f, const void *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = s;
    size_t run = 0; /* bytes at p[i - run .. i) to copy as they are */
    putc('"', f);
    for (size_t i = 0; i < len;) {
        uint8_t b = p[i];
        const char *esc = NULL;
        char u[7];
        size_t n = 1;
        if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
            run++;
            i++;
            continue;
        }
        if (b >= 0x80) {
            if (dt_utf8_next(p + i, len - i, &n) >= 0) {
                run += n;
                i += n;
                continue;
            }
            esc = "\\ufffd";
        } else {
            switch (b) {
            case '"': esc = "\\\""; break;
            case '\\': esc = "\\\\"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            default:
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
                u[4] = hex[b >> 4], u[5] = hex[b & 15], u[6] = '\0';
                esc = u;
            }
        }
        if (run)
            fwrite(p + i - run, 1, run, f);
        run = 0;
        fputs(esc, f);
        i += n;
    }
    if (run)
        fwrite(p + len - run, 1, run, f);
    putc('"', f);
}

void dt_jw_init(dt_jw *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->after_key = false;
    w->has_items[0] = false;
}

/* Comma before a value or key that is not the first of its container. */
static void sep(dt_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && w->has_items[w->depth])
        putc(',', w->f);
    w->has_items[w->depth] = true;
}

static bool jw_open(dt_jw *w, char c)
{
    if (w->depth + 1 >= DT_JW_MAX_DEPTH)
        return false;
    sep(w);
    putc(c, w->f);
    w->has_items[++w->depth] = false;
    return true;
}

static void jw_close(dt_jw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    putc(c, w->f);
}

bool dt_jw_begin_object(dt_jw *w) { return jw_open(w, '{'); }
void dt_jw_end_object(dt_jw *w) { jw_close(w, '}'); }
bool dt_jw_begin_array(dt_jw *w) { return jw_open(w, '['); }
void dt_jw_end_array(dt_jw *w) { jw_close(w, ']'); }

void dt_jw_key(dt_jw *w, const char *key)
{
    sep(w);
    dt_json_write_string(w->f, key, strlen(key));
    putc(':', w->f);
    w->after_key = true;
}

void dt_jw_string(dt_jw *w, const void *s, size_t len)
{
    sep(w);
    dt_json_write_string(w->f, s, len);
}

void dt_jw_cstr(dt_jw *w, const char *s)
{
    if (!s)
        dt_jw_null(w);
    else
        dt_jw_string(w, s, strlen(s));
}

void dt_jw_hex(dt_jw *w, const void *b, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = b;
    sep(w);
    putc('"', w->f);
    for (size_t i = 0; i < len; i++) {
        putc(digits[p[i] >> 4], w->f);
        putc(digits[p[i] & 15], w->f);
    }
    putc('"', w->f);
}

void dt_jw_uint(dt_jw *w, uint64_t v)
{
    sep(w);
    fprintf(w->f, "%" PRIu64, v);
}

void dt_jw_int(dt_jw *w, int64_t v)
{
    sep(w);
    fprintf(w->f, "%" PRId64, v);
}

void dt_jw_decimal(dt_jw *w, uint64_t whole, uint32_t frac9)
{
    sep(w);
    fprintf(w->f, "%" PRIu64 ".%09" PRIu32, whole, frac9);
}

void dt_jw_double(dt_jw *w, double v)
{
    if (!isfinite(v)) {
        dt_jw_null(w);
        return;
    }
    sep(w);
    fprintf(w->f, "%.17g", v);
}

void dt_jw_bool(dt_jw *w, bool v)
{
    sep(w);
    fputs(v ? "true" : "false", w->f);
}

void dt_jw_null(dt_jw *w)
{
    sep(w);
    fputs("null", w->f);
}

void dt_jw_newline(dt_jw *w)
{
    putc('\n', w->f);
    dt_jw_init(w, w->f);
}
