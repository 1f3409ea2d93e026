/* The crypto layer (crypto/dt_crypto.h) against published known answers,
 * whatever the backend: libgcrypt on Linux, Windows CNG with diagtap's own
 * RC4/CCM/CMAC in the Windows build (run under wine by tests/win).
 *
 * Vectors: MD4 RFC 1320, MD5 RFC 1321, SHA-256/512 FIPS 180-2 ("abc"),
 * HMAC RFC 2202 (MD5) and RFC 4231 (SHA-2, short and over-long keys), RC4
 * RFC 6229 (40-bit key), AES-CBC SP 800-38A F.2, AES-GCM the GCM spec's
 * test cases 1, 2, 4, 13, 14, AES-CCM SP 800-38C C.1-C.3 and RFC 3610
 * packet 1, AES-CMAC RFC 4493, SP800-108 KDF MS-SMB2-shaped (checked
 * against HMAC by hand). The long inputs (3000 bytes, a 65300-byte AAD)
 * were computed with Python's `cryptography` (OpenSSL), an implementation
 * independent of both backends; they cross the own CCM's chunk boundaries
 * (4 KiB CBC-MAC chunks: the long AAD; 64-block CTR batches: the 3000 bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/dt_crypto.h"

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    while (*h) {
        if (*h == ' ') {
            h++;
            continue;
        }
        unsigned v;
        assert_int_equal(sscanf(h, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return n;
}

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
    uint8_t w[256];
    assert_int_equal(unhex(want, w), n);
    assert_memory_equal(got, w, n);
}

/* The deterministic long inputs: byte i is i*m + a. */
static uint8_t *pattern(size_t n, unsigned m, unsigned a)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * m + a);
    return p;
}

static void sha256_of(const uint8_t *p, size_t n, uint8_t out[32])
{
    dt_iov iov = { p, n };
    assert_int_equal(dt_hash(DT_HASH_SHA256, &iov, 1, out), DT_CRYPTO_OK);
}

static void hash_str(dt_hash_alg alg, const char *s, const char *want)
{
    uint8_t out[64];
    dt_iov iov = { s, strlen(s) };
    assert_int_equal(dt_hash(alg, &iov, 1, out), DT_CRYPTO_OK);
    assert_hex(out, dt_hash_len(alg), want);
}

