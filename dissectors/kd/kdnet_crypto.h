/* KDNET packet protection: AES-256-CBC with the trailing 16 bytes as IV,
 * and those bytes as the first half of HMAC-SHA256(key ^ 0xFF, header ||
 * plaintext). Implemented over diagtap's crypto layer (crypto/dt_crypto.h),
 * which reports everything unsupported when built without a backend. */
#ifndef DIAGTAP_KDNET_CRYPTO_H
#define DIAGTAP_KDNET_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/dt_crypto.h"
#include "kdnet_key.h"

#define KDNET_MAC_LEN 16
#define KDNET_HEADER_LEN 6

/* Open cipher and MAC contexts of one key; kept per conversation. */
typedef struct kdnet_keyctx {
    dt_cipher aes;
    dt_hash_ctx mac; /* closed for the data-channel key: its MAC uses the configured key */
} kdnet_keyctx;

bool kdnet_crypto_available(void);

/* with_mac: also prepare HMAC-SHA256 with key ^ 0xFF. Returns false on failure. */
bool kdnet_keyctx_open(kdnet_keyctx *k, const uint8_t key[KDNET_KEY_LEN], bool with_mac);
void kdnet_keyctx_close(kdnet_keyctx *k);

/* Decrypts n bytes (a multiple of 16) of ct into out with the given IV. */
bool kdnet_decrypt(kdnet_keyctx *k, const uint8_t iv[16], const uint8_t *ct, size_t n, uint8_t *out);

/* Whether the first 16 bytes of HMAC-SHA256(hdr || pt) equal mac. */
bool kdnet_mac_ok(kdnet_keyctx *mk, const uint8_t hdr[KDNET_HEADER_LEN], const uint8_t *pt, size_t n,
                  const uint8_t mac[KDNET_MAC_LEN]);

/* SHA-256(key || material): the data-channel key. */
bool kdnet_derive_data_key(const uint8_t key[KDNET_KEY_LEN], const uint8_t *material, size_t n,
                           uint8_t out[KDNET_KEY_LEN]);

#endif
