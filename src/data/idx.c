#include "idx.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util.h"

/* A byte source: a buffer in memory, inflated when it is gzip. read returns the bytes
 * delivered; fewer than asked means the end or an error, told apart by src->error. */
typedef struct {
    const char *name;
    const unsigned char *mem;       /* memory source */
    size_t mem_len, mem_pos;
    bool inflating, stream_end;
    z_stream zs;
    const char *error;              /* set on a decoding error */
    char errbuf[128];
} src;

static size_t src_read_mem(src *s, unsigned char *buf, size_t n)
{
    if (!s->inflating) {
        size_t k = s->mem_len - s->mem_pos < n ? s->mem_len - s->mem_pos : n;
        if (k)
            memcpy(buf, s->mem + s->mem_pos, k);
        s->mem_pos += k;
        return k;
    }
    size_t got = 0;
    while (got < n && !s->stream_end) {
        size_t in_left = s->mem_len - s->mem_pos;
        s->zs.next_in = (Bytef *)(s->mem + s->mem_pos);
        s->zs.avail_in = in_left > (1u << 30) ? 1u << 30 : (uInt)in_left;
        size_t ask = n - got > (1u << 30) ? 1u << 30 : n - got;
        s->zs.next_out = buf + got;
        s->zs.avail_out = (uInt)ask;
        uInt in0 = s->zs.avail_in;
        int r = inflate(&s->zs, Z_NO_FLUSH);
        s->mem_pos += in0 - s->zs.avail_in;
        got += ask - s->zs.avail_out;
        if (r == Z_STREAM_END) {
            /* Another gzip member may follow (as gzread reads them); anything else after
             * the stream is ignored, as gzread ignores it. */
            if (s->mem_len - s->mem_pos >= 2 && s->mem[s->mem_pos] == 0x1f &&
                s->mem[s->mem_pos + 1] == 0x8b)
                inflateReset(&s->zs);
            else
                s->stream_end = true;
        } else if (r == Z_BUF_ERROR) {
            /* No progress possible: the input ran out before the stream's end. */
            s->error = "the gzip stream is truncated (unexpected end of file)";
            break;
        } else if (r != Z_OK) {
            snprintf(s->errbuf, sizeof s->errbuf, "gzip error: %s",
                     s->zs.msg ? s->zs.msg : "corrupt data");
            s->error = s->errbuf;
            break;
        }
    }
    return got;
}

static size_t src_read(src *s, void *buf, size_t n)
{
    return src_read_mem(s, buf, n);
}

static int read_fail(src *s, char *err, size_t errlen, const char *what)
{
    if (s->error)
        return ds_seterr(err, errlen, "%s: %s (while reading the %s)", s->name, s->error, what);
    return ds_seterr(err, errlen, "%s: truncated IDX file: the %s is incomplete", s->name, what);
}

static const char *type_name(int t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
    }
}

