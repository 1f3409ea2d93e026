/* KDNET packet protection over diagtap's crypto layer (crypto/dt_crypto.h). */
#include <string.h>

#include "crypto/dt_crypto.h"
#include "kdnet_crypto.h"

bool kdnet_crypto_available(void) { return dt_crypto_available(); }

bool kdnet_keyctx_open(kdnet_keyctx *k, const uint8_t key[KDNET_KEY_LEN], bool with_mac)
{
    memset(k, 0, sizeof *k);
    if (dt_cipher_open(&k->aes, DT_CIPHER_AES256_CBC, key, KDNET_KEY_LEN) != DT_CRYPTO_OK)
        return false;
    if (with_mac) {
        uint8_t mk[KDNET_KEY_LEN];
        for (size_t i = 0; i < KDNET_KEY_LEN; i++)
            mk[i] = key[i] ^ 0xFF;
        if (dt_hash_open(&k->mac, DT_HASH_SHA256, mk, sizeof mk) != DT_CRYPTO_OK) {
            kdnet_keyctx_close(k);
            return false;
        }
    }
    return true;
}

void kdnet_keyctx_close(kdnet_keyctx *k)
{
    dt_cipher_close(&k->aes);
    dt_hash_close(&k->mac);
}

bool kdnet_decrypt(kdnet_keyctx *k, const uint8_t iv[16], const uint8_t *ct, size_t n, uint8_t *out)
{
    return dt_cbc_decrypt(&k->aes, iv, ct, out, n) == DT_CRYPTO_OK;
}

bool kdnet_mac_ok(kdnet_keyctx *mk, const uint8_t hdr[KDNET_HEADER_LEN], const uint8_t *pt, size_t n,
                  const uint8_t mac[KDNET_MAC_LEN])
{
    uint8_t d[32];
    if (dt_hash_write(&mk->mac, hdr, KDNET_HEADER_LEN) || dt_hash_write(&mk->mac, pt, n) ||
        dt_hash_final(&mk->mac, d))
        return false;
    return dt_crypto_memeq(d, mac, KDNET_MAC_LEN);
}

bool kdnet_derive_data_key(const uint8_t key[KDNET_KEY_LEN], const uint8_t *material, size_t n,
                           uint8_t out[KDNET_KEY_LEN])
{
    dt_iov iov[2] = { { key, KDNET_KEY_LEN }, { material, n } };
    return dt_hash(DT_HASH_SHA256, iov, 2, out) == DT_CRYPTO_OK;
}
