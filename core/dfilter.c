/* The display-filter language: lexer, recursive-descent parser into a flat
 * node array, and the evaluator. See docs/filters.md for the grammar. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "dfilter.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform.h"
#include "sinks/format.h"
#include "timerange.h"

#define MAX_DEFS 8   /* field definitions sharing one abbreviation */
#define MAX_DEPTH 64 /* field tree depth walked */

/* ---- tokens ---- */

typedef enum tok_type {
    T_END, T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_COMMA, T_DOTDOT,
    T_AND, T_OR, T_NOT,
    T_EQ, T_NE, T_ALL_EQ, T_ANY_NE, T_LT, T_LE, T_GT, T_GE, T_CONTAINS, T_MATCHES, T_IN,
    T_WORD, T_STRING,
} tok_type;

typedef struct tok {
    tok_type type;
    size_t pos, len; /* where in the expression */
} tok;

/* ---- compiled form ---- */

typedef enum fclass {
    FC_NONE,    /* existence only */
    FC_UINT,
    FC_INT,
    FC_DOUBLE,
    FC_STR,
    FC_BYTES,
    FC_GUID,    /* compared as text */
    FC_IP4,
    FC_IP6,
    FC_ABSTIME, /* ns since the epoch */
    FC_RELTIME, /* ns */
    FC_ENDPOINT, /* conv.client/conv.server: "host:port" text, or its host as an address */
} fclass;

typedef enum efield {
    EF_TREE, EF_PROTOCOL, EF_PROTO, EF_DIR, EF_ROLE, EF_KIND, EF_LATENCY, EF_STATUS, EF_IS_ERROR, EF_MALFORMED,
    EF_SUMMARY, EF_CHANNEL, EF_CLIENT, EF_SERVER, EF_CLIENT_PORT, EF_SERVER_PORT, EF_CONV_ID, EF_SEQ, EF_REQ_SEQ,
    EF_TIME, EF_LEN, EF_INPUT,
} efield;

static const dt_value_name dir_names[] = { { 0, "c2s" }, { 1, "s2c" }, { 0, NULL } };
static const dt_value_name role_names[] = {
    { DT_ROLE_NONE, "none" }, { DT_ROLE_REQUEST, "request" }, { DT_ROLE_RESPONSE, "response" },
    { DT_ROLE_INTERIM, "interim" }, { 0, NULL } };
static const dt_value_name kind_names[] = {
    { DT_EV_PDU, "pdu" }, { DT_EV_NOTE, "note" }, { DT_EV_ERROR, "error" }, { DT_EV_PENDING, "pending" }, { 0, NULL } };
static const dt_value_name bool_names[] = { { 0, "false" }, { 1, "true" }, { 0, NULL } };

static const struct {
    const char *name;
    efield ef;
    fclass cls;
    const dt_value_name *vals;
} event_fields[] = {
    { "proto", EF_PROTO, FC_STR, NULL },
    { "dir", EF_DIR, FC_UINT, dir_names },
    { "role", EF_ROLE, FC_UINT, role_names },
    { "kind", EF_KIND, FC_UINT, kind_names },
    { "latency", EF_LATENCY, FC_RELTIME, NULL },
    { "status", EF_STATUS, FC_STR, NULL },
    { "is_error", EF_IS_ERROR, FC_UINT, bool_names },
    { "malformed", EF_MALFORMED, FC_UINT, bool_names },
    { "summary", EF_SUMMARY, FC_STR, NULL },
    { "channel", EF_CHANNEL, FC_STR, NULL },
    { "conv.client", EF_CLIENT, FC_ENDPOINT, NULL },
    { "conv.server", EF_SERVER, FC_ENDPOINT, NULL },
    { "conv.client_port", EF_CLIENT_PORT, FC_UINT, NULL },
    { "conv.server_port", EF_SERVER_PORT, FC_UINT, NULL },
    { "conv.id", EF_CONV_ID, FC_UINT, NULL },
    { "seq", EF_SEQ, FC_UINT, NULL },
    { "req_seq", EF_REQ_SEQ, FC_UINT, NULL },
    { "time", EF_TIME, FC_ABSTIME, NULL },
    { "len", EF_LEN, FC_UINT, NULL },
    { "input", EF_INPUT, FC_STR, NULL },
};

typedef struct value {
    fclass cls; /* FC_UINT..: what the literal became */
    bool neg;   /* FC_INT below zero */
    uint64_t u;
    int64_t i;
    double d;
    const char *s; /* FC_STR, FC_BYTES, FC_GUID: in the string pool */
    size_t len;
    uint8_t b16[16];
    uint32_t ip4; /* network order */
    int prefix;   /* CIDR bits */
} value;

typedef struct set_elem {
    value lo, hi;
    bool range;
} set_elem;

typedef enum node_type { N_AND, N_OR, N_NOT, N_TEST } node_type;
typedef enum op { OP_EXISTS, OP_EQ, OP_NE, OP_ALL_EQ, OP_ANY_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_CONTAINS,
                  OP_MATCHES, OP_IN } op;

typedef struct node {
    node_type type;
    int a, b; /* children (AND/OR: both, NOT: a) */
    /* N_TEST */
    efield ef;
    fclass cls;
    const dt_field_def *defs[MAX_DEFS];
    int n_defs;
    const char *proto; /* EF_PROTOCOL: the dissector name */
    op op;
    value v;
    set_elem *set;
    int n_set;
    pcre2_code *re;
    pcre2_match_data *md;
} node;

