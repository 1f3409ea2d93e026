/* NTLM session security (MS-NLMP 3.4) from a captured handshake: the user's
 * password (option ntlm.password) or NT hash (ntlm.hash) turns the
 * AUTHENTICATE message into the session keys. The NTLMv2 proof is checked
 * first, so a wrong password is named on the AUTHENTICATE itself; keys are
 * still derived from it, and every sealed message then fails its signature
 * check instead of showing garbage. Only extended session security (every
 * Windows since 2000 negotiates it) is decrypted. */
#include <ctype.h>
#include <strings.h>

#include "auth_int.h"
#include "ntlm_crypto.h"

/* One credential entry from an option value: [DOMAIN\]USER:SECRET. */
typedef struct cred {
    const char *dom, *user, *secret;
    size_t dom_len, user_len, secret_len;
} cred;

/* Splits "a;b;c" entries; returns the next entry's end or NULL when done. */
static bool next_entry(const char **p, cred *c)
{
    const char *s = *p;
    if (!s || !*s)
        return false;
    const char *end = strchr(s, ';');
    if (!end)
        end = s + strlen(s);
    *p = *end ? end + 1 : end;
    const char *colon = memchr(s, ':', (size_t)(end - s));
    memset(c, 0, sizeof *c);
    if (!colon)
        return true; /* malformed: user_len 0, skipped by callers */
    const char *bs = memchr(s, '\\', (size_t)(colon - s));
    if (bs) {
        c->dom = s, c->dom_len = (size_t)(bs - s);
        c->user = bs + 1, c->user_len = (size_t)(colon - bs - 1);
    } else {
        c->user = s, c->user_len = (size_t)(colon - s);
    }
    c->secret = colon + 1, c->secret_len = (size_t)(end - colon - 1);
    return true;
}

