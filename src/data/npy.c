#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicio.h"
#include "util.h"

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
/* NumPy refuses headers over 10000 bytes by default; allow more, but stay bounded. */
#define MAX_HEADER_LEN (1u << 20)
/* NumPy aligns the data to 64 bytes. */
#define ALIGN 64

static const struct {
    const char *descr, *name;
    size_t size;
} dtypes[DS_DTYPE_COUNT] = {
    [DS_F32] = {"<f4", "float32", 4},
    [DS_U8] = {"|u1", "uint8", 1},
    [DS_I32] = {"<i4", "int32", 4},
    [DS_I64] = {"<i8", "int64", 8},
};

size_t ds_dtype_size(ds_dtype t) { return (unsigned)t < DS_DTYPE_COUNT ? dtypes[t].size : 0; }
const char *ds_dtype_descr(ds_dtype t) { return (unsigned)t < DS_DTYPE_COUNT ? dtypes[t].descr : "?"; }
const char *ds_dtype_name(ds_dtype t) { return (unsigned)t < DS_DTYPE_COUNT ? dtypes[t].name : "?"; }

static void shape_str(const size_t *shape, int rank, char *buf, size_t n)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "(");
    for (int i = 0; i < rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%zu", i ? ", " : "", shape[i]);
    if (k < n)
        k += (size_t)snprintf(buf + k, n - k, rank == 1 ? ",)" : ")");
}

/* ---------------------------------------------------------------- header parsing -- */

typedef struct {
    const char *p, *end;
    const char *name;
    char *err;
    size_t errlen;
} hparser;

static void skip_ws(hparser *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static int hfail(hparser *h, const char *what)
{
    return ds_seterr(h->err, h->errlen, "%s: bad .npy header: %s", h->name, what);
}

/* A quoted Python string without escapes, into buf. */
static int parse_string(hparser *h, char *buf, size_t n)
{
    skip_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return hfail(h, "expected a quoted string");
    char q = *h->p++;
    const char *close = memchr(h->p, q, (size_t)(h->end - h->p));
    if (!close)
        return hfail(h, "unterminated string");
    size_t k = (size_t)(close - h->p);
    if (memchr(h->p, '\\', k))
        return hfail(h, "escapes in strings are not supported");
    if (k + 1 > n)
        return hfail(h, "string too long");
    memcpy(buf, h->p, k);
    buf[k] = '\0';
    h->p = close + 1;
    return 0;
}

static bool match_word(hparser *h, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(h->end - h->p) >= n && memcmp(h->p, w, n) == 0) {
        h->p += n;
        return true;
    }
    return false;
}

static int parse_bool(hparser *h, bool *v)
{
    skip_ws(h);
    if (match_word(h, "True"))
        *v = true;
    else if (match_word(h, "False"))
        *v = false;
    else
        return hfail(h, "fortran_order must be True or False");
    return 0;
}

static int parse_shape(hparser *h, size_t *shape, int *rank)
{
    skip_ws(h);
    if (h->p >= h->end || *h->p != '(')
        return hfail(h, "shape must be a tuple such as (3, 4)");
    h->p++;
    int r = 0;
    for (;;) {
        skip_ws(h);
        if (h->p < h->end && *h->p == ')') {
            h->p++;
            break;
        }
        if (h->p >= h->end || *h->p < '0' || *h->p > '9')
            return hfail(h, "shape must hold non-negative integers");
        if (r >= DS_NPY_MAX_RANK)
            return ds_seterr(h->err, h->errlen, "%s: arrays of more than %d dimensions are "
                             "not supported", h->name, DS_NPY_MAX_RANK);
        size_t v = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            size_t d = (size_t)(*h->p - '0');
            if (v > (SIZE_MAX - d) / 10)
                return ds_seterr(h->err, h->errlen, "%s: shape dimension too large", h->name);
            v = v * 10 + d;
            h->p++;
        }
        if (h->p < h->end && *h->p == 'L') /* written by Python 2 */
            h->p++;
        shape[r++] = v;
        skip_ws(h);
        if (h->p < h->end && *h->p == ',') {
            h->p++;
            continue;
        }
        if (h->p < h->end && *h->p == ')') {
            h->p++;
            if (r == 1)
                return hfail(h, "a one-element shape tuple needs a trailing comma: (n,)");
            break;
        }
        return hfail(h, "expected ',' or ')' in shape");
    }
    *rank = r;
    return 0;
}

