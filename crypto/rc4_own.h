/* RC4, diagtap's own (crypto_bcrypt.c): Windows CNG has an RC4 provider but
 * wine 8's bcrypt does not, and one implementation that the Windows tests
 * run under wine is better than a CNG path they never reach. Written from
 * the published description of the algorithm (key scheduling, then the
 * pseudo-random generation that swaps one pair per output byte). */
#ifndef DIAGTAP_RC4_OWN_H
#define DIAGTAP_RC4_OWN_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_rc4_own {
    uint8_t s[256];
    uint8_t i, j; /* where the key stream stands: carried from call to call */
} dt_rc4_own;

/* keylen 1..256. */
void dt_rc4_own_init(dt_rc4_own *st, const uint8_t *key, size_t keylen);
/* XORs the next n key stream bytes into data. */
void dt_rc4_own_crypt(dt_rc4_own *st, uint8_t *data, size_t n);
void dt_rc4_own_wipe(dt_rc4_own *st);

#endif
