/* Image header sniffing and PNG checking. See imghdr.h. */
#include "imghdr.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "util.h"

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

const char *ds_img_format_name(ds_img_format f)
{
    return f == DS_IMG_PNG ? "PNG" : f == DS_IMG_JPEG ? "JPEG" : f == DS_IMG_BMP ? "BMP" : "unknown";
}

ds_img_format ds_image_format_of_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    if (!strcasecmp(dot, ".png"))
        return DS_IMG_PNG;
    if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"))
        return DS_IMG_JPEG;
    if (!strcasecmp(dot, ".bmp"))
        return DS_IMG_BMP;
    return 0;
}

static int check_dims(const char *name, ds_img_format f, long long w, long long h, char *err, size_t errlen)
{
    if (w <= 0 || h <= 0)
        return ds_seterr(err, errlen, "%s: the %s header gives an empty size (%lldx%lld)", name,
                         ds_img_format_name(f), w, h);
    if (w > DS_IMAGE_MAX_SIDE || h > DS_IMAGE_MAX_SIDE || w * h > DS_IMAGE_MAX_PIXELS)
        return ds_seterr(err, errlen, "%s: the %s image is %lldx%lld (%.1f Mpixel), over the limit of %ld Mpixel "
                         "(4096x4096) and %d on a side; shrink it first", name, ds_img_format_name(f), w, h,
                         (double)w * (double)h / (1 << 20), DS_IMAGE_MAX_PIXELS >> 20, DS_IMAGE_MAX_SIDE);
    return 0;
}

/* ---- PNG ---- */

typedef struct {
    uint32_t w, h;
    int depth, ctype, interlace;
} png_ihdr;

/* Bytes of one row of `w` pixels, without the filter byte. */
static size_t png_rowbytes(const png_ihdr *p, uint32_t w)
{
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    uint64_t bits = (uint64_t)w * (uint64_t)(channels[p->ctype] * p->depth);
    return (size_t)((bits + 7) / 8);
}

static int png_check_ihdr(const unsigned char *d, const char *name, png_ihdr *p, char *err, size_t errlen)
{
    p->w = be32(d);
    p->h = be32(d + 4);
    p->depth = d[8];
    p->ctype = d[9];
    p->interlace = d[12];
    bool ok;
    switch (p->ctype) {
    case 0: ok = p->depth == 1 || p->depth == 2 || p->depth == 4 || p->depth == 8 || p->depth == 16; break;
    case 3: ok = p->depth == 1 || p->depth == 2 || p->depth == 4 || p->depth == 8; break;
    case 2: case 4: case 6: ok = p->depth == 8 || p->depth == 16; break;
    default: ok = false; break;
    }
    if (!ok || d[10] != 0 || d[11] != 0 || p->interlace > 1)
        return ds_seterr(err, errlen, "%s: damaged PNG: invalid IHDR (color type %d, bit depth %d, methods %d/%d/%d)",
                         name, p->ctype, p->depth, d[10], d[11], d[12]);
    return check_dims(name, DS_IMG_PNG, p->w, p->h, err, errlen);
}

/* Walks the rows of the decompressed image data (Adam7 passes when interlaced) to check
 * each row's filter byte as the inflated bytes stream past. */
typedef struct {
    const png_ihdr *p;
    int pass;             /* 0..6 interlaced, 0 otherwise */
    uint32_t row, rows;   /* rows of the current pass */
    size_t rowlen;        /* bytes per row, filter byte included */
    size_t at;            /* offset within the current row */
    bool done, bad_filter;
} row_walk;

static void walk_pass(row_walk *r)
{
    static const int x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1};
    static const int dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
    for (; r->pass < 7; r->pass++) {
        uint32_t w = r->p->w, h = r->p->h;
        if (r->p->interlace) {
            int k = r->pass;
            w = w > (uint32_t)x0[k] ? (w - (uint32_t)x0[k] + (uint32_t)dx[k] - 1) / (uint32_t)dx[k] : 0;
            h = h > (uint32_t)y0[k] ? (h - (uint32_t)y0[k] + (uint32_t)dy[k] - 1) / (uint32_t)dy[k] : 0;
        } else if (r->pass > 0) {
            break;
        }
        if (w && h) {
            r->rows = h;
            r->row = 0;
            r->rowlen = 1 + png_rowbytes(r->p, w);
            r->at = 0;
            return;
        }
    }
    r->done = true;
}

