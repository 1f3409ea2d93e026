/* diagtap's own RC4, AES-CCM and AES-CMAC (crypto/rc4_own.c,
 * crypto/aes_modes_own.c: the Windows build's, over CNG there) checked on
 * Linux against libgcrypt's own RC4, CCM and CMAC: the own code runs over
 * libgcrypt's AES-ECB/CBC here, and for many lengths — nonces 7..13, every
 * even tag length, AAD and data from empty across the 4 KiB CBC-MAC chunks
 * and 64-block CTR batches, AAD past CCM's 2-byte length encoding, RC4 in
 * uneven pieces — both must give the same bytes. (The ASan build runs this
 * too, so the own code's bounds are checked where it is written.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aes_modes_own.h"
#include "crypto/rc4_own.h"

/* A deterministic generator for lengths and bytes (xorshift). */
static uint32_t next(uint32_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 17, *s ^= *s << 5;
    return *s;
}

static void fill(uint32_t *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)next(s);
}

typedef struct gc_aes {
    gcry_cipher_hd_t ecb, cbc;
} gc_aes;

static int gc_ecb(void *k, const uint8_t *in, uint8_t *out, size_t n)
{
    return gcry_cipher_encrypt(((gc_aes *)k)->ecb, out, n, in, n) ? DT_CRYPTO_FAIL : DT_CRYPTO_OK;
}

static int gc_cbc(void *k, uint8_t chain[16], const uint8_t *in, uint8_t *out, size_t n)
{
    gcry_cipher_hd_t h = ((gc_aes *)k)->cbc;
    if (gcry_cipher_setiv(h, chain, 16) || gcry_cipher_encrypt(h, out, n, in, n))
        return DT_CRYPTO_FAIL;
    if (n)
        memcpy(chain, out + n - 16, 16);
    return DT_CRYPTO_OK;
}

static void gc_open(gc_aes *a, const uint8_t *key, size_t keylen)
{
    int algo = keylen == 32 ? GCRY_CIPHER_AES256 : GCRY_CIPHER_AES128;
    assert_int_equal(gcry_cipher_open(&a->ecb, algo, GCRY_CIPHER_MODE_ECB, 0), 0);
    assert_int_equal(gcry_cipher_open(&a->cbc, algo, GCRY_CIPHER_MODE_CBC, 0), 0);
    assert_int_equal(gcry_cipher_setkey(a->ecb, key, keylen), 0);
    assert_int_equal(gcry_cipher_setkey(a->cbc, key, keylen), 0);
}

static void gc_close(gc_aes *a)
{
    gcry_cipher_close(a->ecb);
    gcry_cipher_close(a->cbc);
}

/* libgcrypt's CCM: the reference. */
static void ref_ccm(const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t nl, const uint8_t *aad, size_t al,
                    uint8_t *data, size_t n, uint8_t *tag, size_t tl)
{
    gcry_cipher_hd_t h;
    assert_int_equal(gcry_cipher_open(&h, keylen == 32 ? GCRY_CIPHER_AES256 : GCRY_CIPHER_AES128,
                                      GCRY_CIPHER_MODE_CCM, 0), 0);
    assert_int_equal(gcry_cipher_setkey(h, key, keylen), 0);
    assert_int_equal(gcry_cipher_setiv(h, nonce, nl), 0);
    uint64_t params[3] = { n, al, tl };
    assert_int_equal(gcry_cipher_ctl(h, GCRYCTL_SET_CCM_LENGTHS, params, sizeof params), 0);
    assert_int_equal(gcry_cipher_authenticate(h, aad, al), 0);
    gcry_cipher_final(h);
    assert_int_equal(gcry_cipher_encrypt(h, data, n, NULL, 0), 0);
    assert_int_equal(gcry_cipher_gettag(h, tag, tl), 0);
    gcry_cipher_close(h);
}

