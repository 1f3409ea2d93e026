/* The base64 alphabet (RFC 4648), once for every dissector that decodes it:
 * HTTP's Authorization tokens (one shot) and WS-Man streams (in pieces). */
#ifndef DIAGTAP_DISSECTORS_COMMON_BASE64_H
#define DIAGTAP_DISSECTORS_COMMON_BASE64_H

/* The 6-bit value of a base64 character, or -1 outside the alphabet. */
static inline int dt_b64_sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

#endif