/* Feeds n inflated bytes; false when they run past the end of the image data. */
static bool walk_feed(row_walk *r, const unsigned char *b, size_t n)
{
    while (n > 0) {
        if (r->done)
            return false;
        if (r->at == 0 && b[0] > 4)
            r->bad_filter = true;
        size_t take = r->rowlen - r->at < n ? r->rowlen - r->at : n;
        r->at += take;
        b += take;
        n -= take;
        if (r->at == r->rowlen) {
            r->at = 0;
            if (++r->row == r->rows) {
                r->pass++;
                walk_pass(r);
            }
        }
    }
    return true;
}

/* Inflates the concatenated IDAT data (chunks given by offset) and checks it holds
 * exactly the image's rows. */
static int png_check_data(const unsigned char *buf, const png_ihdr *p, const size_t *idat, size_t n_idat,
                          const char *name, char *err, size_t errlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return ds_seterr(err, errlen, "%s: out of memory checking the PNG data", name);
    row_walk r = {.p = p};
    walk_pass(&r);
    unsigned char out[16384];
    int zr = Z_OK;
    bool over = false, extra = false;
    for (size_t i = 0; i < n_idat && !over && !extra; i++) {
        z.next_in = (unsigned char *)buf + idat[i] + 8;
        z.avail_in = be32(buf + idat[i]);
        while (z.avail_in > 0 && zr == Z_OK && !over) {
            z.next_out = out;
            z.avail_out = sizeof out;
            zr = inflate(&z, Z_NO_FLUSH);
            if (zr == Z_BUF_ERROR)
                zr = Z_OK;
            over = !walk_feed(&r, out, sizeof out - z.avail_out);
        }
        extra = zr == Z_STREAM_END && (z.avail_in > 0 || i + 1 < n_idat);
    }
    const char *why = NULL;
    if (zr != Z_OK && zr != Z_STREAM_END)
        why = z.msg ? z.msg : "corrupt compressed data";
    else if (over)
        why = "more image data than the header's size";
    else if (zr != Z_STREAM_END || !r.done)
        why = "the image data is incomplete";
    else if (extra)
        why = "extra bytes after the compressed image data";
    else if (r.bad_filter)
        why = "a row has an invalid filter type";
    inflateEnd(&z);
    if (why)
        return ds_seterr(err, errlen, "%s: damaged PNG: %s", name, why);
    return 0;
}

/* Which chunks ds_png_clean keeps. */
static bool png_keep(const unsigned char *type, int ctype)
{
    return !memcmp(type, "IHDR", 4) || !memcmp(type, "IDAT", 4) || !memcmp(type, "IEND", 4) ||
           (!memcmp(type, "PLTE", 4) && ctype == 3);
}

static int png_sniff(const unsigned char *b, size_t n, const char *name, ds_img_info *info, char *err, size_t errlen)
{
    if (n < 8 + 25 || be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4))
        return ds_seterr(err, errlen, "%s: damaged PNG: it does not start with an IHDR chunk", name);
    png_ihdr p;
    if (png_check_ihdr(b + 16, name, &p, err, errlen) < 0)
        return -1;
    size_t cap = 64, n_idat = 0, at = 8;
    size_t *idat = malloc(cap * sizeof *idat);
    bool plte = false, iend = false, idat_ended = false;
    const char *why = idat ? NULL : "out of memory";
    char type[5] = "";
    while (!why && !iend) {
        if (n - at < 12) {
            why = "the file ends before its IEND chunk (truncated)";
            break;
        }
        uint32_t len = be32(b + at);
        memcpy(type, b + at + 4, 4);
        bool letters = true;
        for (int k = 0; k < 4; k++)
            letters &= (type[k] >= 'A' && type[k] <= 'Z') || (type[k] >= 'a' && type[k] <= 'z');
        bool is_idat = !memcmp(type, "IDAT", 4);
        if (!letters)
            why = "invalid chunk type";
        else if (len > 0x7fffffffu || len > n - at - 12)
            why = "a chunk runs past the end of the file (truncated)";
        else if (crc32(crc32(0, NULL, 0), b + at + 4, len + 4) != be32(b + at + 8 + len))
            why = "CRC error";
        else if (at > 8 && !memcmp(type, "IHDR", 4))
            why = "a second IHDR chunk";
        else if (!memcmp(type, "PLTE", 4) && (plte || n_idat || len == 0 || len % 3 || len > 768))
            why = "invalid PLTE chunk (repeated, after the image data, or of a wrong length)";
        else if (is_idat && idat_ended)
            why = "IDAT chunks are not consecutive";
        else if (type[0] >= 'A' && type[0] <= 'Z' && !png_keep((unsigned char *)type, 3))
            why = "unknown critical chunk";
        if (why)
            break;
        iend = !memcmp(type, "IEND", 4);
        plte |= !memcmp(type, "PLTE", 4);
        idat_ended |= n_idat && !is_idat;
        if (is_idat && n_idat == cap) {
            size_t *g = realloc(idat, 2 * cap * sizeof *idat);
            if (!g) {
                why = "out of memory";
                break;
            }
            idat = g;
            cap *= 2;
        }
        if (is_idat)
            idat[n_idat++] = at;
        at += 12 + (size_t)len;
    }
    int rc = -1;
    if (why)
        ds_seterr(err, errlen, "%s: damaged PNG: %s (chunk '%s' at byte %zu)", name, why, type, at);
    else if (!n_idat)
        ds_seterr(err, errlen, "%s: damaged PNG: no image data (IDAT chunk)", name);
    else if (p.ctype == 3 && !plte)
        ds_seterr(err, errlen, "%s: damaged PNG: a palette image without its PLTE chunk", name);
    else
        rc = png_check_data(b, &p, idat, n_idat, name, err, errlen);
    free(idat);
    if (rc == 0) {
        info->w = (int)p.w;
        info->h = (int)p.h;
    }
    return rc;
}

