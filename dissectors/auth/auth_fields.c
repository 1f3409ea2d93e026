/* The "auth" field table and its registration: a dissector with no transport
 * of its own, so `diagtap fields auth` lists what SMB2 and HTTP events carry
 * and a run's ntlm.password / ntlm.hash options are checked at start. */
#include "auth_int.h"

const dt_value_name auth_ntlmssp_type_vals[] = {
    { 1, "NTLMSSP_NEGOTIATE" },
    { 2, "NTLMSSP_CHALLENGE" },
    { 3, "NTLMSSP_AUTH" },
    { 0, NULL },
};

const dt_value_name auth_negstate_vals[] = {
    { 0, "accept-completed" },
    { 1, "accept-incomplete" },
    { 2, "reject" },
    { 3, "request-mic" },
    { 0, NULL },
};

/* MS-NLMP 2.2.2.1 AV_PAIR ids. */
const dt_value_name auth_av_vals[] = {
    { 0, "MsvAvEOL" },
    { 1, "MsvAvNbComputerName" },
    { 2, "MsvAvNbDomainName" },
    { 3, "MsvAvDnsComputerName" },
    { 4, "MsvAvDnsDomainName" },
    { 5, "MsvAvDnsTreeName" },
    { 6, "MsvAvFlags" },
    { 7, "MsvAvTimestamp" },
    { 8, "MsvAvSingleHost" },
    { 9, "MsvAvTargetName" },
    { 10, "MsvAvChannelBindings" },
    { 0, NULL },
};

const dt_value_name auth_krb_msg_vals[] = {
    { 10, "AS-REQ" },
    { 11, "AS-REP" },
    { 12, "TGS-REQ" },
    { 13, "TGS-REP" },
    { 14, "AP-REQ" },
    { 15, "AP-REP" },
    { 30, "KRB-ERROR" },
    { 0, NULL },
};