static int read_idx(src *s, size_t budget, ds_idx *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!budget)
        budget = DS_IDX_DEFAULT_BUDGET;
    unsigned char m[4];
    size_t got = src_read(s, m, 4);
    if (got == 0 && !s->error)
        return ds_seterr(err, errlen, "%s: empty file (expected an IDX file)", s->name);
    if (got < 4)
        return read_fail(s, err, errlen, "header");
    if (m[0] != 0 || m[1] != 0)
        return ds_seterr(err, errlen, "%s: not an IDX file (starts with %02x %02x %02x %02x; "
                         "expected 00 00 08 <ndim>)", s->name, m[0], m[1], m[2], m[3]);
    if (m[2] != 0x08)
        return ds_seterr(err, errlen, "%s: IDX data type 0x%02x (%s) is not supported; only "
                         "0x08 (unsigned byte) is", s->name, m[2], type_name(m[2]));
    int ndim = m[3];
    if (ndim < 1 || ndim > DS_IDX_MAX_DIMS)
        return ds_seterr(err, errlen, "%s: IDX header has %d dimensions; expected 1 to %d",
                         s->name, ndim, DS_IDX_MAX_DIMS);
    unsigned char d[4 * DS_IDX_MAX_DIMS];
    if (src_read(s, d, 4 * (size_t)ndim) < 4 * (size_t)ndim)
        return read_fail(s, err, errlen, "header's dimension list");
    char dims[80];
    size_t dl = 0, count = 1;
    bool overflow = false;
    for (int i = 0; i < ndim; i++) {
        uint32_t v = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 |
                     (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
        out->dims[i] = v;
        if (!ds_mul_ok(count, v, &count))
            overflow = true;
        dl += (size_t)snprintf(dims + dl, sizeof dims - dl, "%s%u", i ? "x" : "", v);
    }
    out->ndim = ndim;
    if (overflow || count > budget) {
        out->ndim = 0;
        if (overflow)
            return ds_seterr(err, errlen, "%s: IDX header dims %s overflow the element count "
                             "(a corrupt or wrong header?)", s->name, dims);
        return ds_seterr(err, errlen, "%s: IDX header dims %s = %zu bytes, more than the "
                         "%zu-byte limit (a corrupt or wrong header?)", s->name, dims, count,
                         budget);
    }
    out->count = count;
    /* Grow with the data actually present so a lying header costs nothing. */
    size_t cap = 0, have = 0;
    uint8_t *buf = NULL;
    while (have < count) {
        if (have == cap) {
            size_t ncap = cap ? cap * 2 : 1u << 16;
            if (ncap > count)
                ncap = count;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                memset(out, 0, sizeof *out);
                return ds_seterr(err, errlen, "%s: out of memory reading %zu bytes", s->name,
                                 count);
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - have;
        size_t r = src_read(s, buf + have, want);
        have += r;
        if (r < want)
            break;
    }
    if (have < count) {
        free(buf);
        memset(out, 0, sizeof *out);
        if (s->error)
            return ds_seterr(err, errlen, "%s: %s (after %zu of %zu data bytes)", s->name,
                             s->error, have, count);
        return ds_seterr(err, errlen, "%s: truncated IDX file: the header's dims %s need %zu "
                         "data bytes, only %zu are present", s->name, dims, count, have);
    }
    unsigned char extra[256];
    size_t more = src_read(s, extra, sizeof extra), total_more = more;
    while (more == sizeof extra && total_more < ((size_t)1 << 20))
        total_more += (more = src_read(s, extra, sizeof extra));
    if (total_more || s->error) {
        free(buf);
        memset(out, 0, sizeof *out);
        if (s->error)
            return ds_seterr(err, errlen, "%s: %s (after the data)", s->name, s->error);
        return ds_seterr(err, errlen, "%s: %s%zu unexpected bytes after the data (the header's "
                         "dims %s account for %zu bytes; a wrong header or trailing garbage)",
                         s->name, total_more >= ((size_t)1 << 20) ? "at least " : "",
                         total_more, dims, count);
    }
    out->data = buf;
    return 0;
}

/* The file is read whole and decoded by the memory reader: one decoder, strict about a
 * gzip stream cut short. (gzread returned the data of such a stream and stopped quietly,
 * so a file reader built on it accepted what the memory reader refused: a fuzz_idx
 * finding.) The compressed file may be at most the data budget (or 64 MiB) plus a header. */
int ds_idx_read(const char *path, size_t max_bytes, ds_idx *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t cap = (max_bytes ? max_bytes : DS_IDX_DEFAULT_BUDGET) + 4096;
    FILE *f = ds_fopen_regular(path, NULL, err, errlen);
    if (!f)
        return -1;
    size_t len = 0, size = 1 << 16;
    unsigned char *buf = malloc(size);
    while (buf) {
        if (len == size) {
            if (size >= cap) {
                free(buf);
                fclose(f);
                return ds_seterr(err, errlen, "%s: the file is larger than %zu bytes, over the data budget", path, cap);
            }
            size_t grown = size * 2 < cap ? size * 2 : cap;
            unsigned char *b = realloc(buf, grown);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            size = grown;
        }
        size_t r = fread(buf + len, 1, size - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (!buf)
        return ds_seterr(err, errlen, "%s: out of memory reading the file", path);
    if (read_errno) {
        free(buf);
        return ds_seterr(err, errlen, "%s: read error: %s", path, strerror(read_errno));
    }
    int rc = ds_idx_read_mem(buf, len, path, max_bytes, out, err, errlen);
    free(buf);
    return rc;
}

int ds_idx_read_mem(const void *buf, size_t n, const char *name, size_t max_bytes, ds_idx *out,
                    char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    src s = {.name = name ? name : "(memory)", .mem = buf, .mem_len = n};
    if (n >= 2 && s.mem[0] == 0x1f && s.mem[1] == 0x8b) {
        if (inflateInit2(&s.zs, 16 + MAX_WBITS) != Z_OK)
            return ds_seterr(err, errlen, "%s: cannot start gzip decoding", s.name);
        s.inflating = true;
    }
    int rc = read_idx(&s, max_bytes, out, err, errlen);
    if (s.inflating)
        inflateEnd(&s.zs);
    return rc;
}

void ds_idx_free(ds_idx *x)
{
    if (!x)
        return;
    free(x->data);
    memset(x, 0, sizeof *x);
}