static void put_chunk(unsigned char **o, const char *type, const unsigned char *data, uint32_t len)
{
    unsigned char *p = *o;
    p[0] = (unsigned char)(len >> 24), p[1] = (unsigned char)(len >> 16);
    p[2] = (unsigned char)(len >> 8), p[3] = (unsigned char)len;
    memcpy(p + 4, type, 4);
    if (len)
        memmove(p + 8, data, len);
    uint32_t c = (uint32_t)crc32(crc32(0, NULL, 0), p + 4, len + 4);
    p[8 + len] = (unsigned char)(c >> 24), p[9 + len] = (unsigned char)(c >> 16);
    p[10 + len] = (unsigned char)(c >> 8), p[11 + len] = (unsigned char)c;
    *o = p + 12 + len;
}

int ds_png_clean(const void *buf, size_t n, unsigned char **out, size_t *out_n)
{
    const unsigned char *b = buf;
    *out = NULL;
    *out_n = 0;
    if (n < 33)
        return -1;
    int depth = b[24], ctype = b[25];
    /* at most the input plus a full palette (768 bytes) */
    unsigned char *o = malloc(n + 768 + 12), *w = o;
    if (!o)
        return -1;
    memcpy(w, png_sig, 8);
    w += 8;
    for (size_t at = 8; at + 12 <= n;) {
        uint32_t len = be32(b + at);
        const unsigned char *type = b + at + 4;
        if (len > n - at - 12)
            break;
        if (!memcmp(type, "PLTE", 4) && ctype == 3) {
            unsigned char pal[768] = {0};
            uint32_t have = len < sizeof pal ? len : (uint32_t)sizeof pal, full = 3u << depth;
            memcpy(pal, b + at + 8, have);
            put_chunk(&w, "PLTE", pal, full > have ? full : have);
        } else if (png_keep(type, ctype)) {
            put_chunk(&w, (const char *)type, b + at + 8, len);
        }
        at += 12 + (size_t)len;
        if (!memcmp(type, "IEND", 4))
            break;
    }
    *out = o;
    *out_n = (size_t)(w - o);
    return 0;
}

/* ---- JPEG ---- */

