/* Internals of the auth module: field ids, the token walker's context and
 * the per-mechanism parsers. */
#ifndef DIAGTAP_AUTH_INT_H
#define DIAGTAP_AUTH_INT_H

#include <stdio.h>
#include <string.h>

#include "auth.h"

extern const dt_value_name auth_ntlmssp_type_vals[];
extern const dt_value_name auth_negstate_vals[];
extern const dt_value_name auth_av_vals[];
extern const dt_value_name auth_krb_msg_vals[];
extern const dt_value_name auth_krb_error_vals[];
extern const dt_value_name auth_krb_etype_vals[];

/* X(id, abbrev, name, type, base, vals, flags) */
#define AUTH_FIELDS(X) \
    X(A_MECH, "auth.mech", "Authentication Mechanism", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_STAGE, "auth.stage", "Authentication Stage", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_USER, "auth.user", "Authenticated User", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_PASSWORD, "auth.password_check", "Password Check", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_SESSION_KEY, "auth.session_key", "Exported Session Key", DT_FT_BYTES, DT_BASE_NONE, NULL, DT_FF_CREDENTIAL) \
    X(A_NOTE, "auth.note", "Note", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_SPNEGO_MECH, "spnego.mech", "Security Mechanism", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_SPNEGO_NEGSTATE, "spnego.negstate", "Negotiation State", DT_FT_UINT8, DT_BASE_DEC, auth_negstate_vals, 0) \
    X(A_NTLM_TYPE, "ntlmssp.messagetype", "NTLM Message Type", DT_FT_UINT32, DT_BASE_HEX, auth_ntlmssp_type_vals, 0) \
    X(A_NTLM_FLAGS, "ntlmssp.negotiateflags", "Negotiate Flags", DT_FT_UINT32, DT_BASE_HEX, NULL, 0) \
    X(A_NTLM_FLAG_NAMES, "auth.ntlm.flags", "Negotiate Flags by Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_NEG_DOMAIN, "ntlmssp.negotiate.domain", "Calling Workstation Domain", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_NEG_HOST, "ntlmssp.negotiate.workstation", "Calling Workstation Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_CHALLENGE, "ntlmssp.ntlmserverchallenge", "NTLM Server Challenge", DT_FT_BYTES, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_TARGET, "ntlmssp.challenge.target_name", "Target Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_AV, "ntlmssp.ntlmv2_response.item_type", "Target Info Item", DT_FT_UINT16, DT_BASE_HEX, auth_av_vals, 0) \
    X(A_NTLM_AV_VALUE, "auth.ntlm.av_value", "Target Info Value", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_VERSION, "ntlmssp.version", "OS Version", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_DOMAIN, "ntlmssp.auth.domain", "Domain name", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_USER, "ntlmssp.auth.username", "User name", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_HOST, "ntlmssp.auth.hostname", "Host name", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_NTLM_LMRESP, "ntlmssp.auth.lmresponse", "LMv2 Response", DT_FT_BYTES, DT_BASE_NONE, NULL, DT_FF_CREDENTIAL) \
    X(A_NTLM_NTRESP, "ntlmssp.auth.ntresponse", "NTLM Response", DT_FT_BYTES, DT_BASE_NONE, NULL, DT_FF_CREDENTIAL) \
    X(A_NTLM_SESSKEY, "ntlmssp.auth.sesskey", "Encrypted Session Key", DT_FT_BYTES, DT_BASE_NONE, NULL, DT_FF_CREDENTIAL) \
    X(A_NTLM_RESP_VERSION, "auth.ntlm.response_version", "NTLM Response Version", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_KRB_MSG_TYPE, "kerberos.msg_type", "Kerberos Message Type", DT_FT_UINT8, DT_BASE_DEC, auth_krb_msg_vals, 0) \
    X(A_KRB_AP_OPTIONS, "kerberos.ap_options", "AP Options", DT_FT_UINT32, DT_BASE_HEX, NULL, 0) \
    X(A_KRB_REALM, "kerberos.realm", "Realm", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_KRB_SNAME, "kerberos.SNameString", "Service Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_KRB_CNAME, "kerberos.CNameString", "Client Name", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_KRB_ETYPE, "kerberos.etype", "Encryption Type", DT_FT_INT32, DT_BASE_DEC, auth_krb_etype_vals, 0) \
    X(A_KRB_KVNO, "kerberos.kvno", "Key Version", DT_FT_UINT32, DT_BASE_DEC, NULL, 0) \
    X(A_KRB_ERROR, "kerberos.error_code", "Error Code", DT_FT_INT32, DT_BASE_DEC, auth_krb_error_vals, 0) \
    X(A_KRB_ETEXT, "kerberos.e_text", "Error Text", DT_FT_STRING, DT_BASE_NONE, NULL, 0) \
    X(A_CREDSSP_VERSION, "credssp.TSRequest.version", "CredSSP Version", DT_FT_UINT32, DT_BASE_DEC, NULL, 0) \
    X(A_CREDSSP_ERROR, "credssp.TSRequest.errorCode", "CredSSP Error Code", DT_FT_UINT32, DT_BASE_HEX, NULL, 0)

