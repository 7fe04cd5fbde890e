/* Image headers, checked before any decoder sees the file (issue 14). An image folder may
 * hold anything: SDL2_image's IMG_Load decodes whatever it recognises (an SVG named .png
 * crashed it) and allocates whatever size a header claims (a 1 KB PNG claiming 30000x30000
 * took 2.6 GB). So the format is chosen here from the content's magic bytes, must agree
 * with the name's extension, and the width and height read from the header must be within
 * the limits below before anything is decoded.
 *
 * Formats (what docs/lesson-format.md lists): PNG (.png), JPEG (.jpg, .jpeg), BMP (.bmp).
 *
 * A PNG is checked whole: chunk structure and every CRC, the IHDR fields, critical chunks
 * only where the standard allows them, and the zlib stream of its IDAT chunks inflated
 * (into a small buffer, nothing kept) to exactly the size the header implies, every row's
 * filter byte valid. libpng prints what it finds wrong straight to stderr (SDL2_image
 * installs no handler), so a PNG libpng would complain about is refused here instead, with
 * one message; ds_png_clean then hands libpng only the chunks it decodes.
 *
 * Pure functions of their input bytes (no I/O, no globals): the fuzz harness
 * tests/fuzz/fuzz_folder.c drives them. Errors: -1 with the reason in err, naming `name`. */
#ifndef DS_IMGHDR_H
#define DS_IMGHDR_H

#include <stddef.h>

/* Pixel limits: at most 16 Mpixel (4096x4096) and 16384 on a side. A 4096x4096 image
 * decodes to 64 MB (RGBA) plus 192 MB as floats; a larger one is a bomb or needs shrinking
 * before it becomes a 150x150 training example anyway. */
#define DS_IMAGE_MAX_PIXELS (4096L * 4096L)
#define DS_IMAGE_MAX_SIDE 16384
/* Image files larger than this (128 MiB) are not read at all. */
#define DS_IMAGE_MAX_FILE ((size_t)128 << 20)

typedef enum { DS_IMG_PNG = 1, DS_IMG_JPEG, DS_IMG_BMP } ds_img_format;

typedef struct {
    ds_img_format format;
    int w, h;          /* from the header; both within the limits */
} ds_img_info;

/* The format the name's extension promises (any case); 0 for none of them. */
ds_img_format ds_image_format_of_name(const char *name);

/* "PNG", "JPEG", "BMP". */
const char *ds_img_format_name(ds_img_format f);

/* Checks the n bytes of the image file `name` (only its extension and, in messages, the
 * whole name are used) and fills *info. -1 when the content is none of the formats, does
 * not match the extension, claims a size over the limits, or (PNG) is damaged; a JPEG
 * without its end-of-image marker is refused as truncated. */
int ds_image_sniff(const void *buf, size_t n, const char *name, ds_img_info *info, char *err, size_t errlen);

/* A PNG that passed ds_image_sniff, rebuilt with only IHDR, PLTE (color type 3 only,
 * padded with black to 2^depth entries, so no pixel indexes past it), the IDAT chunks and
 * IEND: the ancillary chunks libpng would warn about are gone (transparency and color
 * profiles do not matter once pixels become RGB). *out is malloc'd, owned by the caller;
 * -1 when out of memory. */
int ds_png_clean(const void *buf, size_t n, unsigned char **out, size_t *out_n);

#endif
