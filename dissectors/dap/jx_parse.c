/* JSON bodies into a flat node array. jsmn tokenizes without allocating; the
 * walk below checks what jsmn leaves loose (separators, number and literal
 * spelling, escapes, UTF-8, control characters) so that the fast path
 * accepts exactly what jansson's json_loadb(JSON_ALLOW_NUL) accepts, with the
 * same values. Whatever it is unsure of goes to jansson, whose tree is then
 * copied into nodes: errors and odd inputs read exactly as before. */
#include "jsonx.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#define JX_STACK_TOKENS 256
#define JX_FAST_NODES 384 /* the one-pass parser's nodes, on the stack */
#define JX_FAST_DEPTH 64
#define JX_MAX_DEPTH 2000 /* jansson refuses beyond 2048: leave that edge to it */
#define JX_STR_SLACK 16 /* scan_string may write this far past a string's end */

typedef struct builder {
    const char *js;
    size_t len;        /* of js (the one-pass parser) */
    const jsmntok_t *tok;
    size_t ntok, next; /* tokens, and the next one to take */
    jx_node *nodes;    /* one per token */
    char *str;         /* unescaped strings, each NUL-terminated */
    size_t str_used;
    size_t pos; /* end of what has been checked */
    int depth;
    bool nul; /* the last string taken held a NUL (only \u0000 can: raw controls are refused) */
} builder;

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* js[from, to) is blanks around exactly one sep (or only blanks when sep is 0). */
static bool gap(const char *js, size_t from, size_t to, char sep)
{
    size_t i = from;
    while (i < to && is_ws(js[i]))
        i++;
    if (sep) {
        if (i >= to || js[i] != sep)
            return false;
        i++;
        while (i < to && is_ws(js[i]))
            i++;
    }
    return i == to;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static long hex4(const unsigned char *p, const unsigned char *e)
{
    if (e - p < 4)
        return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *out, long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *e)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if ((size_t)(e - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (p[k] < 0x80 || p[k] > 0xBF)
            return 0;
    return n;
}

/* The string whose body starts at p, up to its closing quote (before e):
 * unescaped into b->str as nd. Returns the closing quote, or NULL when the
 * string is unterminated or holds what jansson refuses. */
/* Bytes a string's scan stops at: controls, '"', '\\' and every byte
 * >= 0x80 (UTF-8 is checked); 0 for the rest, copied as they are. */
static const uint8_t str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

#if defined(__SSE2__)
/* Bit k set when p[k] stops the scan (str_stop), for 16 bytes at once:
 * below 0x20 or from 0x80 on is one signed compare. */
static inline unsigned stop_mask16(__m128i v)
{
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

static const unsigned char *scan_string(builder *b, const unsigned char *p, const unsigned char *e, jx_node *nd)
{
    char *out = b->str + b->str_used;
    size_t n = 0;
    for (;;) {
#if defined(__SSE2__)
        /* 16 bytes a round, stored whole before they are tested: b->str has
         * JX_STR_SLACK bytes to spare, and what follows a stop is written
         * again. A string's end is a stop, so most keys and values end in
         * their first round; the body's last 15 bytes go the byte way. */
        while (e - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)p);
            _mm_storeu_si128((__m128i *)(out + n), v);
            unsigned m = stop_mask16(v);
            if (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                p += k;
                n += k;
                goto stopped;
            }
            p += 16;
            n += 16;
        }
#endif
        {
            const unsigned char *run = p;
            /* four bytes a round while none stops the scan */
            while (e - p >= 4 && !(str_stop[p[0]] | str_stop[p[1]] | str_stop[p[2]] | str_stop[p[3]]))
                p += 4;
            while (p < e && !str_stop[*p])
                p++;
            memcpy(out + n, run, (size_t)(p - run));
            n += (size_t)(p - run);
        }
        if (p == e)
            return NULL;
#if defined(__SSE2__)
    stopped:
#endif
        if (*p == '"')
            break;
        if (*p < 0x20)
            return NULL; /* a raw control character: jansson's error */
        if (*p >= 0x80) {
            size_t k = utf8_len(p, e);
            if (!k)
                return NULL;
            memcpy(out + n, p, k);
            n += k;
            p += k;
            continue;
        }
        /* an escape */
        if (e - p < 2)
            return NULL;
        unsigned char c = p[1];
        p += 2;
        switch (c) {
        case '"': case '\\': case '/': out[n++] = (char)c; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            long cp = hex4(p, e);
            if (cp < 0)
                return NULL;
            p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return NULL; /* a lone low surrogate */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (e - p < 6 || p[0] != '\\' || p[1] != 'u')
                    return NULL;
                long lo = hex4(p + 2, e);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return NULL;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0)
                b->nul = true;
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            return NULL;
        }
    }
    out[n] = '\0';
    nd->type = JX_STRING;
    nd->s = out;
    nd->n = n;
    b->str_used += n + 1;
    return p;
}

