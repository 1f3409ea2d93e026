/* KDNET without libgcrypt: headers are shown, payloads stay encrypted. */
#include "kdnet_crypto.h"

bool kdnet_crypto_available(void) { return false; }

bool kdnet_keyctx_open(kdnet_keyctx *k, const uint8_t key[KDNET_KEY_LEN], bool with_mac)
{
    (void)key;
    (void)with_mac;
    k->aes = k->mac = NULL;
    return false;
}

void kdnet_keyctx_close(kdnet_keyctx *k) { k->aes = k->mac = NULL; }

bool kdnet_decrypt(kdnet_keyctx *k, const uint8_t iv[16], const uint8_t *ct, size_t n, uint8_t *out)
{
    (void)k, (void)iv, (void)ct, (void)n, (void)out;
    return false;
}

bool kdnet_mac_ok(kdnet_keyctx *mk, const uint8_t hdr[KDNET_HEADER_LEN], const uint8_t *pt, size_t n,
                  const uint8_t mac[KDNET_MAC_LEN])
{
    (void)mk, (void)hdr, (void)pt, (void)n, (void)mac;
    return false;
}

bool kdnet_derive_data_key(const uint8_t key[KDNET_KEY_LEN], const uint8_t *material, size_t n,
                           uint8_t out[KDNET_KEY_LEN])
{
    (void)key, (void)material, (void)n, (void)out;
    return false;
}
