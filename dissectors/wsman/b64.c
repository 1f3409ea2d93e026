#include "b64.h"

#include "dissectors/common/base64.h"

void wsm_b64_init(wsm_b64 *d)
{
    d->acc = 0;
    d->n = 0;
    d->pad = 0;
    d->bad = 0;
    d->bad_at = 0;
    d->fed = 0;
}

static void bad(wsm_b64 *d, size_t i)
{
    if (!d->bad)
        d->bad_at = d->fed + i;
    d->bad++;
}

size_t wsm_b64_feed(wsm_b64 *d, const char *s, size_t len, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            /* flush what the padding completes: 2 sextets → 1 byte, 3 → 2 */
            if (!d->pad) {
                if (d->n == 2)
                    out[o++] = (uint8_t)(d->acc >> 4);
                else if (d->n == 3) {
                    out[o++] = (uint8_t)(d->acc >> 10);
                    out[o++] = (uint8_t)(d->acc >> 2);
                } else if (d->n != 0)
                    bad(d, i);
                d->n = 0;
                d->acc = 0;
            }
            d->pad = 1;
            continue;
        }
        int v = dt_b64_sextet(c);
        if (v < 0) {
            bad(d, i);
            continue;
        }
        if (d->pad) { /* a new quantum after padding: several base64 blocks concatenated */
            d->pad = 0;
        }
        d->acc = (d->acc << 6) | (uint32_t)v;
        if (++d->n == 4) {
            out[o++] = (uint8_t)(d->acc >> 16);
            out[o++] = (uint8_t)(d->acc >> 8);
            out[o++] = (uint8_t)d->acc;
            d->n = 0;
            d->acc = 0;
        }
    }
    d->fed += len;
    return o;
}

int wsm_b64_partial(const wsm_b64 *d) { return d->n != 0; }
