/* AES-CCM and AES-CMAC over a backend's ECB and CBC (see aes_modes_own.h). */
#include <string.h>

#include "aes_modes_own.h"

/* ---- CBC-MAC, fed in pieces, run through the backend's CBC a chunk at a
 * time (one call per chunk, not per block). */
enum { MAC_CHUNK = 4096 };

typedef struct cbc_mac {
    const dt_aes_ops *ops;
    uint8_t x[16]; /* the chaining value: the MAC so far */
    uint8_t buf[MAC_CHUNK];
    uint8_t scratch[MAC_CHUNK];
    size_t have;
    int rc;
} cbc_mac;

static void mac_flush(cbc_mac *m)
{
    if (m->have && m->rc == DT_CRYPTO_OK)
        m->rc = m->ops->cbc(m->ops->k, m->x, m->buf, m->scratch, m->have);
    m->have = 0;
}

static void mac_feed(cbc_mac *m, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        size_t take = MAC_CHUNK - m->have < n ? MAC_CHUNK - m->have : n;
        memcpy(m->buf + m->have, b, take);
        m->have += take, b += take, n -= take;
        if (m->have == MAC_CHUNK)
            mac_flush(m);
    }
}

/* Zeros up to the next block boundary. */
static void mac_pad(cbc_mac *m)
{
    static const uint8_t zeros[16];
    if (m->have % 16)
        mac_feed(m, zeros, 16 - m->have % 16);
}

/* ---- CCM (SP 800-38C): CBC-MAC over B0, the encoded AAD and the
 * plaintext, CTR with counter blocks A_i = flags(L-1) || nonce || i. */
enum { CTR_BLOCKS = 64 };

static void put_be(uint8_t *p, size_t len, uint64_t v)
{
    for (size_t k = len; k-- > 0; v >>= 8)
        p[k] = (uint8_t)v;
}

static int ccm_check(size_t noncelen, size_t n, size_t taglen)
{
    if (noncelen < 7 || noncelen > 13 || taglen < 4 || taglen > 16 || taglen % 2)
        return DT_CRYPTO_FAIL;
    size_t l = 15 - noncelen; /* bytes of the message length */
    if (l < 8 && (uint64_t)n >> (8 * l))
        return DT_CRYPTO_FAIL;
    return DT_CRYPTO_OK;
}

static int ccm_mac(const dt_aes_ops *ops, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                   const uint8_t *plain, size_t n, size_t taglen, uint8_t t[16])
{
    cbc_mac m = { .ops = ops, .rc = DT_CRYPTO_OK };
    size_t l = 15 - noncelen;
    uint8_t b0[16];
    b0[0] = (uint8_t)((aadlen ? 0x40 : 0) | ((taglen - 2) / 2) << 3 | (l - 1));
    memcpy(b0 + 1, nonce, noncelen);
    put_be(b0 + 1 + noncelen, l, n);
    mac_feed(&m, b0, 16);
    if (aadlen) {
        uint8_t enc[10];
        size_t el;
        if (aadlen < 0xFF00)
            put_be(enc, 2, aadlen), el = 2;
        else if ((uint64_t)aadlen <= 0xFFFFFFFFu)
            enc[0] = 0xFF, enc[1] = 0xFE, put_be(enc + 2, 4, aadlen), el = 6;
        else
            enc[0] = 0xFF, enc[1] = 0xFF, put_be(enc + 2, 8, aadlen), el = 10;
        mac_feed(&m, enc, el);
        mac_feed(&m, aad, aadlen);
        mac_pad(&m);
    }
    mac_feed(&m, plain, n);
    mac_pad(&m);
    mac_flush(&m);
    memcpy(t, m.x, 16);
    return m.rc;
}

/* XORs the CTR key stream from counter `first` on into data; s0 (when not
 * NULL) gets E(A_0), which encrypts the tag. */