struct frame {
    int id;
    int state; /* 0: not started, 1: a done, 2: b done */
};

struct dt_dfilter {
    node *nodes;
    struct frame *frames; /* evaluation stack, one per node at most */
    int n_nodes, root;
    set_elem *elems;
    int n_elems;
    char *pool; /* unescaped strings */
    size_t pool_used;
};

typedef struct parser {
    const char *src;
    const dt_registry *reg;
    dt_dfilter *f;
    tok cur;
    size_t at; /* lexer position */
    char *err;
    size_t errsz;
    bool failed;
    int depth;
} parser;

/* ---- errors ---- */

static void fail_at(parser *p, size_t pos, size_t len, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(p->src);
    if (pos > n)
        pos = n;
    if (len == 0)
        len = 1;
    /* the caret line: spaces up to the token, ^ then ~ under the rest of it */
    char caret[512];
    size_t k = 0;
    for (size_t i = 0; i < pos && k < sizeof caret - 2; i++)
        caret[k++] = p->src[i] == '\t' ? '\t' : ' ';
    for (size_t i = 0; i < len && k < sizeof caret - 1; i++)
        caret[k++] = i == 0 ? '^' : '~';
    caret[k] = '\0';
    snprintf(p->err, p->errsz, "%s\n%s\n%s", msg, p->src, caret);
}

/* ---- lexer ---- */

static bool word_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '/' || c == '-' || c == '+' || c >= 0x80;
}

static void next(parser *p)
{
    const char *s = p->src;
    size_t i = p->at;
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
        i++;
    tok t = { T_END, i, 0 };
    char c = s[i];
    if (!c) {
        p->cur = t;
        p->at = i;
        return;
    }
    struct { const char *text; tok_type type; } puncts[] = {
        { "===", T_ALL_EQ }, { "!==", T_ANY_NE }, { "==", T_EQ }, { "!=", T_NE }, { "~=", T_ANY_NE }, { "~", T_MATCHES },
        { "<=", T_LE }, { ">=", T_GE }, { "&&", T_AND }, { "||", T_OR }, { "..", T_DOTDOT }, { "<", T_LT },
        { ">", T_GT }, { "!", T_NOT }, { "(", T_LPAREN }, { ")", T_RPAREN }, { "{", T_LBRACE },
        { "}", T_RBRACE }, { ",", T_COMMA }, { "=", T_EQ },
    };
    for (size_t k = 0; k < sizeof puncts / sizeof puncts[0]; k++) {
        size_t n = strlen(puncts[k].text);
        if (strncmp(s + i, puncts[k].text, n) == 0) {
            t.type = puncts[k].type;
            t.len = n;
            p->cur = t;
            p->at = i + n;
            return;
        }
    }
    if (c == '"') {
        size_t j = i + 1;
        while (s[j] && s[j] != '"')
            j += s[j] == '\\' && s[j + 1] ? 2 : 1;
        if (!s[j]) {
            fail_at(p, i, j - i, "unterminated string");
            t.type = T_END;
            p->cur = t;
            p->at = j;
            return;
        }
        t.type = T_STRING;
        t.len = j + 1 - i;
        p->cur = t;
        p->at = j + 1;
        return;
    }
    if (word_char((unsigned char)c)) {
        size_t j = i;
        /* a word stops before ".." so that 3..5 is a range */
        while (word_char((unsigned char)s[j]) && !(s[j] == '.' && s[j + 1] == '.'))
            j++;
        t.type = T_WORD;
        t.len = j - i;
        static const struct { const char *w; tok_type type; } kw[] = {
            { "and", T_AND }, { "or", T_OR }, { "not", T_NOT }, { "eq", T_EQ }, { "ne", T_NE },
            { "any_eq", T_EQ }, { "all_ne", T_NE }, { "all_eq", T_ALL_EQ }, { "any_ne", T_ANY_NE },
            { "lt", T_LT }, { "le", T_LE }, { "gt", T_GT }, { "ge", T_GE }, { "contains", T_CONTAINS },
            { "matches", T_MATCHES }, { "in", T_IN }, { "xor", T_END },
        };
        for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
            if (strlen(kw[k].w) == t.len && strncasecmp(s + i, kw[k].w, t.len) == 0 && kw[k].type != T_END)
                t.type = kw[k].type;
        p->cur = t;
        p->at = j;
        return;
    }
    fail_at(p, i, 1, "unexpected '%c'", c);
    t.type = T_END;
    p->cur = t;
    p->at = i + 1;
}

/* The token's text, unescaped when quoted, NUL-terminated in the pool. */
static const char *tok_text(parser *p, const tok *t, size_t *len)
{
    char *out = p->f->pool + p->f->pool_used;
    size_t n = 0;
    const char *s = p->src + t->pos;
    if (t->type == T_STRING) {
        for (size_t i = 1; i + 1 < t->len; i++) {
            char c = s[i];
            if (c == '\\' && i + 2 < t->len) {
                c = s[++i];
                if (c == 'n')
                    c = '\n';
                else if (c == 't')
                    c = '\t';
                else if (c == 'r')
                    c = '\r';
                else if (c == 'x' && i + 3 < t->len && isxdigit((unsigned char)s[i + 1]) &&
                         isxdigit((unsigned char)s[i + 2])) {
                    char hex[3] = { s[i + 1], s[i + 2], 0 };
                    c = (char)strtoul(hex, NULL, 16);
                    i += 2;
                }
            }
            out[n++] = c;
        }
    } else {
        memcpy(out, s, t->len);
        n = t->len;
    }
    out[n] = '\0';
    p->f->pool_used += n + 1;
    *len = n;
    return out;
}

