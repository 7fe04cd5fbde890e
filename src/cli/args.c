/* The commands' argument reader: strict whole numbers, so "1e3" or " 5" is refused
 * rather than read as something the user did not write. */
#include "cli/args.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strtoull's range is the seed's: ERANGE is exactly "beyond 2^64-1" */
_Static_assert(sizeof(unsigned long long) == sizeof(uint64_t), "unsigned long long is 64 bits");

bool cli_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool cli_parse_size(const char *s, int min_w, int min_h, int max, int *w, int *h)
{
    char ws[16];
    const char *x = s ? strchr(s, 'x') : NULL;
    long lw, lh;
    if (!x || x - s >= (long)sizeof ws)
        return false;
    memcpy(ws, s, (size_t)(x - s));
    ws[x - s] = 0;
    if (!cli_parse_long(ws, min_w, max, &lw) || !cli_parse_long(x + 1, min_h, max, &lh))
        return false;
    *w = (int)lw;
    *h = (int)lh;
    return true;
}

bool cli_arg_long(const char *cmd, const char *opt, const char *v, long lo, long hi,
                  const char *unit, const char *note, long *out)
{
    if (cli_parse_long(v, lo, hi, out))
        return true;
    fprintf(stderr, "dropscope %s: %s needs a whole number%s in %ld..%ld%s, got '%s'\n", cmd, opt,
            unit ? unit : "", lo, hi, note ? note : "", v ? v : "nothing");
    return false;
}

bool cli_arg_seed(const char *cmd, const char *opt, const char *v, uint64_t *seed)
{
    /* digits only: strtoull would take "-5" as 2^64-5 and skip leading spaces */
    if (v && isdigit((unsigned char)v[0])) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (!errno && !*end) {
            *seed = (uint64_t)s;
            return true;
        }
    }
    fprintf(stderr, "dropscope %s: %s needs a whole number in 0..%" PRIu64 ", got '%s'\n", cmd, opt,
            UINT64_MAX, v ? v : "nothing");
    return false;
}

bool cli_arg_text(const char *cmd, const char *opt, const char *v, const char *what)
{
    if (v && *v)
        return true;
    fprintf(stderr, "dropscope %s: %s needs %s\n", cmd, opt, what);
    return false;
}
