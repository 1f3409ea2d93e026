/* The crypto layer over Windows CNG (bcrypt.dll, part of Windows; see
 * dt_crypto.h). CNG gives the hashes and HMACs (MD4, MD5, SHA-256,
 * SHA-512), AES-CBC and AES-GCM. RC4, AES-CCM and AES-CMAC are diagtap's
 * own (rc4_own.c, aes_modes_own.c over CNG's AES-ECB/CBC): wine 8's bcrypt,
 * which runs the Windows tests, has none of the three.
 *
 * No global state: every context opens its own algorithm provider (the
 * BCRYPT_*_ALG_HANDLE pseudo-handles would save that, but Debian's mingw
 * headers lack them and wine 8 does not take them). */
#include <windows.h>

#include <bcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "aes_modes_own.h"
#include "dt_crypto.h"
#include "rc4_own.h"

/* NTSTATUS values (ntstatus.h clashes with winnt.h). */
#define BC_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002L)
#define BC_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)
#define BC_NOT_FOUND ((NTSTATUS)0xC0000225L)
#define BC_AUTH_TAG_MISMATCH ((NTSTATUS)0xC000A002L)

/* CNG takes ULONG lengths: one call handles at most this much (far more
 * than any captured message). */
#define BC_MAX_CALL 0x7FFFFFF0u

static int status_rc(NTSTATUS s)
{
    if (BCRYPT_SUCCESS(s))
        return DT_CRYPTO_OK;
    if (s == BC_NOT_IMPLEMENTED || s == BC_NOT_SUPPORTED || s == BC_NOT_FOUND)
        return DT_CRYPTO_UNSUPPORTED;
    if (s == BC_AUTH_TAG_MISMATCH)
        return DT_CRYPTO_BADTAG;
    return DT_CRYPTO_FAIL;
}

/* CNG's prototypes take non-const buffers it only reads. */
static PUCHAR in_buf(const void *p) { return (PUCHAR)(uintptr_t)p; }

bool dt_crypto_available(void) { return true; }

const char *dt_crypto_backend(void) { return "bcrypt+own RC4/CCM/CMAC"; }

/* ---- Hashes. */

typedef struct bc_hash {
    BCRYPT_ALG_HANDLE alg;
    BCRYPT_HASH_HANDLE h;
} bc_hash;

static LPCWSTR hash_name(dt_hash_alg alg)
{
    switch (alg) {
    case DT_HASH_MD4:
        return BCRYPT_MD4_ALGORITHM;
    case DT_HASH_MD5:
        return BCRYPT_MD5_ALGORITHM;
    case DT_HASH_SHA256:
        return BCRYPT_SHA256_ALGORITHM;
    case DT_HASH_SHA512:
        return BCRYPT_SHA512_ALGORITHM;
    }
    return NULL;
}

int dt_hash_open(dt_hash_ctx *c, dt_hash_alg alg, const uint8_t *key, size_t keylen)
{
    c->h = NULL;
    c->alg = alg;
    LPCWSTR name = hash_name(alg);
    if (!name || keylen > BC_MAX_CALL)
        return DT_CRYPTO_FAIL;
    bc_hash *b = calloc(1, sizeof *b);
    if (!b)
        return DT_CRYPTO_FAIL;
    /* Reusable (Windows 8 and later): BCryptFinishHash resets the hash to
     * its keyed initial state, as dt_hash_final promises. */
    ULONG flags = (key ? BCRYPT_ALG_HANDLE_HMAC_FLAG : 0) | BCRYPT_HASH_REUSABLE_FLAG;
    int rc = status_rc(BCryptOpenAlgorithmProvider(&b->alg, name, NULL, flags));
    if (rc == DT_CRYPTO_OK) {
        rc = status_rc(BCryptCreateHash(b->alg, &b->h, NULL, 0, in_buf(key), (ULONG)keylen,
                                        BCRYPT_HASH_REUSABLE_FLAG));
        if (rc != DT_CRYPTO_OK)
            BCryptCloseAlgorithmProvider(b->alg, 0);
    }
    if (rc != DT_CRYPTO_OK) {
        free(b);
        return rc;
    }
    c->h = b;
    return DT_CRYPTO_OK;
}