/* '<f4' and friends. */
static int parse_descr(hparser *h, const char *d, ds_dtype *t, bool *big)
{
    char order = d[0];
    char kind = order ? d[1] : '\0';
    char *endp = NULL;
    long size = (kind && d[2] >= '0' && d[2] <= '9') ? strtol(d + 2, &endp, 10) : 0;
    if ((order != '<' && order != '>' && order != '|' && order != '=') || !endp ||
        *endp != '\0' || size <= 0)
        return ds_seterr(h->err, h->errlen, "%s: dtype '%s' is not supported; expected "
                         "float32, uint8, int32 or int64", h->name, d);
    int found = -1;
    if (kind == 'f' && size == 4)
        found = DS_F32;
    else if (kind == 'u' && size == 1)
        found = DS_U8;
    else if (kind == 'i' && size == 4)
        found = DS_I32;
    else if (kind == 'i' && size == 8)
        found = DS_I64;
    if (found < 0) {
        const char *kn = kind == 'f' ? "float" : kind == 'i' ? "int" : kind == 'u' ? "uint"
                       : kind == 'b' ? "bool" : kind == 'c' ? "complex" : NULL;
        if (kn && size <= 16)
            return ds_seterr(h->err, h->errlen, "%s: dtype '%s' (%s%ld) is not supported; "
                             "expected float32, uint8, int32 or int64", h->name, d, kn,
                             size * 8);
        return ds_seterr(h->err, h->errlen, "%s: dtype '%s' is not supported; expected "
                         "float32, uint8, int32 or int64", h->name, d);
    }
    if (order == '|' && size != 1)
        return ds_seterr(h->err, h->errlen, "%s: dtype '%s' has no byte order", h->name, d);
    *t = (ds_dtype)found;
    *big = order == '>' && size > 1;
    return 0;
}

static int parse_dict(const char *text, size_t len, const char *name, ds_npy_header *hdr,
                      char *err, size_t errlen)
{
    hparser h = {text, text + len, name, err, errlen};
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == 0 || c >= 0x7f || (c < 0x20 && c != '\n' && c != '\r' && c != '\t'))
            return hfail(&h, "non-printable character");
    }
    skip_ws(&h);
    if (h.p >= h.end || *h.p != '{')
        return hfail(&h, "expected a dict starting with '{'");
    h.p++;
    bool have_descr = false, have_fortran = false, have_shape = false, fortran = false;
    for (;;) {
        skip_ws(&h);
        if (h.p < h.end && *h.p == '}') {
            h.p++;
            break;
        }
        char key[32];
        if (parse_string(&h, key, sizeof key))
            return -1;
        skip_ws(&h);
        if (h.p >= h.end || *h.p != ':')
            return hfail(&h, "expected ':' after a key");
        h.p++;
        if (strcmp(key, "descr") == 0) {
            if (have_descr)
                return hfail(&h, "duplicate key 'descr'");
            skip_ws(&h);
            if (h.p < h.end && (*h.p == '[' || *h.p == '{'))
                return ds_seterr(err, errlen, "%s: structured dtypes are not supported; "
                                 "expected float32, uint8, int32 or int64", name);
            char d[32];
            if (parse_string(&h, d, sizeof d))
                return -1;
            if (parse_descr(&h, d, &hdr->dtype, &hdr->big_endian))
                return -1;
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (have_fortran)
                return hfail(&h, "duplicate key 'fortran_order'");
            if (parse_bool(&h, &fortran))
                return -1;
            have_fortran = true;
        } else if (strcmp(key, "shape") == 0) {
            if (have_shape)
                return hfail(&h, "duplicate key 'shape'");
            if (parse_shape(&h, hdr->shape, &hdr->rank))
                return -1;
            have_shape = true;
        } else {
            char msg[80];
            snprintf(msg, sizeof msg, "unexpected key '%s'", key);
            return hfail(&h, msg);
        }
        skip_ws(&h);
        if (h.p < h.end && *h.p == ',') {
            h.p++;
            continue;
        }
        if (h.p < h.end && *h.p == '}') {
            h.p++;
            break;
        }
        return hfail(&h, "expected ',' or '}'");
    }
    skip_ws(&h);
    if (h.p != h.end)
        return hfail(&h, "unexpected text after the dict");
    if (!have_descr || !have_fortran || !have_shape)
        return hfail(&h, !have_descr ? "missing 'descr'"
                         : !have_fortran ? "missing 'fortran_order'" : "missing 'shape'");
    if (fortran)
        return ds_seterr(err, errlen, "%s: Fortran-order arrays are not supported; save a "
                         "C-order array (numpy.ascontiguousarray)", name);
    size_t count = 1;
    for (int i = 0; i < hdr->rank; i++)
        if (!ds_mul_ok(count, hdr->shape[i], &count))
            return ds_seterr(err, errlen, "%s: shape too large (element count overflows)",
                             name);
    hdr->count = count;
    return 0;
}