static bool eat(parser *p, tok_type t)
{
    if (p->cur.type != t)
        return false;
    next(p);
    return true;
}

static void unexpected(parser *p, const char *wanted)
{
    if (p->cur.type == T_END)
        fail_at(p, p->cur.pos, 1, "unexpected end of expression (expected %s)", wanted);
    else
        fail_at(p, p->cur.pos, p->cur.len, "unexpected '%.*s' (expected %s)", (int)p->cur.len, p->src + p->cur.pos,
                wanted);
}

static int new_node(parser *p, node_type type)
{
    node *n = &p->f->nodes[p->f->n_nodes];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->a = n->b = -1;
    return p->f->n_nodes++;
}

/* ---- literals ---- */

static bool parse_uint(const char *s, uint64_t *out)
{
    if (!*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(d))
        return false;
    *out = d;
    return true;
}

/* "100ms", "2s", "1.5us", "1m30s", or a bare number of seconds. */
static bool parse_duration(const char *s, uint64_t *ns)
{
    if (parse_double(s, &(double){ 0 })) {
        double d = strtod(s, NULL);
        if (d < 0 || d > 1.8e10)
            return false;
        *ns = (uint64_t)llround(d * 1e9);
        return true;
    }
    static const struct { const char *unit; double ns; } units[] = {
        { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "min", 60e9 }, { "m", 60e9 },
        { "h", 3600e9 },
    };
    double total = 0;
    const char *at = s;
    while (*at) {
        char *end;
        errno = 0;
        double d = strtod(at, &end);
        if (errno || end == at || d < 0 || !isfinite(d))
            return false;
        size_t k, n = 0;
        for (k = 0; k < sizeof units / sizeof units[0]; k++) {
            n = strlen(units[k].unit);
            if (strncmp(end, units[k].unit, n) == 0 && !isalpha((unsigned char)end[n]))
                break;
        }
        if (k == sizeof units / sizeof units[0])
            return false;
        total += d * units[k].ns;
        at = end + n;
    }
    if (total > 1.8e19)
        return false;
    *ns = (uint64_t)llround(total);
    return true;
}

/* A network-order IPv4 address as a number (ordering comparisons). */
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool parse_cidr(const char *s, int af /* 4 or 6 */, value *v)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int bits = af == 4 ? 32 : 128;
    v->prefix = bits;
    if (slash) {
        uint64_t pfx;
        if (!parse_uint(slash + 1, &pfx) || pfx > (uint64_t)bits)
            return false;
        v->prefix = (int)pfx;
    }
    if (af == 4) {
        v->cls = FC_IP4;
        return dt_ip_parse(4, buf, &v->ip4);
    }
    v->cls = FC_IP6;
    return dt_ip_parse(6, buf, v->b16);
}

static bool parse_hexbytes(parser *p, const char *s, value *v)
{
    char *out = p->f->pool + p->f->pool_used;
    size_t n = 0;
    for (const char *c = s; *c;) {
        if (!isxdigit((unsigned char)c[0]) || !isxdigit((unsigned char)c[1]))
            return false;
        char hex[3] = { c[0], c[1], 0 };
        out[n++] = (char)strtoul(hex, NULL, 16);
        c += 2;
        if (*c == ':' || *c == '-' || *c == '.')
            c++;
    }
    v->s = out;
    v->len = n;
    p->f->pool_used += n + 1;
    return true;
}

static const dt_value_name *vals_of(const node *n, int *which)
{
    for (int i = 0; i < n->n_defs; i++)
        if (n->defs[i]->vals) {
            *which = i;
            return n->defs[i]->vals;
        }
    return NULL;
}