int dt_hash_write(dt_hash_ctx *c, const void *data, size_t n)
{
    bc_hash *b = c->h;
    if (!b)
        return DT_CRYPTO_FAIL;
    const uint8_t *p = data;
    while (n) {
        ULONG take = n > BC_MAX_CALL ? BC_MAX_CALL : (ULONG)n;
        if (!BCRYPT_SUCCESS(BCryptHashData(b->h, in_buf(p), take, 0)))
            return DT_CRYPTO_FAIL;
        p += take, n -= take;
    }
    return DT_CRYPTO_OK;
}

int dt_hash_final(dt_hash_ctx *c, uint8_t *out)
{
    bc_hash *b = c->h;
    if (!b)
        return DT_CRYPTO_FAIL;
    return BCRYPT_SUCCESS(BCryptFinishHash(b->h, out, (ULONG)dt_hash_len(c->alg), 0)) ? DT_CRYPTO_OK
                                                                                      : DT_CRYPTO_FAIL;
}

void dt_hash_close(dt_hash_ctx *c)
{
    bc_hash *b = c->h;
    if (b) {
        BCryptDestroyHash(b->h);
        BCryptCloseAlgorithmProvider(b->alg, 0);
        free(b);
    }
    c->h = NULL;
}

/* ---- Ciphers. An AES context holds its provider and one key per chaining
 * mode it uses: CBC or GCM; CCM uses ECB (the counter stream) and CBC (the
 * MAC) under the same key. */

typedef struct bc_cipher {
    BCRYPT_ALG_HANDLE alg;
    BCRYPT_KEY_HANDLE key;     /* CBC, GCM, or CCM's ECB */
    BCRYPT_KEY_HANDLE cbc_key; /* CCM only */
    dt_rc4_own rc4;
} bc_cipher;

static size_t aes_keylen(dt_cipher_alg alg)
{
    switch (alg) {
    case DT_CIPHER_AES128_CBC:
    case DT_CIPHER_AES128_CCM:
    case DT_CIPHER_AES128_GCM:
        return 16;
    case DT_CIPHER_AES256_CBC:
    case DT_CIPHER_AES256_CCM:
    case DT_CIPHER_AES256_GCM:
        return 32;
    case DT_CIPHER_RC4:
        break;
    }
    return 0;
}

static bool is_cbc(const dt_cipher *c) { return c->alg == DT_CIPHER_AES128_CBC || c->alg == DT_CIPHER_AES256_CBC; }
static bool is_ccm(const dt_cipher *c) { return c->alg == DT_CIPHER_AES128_CCM || c->alg == DT_CIPHER_AES256_CCM; }
static bool is_gcm(const dt_cipher *c) { return c->alg == DT_CIPHER_AES128_GCM || c->alg == DT_CIPHER_AES256_GCM; }

/* A key in one chaining mode: the key takes the provider's mode when made. */
static int aes_key(BCRYPT_ALG_HANDLE alg, LPCWSTR mode, const uint8_t *key, size_t keylen, BCRYPT_KEY_HANDLE *out)
{
    ULONG mode_bytes = (ULONG)((wcslen(mode) + 1) * sizeof(WCHAR));
    int rc = status_rc(BCryptSetProperty(alg, BCRYPT_CHAINING_MODE, in_buf(mode), mode_bytes, 0));
    if (rc == DT_CRYPTO_OK)
        rc = status_rc(BCryptGenerateSymmetricKey(alg, out, NULL, 0, in_buf(key), (ULONG)keylen, 0));
    return rc;
}

static void bc_cipher_free(bc_cipher *b)
{
    if (b->cbc_key)
        BCryptDestroyKey(b->cbc_key);
    if (b->key)
        BCryptDestroyKey(b->key);
    if (b->alg)
        BCryptCloseAlgorithmProvider(b->alg, 0);
    dt_rc4_own_wipe(&b->rc4);
    free(b);
}

