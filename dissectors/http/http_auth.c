/* The authentication stage of an HTTP connection, as timeline text:
 * Basic (user shown, password redacted unless --show-credentials), and the
 * Negotiate / NTLM / Kerberos / CredSSP tokens, whose contents the shared
 * auth module decodes (dissectors/auth: NTLMSSP, SPNEGO, Kerberos, and the
 * NTLM session keys that unseal WinRM bodies). A 401 is either a normal
 * challenge, a refused logon, or, after a logon went through, "authenticated
 * as X, then refused": the Boxstarter "Access is denied" case. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

/* Splits "Scheme rest" (leading blanks trimmed); returns the scheme length. */
static void split_scheme(const http_msg *m, http_span v, size_t *scheme_off, size_t *scheme_len, size_t *rest_off,
                         size_t *rest_len)
{
    dt_cursor c = dt_cursor_make(m->base + v.off, v.len);
    size_t i = 0, n = v.len;
    *rest_off = *scheme_off = v.off;
    *rest_len = *scheme_len = 0;
    const uint8_t *p = dt_cur_peek(&c, 0, n);
    if (!p)
        return;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t s = i;
    while (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != ',')
        i++;
    size_t slen = i - s;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t e = n;
    while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r'))
        e--;
    *rest_off = v.off + i;
    *rest_len = e - i;
    *scheme_off = v.off + s;
    *scheme_len = slen;
}

static bool token_scheme(const char *s, size_t n)
{
    static const char *const schemes[] = { "Negotiate", "NTLM", "Kerberos", "CredSSP", NULL };
    for (const char *const *k = schemes; *k; k++)
        if (strlen(*k) == n && strncasecmp(s, *k, n) == 0)
            return true;
    return false;
}

/* One Authorization or WWW-Authenticate value: fields; returns whether it
 * carried a token (the auth module's stage then says what it was). */
static bool one_value(dt_ctx *ctx, http_conv *hc, const http_msg *m, http_span v, int tree, bool request,
                          char *scheme_out, size_t scheme_sz)
{
    size_t soff, slen, rest_off, rest_len;
    split_scheme(m, v, &soff, &slen, &rest_off, &rest_len);
    const char *scheme = (const char *)m->base + soff;
    dt_field *t = dt_add_none(ctx, NULL, &http_fields[tree], v.off, v.len);
    dt_add_string(ctx, t, &http_fields[HF_AUTH_SCHEME], soff, slen, scheme, slen);
    size_t sn = slen < scheme_sz - 1 ? slen : scheme_sz - 1;
    memcpy(scheme_out, scheme, sn);
    scheme_out[sn] = '\0';
    if (!rest_len)
        return false;
    const uint8_t *rest = m->base + rest_off;
    if (slen == 5 && strncasecmp(scheme, "Basic", 5) == 0 && request) {
        uint8_t dec[512];
        long n = http_b64_decode(rest, rest_len, dec, sizeof dec - 1);
        if (n < 0) {
            dt_malformed(ctx, rest_off, "Basic credentials are not valid base64");
            return false;
        }
        const uint8_t *colon = memchr(dec, ':', (size_t)n);
        size_t ulen = colon ? (size_t)(colon - dec) : (size_t)n;
        dt_add_string(ctx, t, &http_fields[HF_AUTH_USER], rest_off, rest_len, (const char *)dec, ulen);
        const char *pw = colon ? (const char *)colon + 1 : "";
        size_t pwlen = colon ? (size_t)n - ulen - 1 : 0;
        dt_add_string(ctx, t, &http_fields[HF_AUTH_PASSWORD], rest_off, rest_len, pw, pwlen);
        snprintf(hc->user, sizeof hc->user, "%.*s", (int)ulen, (const char *)dec);
        if (dt_show_credentials(ctx))
            dt_summary_append(ctx, ", Basic as %s (password %.*s)", hc->user, (int)pwlen, pw);
        else
            dt_summary_append(ctx, ", Basic as %s (password <redacted>)", hc->user);
        return false;
    }
    if (!token_scheme(scheme, slen))
        return false; /* Basic realm="WSMAN" and the like: the scheme says it all */
    size_t cap = rest_len * 3 / 4 + 4;
    uint8_t *tok = dt_alloc(ctx, cap);
    if (!tok)
        return false;
    long n = http_b64_decode(rest, rest_len, tok, cap);
    if (n < 0) {
        dt_malformed(ctx, rest_off, "%s token is not valid base64", scheme_out);
        return false;
    }
    dt_add_uint(ctx, t, &http_fields[HF_AUTH_TOKEN_LEN], rest_off, rest_len, (uint64_t)n);
    dt_summary_append(ctx, ", %s", scheme_out);
    http_auth_decode_token(ctx, hc, t, scheme_out, request, tok, (size_t)n, rest_off);
    return true;
}