/* Turns the literal token t into a value the test's field can compare with. */
static bool literal(parser *p, node *n, const tok *t, value *v)
{
    size_t len;
    const char *s = tok_text(p, t, &len);
    memset(v, 0, sizeof *v);
    v->cls = n->cls;
    switch (n->cls) {
    case FC_UINT:
    case FC_INT: {
        if (n->cls == FC_INT && s[0] == '-') {
            char *end;
            errno = 0;
            long long x = strtoll(s, &end, 0);
            if (!errno && !*end) {
                v->i = x;
                v->neg = true;
                return true;
            }
        } else if (parse_uint(s, &v->u)) {
            v->i = (int64_t)v->u;
            return true;
        }
        int w = 0;
        const dt_value_name *vals = vals_of(n, &w);
        static const dt_value_name *ev_vals[] = { [EF_DIR] = dir_names, [EF_ROLE] = role_names,
                                                  [EF_KIND] = kind_names, [EF_IS_ERROR] = bool_names,
                                                  [EF_MALFORMED] = bool_names };
        if (!vals && n->ef < (efield)(sizeof ev_vals / sizeof ev_vals[0]))
            vals = ev_vals[n->ef];
        if (!vals && n->n_defs && n->defs[0]->type == DT_FT_BOOL)
            vals = bool_names;
        for (; vals && vals->name; vals++)
            if (strcasecmp(vals->name, s) == 0) {
                v->u = vals->value;
                v->i = (int64_t)vals->value;
                return true;
            }
        fail_at(p, t->pos, t->len, "'%s' is not a number%s", s, vals_of(n, &w) ? " nor a value name of this field" : "");
        return false;
    }
    case FC_DOUBLE:
        if (parse_double(s, &v->d))
            return true;
        fail_at(p, t->pos, t->len, "'%s' is not a number", s);
        return false;
    case FC_STR:
    case FC_GUID:
        v->s = s;
        v->len = len;
        return true;
    case FC_BYTES:
        if (t->type == T_WORD && parse_hexbytes(p, s, v))
            return true;
        v->s = s;
        v->len = len;
        return true;
    case FC_IP4:
        if (parse_cidr(s, 4, v))
            return true;
        fail_at(p, t->pos, t->len, "'%s' is not an IPv4 address or CIDR block", s);
        return false;
    case FC_IP6:
        if (parse_cidr(s, 6, v))
            return true;
        fail_at(p, t->pos, t->len, "'%s' is not an IPv6 address or CIDR block", s);
        return false;
    case FC_ENDPOINT:
        /* an address or CIDR block compares with the host part; anything else with "host:port" as text */
        if (parse_cidr(s, 4, v) || parse_cidr(s, 6, v))
            return true;
        v->cls = FC_STR;
        v->s = s;
        v->len = len;
        return true;
    case FC_ABSTIME: {
        dt_tbound b;
        char why[128];
        if (dt_tbound_parse(s, &b, why, sizeof why) == 0 && b.kind == DT_TB_ABS) {
            v->u = b.ns;
            return true;
        }
        double d;
        if (parse_double(s, &d) && d >= 0) { /* seconds since the epoch */
            v->u = (uint64_t)llround(d * 1e9);
            return true;
        }
        fail_at(p, t->pos, t->len, "'%s' is not a time (\"2026-12-05 10:00:00\", \"2026-12-05T10:00:00Z\" or "
                "seconds since the epoch)", s);
        return false;
    }
    case FC_RELTIME:
        if (parse_duration(s, &v->u))
            return true;
        fail_at(p, t->pos, t->len, "'%s' is not a duration (100ms, 2s, 1.5us, 1m30s)", s);
        return false;
    case FC_NONE:
        fail_at(p, n->ef == EF_PROTOCOL ? t->pos : t->pos, t->len, "this field has no value to compare; test it alone");
        return false;
    }
    return false;
}

/* ---- fields ---- */

static fclass class_of(dt_ftype t)
{
    switch (t) {
    case DT_FT_BOOL: case DT_FT_UINT8: case DT_FT_UINT16: case DT_FT_UINT32: case DT_FT_UINT64: return FC_UINT;
    case DT_FT_INT32: case DT_FT_INT64: return FC_INT;
    case DT_FT_DOUBLE: return FC_DOUBLE;
    case DT_FT_STRING: return FC_STR;
    case DT_FT_BYTES: return FC_BYTES;
    case DT_FT_GUID: return FC_GUID;
    case DT_FT_IPV4: return FC_IP4;
    case DT_FT_IPV6: return FC_IP6;
    case DT_FT_ABSTIME: return FC_ABSTIME;
    case DT_FT_RELTIME: return FC_RELTIME;
    case DT_FT_NONE: break;
    }
    return FC_NONE;
}

static bool resolve_field(parser *p, node *n, const char *name)
{
    for (size_t i = 0; i < sizeof event_fields / sizeof event_fields[0]; i++)
        if (strcmp(event_fields[i].name, name) == 0) {
            n->ef = event_fields[i].ef;
            n->cls = event_fields[i].cls;
            return true;
        }
    n->ef = EF_TREE;
    for (size_t i = 0; p->reg && i < dt_registry_count(p->reg); i++) {
        const dt_dissector *d = dt_registry_at(p->reg, i);
        for (size_t k = 0; k < d->n_fields; k++) {
            const dt_field_def *fd = &d->fields[k];
            if (!fd->abbrev || strcmp(fd->abbrev, name) != 0)
                continue;
            bool dup = false;
            for (int j = 0; j < n->n_defs; j++)
                dup |= n->defs[j] == fd;
            if (!dup && n->n_defs < MAX_DEFS) {
                if (n->n_defs && class_of(fd->type) != n->cls)
                    continue; /* one abbreviation, another type: keep the first */
                n->cls = class_of(fd->type);
                n->defs[n->n_defs++] = fd;
            }
        }
    }
    if (n->n_defs)
        return true;
    for (size_t i = 0; p->reg && i < dt_registry_count(p->reg); i++) {
        const dt_dissector *d = dt_registry_at(p->reg, i);
        if (strcasecmp(d->name, name) == 0) {
            n->ef = EF_PROTOCOL;
            n->cls = FC_NONE;
            n->proto = d->name;
            return true;
        }
    }
    if (strcmp(name, "diagtap") == 0) {
        n->ef = EF_PROTOCOL;
        n->cls = FC_NONE;
        n->proto = "diagtap";
        return true;
    }
    return false;
}

static bool ordered(fclass c)
{
    return c == FC_UINT || c == FC_INT || c == FC_DOUBLE || c == FC_STR || c == FC_ABSTIME || c == FC_RELTIME ||
           c == FC_IP4 || c == FC_IP6 || c == FC_BYTES || c == FC_GUID;
}