/* Opens the AES provider and the keys the context's mode needs. */
static int aes_open(bc_cipher *b, const dt_cipher *c, const uint8_t *key, size_t keylen)
{
    int rc = status_rc(BCryptOpenAlgorithmProvider(&b->alg, BCRYPT_AES_ALGORITHM, NULL, 0));
    if (rc)
        return rc;
    if (is_cbc(c))
        return aes_key(b->alg, BCRYPT_CHAIN_MODE_CBC, key, keylen, &b->key);
    if (is_gcm(c))
        return aes_key(b->alg, BCRYPT_CHAIN_MODE_GCM, key, keylen, &b->key);
    rc = aes_key(b->alg, BCRYPT_CHAIN_MODE_ECB, key, keylen, &b->key);
    return rc ? rc : aes_key(b->alg, BCRYPT_CHAIN_MODE_CBC, key, keylen, &b->cbc_key);
}

int dt_cipher_open(dt_cipher *c, dt_cipher_alg alg, const uint8_t *key, size_t keylen)
{
    c->h = NULL;
    c->alg = alg;
    size_t want = aes_keylen(alg);
    if (alg != DT_CIPHER_RC4 && !want)
        return DT_CRYPTO_FAIL;
    if (want ? keylen != want : (keylen == 0 || keylen > 256))
        return DT_CRYPTO_FAIL;
    bc_cipher *b = calloc(1, sizeof *b);
    if (!b)
        return DT_CRYPTO_FAIL;
    int rc = DT_CRYPTO_OK;
    if (alg == DT_CIPHER_RC4)
        dt_rc4_own_init(&b->rc4, key, keylen);
    else
        rc = aes_open(b, c, key, keylen);
    if (rc) {
        bc_cipher_free(b);
        return rc;
    }
    c->h = b;
    return DT_CRYPTO_OK;
}

void dt_cipher_close(dt_cipher *c)
{
    if (c->h)
        bc_cipher_free(c->h);
    c->h = NULL;
}

int dt_rc4(dt_cipher *c, uint8_t *data, size_t n)
{
    bc_cipher *b = c->h;
    if (!b || c->alg != DT_CIPHER_RC4)
        return DT_CRYPTO_FAIL;
    dt_rc4_own_crypt(&b->rc4, data, n);
    return DT_CRYPTO_OK;
}

/* One CBC or ECB call (iv NULL: ECB). CBC runs on a fresh copy of the
 * key: wine 8 keeps a key's CBC chain between calls and restarts it only
 * when the IV passed looks new to it (a zero IV twice continues the old
 * chain), and Windows writes the next IV back into iv; with a copy, every
 * call starts from exactly the IV given. */
static int aes_call(BCRYPT_KEY_HANDLE key, bool encrypt, const uint8_t *iv, const uint8_t *in, uint8_t *out, size_t n)
{
    if (n % 16 || n > BC_MAX_CALL)
        return DT_CRYPTO_FAIL;
    if (!n)
        return DT_CRYPTO_OK;
    BCRYPT_KEY_HANDLE k = key;
    uint8_t chain[16];
    if (iv) {
        if (!BCRYPT_SUCCESS(BCryptDuplicateKey(key, &k, NULL, 0, 0)))
            return DT_CRYPTO_FAIL;
        memcpy(chain, iv, 16);
    }
    ULONG got = 0;
    PUCHAR ivp = iv ? chain : NULL;
    ULONG ivn = iv ? 16 : 0;
    NTSTATUS s = encrypt ? BCryptEncrypt(k, in_buf(in), (ULONG)n, NULL, ivp, ivn, out, (ULONG)n, &got, 0)
                         : BCryptDecrypt(k, in_buf(in), (ULONG)n, NULL, ivp, ivn, out, (ULONG)n, &got, 0);
    if (iv)
        BCryptDestroyKey(k);
    return BCRYPT_SUCCESS(s) && got == n ? DT_CRYPTO_OK : DT_CRYPTO_FAIL;
}

int dt_cbc_decrypt(dt_cipher *c, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t n)
{
    bc_cipher *b = c->h;
    if (!b || !is_cbc(c))
        return DT_CRYPTO_FAIL;
    return aes_call(b->key, false, iv, in, out, n);
}

int dt_cbc_encrypt(dt_cipher *c, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t n)
{
    bc_cipher *b = c->h;
    if (!b || !is_cbc(c))
        return DT_CRYPTO_FAIL;
    return aes_call(b->key, true, iv, in, out, n);
}

/* The two modes aes_modes_own.c builds CCM and CMAC on. */
static int own_ecb(void *k, const uint8_t *in, uint8_t *out, size_t n)
{
    return aes_call(((bc_cipher *)k)->key, true, NULL, in, out, n);
}

