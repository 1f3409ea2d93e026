/* Parsing of KDNET keys as bcdedit prints them ("1.2.3.4" style). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kdnet_key.h"

static int base36(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A' + 10;
    return -1;
}

int kdnet_key_parse_dotted(const char *s, size_t n, uint8_t key[KDNET_KEY_LEN])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        uint64_t v = 0;
        size_t digits = 0;
        for (; i < n && s[i] != '.'; i++, digits++) {
            int d = base36(s[i]);
            if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / 36)
                return -1; /* not base 36, or more than 64 bits */
            v = v * 36 + (uint64_t)d;
        }
        if (digits == 0)
            return -1;
        for (int b = 0; b < 8; b++)
            key[part * 8 + b] = (uint8_t)(v >> (8 * b));
        if (part < 3) {
            if (i >= n || s[i] != '.')
                return -1;
            i++;
        }
    }
    return i == n ? 0 : -1;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int kdnet_key_parse_list(const char *spec, kdnet_key *out, int max, char *err, size_t errsz)
{
    int count = 0;
    const char *p = spec ? spec : "";
    while (*p) {
        size_t len = strcspn(p, ";,");
        const char *item = p, *end = p + len;
        p = *end ? end + 1 : end;
        while (item < end && is_space(*item))
            item++;
        while (end > item && is_space(end[-1]))
            end--;
        if (item == end)
            continue;
        uint16_t port = 0;
        const char *eq = memchr(item, '=', (size_t)(end - item));
        if (eq) {
            unsigned long v = 0;
            const char *q = item;
            for (; q < eq && *q >= '0' && *q <= '9' && v <= 65535; q++)
                v = v * 10 + (unsigned long)(*q - '0');
            if (q != eq || q == item || v == 0 || v > 65535) {
                snprintf(err, errsz, "bad port in KDNET key \"%.*s\" (expected PORT=w.x.y.z)", (int)(end - item), item);
                return -1;
            }
            port = (uint16_t)v;
            item = eq + 1;
        }
        if (count >= max) {
            snprintf(err, errsz, "too many KDNET keys (at most %d)", max);
            return -1;
        }
        if (kdnet_key_parse_dotted(item, (size_t)(end - item), out[count].key) < 0) {
            /* the key itself is a secret: say which one by position only */
            snprintf(err, errsz, "bad KDNET key #%d (expected w.x.y.z: four base-36 numbers)", count + 1);
            return -1;
        }
        out[count].port = port;
        count++;
    }
    return count;
}