static bool name_eq(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool parse_hash(const char *s, size_t n, uint8_t out[16])
{
    if (n != 32)
        return false;
    for (size_t i = 0; i < 16; i++) {
        int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

int dt_auth_check_option(const char *name, const char *value, char *err, size_t errsz)
{
    bool is_pw = strcmp(name, "ntlm.password") == 0, is_hash = strcmp(name, "ntlm.hash") == 0;
    if (!is_pw && !is_hash)
        return 0;
    const char *p = value;
    cred c;
    int i = 0;
    while (next_entry(&p, &c)) {
        i++;
        uint8_t h[16];
        if (!c.user || c.user_len == 0) {
            snprintf(err, errsz, "entry %d: expected [DOMAIN\\]USER:%s", i, is_pw ? "PASSWORD" : "NTHASH");
            return -1;
        }
        if (is_hash && !parse_hash(c.secret, c.secret_len, h)) {
            snprintf(err, errsz, "entry %d: the NT hash must be 32 hex digits", i);
            return -1;
        }
        if (c.user_len >= 64 || c.dom_len >= 64 || c.secret_len >= 256) {
            snprintf(err, errsz, "entry %d: too long", i);
            return -1;
        }
    }
    return 0;
}

bool dt_auth_keys_possible(dt_ctx *ctx)
{
    return dt_option(ctx, "ntlm.password") != NULL || dt_option(ctx, "ntlm.hash") != NULL;
}

/* The NT hashes given for this user (domain-qualified entries must match),
 * at most max; *any is set when any ntlm.* option was given at all. */
static int candidates(dt_ctx *ctx, const auth_ntlm_auth *a, uint8_t (*hashes)[16], int max, bool *any, bool *crypto_ok)
{
    int n = 0;
    *any = false;
    *crypto_ok = true;
    static const char *const names[] = { "ntlm.password", "ntlm.hash" };
    for (int k = 0; k < 2; k++) {
        const char *p = dt_option(ctx, names[k]);
        if (p)
            *any = true;
        cred c;
        while (n < max && next_entry(&p, &c)) {
            if (!c.user_len || !name_eq(c.user, c.user_len, a->user_utf8))
                continue;
            if (c.dom && c.dom_len && !name_eq(c.dom, c.dom_len, a->domain_utf8))
                continue;
            if (k == 1) {
                if (parse_hash(c.secret, c.secret_len, hashes[n]))
                    n++;
                continue;
            }
            char pw[256];
            size_t len = c.secret_len < sizeof pw - 1 ? c.secret_len : sizeof pw - 1;
            memcpy(pw, c.secret, len);
            pw[len] = '\0';
            int rc = ntlm_nt_hash(pw, hashes[n]);
            memset(pw, 0, sizeof pw);
            if (rc == DT_CRYPTO_OK)
                n++;
            else
                *crypto_ok = false;
        }
    }
    return n;
}

/* User and domain as UTF-16LE for NTOWFv2 (OEM names are widened). */
static size_t as_utf16(const uint8_t *s, size_t n, bool unicode, uint8_t *out, size_t outsz)
{
    if (unicode) {
        n = n < outsz ? n : outsz;
        memcpy(out, s, n);
        return n;
    }
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 <= outsz; i++)
        out[o++] = s[i], out[o++] = 0;
    return o;
}

static int derive_v2(const auth_ntlm_auth *a, const uint8_t challenge[8], const uint8_t hash[16], bool *proof_ok,
                     uint8_t kxkey[16])
{
    uint8_t u16[128], d16[128], owf[16], proof[16];
    size_t ul = as_utf16(a->user, a->user_len, a->unicode, u16, sizeof u16);
    size_t dl = as_utf16(a->domain, a->domain_len, a->unicode, d16, sizeof d16);
    int rc = ntlm_ntowfv2(hash, u16, ul, d16, dl, owf);
    if (!rc)
        rc = ntlm_v2_proof(owf, challenge, a->nt_resp + 16, a->nt_len - 16, proof);
    if (!rc)
        rc = ntlm_v2_session_base_key(owf, proof, kxkey);
    *proof_ok = rc == DT_CRYPTO_OK && dt_crypto_memeq(proof, a->nt_resp, 16);
    memset(owf, 0, sizeof owf);
    return rc;
}

static const char *keys_note(dt_auth_state *st, char *buf, size_t sz)
{
    switch (st->keys) {
    case DT_AUTH_KEYS_NO_PASSWORD:
        snprintf(buf, sz, "no session key (no --ntlm-password for %s)", st->user);
        return buf;
    case DT_AUTH_KEYS_NO_CRYPTO:
        return dt_crypto_available() ? "no session key (MD4 unavailable in the crypto backend)"
                                     : "no session key (diagtap built without libgcrypt)";
    default:
        return NULL;
    }
}

void auth_ntlm_keys(auth_walk *w, const auth_ntlm_auth *a)
{
    dt_auth_state *st = w->st;
    for (int i = 0; i < 2; i++)
        dt_cipher_close(&st->ntlm[i].rc4);
    memset(st->ntlm, 0, sizeof st->ntlm);
    st->ntlm_flags = a->flags;
    uint8_t hashes[8][16];
    bool any, crypto_ok;
    int n = candidates(w->ctx, a, hashes, 8, &any, &crypto_ok);
    char note[DT_AUTH_NAME_MAX + 64];
    if (n == 0) {
        st->keys = crypto_ok ? DT_AUTH_KEYS_NO_PASSWORD : DT_AUTH_KEYS_NO_CRYPTO;
        if (any) /* say it only when the user asked for decryption */
            auth_add_str(w, NULL, A_PASSWORD, 0, 0, keys_note(st, note, sizeof note));
        return;
    }
    if (!st->have_challenge) {
        st->keys = DT_AUTH_KEYS_NONE;
        auth_add_str(w, NULL, A_PASSWORD, 0, 0, "not checked: the CHALLENGE was not seen");
        return;
    }
    uint8_t kxkey[16];
    int rc = DT_CRYPTO_OK;
    const char *check;
    bool wrong = false;
    if (a->nt_len > 24) { /* NTLMv2: the first candidate whose proof verifies */
        bool ok = false;
        int k;
        for (k = 0; k < n && !ok; k++)
            rc = derive_v2(a, st->server_challenge, hashes[k], &ok, kxkey);
        if (!ok && rc == DT_CRYPTO_OK)
            rc = derive_v2(a, st->server_challenge, hashes[0], &ok, kxkey);
        wrong = !ok;
        check = ok ? "verified (NTProofStr)" : "wrong password";
    } else if (a->nt_len == 24) {
        rc = ntlm_v1_key_exchange_key(hashes[0], st->server_challenge, a->lm_resp, a->lm_len, a->flags, kxkey);
        check = "not verified (NTLMv1: checked by the first signature)";
    } else {
        st->keys = DT_AUTH_KEYS_UNSUPPORTED;
        return;
    }
    memset(hashes, 0, sizeof hashes);
    if (rc != DT_CRYPTO_OK) {
        st->keys = DT_AUTH_KEYS_NO_CRYPTO;
        auth_add_str(w, NULL, A_PASSWORD, 0, 0, keys_note(st, note, sizeof note));
        return;
    }
    if (wrong) {
        snprintf(note, sizeof note, "wrong password for %s", st->user);
        auth_add_str(w, NULL, A_PASSWORD, 0, 0, note);
        if (!st->wrong_password_said) {
            auth_desc(w, "(%s)", note);
            st->wrong_password_said = true;
        }
    } else {
        auth_add_str(w, NULL, A_PASSWORD, 0, 0, check);
    }
    if (ntlm_exported_session_key(kxkey, a->flags, a->enc_key, a->enc_key_len, st->session_key) != DT_CRYPTO_OK) {
        st->keys = DT_AUTH_KEYS_NO_CRYPTO;
        return;
    }
    memset(kxkey, 0, sizeof kxkey);
    auth_add_bytes(w, NULL, A_SESSION_KEY, 0, st->session_key, 16);
    if (!(a->flags & NTLM_FLAG_ESS)) {
        st->keys = DT_AUTH_KEYS_UNSUPPORTED; /* the exported key is still good for SMB3 */
        return;
    }
    for (int i = 0; i < 2; i++) {
        bool c2s = i == 0;
        dt_auth_ntlm_dir *d = &st->ntlm[i];
        if (ntlm_sign_key(st->session_key, c2s, d->sign_key) ||
            ntlm_seal_key(st->session_key, a->flags, c2s, d->seal_key) ||
            dt_cipher_open(&d->rc4, DT_CIPHER_RC4, d->seal_key, 16)) {
            st->keys = DT_AUTH_KEYS_NO_CRYPTO;
            return;
        }
    }
    st->keys = DT_AUTH_KEYS_READY;
}

/* [0]: what the client sends, [1]: what the server sends. */
static dt_auth_ntlm_dir *dir_keys(dt_auth_state *st, dt_dir dir)
{
    bool from_client = !st->have_client_dir || dir == st->client_dir;
    return &st->ntlm[from_client ? 0 : 1];
}

static bool unseal_ready(const dt_auth_state *st, char *why, size_t whysz)
{
    if (st->mech == DT_AUTH_MECH_KERBEROS) {
        snprintf(why, whysz, "sealed with Kerberos: not decrypted");
        return false;
    }
    if (st->mech == DT_AUTH_MECH_CREDSSP) {
        snprintf(why, whysz, "sealed with CredSSP: not decrypted");
        return false;
    }
    switch (st->keys) {
    case DT_AUTH_KEYS_READY:
        return true;
    case DT_AUTH_KEYS_NONE:
        snprintf(why, whysz, "no session key (no NTLM authentication seen on this connection)");
        return false;
    case DT_AUTH_KEYS_NO_PASSWORD:
        snprintf(why, whysz, "no session key (no --ntlm-password for %s)", st->user);
        return false;
    case DT_AUTH_KEYS_NO_CRYPTO:
        snprintf(why, whysz, "no session key (%s)",
                 dt_crypto_available() ? "MD4 unavailable" : "diagtap built without libgcrypt");
        return false;
    case DT_AUTH_KEYS_WRONG_PASSWORD:
        snprintf(why, whysz, "wrong password for %s", st->user);
        return false;
    case DT_AUTH_KEYS_UNSUPPORTED:
        snprintf(why, whysz, "%s: not decrypted",
                 !strcmp(st->user, "anonymous") ? "anonymous NTLM" : "NTLM without extended session security");
        return false;
    }
    return false;
}

static int mac(const dt_auth_ntlm_dir *d, uint32_t seq, const uint8_t *data, size_t len, uint8_t out[8])
{
    uint8_t s[4] = { (uint8_t)seq, (uint8_t)(seq >> 8), (uint8_t)(seq >> 16), (uint8_t)(seq >> 24) };
    uint8_t h[16];
    dt_iov iov[2] = { { s, 4 }, { data, len } };
    int rc = dt_hmac(DT_HASH_MD5, d->sign_key, 16, iov, 2, h);
    memcpy(out, h, 8);
    return rc;
}

int dt_auth_unseal(dt_ctx *ctx, dt_auth_state *st, dt_dir dir, const uint8_t *sig, size_t siglen, uint8_t *data,
                   size_t len, char *why, size_t whysz)
{
    (void)ctx;
    if (!unseal_ready(st, why, whysz))
        return -1;
    if (siglen < 16) {
        snprintf(why, whysz, "signature truncated (%zu of 16 bytes)", siglen);
        return -1;
    }
    dt_auth_ntlm_dir *d = dir_keys(st, dir);
    uint8_t checksum[8], want[8];
    memcpy(checksum, sig + 4, 8);
    uint32_t seq = (uint32_t)sig[12] | (uint32_t)sig[13] << 8 | (uint32_t)sig[14] << 16 | (uint32_t)sig[15] << 24;
    if (dt_rc4(&d->rc4, data, len) ||
        ((st->ntlm_flags & NTLM_FLAG_KEY_EXCH) && dt_rc4(&d->rc4, checksum, 8)) || mac(d, seq, data, len, want)) {
        snprintf(why, whysz, "crypto backend error");
        return -1;
    }
    d->seq = seq + 1;
    if (!dt_crypto_memeq(want, checksum, 8)) {
        snprintf(why, whysz, "signature mismatch (wrong password?)");
        return -1;
    }
    return 0;
}

int dt_auth_seal(dt_auth_state *st, dt_dir dir, uint8_t *data, size_t len, uint8_t sig[16])
{
    if (st->keys != DT_AUTH_KEYS_READY)
        return -1;
    dt_auth_ntlm_dir *d = dir_keys(st, dir);
    uint8_t checksum[8];
    if (mac(d, d->seq, data, len, checksum) || dt_rc4(&d->rc4, data, len) ||
        ((st->ntlm_flags & NTLM_FLAG_KEY_EXCH) && dt_rc4(&d->rc4, checksum, 8)))
        return -1;
    sig[0] = 1, sig[1] = sig[2] = sig[3] = 0;
    memcpy(sig + 4, checksum, 8);
    for (int i = 0; i < 4; i++)
        sig[12 + i] = (uint8_t)(d->seq >> (8 * i));
    d->seq++;
    return 0;
}
