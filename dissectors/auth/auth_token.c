/* The token walker: which mechanism a token belongs to (GSS-API wrapper,
 * SPNEGO, raw NTLMSSP, raw Kerberos, CredSSP), SPNEGO itself, and the
 * helpers every mechanism's parser shares. Only as much DER as the tokens
 * need: tag, definite length, nested sequences. */
#include <stdarg.h>

#include "auth_int.h"

static const uint8_t oid_spnego[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
static const uint8_t oid_ntlmssp[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a };
static const uint8_t oid_krb5[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02 };
static const uint8_t oid_mskrb5[] = { 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02 };
static const uint8_t oid_krb5u2u[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03 };
static const uint8_t oid_negoex[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e };

#define OID_IS(p, n, oid) ((n) == sizeof(oid) && memcmp((p), (oid), sizeof(oid)) == 0)

static const char *oid_name(const uint8_t *p, size_t n)
{
    if (OID_IS(p, n, oid_ntlmssp))
        return "NTLMSSP";
    if (OID_IS(p, n, oid_krb5))
        return "Kerberos 5";
    if (OID_IS(p, n, oid_mskrb5))
        return "MS Kerberos 5";
    if (OID_IS(p, n, oid_krb5u2u))
        return "Kerberos 5 user-to-user";
    if (OID_IS(p, n, oid_negoex))
        return "NEGOEX";
    if (OID_IS(p, n, oid_spnego))
        return "SPNEGO";
    return NULL;
}

/* ---- Field helpers. */

dt_cursor auth_cursor(const auth_walk *w, const uint8_t *tok, size_t len)
{
    dt_cursor c = dt_cursor_make(tok, len);
    if (w->in_pdu)
        c.base = (size_t)(tok - w->ctx->pdu);
    return c;
}

dt_field *auth_add_str(auth_walk *w, dt_field *parent, int id, size_t off, size_t len, const char *s)
{
    return dt_add_string(w->ctx, parent ? parent : w->parent, AF(id), w->in_pdu ? off : 0, w->in_pdu ? len : 0, s,
                         strlen(s));
}

dt_field *auth_add_uint(auth_walk *w, dt_field *parent, int id, size_t off, size_t len, uint64_t v)
{
    return dt_add_uint(w->ctx, parent ? parent : w->parent, AF(id), w->in_pdu ? off : 0, w->in_pdu ? len : 0, v);
}

dt_field *auth_add_int(auth_walk *w, dt_field *parent, int id, size_t off, size_t len, int64_t v)
{
    return dt_add_int(w->ctx, parent ? parent : w->parent, AF(id), w->in_pdu ? off : 0, w->in_pdu ? len : 0, v);
}

dt_field *auth_add_bytes(auth_walk *w, dt_field *parent, int id, size_t off, const uint8_t *b, size_t len)
{
    return dt_add_bytes(w->ctx, parent ? parent : w->parent, AF(id), w->in_pdu ? off : 0, w->in_pdu ? len : 0, b,
                        len);
}

void auth_malformed(auth_walk *w, size_t off, const char *what)
{
    if (w->in_pdu)
        dt_malformed(w->ctx, off, "%s", what);
    else
        dt_malformed(w->ctx, 0, "%s (at byte %zu of the token)", what, off);
}

void auth_desc(auth_walk *w, const char *fmt, ...)
{
    size_t n = strlen(w->desc);
    if (n + 2 >= DT_AUTH_DESC_MAX)
        return;
    if (n)
        w->desc[n++] = ' ', w->desc[n] = '\0';
    va_list ap;
    va_start(ap, fmt);
    dt_vsnprintf(w->desc + n, DT_AUTH_DESC_MAX - n, fmt, ap);
    va_end(ap);
}

/* ---- DER. */

bool auth_der_next(dt_cursor *c, uint8_t *tag, dt_cursor *content)
{
    *tag = dt_cur_u8(c);
    uint8_t l = dt_cur_u8(c);
    size_t len = l;
    if (l & 0x80) {
        unsigned n = l & 0x7f;
        if (n == 0 || n > 4)
            return false;
        len = 0;
        for (unsigned i = 0; i < n; i++)
            len = (len << 8) | dt_cur_u8(c);
    }
    if (!dt_cur_ok(c))
        return false;
    *content = dt_cur_sub(c, len);
    return dt_cur_ok(c);
}

bool auth_der_field(dt_cursor seq, unsigned n, dt_cursor *content)
{
    uint8_t tag;
    for (int i = 0; i < 32 && !dt_cur_eof(&seq); i++) {
        if (!auth_der_next(&seq, &tag, content))
            return false;
        if (tag == (0xa0 | n))
            return true;
    }
    return false;
}

bool auth_der_int(dt_cursor c, int64_t *v)
{
    uint8_t tag;
    dt_cursor i;
    if (!auth_der_next(&c, &tag, &i) || tag != 0x02 || dt_cur_left(&i) == 0 || dt_cur_left(&i) > 8)
        return false;
    const uint8_t *p = i.data + i.pos;
    size_t n = dt_cur_left(&i);
    uint64_t x = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
    for (size_t k = 0; k < n; k++)
        x = (x << 8) | p[k];
    *v = (int64_t)x;
    return true;
}

/* ---- SPNEGO (RFC 4178). */

static void mech_list(auth_walk *w, dt_cursor seq)
{
    for (int i = 0; i < 16 && !dt_cur_eof(&seq); i++) {
        uint8_t tag;
        dt_cursor oid;
        size_t off = dt_cur_offset(&seq);
        if (!auth_der_next(&seq, &tag, &oid) || tag != 0x06)
            break;
        const char *n = oid_name(oid.data + oid.pos, dt_cur_left(&oid));
        if (n)
            auth_add_str(w, NULL, A_SPNEGO_MECH, off, dt_cur_offset(&seq) - off, n);
    }
}

/* [0] NegTokenInit { [0] mechTypes, [2] mechToken, ... } */
static void neg_token_init(auth_walk *w, dt_cursor body, int depth)
{
    uint8_t tag;
    dt_cursor outer, seq, el;
    if (!auth_der_next(&body, &tag, &outer) || tag != 0xa0 || !auth_der_next(&outer, &tag, &seq) || tag != 0x30) {
        auth_malformed(w, dt_cur_offset(&body), "SPNEGO NegTokenInit malformed");
        return;
    }
    bool token = false;
    while (!dt_cur_eof(&seq) && auth_der_next(&seq, &tag, &el)) {
        dt_cursor inner;
        uint8_t itag;
        if (tag == 0xa0 && auth_der_next(&el, &itag, &inner) && itag == 0x30) {
            mech_list(w, inner);
        } else if (tag == 0xa2 && auth_der_next(&el, &itag, &inner) && itag == 0x04) {
            auth_mech_token(w, inner, depth + 1);
            token = true;
        }
    }
    if (!token && !w->desc[0])
        auth_desc(w, "SPNEGO init");
    if (w->st->stage == DT_AUTH_STAGE_NONE)
        w->st->stage = DT_AUTH_STAGE_NEGOTIATE;
}

/* [1] NegTokenResp { [0] negState, [1] supportedMech, [2] responseToken, [3] mechListMIC } */
static void neg_token_resp(auth_walk *w, dt_cursor body, int depth)
{
    uint8_t tag;
    dt_cursor outer, seq, el;
    if (!auth_der_next(&body, &tag, &outer) || tag != 0xa1 || !auth_der_next(&outer, &tag, &seq) || tag != 0x30) {
        auth_malformed(w, dt_cur_offset(&body), "SPNEGO NegTokenResp malformed");
        return;
    }
    int state = -1;
    while (!dt_cur_eof(&seq) && auth_der_next(&seq, &tag, &el)) {
        dt_cursor inner;
        uint8_t itag;
        if (tag == 0xa0 && auth_der_next(&el, &itag, &inner) && itag == 0x0a) {
            size_t off = dt_cur_offset(&inner);
            uint8_t st = dt_cur_u8(&inner);
            if (dt_cur_ok(&inner)) {
                state = st;
                auth_add_uint(w, NULL, A_SPNEGO_NEGSTATE, off, 1, st);
            }
        } else if (tag == 0xa1 && auth_der_next(&el, &itag, &inner) && itag == 0x06) {
            size_t off = dt_cur_offset(&inner);
            const char *n = oid_name(inner.data + inner.pos, dt_cur_left(&inner));
            if (n)
                auth_add_str(w, NULL, A_SPNEGO_MECH, off, dt_cur_left(&inner), n);
        } else if (tag == 0xa2 && auth_der_next(&el, &itag, &inner) && itag == 0x04) {
            auth_mech_token(w, inner, depth + 1);
        }
    }
    if (state == 0 && w->st->stage >= DT_AUTH_STAGE_AUTHENTICATE && w->st->stage != DT_AUTH_STAGE_REJECTED)
        w->st->stage = DT_AUTH_STAGE_ACCEPTED;
    if (state == 2) {
        w->st->stage = DT_AUTH_STAGE_REJECTED;
        auth_desc(w, "SPNEGO reject");
    }
}

void auth_spnego(auth_walk *w, dt_cursor tok, int depth)
{
    const uint8_t *p = dt_cur_peek(&tok, 0, 1);
    if (!p)
        return;
    if (p[0] == 0xa0)
        neg_token_init(w, tok, depth);
    else if (p[0] == 0xa1)
        neg_token_resp(w, tok, depth);
    else
        auth_malformed(w, dt_cur_offset(&tok), "SPNEGO token neither NegTokenInit nor NegTokenResp");
}

/* A GSS-API InitialContextToken: [APPLICATION 0] { OID, inner }. */
static void gss_token(auth_walk *w, dt_cursor tok, int depth)
{
    uint8_t tag;
    dt_cursor app, oid;
    if (!auth_der_next(&tok, &tag, &app) || tag != 0x60 || !auth_der_next(&app, &tag, &oid) || tag != 0x06) {
        auth_malformed(w, dt_cur_offset(&tok), "GSS-API token malformed");
        return;
    }
    const uint8_t *p = oid.data + oid.pos;
    size_t n = dt_cur_left(&oid);
    if (OID_IS(p, n, oid_spnego)) {
        auth_spnego(w, app, depth);
    } else if (OID_IS(p, n, oid_krb5) || OID_IS(p, n, oid_mskrb5) || OID_IS(p, n, oid_krb5u2u)) {
        auth_add_str(w, NULL, A_SPNEGO_MECH, dt_cur_offset(&oid), n, oid_name(p, n));
        auth_kerberos(w, app, true);
    } else if (OID_IS(p, n, oid_ntlmssp)) {
        auth_ntlmssp(w, app);
    } else {
        auth_desc(w, "GSS token (unknown mechanism)");
    }
}

void auth_mech_token(auth_walk *w, dt_cursor tok, int depth)
{
    if (depth > 4)
        return;
    const uint8_t *p = dt_cur_peek(&tok, 0, 8);
    if (p && memcmp(p, "NTLMSSP", 8) == 0) {
        auth_ntlmssp(w, tok);
        return;
    }
    p = dt_cur_peek(&tok, 0, 1);
    if (!p)
        return;
    if (p[0] == 0x60)
        gss_token(w, tok, depth);
    else if (p[0] == 0xa0 || p[0] == 0xa1)
        auth_spnego(w, tok, depth);
    else if (p[0] == 0x6e || p[0] == 0x6f || p[0] == 0x7e) /* raw AP-REQ, AP-REP, KRB-ERROR */
        auth_kerberos(w, tok, false);
    else if (p[0] == 0x30)
        auth_credssp(w, tok);
    else if (auth_is_tls_record(tok))
        auth_credssp_tls(w, tok);
    else
        auth_desc(w, "unknown security token");
}

/* ---- Public entry points and accessors. */

const char *dt_auth_token(dt_ctx *ctx, dt_field *parent, dt_auth_state *st, dt_dir dir, const uint8_t *tok,
                          size_t len)
{
    auth_walk w = { ctx, parent, st, dir, false, st->desc };
    st->desc[0] = '\0';
    if (!tok || !len)
        return st->desc;
    w.in_pdu = ctx->pdu && tok >= ctx->pdu && tok + len <= ctx->pdu + ctx->pdu_len;
    auth_mech_token(&w, auth_cursor(&w, tok, len), 0);
    return st->desc;
}

void dt_auth_set_outcome(dt_auth_state *st, bool accepted)
{
    if (!accepted)
        st->stage = DT_AUTH_STAGE_REJECTED;
    else if (st->stage != DT_AUTH_STAGE_REJECTED)
        st->stage = DT_AUTH_STAGE_ACCEPTED;
}

const char *dt_auth_user(const dt_auth_state *st) { return st->user; }
dt_auth_mech dt_auth_mechanism(const dt_auth_state *st) { return st->mech; }

const char *dt_auth_mech_name(dt_auth_mech m)
{
    switch (m) {
    case DT_AUTH_MECH_NTLM:
        return "NTLM";
    case DT_AUTH_MECH_KERBEROS:
        return "Kerberos";
    case DT_AUTH_MECH_NEGOEX:
        return "NEGOEX";
    case DT_AUTH_MECH_CREDSSP:
        return "CredSSP";
    case DT_AUTH_MECH_NONE:
        break;
    }
    return "none";
}

bool dt_auth_complete(const dt_auth_state *st)
{
    return st->stage == DT_AUTH_STAGE_AUTHENTICATE || st->stage == DT_AUTH_STAGE_ACCEPTED;
}

bool dt_auth_session_key(const dt_auth_state *st, uint8_t out[16])
{
    if (st->keys != DT_AUTH_KEYS_READY)
        return false;
    memcpy(out, st->session_key, 16);
    return true;
}

bool dt_auth_can_unseal(const dt_auth_state *st) { return st->keys == DT_AUTH_KEYS_READY; }

void dt_auth_free(dt_auth_state *st)
{
    for (int i = 0; i < 2; i++)
        dt_cipher_close(&st->ntlm[i].rc4);
}

void dt_auth_reset(dt_auth_state *st)
{
    dt_auth_free(st);
    memset(st, 0, sizeof *st);
}
