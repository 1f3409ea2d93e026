/* HTTP/1.1: one event per request or response, paired in order per
 * connection; bodies go to an inner dissector (WS-Management for WinRM),
 * sealed WinRM bodies are unsealed first (http_sealed.c), the
 * authentication stage is told by http_auth.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

/* What a response needs of its request. */
typedef struct http_req_blob {
    uint8_t method;
    bool inner_wsman; /* the request's body went to (or its path means) WS-Management */
    char line[80];    /* "POST /wsman" */
} http_req_blob;

static const char *trim_span(const http_msg *m, http_span s, size_t *len)
{
    const char *p = (const char *)m->base + s.off;
    size_t n = s.len;
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    *len = n;
    return p;
}

static dt_field *add_span(dt_ctx *ctx, dt_field *parent, int f, const http_msg *m, http_span s)
{
    size_t n;
    const char *p = trim_span(m, s, &n);
    return dt_add_string(ctx, parent, &http_fields[f], (size_t)(p - (const char *)m->base), n, p, n);
}

static bool span_has(const http_msg *m, const http_span *s, const char *needle)
{
    if (!s)
        return false;
    size_t nl = strlen(needle);
    const char *p = (const char *)m->base + s->off;
    for (size_t i = 0; i + nl <= s->len; i++)
        if (strncasecmp(p + i, needle, nl) == 0)
            return true;
    return false;
}

/* The server port of this connection ("127.0.0.1:5985"), or 0. */
static unsigned server_port(dt_ctx *ctx)
{
    const dt_conv_info *ci = ctx->ev->conv;
    if (!ci || !ci->server)
        return 0;
    const char *colon = strrchr(ci->server, ':');
    return colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
}

static bool path_is_wsman(const http_msg *m)
{
    size_t n;
    const char *p = trim_span(m, m->url, &n);
    /* "/wsman", "/wsman-anon", "/wsman?PSVersion=..." and absolute URIs */
    const char *w = NULL;
    for (size_t i = 0; i + 6 <= n; i++)
        if (strncasecmp(p + i, "/wsman", 6) == 0) {
            w = p + i;
            break;
        }
    return w != NULL;
}

static void add_headers(dt_ctx *ctx, const http_msg *m)
{
    static const struct {
        const char *name;
        int field;
    } known[] = {
        { "Host", HF_HOST },
        { "Content-Type", HF_CONTENT_TYPE },
        { "Transfer-Encoding", HF_TRANSFER_ENCODING },
        { "Connection", HF_CONNECTION },
        { "User-Agent", HF_USER_AGENT },
        { "Server", HF_SERVER },
    };
    for (unsigned i = 0; i < m->nh; i++) {
        int f = -1;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (http_span_ieq(m, m->hname[i], known[k].name))
                f = known[k].field;
        if (http_span_ieq(m, m->hname[i], "Content-Length")) {
            size_t n;
            const char *p = trim_span(m, m->hval[i], &n);
            char num[24];
            snprintf(num, sizeof num, "%.*s", (int)(n < 23 ? n : 23), p);
            dt_add_uint(ctx, NULL, &http_fields[HF_CONTENT_LENGTH], (size_t)(p - (const char *)m->base), n,
                        strtoull(num, NULL, 10));
            continue;
        }
        if (http_span_ieq(m, m->hname[i], "Authorization") || http_span_ieq(m, m->hname[i], "WWW-Authenticate"))
            continue; /* http_auth.c */
        if (f >= 0) {
            add_span(ctx, NULL, f, m, m->hval[i]);
            continue;
        }
        /* any other header as one "Name: value" line */
        uint32_t off = m->hname[i].off;
        uint32_t end = m->hval[i].len ? m->hval[i].off + m->hval[i].len : m->hname[i].off + m->hname[i].len;
        dt_add_string(ctx, NULL, &http_fields[HF_HEADER], off, end - off, (const char *)m->base + off, end - off);
    }
    if (m->nh_total > m->nh)
        dt_malformed(ctx, m->header_end, "%u headers; the first %u kept", m->nh_total, m->nh);
}

/* A short printable preview of a body no dissector took. */
static void add_body_preview(dt_ctx *ctx, const http_msg *m)
{
    char buf[161];
    size_t n = 0;
    for (size_t i = 0; i < m->body_len && n < sizeof buf - 1; i++) {
        uint8_t c = m->body[i];
        buf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
    }
    dt_add_string(ctx, NULL, &http_fields[HF_BODY], m->body_buf ? 0 : m->header_end, m->body_buf ? 0 : m->body_len,
                  buf, n);
}

