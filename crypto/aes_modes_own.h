/* AES-CCM and AES-CMAC, diagtap's own, on top of a backend's AES-ECB and
 * AES-CBC (crypto_bcrypt.c: Windows CNG). CNG has both modes
 * (BCRYPT_CHAIN_MODE_CCM, BCRYPT_AES_CMAC_ALGORITHM) on current Windows, but
 * wine 8's bcrypt has neither, and one implementation that the Windows tests
 * run under wine is better than a CNG path they never reach. Written from
 * NIST SP 800-38C / RFC 3610 (CCM) and RFC 4493 (CMAC). */
#ifndef DIAGTAP_AES_MODES_OWN_H
#define DIAGTAP_AES_MODES_OWN_H

#include <stddef.h>
#include <stdint.h>

#include "dt_crypto.h"

/* The block cipher, one key, two modes; both return a dt_crypto_rc and take
 * n a multiple of 16 (in and out may be the same). cbc encrypts with chain
 * as the IV and leaves the last ciphertext block in chain. */
typedef struct dt_aes_ops {
    void *k;
    int (*ecb)(void *k, const uint8_t *in, uint8_t *out, size_t n);
    int (*cbc)(void *k, uint8_t chain[16], const uint8_t *in, uint8_t *out, size_t n);
} dt_aes_ops;

/* CCM in place: nonce 7..13 bytes, tag 4..16 bytes and even (SMB3: 11, 16).
 * Decrypt returns DT_CRYPTO_BADTAG when the tag does not verify. */
int dt_ccm_own_encrypt(const dt_aes_ops *ops, const uint8_t *nonce, size_t noncelen, const uint8_t *aad,
                       size_t aadlen, uint8_t *data, size_t n, uint8_t *tag, size_t taglen);
int dt_ccm_own_decrypt(const dt_aes_ops *ops, const uint8_t *nonce, size_t noncelen, const uint8_t *aad,
                       size_t aadlen, uint8_t *data, size_t n, const uint8_t *tag, size_t taglen);

/* CMAC of the concatenation of n buffers; out 16 bytes. */
int dt_cmac_own(const dt_aes_ops *ops, const dt_iov *iov, size_t n, uint8_t out[16]);

#endif
