/* Kerberos messages inside GSS-API/SPNEGO (RFC 4120, RFC 4121): AP-REQ
 * (ticket realm, service name, encryption type), AP-REP, KRB-ERROR (error
 * code by name, realm, service, text). Minimal DER: the encrypted parts are
 * not opened. */
#include "auth_int.h"

/* KerberosString / GeneralString contents as text. */
static void der_string(dt_cursor el, char *out, size_t sz)
{
    uint8_t tag;
    dt_cursor s;
    out[0] = '\0';
    if (auth_der_next(&el, &tag, &s) && (tag == 0x1b || tag == 0x0c || tag == 0x16 || tag == 0x13))
        dt_cur_string(&s, dt_cur_left(&s), out, sz);
}

/* PrincipalName ::= SEQUENCE { name-type [0], name-string [1] SEQUENCE OF KerberosString }
 * as "HTTP/host.example.com". */
static void principal(dt_cursor el, char *out, size_t sz)
{
    uint8_t tag;
    dt_cursor seq, names, list;
    out[0] = '\0';
    if (!auth_der_next(&el, &tag, &seq) || tag != 0x30 || !auth_der_field(seq, 1, &names))
        return;
    if (!auth_der_next(&names, &tag, &list) || tag != 0x30)
        return;
    size_t n = 0;
    for (int i = 0; i < 8 && !dt_cur_eof(&list); i++) {
        dt_cursor s;
        if (!auth_der_next(&list, &tag, &s))
            break;
        char part[96];
        dt_cur_string(&s, dt_cur_left(&s), part, sizeof part);
        if (n + strlen(part) + 2 >= sz)
            break;
        n += (size_t)dt_snprintf(out + n, sz - n, "%s%s", n ? "/" : "", part);
    }
}

/* EncryptedData ::= SEQUENCE { etype [0], kvno [1] OPTIONAL, cipher [2] } */
static void enc_data(auth_walk *w, dt_cursor el)
{
    uint8_t tag;
    dt_cursor seq;
    int64_t v;
    if (!auth_der_next(&el, &tag, &seq) || tag != 0x30)
        return;
    dt_cursor f;
    if (auth_der_field(seq, 0, &f) && auth_der_int(f, &v))
        auth_add_int(w, NULL, A_KRB_ETYPE, dt_cur_offset(&f), dt_cur_left(&f), v);
    if (auth_der_field(seq, 1, &f) && auth_der_int(f, &v))
        auth_add_uint(w, NULL, A_KRB_KVNO, dt_cur_offset(&f), dt_cur_left(&f), (uint64_t)v);
}

static void ap_req(auth_walk *w, dt_cursor seq)
{
    dt_auth_state *st = w->st;
    dt_cursor f;
    if (auth_der_field(seq, 2, &f)) { /* ap-options: BIT STRING, 32 bits after the unused-bits byte */
        uint8_t tag;
        dt_cursor bs;
        if (auth_der_next(&f, &tag, &bs) && tag == 0x03 && dt_cur_left(&bs) == 5) {
            size_t off = dt_cur_offset(&bs);
            dt_cur_skip(&bs, 1);
            auth_add_uint(w, NULL, A_KRB_AP_OPTIONS, off, 5, dt_cur_u32be(&bs));
        }
    }
    dt_cursor tkt, tseq;
    uint8_t tag;
    if (!auth_der_field(seq, 3, &f) || !auth_der_next(&f, &tag, &tkt) || tag != 0x61 ||
        !auth_der_next(&tkt, &tag, &tseq) || tag != 0x30) {
        auth_malformed(w, dt_cur_offset(&seq), "Kerberos AP-REQ without a ticket");
        return;
    }
    if (auth_der_field(tseq, 1, &f)) {
        der_string(f, st->realm, sizeof st->realm);
        auth_add_str(w, NULL, A_KRB_REALM, dt_cur_offset(&f), dt_cur_left(&f), st->realm);
    }
    if (auth_der_field(tseq, 2, &f)) {
        principal(f, st->service, sizeof st->service);
        auth_add_str(w, NULL, A_KRB_SNAME, dt_cur_offset(&f), dt_cur_left(&f), st->service);
    }
    if (auth_der_field(tseq, 3, &f))
        enc_data(w, f);
    auth_desc(w, "%s@%s", st->service, st->realm);
    st->have_client_dir = true;
    st->client_dir = w->dir;
    st->stage = DT_AUTH_STAGE_AUTHENTICATE;
    st->keys = DT_AUTH_KEYS_UNSUPPORTED;
}