void http_wsman_long_poll(dt_ctx *ctx, const http_msg *m, const uint8_t *body, size_t len)
{
    /* Windows answers a Receive that waited OperationTimeout with 500 and a
     * SOAP fault whose subcode is w:TimedOut (MS-WSMV 3.1.4.14). The
     * subcode's value is the only place the name ends an element's text:
     * streams are base64 and the reason text says "OperationTimeout". */
    if (m->is_request || m->status != 500 || !body || !len)
        return;
    static const char sub[] = "Subcode", tag[] = ":TimedOut<";
    const uint8_t *s = memmem(body, len, sub, sizeof sub - 1);
    if (!s || !memmem(s, len - (size_t)(s - body), tag, sizeof tag - 1))
        return;
    dt_status(ctx, "500 w:TimedOut (long poll)", false);
    dt_summary_append(ctx, ", w:TimedOut (long poll, normal)");
}

static void hand_body(dt_ctx *ctx, http_conv *hc, const http_msg *m, bool wsman)
{
    if (!m->body_len)
        return;
    dt_add_uint(ctx, NULL, &http_fields[HF_BODY_LENGTH], m->header_end, m->body_buf ? 0 : m->body_len,
                m->body_len);
    if (m->chunked)
        dt_add_uint(ctx, NULL, &http_fields[HF_CHUNKS], m->header_end, 0, m->chunks);
    const http_span *ct = http_header(m, "Content-Type");
    if (span_has(m, ct, "multipart/encrypted") || span_has(m, ct, "multipart/x-multi-encrypted")) {
        if (http_sealed_body(ctx, hc, m, "wsman"))
            return;
    }
    dt_summary_append(ctx, ", %zu bytes", m->body_len);
    if (wsman || span_has(m, ct, "soap+xml")) {
        http_wsman_long_poll(ctx, m, m->body, m->body_len);
        dt_inner_set_user(ctx, 0, hc->user[0] ? hc->user : NULL);
        if (dt_inner_message(ctx, "wsman", 0, ctx->dir, m->body, m->body_len)) {
            dt_add_string(ctx, NULL, &http_fields[HF_INNER], 0, 0, "wsman", 5);
            return;
        }
    }
    add_body_preview(ctx, m);
}

static void note_parse_error(dt_ctx *ctx, const http_msg *m)
{
    if (m->err == HPE_OK)
        return;
    uint64_t at = ctx->ev->raw_offset + m->err_off;
    if (m->err == HPE_INVALID_EOF_STATE) {
        dt_malformed(ctx, m->err_off, "message cut short after %zu bytes (stream offset %" PRIu64 ")", m->len, at);
        dt_summary_append(ctx, "; cut short at stream offset %" PRIu64, at);
    } else {
        dt_malformed(ctx, m->err_off, "%s (stream offset %" PRIu64 "); the rest of the message is not decoded",
                     http_errno_description((enum http_errno)m->err), at);
        dt_summary_append(ctx, "; %s at stream offset %" PRIu64, http_errno_description((enum http_errno)m->err), at);
    }
    dt_add_string(ctx, NULL, &http_fields[HF_ERROR], m->err_off, 0, http_errno_name((enum http_errno)m->err),
                  strlen(http_errno_name((enum http_errno)m->err)));
}

static void dissect_request(dt_ctx *ctx, http_conv *hc, const http_msg *m)
{
    const char *method = http_method_str((enum http_method)m->method);
    dt_field *rq = dt_add_none(ctx, NULL, &http_fields[HF_REQUEST], 0, m->url.off + m->url.len);
    dt_add_string(ctx, rq, &http_fields[HF_METHOD], 0, strlen(method), method, strlen(method));
    add_span(ctx, rq, HF_URI, m, m->url);
    size_t ulen;
    const char *uri = trim_span(m, m->url, &ulen);
    const char *q = memchr(uri, '?', ulen);
    size_t plen = q ? (size_t)(q - uri) : ulen;
    dt_add_string(ctx, rq, &http_fields[HF_PATH], m->url.off, plen, uri, plen);
    char ver[16];
    int vl = snprintf(ver, sizeof ver, "HTTP/%u.%u", m->major, m->minor);
    dt_add_string(ctx, rq, &http_fields[HF_VERSION], 0, 0, ver, (size_t)vl);
    add_headers(ctx, m);

    bool wsman = path_is_wsman(m) || server_port(ctx) == 5985;
    http_req_blob *blob = dt_pair_request(ctx, ++hc->n_req, sizeof *blob);
    if (blob) {
        blob->method = (uint8_t)m->method;
        blob->inner_wsman = wsman;
        snprintf(blob->line, sizeof blob->line, "%s %.*s", method, (int)(plen < 60 ? plen : 60), uri);
    }
    dt_summary(ctx, "%s %.*s", method, (int)(plen < 120 ? plen : 120), uri);
    dt_stats_key(ctx, method);
    http_auth_request(ctx, hc, m);
    hand_body(ctx, hc, m, wsman);
}

/* "HTTP/1.1 200" at the start: the status before a full parse (a response to
 * HEAD must be parsed without its body). */