static bool take_string(builder *b, const jsmntok_t *t, jx_node *nd)
{
    const unsigned char *js = (const unsigned char *)b->js;
    return scan_string(b, js + t->start, js + t->end + 1, nd) == js + t->end;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool take_primitive(const char *s, size_t n, jx_node *nd)
{
    if (n == 4 && memcmp(s, "true", 4) == 0) {
        nd->type = JX_TRUE;
        return true;
    }
    if (n == 5 && memcmp(s, "false", 5) == 0) {
        nd->type = JX_FALSE;
        return true;
    }
    if (n == 4 && memcmp(s, "null", 4) == 0) {
        nd->type = JX_NULL;
        return true;
    }
    /* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
    size_t i = 0;
    bool real = false;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && is_digit(s[i]))
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        real = true;
        i++;
        if (i >= n || !is_digit(s[i]))
            return false;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        real = true;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return false;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i != n)
        return false;
    if (!real && n - (s[0] == '-') <= 18) { /* fits in int64 whatever the digits: no strtoll */
        int64_t v = 0;
        for (size_t k = s[0] == '-'; k < n; k++)
            v = v * 10 + (s[k] - '0');
        nd->type = JX_INTEGER;
        nd->i = s[0] == '-' ? -v : v;
        return true;
    }
    char num[64];
    if (n >= sizeof num)
        return false;
    memcpy(num, s, n);
    num[n] = '\0';
    errno = 0;
    if (real) {
        double d = strtod(num, NULL);
        if (isinf(d))
            return false; /* jansson: real number overflow */
        nd->type = JX_REAL;
        nd->d = d;
    } else {
        long long v = strtoll(num, NULL, 10);
        if (errno == ERANGE)
            return false; /* jansson: too big integer */
        nd->type = JX_INTEGER;
        nd->i = v;
    }
    return true;
}

static bool build_value(builder *b, char sep, bool is_key)
{
    if (b->next >= b->ntok)
        return false;
    size_t idx = b->next++;
    const jsmntok_t *t = &b->tok[idx];
    jx_node *nd = &b->nodes[idx];
    bool quoted = t->type == JSMN_STRING;
    size_t rs = (size_t)t->start - quoted, re = (size_t)t->end + quoted;
    if (t->start < 0 || t->end < t->start || !gap(b->js, b->pos, rs, sep))
        return false;
    *nd = (jx_node){ 0 }; /* doc_alloc does not zero */
    switch (t->type) {
    case JSMN_STRING:
        b->nul = false;
        if (t->size != (is_key ? 1 : 0) || !take_string(b, t, nd))
            return false;
        if (is_key && b->nul)
            return false; /* jansson: NUL byte in object key not supported */
        break;
    case JSMN_PRIMITIVE:
        if (is_key || t->size != 0 || !take_primitive(b->js + t->start, (size_t)(t->end - t->start), nd))
            return false;
        break;
    case JSMN_OBJECT:
    case JSMN_ARRAY: {
        bool obj = t->type == JSMN_OBJECT;
        if (is_key || ++b->depth > JX_MAX_DEPTH || t->size < 0)
            return false;
        nd->type = obj ? JX_OBJECT : JX_ARRAY;
        nd->n = (size_t)t->size;
        b->pos = rs + 1;
        for (size_t k = 0; k < nd->n; k++) {
            if (!build_value(b, k ? ',' : 0, obj))
                return false;
            if (obj && !build_value(b, ':', false))
                return false;
        }
        if (re < 1 || b->js[re - 1] != (obj ? '}' : ']') || !gap(b->js, b->pos, re - 1, 0))
            return false;
        b->depth--;
        break;
    }
    default:
        return false;
    }
    b->pos = re;
    nd->skip = (uint32_t)(b->next - idx);
    return true;
}

