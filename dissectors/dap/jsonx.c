/* Member access over parsed JSON (jx_parse.c) and one-line text for summaries. */
#include "jsonx.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

bool jx_int_value(const jx_node *v, int64_t *out)
{
    if (jx_is_integer(v)) {
        *out = v->i;
        return true;
    }
    if (jx_is_real(v)) {
        double d = v->d;
        if (d == floor(d) && fabs(d) < 9.0e18) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

static const char ELLIPSIS[] = "\xe2\x80\xa6"; /* U+2026 */

size_t jx_line(char *out, size_t outsz, const char *s, size_t len, size_t max)
{
    if (outsz == 0)
        return 0;
    if (max > outsz - 1)
        max = outsz - 1;
    /* Drop trailing line breaks and blanks. */
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    bool more = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' || s[i] == '\r') {
            len = i;
            more = true;
            break;
        }
    }
    if (len > max) {
        more = true;
        len = max >= sizeof ELLIPSIS ? max - (sizeof ELLIPSIS - 1) : max;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--; /* do not split a UTF-8 sequence */
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[n++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    if (more && n + sizeof ELLIPSIS <= outsz) {
        memcpy(out + n, ELLIPSIS, sizeof ELLIPSIS - 1);
        n += sizeof ELLIPSIS - 1;
    }
    out[n] = '\0';
    return n;
}

size_t jx_flat(char *out, size_t outsz, const char *s, size_t len, size_t max)
{
    if (outsz == 0)
        return 0;
    if (max > outsz - 1)
        max = outsz - 1;
    size_t n = 0, i = 0;
    bool space = false, more = false;
    while (i < len && ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f))
        i++;
    for (; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch == 0x7f) {
            space = true;
            continue;
        }
        size_t need = space ? 2 : 1;
        if (n + need > max) {
            more = true;
            break;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)ch;
    }
    if (more) {
        /* room for the ellipsis, without splitting a UTF-8 sequence */
        size_t keep = max >= sizeof ELLIPSIS ? max - (sizeof ELLIPSIS - 1) : 0;
        if (n > keep) {
            n = keep;
            while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80)
                n--;
        }
        memcpy(out + n, ELLIPSIS, sizeof ELLIPSIS - 1);
        n += sizeof ELLIPSIS - 1;
    }
    out[n] = '\0';
    return n;
}

const char *jx_basename(const char *path, size_t len, size_t *out_len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/' || path[i] == '\\')
            start = i + 1;
    if (start == len) /* "dir/": keep it whole */
        start = 0;
    *out_len = len - start;
    return path + start;
}

static size_t put(char *out, size_t outsz, size_t n, const char *s)
{
    size_t k = strlen(s);
    if (n + k >= outsz)
        k = n + 1 < outsz ? outsz - 1 - n : 0;
    memcpy(out + n, s, k);
    n += k;
    out[n] = '\0';
    return n;
}

static size_t render_scalar(char *out, size_t outsz, const jx_node *v, size_t max)
{
    char tmp[64];
    switch (v->type) {
    case JX_STRING:
        return jx_line(out, outsz, v->s, v->n, max);
    case JX_INTEGER:
        snprintf(tmp, sizeof tmp, "%" PRId64, v->i);
        break;
    case JX_REAL:
        snprintf(tmp, sizeof tmp, "%g", v->d);
        break;
    case JX_TRUE:
        snprintf(tmp, sizeof tmp, "true");
        break;
    case JX_FALSE:
        snprintf(tmp, sizeof tmp, "false");
        break;
    case JX_NULL:
        snprintf(tmp, sizeof tmp, "null");
        break;
    case JX_OBJECT:
        snprintf(tmp, sizeof tmp, "{%zu}", (size_t)v->n);
        break;
    case JX_ARRAY:
        snprintf(tmp, sizeof tmp, "[%zu]", (size_t)v->n);
        break;
    }
    out[0] = '\0';
    return put(out, outsz, 0, tmp);
}

size_t jx_render(char *out, size_t outsz, const jx_node *v, size_t max)
{
    if (outsz == 0)
        return 0;
    out[0] = '\0';
    if (!v)
        return 0;
    if (!jx_is_array(v))
        return render_scalar(out, outsz, v, max);
    size_t n = put(out, outsz, 0, "[");
    for (size_t i = 0; i < jx_size(v); i++) {
        char item[128];
        render_scalar(item, sizeof item, jx_at(v, i), 60);
        if (n + strlen(item) + 8 > max || n + strlen(item) + 8 > outsz) {
            n = put(out, outsz, n, i ? ", " : "");
            n = put(out, outsz, n, ELLIPSIS);
            break;
        }
        if (i)
            n = put(out, outsz, n, ", ");
        n = put(out, outsz, n, item);
    }
    return put(out, outsz, n, "]");
}

dt_field *jx_add_str(dt_ctx *ctx, dt_field *parent, const dt_field_def *f, size_t off, size_t len, const jx_node *obj,
                     const char *key)
{
    size_t n;
    const char *s = jx_str(obj, key, &n);
    return s ? dt_add_string(ctx, parent, f, off, len, s, n) : NULL;
}
