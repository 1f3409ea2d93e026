/* diagtap's one crypto layer: the primitives its dissectors need to check and
 * remove the protection of captured traffic (KDNET, NTLM session security,
 * SMB3 encryption). Nothing here generates keys or random numbers.
 *
 * One header, one backend per build:
 *   crypto_gcrypt.c  libgcrypt (meson feature `gcrypt`; Linux, macOS)
 *   crypto_bcrypt.c  Windows CNG (the mingw build), with diagtap's own RC4
 *                    (rc4_own.c), AES-CCM and AES-CMAC (aes_modes_own.c)
 *   crypto_none.c    neither: every call returns DT_CRYPTO_UNSUPPORTED, so
 *                    dissectors show protected data as protected.
 * crypto_common.c (backend independent) adds the SP800-108 KDF and a
 * constant-time compare on top of the primitives.
 *
 * Contexts (dt_hash_ctx, dt_cipher) are opened once per key — per
 * conversation or session, not per packet — and must be closed. They are
 * plain structs so callers embed them in fixed-size per-conversation state;
 * `h` is the backend's handle. A zeroed context is "closed"; closing twice is
 * harmless.
 *
 * Every int-returning call gives DT_CRYPTO_OK (0) or a negative dt_crypto_rc.
 * No global mutable state beyond what the backend library keeps itself
 * (libgcrypt's one-time initialisation, done on first use unless the host
 * program, e.g. Wireshark, already did it). */
#ifndef DIAGTAP_CRYPTO_H
#define DIAGTAP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum dt_crypto_rc {
    DT_CRYPTO_OK = 0,
    DT_CRYPTO_UNSUPPORTED = -1, /* no backend, or this algorithm is missing from it */
    DT_CRYPTO_FAIL = -2,        /* bad argument (key or IV length) or backend error */
    DT_CRYPTO_BADTAG = -3,      /* AEAD decryption: the tag does not verify */
} dt_crypto_rc;

/* Whether a real backend is compiled in, and its name ("libgcrypt 1.10.1",
 * "bcrypt", "none") for `diagtap version` and error messages. */
bool dt_crypto_available(void);
const char *dt_crypto_backend(void);
/* A short text for an rc: "not supported (diagtap built without libgcrypt)", … */
const char *dt_crypto_strerror(int rc);

/* ---- Hashes and HMACs. */
typedef enum dt_hash_alg {
    DT_HASH_MD4,    /* NTLM: NT hash of the password */
    DT_HASH_MD5,    /* NTLM: HMAC-MD5 (NTOWFv2, NTProofStr, signatures), key derivation */
    DT_HASH_SHA256, /* KDNET, SP800-108 KDF (HMAC-SHA256) */
    DT_HASH_SHA512, /* SMB 3.1.1 preauthentication integrity hash */
} dt_hash_alg;

#define DT_HASH_MAX_LEN 64

/* Output length of alg in bytes (16, 16, 32, 64). */
size_t dt_hash_len(dt_hash_alg alg);

/* A buffer of a gathered input. */
typedef struct dt_iov {
    const void *p;
    size_t n;
} dt_iov;

/* One-shot hash of the concatenation of n buffers; out holds dt_hash_len(alg). */
int dt_hash(dt_hash_alg alg, const dt_iov *iov, size_t n, uint8_t *out);

/* One-shot HMAC with key (any length) over the concatenation of n buffers. */
int dt_hmac(dt_hash_alg alg, const uint8_t *key, size_t keylen, const dt_iov *iov, size_t n, uint8_t *out);

/* Incremental hash or HMAC, reusable: open once, then write… final, write…
 * final (final resets the context to its keyed initial state). */
typedef struct dt_hash_ctx {
    void *h;
    dt_hash_alg alg;
} dt_hash_ctx;

/* key NULL: a plain hash; otherwise an HMAC with that key. */
int dt_hash_open(dt_hash_ctx *c, dt_hash_alg alg, const uint8_t *key, size_t keylen);
int dt_hash_write(dt_hash_ctx *c, const void *data, size_t n);
int dt_hash_final(dt_hash_ctx *c, uint8_t *out);
void dt_hash_close(dt_hash_ctx *c);

/* ---- Ciphers. */
typedef enum dt_cipher_alg {
    DT_CIPHER_RC4,        /* NTLM sealing: a stream, its state carries over between calls */
    DT_CIPHER_AES128_CBC, /* no padding; lengths are multiples of 16 */
    DT_CIPHER_AES256_CBC, /* KDNET */
    DT_CIPHER_AES128_CCM, /* SMB 3.0/3.0.2/3.1.1: 11-byte nonce, 16-byte tag */
    DT_CIPHER_AES256_CCM, /* SMB 3.1.1 */
    DT_CIPHER_AES128_GCM, /* SMB 3.1.1: 12-byte nonce, 16-byte tag */
    DT_CIPHER_AES256_GCM, /* SMB 3.1.1 */
} dt_cipher_alg;

typedef struct dt_cipher {
    void *h;
    dt_cipher_alg alg;
} dt_cipher;

/* Key length must fit alg (RC4: 1..256 bytes; AES: 16 or 32 as named). */
int dt_cipher_open(dt_cipher *c, dt_cipher_alg alg, const uint8_t *key, size_t keylen);
void dt_cipher_close(dt_cipher *c);

/* RC4: transforms n bytes in place (encryption and decryption are the same
 * operation), continuing the key stream where the last call stopped. */
int dt_rc4(dt_cipher *c, uint8_t *data, size_t n);

/* AES-CBC without padding, n a multiple of 16. in and out may be the same. */
int dt_cbc_decrypt(dt_cipher *c, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t n);
int dt_cbc_encrypt(dt_cipher *c, const uint8_t iv[16], const uint8_t *in, uint8_t *out, size_t n);

/* AEAD (CCM, GCM), in place. Decrypt checks the tag and returns
 * DT_CRYPTO_BADTAG when it does not match (the data is then unspecified: do
 * not show it). Encrypt writes the tag (used by tests and fuzz seeds). */
int dt_aead_decrypt(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                    uint8_t *data, size_t n, const uint8_t *tag, size_t taglen);
int dt_aead_encrypt(dt_cipher *c, const uint8_t *nonce, size_t noncelen, const uint8_t *aad, size_t aadlen,
                    uint8_t *data, size_t n, uint8_t *tag, size_t taglen);

/* AES-CMAC (SMB 3.0 signing) with a 16-byte key; out 16 bytes. */
int dt_cmac_aes128(const uint8_t key[16], const dt_iov *iov, size_t n, uint8_t out[16]);

/* ---- Backend independent (crypto_common.c). */

/* NIST SP800-108 KDF in counter mode with HMAC-SHA256, r=32, L=outlen*8:
 * out = HMAC(key, i || label || 0x00 || context || L) for i = 1, 2, …
 * (SMB3 key derivation, MS-SMB2 3.1.4.2). label and context are passed with
 * their lengths: SMB3's labels include their terminating NUL. */
int dt_kdf_sp800_108(const uint8_t *key, size_t keylen, const void *label, size_t labellen, const void *context,
                     size_t contextlen, uint8_t *out, size_t outlen);

/* Constant-time comparison of two n-byte buffers. */
bool dt_crypto_memeq(const void *a, const void *b, size_t n);

#endif
