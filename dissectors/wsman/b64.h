/* Streaming base64 decoding for WS-Man streams and creationXml: character
 * data arrives from expat in pieces of any size, so the decoder keeps up to
 * three pending sextets between calls. Whitespace is skipped; anything else
 * outside the alphabet is counted as an error (the caller says so in a note)
 * and skipped, so the rest still decodes. */
#ifndef DIAGTAP_WSMAN_B64_H
#define DIAGTAP_WSMAN_B64_H

#include <stddef.h>
#include <stdint.h>

typedef struct wsm_b64 {
    uint32_t acc;      /* pending bits */
    int n;             /* sextets in acc (0..3) */
    int pad;           /* '=' seen: data after it is an error */
    size_t bad;        /* invalid characters skipped */
    size_t bad_at;     /* index (in characters fed) of the first one */
    size_t fed;        /* characters fed so far */
} wsm_b64;

void wsm_b64_init(wsm_b64 *d);
/* Decodes len characters into out (room for at least len*3/4+3 bytes);
 * returns the bytes written. */
size_t wsm_b64_feed(wsm_b64 *d, const char *s, size_t len, uint8_t *out);
/* True when the input ended on a partial quantum (a truncated stream). */
int wsm_b64_partial(const wsm_b64 *d);

#endif
