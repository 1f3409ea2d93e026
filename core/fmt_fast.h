/* printf without stdio for the conversions summaries use nearly always
 * (%s %u %d %x %c %%, with l/ll/z/j/t/h/hh, a zero-padded width for
 * integers, %.*s). vsnprintf walks a FILE machine per call; this is a few
 * times cheaper, and byte-identical for what it accepts. */
#ifndef DIAGTAP_CORE_FMT_FAST_H
#define DIAGTAP_CORE_FMT_FAST_H

#include <stdarg.h>
#include <stddef.h>

/* Formats into out[cap] and returns the length (out NUL-terminated), or -1
 * when fmt has a conversion it does not know or the result does not fit:
 * then ap has been consumed in part, and the caller formats again from its
 * own copy with vsnprintf. */
int dt_fmt_fast(char *out, size_t cap, const char *fmt, va_list ap);

/* Copies at most cap - 1 bytes of s into out and NUL-terminates it, as
 * snprintf(out, cap, "%s", s) does. Returns the bytes copied. */
size_t dt_copy_trunc(char *out, size_t cap, const char *s);

#endif
