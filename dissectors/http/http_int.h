/* HTTP/1.1 over reassembled TCP and IPC streams: what the framer, the
 * message parser and the dissector parts share.
 *
 * Framing and header parsing go through nodejs's http-parser (Debian's
 * libhttp-parser-dev): an incremental, callback-based parser with no
 * allocations, so the framer can keep its state per direction and feed only
 * the bytes that arrived since the last call (docs/http.md says why).
 */
#ifndef DT_HTTP_INT_H
#define DT_HTTP_INT_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagtap/dissector.h"
#include "dissectors/auth/auth.h"

#define HTTP_MAX_HEADERS 64
#define HTTP_HEAD_KEEP 32 /* first bytes of a message, to tell a new one from a continued one */

/* One direction's framing state: a parser in the middle of a message. */
typedef struct http_framer {
    http_parser p;
    size_t fed;                  /* bytes of the current message given to p */
    uint8_t head[HTTP_HEAD_KEEP];/* its first bytes */
    uint8_t tail[16];            /* the last bytes fed, ending at fed */
    size_t head_len, tail_len;
    bool active;
    bool headers_done;
    bool is_tls;                 /* this direction carries TLS records, not HTTP */
} http_framer;

/* Per-connection authentication as the timeline tells it. */
typedef enum http_auth_state {
    HTTP_AUTH_NONE,
    HTTP_AUTH_CHALLENGED,  /* a 401 offered schemes */
    HTTP_AUTH_IN_PROGRESS, /* tokens are being exchanged */
    HTTP_AUTH_SENT_FINAL,  /* credentials sent (Basic, NTLM AUTHENTICATE, Kerberos AP-REQ) */
    HTTP_AUTH_DONE,        /* ... and a non-401 reply came back */
} http_auth_state;

typedef struct http_conv {
    http_framer fr[2];
    /* responses to HEAD carry no body: one bit per request framed, oldest first */
    uint64_t head_bits;
    unsigned head_n;
    uint64_t n_req, n_rsp; /* pairing keys: responses answer requests in order */
    http_auth_state auth;
    char scheme[16];       /* "Negotiate", "NTLM", "Basic", "Kerberos", "CredSSP" */
    char user[128];        /* who authenticated, "DOMAIN\user", or "" */
    dt_auth_state auth_st; /* the auth module's per-connection state: stage, user, NTLM keys */
    bool refused_noted;
} http_conv;

/* A header or other part of a message, as offsets into the PDU. */
typedef struct http_span {
    uint32_t off, len;
} http_span;

/* One message as the dissector sees it: parsed again, whole, by http-parser. */
typedef struct http_msg {
    const uint8_t *base;
    size_t len;
    bool is_request, complete, chunked, keep_alive, upgrade;
    unsigned method;             /* enum http_method */
    unsigned status;
    unsigned short major, minor;
    http_span url, reason;
    http_span hname[HTTP_MAX_HEADERS], hval[HTTP_MAX_HEADERS];
    unsigned nh, nh_total;       /* kept, seen */
    bool in_value;
    size_t header_end;           /* offset of the body */
    /* the body: one span (Content-Length), or copied together (chunked) */
    const uint8_t *body;
    size_t body_len;
    uint8_t *body_buf;           /* arena copy when the body came in several chunks */
    unsigned chunks;
    int err;                     /* enum http_errno, HPE_OK or HPE_PAUSED when whole */
    size_t err_off;
    dt_ctx *ctx;                 /* for arena allocation of body_buf */
} http_msg;

/* http_frame.c */
long http_frame(void *conv, dt_dir dir, const uint8_t *data, size_t avail);
int http_probe(const uint8_t *data, size_t len, dt_dir dir);
/* Parses one framed message; response_to_head skips a response's body. */
void http_parse_message(dt_ctx *ctx, const uint8_t *data, size_t len, bool response_to_head, http_msg *m);
/* The value of the first header with that name (case-insensitive), or NULL. */
const http_span *http_header(const http_msg *m, const char *name);
bool http_span_ieq(const http_msg *m, http_span s, const char *text);
/* Pops the oldest request's HEAD flag (for a final response). */
bool http_pop_head(http_conv *hc);

/* http_fields.c */
enum {
    HF_REQUEST,
    HF_METHOD,
    HF_URI,
    HF_PATH,
    HF_VERSION,
    HF_RESPONSE,
    HF_STATUS,
    HF_REASON,
    HF_HOST,
    HF_CONTENT_TYPE,
    HF_CONTENT_LENGTH,
    HF_TRANSFER_ENCODING,
    HF_CHUNKS,
    HF_CONNECTION,
    HF_USER_AGENT,
    HF_SERVER,
    HF_HEADER,
    HF_BODY_LENGTH,
    HF_BODY,
    HF_INNER,
    HF_AUTH,
    HF_AUTH_SCHEME,
    HF_AUTH_TOKEN_LEN,
    HF_AUTH_USER,
    HF_AUTH_PASSWORD,
    HF_AUTH_STATE,
    HF_WWW_AUTH,
    HF_ENC,
    HF_ENC_PROTOCOL,
    HF_ENC_PART,
    HF_ENC_ORIG_TYPE,
    HF_ENC_ORIG_LENGTH,
    HF_ENC_SIG_LENGTH,
    HF_ENC_SIGNATURE,
    HF_ENC_SEALED_LENGTH,
    HF_ENC_RESULT,
    HF_ERROR,
    HF_COUNT
};
extern const dt_field_def http_fields[HF_COUNT];

/* http_auth.c: Authorization / WWW-Authenticate headers */
void http_auth_request(dt_ctx *ctx, http_conv *hc, const http_msg *m);
void http_auth_response(dt_ctx *ctx, http_conv *hc, const http_msg *m);
void http_auth_free(http_conv *hc);
/* http_authtok.c: the auth module decodes a Negotiate/NTLM/Kerberos/CredSSP
 * token into fields under parent, tracks the connection's NTLM keys and may
 * name the user (hc->user). */
void http_auth_decode_token(dt_ctx *ctx, http_conv *hc, dt_field *parent, const char *scheme, bool request,
                            const uint8_t *tok, size_t len, size_t off);
/* Unseals one NTLM-sealed message of this connection into out (len bytes):
 * 1 done and the signature verified, 0 no usable key for this connection,
 * -1 the signature does not match; why (whysz bytes) says which. */
int http_auth_unseal(dt_ctx *ctx, http_conv *hc, dt_dir dir, const uint8_t *sig, size_t siglen,
                     const uint8_t *sealed, size_t len, uint8_t *out, char *why, size_t whysz);

/* http.c: a 500 whose WS-Man body (plaintext or unsealed) is a w:TimedOut
 * fault is WinRM's long polling, not a server error: the response's status
 * says so and it is not counted as an error. */
void http_wsman_long_poll(dt_ctx *ctx, const http_msg *m, const uint8_t *body, size_t len);

/* http_sealed.c: multipart/encrypted bodies; returns true when it handled the body */
bool http_sealed_body(dt_ctx *ctx, http_conv *hc, const http_msg *m, const char *inner);

/* http_b64.c: standard base64; returns the decoded length, or -1 on a bad character */
long http_b64_decode(const uint8_t *in, size_t inlen, uint8_t *out, size_t outsz);

/* tls.c */
long tls_record_frame(const uint8_t *data, size_t avail);
bool tls_looks_like_record(const uint8_t *data, size_t avail);
void tls_dissect_record(dt_ctx *ctx, const uint8_t *data, size_t len, const char *inside);

#endif