static int parse_or(parser *p);

static int parse_test(parser *p)
{
    if (p->cur.type != T_WORD) {
        unexpected(p, "a field name, '!' or '('");
        return -1;
    }
    tok ft = p->cur;
    size_t len;
    const char *name = tok_text(p, &ft, &len);
    int id = new_node(p, N_TEST);
    node *n = &p->f->nodes[id];
    if (!resolve_field(p, n, name)) {
        fail_at(p, ft.pos, ft.len, "no field named '%s'; see diagtap fields", name);
        return -1;
    }
    next(p);
    tok ot = p->cur;
    switch (ot.type) {
    case T_EQ: n->op = OP_EQ; break;
    case T_NE: n->op = OP_NE; break;
    case T_ALL_EQ: n->op = OP_ALL_EQ; break;
    case T_ANY_NE: n->op = OP_ANY_NE; break;
    case T_LT: n->op = OP_LT; break;
    case T_LE: n->op = OP_LE; break;
    case T_GT: n->op = OP_GT; break;
    case T_GE: n->op = OP_GE; break;
    case T_CONTAINS: n->op = OP_CONTAINS; break;
    case T_MATCHES: n->op = OP_MATCHES; break;
    case T_IN: n->op = OP_IN; break;
    default:
        n->op = OP_EXISTS;
        return id;
    }
    next(p);
    if (p->failed)
        return -1;
    if (n->cls == FC_NONE) {
        fail_at(p, ot.pos, ot.len, "'%s' has no value to compare; test it alone", name);
        return -1;
    }
    if ((n->op == OP_LT || n->op == OP_LE || n->op == OP_GT || n->op == OP_GE) && !ordered(n->cls)) {
        fail_at(p, ot.pos, ot.len, "'%s' cannot be ordered", name);
        return -1;
    }
    if (n->op == OP_CONTAINS && n->cls != FC_STR && n->cls != FC_BYTES && n->cls != FC_ENDPOINT) {
        fail_at(p, ot.pos, ot.len, "'contains' needs a text or bytes field; '%s' is not one", name);
        return -1;
    }
    if (n->op == OP_MATCHES) {
        if (p->cur.type != T_STRING && p->cur.type != T_WORD) {
            unexpected(p, "a regular expression in quotes");
            return -1;
        }
        tok rt = p->cur;
        const char *re = tok_text(p, &rt, &len);
        int code;
        PCRE2_SIZE off;
        /* Wireshark's matches is case-insensitive unless the pattern says (?-i) */
        n->re = pcre2_compile((PCRE2_SPTR)re, len, PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off,
                              NULL);
        if (!n->re) {
            PCRE2_UCHAR msg[200];
            pcre2_get_error_message(code, msg, sizeof msg);
            fail_at(p, rt.pos + (rt.type == T_STRING ? 1 : 0) + off, 1, "bad regular expression: %s", (char *)msg);
            return -1;
        }
        (void)pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE);
        n->md = pcre2_match_data_create_from_pattern(n->re, NULL);
        if (!n->md) {
            fail_at(p, rt.pos, rt.len, "out of memory");
            return -1;
        }
        next(p);
        return id;
    }
    if (n->op == OP_IN) {
        if (!eat(p, T_LBRACE)) {
            unexpected(p, "'{'");
            return -1;
        }
        n->set = &p->f->elems[p->f->n_elems];
        while (!p->failed && p->cur.type != T_RBRACE) {
            if (p->cur.type != T_WORD && p->cur.type != T_STRING) {
                unexpected(p, "a value or '}'");
                return -1;
            }
            set_elem *el = &p->f->elems[p->f->n_elems];
            tok lt = p->cur;
            if (!literal(p, n, &lt, &el->lo))
                return -1;
            next(p);
            if (eat(p, T_DOTDOT)) {
                if (!ordered(n->cls)) {
                    fail_at(p, lt.pos, lt.len, "'%s' cannot take a range", name);
                    return -1;
                }
                tok ht = p->cur;
                if (ht.type != T_WORD && ht.type != T_STRING) {
                    unexpected(p, "the end of the range");
                    return -1;
                }
                if (!literal(p, n, &ht, &el->hi))
                    return -1;
                el->range = true;
                next(p);
            }
            p->f->n_elems++;
            n->n_set++;
            eat(p, T_COMMA);
        }
        if (p->failed)
            return -1;
        if (!n->n_set) {
            fail_at(p, p->cur.pos, 1, "empty set");
            return -1;
        }
        next(p);
        return id;
    }
    if (p->cur.type != T_WORD && p->cur.type != T_STRING) {
        unexpected(p, "a value");
        return -1;
    }
    tok vt = p->cur;
    if (!literal(p, n, &vt, &n->v))
        return -1;
    if ((n->v.cls == FC_IP4 || n->v.cls == FC_IP6) && n->op != OP_EQ && n->op != OP_NE && n->op != OP_ALL_EQ &&
        n->op != OP_ANY_NE && n->v.prefix != (n->v.cls == FC_IP4 ? 32 : 128)) {
        fail_at(p, vt.pos, vt.len, "a CIDR block only goes with == and !=");
        return -1;
    }
    next(p);
    return id;
}