enum {
#define AUTH_ID(id, abbrev, name, type, base, vals, flags) id,
    AUTH_FIELDS(AUTH_ID)
#undef AUTH_ID
    A_COUNT
};

#define AF(id) (&dt_auth_fields[id])

/* One token being walked: where its bytes sit relative to the PDU, so fields
 * get offsets when the token is in the PDU and are generated otherwise. */
typedef struct auth_walk {
    dt_ctx *ctx;
    dt_field *parent;
    dt_auth_state *st;
    dt_dir dir;
    bool in_pdu;
    char *desc; /* st->desc */
} auth_walk;

/* A cursor over the token: base is its offset in the PDU (or 0). */
dt_cursor auth_cursor(const auth_walk *w, const uint8_t *tok, size_t len);

/* Field helpers that drop offsets for tokens outside the PDU. */
dt_field *auth_add_str(auth_walk *w, dt_field *parent, int id, size_t off, size_t len, const char *s);
dt_field *auth_add_uint(auth_walk *w, dt_field *parent, int id, size_t off, size_t len, uint64_t v);
dt_field *auth_add_int(auth_walk *w, dt_field *parent, int id, size_t off, size_t len, int64_t v);
dt_field *auth_add_bytes(auth_walk *w, dt_field *parent, int id, size_t off, const uint8_t *b, size_t len);
void auth_malformed(auth_walk *w, size_t off, const char *what);
/* Appends to the summary fragment, with a space between parts. */
void auth_desc(auth_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* DER: one element's tag and a cursor over its contents (definite lengths). */
bool auth_der_next(dt_cursor *c, uint8_t *tag, dt_cursor *content);
/* The element with context tag [n] (0xa0 | n) inside a SEQUENCE's contents. */
bool auth_der_field(dt_cursor seq, unsigned n, dt_cursor *content);
/* INTEGER contents as a signed value (up to 8 bytes). */
bool auth_der_int(dt_cursor c, int64_t *v);

/* Per mechanism. */
void auth_ntlmssp(auth_walk *w, dt_cursor msg);
void auth_kerberos(auth_walk *w, dt_cursor msg, bool in_gss);
void auth_credssp(auth_walk *w, dt_cursor msg);
/* CredSSP as it travels in WinRM's headers: TLS records (handshake, then
 * TSRequests as encrypted application data). */
bool auth_is_tls_record(dt_cursor tok);
void auth_credssp_tls(auth_walk *w, dt_cursor tok);
void auth_spnego(auth_walk *w, dt_cursor tok, int depth);
void auth_mech_token(auth_walk *w, dt_cursor tok, int depth);

/* ntlm_session.c: from the AUTHENTICATE's parts, derive the keys (or say
 * why not) and add the auth.password_check / auth.session_key fields. */
typedef struct auth_ntlm_auth {
    const uint8_t *nt_resp;
    size_t nt_len;
    const uint8_t *lm_resp;
    size_t lm_len;
    const uint8_t *enc_key;
    size_t enc_key_len;
    const uint8_t *user, *domain; /* as sent: UTF-16LE when unicode, else OEM */
    size_t user_len, domain_len;
    bool unicode;
    char user_utf8[64], domain_utf8[64];
    uint32_t flags;
} auth_ntlm_auth;
void auth_ntlm_keys(auth_walk *w, const auth_ntlm_auth *a);

#endif
