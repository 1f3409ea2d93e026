/* HTTP/1.1 framing and message parsing with http-parser.
 *
 * The framer is incremental: each direction keeps an http_parser in the
 * middle of its current message and, when the engine calls again with the
 * same message start and more bytes, feeds only the new ones. A message with
 * a Content-Length is sized as soon as its headers are parsed, so the engine
 * waits for the body without calling the framer for every chunk; a chunked
 * body is walked chunk header by chunk header (http-parser jumps over chunk
 * data). The parser pauses itself at the end of a message, so its return
 * value is exactly the message length, pipelined requests included.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

typedef struct frame_call {
    http_conv *hc;
    http_framer *fr;
} frame_call;

static int fr_headers_complete(http_parser *p)
{
    frame_call *fc = p->data;
    fc->fr->headers_done = true;
    /* a response to HEAD has no body: peek (the pop is at message end) */
    if (p->type == HTTP_RESPONSE && p->status_code >= 200 && fc->hc->head_n && (fc->hc->head_bits & 1))
        return 1;
    return 0;
}

static int fr_message_complete(http_parser *p)
{
    frame_call *fc = p->data;
    http_conv *hc = fc->hc;
    if (p->type == HTTP_REQUEST) {
        if (hc->head_n < 64) {
            if (p->method == HTTP_HEAD)
                hc->head_bits |= (uint64_t)1 << hc->head_n;
            hc->head_n++;
        }
    } else if (p->status_code >= 200) {
        http_pop_head(hc);
    }
    http_parser_pause(p, 1);
    return 0;
}

bool http_pop_head(http_conv *hc)
{
    if (!hc->head_n)
        return false;
    bool head = hc->head_bits & 1;
    hc->head_bits >>= 1;
    hc->head_n--;
    return head;
}

static const http_parser_settings frame_settings = {
    .on_headers_complete = fr_headers_complete,
    .on_message_complete = fr_message_complete,
};

static void fr_start(http_framer *fr, const uint8_t *data, size_t avail)
{
    http_parser_init(&fr->p, HTTP_BOTH);
    fr->fed = 0;
    fr->headers_done = false;
    fr->active = true;
    fr->head_len = avail < HTTP_HEAD_KEEP ? avail : HTTP_HEAD_KEEP;
    memcpy(fr->head, data, fr->head_len);
    fr->tail_len = 0;
}

/* The engine calls again with the same message start and more bytes: continue.
 * After a gap or a resynchronisation the start differs, and the parse restarts. */
static bool fr_continues(const http_framer *fr, const uint8_t *data, size_t avail)
{
    if (!fr->active || avail < fr->fed)
        return false;
    size_t hl = fr->head_len < avail ? fr->head_len : avail;
    if (memcmp(fr->head, data, hl) != 0)
        return false;
    return memcmp(fr->tail, data + fr->fed - fr->tail_len, fr->tail_len) == 0;
}

/* Garbage before a message: skip through the end of the line. */
static long skip_line(const uint8_t *data, size_t avail)
{
    const uint8_t *nl = memchr(data, '\n', avail);
    return -(long)(nl ? (size_t)(nl - data) + 1 : avail);
}

long http_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail)
{
    http_conv *hc = conv;
    http_framer *fr = &hc->fr[dir];
    if (!avail)
        return DT_FRAME_NEED_MORE;
    if (!fr_continues(fr, data, avail)) {
        if (tls_looks_like_record(data, avail) || (avail < 3 && data[0] >= 0x14 && data[0] <= 0x17)) {
            fr->active = false;
            return tls_record_frame(data, avail);
        }
        fr_start(fr, data, avail);
    }
    if (avail == fr->fed)
        return DT_FRAME_NEED_MORE;
    frame_call fc = { hc, fr };
    fr->p.data = &fc;
    size_t before = fr->fed;
    size_t n = http_parser_execute(&fr->p, &frame_settings, (const char *)data + before, avail - before);
    enum http_errno err = HTTP_PARSER_ERRNO(&fr->p);
    fr->fed = before + n;
    if (err == HPE_PAUSED) {
        fr->active = false;
        return (long)fr->fed;
    }
    if (err != HPE_OK) {
        fr->active = false;
        if (!fr->headers_done)
            return skip_line(data, avail);
        /* a bad body (a garbage chunk size): the message ends with the line
         * that broke it, so the dissector sees and reports the error; the
         * engine resynchronises after it */
        const uint8_t *nl = memchr(data + fr->fed, '\n', avail - fr->fed);
        return nl ? (long)(nl - data) + 1 : (long)(fr->fed < avail ? fr->fed + 1 : avail);
    }
    fr->tail_len = fr->fed < sizeof fr->tail ? fr->fed : sizeof fr->tail;
    memcpy(fr->tail, data + fr->fed - fr->tail_len, fr->tail_len);
    if (fr->headers_done && (fr->p.flags & F_CONTENTLENGTH) && !(fr->p.flags & F_CHUNKED) &&
        fr->p.content_length != ULLONG_MAX && fr->p.content_length > 0) {
        /* the size is known: let the engine wait for the rest of the body */
        uint64_t total = fr->fed + fr->p.content_length;
        fr->active = false;
        return total > (uint64_t)LONG_MAX ? LONG_MAX : (long)total;
    }
    return DT_FRAME_NEED_MORE;
}

