/* libFuzzer harness for the image-folder reader's header checks (src/data/imghdr.c): the
 * format by content against the name's extension, the pixel limits, a PNG's chunks, CRCs
 * and deflate data. The first input byte picks the file name (.png, .jpg, .jpeg, .bmp or
 * .txt), the rest is the file. On success the size must be within the limits and, for a
 * PNG, ds_png_clean's rebuilt file must pass again with the same size; on failure the
 * message names the file and is one line. When the first byte's bit 3 is set, every PNG
 * chunk's CRC is made right first, so mutations reach the IHDR, chunk-order and deflate
 * checks behind the CRC check. The seed corpus (tests/fuzz/corpus/folder) has the name
 * byte first: 0 png, 1 jpg, 2 jpeg, 3 bmp (+ 8: fix the CRCs).
 * Build: CC=clang meson setup build-fuzz -Dfuzz=true. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "data/imghdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const char *err, const char *name)
{
    if (!strstr(err, name))
        abort(); /* every message names the file */
    for (const char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20)
            abort(); /* and is one line */
}

/* Rewrites the CRC of every whole chunk after the 8-byte signature. */
static void fix_crcs(uint8_t *b, size_t n)
{
    for (size_t at = 8; at + 12 <= n;) {
        uint32_t len = (uint32_t)b[at] << 24 | (uint32_t)b[at + 1] << 16 | (uint32_t)b[at + 2] << 8 | b[at + 3];
        if (len > n - at - 12)
            break;
        uint32_t c = (uint32_t)crc32(0, b + at + 4, len + 4);
        for (int k = 0; k < 4; k++)
            b[at + 8 + len + (size_t)k] = (uint8_t)(c >> (24 - 8 * k));
        at += 12 + (size_t)len;
    }
}

static int one(const uint8_t *data, size_t size, const char *name);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"fuzz.png", "fuzz.jpg", "fuzz.jpeg", "fuzz.bmp", "fuzz.txt"};
    if (size < 1)
        return 0;
    const char *name = names[(data[0] & 7) % 5];
    if (!(data[0] & 8))
        return one(data + 1, size - 1, name);
    uint8_t *copy = malloc(size);
    memcpy(copy, data + 1, size - 1);
    fix_crcs(copy, size - 1);
    one(copy, size - 1, name);
    free(copy);
    return 0;
}

static int one(const uint8_t *data, size_t size, const char *name)
{
    char err[512];
    ds_img_info info;
    if (ds_image_sniff(data, size, name, &info, err, sizeof err) < 0) {
        check_message(err, name);
        return 0;
    }
    if (info.w <= 0 || info.h <= 0 || info.w > DS_IMAGE_MAX_SIDE || info.h > DS_IMAGE_MAX_SIDE ||
        (long)info.w * info.h > DS_IMAGE_MAX_PIXELS)
        abort();
    if (info.format == DS_IMG_PNG) {
        unsigned char *clean;
        size_t n;
        if (ds_png_clean(data, size, &clean, &n) < 0)
            abort();
        ds_img_info again;
        if (ds_image_sniff(clean, n, name, &again, err, sizeof err) < 0) {
            fprintf(stderr, "the cleaned PNG is refused: %s\n", err);
            abort();
        }
        if (again.w != info.w || again.h != info.h)
            abort();
        free(clean);
    }
    return 0;
}
