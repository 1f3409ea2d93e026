/* Backend-independent parts of the crypto layer (see dt_crypto.h). */
#include "dt_crypto.h"

size_t dt_hash_len(dt_hash_alg alg)
{
    switch (alg) {
    case DT_HASH_MD4:
    case DT_HASH_MD5:
        return 16;
    case DT_HASH_SHA256:
        return 32;
    case DT_HASH_SHA512:
        return 64;
    }
    return 0;
}

const char *dt_crypto_strerror(int rc)
{
    switch (rc) {
    case DT_CRYPTO_OK:
        return "ok";
    case DT_CRYPTO_UNSUPPORTED:
        return dt_crypto_available() ? "algorithm not supported by the crypto backend"
                                     : "not supported (diagtap built without a crypto backend)";
    case DT_CRYPTO_BADTAG:
        return "authentication tag mismatch";
    default:
        return "crypto backend error";
    }
}

static void put_be32(uint8_t b[4], uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

/* One-shot hashes and HMACs on top of the backend's incremental ones (the
 * none backend's dt_hash_open says unsupported, so these do too). */
int dt_hash(dt_hash_alg alg, const dt_iov *iov, size_t n, uint8_t *out)
{
    return dt_hmac(alg, NULL, 0, iov, n, out);
}

int dt_hmac(dt_hash_alg alg, const uint8_t *key, size_t keylen, const dt_iov *iov, size_t n, uint8_t *out)
{
    dt_hash_ctx c = { 0 };
    int rc = dt_hash_open(&c, alg, key, keylen);
    for (size_t i = 0; rc == DT_CRYPTO_OK && i < n; i++)
        rc = dt_hash_write(&c, iov[i].p, iov[i].n);
    if (rc == DT_CRYPTO_OK)
        rc = dt_hash_final(&c, out);
    dt_hash_close(&c);
    return rc;
}

int dt_kdf_sp800_108(const uint8_t *key, size_t keylen, const void *label, size_t labellen, const void *context,
                     size_t contextlen, uint8_t *out, size_t outlen)
{
    static const uint8_t zero = 0;
    uint8_t ctr[4], bits[4], block[32];
    put_be32(bits, (uint32_t)(outlen * 8));
    for (uint32_t i = 1; outlen; i++) {
        put_be32(ctr, i);
        dt_iov iov[5] = { { ctr, 4 }, { label, labellen }, { &zero, 1 }, { context, contextlen }, { bits, 4 } };
        int rc = dt_hmac(DT_HASH_SHA256, key, keylen, iov, 5, block);
        if (rc)
            return rc;
        size_t n = outlen < sizeof block ? outlen : sizeof block;
        for (size_t k = 0; k < n; k++)
            *out++ = block[k];
        outlen -= n;
    }
    return DT_CRYPTO_OK;
}

bool dt_crypto_memeq(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(x[i] ^ y[i]);
    return d == 0;
}
