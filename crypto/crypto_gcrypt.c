/* The crypto layer over libgcrypt (see dt_crypto.h). */
#include <gcrypt.h>
#include <string.h>

#include "dt_crypto.h"

/* libgcrypt must be initialised once before use; leave it alone when the
 * host program (Wireshark) already did. */
static bool gcrypt_ready(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        if (!gcry_check_version(GCRYPT_VERSION))
            return false;
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    return true;
}

bool dt_crypto_available(void) { return true; }

const char *dt_crypto_backend(void) { return "libgcrypt " GCRYPT_VERSION; }

static int md_algo(dt_hash_alg alg)
{
    switch (alg) {
    case DT_HASH_MD4:
        return GCRY_MD_MD4;
    case DT_HASH_MD5:
        return GCRY_MD_MD5;
    case DT_HASH_SHA256:
        return GCRY_MD_SHA256;
    case DT_HASH_SHA512:
        return GCRY_MD_SHA512;
    }
    return 0;
}

int dt_hash_open(dt_hash_ctx *c, dt_hash_alg alg, const uint8_t *key, size_t keylen)
{
    c->h = NULL;
    c->alg = alg;
    int a = md_algo(alg);
    if (!a || !gcrypt_ready())
        return DT_CRYPTO_FAIL;
    /* MD4 is missing from FIPS-mode libgcrypt builds. */
    if (gcry_md_test_algo(a))
        return DT_CRYPTO_UNSUPPORTED;
    gcry_md_hd_t h;
    if (gcry_md_open(&h, a, key ? GCRY_MD_FLAG_HMAC : 0))
        return DT_CRYPTO_FAIL;
    if (key && gcry_md_setkey(h, key, keylen)) {
        gcry_md_close(h);
        return DT_CRYPTO_FAIL;
    }
    c->h = h;
    return DT_CRYPTO_OK;
}

int dt_hash_write(dt_hash_ctx *c, const void *data, size_t n)
{
    if (!c->h)
        return DT_CRYPTO_FAIL;
    if (n)
        gcry_md_write((gcry_md_hd_t)c->h, data, n);
    return DT_CRYPTO_OK;
}

int dt_hash_final(dt_hash_ctx *c, uint8_t *out)
{
    gcry_md_hd_t h = (gcry_md_hd_t)c->h;
    if (!h)
        return DT_CRYPTO_FAIL;
    const unsigned char *d = gcry_md_read(h, md_algo(c->alg));
    if (!d)
        return DT_CRYPTO_FAIL;
    memcpy(out, d, dt_hash_len(c->alg));
    gcry_md_reset(h); /* keeps the HMAC key */
    return DT_CRYPTO_OK;
}

void dt_hash_close(dt_hash_ctx *c)
{
    if (c->h)
        gcry_md_close((gcry_md_hd_t)c->h);
    c->h = NULL;
}

static bool cipher_algo(dt_cipher_alg alg, int *algo, int *mode, size_t *keylen)
{
    switch (alg) {
    case DT_CIPHER_RC4:
        *algo = GCRY_CIPHER_ARCFOUR, *mode = GCRY_CIPHER_MODE_STREAM, *keylen = 0;
        return true;
    case DT_CIPHER_AES128_CBC:
        *algo = GCRY_CIPHER_AES128, *mode = GCRY_CIPHER_MODE_CBC, *keylen = 16;
        return true;
    case DT_CIPHER_AES256_CBC:
        *algo = GCRY_CIPHER_AES256, *mode = GCRY_CIPHER_MODE_CBC, *keylen = 32;
        return true;
    case DT_CIPHER_AES128_CCM:
        *algo = GCRY_CIPHER_AES128, *mode = GCRY_CIPHER_MODE_CCM, *keylen = 16;
        return true;
    case DT_CIPHER_AES256_CCM:
        *algo = GCRY_CIPHER_AES256, *mode = GCRY_CIPHER_MODE_CCM, *keylen = 32;
        return true;
    case DT_CIPHER_AES128_GCM:
        *algo = GCRY_CIPHER_AES128, *mode = GCRY_CIPHER_MODE_GCM, *keylen = 16;
        return true;
    case DT_CIPHER_AES256_GCM:
        *algo = GCRY_CIPHER_AES256, *mode = GCRY_CIPHER_MODE_GCM, *keylen = 32;
        return true;
    }
    return false;
}

int dt_cipher_open(dt_cipher *c, dt_cipher_alg alg, const uint8_t *key, size_t keylen)
{
    c->h = NULL;
    c->alg = alg;
    int algo, mode;
    size_t want;
    if (!cipher_algo(alg, &algo, &mode, &want) || !gcrypt_ready())
        return DT_CRYPTO_FAIL;
    if (want ? keylen != want : (keylen == 0 || keylen > 256))
        return DT_CRYPTO_FAIL;
    if (gcry_cipher_test_algo(algo))
        return DT_CRYPTO_UNSUPPORTED;
    gcry_cipher_hd_t h;
    if (gcry_cipher_open(&h, algo, mode, 0))
        return DT_CRYPTO_FAIL;
    if (gcry_cipher_setkey(h, key, keylen)) {
        gcry_cipher_close(h);
        return DT_CRYPTO_FAIL;
    }
    c->h = h;
    return DT_CRYPTO_OK;
}

