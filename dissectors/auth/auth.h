/* Authentication tokens and NTLM session security, shared by every dissector
 * that carries them (SMB2 SESSION_SETUP, HTTP Authorization/WWW-Authenticate,
 * WinRM sealed bodies).
 *
 * A carrier embeds one dt_auth_state in its per-conversation state (fixed
 * size: nothing is allocated per event) and hands each token to
 * dt_auth_token: a GSS-API token (SPNEGO or Kerberos), a bare SPNEGO
 * NegTokenInit/NegTokenResp, a raw NTLMSSP message, a raw Kerberos message,
 * or a CredSSP TSRequest. It adds the fields (ntlmssp.*, spnego.*,
 * kerberos.*, credssp.*, auth.*: the "auth" field table, `diagtap fields
 * auth`) and keeps the handshake's stage, mechanism and DOMAIN\user.
 *
 * NTLM session security (MS-NLMP 3.4): when the run has the user's password
 * (option ntlm.password = [DOMAIN\]USER:PASSWORD, or ntlm.hash =
 * [DOMAIN\]USER:NTHASH in hex; several separated by ';'), the AUTHENTICATE
 * message yields the session keys: the NTLMv2 proof is checked first (a wrong
 * password is said once, on the AUTHENTICATE), then sealing and signing keys
 * per direction. dt_auth_unseal removes the sealing of a message (WinRM's
 * multipart/encrypted); dt_auth_session_key gives the exported session key
 * SMB3 derives its keys from.
 *
 * The state owns backend cipher handles once keys exist (opened once per
 * handshake, not per event): the carrier's conv_free calls dt_auth_free.
 * A zeroed dt_auth_state is a valid empty state.
 */
#ifndef DIAGTAP_AUTH_H
#define DIAGTAP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/dt_crypto.h"
#include "diagtap/dissector.h"

typedef enum dt_auth_mech {
    DT_AUTH_MECH_NONE = 0,
    DT_AUTH_MECH_NTLM,
    DT_AUTH_MECH_KERBEROS,
    DT_AUTH_MECH_NEGOEX,
    DT_AUTH_MECH_CREDSSP,
} dt_auth_mech;

typedef enum dt_auth_stage {
    DT_AUTH_STAGE_NONE = 0,
    DT_AUTH_STAGE_NEGOTIATE,    /* NTLM NEGOTIATE, SPNEGO init without a usable token */
    DT_AUTH_STAGE_CHALLENGE,    /* NTLM CHALLENGE */
    DT_AUTH_STAGE_AUTHENTICATE, /* NTLM AUTHENTICATE, Kerberos AP-REQ: the client has proved itself */
    DT_AUTH_STAGE_ACCEPTED,     /* AP-REP, SPNEGO accept-completed, or the carrier said so */
    DT_AUTH_STAGE_REJECTED,     /* KRB-ERROR, SPNEGO reject, or the carrier said so */
} dt_auth_stage;

/* Why the session keys are missing or unusable (dt_auth_unseal's reasons). */
typedef enum dt_auth_keys {
    DT_AUTH_KEYS_NONE = 0,      /* no AUTHENTICATE seen yet */
    DT_AUTH_KEYS_NO_PASSWORD,   /* no ntlm.password / ntlm.hash for this user */
    DT_AUTH_KEYS_WRONG_PASSWORD,/* the NTProofStr did not verify */
    DT_AUTH_KEYS_NO_CRYPTO,     /* built without a crypto backend, or MD4 unavailable */
    DT_AUTH_KEYS_UNSUPPORTED,   /* a variant not decrypted (Kerberos, CredSSP, anonymous) */
    DT_AUTH_KEYS_READY,
} dt_auth_keys;

#define DT_AUTH_NAME_MAX 136 /* DOMAIN\user, workstation, realm, service name (UTF-8) */
#define DT_AUTH_DESC_MAX 160 /* the summary fragment of the last token */

/* One direction of NTLM session security. */
typedef struct dt_auth_ntlm_dir {
    uint8_t sign_key[16];
    uint8_t seal_key[16];
    dt_cipher rc4;    /* the sealing stream (ESS: one per direction) */
    uint32_t seq;     /* next expected sequence number */
} dt_auth_ntlm_dir;