static void krb_error(auth_walk *w, dt_cursor seq)
{
    dt_auth_state *st = w->st;
    dt_cursor f;
    int64_t code;
    if (auth_der_field(seq, 6, &f) && auth_der_int(f, &code)) {
        auth_add_int(w, NULL, A_KRB_ERROR, dt_cur_offset(&f), dt_cur_left(&f), code);
        const char *n = dt_value_name_find(auth_krb_error_vals, (uint64_t)code, false);
        if (n)
            auth_desc(w, "%s", n);
        else
            auth_desc(w, "error %lld", (long long)code);
        st->have_krb_error = true;
        st->krb_error = (int32_t)code;
    }
    char s[DT_AUTH_NAME_MAX];
    if (auth_der_field(seq, 9, &f)) {
        der_string(f, s, sizeof s);
        auth_add_str(w, NULL, A_KRB_REALM, dt_cur_offset(&f), dt_cur_left(&f), s);
    }
    if (auth_der_field(seq, 10, &f)) {
        char sn[DT_AUTH_NAME_MAX];
        principal(f, sn, sizeof sn);
        auth_add_str(w, NULL, A_KRB_SNAME, dt_cur_offset(&f), dt_cur_left(&f), sn);
    }
    if (auth_der_field(seq, 8, &f)) {
        principal(f, s, sizeof s);
        auth_add_str(w, NULL, A_KRB_CNAME, dt_cur_offset(&f), dt_cur_left(&f), s);
    }
    if (auth_der_field(seq, 11, &f)) {
        der_string(f, s, sizeof s);
        auth_add_str(w, NULL, A_KRB_ETEXT, dt_cur_offset(&f), dt_cur_left(&f), s);
        if (s[0])
            auth_desc(w, "\"%s\"", s);
    }
    st->stage = DT_AUTH_STAGE_REJECTED;
}

void auth_kerberos(auth_walk *w, dt_cursor msg, bool in_gss)
{
    w->st->mech = DT_AUTH_MECH_KERBEROS;
    if (in_gss) /* RFC 4121 4.1: a two-byte TOK_ID before the message */
        dt_cur_skip(&msg, 2);
    uint8_t app_tag, tag;
    dt_cursor app, seq;
    size_t off = dt_cur_offset(&msg);
    if (!auth_der_next(&msg, &app_tag, &app) || !auth_der_next(&app, &tag, &seq) || tag != 0x30) {
        auth_desc(w, "Kerberos");
        auth_malformed(w, off, "Kerberos message truncated");
        return;
    }
    unsigned type = app_tag >= 0x60 && app_tag < 0x80 ? app_tag - 0x60u : 0;
    auth_add_uint(w, NULL, A_KRB_MSG_TYPE, off, 1, type);
    const char *tn = dt_value_name_find(auth_krb_msg_vals, type, false);
    auth_desc(w, "Kerberos %s", tn ? tn : "message");
    if (type == 14) {
        ap_req(w, seq);
    } else if (type == 15) {
        dt_cursor f;
        if (auth_der_field(seq, 2, &f))
            enc_data(w, f);
        w->st->stage = DT_AUTH_STAGE_ACCEPTED;
    } else if (type == 30) {
        krb_error(w, seq);
    }
}