void dt_cipher_close(dt_cipher *c)
{
    if (c->h)
        gcry_cipher_close((gcry_cipher_hd_t)c->h);
    c->h = NULL;
}

int dt_rc4(dt_cipher *c, uint8_t *data, size_t n)
{
    if (!c->h || c->alg != DT_CIPHER_RC4)
        return DT_CRYPTO_FAIL;
    if (n && gcry_cipher_decrypt((gcry_cipher_hd_t)c->h, data, n, NULL, 0))
        return DT_CRYPTO_FAIL;
    return DT_CRYPTO_OK;
}

static bool is_cbc(const dt_cipher *c) { return c->alg == DT_CIPHER_AES128_CBC || c->alg == DT_CIPHER_AES256_CBC; }

int dt_cbc_decrypt(dt_cipher *c, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t n)
{
    gcry_cipher_hd_t h = (gcry_cipher_hd_t)c->h;
    if (!h || !is_cbc(c) || n % 16 || gcry_cipher_setiv(h, iv, 16))
        return DT_CRYPTO_FAIL;
    if (in == out ? gcry_cipher_decrypt(h, out, n, NULL, 0) : gcry_cipher_decrypt(h, out, n, in, n))
        return DT_CRYPTO_FAIL;
    return DT_CRYPTO_OK;
}

int dt_cbc_encrypt(dt_cipher *c, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t n)
{
    gcry_cipher_hd_t h = (gcry_cipher_hd_t)c->h;
    if (!h || !is_cbc(c) || n % 16 || gcry_cipher_setiv(h, iv, 16))
        return DT_CRYPTO_FAIL;
    if (in == out ? gcry_cipher_encrypt(h, out, n, NULL, 0) : gcry_cipher_encrypt(h, out, n, in, n))
        return DT_CRYPTO_FAIL;
    return DT_CRYPTO_OK;
}

static bool is_ccm(const dt_cipher *c) { return c->alg == DT_CIPHER_AES128_CCM || c->alg == DT_CIPHER_AES256_CCM; }
static bool is_gcm(const dt_cipher *c) { return c->alg == DT_CIPHER_AES128_GCM || c->alg == DT_CIPHER_AES256_GCM; }

/* Nonce, lengths (CCM needs them up front) and additional data. */
static int aead_start(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                      size_t n, size_t taglen)
{
    gcry_cipher_hd_t h = (gcry_cipher_hd_t)c->h;
    if (!h || (!is_ccm(c) && !is_gcm(c)) || taglen < 4 || taglen > 16)
        return DT_CRYPTO_FAIL;
    if (gcry_cipher_reset(h) || gcry_cipher_setiv(h, nonce, noncelen))
        return DT_CRYPTO_FAIL;
    if (is_ccm(c)) {
        uint64_t params[3] = { n, aadlen, taglen };
        if (gcry_cipher_ctl(h, GCRYCTL_SET_CCM_LENGTHS, params, sizeof params))
            return DT_CRYPTO_FAIL;
    }
    if ((aadlen || is_ccm(c)) && gcry_cipher_authenticate(h, aad, aadlen))
        return DT_CRYPTO_FAIL;
    return DT_CRYPTO_OK;
}

int dt_aead_decrypt(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                    uint8_t *data, size_t n, const uint8_t *tag, size_t taglen)
{
    int rc = aead_start(c, nonce, noncelen, aad, aadlen, n, taglen);
    if (rc)
        return rc;
    gcry_cipher_hd_t h = (gcry_cipher_hd_t)c->h;
    gcry_cipher_final(h);
    if (gcry_cipher_decrypt(h, data, n, NULL, 0))
        return DT_CRYPTO_FAIL;
    gcry_error_t e = gcry_cipher_checktag(h, tag, taglen);
    if (gcry_err_code(e) == GPG_ERR_CHECKSUM)
        return DT_CRYPTO_BADTAG;
    return e ? DT_CRYPTO_FAIL : DT_CRYPTO_OK;
}

int dt_aead_encrypt(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                    uint8_t *data, size_t n, uint8_t *tag, size_t taglen)
{
    int rc = aead_start(c, nonce, noncelen, aad, aadlen, n, taglen);
    if (rc)
        return rc;
    gcry_cipher_hd_t h = (gcry_cipher_hd_t)c->h;
    gcry_cipher_final(h);
    if (gcry_cipher_encrypt(h, data, n, NULL, 0) || gcry_cipher_gettag(h, tag, taglen))
        return DT_CRYPTO_FAIL;
    return DT_CRYPTO_OK;
}

int dt_cmac_aes128(const uint8_t key[16], const dt_iov *iov, size_t n, uint8_t out[16])
{
    if (!gcrypt_ready())
        return DT_CRYPTO_FAIL;
    gcry_mac_hd_t h;
    if (gcry_mac_open(&h, GCRY_MAC_CMAC_AES, 0, NULL))
        return DT_CRYPTO_UNSUPPORTED;
    int rc = DT_CRYPTO_FAIL;
    if (gcry_mac_setkey(h, key, 16) == 0) {
        bool ok = true;
        for (size_t i = 0; ok && i < n; i++)
            ok = gcry_mac_write(h, iov[i].p, iov[i].n) == 0;
        size_t len = 16;
        if (ok && gcry_mac_read(h, out, &len) == 0 && len == 16)
            rc = DT_CRYPTO_OK;
    }
    gcry_mac_close(h);
    return rc;
}