/* RFC 4120 7.5.9 and MS-KILE error codes. */
const dt_value_name auth_krb_error_vals[] = {
    { 0, "KDC_ERR_NONE" },
    { 1, "KDC_ERR_NAME_EXP" },
    { 2, "KDC_ERR_SERVICE_EXP" },
    { 3, "KDC_ERR_BAD_PVNO" },
    { 4, "KDC_ERR_C_OLD_MAST_KVNO" },
    { 5, "KDC_ERR_S_OLD_MAST_KVNO" },
    { 6, "KDC_ERR_C_PRINCIPAL_UNKNOWN" },
    { 7, "KDC_ERR_S_PRINCIPAL_UNKNOWN" },
    { 8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE" },
    { 9, "KDC_ERR_NULL_KEY" },
    { 10, "KDC_ERR_CANNOT_POSTDATE" },
    { 11, "KDC_ERR_NEVER_VALID" },
    { 12, "KDC_ERR_POLICY" },
    { 13, "KDC_ERR_BADOPTION" },
    { 14, "KDC_ERR_ETYPE_NOSUPP" },
    { 15, "KDC_ERR_SUMTYPE_NOSUPP" },
    { 16, "KDC_ERR_PADATA_TYPE_NOSUPP" },
    { 17, "KDC_ERR_TRTYPE_NOSUPP" },
    { 18, "KDC_ERR_CLIENT_REVOKED" },
    { 19, "KDC_ERR_SERVICE_REVOKED" },
    { 20, "KDC_ERR_TGT_REVOKED" },
    { 21, "KDC_ERR_CLIENT_NOTYET" },
    { 22, "KDC_ERR_SERVICE_NOTYET" },
    { 23, "KDC_ERR_KEY_EXPIRED" },
    { 24, "KDC_ERR_PREAUTH_FAILED" },
    { 25, "KDC_ERR_PREAUTH_REQUIRED" },
    { 26, "KDC_ERR_SERVER_NOMATCH" },
    { 27, "KDC_ERR_MUST_USE_USER2USER" },
    { 28, "KDC_ERR_PATH_NOT_ACCEPTED" },
    { 29, "KDC_ERR_SVC_UNAVAILABLE" },
    { 31, "KRB_AP_ERR_BAD_INTEGRITY" },
    { 32, "KRB_AP_ERR_TKT_EXPIRED" },
    { 33, "KRB_AP_ERR_TKT_NYV" },
    { 34, "KRB_AP_ERR_REPEAT" },
    { 35, "KRB_AP_ERR_NOT_US" },
    { 36, "KRB_AP_ERR_BADMATCH" },
    { 37, "KRB_AP_ERR_SKEW" },
    { 38, "KRB_AP_ERR_BADADDR" },
    { 39, "KRB_AP_ERR_BADVERSION" },
    { 40, "KRB_AP_ERR_MSG_TYPE" },
    { 41, "KRB_AP_ERR_MODIFIED" },
    { 42, "KRB_AP_ERR_BADORDER" },
    { 44, "KRB_AP_ERR_BADKEYVER" },
    { 45, "KRB_AP_ERR_NOKEY" },
    { 46, "KRB_AP_ERR_MUT_FAIL" },
    { 47, "KRB_AP_ERR_BADDIRECTION" },
    { 48, "KRB_AP_ERR_METHOD" },
    { 49, "KRB_AP_ERR_BADSEQ" },
    { 50, "KRB_AP_ERR_INAPP_CKSUM" },
    { 51, "KRB_AP_PATH_NOT_ACCEPTED" },
    { 52, "KRB_ERR_RESPONSE_TOO_BIG" },
    { 60, "KRB_ERR_GENERIC" },
    { 61, "KRB_ERR_FIELD_TOOLONG" },
    { 62, "KDC_ERR_CLIENT_NOT_TRUSTED" },
    { 63, "KDC_ERR_KDC_NOT_TRUSTED" },
    { 64, "KDC_ERR_INVALID_SIG" },
    { 65, "KDC_ERR_KEY_TOO_WEAK" },
    { 66, "KDC_ERR_CERTIFICATE_MISMATCH" },
    { 67, "KRB_AP_ERR_NO_TGT" },
    { 68, "KDC_ERR_WRONG_REALM" },
    { 69, "KRB_AP_ERR_USER_TO_USER_REQUIRED" },
    { 70, "KDC_ERR_CANT_VERIFY_CERTIFICATE" },
    { 71, "KDC_ERR_INVALID_CERTIFICATE" },
    { 72, "KDC_ERR_REVOKED_CERTIFICATE" },
    { 73, "KDC_ERR_REVOCATION_STATUS_UNKNOWN" },
    { 74, "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE" },
    { 75, "KDC_ERR_CLIENT_NAME_MISMATCH" },
    { 76, "KDC_ERR_KDC_NAME_MISMATCH" },
    { 0, NULL },
};

const dt_value_name auth_krb_etype_vals[] = {
    { 1, "des-cbc-crc" },
    { 3, "des-cbc-md5" },
    { 16, "des3-cbc-sha1" },
    { 17, "aes128-cts-hmac-sha1-96" },
    { 18, "aes256-cts-hmac-sha1-96" },
    { 19, "aes128-cts-hmac-sha256-128" },
    { 20, "aes256-cts-hmac-sha384-192" },
    { 23, "rc4-hmac" },
    { 24, "rc4-hmac-exp" },
    { 25, "camellia128-cts-cmac" },
    { 26, "camellia256-cts-cmac" },
    { 0, NULL },
};

const dt_field_def dt_auth_fields[] = {
#define AUTH_DEF(id, abbrev, name, type, base, vals, flags) { abbrev, name, type, base, vals, 0, flags, NULL },
    AUTH_FIELDS(AUTH_DEF)
#undef AUTH_DEF
};

const size_t dt_auth_n_fields = A_COUNT;

/* A token handed over as a whole datagram or PDU (decode-as, tests). */
static void auth_dissect(dt_ctx *ctx)
{
    dt_auth_state st;
    memset(&st, 0, sizeof st);
    const char *d = dt_auth_token(ctx, NULL, &st, ctx->dir, ctx->pdu, ctx->pdu_len);
    dt_summary(ctx, "%s", d[0] ? d : "security token");
    dt_auth_free(&st);
}

static const dt_option_def auth_options[] = {
    { "ntlm.password", "--ntlm-password", "[DOMAIN\\]USER:PASSWORD",
      "NTLM password: checks the AUTHENTICATE, decrypts WinRM sealed bodies and SMB3; repeat for several users",
      DT_OPT_SECRET | DT_OPT_MULTI },
    { "ntlm.hash", "--ntlm-hash", "[DOMAIN\\]USER:NTHASH",
      "the same with the NT hash (32 hex digits) instead of the password", DT_OPT_SECRET | DT_OPT_MULTI },
    { NULL, NULL, NULL, NULL, 0 },
};

static const dt_dissector auth_dissector = {
    .abi_version = DT_ABI_VERSION,
    .name = "auth",
    .display_name = "AUTH",
    .description = "NTLMSSP, SPNEGO, Kerberos and CredSSP tokens inside SMB2 and HTTP (no transport of its own)",
    .fields = dt_auth_fields,
    .n_fields = A_COUNT,
    .transports = DT_TRANSPORT_UDP, /* decode-as only: no ports, no probe */
    .dissect = auth_dissect,
    .check_option = dt_auth_check_option,
    .options = auth_options,
};

int dt_builtin_auth(dt_registry *reg) { return dt_register(reg, &auth_dissector); }
