/* SMB 3.x decryption (MS-SMB2 3.1.4.3, 3.2.5.3.1): the session key the
 * auth module derived from the captured NTLM exchange and the user's
 * password, the SP800-108 KDF, and for SMB 3.1.1 the preauthentication
 * integrity hash (SHA-512 chained over the NEGOTIATE exchange and the
 * session's SESSION_SETUP exchange). Ciphers: AES-128-CCM (3.0, 3.0.2),
 * AES-128/256-CCM/GCM (3.1.1). A message whose tag does not verify is not
 * shown: "decryption failed (wrong password?)". */
#include <stdio.h>
#include <string.h>

#include "smb2_int.h"

/* Hash chaining: H = SHA-512(H || message). */
static bool chain(uint8_t h[64], const uint8_t *msg, size_t len)
{
    dt_iov iov[2] = { { h, 64 }, { msg, len } };
    uint8_t out[64];
    if (dt_hash(DT_HASH_SHA512, iov, 2, out) != DT_CRYPTO_OK)
        return false;
    memcpy(h, out, 64);
    return true;
}

void smb2_preauth_update(smb2_conv *conv, const smb2_msg *m, const uint8_t *msg, size_t len)
{
    if (m->cmd == SMB2_NEGOTIATE) {
        if (!m->response) { /* the hash starts from zero at every NEGOTIATE */
            memset(conv->preauth_conn, 0, 64);
            conv->preauth_ok = chain(conv->preauth_conn, msg, len);
        } else if (conv->preauth_ok && m->status == STATUS_SUCCESS) {
            conv->preauth_ok = chain(conv->preauth_conn, msg, len);
        }
        return;
    }
    if (m->cmd != SMB2_SESSION_SETUP || !conv->preauth_ok)
        return;
    if (!m->response) {
        /* A new exchange: the first request (session id 0, or a
         * re-authentication) starts from the connection's hash. */
        if (!conv->setup_active || m->sesid == 0 || m->sesid != conv->setup_sesid) {
            memcpy(conv->preauth_setup, conv->preauth_conn, 64);
            conv->setup_active = true;
        }
        conv->setup_sesid = m->sesid;
        chain(conv->preauth_setup, msg, len);
    } else if (conv->setup_active && m->status == STATUS_MORE_PROCESSING_REQUIRED) {
        conv->setup_sesid = m->sesid;
        chain(conv->preauth_setup, msg, len);
    }
}

static dt_cipher_alg cipher_alg(uint16_t id)
{
    switch (id) {
    case 2:
        return DT_CIPHER_AES128_GCM;
    case 3:
        return DT_CIPHER_AES256_CCM;
    case 4:
        return DT_CIPHER_AES256_GCM;
    default:
        return DT_CIPHER_AES128_CCM;
    }
}

void smb2_session_close_keys(smb2_session *s)
{
    for (int i = 0; i < 2; i++)
        dt_cipher_close(&s->enc[i]);
    s->have_keys = false;
}

void smb2_session_keys(smb2_conv *conv, smb2_session *s)
{
    smb2_session_close_keys(s);
    s->key_note[0] = '\0';
    bool setup = conv->setup_active;
    conv->setup_active = false;
    uint8_t key[16];
    if (!dt_auth_session_key(&conv->auth, key)) {
        if (conv->auth.keys == DT_AUTH_KEYS_NO_PASSWORD)
            dt_snprintf(s->key_note, sizeof s->key_note, "no session key: no --ntlm-password for %s",
                        dt_auth_user(&conv->auth));
        else if (conv->auth.mech == DT_AUTH_MECH_KERBEROS)
            dt_snprintf(s->key_note, sizeof s->key_note, "Kerberos session: not decrypted");
        else if (conv->auth.keys == DT_AUTH_KEYS_NO_CRYPTO)
            dt_snprintf(s->key_note, sizeof s->key_note, "no session key (no crypto backend)");
        return;
    }
    if (conv->dialect < 0x0300)
        return;
    uint16_t cipher = conv->dialect == 0x0311 ? conv->cipher : 1;
    size_t klen = cipher == 3 || cipher == 4 ? 32 : 16;
    uint8_t k[2][32];
    int rc;
    if (conv->dialect == 0x0311) {
        if (!setup || !conv->preauth_ok) {
            dt_snprintf(s->key_note, sizeof s->key_note, "no preauth hash (NEGOTIATE or SESSION_SETUP not captured)");
            return;
        }
        rc = dt_kdf_sp800_108(key, 16, "SMBC2SCipherKey", 16, conv->preauth_setup, 64, k[0], klen);
        if (!rc)
            rc = dt_kdf_sp800_108(key, 16, "SMBS2CCipherKey", 16, conv->preauth_setup, 64, k[1], klen);
    } else {
        rc = dt_kdf_sp800_108(key, 16, "SMB2AESCCM", 11, "ServerIn ", 10, k[0], klen);
        if (!rc)
            rc = dt_kdf_sp800_108(key, 16, "SMB2AESCCM", 11, "ServerOut", 10, k[1], klen);
    }
    for (int i = 0; !rc && i < 2; i++)
        rc = dt_cipher_open(&s->enc[i], cipher_alg(cipher), k[i], klen);
    memset(k, 0, sizeof k);
    memset(key, 0, sizeof key);
    if (rc) {
        smb2_session_close_keys(s);
        dt_snprintf(s->key_note, sizeof s->key_note, "SMB3 keys: %s", dt_crypto_strerror(rc));
        return;
    }
    s->cipher = cipher;
    s->have_keys = true;
}

int smb2_decrypt(smb2_session *s, dt_dir dir, const uint8_t hdr[52], uint8_t *data, size_t len, char *why,
                 size_t whysz)
{
    if (!s || !s->have_keys) {
        dt_snprintf(why, whysz, "not decrypted%s%s%s", s && s->key_note[0] ? " (" : "", s ? s->key_note : "",
                    s && s->key_note[0] ? ")" : "");
        return -1;
    }
    bool gcm = s->cipher == 2 || s->cipher == 4;
    /* AAD: the transform header after its signature (nonce … session id). */
    int rc = dt_aead_decrypt(&s->enc[dir == DT_DIR_C2S ? 0 : 1], hdr + 20, gcm ? 12 : 11, hdr + 20, 32, data, len,
                             hdr + 4, 16);
    if (rc == DT_CRYPTO_BADTAG) {
        dt_snprintf(why, whysz, "decryption failed (wrong password?)");
        return -1;
    }
    if (rc) {
        dt_snprintf(why, whysz, "decryption failed (%s)", dt_crypto_strerror(rc));
        return -1;
    }
    return 0;
}
