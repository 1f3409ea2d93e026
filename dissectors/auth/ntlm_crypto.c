/* NTLM key derivation (see ntlm_crypto.h). */
#include <string.h>

#include "crypto/dt_crypto.h"
#include "ntlm_crypto.h"

static uint32_t upcase(uint32_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7))
        return c - 0x20;
    return c;
}

size_t ntlm_utf16le(const char *s, size_t n, bool upper, uint8_t *out, size_t outsz)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c = p[i];
        size_t len = 1;
        if (c >= 0xf0 && i + 3 < n)
            c = (c & 7) << 18 | (p[i + 1] & 0x3fu) << 12 | (p[i + 2] & 0x3fu) << 6 | (p[i + 3] & 0x3fu), len = 4;
        else if (c >= 0xe0 && i + 2 < n)
            c = (c & 0xf) << 12 | (p[i + 1] & 0x3fu) << 6 | (p[i + 2] & 0x3fu), len = 3;
        else if (c >= 0xc0 && i + 1 < n)
            c = (c & 0x1f) << 6 | (p[i + 1] & 0x3fu), len = 2;
        i += len;
        if (upper)
            c = upcase(c);
        if (c >= 0x10000) {
            if (o + 4 > outsz)
                return (size_t)-1;
            c -= 0x10000;
            uint16_t hi = (uint16_t)(0xd800 | (c >> 10)), lo = (uint16_t)(0xdc00 | (c & 0x3ff));
            out[o++] = (uint8_t)hi, out[o++] = (uint8_t)(hi >> 8), out[o++] = (uint8_t)lo, out[o++] = (uint8_t)(lo >> 8);
        } else {
            if (o + 2 > outsz)
                return (size_t)-1;
            out[o++] = (uint8_t)c, out[o++] = (uint8_t)(c >> 8);
        }
    }
    return o;
}

int ntlm_nt_hash(const char *password, uint8_t out[16])
{
    uint8_t u[512];
    size_t n = ntlm_utf16le(password, strlen(password), false, u, sizeof u);
    if (n == (size_t)-1)
        return DT_CRYPTO_FAIL;
    dt_iov iov = { u, n };
    int rc = dt_hash(DT_HASH_MD4, &iov, 1, out);
    memset(u, 0, sizeof u);
    return rc;
}

int ntlm_ntowfv2(const uint8_t nt_hash[16], const uint8_t *user16, size_t ulen, const uint8_t *dom16, size_t dlen,
                 uint8_t out[16])
{
    uint8_t up[512];
    if (ulen > sizeof up)
        return DT_CRYPTO_FAIL;
    for (size_t i = 0; i + 1 < ulen; i += 2) {
        uint32_t c = upcase((uint32_t)(user16[i] | user16[i + 1] << 8));
        up[i] = (uint8_t)c, up[i + 1] = (uint8_t)(c >> 8);
    }
    dt_iov iov[2] = { { up, ulen & ~(size_t)1 }, { dom16, dlen } };
    return dt_hmac(DT_HASH_MD5, nt_hash, 16, iov, 2, out);
}

int ntlm_v2_proof(const uint8_t ntowfv2[16], const uint8_t challenge[8], const uint8_t *temp, size_t templen,
                  uint8_t out[16])
{
    dt_iov iov[2] = { { challenge, 8 }, { temp, templen } };
    return dt_hmac(DT_HASH_MD5, ntowfv2, 16, iov, 2, out);
}

int ntlm_v2_session_base_key(const uint8_t ntowfv2[16], const uint8_t proof[16], uint8_t out[16])
{
    dt_iov iov = { proof, 16 };
    return dt_hmac(DT_HASH_MD5, ntowfv2, 16, &iov, 1, out);
}

int ntlm_v1_key_exchange_key(const uint8_t nt_hash[16], const uint8_t challenge[8], const uint8_t *lm, size_t lmlen,
                             uint32_t flags, uint8_t out[16])
{
    uint8_t base[16];
    dt_iov h = { nt_hash, 16 };
    int rc = dt_hash(DT_HASH_MD4, &h, 1, base);
    if (rc)
        return rc;
    if (!(flags & NTLM_FLAG_ESS)) {
        memcpy(out, base, 16);
        return DT_CRYPTO_OK;
    }
    if (lmlen < 8)
        return DT_CRYPTO_FAIL;
    dt_iov iov[2] = { { challenge, 8 }, { lm, 8 } };
    return dt_hmac(DT_HASH_MD5, base, 16, iov, 2, out);
}

int ntlm_exported_session_key(const uint8_t kxkey[16], uint32_t flags, const uint8_t *enc, size_t enclen,
                              uint8_t out[16])
{
    if (!(flags & NTLM_FLAG_KEY_EXCH) || enclen == 0) {
        memcpy(out, kxkey, 16);
        return DT_CRYPTO_OK;
    }
    if (enclen != 16)
        return DT_CRYPTO_FAIL;
    dt_cipher rc4 = { 0 };
    int rc = dt_cipher_open(&rc4, DT_CIPHER_RC4, kxkey, 16);
    if (rc == DT_CRYPTO_OK) {
        memcpy(out, enc, 16);
        rc = dt_rc4(&rc4, out, 16);
    }
    dt_cipher_close(&rc4);
    return rc;
}

static const char c2s_sign[] = "session key to client-to-server signing key magic constant";
static const char s2c_sign[] = "session key to server-to-client signing key magic constant";
static const char c2s_seal[] = "session key to client-to-server sealing key magic constant";
static const char s2c_seal[] = "session key to server-to-client sealing key magic constant";

int ntlm_sign_key(const uint8_t exported[16], bool client_to_server, uint8_t out[16])
{
    const char *m = client_to_server ? c2s_sign : s2c_sign;
    dt_iov iov[2] = { { exported, 16 }, { m, strlen(m) + 1 } }; /* the constants include their NUL */
    return dt_hash(DT_HASH_MD5, iov, 2, out);
}

int ntlm_seal_key(const uint8_t exported[16], uint32_t flags, bool client_to_server, uint8_t out[16])
{
    size_t n = (flags & NTLM_FLAG_128) ? 16 : (flags & NTLM_FLAG_56) ? 7 : 5;
    const char *m = client_to_server ? c2s_seal : s2c_seal;
    dt_iov iov[2] = { { exported, n }, { m, strlen(m) + 1 } };
    return dt_hash(DT_HASH_MD5, iov, 2, out);
}
