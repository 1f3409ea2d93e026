/* SESSION_SETUP security blobs: SPNEGO (GSS-API) around NTLMSSP or Kerberos.
 * Only as much DER as the blobs need: tag, length, nested sequences. The
 * NTLM responses and session key are credentials (DT_FF_CREDENTIAL); user,
 * domain and workstation names are not secret and are shown. */
#include <stdio.h>
#include <string.h>

#include "smb2_int.h"

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

/* One DER element: returns its tag and a cursor over its contents. */
static bool der_next(dt_cursor *c, uint8_t *tag, dt_cursor *content)
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

typedef struct auth_out {
    char *desc;
    size_t descsz;
    char *user;
    size_t usersz;
} auth_out;

/* An NTLMSSP security buffer: length, max length, offset from msg start. */
static dt_cursor secbuf(dt_cursor *c, const dt_cursor *msg)
{
    uint16_t len = dt_cur_u16le(c);
    dt_cur_skip(c, 2);
    uint32_t off = dt_cur_u32le(c);
    dt_cursor t = *msg;
    t.pos = 0;
    if (!dt_cur_seek(&t, off)) {
        dt_cursor e = dt_cursor_make(msg->data, 0);
        e.base = msg->base;
        return e;
    }
    return dt_cur_sub(&t, len);
}

static void secbuf_string(dt_ctx *ctx, const dt_field_def *f, dt_cursor b, bool unicode, char *out, size_t sz)
{
    size_t off = dt_cur_offset(&b), n = dt_cur_left(&b);
    out[0] = '\0';
    if (unicode)
        dt_cur_utf16le(&b, n, out, sz);
    else
        dt_cur_string(&b, n, out, sz);
    if (n)
        dt_add_string(ctx, NULL, f, off, n, out, strlen(out));
}

static void secbuf_bytes(dt_ctx *ctx, const dt_field_def *f, dt_cursor b)
{
    size_t n = dt_cur_left(&b);
    if (n)
        dt_add_bytes(ctx, NULL, f, dt_cur_offset(&b), n, b.data + b.pos, n);
}

static void ntlmssp(dt_ctx *ctx, dt_cursor msg, auth_out *o)
{
    dt_cursor c = msg;
    dt_cur_skip(&c, 8);
    uint32_t type = 0, flags = 0;
    dt_add_u32le(ctx, NULL, HF(F_NTLMSSP_TYPE), &c, &type);
    const char *tn = dt_value_name_find(smb2_ntlmssp_type_vals, type, false);
    smb2_appendf(o->desc, o->descsz, "%s%s", o->desc[0] ? " " : "", tn ? tn : "NTLMSSP");
    dt_add_string(ctx, NULL, HF(F_SPNEGO_MECH), dt_cur_offset(&msg), 0, "NTLMSSP", 7);
    if (type == 1) {
        dt_add_u32le(ctx, NULL, HF(F_NTLMSSP_FLAGS), &c, &flags);
    } else if (type == 2) {
        dt_cursor target = secbuf(&c, &msg);
        dt_add_u32le(ctx, NULL, HF(F_NTLMSSP_FLAGS), &c, &flags);
        const uint8_t *ch = dt_cur_bytes(&c, 8);
        if (ch)
            dt_add_bytes(ctx, NULL, HF(F_NTLMSSP_CHALLENGE), dt_cur_offset(&c) - 8, 8, ch, 8);
        char name[96];
        secbuf_string(ctx, HF(F_NTLMSSP_TARGET), target, flags & 1, name, sizeof name);
    } else if (type == 3) {
        dt_cursor lm = secbuf(&c, &msg), nt = secbuf(&c, &msg), dom = secbuf(&c, &msg);
        dt_cursor usr = secbuf(&c, &msg), host = secbuf(&c, &msg), key = secbuf(&c, &msg);
        dt_add_u32le(ctx, NULL, HF(F_NTLMSSP_FLAGS), &c, &flags);
        bool uni = flags & 1;
        char d[64], u[64], h[64];
        secbuf_string(ctx, HF(F_NTLMSSP_DOMAIN), dom, uni, d, sizeof d);
        secbuf_string(ctx, HF(F_NTLMSSP_USER), usr, uni, u, sizeof u);
        secbuf_string(ctx, HF(F_NTLMSSP_HOST), host, uni, h, sizeof h);
        secbuf_bytes(ctx, HF(F_NTLMSSP_LMRESP), lm);
        secbuf_bytes(ctx, HF(F_NTLMSSP_NTRESP), nt);
        secbuf_bytes(ctx, HF(F_NTLMSSP_SESSKEY), key);
        if (dt_cur_ok(&c)) {
            dt_add_string(ctx, NULL, HF(F_ACCT), 0, 0, u, strlen(u));
            dt_add_string(ctx, NULL, HF(F_DOMAIN), 0, 0, d, strlen(d));
            dt_add_string(ctx, NULL, HF(F_HOST), 0, 0, h, strlen(h));
        }
        bool anon = !u[0] && dt_cur_left(&nt) == 0;
        if (anon) {
            smb2_appendf(o->desc, o->descsz, " anonymous");
        } else {
            smb2_appendf(o->desc, o->descsz, " %s%s%s%s%s", d, d[0] ? "\\" : "", u, h[0] ? " from " : "", h);
            if (o->user)
                snprintf(o->user, o->usersz, "%s%s%s", d, d[0] ? "\\" : "", u);
        }
    }
    if (!dt_cur_ok(&c))
        dt_malformed(ctx, dt_cur_offset(&c), "NTLMSSP message truncated");
}

static void mech_token(dt_ctx *ctx, dt_cursor tok, auth_out *o);

