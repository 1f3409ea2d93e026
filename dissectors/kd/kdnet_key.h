/* KDNET keys: bcdedit's dotted form, and the --kdnet-key option list. */
#ifndef DIAGTAP_KDNET_KEY_H
#define DIAGTAP_KDNET_KEY_H

#include <stddef.h>
#include <stdint.h>

#define KDNET_KEY_LEN 32

typedef struct kdnet_key {
    uint8_t key[KDNET_KEY_LEN];
    uint16_t port; /* 0: any port */
} kdnet_key;

/* Parses "w.x.y.z": four base-36 numbers (case-insensitive), each written as
 * a 64-bit little-endian quarter of the key. Returns 0, or -1 when malformed. */
int kdnet_key_parse_dotted(const char *s, size_t n, uint8_t key[KDNET_KEY_LEN]);

/* Parses a list "KEY[;KEY...]" (';' or ',' separated), each item optionally
 * "PORT=KEY". Stores up to max keys; returns how many, or -1 with a message
 * naming the bad item in err. */
int kdnet_key_parse_list(const char *spec, kdnet_key *out, int max, char *err, size_t errsz);

#endif