static void ccm_against_gcrypt(void **state)
{
    (void)state;
    uint32_t s = 0x9e3779b9;
    static const size_t sizes[] = { 0, 1, 15, 16, 17, 31, 1023, 1024, 1025, 4080, 4096, 4097, 5000, 9000 };
    enum { MAXN = 9000, MAXA = 70000 };
    uint8_t *aad = malloc(MAXA), *plain = malloc(MAXN), *mine = malloc(MAXN), *ref = malloc(MAXN);
    assert_true(aad && plain && mine && ref);
    for (int round = 0; round < 120; round++) {
        size_t keylen = round % 2 ? 32 : 16, nl = 7 + round % 7, tl = 4 + 2 * (round % 7);
        size_t n = sizes[round % (sizeof sizes / sizeof *sizes)];
        size_t al = round % 5 == 0 ? 0 : round % 11 == 0 ? 65280 + (size_t)round : next(&s) % 5000;
        if (round % 13 == 0)
            al = 65279; /* the last AAD length with the 2-byte encoding */
        uint8_t key[32], nonce[13], tag_mine[16], tag_ref[16];
        fill(&s, key, keylen), fill(&s, nonce, nl), fill(&s, aad, al), fill(&s, plain, n);
        memcpy(mine, plain, n), memcpy(ref, plain, n);
        gc_aes a;
        gc_open(&a, key, keylen);
        dt_aes_ops ops = { &a, gc_ecb, gc_cbc };
        assert_int_equal(dt_ccm_own_encrypt(&ops, nonce, nl, aad, al, mine, n, tag_mine, tl), DT_CRYPTO_OK);
        ref_ccm(key, keylen, nonce, nl, aad, al, ref, n, tag_ref, tl);
        assert_memory_equal(mine, ref, n);
        assert_memory_equal(tag_mine, tag_ref, tl);
        assert_int_equal(dt_ccm_own_decrypt(&ops, nonce, nl, aad, al, mine, n, tag_ref, tl), DT_CRYPTO_OK);
        assert_memory_equal(mine, plain, n);
        tag_ref[round % tl] ^= 0x10;
        memcpy(mine, ref, n);
        assert_int_equal(dt_ccm_own_decrypt(&ops, nonce, nl, aad, al, mine, n, tag_ref, tl), DT_CRYPTO_BADTAG);
        gc_close(&a);
    }
    free(aad), free(plain), free(mine), free(ref);
}

static void cmac_against_gcrypt(void **state)
{
    (void)state;
    uint32_t s = 12345;
    enum { MAXN = 9000 };
    uint8_t *msg = malloc(MAXN);
    assert_non_null(msg);
    for (int round = 0; round < 200; round++) {
        size_t n = round < 40 ? (size_t)round : next(&s) % MAXN;
        uint8_t key[16], mine[16], ref[16];
        fill(&s, key, 16), fill(&s, msg, n);
        /* the message in up to 4 gathered pieces */
        dt_iov iov[4];
        size_t cut1 = n ? next(&s) % (n + 1) : 0, cut2 = cut1 + (n - cut1 ? next(&s) % (n - cut1 + 1) : 0);
        iov[0] = (dt_iov){ msg, cut1 }, iov[1] = (dt_iov){ msg + cut1, 0 };
        iov[2] = (dt_iov){ msg + cut1, cut2 - cut1 }, iov[3] = (dt_iov){ msg + cut2, n - cut2 };
        gc_aes a;
        gc_open(&a, key, 16);
        dt_aes_ops ops = { &a, gc_ecb, gc_cbc };
        assert_int_equal(dt_cmac_own(&ops, iov, 4, mine), DT_CRYPTO_OK);
        gc_close(&a);
        gcry_mac_hd_t h;
        size_t len = 16;
        assert_int_equal(gcry_mac_open(&h, GCRY_MAC_CMAC_AES, 0, NULL), 0);
        assert_int_equal(gcry_mac_setkey(h, key, 16), 0);
        assert_int_equal(gcry_mac_write(h, msg, n), 0);
        assert_int_equal(gcry_mac_read(h, ref, &len), 0);
        gcry_mac_close(h);
        assert_memory_equal(mine, ref, 16);
    }
    free(msg);
}

static void rc4_against_gcrypt(void **state)
{
    (void)state;
    uint32_t s = 777;
    uint8_t key[256], mine[3000], ref[3000];
    for (int round = 0; round < 40; round++) {
        /* libgcrypt takes RC4 keys of 5 bytes and more: 5..256 here */
        static const size_t lens[] = { 5, 7, 8, 16, 32, 64, 128, 256 };
        size_t keylen = round < 8 ? lens[round] : 5 + next(&s) % 252;
        size_t n = next(&s) % sizeof mine;
        fill(&s, key, keylen), fill(&s, mine, n);
        memcpy(ref, mine, n);
        dt_rc4_own st;
        dt_rc4_own_init(&st, key, keylen);
        for (size_t at = 0; at < n;) { /* uneven pieces: the stream carries over */
            size_t step = 1 + next(&s) % 300;
            step = step > n - at ? n - at : step;
            dt_rc4_own_crypt(&st, mine + at, step);
            at += step;
        }
        dt_rc4_own_wipe(&st);
        gcry_cipher_hd_t h;
        assert_int_equal(gcry_cipher_open(&h, GCRY_CIPHER_ARCFOUR, GCRY_CIPHER_MODE_STREAM, 0), 0);
        assert_int_equal(gcry_cipher_setkey(h, key, keylen), 0);
        assert_int_equal(gcry_cipher_encrypt(h, ref, n, NULL, 0), 0);
        gcry_cipher_close(h);
        assert_memory_equal(mine, ref, n);
    }
}

int main(void)
{
    if (!gcry_check_version(GCRYPT_VERSION))
        return 1;
    gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ccm_against_gcrypt),
        cmocka_unit_test(cmac_against_gcrypt),
        cmocka_unit_test(rc4_against_gcrypt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