static int own_cbc(void *k, uint8_t chain[16], const uint8_t *in, uint8_t *out, size_t n)
{
    int rc = aes_call(((bc_cipher *)k)->cbc_key, true, chain, in, out, n);
    if (rc == DT_CRYPTO_OK && n)
        memcpy(chain, out + n - 16, 16);
    return rc;
}

/* GCM through CNG's authenticated cipher mode; the tag is checked by CNG
 * (STATUS_AUTH_TAG_MISMATCH). CNG takes 12-byte nonces and 12..16-byte tags. */
static int gcm_call(bc_cipher *b, bool encrypt, const uint8_t *nonce, size_t noncelen, const uint8_t *aad,
                    size_t aadlen, uint8_t *data, size_t n, uint8_t *tag, size_t taglen)
{
    if (noncelen > BC_MAX_CALL || aadlen > BC_MAX_CALL || n > BC_MAX_CALL || taglen < 4 || taglen > 16)
        return DT_CRYPTO_FAIL;
    BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO info;
    BCRYPT_INIT_AUTH_MODE_INFO(info);
    info.pbNonce = in_buf(nonce);
    info.cbNonce = (ULONG)noncelen;
    info.pbAuthData = aadlen ? in_buf(aad) : NULL;
    info.cbAuthData = (ULONG)aadlen;
    info.pbTag = tag;
    info.cbTag = (ULONG)taglen;
    uint8_t none = 0;
    uint8_t *buf = n ? data : &none;
    ULONG got = 0;
    NTSTATUS s = encrypt ? BCryptEncrypt(b->key, buf, (ULONG)n, &info, NULL, 0, buf, (ULONG)n, &got, 0)
                         : BCryptDecrypt(b->key, buf, (ULONG)n, &info, NULL, 0, buf, (ULONG)n, &got, 0);
    int rc = status_rc(s);
    if (rc == DT_CRYPTO_UNSUPPORTED) /* a length CNG does not take is a bad argument here */
        rc = DT_CRYPTO_FAIL;
    return rc == DT_CRYPTO_OK && got != n ? DT_CRYPTO_FAIL : rc;
}

int dt_aead_decrypt(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                    uint8_t *data, size_t n, const uint8_t *tag, size_t taglen)
{
    bc_cipher *b = c->h;
    if (!b)
        return DT_CRYPTO_FAIL;
    if (is_gcm(c)) {
        uint8_t t[16];
        if (taglen > sizeof t)
            return DT_CRYPTO_FAIL;
        memcpy(t, tag, taglen);
        return gcm_call(b, false, nonce, noncelen, aad, aadlen, data, n, t, taglen);
    }
    if (!is_ccm(c))
        return DT_CRYPTO_FAIL;
    dt_aes_ops ops = { b, own_ecb, own_cbc };
    return dt_ccm_own_decrypt(&ops, nonce, noncelen, aad, aadlen, data, n, tag, taglen);
}

int dt_aead_encrypt(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                    uint8_t *data, size_t n, uint8_t *tag, size_t taglen)
{
    bc_cipher *b = c->h;
    if (!b)
        return DT_CRYPTO_FAIL;
    if (is_gcm(c))
        return gcm_call(b, true, nonce, noncelen, aad, aadlen, data, n, tag, taglen);
    if (!is_ccm(c))
        return DT_CRYPTO_FAIL;
    dt_aes_ops ops = { b, own_ecb, own_cbc };
    return dt_ccm_own_encrypt(&ops, nonce, noncelen, aad, aadlen, data, n, tag, taglen);
}

int dt_cmac_aes128(const uint8_t key[16], const dt_iov *iov, size_t n, uint8_t out[16])
{
    /* A CCM context has the ECB and CBC keys CMAC needs. */
    dt_cipher c = { 0 };
    int rc = dt_cipher_open(&c, DT_CIPHER_AES128_CCM, key, 16);
    if (rc == DT_CRYPTO_OK) {
        dt_aes_ops ops = { c.h, own_ecb, own_cbc };
        rc = dt_cmac_own(&ops, iov, n, out);
    }
    dt_cipher_close(&c);
    return rc;
}