static void mech_list(dt_ctx *ctx, dt_cursor seq)
{
    for (int i = 0; i < 16 && !dt_cur_eof(&seq); i++) {
        uint8_t tag;
        dt_cursor oid;
        size_t off = dt_cur_offset(&seq);
        if (!der_next(&seq, &tag, &oid) || tag != 0x06)
            break;
        const char *n = oid_name(oid.data + oid.pos, dt_cur_left(&oid));
        if (n)
            dt_add_string(ctx, NULL, HF(F_SPNEGO_MECH), off, dt_cur_offset(&seq) - off, n, strlen(n));
    }
}

/* [0] NegTokenInit { [0] mechTypes, [2] mechToken, ... } */
static void neg_token_init(dt_ctx *ctx, dt_cursor body, auth_out *o)
{
    uint8_t tag;
    dt_cursor outer, seq, el;
    if (!der_next(&body, &tag, &outer) || tag != 0xa0)
        return;
    if (!der_next(&outer, &tag, &seq) || tag != 0x30)
        return;
    while (!dt_cur_eof(&seq) && der_next(&seq, &tag, &el)) {
        dt_cursor inner;
        uint8_t itag;
        if (tag == 0xa0 && der_next(&el, &itag, &inner) && itag == 0x30)
            mech_list(ctx, inner);
        else if (tag == 0xa2 && der_next(&el, &itag, &inner) && itag == 0x04)
            mech_token(ctx, inner, o);
    }
}

/* [1] NegTokenResp { [0] negState, [1] supportedMech, [2] responseToken } */
static void neg_token_resp(dt_ctx *ctx, dt_cursor body, auth_out *o)
{
    uint8_t tag;
    dt_cursor outer, seq, el;
    if (!der_next(&body, &tag, &outer) || tag != 0xa1)
        return;
    if (!der_next(&outer, &tag, &seq) || tag != 0x30)
        return;
    while (!dt_cur_eof(&seq) && der_next(&seq, &tag, &el)) {
        dt_cursor inner;
        uint8_t itag;
        if (tag == 0xa0 && der_next(&el, &itag, &inner) && itag == 0x0a) {
            static const char *const states[] = { "accept-completed", "accept-incomplete", "reject",
                                                  "request-mic" };
            uint8_t st = dt_cur_u8(&inner);
            if (dt_cur_ok(&inner) && st == 2)
                smb2_appendf(o->desc, o->descsz, "%sSPNEGO %s", o->desc[0] ? " " : "", states[st]);
        } else if (tag == 0xa1 && der_next(&el, &itag, &inner) && itag == 0x06) {
            size_t off = dt_cur_offset(&inner);
            const char *n = oid_name(inner.data + inner.pos, dt_cur_left(&inner));
            if (n)
                dt_add_string(ctx, NULL, HF(F_SPNEGO_MECH), off, dt_cur_left(&inner), n, strlen(n));
        } else if (tag == 0xa2 && der_next(&el, &itag, &inner) && itag == 0x04) {
            mech_token(ctx, inner, o);
        }
    }
}

/* A GSS-API token: [APPLICATION 0] { OID, inner } (SPNEGO or Kerberos). */
static void gss_token(dt_ctx *ctx, dt_cursor tok, auth_out *o, int depth)
{
    uint8_t tag;
    dt_cursor app, oid;
    if (!der_next(&tok, &tag, &app) || tag != 0x60)
        return;
    if (!der_next(&app, &tag, &oid) || tag != 0x06)
        return;
    const uint8_t *p = oid.data + oid.pos;
    size_t n = dt_cur_left(&oid);
    if (OID_IS(p, n, oid_spnego) && depth == 0) {
        neg_token_init(ctx, app, o);
        return;
    }
    if (OID_IS(p, n, oid_krb5) || OID_IS(p, n, oid_mskrb5)) {
        const uint8_t *id = dt_cur_peek(&app, 0, 2);
        const char *what = !id ? "" : id[0] == 1 ? " AP-REQ" : id[0] == 2 ? " AP-REP" : id[0] == 3 ? " KRB-ERROR" : "";
        dt_add_string(ctx, NULL, HF(F_SPNEGO_MECH), dt_cur_offset(&oid), n, "Kerberos 5", 10);
        smb2_appendf(o->desc, o->descsz, "%sKerberos%s", o->desc[0] ? " " : "", what);
    }
}

static void mech_token(dt_ctx *ctx, dt_cursor tok, auth_out *o)
{
    const uint8_t *p = dt_cur_peek(&tok, 0, 8);
    if (p && memcmp(p, "NTLMSSP", 8) == 0) {
        ntlmssp(ctx, tok, o);
        return;
    }
    p = dt_cur_peek(&tok, 0, 1);
    if (p && p[0] == 0x60) {
        gss_token(ctx, tok, o, 1);
        return;
    }
    /* A raw Kerberos AP-REP inside a NegTokenResp: [APPLICATION 15]. */
    if (p && p[0] == 0x6f)
        smb2_appendf(o->desc, o->descsz, "%sKerberos AP-REP", o->desc[0] ? " " : "");
}

void smb2_dissect_security_blob(dt_ctx *ctx, dt_field *parent, dt_cursor blob, char *out, size_t outsz,
                                char *user, size_t usersz)
{
    (void)parent;
    auth_out o = { out, outsz, user, usersz };
    if (user && usersz)
        user[0] = '\0';
    const uint8_t *p = dt_cur_peek(&blob, 0, 1);
    if (!p)
        return;
    if (p[0] == 0x60)
        gss_token(ctx, blob, &o, 0);
    else if (p[0] == 0xa1)
        neg_token_resp(ctx, blob, &o);
    else if (p[0] == 0xa0)
        neg_token_init(ctx, blob, &o);
    else
        mech_token(ctx, blob, &o);
}