static const char *user_or_unknown(const http_conv *hc) { return hc->user[0] ? hc->user : "an unknown user"; }

void http_auth_request(dt_ctx *ctx, http_conv *hc, const http_msg *m)
{
    for (unsigned i = 0; i < m->nh; i++) {
        if (!http_span_ieq(m, m->hname[i], "Authorization"))
            continue;
        char scheme[16];
        if (hc->auth == HTTP_AUTH_DONE || hc->auth == HTTP_AUTH_SENT_FINAL) {
            /* a new handshake on a connection that had one: start over */
            dt_auth_reset(&hc->auth_st);
            hc->user[0] = '\0';
        }
        bool tok = one_value(ctx, hc, m, m->hval[i], HF_AUTH, true, scheme, sizeof scheme);
        snprintf(hc->scheme, sizeof hc->scheme, "%s", scheme);
        if (!tok)
            hc->auth = strcasecmp(scheme, "Basic") == 0 ? HTTP_AUTH_SENT_FINAL : HTTP_AUTH_IN_PROGRESS;
        else if (hc->auth_st.stage == DT_AUTH_STAGE_AUTHENTICATE)
            hc->auth = HTTP_AUTH_SENT_FINAL;
        else
            hc->auth = HTTP_AUTH_IN_PROGRESS;
        dt_add_uint(ctx, NULL, &http_fields[HF_AUTH_STATE], 0, 0, hc->auth);
    }
}

void http_auth_response(dt_ctx *ctx, http_conv *hc, const http_msg *m)
{
    char offered[96] = "";
    size_t ol = 0;
    bool token = false;
    char scheme[16] = "";
    for (unsigned i = 0; i < m->nh; i++) {
        if (!http_span_ieq(m, m->hname[i], "WWW-Authenticate"))
            continue;
        if (one_value(ctx, hc, m, m->hval[i], HF_WWW_AUTH, false, scheme, sizeof scheme)) {
            token = true;
        } else if (ol < sizeof offered - 20) {
            int w = snprintf(offered + ol, sizeof offered - ol, "%s%s", ol ? ", " : "", scheme);
            if (w > 0)
                ol += (size_t)w;
        }
    }
    bool rejected = token && hc->auth_st.stage == DT_AUTH_STAGE_REJECTED;
    if (m->status == 401) {
        if (hc->auth == HTTP_AUTH_DONE) {
            dt_summary_append(ctx, ": authenticated as %s, then refused", user_or_unknown(hc));
            dt_status(ctx, "401 authenticated, then refused", true);
        } else if (hc->auth == HTTP_AUTH_SENT_FINAL && (!token || rejected)) {
            dt_auth_set_outcome(&hc->auth_st, false);
            bool verified = hc->auth_st.keys == DT_AUTH_KEYS_READY && !hc->auth_st.wrong_password_said;
            if (verified)
                /* the Boxstarter case: the password is right, the account may not use the service */
                dt_summary_append(ctx, ": authenticated as %s (password verified), then refused: the account may "
                                       "not use this service (Access is denied)",
                                  user_or_unknown(hc));
            else if (hc->auth_st.mech == DT_AUTH_MECH_KERBEROS)
                dt_summary_append(ctx, ": Kerberos logon refused (the server rejected the ticket%s)",
                                  hc->auth_st.have_krb_error ? ": see the KRB-ERROR" : "");
            else if (hc->auth_st.wrong_password_said)
                dt_summary_append(ctx, ": %s logon as %s refused (wrong password: not the one diagtap was "
                                       "given)",
                                  hc->scheme[0] ? hc->scheme : "the", user_or_unknown(hc));
            else
                dt_summary_append(ctx, ": %s logon as %s refused (wrong password, or the account may not use this "
                                       "service)",
                                  hc->scheme[0] ? hc->scheme : "the", user_or_unknown(hc));
            dt_status(ctx, verified ? "401 authenticated, then refused" : "401 logon refused", true);
            hc->auth = HTTP_AUTH_CHALLENGED;
        } else {
            if (ol)
                dt_summary_append(ctx, ", offers %s", offered);
            if (hc->auth < HTTP_AUTH_IN_PROGRESS)
                hc->auth = HTTP_AUTH_CHALLENGED;
        }
    } else if (m->status >= 200 && hc->auth == HTTP_AUTH_SENT_FINAL) {
        hc->auth = HTTP_AUTH_DONE;
        dt_auth_set_outcome(&hc->auth_st, true);
        dt_summary_append(ctx, ", authenticated as %s", user_or_unknown(hc));
    }
    if (hc->auth != HTTP_AUTH_NONE)
        dt_add_uint(ctx, NULL, &http_fields[HF_AUTH_STATE], 0, 0, hc->auth);
}
