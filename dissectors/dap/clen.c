/* Content-Length framing for DAP and LSP. */
#include "clen.h"

#include <inttypes.h>
#include "jsonx.h"

static const char CL_NAME[] = "content-length";

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

bool clen_name_is(const uint8_t *p, size_t n, const char *name)
{
    size_t i = 0;
    for (; i < n && name[i]; i++)
        if (lower(p[i]) != name[i])
            return false;
    return i == n && name[i] == '\0';
}

/* RFC 9110 token characters (digits, letters and !#$%&'*+-.^_`|~): a table,
 * as header names are scanned for every message. */
static const uint8_t tchar[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Parses an unsigned decimal value with optional surrounding blanks. */
static bool parse_length(const uint8_t *p, size_t n, uint64_t *out, size_t *voff, size_t *vlen)
{
    size_t i = 0, end = n;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
        end--;
    *voff = i;
    *vlen = end - i;
    if (i == end || end - i > 19)
        return false;
    uint64_t v = 0;
    for (; i < end; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* One header line starting at data[pos]: name, colon, value, LF (CR optional).
 * Returns CLEN_OK with *next just past the LF, or NEED_MORE / GARBAGE. */
static clen_status scan_line(const uint8_t *d, size_t avail, size_t pos, size_t *name_len, size_t *value_off,
                             size_t *value_end, size_t *next)
{
    size_t i = pos;
    while (i < avail && tchar[d[i]])
        i++;
    if (i == avail)
        return CLEN_NEED_MORE;
    if (d[i] != ':' || i == pos)
        return CLEN_GARBAGE;
    *name_len = i - pos;
    *value_off = ++i;
    for (; i < avail; i++) {
        uint8_t ch = d[i];
        if (ch == '\n') {
            *value_end = (i > *value_off && d[i - 1] == '\r') ? i - 1 : i;
            *next = i + 1;
            return CLEN_OK;
        }
        if (ch == '\r') {
            if (i + 1 < avail && d[i + 1] != '\n')
                return CLEN_GARBAGE; /* a lone CR */
            continue;
        }
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return CLEN_GARBAGE;
    }
    return CLEN_NEED_MORE;
}

clen_status clen_parse_header(const dt_cursor *c, clen_header *h)
{
    const uint8_t *d = c->data + c->pos;
    size_t avail = dt_cur_left(c);
    size_t pos = 0;

    memset(h, 0, sizeof *h);
    for (;;) {
        if (pos >= CLEN_MAX_HEADER)
            return CLEN_GARBAGE;
        if (pos == avail)
            return CLEN_NEED_MORE;
        /* The empty line that ends the block. */
        if (d[pos] == '\n' || d[pos] == '\r') {
            if (d[pos] == '\r') {
                if (pos + 1 == avail)
                    return CLEN_NEED_MORE;
                if (d[pos + 1] != '\n')
                    return CLEN_GARBAGE;
                pos++;
            }
            if (h->n_headers == 0)
                return CLEN_GARBAGE;
            h->header_len = pos + 1;
            return CLEN_OK;
        }
        size_t name_len, voff, vend, next;
        clen_status st = scan_line(d, avail, pos, &name_len, &voff, &vend, &next);
        if (st != CLEN_OK)
            return (st == CLEN_NEED_MORE && avail >= CLEN_MAX_HEADER) ? CLEN_GARBAGE : st;
        h->n_headers++;
        if (clen_name_is(d + pos, name_len, CL_NAME)) {
            uint64_t v = 0;
            size_t o, l;
            bool ok = parse_length(d + voff, vend - voff, &v, &o, &l);
            if (!h->has_length) {
                h->length_off = voff + o;
                h->length_len = l;
                h->content_length = v;
                h->bad_length = !ok;
            } else if (!ok || v != h->content_length) {
                h->bad_length = true;
            }
            h->has_length = true;
        } else if (clen_name_is(d + pos, name_len, "content-type")) {
            while (voff < vend && (d[voff] == ' ' || d[voff] == '\t'))
                voff++;
            h->type_off = voff;
            h->type_len = vend - voff;
        }
        pos = next;
    }
}

void clen_each_header(const dt_cursor *c, const clen_header *h, clen_header_fn fn, void *arg)
{
    const uint8_t *d = c->data + c->pos;
    size_t pos = 0;
    while (pos < h->header_len && d[pos] != '\r' && d[pos] != '\n') {
        size_t name_len, voff, vend, next;
        if (scan_line(d, h->header_len, pos, &name_len, &voff, &vend, &next) != CLEN_OK)
            return;
        while (voff < vend && (d[voff] == ' ' || d[voff] == '\t'))
            voff++;
        fn(arg, pos, name_len, voff, vend - voff);
        pos = next;
    }
}

size_t clen_resync(const uint8_t *data, size_t avail)
{
    const size_t n = sizeof CL_NAME; /* "content-length" plus ':' */
    for (size_t i = 1; i < avail; i++) {
        size_t k = 0;
        while (k < n && i + k < avail) {
            int want = k + 1 == n ? ':' : CL_NAME[k];
            if (lower(data[i + k]) != want)
                break;
            k++;
        }
        if (k == n || i + k == avail)
            return i; /* found, or a prefix of it runs to the end: wait there */
    }
    return avail;
}

long clen_frame(const uint8_t *data, size_t avail)
{
    if (avail == 0)
        return DT_FRAME_NEED_MORE;
    dt_cursor c = dt_cursor_make(data, avail);
    clen_header h;
    switch (clen_parse_header(&c, &h)) {
    case CLEN_NEED_MORE:
        return DT_FRAME_NEED_MORE;
    case CLEN_GARBAGE:
        return -(long)clen_resync(data, avail);
    case CLEN_OK:
        break;
    }
    /* A header block the dissector reports on its own: no usable length, or
     * one too large to be real. A body merely over the engine's PDU limit is
     * framed whole: the engine reports and skips it. */
    if (!h.has_length || h.bad_length || h.content_length > CLEN_ABSURD_BODY)
        return (long)h.header_len;
    return (long)(h.header_len + h.content_length);
}

/* `"name"` in text, not preceded by a backslash (so not inside a string). */
static bool has_key(const uint8_t *p, size_t n, const char *quoted)
{
    size_t k = strlen(quoted);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, quoted, k) == 0 && (i == 0 || p[i - 1] != '\\'))
            return true;
    return false;
}

static clen_body_kind classify_json(const jx_node *v)
{
    if (jx_is_array(v) && jx_size(v) > 0)
        v = jx_at(v, 0); /* a JSON-RPC batch */
    if (!jx_is_object(v))
        return CLEN_BODY_OTHER;
    if (jx_get(v, "jsonrpc"))
        return CLEN_BODY_JSONRPC;
    if (jx_get(v, "seq") && jx_get(v, "type"))
        return CLEN_BODY_DAP;
    return CLEN_BODY_OTHER;
}

clen_body_kind clen_probe_body(const uint8_t *data, size_t len)
{
    dt_cursor c = dt_cursor_make(data, len);
    clen_header h;
    /* A stream opening with Content-Length (or Content-Type) is framing
     * as soon as that is seen; one opening with another header only once
     * the block is complete and holds a Content-Length. */
    bool starts = (len >= 15 && clen_name_is(data, 14, CL_NAME) && data[14] == ':') ||
                  (len >= 13 && clen_name_is(data, 12, "content-type") && data[12] == ':');
    clen_status st = clen_parse_header(&c, &h);
    if (st == CLEN_GARBAGE || (st == CLEN_NEED_MORE && !starts))
        return CLEN_BODY_NONE;
    if (st == CLEN_NEED_MORE)
        return CLEN_BODY_UNKNOWN;
    if (!h.has_length || h.bad_length)
        return CLEN_BODY_NONE;
    const uint8_t *body = data + h.header_len;
    size_t seen = len - h.header_len;
    if (h.content_length <= seen) {
        /* no ctx: the nodes go on the heap (once per conversation) */
        jx_doc doc;
        jx_error err;
        if (jx_parse(NULL, (const char *)body, (size_t)h.content_length, &doc, &err)) {
            clen_body_kind kind = classify_json(doc.root);
            jx_doc_free(&doc);
            return kind;
        }
        seen = (size_t)h.content_length;
    }
    if (has_key(body, seen, "\"jsonrpc\""))
        return CLEN_BODY_JSONRPC;
    if (has_key(body, seen, "\"seq\""))
        return CLEN_BODY_DAP;
    return CLEN_BODY_UNKNOWN;
}

int clen_probe_score(const uint8_t *data, size_t len, clen_body_kind mine, int unknown)
{
    clen_body_kind k = clen_probe_body(data, len);
    if (k == mine)
        return 100;
    if (k == CLEN_BODY_OTHER)
        return unknown / 3;
    if (k == CLEN_BODY_UNKNOWN)
        return len < CLEN_PROBE_WAIT ? 0 : unknown;
    return 0;
}

struct header_walk {
    dt_ctx *ctx;
    const uint8_t *base;
    const dt_field_def *field;
    bool skip_type;
};

static void add_header(void *arg, size_t name_off, size_t name_len, size_t value_off, size_t value_len)
{
    struct header_walk *w = arg;
    const uint8_t *name = w->base + name_off;
    if (clen_name_is(name, name_len, CL_NAME) || (w->skip_type && clen_name_is(name, name_len, "content-type")))
        return;
    size_t len = value_off + value_len - name_off;
    dt_add_string(w->ctx, NULL, w->field, name_off, len, (const char *)name, len);
}

void clen_add_headers(dt_ctx *ctx, const dt_cursor *c, const clen_header *h, const dt_field_def *field,
                      bool skip_type)
{
    struct header_walk w = { ctx, c->data + c->pos, field, skip_type };
    clen_each_header(c, h, add_header, &w);
}

const jx_node *clen_load_json_body(dt_ctx *ctx, dt_cursor *c, const clen_header *h, const char *proto,
                                   size_t *body_off, jx_doc *doc)
{
    if (h->content_length > CLEN_ABSURD_BODY) {
        dt_malformed(ctx, h->length_off, "implausible Content-Length %" PRIu64 "; body not framed", h->content_length);
        dt_summary(ctx, "implausible Content-Length %" PRIu64, h->content_length);
        return NULL;
    }
    dt_cur_skip(c, h->header_len);
    size_t off = dt_cur_offset(c), have = dt_cur_left(c);
    const uint8_t *body = dt_cur_bytes(c, (size_t)h->content_length);
    if (!body) {
        dt_malformed(ctx, off, "truncated %s message: %zu of %" PRIu64 " body bytes", proto, have, h->content_length);
        dt_summary(ctx, "truncated message (%zu of %" PRIu64 " body bytes)", have, h->content_length);
        return NULL;
    }
    jx_error err;
    if (!jx_parse(ctx, (const char *)body, (size_t)h->content_length, doc, &err)) {
        size_t pos = err.position;
        dt_malformed(ctx, off + pos, "JSON error at body offset %zu (line %d, column %d): %s", pos, err.line,
                     err.column, err.text);
        dt_summary(ctx, "malformed JSON (%" PRIu64 " bytes): %s at offset %zu", h->content_length, err.text, pos);
        return NULL;
    }
    *body_off = off;
    return doc->root;
}