static int parse_unary(parser *p)
{
    if (++p->depth > 200) {
        fail_at(p, p->cur.pos, p->cur.len, "expression nested too deeply");
        return -1;
    }
    int r;
    if (eat(p, T_NOT)) {
        int a = parse_unary(p);
        if (a < 0)
            return -1;
        r = new_node(p, N_NOT);
        p->f->nodes[r].a = a;
    } else if (p->cur.type == T_LPAREN) {
        tok open = p->cur;
        next(p);
        r = parse_or(p);
        if (r < 0)
            return -1;
        if (!eat(p, T_RPAREN)) {
            if (p->cur.type == T_END)
                fail_at(p, open.pos, 1, "unmatched '('");
            else
                unexpected(p, "')', 'and' or 'or'");
            return -1;
        }
    } else {
        r = parse_test(p);
    }
    p->depth--;
    return p->failed ? -1 : r;
}

static int parse_and(parser *p)
{
    int l = parse_unary(p);
    while (l >= 0 && p->cur.type == T_AND) {
        next(p);
        int r = parse_unary(p);
        if (r < 0)
            return -1;
        int n = new_node(p, N_AND);
        p->f->nodes[n].a = l;
        p->f->nodes[n].b = r;
        l = n;
    }
    return l;
}

static int parse_or(parser *p)
{
    int l = parse_and(p);
    while (l >= 0 && p->cur.type == T_OR) {
        next(p);
        int r = parse_and(p);
        if (r < 0)
            return -1;
        int n = new_node(p, N_OR);
        p->f->nodes[n].a = l;
        p->f->nodes[n].b = r;
        l = n;
    }
    return l;
}

void dt_dfilter_free(dt_dfilter *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_nodes; i++) {
        pcre2_match_data_free(f->nodes[i].md);
        pcre2_code_free(f->nodes[i].re);
    }
    free(f->nodes);
    free(f->frames);
    free(f->elems);
    free(f->pool);
    free(f);
}

dt_dfilter *dt_dfilter_compile(const char *expr, const dt_registry *reg, char *err, size_t errsz)
{
    size_t n = strlen(expr);
    dt_dfilter *f = calloc(1, sizeof *f);
    if (!f)
        goto oom;
    /* every node and set element consumes at least one byte of the expression */
    f->nodes = calloc(n + 2, sizeof *f->nodes);
    f->elems = calloc(n + 2, sizeof *f->elems);
    f->frames = calloc(n + 2, sizeof *f->frames);
    f->pool = malloc(2 * n + 16); /* text and its hex-decoded bytes, each at most n + NULs */
    if (!f->nodes || !f->elems || !f->pool || !f->frames)
        goto oom;
    parser p = { .src = expr, .reg = reg, .f = f, .err = err, .errsz = errsz };
    next(&p);
    if (p.cur.type == T_END && !p.failed) {
        fail_at(&p, 0, 1, "empty expression");
    } else {
        f->root = parse_or(&p);
        if (!p.failed && p.cur.type != T_END)
            unexpected(&p, "'and', 'or' or the end");
    }
    if (p.failed) {
        dt_dfilter_free(f);
        return NULL;
    }
    return f;
oom:
    snprintf(err, errsz, "out of memory");
    dt_dfilter_free(f);
    return NULL;
}

/* ---- evaluation ---- */

/* One occurrence of a field's value. */
typedef struct occ {
    fclass cls;
    uint64_t u;
    int64_t i;
    double d;
    const char *s;
    size_t len;
    const uint8_t *b16;
    uint32_t ip4;
    const dt_field *fl; /* tree fields: the node (GUID text, redaction) */
} occ;

