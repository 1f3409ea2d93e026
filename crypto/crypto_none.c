/* The crypto layer without a backend (meson feature `gcrypt` disabled):
 * every operation says it is unsupported, so dissectors show protected
 * data as protected. */
#include "dt_crypto.h"

bool dt_crypto_available(void) { return false; }

const char *dt_crypto_backend(void) { return "none"; }

int dt_hash_open(dt_hash_ctx *c, dt_hash_alg alg, const uint8_t *key, size_t keylen)
{
    (void)key, (void)keylen;
    c->h = NULL;
    c->alg = alg;
    return DT_CRYPTO_UNSUPPORTED;
}

int dt_hash_write(dt_hash_ctx *c, const void *data, size_t n)
{
    (void)c, (void)data, (void)n;
    return DT_CRYPTO_UNSUPPORTED;
}

int dt_hash_final(dt_hash_ctx *c, uint8_t *out)
{
    (void)c, (void)out;
    return DT_CRYPTO_UNSUPPORTED;
}

void dt_hash_close(dt_hash_ctx *c) { c->h = NULL; }

int dt_cipher_open(dt_cipher *c, dt_cipher_alg alg, const uint8_t *key, size_t keylen)
{
    (void)key, (void)keylen;
    c->h = NULL;
    c->alg = alg;
    return DT_CRYPTO_UNSUPPORTED;
}

void dt_cipher_close(dt_cipher *c) { c->h = NULL; }

int dt_rc4(dt_cipher *c, uint8_t *data, size_t n)
{
    (void)c, (void)data, (void)n;
    return DT_CRYPTO_UNSUPPORTED;
}

int dt_cbc_decrypt(dt_cipher *c, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t n)
{
    (void)c, (void)iv, (void)in, (void)out, (void)n;
    return DT_CRYPTO_UNSUPPORTED;
}

int dt_cbc_encrypt(dt_cipher *c, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t n)
{
    (void)c, (void)iv, (void)in, (void)out, (void)n;
    return DT_CRYPTO_UNSUPPORTED;
}

int dt_aead_decrypt(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                    uint8_t *data, size_t n, const uint8_t *tag, size_t taglen)
{
    (void)c, (void)nonce, (void)noncelen, (void)aad, (void)aadlen, (void)data, (void)n, (void)tag, (void)taglen;
    return DT_CRYPTO_UNSUPPORTED;
}

int dt_aead_encrypt(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                    uint8_t *data, size_t n, uint8_t *tag, size_t taglen)
{
    (void)c, (void)nonce, (void)noncelen, (void)aad, (void)aadlen, (void)data, (void)n, (void)tag, (void)taglen;
    return DT_CRYPTO_UNSUPPORTED;
}

int dt_cmac_aes128(const uint8_t key[16], const dt_iov *iov, size_t n, uint8_t out[16])
{
    (void)key, (void)iov, (void)n, (void)out;
    return DT_CRYPTO_UNSUPPORTED;
}
