#include "fmt_fast.h"

#include "diagtap/dissector.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

size_t dt_copy_trunc(char *out, size_t cap, const char *s)
{
    if (!cap)
        return 0;
    size_t n = strnlen(s, cap - 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

/* digits of v into the end of tmp; returns the first. One function per
 * base: with the base a constant, dividing is a multiply (or a shift), not
 * the CPU's divide, which takes tens of cycles per digit. */
static char *utoa10(char *end, uintmax_t v)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

static char *utoa16(char *end, uintmax_t v, const char *digits)
{
    char *p = end;
    do {
        *--p = digits[v & 15];
        v >>= 4;
    } while (v);
    return p;
}

int dt_fmt_fast(char *out, size_t cap, const char *fmt, va_list ap)
{
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    size_t o = 0;
    if (!cap)
        return -1;
    for (const char *f = fmt;;) {
        /* the literal up to the next '%', copied as it is scanned: literals
         * are a few bytes, where strchr + memcpy calls cost more */
        size_t room = cap - o, lit = 0;
        for (; f[lit] && f[lit] != '%'; lit++) {
            if (lit >= room)
                return -1;
            out[o + lit] = f[lit];
        }
        if (lit >= room) /* room for the NUL too */
            return -1;
        o += lit;
        if (!f[lit])
            break;
        f += lit + 1;
        bool zero = false;
        size_t width = 0;
        int prec = -1; /* only %.*s */
        bool has_prec = false;
        if (*f == '0') {
            zero = true;
            f++;
        }
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (size_t)(*f++ - '0');
        if (width > 64)
            return -1;
        if (f[0] == '.' && f[1] == '*') {
            prec = va_arg(ap, int);
            has_prec = true;
            f += 2;
        }
        enum { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_MAX, L_PTRDIFF } len = L_INT;
        switch (*f) {
        case 'h':
            len = f[1] == 'h' ? L_CHAR : L_SHORT;
            f += f[1] == 'h' ? 2 : 1;
            break;
        case 'l':
            len = f[1] == 'l' ? L_LLONG : L_LONG;
            f += f[1] == 'l' ? 2 : 1;
            break;
        case 'z': len = L_SIZE; f++; break;
        case 'j': len = L_MAX; f++; break;
        case 't': len = L_PTRDIFF; f++; break;
        default: break;
        }
        char conv = *f++;
        if (conv != 's' && has_prec)
            return -1;
        char tmp[72];
        const char *s;
        size_t n;
        bool neg = false;
        switch (conv) {
        case '%':
            if (zero || width || len != L_INT)
                return -1;
            tmp[0] = '%';
            s = tmp;
            n = 1;
            break;
        case 'c':
            if (zero || width || len != L_INT)
                return -1;
            tmp[0] = (char)va_arg(ap, int);
            if (!tmp[0])
                return -1; /* the result's strlen must be its length */
            s = tmp;
            n = 1;
            break;
        case 's':
            if (zero || width || len != L_INT)
                return -1;
            s = va_arg(ap, const char *);
            if (!s)
                return -1; /* "(null)" is the C library's to spell */
            n = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
            break;
        case 'd':
        case 'i': {
            intmax_t v;
            switch (len) {
            case L_CHAR: v = (signed char)va_arg(ap, int); break;
            case L_SHORT: v = (short)va_arg(ap, int); break;
            case L_LONG: v = va_arg(ap, long); break;
            case L_LLONG: v = va_arg(ap, long long); break;
            case L_SIZE: v = va_arg(ap, ptrdiff_t); break; /* the signed size_t */
            case L_MAX: v = va_arg(ap, intmax_t); break;
            case L_PTRDIFF: v = va_arg(ap, ptrdiff_t); break;
            default: v = va_arg(ap, int); break;
            }
            neg = v < 0;
            s = utoa10(tmp + sizeof tmp, neg ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v);
            n = (size_t)(tmp + sizeof tmp - s);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uintmax_t v;
            switch (len) {
            case L_CHAR: v = (unsigned char)va_arg(ap, unsigned); break;
            case L_SHORT: v = (unsigned short)va_arg(ap, unsigned); break;
            case L_LONG: v = va_arg(ap, unsigned long); break;
            case L_LLONG: v = va_arg(ap, unsigned long long); break;
            case L_SIZE: v = va_arg(ap, size_t); break;
            case L_MAX: v = va_arg(ap, uintmax_t); break;
            case L_PTRDIFF: v = (uintmax_t)va_arg(ap, ptrdiff_t); break;
            default: v = va_arg(ap, unsigned); break;
            }
            s = conv == 'u' ? utoa10(tmp + sizeof tmp, v) : utoa16(tmp + sizeof tmp, v, conv == 'X' ? upper : lower);
            n = (size_t)(tmp + sizeof tmp - s);
            break;
        }
        default:
            return -1; /* floats, pointers, flags and the rest: vsnprintf's */
        }
        /* a width pads integers: with zeros after the sign, or spaces before it */
        size_t body = n + neg, pad = width > body ? width - body : 0;
        if (body + pad >= cap - o)
            return -1;
        if (!zero)
            for (; pad; pad--)
                out[o++] = ' ';
        if (neg)
            out[o++] = '-';
        for (; pad; pad--)
            out[o++] = '0';
        memcpy(out + o, s, n);
        o += n;
    }
    out[o] = '\0';
    return (int)o;
}

int dt_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = dt_fmt_fast(out, cap, fmt, ap2);
    va_end(ap2);
    /* refused (a conversion it does not know, or the result does not fit):
     * the C library formats it again, truncating as snprintf does */
    return n >= 0 ? n : vsnprintf(out, cap, fmt, ap);
}

int dt_snprintf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = dt_vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n;
}