typedef struct dt_auth_state {
    dt_auth_mech mech;
    dt_auth_stage stage;
    dt_auth_keys keys;
    bool have_client_dir;
    dt_dir client_dir;           /* who sent NEGOTIATE/AUTHENTICATE or the AP-REQ */
    bool wrong_password_said;    /* "wrong password for X" appears once per handshake */
    bool show_key;               /* --show-credentials at the time of AUTHENTICATE */
    char user[DT_AUTH_NAME_MAX];        /* DOMAIN\user (NTLM), user@REALM (Kerberos, when visible) */
    char workstation[DT_AUTH_NAME_MAX]; /* NTLM workstation */
    char realm[DT_AUTH_NAME_MAX];       /* Kerberos realm of the ticket */
    char service[DT_AUTH_NAME_MAX];     /* Kerberos service principal (sname) */
    char desc[DT_AUTH_DESC_MAX];        /* what the last token said, for a summary line */
    bool have_krb_error;
    int32_t krb_error;           /* the last KRB-ERROR's error-code */
    /* NTLM */
    uint32_t ntlm_flags;         /* negotiated: CHALLENGE's, then AUTHENTICATE's */
    uint8_t server_challenge[8];
    bool have_challenge;
    bool ntlmv2;
    uint8_t session_key[16];     /* the exported session key (KEY_EXCH applied) */
    dt_auth_ntlm_dir ntlm[2];    /* [0] what the client sends, [1] what the server sends */
    /* CredSSP over TLS records, per direction (dt_dir) */
    bool credssp_ccs[2];          /* ChangeCipherSpec seen: later handshake records are encrypted */
    uint8_t credssp_tsreq[2];     /* TSRequests (TLS application data) seen */
} dt_auth_state;

/* Adds the fields of one token (under parent, NULL for the top level) and
 * updates st. tok may point into ctx->pdu (fields then carry their offsets)
 * or anywhere else, such as base64 decoded from an HTTP header (fields are
 * then generated). Truncated or malformed tokens keep what decoded and add a
 * malformed note naming the offset. Returns the summary fragment of this
 * token ("NTLMSSP_AUTH DOMAIN\user from HOST", "Kerberos AP-REQ
 * HTTP/web.example.com@EXAMPLE.COM", …), also kept in st->desc; "" when
 * nothing was recognised. Reads ntlm.password / ntlm.hash via dt_option at
 * AUTHENTICATE time. */
const char *dt_auth_token(dt_ctx *ctx, dt_field *parent, dt_auth_state *st, dt_dir dir, const uint8_t *tok,
                          size_t len);

/* The carrier's own verdict on the handshake (HTTP 200 vs 401, SMB2
 * SESSION_SETUP status), for tokens that do not say it themselves. */
void dt_auth_set_outcome(dt_auth_state *st, bool accepted);

/* In-place NTLM unseal of one message and check of its 16-byte signature
 * (MS-NLMP 3.4.4.2, extended session security: RC4 stream per direction,
 * HMAC-MD5 over sequence number and plaintext, checksum sealed under KEY_EXCH).
 * dir is the direction the message travelled. Returns 0 with data decrypted,
 * or -1 with a one-line reason in why: "signature mismatch (wrong password?)",
 * "no session key (no --ntlm-password for DOMAIN\user)", "wrong password for
 * DOMAIN\user", "sealed with Kerberos: not decrypted", … On -1, data is
 * unspecified and must not be shown. The RC4 stream advances by the
 * message either way, as the sender's did, so one damaged message does not
 * spoil the next. Sequence numbers are taken from the signature. */
int dt_auth_unseal(dt_ctx *ctx, dt_auth_state *st, dt_dir dir, const uint8_t *sig, size_t siglen, uint8_t *data,
                   size_t len, char *why, size_t whysz);

/* The reverse, for tests and test servers: seals data in place, writes the
 * 16-byte signature. */
int dt_auth_seal(dt_auth_state *st, dt_dir dir, uint8_t *data, size_t len, uint8_t sig[16]);

/* ---- Accessors. */
const char *dt_auth_user(const dt_auth_state *st);    /* DOMAIN\user or "" */
dt_auth_mech dt_auth_mechanism(const dt_auth_state *st);
const char *dt_auth_mech_name(dt_auth_mech m);       /* "NTLM", "Kerberos", … */
/* AUTHENTICATE/AP-REQ sent and not rejected (accepted or outcome unknown). */
bool dt_auth_complete(const dt_auth_state *st);
/* The exported session key (16 bytes), when the password gave one. */
bool dt_auth_session_key(const dt_auth_state *st, uint8_t out[16]);
/* Whether dt_auth_unseal can work (keys ready). */
bool dt_auth_can_unseal(const dt_auth_state *st);
/* Whether this run was given any NTLM password or hash: without one no
 * session key can ever be derived, so a carrier may skip work that only
 * key derivation uses (SMB 3.1.1's preauth hash, a SHA-512 per message). */
bool dt_auth_keys_possible(dt_ctx *ctx);

/* Starts over for a new handshake on the same conversation (keys dropped). */
void dt_auth_reset(dt_auth_state *st);
/* Releases cipher handles; call from the carrier's conv_free. */
void dt_auth_free(dt_auth_state *st);

/* Option values (ntlm.password / ntlm.hash) are checked at start: register
 * this as (or call it from) a dissector's check_option. */
int dt_auth_check_option(const char *name, const char *value, char *err, size_t errsz);

/* The "auth" field table (registered as dissector "auth", which has no
 * transport of its own; carriers list it in their `nested`). */
extern const dt_field_def dt_auth_fields[];
extern const size_t dt_auth_n_fields;

#endif