/* ---- the one-pass parser: the common case, with no token array.
 * It accepts only well-formed JSON that the token walk above accepts too,
 * and builds the same nodes; on anything else (or more than JX_FAST_NODES
 * nodes, or deeper than JX_FAST_DEPTH) it gives up and the token walk runs,
 * which hands what it is unsure of to jansson. */

static void skip_ws(builder *b)
{
    while (b->pos < b->len && is_ws(b->js[b->pos]))
        b->pos++;
}

static jx_node *fast_node(builder *b)
{
    if (b->next == b->ntok)
        return NULL;
    jx_node *nd = &b->nodes[b->next++];
    *nd = (jx_node){ .skip = 1 };
    return nd;
}

/* a string at b->pos (its opening quote) */
static bool fast_string(builder *b, jx_node *nd)
{
    const unsigned char *js = (const unsigned char *)b->js;
    const unsigned char *q = scan_string(b, js + b->pos + 1, js + b->len, nd);
    if (!q)
        return false;
    b->pos = (size_t)(q - js) + 1;
    return true;
}

/* what ends a number or literal: a number followed by anything else is
 * refused by take_primitive or by the structure check after it */
static bool ends_primitive(char c) { return is_ws(c) || c == ',' || c == ']' || c == '}'; }

static bool fast_value(builder *b)
{
    if (b->pos >= b->len)
        return false;
    size_t idx = b->next;
    jx_node *nd = fast_node(b);
    if (!nd)
        return false;
    char c = b->js[b->pos];
    if (c == '"') {
        if (!fast_string(b, nd))
            return false;
    } else if (c == '{' || c == '[') {
        bool obj = c == '{';
        char close = obj ? '}' : ']';
        if (++b->depth > JX_FAST_DEPTH)
            return false;
        nd->type = obj ? JX_OBJECT : JX_ARRAY;
        b->pos++;
        skip_ws(b);
        size_t count = 0;
        if (b->pos < b->len && b->js[b->pos] == close) {
            b->pos++;
        } else {
            for (;;) {
                if (obj) {
                    jx_node *k;
                    if (b->pos >= b->len || b->js[b->pos] != '"' || !(k = fast_node(b)))
                        return false;
                    b->nul = false;
                    if (!fast_string(b, k) || b->nul)
                        return false; /* jansson: NUL byte in object key not supported */
                    skip_ws(b);
                    if (b->pos >= b->len || b->js[b->pos] != ':')
                        return false;
                    b->pos++;
                    skip_ws(b);
                }
                if (!fast_value(b))
                    return false;
                count++;
                skip_ws(b);
                if (b->pos >= b->len)
                    return false;
                char d = b->js[b->pos++];
                if (d == close)
                    break;
                if (d != ',')
                    return false;
                skip_ws(b);
            }
        }
        b->depth--;
        b->nodes[idx].n = count;
    } else {
        size_t start = b->pos;
        while (b->pos < b->len && !ends_primitive(b->js[b->pos]))
            b->pos++;
        if (!take_primitive(b->js + start, b->pos - start, nd))
            return false;
    }
    b->nodes[idx].skip = (uint32_t)(b->next - idx);
    return true;
}

/* Returns the node count, 0 when the token walk must decide. */
static size_t parse_fast(builder *b, jx_node *nodes, size_t cap)
{
    b->nodes = nodes;
    b->ntok = cap;
    skip_ws(b);
    if (b->pos >= b->len || (b->js[b->pos] != '{' && b->js[b->pos] != '['))
        return 0;
    if (!fast_value(b))
        return 0;
    skip_ws(b);
    return b->pos == b->len ? b->next : 0;
}

