/* Standard base64 (RFC 4648), as in Authorization headers. Whitespace is
 * skipped; padding is optional. */
#include "http_int.h"

#include "dissectors/common/base64.h"

long http_b64_decode(const uint8_t *in, size_t inlen, uint8_t *out, size_t outsz)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    dt_cursor c = dt_cursor_make(in, inlen);
    while (!dt_cur_eof(&c)) {
        uint8_t ch = dt_cur_u8(&c);
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
            continue;
        if (ch == '=')
            break;
        int v = dt_b64_sextet(ch);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= outsz)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}