static int cmp_u(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int cmp_mem(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? (c < 0 ? -1 : 1) : cmp_u(alen, blen);
}

static bool in_prefix(const uint8_t *a, const uint8_t *net, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, net, (size_t)full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (net[full] & mask);
}

/* The host of "10.0.0.1:445" or "[::1]:5678" as an address. */
static bool endpoint_addr(const char *s, occ *o, uint8_t *buf16)
{
    char host[64];
    const char *end;
    if (s[0] == '[') {
        end = strchr(s, ']');
        if (!end || (size_t)(end - s - 1) >= sizeof host)
            return false;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = '\0';
    } else {
        end = strrchr(s, ':');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        if (n >= sizeof host)
            return false;
        memcpy(host, s, n);
        host[n] = '\0';
    }
    if (dt_ip_parse(4, host, &o->ip4)) {
        o->cls = FC_IP4;
        return true;
    }
    if (dt_ip_parse(6, host, buf16)) {
        o->cls = FC_IP6;
        o->b16 = buf16;
        return true;
    }
    return false;
}

/* <0, 0, >0; or 2 when the two cannot be compared (an address against text). */
static int compare(const occ *o, const value *v)
{
    switch (v->cls) {
    case FC_UINT:
    case FC_RELTIME:
    case FC_ABSTIME:
        if (o->cls == FC_INT)
            return o->i < 0 ? -1 : cmp_u((uint64_t)o->i, v->u);
        if (o->cls == FC_DOUBLE)
            return o->d < (double)v->u ? -1 : o->d > (double)v->u;
        return cmp_u(o->u, v->u);
    case FC_INT: {
        int64_t b = v->neg ? v->i : (int64_t)v->u;
        if (o->cls == FC_UINT)
            return v->neg ? 1 : cmp_u(o->u, v->u);
        return o->i < b ? -1 : o->i > b;
    }
    case FC_DOUBLE:
        return o->d < v->d ? -1 : o->d > v->d;
    case FC_STR:
    case FC_BYTES:
        return cmp_mem(o->s, o->len, v->s, v->len);
    case FC_GUID: {
        char buf[64];
        size_t n = dt_fmt_value(o->fl, buf, sizeof buf);
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        buf[n] = '\0';
        int c = strcasecmp(buf, v->s);
        return c < 0 ? -1 : c > 0;
    }
    case FC_IP4:
        if (o->cls != FC_IP4)
            return 2;
        if (v->prefix < 32)
            return in_prefix((const uint8_t *)&o->ip4, (const uint8_t *)&v->ip4, v->prefix) ? 0 : 2;
        return cmp_u(be32((const uint8_t *)&o->ip4), be32((const uint8_t *)&v->ip4));
    case FC_IP6:
        if (o->cls != FC_IP6)
            return 2;
        if (v->prefix < 128)
            return in_prefix(o->b16, v->b16, v->prefix) ? 0 : 2;
        return cmp_mem((const char *)o->b16, 16, (const char *)v->b16, 16);
    default:
        return 2;
    }
}

static bool test_one(const node *n, occ *o)
{
    if (n->op == OP_EXISTS)
        return true;
    if (o->fl && (o->fl->flags & DT_FLD_REDACTED))
        return false; /* a withheld secret: present, but its value cannot be probed */
    uint8_t buf16[16];
    if (n->cls == FC_ENDPOINT && n->op != OP_CONTAINS && n->op != OP_MATCHES) {
        bool addr = n->op == OP_IN ? n->set[0].lo.cls != FC_STR : n->v.cls != FC_STR;
        if (addr && !endpoint_addr(o->s, o, buf16))
            return false;
    }
    switch (n->op) {
    case OP_EXISTS:
        return true;
    case OP_EQ:
    case OP_NE:
    case OP_ALL_EQ:
        return compare(o, &n->v) == 0;
    case OP_ANY_NE: {
        int c = compare(o, &n->v);
        return c != 0;
    }
    case OP_LT: { int c = compare(o, &n->v); return c == -1; }
    case OP_LE: { int c = compare(o, &n->v); return c == -1 || c == 0; }
    case OP_GT: { int c = compare(o, &n->v); return c == 1; }
    case OP_GE: { int c = compare(o, &n->v); return c == 1 || c == 0; }
    case OP_CONTAINS:
        return n->v.len == 0 || (o->s && memmem(o->s, o->len, n->v.s, n->v.len) != NULL);
    case OP_MATCHES: {
        if (n->cls == FC_STR || n->cls == FC_ENDPOINT || n->cls == FC_BYTES)
            return o->s && pcre2_match(n->re, (PCRE2_SPTR)o->s, o->len, 0, 0, n->md, NULL) >= 0;
        char buf[512]; /* other types: their text, as -V shows it */
        size_t len;
        if (o->fl) {
            len = dt_fmt_value(o->fl, buf, sizeof buf);
        } else if (n->cls == FC_INT) {
            len = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)o->i);
        } else {
            len = (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->u);
        }
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        return pcre2_match(n->re, (PCRE2_SPTR)buf, len, 0, 0, n->md, NULL) >= 0;
    }
    case OP_IN:
        for (int i = 0; i < n->n_set; i++) {
            const set_elem *el = &n->set[i];
            int lo = compare(o, &el->lo);
            if (!el->range) {
                if (lo == 0)
                    return true;
            } else if ((lo == 0 || lo == 1)) {
                int hi = compare(o, &el->hi);
                if (hi == 0 || hi == -1)
                    return true;
            }
        }
        return false;
    }
    return false;
}

static bool occ_of_field(const dt_field *fl, fclass cls, occ *o)
{
    memset(o, 0, sizeof *o);
    o->cls = cls;
    o->fl = fl;
    switch (fl->def->type) {
    case DT_FT_BOOL: o->u = fl->v.u != 0; break;
    case DT_FT_UINT8: case DT_FT_UINT16: case DT_FT_UINT32: case DT_FT_UINT64:
    case DT_FT_ABSTIME: case DT_FT_RELTIME: o->u = fl->v.u; break;
    case DT_FT_INT32: case DT_FT_INT64: o->i = fl->v.i; break;
    case DT_FT_DOUBLE: o->d = fl->v.d; break;
    case DT_FT_STRING: case DT_FT_BYTES:
        if (!fl->v.s.ptr)
            return false;
        o->s = fl->v.s.ptr;
        o->len = fl->v.s.len;
        break;
    case DT_FT_GUID: case DT_FT_IPV6: o->b16 = fl->v.b16; break;
    case DT_FT_IPV4: o->ip4 = fl->v.ip4; break;
    case DT_FT_NONE: break;
    }
    return true;
}

static uint32_t port_of(const char *s, bool *ok)
{
    const char *c = s ? strrchr(s, ':') : NULL;
    if (!c || (s[0] != '[' && strchr(s, ':') != c) || !c[1]) { /* bare IPv6 without brackets has no port */
        *ok = false;
        return 0;
    }
    char *end;
    unsigned long v = strtoul(c + 1, &end, 10);
    *ok = !*end && v <= 65535;
    return (uint32_t)v;
}