/* Reads the fixed prefix; on success *hlen is the dict's length, *prefix its offset. */
static int parse_prefix(const unsigned char *b, size_t n, const char *name, ds_npy_header *hdr,
                        size_t *prefix, size_t *hlen, char *err, size_t errlen)
{
    if (n < MAGIC_LEN || memcmp(b, MAGIC, MAGIC_LEN) != 0)
        return ds_seterr(err, errlen, "%s: not a .npy file (no \\x93NUMPY magic at the start)",
                         name);
    if (n < 8)
        return ds_seterr(err, errlen, "%s: truncated .npy header", name);
    hdr->major = b[6];
    hdr->minor = b[7];
    if (hdr->major < 1 || hdr->major > 3 || hdr->minor != 0)
        return ds_seterr(err, errlen, "%s: unsupported .npy format version %d.%d (expected "
                         "1.0, 2.0 or 3.0)", name, hdr->major, hdr->minor);
    size_t need = hdr->major == 1 ? 10 : 12;
    if (n < need)
        return ds_seterr(err, errlen, "%s: truncated .npy header", name);
    size_t len = hdr->major == 1 ? (size_t)b[8] | (size_t)b[9] << 8
                                 : (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
                                       (size_t)b[11] << 24;
    if (len > MAX_HEADER_LEN)
        return ds_seterr(err, errlen, "%s: .npy header length %zu is implausibly large", name,
                         len);
    *prefix = need;
    *hlen = len;
    return 0;
}

static int check_sizes(const ds_npy_header *h, size_t total, const char *name, char *err,
                       size_t errlen)
{
    size_t bytes;
    char sh[160];
    shape_str(h->shape, h->rank, sh, sizeof sh);
    if (!ds_mul_ok(h->count, ds_dtype_size(h->dtype), &bytes) ||
        bytes > SIZE_MAX - h->data_offset)
        return ds_seterr(err, errlen, "%s: shape %s is too large", name, sh);
    size_t have = total - h->data_offset;
    if (have < bytes)
        return ds_seterr(err, errlen, "%s: truncated: shape %s of %s needs %zu data bytes but "
                         "the file holds %zu", name, sh, ds_dtype_name(h->dtype), bytes, have);
    if (have > bytes)
        return ds_seterr(err, errlen, "%s: %zu unexpected bytes after the data (shape %s of "
                         "%s needs %zu bytes)", name, have - bytes, sh,
                         ds_dtype_name(h->dtype), bytes);
    return 0;
}

/* Parses a header from buf (n bytes available, the file being total bytes long). */
static int parse_header_buf(const unsigned char *buf, size_t n, size_t total, const char *name,
                            ds_npy_header *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    size_t prefix = 0, hlen = 0;
    if (parse_prefix(buf, n, name, h, &prefix, &hlen, err, errlen))
        return -1;
    if (hlen > n - prefix)
        return ds_seterr(err, errlen, "%s: truncated .npy header (%zu header bytes announced, "
                         "%zu present)", name, hlen, n - prefix);
    h->data_offset = prefix + hlen;
    if (parse_dict((const char *)buf + prefix, hlen, name, h, err, errlen))
        return -1;
    return check_sizes(h, total, name, err, errlen);
}

static void swap_bytes(void *data, size_t count, size_t size)
{
    unsigned char *p = data;
    for (size_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

static int fill_array(const ds_npy_header *h, ds_npy *out, const char *name, char *err,
                      size_t errlen)
{
    out->dtype = h->dtype;
    out->rank = h->rank;
    memcpy(out->shape, h->shape, sizeof out->shape);
    out->count = h->count;
    out->data = NULL;
    if (h->count) {
        out->data = malloc(h->count * ds_dtype_size(h->dtype));
        if (!out->data)
            return ds_seterr(err, errlen, "%s: out of memory for %zu elements", name, h->count);
    }
    return 0;
}

int ds_npy_read_mem(const void *buf, size_t n, const char *name, ds_npy *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!name)
        name = "(memory)";
    ds_npy_header h;
    if (parse_header_buf(buf, n, n, name, &h, err, errlen))
        return -1;
    if (fill_array(&h, out, name, err, errlen))
        return -1;
    size_t bytes = h.count * ds_dtype_size(h.dtype);
    if (bytes)
        memcpy(out->data, (const unsigned char *)buf + h.data_offset, bytes);
    if (h.big_endian)
        swap_bytes(out->data, h.count, ds_dtype_size(h.dtype));
    return 0;
}

/* Opens path and reads its header; *fp is left positioned at the data. */
static int open_header(const char *path, FILE **fp, ds_npy_header *h, char *err, size_t errlen)
{
    *fp = NULL;
    off_t size = 0;
    FILE *f = ds_fopen_regular(path, &size, err, errlen);
    if (!f)
        return -1;
    size_t total = (size_t)size;
    unsigned char pre[12];
    size_t got = fread(pre, 1, sizeof pre, f);
    memset(h, 0, sizeof *h);
    size_t prefix = 0, hlen = 0;
    if (parse_prefix(pre, got, path, h, &prefix, &hlen, err, errlen)) {
        fclose(f);
        return -1;
    }
    if (hlen > total - prefix) {
        fclose(f);
        return ds_seterr(err, errlen, "%s: truncated .npy header (%zu header bytes announced, "
                         "%zu present)", path, hlen, total - prefix);
    }
    unsigned char *buf = malloc(prefix + hlen);
    if (!buf) {
        fclose(f);
        return ds_seterr(err, errlen, "%s: out of memory", path);
    }
    memcpy(buf, pre, prefix);
    int rc = -1;
    if (fseek(f, (long)prefix, SEEK_SET) != 0 || fread(buf + prefix, 1, hlen, f) != hlen)
        ds_seterr(err, errlen, "%s: read error in the header", path);
    else
        rc = parse_header_buf(buf, prefix + hlen, total, path, h, err, errlen);
    free(buf);
    if (rc) {
        fclose(f);
        return -1;
    }
    *fp = f;
    return 0;
}

int ds_npy_read_header(const char *path, ds_npy_header *h, char *err, size_t errlen)
{
    FILE *f;
    if (open_header(path, &f, h, err, errlen))
        return -1;
    fclose(f);
    return 0;
}

int ds_npy_read(const char *path, ds_npy *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f;
    ds_npy_header h;
    if (open_header(path, &f, &h, err, errlen))
        return -1;
    if (fill_array(&h, out, path, err, errlen)) {
        fclose(f);
        return -1;
    }
    size_t bytes = h.count * ds_dtype_size(h.dtype);
    if (bytes && fread(out->data, 1, bytes, f) != bytes) {
        /* The size was checked, so this is an I/O error or a file shrinking under us. */
        fclose(f);
        ds_npy_free(out);
        return ds_seterr(err, errlen, "%s: read error in the data", path);
    }
    fclose(f);
    if (h.big_endian)
        swap_bytes(out->data, h.count, ds_dtype_size(h.dtype));
    return 0;
}

void ds_npy_free(ds_npy *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------------- writing -- */

/* The header dict as NumPy writes it; its length, or 0 if it does not fit. */
static size_t format_dict(char *dict, size_t n, ds_dtype t, int rank, const size_t *shape)
{
    char sh[400];
    shape_str(shape, rank, sh, sizeof sh);
    int dl = snprintf(dict, n, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                      ds_dtype_descr(t), sh);
    return dl < 0 || (size_t)dl >= n ? 0 : (size_t)dl;
}

/* Builds a complete header (magic .. '\n') into buf; min_dict_len reserves padding so a
 * later patch of the shape fits in the same length. Returns the header length (a
 * multiple of ALIGN), or 0 if it does not fit in n. */
static size_t build_header(char *buf, size_t n, ds_dtype t, int rank, const size_t *shape,
                           size_t min_dict_len)
{
    char dict[512];
    size_t dl = format_dict(dict, sizeof dict, t, rank, shape);
    if (!dl)
        return 0;
    size_t dlen = dl < min_dict_len ? min_dict_len : dl;
    size_t prefix = 10;
    size_t total = (prefix + dlen + 1 + ALIGN - 1) / ALIGN * ALIGN;
    if (total - prefix > 65535) {
        prefix = 12;
        total = (prefix + dlen + 1 + ALIGN - 1) / ALIGN * ALIGN;
    }
    if (total > n)
        return 0;
    size_t hlen = total - prefix;
    memcpy(buf, MAGIC, MAGIC_LEN);
    buf[6] = prefix == 10 ? 1 : 2;
    buf[7] = 0;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8 & 0xff);
    if (prefix == 12) {
        buf[10] = (char)(hlen >> 16 & 0xff);
        buf[11] = (char)(hlen >> 24 & 0xff);
    }
    memcpy(buf + prefix, dict, dl);
    memset(buf + prefix + dl, ' ', total - prefix - dl - 1);
    buf[total - 1] = '\n';
    return total;
}

static int check_args(const char *path, ds_dtype t, int rank, int max_rank, char *err,
                      size_t errlen)
{
    if ((unsigned)t >= DS_DTYPE_COUNT)
        return ds_seterr(err, errlen, "%s: unknown dtype %d", path, (int)t);
    if (rank < 0 || rank > max_rank)
        return ds_seterr(err, errlen, "%s: rank %d is not supported (at most %d)", path, rank,
                         max_rank);
    return 0;
}

int ds_npy_write(const char *path, ds_dtype dtype, int rank, const size_t *shape,
                 const void *data, char *err, size_t errlen)
{
    if (check_args(path, dtype, rank, DS_NPY_MAX_RANK, err, errlen))
        return -1;
    size_t count = 1, bytes;
    for (int i = 0; i < rank; i++)
        if (!ds_mul_ok(count, shape[i], &count))
            return ds_seterr(err, errlen, "%s: shape too large", path);
    if (!ds_mul_ok(count, ds_dtype_size(dtype), &bytes))
        return ds_seterr(err, errlen, "%s: shape too large", path);
    char hdr[1024];
    size_t hl = build_header(hdr, sizeof hdr, dtype, rank, shape, 0);
    if (!hl)
        return ds_seterr(err, errlen, "%s: header too long", path);
    ds_atomic *a = ds_atomic_open(path, err, errlen);
    if (!a)
        return -1;
    FILE *f = ds_atomic_file(a);
    if (fwrite(hdr, 1, hl, f) != hl || (bytes && fwrite(data, 1, bytes, f) != bytes)) {
        int e = errno;
        ds_atomic_abort(a);
        return ds_seterr(err, errlen, "%s: write failed: %s", path, strerror(e));
    }
    return ds_atomic_commit(a, err, errlen);
}

struct ds_npy_stream {
    ds_atomic *a;
    ds_dtype dtype;
    int rank;                       /* including the row dimension */
    size_t shape[DS_NPY_MAX_RANK];  /* shape[0] = rows so far */
    size_t row_bytes;
    size_t header_len;
    size_t dict_room;
    bool failed;
};

/* The widest dict the stream's header can need: the row count at its largest. */
static size_t widest_dict(const ds_npy_stream *s)
{
    size_t sh[DS_NPY_MAX_RANK];
    memcpy(sh, s->shape, sizeof sh);
    sh[0] = SIZE_MAX;
    char dict[512];
    return format_dict(dict, sizeof dict, s->dtype, s->rank, sh);
}

ds_npy_stream *ds_npy_stream_open(const char *path, ds_dtype dtype, int row_rank,
                                  const size_t *row_shape, char *err, size_t errlen)
{
    if (check_args(path, dtype, row_rank, DS_NPY_MAX_RANK - 1, err, errlen))
        return NULL;
    ds_npy_stream *s = calloc(1, sizeof *s);
    if (!s) {
        ds_seterr(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    s->dtype = dtype;
    s->rank = row_rank + 1;
    s->shape[0] = 0;
    size_t rb = ds_dtype_size(dtype);
    for (int i = 0; i < row_rank; i++) {
        s->shape[i + 1] = row_shape[i];
        if (!ds_mul_ok(rb, row_shape[i], &rb)) {
            free(s);
            ds_seterr(err, errlen, "%s: row shape too large", path);
            return NULL;
        }
    }
    s->row_bytes = rb;
    s->dict_room = widest_dict(s);
    char hdr[1024];
    s->header_len = build_header(hdr, sizeof hdr, dtype, s->rank, s->shape, s->dict_room);
    if (!s->header_len) {
        free(s);
        ds_seterr(err, errlen, "%s: header too long", path);
        return NULL;
    }
    s->a = ds_atomic_open(path, err, errlen);
    if (!s->a) {
        free(s);
        return NULL;
    }
    if (fwrite(hdr, 1, s->header_len, ds_atomic_file(s->a)) != s->header_len) {
        int e = errno;
        ds_npy_stream_abort(s);
        ds_seterr(err, errlen, "%s: write failed: %s", path, strerror(e));
        return NULL;
    }
    return s;
}

int ds_npy_stream_append(ds_npy_stream *s, const void *rows, size_t n_rows, char *err,
                         size_t errlen)
{
    const char *path = ds_atomic_path(s->a);
    if (s->failed)
        return ds_seterr(err, errlen, "%s: an earlier write failed", path);
    size_t bytes, total;
    if (!ds_mul_ok(n_rows, s->row_bytes, &bytes) || s->shape[0] > SIZE_MAX - n_rows ||
        !ds_mul_ok(s->shape[0] + n_rows, s->row_bytes, &total)) {
        s->failed = true;
        return ds_seterr(err, errlen, "%s: too many rows", path);
    }
    if (bytes && fwrite(rows, 1, bytes, ds_atomic_file(s->a)) != bytes) {
        s->failed = true;
        return ds_seterr(err, errlen, "%s: write failed: %s", path, strerror(errno));
    }
    s->shape[0] += n_rows;
    return 0;
}

size_t ds_npy_stream_rows(const ds_npy_stream *s) { return s ? s->shape[0] : 0; }

int ds_npy_stream_close(ds_npy_stream *s, char *err, size_t errlen)
{
    if (!s)
        return ds_seterr(err, errlen, "internal error: close of a NULL stream");
    const char *path = ds_atomic_path(s->a);
    if (s->failed) {
        ds_seterr(err, errlen, "%s: not written: an earlier write failed", path);
        ds_npy_stream_abort(s);
        return -1;
    }
    char hdr[1024];
    size_t hl = build_header(hdr, sizeof hdr, s->dtype, s->rank, s->shape, s->dict_room);
    FILE *f = ds_atomic_file(s->a);
    if (hl != s->header_len || fseek(f, 0, SEEK_SET) != 0 || fwrite(hdr, 1, hl, f) != hl ||
        fseek(f, 0, SEEK_END) != 0) {
        ds_seterr(err, errlen, "%s: cannot patch the header: %s", path, strerror(errno));
        ds_npy_stream_abort(s);
        return -1;
    }
    int rc = ds_atomic_commit(s->a, err, errlen);
    free(s);
    return rc;
}

void ds_npy_stream_abort(ds_npy_stream *s)
{
    if (!s)
        return;
    ds_atomic_abort(s->a);
    free(s);
}
