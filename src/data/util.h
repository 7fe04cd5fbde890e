/* Small helpers shared by the data module's sources (not a public API). */
#ifndef DS_UTIL_H
#define DS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dsdata assumes a little-endian host (the .npy files it writes are '<'-ordered)"
#endif

/* Writes a formatted reason into err (if any); always returns -1 so callers can
 * `return ds_seterr(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int ds_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* *r = a * b; false on size_t overflow. */
static inline bool ds_mul_ok(size_t a, size_t b, size_t *r)
{
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *r = a * b;
    return true;
}

#endif
