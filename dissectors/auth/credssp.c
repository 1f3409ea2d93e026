/* CredSSP (MS-CSSP 2.2.1) TSRequest: which stage of the exchange it is
 * (negoTokens, pubKeyAuth, authInfo, errorCode). The SPNEGO/NTLM tokens it
 * carries are walked too, so the user is named; what CredSSP protects
 * (authInfo, and WinRM bodies sealed under its TLS channel) stays sealed. */
#include "auth_int.h"

void auth_credssp(auth_walk *w, dt_cursor msg)
{
    uint8_t tag;
    dt_cursor seq, f;
    size_t off = dt_cur_offset(&msg);
    if (!auth_der_next(&msg, &tag, &seq) || tag != 0x30) {
        auth_desc(w, "CredSSP");
        auth_malformed(w, off, "CredSSP TSRequest malformed");
        return;
    }
    int64_t v;
    if (auth_der_field(seq, 0, &f) && auth_der_int(f, &v))
        auth_add_uint(w, NULL, A_CREDSSP_VERSION, dt_cur_offset(&f), dt_cur_left(&f), (uint64_t)v);
    const char *stage = NULL;
    if (auth_der_field(seq, 1, &f)) {
        stage = "negoTokens";
        dt_cursor list, item, tok;
        if (auth_der_next(&f, &tag, &list) && tag == 0x30 && auth_der_next(&list, &tag, &item) && tag == 0x30 &&
            auth_der_field(item, 0, &tok) && auth_der_next(&tok, &tag, &item) && tag == 0x04) {
            auth_desc(w, "CredSSP");
            auth_mech_token(w, item, 3);
            stage = NULL;
        }
    }
    if (auth_der_field(seq, 3, &f))
        stage = "pubKeyAuth";
    if (auth_der_field(seq, 2, &f))
        stage = "authInfo (delegated credentials, encrypted)";
    if (auth_der_field(seq, 4, &f) && auth_der_int(f, &v)) {
        auth_add_uint(w, NULL, A_CREDSSP_ERROR, dt_cur_offset(&f), dt_cur_left(&f), (uint64_t)v);
        auth_desc(w, "CredSSP error 0x%08x", (unsigned)v);
        w->st->stage = DT_AUTH_STAGE_REJECTED;
    }
    if (stage) {
        auth_desc(w, "CredSSP %s", stage);
        auth_add_str(w, NULL, A_STAGE, 0, 0, stage);
    }
    w->st->mech = DT_AUTH_MECH_CREDSSP;
}