/* Not zeroed: every node and string byte is written before it is read.
 * Scratch, not the event's memory: fields copy what they keep of it, and a
 * render thread then keeps the event without the parse (~10 KB a message). */
static void *doc_alloc(dt_ctx *ctx, jx_doc *doc, int slot, size_t size)
{
    void *p = ctx ? dt_scratch(ctx, size) : NULL;
    if (!p) {
        p = malloc(size ? size : 1);
        doc->heap[slot] = p;
    }
    return p;
}

void jx_doc_free(jx_doc *doc)
{
    for (size_t i = 0; i < sizeof doc->heap / sizeof doc->heap[0]; i++) {
        free(doc->heap[i]);
        doc->heap[i] = NULL;
    }
    doc->root = NULL;
}

/* ---- the slow path: jansson's tree copied into nodes */

static void count_tree(const json_t *v, size_t *nodes, size_t *bytes)
{
    const char *key;
    json_t *m;
    size_t i;
    ++*nodes;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, key, m) {
            ++*nodes;
            *bytes += strlen(key) + 1;
            count_tree(m, nodes, bytes);
        }
        break;
    case JSON_ARRAY:
        json_array_foreach(v, i, m)
            count_tree(m, nodes, bytes);
        break;
    case JSON_STRING:
        *bytes += json_string_length(v) + 1;
        break;
    default:
        break;
    }
}

static void set_string(builder *b, jx_node *nd, const char *s, size_t n)
{
    char *out = b->str + b->str_used;
    memcpy(out, s, n);
    out[n] = '\0';
    b->str_used += n + 1;
    nd->type = JX_STRING;
    nd->s = out;
    nd->n = n;
}

static void copy_tree(builder *b, const json_t *v)
{
    size_t idx = b->next++;
    jx_node *nd = &b->nodes[idx];
    memset(nd, 0, sizeof *nd);
    const char *key;
    json_t *m;
    size_t i;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        nd->type = JX_OBJECT;
        nd->n = json_object_size(v);
        json_object_foreach((json_t *)v, key, m) {
            jx_node *k = &b->nodes[b->next++];
            memset(k, 0, sizeof *k);
            set_string(b, k, key, strlen(key));
            k->skip = 1;
            copy_tree(b, m);
        }
        break;
    case JSON_ARRAY:
        nd->type = JX_ARRAY;
        nd->n = json_array_size(v);
        json_array_foreach(v, i, m)
            copy_tree(b, m);
        break;
    case JSON_STRING:
        set_string(b, nd, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        nd->type = JX_INTEGER;
        nd->i = (int64_t)json_integer_value(v);
        break;
    case JSON_REAL:
        nd->type = JX_REAL;
        nd->d = json_real_value(v);
        break;
    case JSON_TRUE:
        nd->type = JX_TRUE;
        break;
    case JSON_FALSE:
        nd->type = JX_FALSE;
        break;
    case JSON_NULL:
        nd->type = JX_NULL;
        break;
    }
    nd->skip = (uint32_t)(b->next - idx);
}

static bool parse_slow(dt_ctx *ctx, const char *body, size_t len, jx_doc *doc, jx_error *err)
{
    json_error_t jerr;
    json_t *v = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
    if (!v) {
        err->position = jerr.position > 0 ? (size_t)jerr.position : 0;
        err->line = jerr.line;
        err->column = jerr.column;
        snprintf(err->text, sizeof err->text, "%s", jerr.text);
        return false;
    }
    size_t nodes = 0, bytes = 1;
    count_tree(v, &nodes, &bytes);
    builder b = { 0 };
    b.nodes = doc_alloc(ctx, doc, 0, nodes * sizeof(jx_node));
    b.str = doc_alloc(ctx, doc, 1, bytes);
    if (!b.nodes || !b.str) {
        json_decref(v);
        jx_doc_free(doc);
        snprintf(err->text, sizeof err->text, "out of memory");
        return false;
    }
    copy_tree(&b, v);
    json_decref(v);
    doc->root = b.nodes;
    return true;
}

