/* Field values and times as text: one formatter shared by the text and JSON
 * sinks and by --grep, so that all three agree on what a value looks like. */
#ifndef DIAGTAP_SINKS_FORMAT_H
#define DIAGTAP_SINKS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "diagtap/fields.h"

/* The functions below write NUL-terminated text into buf (when bufsz > 0)
 * and return the length the whole text has, like snprintf: a result >= bufsz
 * means the text was cut. */

/* The value of f as a person reads it: "STATUS_ACCESS_DENIED (0xc0000022)",
 * "0x0001", "True", a GUID, an address, an RFC 3339 time, hex for bytes.
 * STRING values are copied as they are (callers that print to a terminal
 * sanitise them). DT_FT_NONE gives "". */
size_t dt_fmt_value(const dt_field *f, char *buf, size_t bufsz);

/* An integer in a field's display base, without value names: "42",
 * "0x0000002a" (width from the type), "42 (0x0000002a)". */
size_t dt_fmt_int(uint64_t v, dt_ftype type, dt_fbase base, char *buf, size_t bufsz);

/* A duration for people, three significant digits: "850 ns", "12.5 µs",
 * "0.3 ms", "150 ms", "1.24 s", "2 m 03 s", "2 h 03 m". */
size_t dt_fmt_duration(uint64_t ns, char *buf, size_t bufsz);

/* "2026-11-21T10:38:12.123456789Z" (UTC). */
size_t dt_fmt_rfc3339(uint64_t ns, char *buf, size_t bufsz);

/* Lowercase hex without separators. */
size_t dt_fmt_hex(const uint8_t *b, size_t len, char *buf, size_t bufsz);

size_t dt_fmt_ipv4(uint32_t ip_be, char *buf, size_t bufsz);
/* RFC 5952: lowercase, the longest run of zero groups as "::". */
size_t dt_fmt_ipv6(const uint8_t ip[16], char *buf, size_t bufsz);

/* UTC calendar fields of a Unix time in seconds (proleptic Gregorian). */
typedef struct dt_civil {
    int year, month, day, hour, min, sec;
} dt_civil;
void dt_civil_from_unix(int64_t secs, dt_civil *out);

/* Decodes the UTF-8 sequence at p. Returns the code point, or -1 when the
 * bytes do not start a well-formed sequence; *n receives the bytes consumed:
 * the whole sequence, or the maximal invalid subpart (at least 1 byte), which
 * is the Unicode-recommended unit for one U+FFFD replacement. */
int32_t dt_utf8_next(const uint8_t *p, size_t len, size_t *n);

#endif