static void hashes(void **state)
{
    (void)state;
    hash_str(DT_HASH_MD4, "", "31d6cfe0d16ae931b73c59d7e0c089c0");
    hash_str(DT_HASH_MD4, "abc", "a448017aaf21d8525fc10ae87aa6729d");
    hash_str(DT_HASH_MD4, "message digest", "d9130a8164549fe818874806e1c7014b");
    hash_str(DT_HASH_MD5, "", "d41d8cd98f00b204e9800998ecf8427e");
    hash_str(DT_HASH_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72");
    hash_str(DT_HASH_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hash_str(DT_HASH_SHA512, "abc",
             "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    /* gathered: the concatenation of the buffers */
    uint8_t out[16];
    dt_iov parts[3] = { { "mess", 4 }, { "", 0 }, { "age digest", 10 } };
    assert_int_equal(dt_hash(DT_HASH_MD4, parts, 3, out), DT_CRYPTO_OK);
    assert_hex(out, 16, "d9130a8164549fe818874806e1c7014b");
}

static void hmacs(void **state)
{
    (void)state;
    static const char jefe_data[] = "what do ya want for nothing?";
    dt_iov iov = { jefe_data, sizeof jefe_data - 1 };
    uint8_t out[64];
    assert_int_equal(dt_hmac(DT_HASH_MD5, (const uint8_t *)"Jefe", 4, &iov, 1, out), DT_CRYPTO_OK);
    assert_hex(out, 16, "750c783e6ab0b503eaa86e310a5db738");
    assert_int_equal(dt_hmac(DT_HASH_SHA256, (const uint8_t *)"Jefe", 4, &iov, 1, out), DT_CRYPTO_OK);
    assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_int_equal(dt_hmac(DT_HASH_SHA512, (const uint8_t *)"Jefe", 4, &iov, 1, out), DT_CRYPTO_OK);
    assert_hex(out, 64,
               "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
               "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    /* RFC 4231 case 6: a key longer than the block is hashed first */
    uint8_t key[131];
    memset(key, 0xaa, sizeof key);
    static const char big[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    dt_iov biov = { big, sizeof big - 1 };
    assert_int_equal(dt_hmac(DT_HASH_SHA256, key, sizeof key, &biov, 1, out), DT_CRYPTO_OK);
    assert_hex(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* Open once, then final resets to the keyed initial state, again and again. */
static void incremental_reusable(void **state)
{
    (void)state;
    dt_hash_ctx c = { 0 };
    uint8_t out[64];
    assert_int_equal(dt_hash_open(&c, DT_HASH_SHA256, NULL, 0), DT_CRYPTO_OK);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(dt_hash_write(&c, "a", 1), DT_CRYPTO_OK);
        assert_int_equal(dt_hash_write(&c, "", 0), DT_CRYPTO_OK);
        assert_int_equal(dt_hash_write(&c, "bc", 2), DT_CRYPTO_OK);
        assert_int_equal(dt_hash_final(&c, out), DT_CRYPTO_OK);
        assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
    dt_hash_close(&c);
    dt_hash_close(&c); /* twice is harmless */
    assert_null(c.h);

    assert_int_equal(dt_hash_open(&c, DT_HASH_MD5, (const uint8_t *)"Jefe", 4), DT_CRYPTO_OK);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(dt_hash_write(&c, "what do ya want ", 16), DT_CRYPTO_OK);
        assert_int_equal(dt_hash_write(&c, "for nothing?", 12), DT_CRYPTO_OK);
        assert_int_equal(dt_hash_final(&c, out), DT_CRYPTO_OK);
        assert_hex(out, 16, "750c783e6ab0b503eaa86e310a5db738");
    }
    dt_hash_close(&c);
    /* a closed context refuses */
    assert_int_equal(dt_hash_write(&c, "x", 1), DT_CRYPTO_FAIL);
}

static void rc4(void **state)
{
    (void)state;
    uint8_t key[5], buf[32] = { 0 };
    unhex("0102030405", key);
    dt_cipher c = { 0 };
    assert_int_equal(dt_cipher_open(&c, DT_CIPHER_RC4, key, 5), DT_CRYPTO_OK);
    /* the key stream carries over from call to call: 7 + 0 + 25 bytes */
    assert_int_equal(dt_rc4(&c, buf, 7), DT_CRYPTO_OK);
    assert_int_equal(dt_rc4(&c, buf + 7, 0), DT_CRYPTO_OK);
    assert_int_equal(dt_rc4(&c, buf + 7, 25), DT_CRYPTO_OK);
    assert_hex(buf, 32, "b2396305f03dc027ccc3524a0a1118a8 6982944f18fc82d589c403a47a0d0919");
    dt_cipher_close(&c);
    /* decryption is the same operation */
    assert_int_equal(dt_cipher_open(&c, DT_CIPHER_RC4, key, 5), DT_CRYPTO_OK);
    assert_int_equal(dt_rc4(&c, buf, 32), DT_CRYPTO_OK);
    dt_cipher_close(&c);
    for (int i = 0; i < 32; i++)
        assert_int_equal(buf[i], 0);
    /* 3000 bytes under a 16-byte key (NTLM's size), in uneven pieces */
    uint8_t *k16 = pattern(16, 31, 7), *data = pattern(3000, 7, 3), digest[32];
    assert_int_equal(dt_cipher_open(&c, DT_CIPHER_RC4, k16, 16), DT_CRYPTO_OK);
    for (size_t at = 0, step = 1; at < 3000; at += step, step = step * 3 % 997 + 1)
        assert_int_equal(dt_rc4(&c, data + at, at + step > 3000 ? 3000 - at : step), DT_CRYPTO_OK);
    dt_cipher_close(&c);
    sha256_of(data, 3000, digest);
    assert_hex(digest, 32, "54b41cbc98b5a9d88b0dd28b76424c7331678b5b9c6e7fb4329d427b9668b225");
    free(k16), free(data);
    /* key lengths 1..256 */
    assert_int_equal(dt_cipher_open(&c, DT_CIPHER_RC4, key, 0), DT_CRYPTO_FAIL);
    assert_null(c.h);
    uint8_t big[257] = { 0 };
    assert_int_equal(dt_cipher_open(&c, DT_CIPHER_RC4, big, 257), DT_CRYPTO_FAIL);
    assert_int_equal(dt_cipher_open(&c, DT_CIPHER_RC4, big, 256), DT_CRYPTO_OK);
    dt_cipher_close(&c);
}

static void cbc_case(dt_cipher_alg alg, const char *key_hex, const char *cipher_hex)
{
    static const char iv_hex[] = "000102030405060708090a0b0c0d0e0f";
    static const char plain_hex[] = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51";
    uint8_t key[32], iv[16], plain[32], want[32], buf[32], out[32];
    size_t kl = unhex(key_hex, key);
    unhex(iv_hex, iv), unhex(plain_hex, plain), unhex(cipher_hex, want);
    dt_cipher c = { 0 };
    assert_int_equal(dt_cipher_open(&c, alg, key, kl), DT_CRYPTO_OK);
    assert_int_equal(dt_cbc_encrypt(&c, iv, plain, out, 32), DT_CRYPTO_OK);
    assert_memory_equal(out, want, 32);
    /* the IV is the caller's, unchanged; each call starts from the one given */
    assert_hex(iv, 16, iv_hex);
    memcpy(buf, plain, 32);
    assert_int_equal(dt_cbc_encrypt(&c, iv, buf, buf, 32), DT_CRYPTO_OK); /* in place */
    assert_memory_equal(buf, want, 32);
    assert_int_equal(dt_cbc_decrypt(&c, iv, buf, buf, 32), DT_CRYPTO_OK);
    assert_memory_equal(buf, plain, 32);
    assert_int_equal(dt_cbc_decrypt(&c, iv, want, out, 32), DT_CRYPTO_OK);
    assert_memory_equal(out, plain, 32);
    /* the second block alone, its IV the first ciphertext block */
    assert_int_equal(dt_cbc_decrypt(&c, want, want + 16, out, 16), DT_CRYPTO_OK);
    assert_memory_equal(out, plain + 16, 16);
    assert_int_equal(dt_cbc_decrypt(&c, iv, want, out, 15), DT_CRYPTO_FAIL); /* no padding */
    dt_cipher_close(&c);
    /* a key of the other size is refused */
    assert_int_equal(dt_cipher_open(&c, alg, key, kl == 16 ? 32 : 16), DT_CRYPTO_FAIL);
    assert_null(c.h);
}

static void aes_cbc(void **state)
{
    (void)state;
    cbc_case(DT_CIPHER_AES128_CBC, "2b7e151628aed2a6abf7158809cf4f3c",
             "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2");
    cbc_case(DT_CIPHER_AES256_CBC, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
             "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d");
}

/* One AEAD vector: encrypt gives cipher and tag; decrypt gives the plain
 * text back; a flipped tag bit, AAD bit or ciphertext bit is BADTAG. */
static void aead_case(dt_cipher_alg alg, const char *key_hex, const char *nonce_hex, const char *aad_hex,
                      const char *plain_hex, const char *cipher_hex, const char *tag_hex)
{
    uint8_t key[32], nonce[16], aad[64], plain[64], want[64], tag_want[16], buf[64], tag[16];
    size_t kl = unhex(key_hex, key), nl = unhex(nonce_hex, nonce), al = unhex(aad_hex, aad);
    size_t pl = unhex(plain_hex, plain), tl = unhex(tag_hex, tag_want);
    assert_int_equal(unhex(cipher_hex, want), pl);
    dt_cipher c = { 0 };
    assert_int_equal(dt_cipher_open(&c, alg, key, kl), DT_CRYPTO_OK);
    memcpy(buf, plain, pl);
    assert_int_equal(dt_aead_encrypt(&c, nonce, nl, al ? aad : NULL, al, buf, pl, tag, tl), DT_CRYPTO_OK);
    assert_memory_equal(buf, want, pl);
    assert_memory_equal(tag, tag_want, tl);
    assert_int_equal(dt_aead_decrypt(&c, nonce, nl, al ? aad : NULL, al, buf, pl, tag, tl), DT_CRYPTO_OK);
    assert_memory_equal(buf, plain, pl);

    tag[tl - 1] ^= 1;
    memcpy(buf, want, pl);
    assert_int_equal(dt_aead_decrypt(&c, nonce, nl, al ? aad : NULL, al, buf, pl, tag, tl), DT_CRYPTO_BADTAG);
    tag[tl - 1] ^= 1;
    if (al) {
        aad[0] ^= 0x80;
        memcpy(buf, want, pl);
        assert_int_equal(dt_aead_decrypt(&c, nonce, nl, aad, al, buf, pl, tag, tl), DT_CRYPTO_BADTAG);
        aad[0] ^= 0x80;
    }
    if (pl) {
        memcpy(buf, want, pl);
        buf[pl / 2] ^= 4;
        assert_int_equal(dt_aead_decrypt(&c, nonce, nl, al ? aad : NULL, al, buf, pl, tag, tl), DT_CRYPTO_BADTAG);
    }
    /* and the context still works after a failure */
    memcpy(buf, want, pl);
    assert_int_equal(dt_aead_decrypt(&c, nonce, nl, al ? aad : NULL, al, buf, pl, tag, tl), DT_CRYPTO_OK);
    assert_memory_equal(buf, plain, pl);
    dt_cipher_close(&c);
}

static void aes_gcm(void **state)
{
    (void)state;
    static const char z16[] = "00000000000000000000000000000000";
    static const char z32[] = "0000000000000000000000000000000000000000000000000000000000000000";
    static const char n0[] = "000000000000000000000000";
    aead_case(DT_CIPHER_AES128_GCM, z16, n0, "", "", "", "58e2fccefa7e3061367f1d57a4e7455a");
    aead_case(DT_CIPHER_AES128_GCM, z16, n0, "", z16, "0388dace60b6a392f328c2b971b2fe78",
              "ab6e47d42cec13bdf53a67b21257bddf");
    aead_case(DT_CIPHER_AES128_GCM, "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
              "feedfacedeadbeeffeedfacedeadbeefabaddad2",
              "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
              "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
              "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
              "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
              "5bc94fbc3221a5db94fae95ae7121a47");
    aead_case(DT_CIPHER_AES256_GCM, z32, n0, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b");
    aead_case(DT_CIPHER_AES256_GCM, z32, n0, "", z16, "cea7403d4d606b6e074ec5d3baf39d18",
              "d0d1c8a799996bf0265b98b5d48ab919");
}

static void aes_ccm(void **state)
{
    (void)state;
    static const char k[] = "404142434445464748494a4b4c4d4e4f";
    aead_case(DT_CIPHER_AES128_CCM, k, "10111213141516", "0001020304050607", "20212223", "7162015b", "4dac255d");
    aead_case(DT_CIPHER_AES128_CCM, k, "1011121314151617", "000102030405060708090a0b0c0d0e0f",
              "202122232425262728292a2b2c2d2e2f", "d2a1f0e051ea5f62081a7792073d593d", "1fc64fbfaccd");
    aead_case(DT_CIPHER_AES128_CCM, k, "101112131415161718191a1b", "000102030405060708090a0b0c0d0e0f10111213",
              "202122232425262728292a2b2c2d2e2f3031323334353637",
              "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5", "484392fbc1b09951");
    aead_case(DT_CIPHER_AES128_CCM, "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf", "00000003020100a0a1a2a3a4a5",
              "0001020304050607", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
              "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384", "17e8d12cfdf926e0");
    /* the lengths CCM takes: nonce 7..13, tag even 4..16 */
    uint8_t key[16] = { 0 }, nonce[13] = { 0 }, tag[16], data[4] = { 0 };
    dt_cipher c = { 0 };
    assert_int_equal(dt_cipher_open(&c, DT_CIPHER_AES128_CCM, key, 16), DT_CRYPTO_OK);
    assert_int_equal(dt_aead_encrypt(&c, nonce, 6, NULL, 0, data, 4, tag, 16), DT_CRYPTO_FAIL);
    assert_int_equal(dt_aead_encrypt(&c, nonce, 11, NULL, 0, data, 4, tag, 3), DT_CRYPTO_FAIL);
    assert_int_equal(dt_aead_encrypt(&c, nonce, 11, NULL, 0, data, 4, tag, 16), DT_CRYPTO_OK);
    assert_int_equal(dt_aead_decrypt(&c, nonce, 11, NULL, 0, data, 4, tag, 16), DT_CRYPTO_OK);
    dt_cipher_close(&c);
}

/* SMB3-shaped: 3000 bytes, 11-byte (CCM) or 12-byte (GCM) nonce, 16-byte
 * tag, 32 bytes of AAD (the transform header), or a 65300-byte AAD (CCM's
 * 6-byte AAD length encoding); answers from Python's cryptography. */
static void long_aead(dt_cipher_alg alg, size_t keylen, size_t noncelen, size_t aadlen, unsigned aad_m,
                      unsigned aad_a, const char *sha_want, const char *tag_want)
{
    uint8_t *key = pattern(keylen, keylen == 32 ? 5 : 3, keylen == 32 ? 1 : 9);
    uint8_t *nonce = pattern(noncelen, noncelen == 11 ? 11 : 13, noncelen == 11 ? 2 : 4);
    uint8_t *aad = pattern(aadlen, aad_m, aad_a), *data = pattern(3000, 7, 3), *plain = pattern(3000, 7, 3);
    uint8_t tag[16], digest[32];
    dt_cipher c = { 0 };
    assert_int_equal(dt_cipher_open(&c, alg, key, keylen), DT_CRYPTO_OK);
    assert_int_equal(dt_aead_encrypt(&c, nonce, noncelen, aad, aadlen, data, 3000, tag, 16), DT_CRYPTO_OK);
    sha256_of(data, 3000, digest);
    assert_hex(digest, 32, sha_want);
    assert_hex(tag, 16, tag_want);
    assert_int_equal(dt_aead_decrypt(&c, nonce, noncelen, aad, aadlen, data, 3000, tag, 16), DT_CRYPTO_OK);
    assert_memory_equal(data, plain, 3000);
    dt_cipher_close(&c);
    free(key), free(nonce), free(aad), free(data), free(plain);
}

static void aead_long(void **state)
{
    (void)state;
    long_aead(DT_CIPHER_AES256_CCM, 32, 11, 32, 17, 5,
              "e6afff6ce37348a28982a5eaacd1f24c4519d83d1843254dbac3a1c40e0bfa86", "79ded017be9c68475cb37c4f5503bf11");
    long_aead(DT_CIPHER_AES128_CCM, 16, 11, 65300, 19, 6,
              "34d06387a83bf90e5dc6cac610af27739ea72e8ffecdd2dd1431919f47ec60c4", "ac5969a7176f06eed10f9106b5906d4c");
    long_aead(DT_CIPHER_AES256_GCM, 32, 12, 32, 17, 5,
              "948a034d8c6b34d47de735c7e47992819ab4c9727691dd48e896b99d32a6066d", "ab996031665f201ba1b664c2e068486f");
}

static void cmac(void **state)
{
    (void)state;
    uint8_t key[16], msg[64], out[16];
    unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
    unhex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
          "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
          msg);
    assert_int_equal(dt_cmac_aes128(key, NULL, 0, out), DT_CRYPTO_OK);
    assert_hex(out, 16, "bb1d6929e95937287fa37d129b756746");
    dt_iov one = { msg, 16 };
    assert_int_equal(dt_cmac_aes128(key, &one, 1, out), DT_CRYPTO_OK);
    assert_hex(out, 16, "070a16b46b4d4144f79bdd9dd04a287c");
    /* 40 bytes, gathered across a block boundary */
    dt_iov forty[3] = { { msg, 10 }, { msg + 10, 0 }, { msg + 10, 30 } };
    assert_int_equal(dt_cmac_aes128(key, forty, 3, out), DT_CRYPTO_OK);
    assert_hex(out, 16, "dfa66747de9ae63030ca32611497c827");
    dt_iov all[2] = { { msg, 33 }, { msg + 33, 31 } };
    assert_int_equal(dt_cmac_aes128(key, all, 2, out), DT_CRYPTO_OK);
    assert_hex(out, 16, "51f0bebf7e3b9d92fc49741779363cfe");
    /* long: a whole last block (K1) and a padded one (K2) */
    uint8_t *k = pattern(16, 3, 9), *data = pattern(3000, 7, 3);
    dt_iov d3000[2] = { { data, 1500 }, { data + 1500, 1500 } };
    assert_int_equal(dt_cmac_aes128(k, d3000, 2, out), DT_CRYPTO_OK);
    assert_hex(out, 16, "05821c77a750dcd8c66e5c318933a2cc");
    dt_iov d2999 = { data, 2999 };
    assert_int_equal(dt_cmac_aes128(k, &d2999, 1, out), DT_CRYPTO_OK);
    assert_hex(out, 16, "1530f69cd588b0d7e26bacad82d9701a");
    free(k), free(data);
}

/* SP800-108 counter-mode KDF (crypto_common.c over the backend's HMAC):
 * 16 bytes are the first 16 of HMAC-SHA256(key, 1 || label || 0 || ctx || 128). */
static void kdf(void **state)
{
    (void)state;
    static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    static const char label[] = "SMBC2SCipherKey"; /* with its NUL, as SMB 3.1.1 passes it */
    uint8_t ctx[64], out[48], want[32];
    for (int i = 0; i < 64; i++)
        ctx[i] = (uint8_t)(0xA0 + i);
    assert_int_equal(dt_kdf_sp800_108(key, 16, label, sizeof label, ctx, 64, out, 16), DT_CRYPTO_OK);
    static const uint8_t one[4] = { 0, 0, 0, 1 }, zero = 0, bits128[4] = { 0, 0, 0, 128 };
    dt_iov iov[5] = { { one, 4 }, { label, sizeof label }, { &zero, 1 }, { ctx, 64 }, { bits128, 4 } };
    assert_int_equal(dt_hmac(DT_HASH_SHA256, key, 16, iov, 5, want), DT_CRYPTO_OK);
    assert_memory_equal(out, want, 16);
    /* 48 bytes: two rounds; the second starts with counter 2, L = 384 */
    assert_int_equal(dt_kdf_sp800_108(key, 16, label, sizeof label, ctx, 64, out, 48), DT_CRYPTO_OK);
    static const uint8_t two[4] = { 0, 0, 0, 2 }, bits384[4] = { 0, 0, 1, 128 };
    dt_iov iov2[5] = { { two, 4 }, { label, sizeof label }, { &zero, 1 }, { ctx, 64 }, { bits384, 4 } };
    assert_int_equal(dt_hmac(DT_HASH_SHA256, key, 16, iov2, 5, want), DT_CRYPTO_OK);
    assert_memory_equal(out + 32, want, 16);
}

static void misuse(void **state)
{
    (void)state;
    dt_cipher c = { 0 };
    uint8_t key[16] = { 0 }, buf[16] = { 0 }, iv[16] = { 0 }, tag[16];
    /* an operation of another mode on a context is refused */
    assert_int_equal(dt_cipher_open(&c, DT_CIPHER_AES128_CBC, key, 16), DT_CRYPTO_OK);
    assert_int_equal(dt_rc4(&c, buf, 16), DT_CRYPTO_FAIL);
    assert_int_equal(dt_aead_encrypt(&c, iv, 12, NULL, 0, buf, 16, tag, 16), DT_CRYPTO_FAIL);
    dt_cipher_close(&c);
    dt_cipher_close(&c);
    assert_int_equal(dt_cbc_encrypt(&c, iv, buf, buf, 16), DT_CRYPTO_FAIL);
    assert_true(dt_crypto_memeq("abc", "abc", 3));
    assert_false(dt_crypto_memeq("abc", "abd", 3));
    assert_true(dt_crypto_available());
    printf("backend: %s\n", dt_crypto_backend());
}

int main(void)
{
    if (!dt_crypto_available()) {
        printf("SKIP: built without a crypto backend (%s)\n", dt_crypto_backend());
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hashes),  cmocka_unit_test(hmacs),   cmocka_unit_test(incremental_reusable),
        cmocka_unit_test(rc4),     cmocka_unit_test(aes_cbc), cmocka_unit_test(aes_gcm),
        cmocka_unit_test(aes_ccm), cmocka_unit_test(aead_long), cmocka_unit_test(cmac),
        cmocka_unit_test(kdf),     cmocka_unit_test(misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