/* Walks the marker segments up to the first SOF (start of frame), which holds the size. */
static int jpeg_sniff(const unsigned char *b, size_t n, const char *name, ds_img_info *info, char *err,
                      size_t errlen)
{
    size_t at = 2;
    for (;;) {
        if (at + 2 > n || b[at] != 0xFF)
            return ds_seterr(err, errlen, "%s: damaged JPEG: no frame header (SOF) before the end of the file", name);
        while (at + 2 < n && b[at + 1] == 0xFF)
            at++; /* fill bytes */
        int m = b[at + 1];
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
            at += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA || m == 0xD8)
            return ds_seterr(err, errlen, "%s: damaged JPEG: no frame header (SOF) before the image data", name);
        if (at + 4 > n)
            return ds_seterr(err, errlen, "%s: damaged JPEG: no frame header (SOF) before the end of the file", name);
        size_t len = (size_t)b[at + 2] << 8 | b[at + 3];
        if (len < 2 || len > n - at - 2)
            return ds_seterr(err, errlen, "%s: damaged JPEG: a marker segment runs past the end of the file", name);
        bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (len < 8)
                return ds_seterr(err, errlen, "%s: damaged JPEG: short frame header", name);
            const unsigned char *s = b + at + 4;
            int h = s[1] << 8 | s[2], w = s[3] << 8 | s[4], nc = s[5];
            if (nc != 1 && nc != 3 && nc != 4)
                return ds_seterr(err, errlen, "%s: a JPEG with %d color components; 1, 3 or 4 are read", name, nc);
            if (check_dims(name, DS_IMG_JPEG, w, h, err, errlen) < 0)
                return -1;
            info->w = w;
            info->h = h;
            break;
        }
        at += 2 + len;
    }
    /* libjpeg only warns about a truncated file and fills the rest with gray, where PIL
     * (and so Keras) refuses it: the end-of-image marker must be there (perhaps padded). */
    size_t k = n < 64 ? n : 64;
    for (size_t i = n - k; i + 1 < n; i++)
        if (b[i] == 0xFF && b[i + 1] == 0xD9)
            return 0;
    return ds_seterr(err, errlen, "%s: the JPEG image is truncated (no end-of-image marker)", name);
}

/* ---- BMP ---- */

static int bmp_sniff(const unsigned char *b, size_t n, const char *name, ds_img_info *info, char *err, size_t errlen)
{
    if (n < 26)
        return ds_seterr(err, errlen, "%s: damaged BMP: the header is cut short", name);
    uint32_t hsize = le32(b + 14);
    long long w, h;
    int bpp;
    uint32_t comp = 0;
    if (hsize == 12) {
        w = b[18] | b[19] << 8;
        h = b[20] | b[21] << 8;
        bpp = b[24] | b[25] << 8;
    } else if (hsize >= 40) {
        if (n < 34)
            return ds_seterr(err, errlen, "%s: damaged BMP: the header is cut short", name);
        w = (int32_t)le32(b + 18);
        h = (int32_t)le32(b + 22);
        h = h < 0 ? -h : h; /* top-down */
        bpp = b[28] | b[29] << 8;
        comp = le32(b + 30);
    } else {
        return ds_seterr(err, errlen, "%s: damaged BMP: unknown header size %u", name, (unsigned)hsize);
    }
    if (check_dims(name, DS_IMG_BMP, w, h, err, errlen) < 0)
        return -1;
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return ds_seterr(err, errlen, "%s: damaged BMP: %d bits per pixel", name, bpp);
    /* uncompressed (BI_RGB, BI_BITFIELDS): the rows must all be there */
    uint64_t need = (uint64_t)le32(b + 10) + (uint64_t)h * ((((uint64_t)w * (uint64_t)bpp + 31) / 32) * 4);
    if ((comp == 0 || comp == 3) && need > n)
        return ds_seterr(err, errlen, "%s: the BMP image is truncated (%llu bytes needed, %zu present)", name,
                         (unsigned long long)need, n);
    info->w = (int)w;
    info->h = (int)h;
    return 0;
}

int ds_image_sniff(const void *buf, size_t n, const char *name, ds_img_info *info, char *err, size_t errlen)
{
    const unsigned char *b = buf;
    memset(info, 0, sizeof *info);
    ds_img_format want = ds_image_format_of_name(name), got = 0;
    if (n >= 8 && !memcmp(b, png_sig, 8))
        got = DS_IMG_PNG;
    else if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        got = DS_IMG_JPEG;
    else if (n >= 2 && b[0] == 'B' && b[1] == 'M')
        got = DS_IMG_BMP;
    if (!want)
        return ds_seterr(err, errlen, "%s: not an image name (.png, .jpg, .jpeg or .bmp)", name);
    if (!got) {
        char head[40] = "";
        for (size_t i = 0, k = 0; i < n && i < 8; i++)
            k += (size_t)snprintf(head + k, sizeof head - k, "%s%02x", i ? " " : "", b[i]);
        return ds_seterr(err, errlen, "%s: not a readable image: the content is not PNG, JPEG or BMP (%s%s)", name,
                         n ? "starts with " : "empty file", head);
    }
    if (got != want)
        return ds_seterr(err, errlen, "%s: the content is a %s image but the name says %s; rename the file", name,
                         ds_img_format_name(got), ds_img_format_name(want));
    info->format = got;
    if (got == DS_IMG_PNG)
        return png_sniff(b, n, name, info, err, errlen);
    if (got == DS_IMG_JPEG)
        return jpeg_sniff(b, n, name, info, err, errlen);
    return bmp_sniff(b, n, name, info, err, errlen);
}
