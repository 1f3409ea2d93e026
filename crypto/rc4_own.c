/* RC4 (see rc4_own.h for why it is ours on Windows). */
#include "rc4_own.h"

void dt_rc4_own_init(dt_rc4_own *st, const uint8_t *key, size_t keylen)
{
    for (int k = 0; k < 256; k++)
        st->s[k] = (uint8_t)k;
    uint8_t j = 0;
    for (int k = 0; k < 256; k++) {
        j = (uint8_t)(j + st->s[k] + key[(size_t)k % keylen]);
        uint8_t t = st->s[k];
        st->s[k] = st->s[j];
        st->s[j] = t;
    }
    st->i = st->j = 0;
}

void dt_rc4_own_crypt(dt_rc4_own *st, uint8_t *data, size_t n)
{
    uint8_t i = st->i, j = st->j;
    for (size_t k = 0; k < n; k++) {
        i = (uint8_t)(i + 1);
        j = (uint8_t)(j + st->s[i]);
        uint8_t t = st->s[i];
        st->s[i] = st->s[j];
        st->s[j] = t;
        data[k] ^= st->s[(uint8_t)(st->s[i] + st->s[j])];
    }
    st->i = i, st->j = j;
}

void dt_rc4_own_wipe(dt_rc4_own *st)
{
    volatile uint8_t *p = (volatile uint8_t *)st;
    for (size_t k = 0; k < sizeof *st; k++)
        p[k] = 0;
}