/* The event's own property as one occurrence; false when absent. */
static bool occ_of_event(const node *n, const dt_event *ev, occ *o)
{
    memset(o, 0, sizeof *o);
    o->cls = n->cls;
    const char *s = NULL;
    bool ok = true;
    switch (n->ef) {
    case EF_PROTO: s = ev->proto; break;
    case EF_DIR: o->u = ev->dir; break;
    case EF_ROLE: o->u = ev->role; break;
    case EF_KIND: o->u = ev->kind; break;
    case EF_LATENCY:
        if (!ev->has_latency)
            return false;
        o->u = ev->latency_ns;
        break;
    case EF_STATUS: s = ev->status; break;
    case EF_IS_ERROR: o->u = ev->is_error; break;
    case EF_MALFORMED: o->u = ev->malformed; break;
    case EF_SUMMARY: s = ev->summary; break;
    case EF_CHANNEL: s = ev->conv && ev->conv->channel ? ev->conv->channel->name : NULL; break;
    case EF_CLIENT: s = ev->conv ? ev->conv->client : NULL; break;
    case EF_SERVER: s = ev->conv ? ev->conv->server : NULL; break;
    case EF_CLIENT_PORT: o->u = port_of(ev->conv ? ev->conv->client : NULL, &ok); return ok;
    case EF_SERVER_PORT: o->u = port_of(ev->conv ? ev->conv->server : NULL, &ok); return ok;
    case EF_CONV_ID:
        if (!ev->conv)
            return false;
        o->u = ev->conv->id;
        break;
    case EF_SEQ: o->u = ev->seq; break;
    case EF_REQ_SEQ:
        if (!ev->req_seq)
            return false;
        o->u = ev->req_seq;
        break;
    case EF_TIME: o->u = ev->ts_ns; break;
    case EF_LEN: o->u = ev->raw_len; break;
    case EF_INPUT: s = ev->input; break;
    case EF_TREE: case EF_PROTOCOL: return false;
    }
    if (n->cls == FC_STR || n->cls == FC_ENDPOINT) {
        if (!s)
            return false;
        o->s = s;
        o->len = strlen(s);
    }
    return true;
}

static bool def_wanted(const node *n, const dt_field_def *d)
{
    for (int i = 0; i < n->n_defs; i++)
        if (n->defs[i] == d)
            return true;
    return false;
}

/* Walks the field tree: counts occurrences, stops at the first that
 * test_one answers `stop_on` for. */
static bool walk(const node *n, const dt_field *fl, bool stop_on, size_t *count)
{
    const dt_field *stack[MAX_DEPTH];
    int sp = 0;
    while (fl) {
        if (def_wanted(n, fl->def)) {
            occ o;
            if (occ_of_field(fl, n->cls, &o)) {
                ++*count;
                if (test_one(n, &o) == stop_on)
                    return true;
            } else if (n->op == OP_EXISTS) {
                ++*count;
                if (stop_on)
                    return true;
            }
        }
        if (fl->child && sp < MAX_DEPTH) {
            stack[sp++] = fl->next;
            fl = fl->child;
            continue;
        }
        fl = fl->next;
        while (!fl && sp > 0)
            fl = stack[--sp];
    }
    return false;
}

static bool eval_test(const node *n, const dt_event *ev)
{
    if (n->ef == EF_PROTOCOL)
        return ev->proto_name && strcasecmp(ev->proto_name, n->proto) == 0;
    /* == and the others: some occurrence satisfies; != : none equals (and
     * there is one); ===: every occurrence equals (and there is one) */
    bool negate = n->op == OP_NE;
    bool all = n->op == OP_ALL_EQ;
    if (n->ef != EF_TREE) {
        occ o;
        if (!occ_of_event(n, ev, &o))
            return false;
        if (n->op == OP_EXISTS && (n->ef == EF_IS_ERROR || n->ef == EF_MALFORMED))
            return o.u != 0; /* always present: alone, they mean "is true" */
        bool r = test_one(n, &o);
        return negate ? !r : r;
    }
    size_t count = 0;
    if (all) {
        bool some_fails = walk(n, ev->fields, false, &count);
        return count > 0 && !some_fails;
    }
    bool some = walk(n, ev->fields, true, &count);
    if (negate)
        return count > 0 && !some;
    return some;
}

bool dt_dfilter_match(dt_dfilter *f, const dt_event *ev)
{
    /* iterative, short-circuiting; the frame stack was sized at compile
     * time (a left-deep chain of 'and's is as deep as it is long) */
    const node *nodes = f->nodes;
    struct frame *fr = f->frames;
    int sp = 0;
    bool result = false;
    fr[sp++] = (struct frame){ f->root, 0 };
    while (sp > 0) {
        struct frame *t = &fr[sp - 1];
        const node *n = &nodes[t->id];
        if (n->type == N_TEST) {
            result = eval_test(n, ev);
            sp--;
            continue;
        }
        if (t->state == 0) {
            t->state = 1;
            fr[sp++] = (struct frame){ n->a, 0 };
            continue;
        }
        if (n->type == N_NOT) {
            result = !result;
            sp--;
            continue;
        }
        if (t->state == 1 && ((n->type == N_AND && result) || (n->type == N_OR && !result))) {
            t->state = 2;
            fr[sp++] = (struct frame){ n->b, 0 };
            continue;
        }
        sp--; /* short-circuited, or b's result is the answer */
    }
    return result;
}