static unsigned peek_status(const uint8_t *p, size_t n)
{
    dt_cursor c = dt_cursor_make(p, n);
    const uint8_t *v = dt_cur_bytes(&c, 9);
    const uint8_t *d = dt_cur_bytes(&c, 3);
    if (!v || !d || memcmp(v, "HTTP/", 5) != 0)
        return 0;
    unsigned s = 0;
    for (int i = 0; i < 3; i++) {
        if (d[i] < '0' || d[i] > '9')
            return 0;
        s = s * 10 + (unsigned)(d[i] - '0');
    }
    return s;
}

static void dissect_response(dt_ctx *ctx, http_conv *hc, unsigned status)
{
    bool final = status >= 200 || status == 0;
    const http_req_blob *blob = dt_pair_response(ctx, hc->n_rsp + 1, final);
    if (final)
        hc->n_rsp++;
    http_msg *m = dt_alloc(ctx, sizeof *m);
    if (!m)
        return;
    http_parse_message(ctx, ctx->pdu, ctx->pdu_len, blob && blob->method == HTTP_HEAD, m);
    dt_field *rs = dt_add_none(ctx, NULL, &http_fields[HF_RESPONSE], 0, m->reason.off + m->reason.len);
    char ver[16];
    int vl = snprintf(ver, sizeof ver, "HTTP/%u.%u", m->major, m->minor);
    dt_add_string(ctx, rs, &http_fields[HF_VERSION], 0, 8, ver, (size_t)vl);
    dt_add_uint(ctx, rs, &http_fields[HF_STATUS], 9, 3, m->status);
    size_t rl;
    const char *reason = trim_span(m, m->reason, &rl);
    add_span(ctx, rs, HF_REASON, m, m->reason);
    add_headers(ctx, m);

    char st[64];
    snprintf(st, sizeof st, "%u %.*s", m->status, (int)(rl < 40 ? rl : 40), reason);
    dt_summary(ctx, "%s", st);
    if (blob)
        dt_summary_append(ctx, " (%s)", blob->line);
    char key[80];
    snprintf(key, sizeof key, "%s %u", blob ? http_method_str((enum http_method)blob->method) : "?", m->status);
    dt_stats_key(ctx, key);
    bool is_error = m->status >= 500 || (m->status >= 400 && m->status != 401);
    dt_status(ctx, st, is_error);
    http_auth_response(ctx, hc, m); /* may mark a 401 as the error it is */
    note_parse_error(ctx, m);
    hand_body(ctx, hc, m, (blob && blob->inner_wsman) || server_port(ctx) == 5985);
}

static void http_dissect(dt_ctx *ctx)
{
    http_conv *hc = ctx->conv;
    if (tls_looks_like_record(ctx->pdu, ctx->pdu_len)) {
        tls_dissect_record(ctx, ctx->pdu, ctx->pdu_len, "HTTP");
        return;
    }
    unsigned status = peek_status(ctx->pdu, ctx->pdu_len);
    if (status) {
        dissect_response(ctx, hc, status);
        return;
    }
    http_msg *m = dt_alloc(ctx, sizeof *m);
    if (!m)
        return;
    http_parse_message(ctx, ctx->pdu, ctx->pdu_len, false, m);
    if (!m->is_request && m->status) { /* "HTTP/1.1 2xx" that peek_status missed */
        dissect_response(ctx, hc, m->status);
        return;
    }
    if (m->url.len == 0) {
        dt_summary(ctx, "unparsable HTTP message, %zu bytes", ctx->pdu_len);
        note_parse_error(ctx, m);
        return;
    }
    dissect_request(ctx, hc, m);
    note_parse_error(ctx, m);
}

static void http_conv_free(void *conv)
{
    http_conv *hc = conv;
    http_auth_free(hc);
}

/* WinRM's ports only: other HTTP is found by the probe, and Wireshark keeps its own HTTP on 80 */
static const uint16_t http_tcp_ports[] = { 5985, 47001, 0 };
static const char *const http_nested[] = { "tls", "auth", NULL };

static const dt_dissector http_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "http",
    .display_name = "HTTP",
    .description = "HTTP/1.1 (WinRM transport; bodies to inner dissectors, sealed bodies unsealed)",
    .fields = http_fields,
    .n_fields = HF_COUNT,
    .transports = DT_TRANSPORT_TCP | DT_TRANSPORT_STREAM,
    .tcp_ports = http_tcp_ports,
    .probe = http_probe,
    .frame = http_frame,
    .dissect = http_dissect,
    .conv_size = sizeof(http_conv),
    .conv_free = http_conv_free,
    .nested = http_nested,
};

int dt_builtin_tls(dt_registry *reg);

int dt_builtin_http(dt_registry *reg)
{
    int rc = dt_register(reg, &http_dissector);
    return rc | dt_builtin_tls(reg);
}