static int ccm_ctr(const dt_aes_ops *ops, const uint8_t *nonce, size_t noncelen, uint8_t *data, size_t n,
                   uint8_t s0[16])
{
    size_t l = 15 - noncelen;
    uint8_t ctr[CTR_BLOCKS * 16], ks[CTR_BLOCKS * 16];
    for (size_t b = 0; b < CTR_BLOCKS; b++) {
        ctr[b * 16] = (uint8_t)(l - 1);
        memcpy(ctr + b * 16 + 1, nonce, noncelen);
    }
    put_be(ctr + 1 + noncelen, l, 0);
    int rc = ops->ecb(ops->k, ctr, s0, 16);
    for (uint64_t i = 1; rc == DT_CRYPTO_OK && n; ) {
        size_t blocks = (n + 15) / 16 < CTR_BLOCKS ? (n + 15) / 16 : CTR_BLOCKS;
        for (size_t b = 0; b < blocks; b++)
            put_be(ctr + b * 16 + 1 + noncelen, l, i + b);
        rc = ops->ecb(ops->k, ctr, ks, blocks * 16);
        size_t take = blocks * 16 < n ? blocks * 16 : n;
        for (size_t k = 0; k < take; k++)
            data[k] ^= ks[k];
        data += take, n -= take, i += blocks;
    }
    return rc;
}

int dt_ccm_own_encrypt(const dt_aes_ops *ops, const uint8_t *nonce, size_t noncelen, const uint8_t *aad,
                       size_t aadlen, uint8_t *data, size_t n, uint8_t *tag, size_t taglen)
{
    uint8_t t[16], s0[16];
    int rc = ccm_check(noncelen, n, taglen);
    if (rc == DT_CRYPTO_OK)
        rc = ccm_mac(ops, nonce, noncelen, aad, aadlen, data, n, taglen, t);
    if (rc == DT_CRYPTO_OK)
        rc = ccm_ctr(ops, nonce, noncelen, data, n, s0);
    if (rc == DT_CRYPTO_OK)
        for (size_t k = 0; k < taglen; k++)
            tag[k] = t[k] ^ s0[k];
    return rc;
}

int dt_ccm_own_decrypt(const dt_aes_ops *ops, const uint8_t *nonce, size_t noncelen, const uint8_t *aad,
                       size_t aadlen, uint8_t *data, size_t n, const uint8_t *tag, size_t taglen)
{
    uint8_t t[16], s0[16];
    int rc = ccm_check(noncelen, n, taglen);
    if (rc == DT_CRYPTO_OK)
        rc = ccm_ctr(ops, nonce, noncelen, data, n, s0);
    if (rc == DT_CRYPTO_OK)
        rc = ccm_mac(ops, nonce, noncelen, aad, aadlen, data, n, taglen, t);
    if (rc != DT_CRYPTO_OK)
        return rc;
    for (size_t k = 0; k < taglen; k++)
        t[k] ^= s0[k];
    return dt_crypto_memeq(t, tag, taglen) ? DT_CRYPTO_OK : DT_CRYPTO_BADTAG;
}

/* ---- CMAC (RFC 4493). */

/* Doubling in GF(2^128): shift left one bit, fold the carry back as 0x87. */
static void gf_double(const uint8_t in[16], uint8_t out[16])
{
    uint8_t carry = in[0] >> 7;
    for (int k = 0; k < 15; k++)
        out[k] = (uint8_t)(in[k] << 1 | in[k + 1] >> 7);
    out[15] = (uint8_t)(in[15] << 1 ^ (carry ? 0x87 : 0));
}

int dt_cmac_own(const dt_aes_ops *ops, const dt_iov *iov, size_t n, uint8_t out[16])
{
    static const uint8_t zero[16];
    uint8_t l[16], k1[16], k2[16];
    int rc = ops->ecb(ops->k, zero, l, 16);
    if (rc)
        return rc;
    gf_double(l, k1);
    gf_double(k1, k2);

    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += iov[i].n;
    /* Every block but the last goes through CBC-MAC as it is; the last is
     * XORed with K1 when whole, else padded (10*) and XORed with K2. */
    size_t blocks = total ? (total + 15) / 16 : 1;
    size_t before_last = (blocks - 1) * 16;
    cbc_mac m = { .ops = ops, .rc = DT_CRYPTO_OK };
    uint8_t last[16] = { 0 };
    size_t lastlen = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = iov[i].p;
        size_t len = iov[i].n;
        size_t take = len < before_last ? len : before_last;
        mac_feed(&m, p, take);
        before_last -= take;
        if (len > take) /* at most 16 bytes in all */
            memcpy(last + lastlen, p + take, len - take);
        lastlen += len - take;
    }
    const uint8_t *sub = k1;
    if (lastlen < 16) {
        last[lastlen] = 0x80;
        sub = k2;
    }
    for (int k = 0; k < 16; k++)
        last[k] ^= sub[k];
    mac_feed(&m, last, 16);
    mac_flush(&m);
    memcpy(out, m.x, 16);
    return m.rc;
}