static bool is_token_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

int http_probe(const uint8_t *data, size_t len, dt_dir dir)
{
    (void)dir;
    if (len >= 7 && memcmp(data, "HTTP/1.", 7) == 0)
        return 60;
    size_t i = 0;
    while (i < len && i < 16 && is_token_char(data[i]))
        i++;
    if (i < 3 || i >= len || data[i] != ' ')
        return 0;
    static const char *const methods[] = { "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", NULL };
    for (const char *const *m = methods; *m; m++)
        if (strlen(*m) == i && memcmp(data, *m, i) == 0)
            return i + 1 < len && (data[i + 1] == '/' || data[i + 1] == '*' || data[i + 1] == 'h') ? 60 : 30;
    return 0;
}

/* ---- parsing a whole message for the dissector ---- */

static http_msg *msg_of(http_parser *p) { return p->data; }

static uint32_t off_of(const http_msg *m, const char *at) { return (uint32_t)((const uint8_t *)at - m->base); }

static void span_extend(http_span *s, uint32_t off, size_t len)
{
    if (!s->len)
        s->off = off;
    s->len = off + (uint32_t)len - s->off;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    http_msg *m = msg_of(p);
    span_extend(&m->url, off_of(m, at), len);
    return 0;
}

static int on_status(http_parser *p, const char *at, size_t len)
{
    http_msg *m = msg_of(p);
    span_extend(&m->reason, off_of(m, at), len);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    http_msg *m = msg_of(p);
    if (m->in_value || m->nh_total == 0) {
        m->in_value = false;
        m->nh_total++;
        if (m->nh < HTTP_MAX_HEADERS) {
            m->hname[m->nh] = (http_span){ 0, 0 };
            m->hval[m->nh] = (http_span){ 0, 0 };
            m->nh++;
        }
    }
    if (m->nh_total <= HTTP_MAX_HEADERS)
        span_extend(&m->hname[m->nh - 1], off_of(m, at), len);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    http_msg *m = msg_of(p);
    m->in_value = true;
    if (m->nh_total <= HTTP_MAX_HEADERS && m->nh)
        span_extend(&m->hval[m->nh - 1], off_of(m, at), len);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    http_msg *m = msg_of(p);
    m->is_request = p->type == HTTP_REQUEST;
    m->method = p->method;
    m->status = p->status_code;
    m->major = p->http_major;
    m->minor = p->http_minor;
    m->chunked = (p->flags & F_CHUNKED) != 0;
    m->keep_alive = http_should_keep_alive(p) != 0;
    m->upgrade = p->upgrade;
    return m->body_len == (size_t)-1 ? 1 : 0; /* -1: a response to HEAD */
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    http_msg *m = msg_of(p);
    const uint8_t *b = (const uint8_t *)at;
    if (!m->body) {
        m->body = b;
        m->body_len = len;
        return 0;
    }
    if (!m->body_buf && m->body + m->body_len == b) { /* contiguous */
        m->body_len += len;
        return 0;
    }
    if (!m->body_buf) {
        m->body_buf = dt_alloc(m->ctx, m->len);
        if (!m->body_buf)
            return 0;
        memcpy(m->body_buf, m->body, m->body_len);
        m->body = m->body_buf;
    }
    if (m->body_len + len <= m->len) {
        memcpy(m->body_buf + m->body_len, b, len);
        m->body_len += len;
    }
    return 0;
}

static int on_chunk_header(http_parser *p)
{
    msg_of(p)->chunks++;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    msg_of(p)->complete = true;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings msg_settings = {
    .on_url = on_url,
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_chunk_header = on_chunk_header,
    .on_message_complete = on_message_complete,
};

void http_parse_message(dt_ctx *ctx, const uint8_t *data, size_t len, bool response_to_head, http_msg *m)
{
    memset(m, 0, sizeof *m);
    m->base = data;
    m->len = len;
    m->ctx = ctx;
    if (response_to_head)
        m->body_len = (size_t)-1;
    http_parser p;
    http_parser_init(&p, HTTP_BOTH);
    p.data = m;
    size_t n = http_parser_execute(&p, &msg_settings, (const char *)data, len);
    if (m->body_len == (size_t)-1)
        m->body_len = 0;
    enum http_errno err = HTTP_PARSER_ERRNO(&p);
    m->err = err == HPE_PAUSED ? HPE_OK : (int)err;
    m->err_off = n;
    /* where the header block ends (field offsets): the first empty line */
    m->header_end = n;
    for (size_t i = 0; i + 3 < n; i++)
        if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') {
            m->header_end = i + 4;
            break;
        }
    if (m->err == HPE_OK && !m->complete)
        m->err = HPE_INVALID_EOF_STATE; /* the framer cut it short: truncated */
}

bool http_span_ieq(const http_msg *m, http_span s, const char *text)
{
    size_t n = strlen(text);
    return s.len == n && strncasecmp((const char *)m->base + s.off, text, n) == 0;
}

const http_span *http_header(const http_msg *m, const char *name)
{
    for (unsigned i = 0; i < m->nh; i++)
        if (http_span_ieq(m, m->hname[i], name))
            return &m->hval[i];
    return NULL;
}