bool jx_parse(dt_ctx *ctx, const char *body, size_t len, jx_doc *doc, jx_error *err)
{
    memset(doc, 0, sizeof *doc);
    memset(err, 0, sizeof *err);
    if (len > UINT32_MAX) { /* jx_node's counts are 32-bit */
        snprintf(err->text, sizeof err->text, "JSON text of %zu bytes is too large", len);
        return false;
    }
    if (len == 0 || len > INT_MAX / 2)
        return parse_slow(ctx, body, len, doc, err);
    char *str = doc_alloc(ctx, doc, 1, len + 1 + JX_STR_SLACK);
    if (str) {
        /* in the scratch arena at once when there is one (reset with the
         * event: the unused rest costs nothing); else on the stack, then
         * copied to the heap */
        jx_node stack[JX_FAST_NODES];
        jx_node *fast = ctx ? dt_scratch(ctx, sizeof stack) : NULL;
        builder fb = { .js = body, .len = len, .str = str };
        size_t n = parse_fast(&fb, fast ? fast : stack, JX_FAST_NODES);
        jx_node *nodes = n && !fast ? doc_alloc(ctx, doc, 0, n * sizeof(jx_node)) : fast;
        if (n && nodes) {
            if (!fast)
                memcpy(nodes, stack, n * sizeof(jx_node));
            doc->root = nodes;
            return true;
        }
    }
    jsmntok_t stack[JX_STACK_TOKENS];
    jsmntok_t *tok = stack;
    size_t cap = JX_STACK_TOKENS;
    jsmn_parser p;
    jsmn_init(&p);
    int r;
    /* jsmn resumes where it ran out of tokens: grow and go on */
    while ((r = jsmn_parse(&p, body, len, tok, (unsigned)cap)) == JSMN_ERROR_NOMEM && cap < len + 2) {
        size_t ncap = cap * 4;
        jsmntok_t *t2 = tok == stack ? malloc(ncap * sizeof *t2) : realloc(tok, ncap * sizeof *t2);
        if (!t2)
            break;
        if (tok == stack)
            memcpy(t2, stack, sizeof stack);
        tok = t2;
        cap = ncap;
    }
    if (tok != stack)
        doc->heap[2] = tok;
    bool ok = false;
    if (r > 0 && (tok[0].type == JSMN_OBJECT || tok[0].type == JSMN_ARRAY)) {
        builder b = { .js = body, .tok = tok, .ntok = (size_t)r };
        b.nodes = doc_alloc(ctx, doc, 0, (size_t)r * sizeof(jx_node));
        b.str = str;
        ok = b.nodes && b.str && build_value(&b, 0, false) && b.next == b.ntok && gap(body, b.pos, len, 0);
        if (ok)
            doc->root = b.nodes;
    }
    free(doc->heap[2]);
    doc->heap[2] = NULL;
    if (ok)
        return true;
    jx_doc_free(doc);
    return parse_slow(ctx, body, len, doc, err);
}

/* ---- access */

const jx_node *jx_at(const jx_node *arr, size_t i)
{
    if (!jx_is_array(arr) || i >= arr->n)
        return NULL;
    jx_node *a = (jx_node *)arr; /* the cursor only; nodes are never const objects */
    size_t j = 0;
    const jx_node *p = arr + 1;
    if (a->at_p && a->at_i <= i) {
        j = a->at_i;
        p = a->at_p;
    }
    for (; j < i; j++)
        p += p->skip;
    a->at_i = i;
    a->at_p = p;
    return p;
}

static bool seen_before(const jx_node *obj, const jx_node *key)
{
    for (const jx_node *k = obj + 1; k < key; k = k + 1 + (k + 1)->skip)
        if (k->n == key->n && memcmp(k->s, key->s, k->n) == 0)
            return true;
    return false;
}

const jx_node *jx_first_key(const jx_node *obj)
{
    return jx_is_object(obj) && obj->n > 0 ? obj + 1 : NULL;
}

const jx_node *jx_next_key(const jx_node *obj, const jx_node *key)
{
    const jx_node *end = obj + obj->skip;
    for (const jx_node *k = key + 1 + (key + 1)->skip; k < end; k = k + 1 + (k + 1)->skip)
        if (!seen_before(obj, k))
            return k;
    return NULL;
}
