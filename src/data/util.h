/* Small helpers shared by the data module's sources (not a public API). */
#ifndef DS_UTIL_H
#define DS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dsdata assumes a little-endian host (the .npy files it writes are '<'-ordered)"
#endif

/* Rewrites s (a buffer of cap bytes) in place so it holds no control character: \n, \r
 * and \t become those two-character escapes, any other byte below 0x20 and 0x7f becomes
 * \xHH. Names quoted in messages come from files (class folders, HDF5 layer names): raw,
 * a newline would forge a second message and ESC sequences would drive the terminal.
 * What does not fit in cap is cut (never in the middle of an escape). */
static inline void ds_escape_inplace(char *s, size_t cap)
{
    size_t len = 0, out = 0, keep = 0;
    bool any = false;
    for (; s[len]; len++) {
        unsigned char c = (unsigned char)s[len];
        bool ctl = c < 0x20 || c == 0x7f;
        size_t w = !ctl ? 1 : (c == '\n' || c == '\r' || c == '\t') ? 2 : 4;
        any |= ctl;
        if (out + w < cap) {
            out += w;
            keep = len + 1;
        }
    }
    if (!any)
        return;
    s[out] = '\0';
    /* back to front, so every source byte is read before it is overwritten */
    for (size_t i = keep; i-- > 0;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != 0x7f) {
            s[--out] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            s[--out] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            s[--out] = '\\';
        } else {
            static const char hex[] = "0123456789abcdef";
            s[--out] = hex[c & 15];
            s[--out] = hex[c >> 4];
            s[--out] = 'x';
            s[--out] = '\\';
        }
    }
}

/* Writes a formatted reason into err (if any), control characters escaped
 * (ds_escape_inplace: every message is one line, whatever names it quotes); always
 * returns -1 so callers can `return ds_seterr(...)`. */
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
        ds_escape_inplace(err, errlen);
    }
    return -1;
}

/* What kind of file st is, for messages: "a directory", "a named pipe", ... */
static inline const char *ds_file_kind(const struct stat *st)
{
    return S_ISDIR(st->st_mode)    ? "a directory"
           : S_ISFIFO(st->st_mode) ? "a named pipe"
           : S_ISCHR(st->st_mode)  ? "a character device"
           : S_ISBLK(st->st_mode)  ? "a block device"
           : S_ISSOCK(st->st_mode) ? "a socket"
           : S_ISREG(st->st_mode)  ? "a regular file"
                                   : "not a regular file";
}

/* Opens path read-only if it is a regular file; returns the descriptor (the caller closes
 * it) and its size in *size (may be NULL). A named pipe would block a plain open until a
 * writer comes, and a device is no data file: the open does not block (O_NONBLOCK, cleared
 * once fstat shows a regular file) and anything else is refused. -1 with the reason in err,
 * naming path (a directory: "read error: Is a directory", as reading one says). */
static inline int ds_open_regular(const char *path, off_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return ds_seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ds_seterr(err, errlen, "%s: cannot open: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        if (S_ISDIR(st.st_mode))
            return ds_seterr(err, errlen, "%s: read error: %s (a file was expected)", path, strerror(EISDIR));
        return ds_seterr(err, errlen, "%s: is %s, not a regular file; dropscope reads data only from regular files",
                         path, ds_file_kind(&st));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return ds_seterr(err, errlen, "%s: cannot open: %s", path, strerror(e));
    }
    if (size)
        *size = st.st_size;
    return fd;
}

/* ds_open_regular as a stdio stream ("rb"); the caller fcloses it. NULL on error. */
static inline FILE *ds_fopen_regular(const char *path, off_t *size, char *err, size_t errlen)
{
    int fd = ds_open_regular(path, size, err, errlen);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        ds_seterr(err, errlen, "%s: cannot open: %s", path, strerror(e));
    }
    return f;
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
