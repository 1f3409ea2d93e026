/* The bridge to the shared auth module (dissectors/auth): token decoding
 * and NTLM unsealing with the connection's dt_auth_state. */
#include <stdio.h>
#include <string.h>

#include "http_int.h"

void http_auth_decode_token(dt_ctx *ctx, http_conv *hc, dt_field *parent, const char *scheme, bool request,
                            const uint8_t *tok, size_t len, size_t off)
{
    (void)scheme;
    (void)request;
    (void)off; /* base64-decoded: the auth module's fields are generated, not at PDU offsets */
    const char *desc = dt_auth_token(ctx, parent, &hc->auth_st, ctx->dir, tok, len);
    const char *user = dt_auth_user(&hc->auth_st);
    if (user && user[0])
        snprintf(hc->user, sizeof hc->user, "%s", user);
    if (desc && desc[0])
        dt_summary_append(ctx, " [%s]", desc);
}

int http_auth_unseal(dt_ctx *ctx, http_conv *hc, dt_dir dir, const uint8_t *sig, size_t siglen,
                     const uint8_t *sealed, size_t len, uint8_t *out, char *why, size_t whysz)
{
    bool keys = dt_auth_can_unseal(&hc->auth_st);
    memcpy(out, sealed, len);
    if (dt_auth_unseal(ctx, &hc->auth_st, dir, sig, siglen, out, len, why, whysz) == 0)
        return 1;
    memset(out, 0, len); /* never shown */
    return keys ? -1 : 0;
}

void http_auth_free(http_conv *hc) { dt_auth_free(&hc->auth_st); }
