/* KDNET packet protection over libgcrypt. */
#include <gcrypt.h>
#include <string.h>

#include "kdnet_crypto.h"

/* libgcrypt must be initialised once before use; leave it alone when the
 * host program (Wireshark) already did. */
static bool gcrypt_ready(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        if (!gcry_check_version(GCRYPT_VERSION))
            return false;
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    return true;
}

bool kdnet_crypto_available(void) { return true; }

bool kdnet_keyctx_open(kdnet_keyctx *k, const uint8_t key[KDNET_KEY_LEN], bool with_mac)
{
    k->aes = k->mac = NULL;
    if (!gcrypt_ready())
        return false;
    gcry_cipher_hd_t aes;
    if (gcry_cipher_open(&aes, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0))
        return false;
    if (gcry_cipher_setkey(aes, key, KDNET_KEY_LEN)) {
        gcry_cipher_close(aes);
        return false;
    }
    k->aes = aes;
    if (with_mac) {
        uint8_t mk[KDNET_KEY_LEN];
        for (size_t i = 0; i < KDNET_KEY_LEN; i++)
            mk[i] = key[i] ^ 0xFF;
        gcry_md_hd_t mac;
        if (gcry_md_open(&mac, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) || gcry_md_setkey(mac, mk, sizeof mk)) {
            kdnet_keyctx_close(k);
            return false;
        }
        k->mac = mac;
    }
    return true;
}

void kdnet_keyctx_close(kdnet_keyctx *k)
{
    if (k->aes)
        gcry_cipher_close((gcry_cipher_hd_t)k->aes);
    if (k->mac)
        gcry_md_close((gcry_md_hd_t)k->mac);
    k->aes = k->mac = NULL;
}

bool kdnet_decrypt(kdnet_keyctx *k, const uint8_t iv[16], const uint8_t *ct, size_t n, uint8_t *out)
{
    gcry_cipher_hd_t h = (gcry_cipher_hd_t)k->aes;
    if (!h || n % 16)
        return false;
    if (gcry_cipher_setiv(h, iv, 16))
        return false;
    return gcry_cipher_decrypt(h, out, n, ct, n) == 0;
}

bool kdnet_mac_ok(kdnet_keyctx *mk, const uint8_t hdr[KDNET_HEADER_LEN], const uint8_t *pt, size_t n,
                  const uint8_t mac[KDNET_MAC_LEN])
{
    gcry_md_hd_t h = (gcry_md_hd_t)mk->mac;
    if (!h)
        return false;
    gcry_md_reset(h);
    gcry_md_write(h, hdr, KDNET_HEADER_LEN);
    gcry_md_write(h, pt, n);
    const unsigned char *d = gcry_md_read(h, GCRY_MD_SHA256);
    if (!d)
        return false;
    unsigned diff = 0;
    for (size_t i = 0; i < KDNET_MAC_LEN; i++)
        diff |= (unsigned)(d[i] ^ mac[i]);
    return diff == 0;
}

bool kdnet_derive_data_key(const uint8_t key[KDNET_KEY_LEN], const uint8_t *material, size_t n,
                           uint8_t out[KDNET_KEY_LEN])
{
    if (!gcrypt_ready())
        return false;
    gcry_buffer_t iov[2];
    memset(iov, 0, sizeof iov);
    iov[0].data = (void *)key;
    iov[0].len = KDNET_KEY_LEN;
    iov[1].data = (void *)material;
    iov[1].len = n;
    return gcry_md_hash_buffers(GCRY_MD_SHA256, 0, out, iov, 2) == 0;
}
