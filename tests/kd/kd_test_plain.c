/* Plaintexts of the capture with libgcrypt directly: input preparation for
 * the serial and fuzz tests (the oracle for contents is kdoracle.py). */
#include "kd_test_util.h"

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/kd/kdnet_key.h"

static int aes_cbc_decrypt(const uint8_t key[32], const uint8_t *in, size_t n, const uint8_t iv[16], uint8_t *out)
{
    gcry_cipher_hd_t h;
    if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0))
        return -1;
    int rc = gcry_cipher_setkey(h, key, 32) || gcry_cipher_setiv(h, iv, 16) || gcry_cipher_decrypt(h, out, n, in, n);
    gcry_cipher_close(h);
    return rc ? -1 : 0;
}

int kdt_decrypt_all(const kdt_capture *cap, const char *dotted, kdt_plain *out, uint8_t dk[32])
{
    uint8_t key[32];
    bool have_dk = false;
    if (!gcry_check_version(NULL) || kdnet_key_parse_dotted(dotted, strlen(dotted), key) < 0)
        return -1;
    for (size_t i = 0; i < cap->n; i++) {
        const kdt_packet *p = &cap->p[i];
        kdt_plain *o = &out[i];
        memset(o, 0, sizeof *o);
        if (p->len < 6 + 16 + 16)
            continue;
        size_t n = p->len - 22;
        uint8_t *pt = malloc(n);
        o->channel = p->data[5];
        if ((o->channel == 0 && !have_dk) ||
            aes_cbc_decrypt(o->channel ? key : dk, p->data + 6, n, p->data + 6 + n, pt) < 0) {
            free(pt);
            continue;
        }
        o->from_host = pt[7] & 0x80;
        if (o->channel == 1 && pt[7] == 0x86 && n >= 330) {
            uint8_t m[32 + 322];
            memcpy(m, key, 32);
            memcpy(m + 32, pt + 8, 322);
            gcry_md_hash_buffer(GCRY_MD_SHA256, dk, m, sizeof m);
            have_dk = true;
        }
        size_t pad = pt[7] & 0x7f;
        if (o->channel == 0 && n >= 8 + pad + 16 && (pt[8] == 0x30 || pt[8] == 0x69)) {
            size_t body = n - 8 - pad;
            size_t count = (size_t)(pt[8 + 6] | (pt[8 + 7] << 8));
            o->kd_len = 16 + count <= body ? 16 + count : body;
            o->kd = malloc(o->kd_len);
            memcpy(o->kd, pt + 8, o->kd_len);
        }
        free(pt);
    }
    return have_dk ? 0 : -1;
}

void kdt_free_plain(kdt_plain *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].kd);
}

