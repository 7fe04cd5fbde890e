/* Image folders, as Keras reads them (flow_from_directory, image_dataset_from_directory):
 * a directory with one sub-folder per class, classes in alphabetical (byte) order, images
 * inside each in alphabetical order.
 *
 * Images are .png, .jpg, .jpeg and .bmp files (any case), checked first by imghdr.h
 * (format by content, matching the extension; at most 16 Mpixel and 16384 on a side;
 * a PNG's chunks, CRCs and data checked whole, so libpng, which would print to stderr, is
 * handed only sound files), then decoded by that format's loader only (IMG_LoadPNG_RW,
 * IMG_LoadJPG_RW, SDL_LoadBMP_RW; never IMG_Load, which decodes anything it recognises),
 * converted to RGB (alpha dropped, gray repeated, as PIL's convert('RGB')), scaled to
 * [0, 1] (x / 255) and resized to (h, w, 3) with ds_resize_bilinear (tf.image.resize's
 * bilinear, what image_dataset_from_directory uses; flow_from_directory defaults to
 * nearest-neighbour instead). Other files (README.txt, .DS_Store) are ignored, as Keras
 * ignores them; hidden files and folders are skipped.
 *
 * Each example's src is its index in the whole listing (class by class, files in order).
 * The validation split is seeded and stratified: each class gives its share.
 *
 * Errors: 0 / -1 with the reason in err, naming the file or folder. Never prints. */
#ifndef DS_FOLDER_H
#define DS_FOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"

typedef struct {
    int h, w;               /* output size; both > 0 */
    double val_fraction;    /* 0 <= f < 1: this share of each class goes to validation */
    int val_count;          /* > 0: this many validation examples instead (spread over classes) */
    uint64_t seed;          /* for the split */
    int max_per_class;      /* > 0: read at most this many images per class (the first ones) */
    double max_bytes;       /* > 0: the sets (images at h x w x 3, labels) must fit in this many
                             * bytes, checked once the files are listed, before any is read */
} ds_folder_opts;

/* 150x150, no validation, seed 0, no cap. */
ds_folder_opts ds_folder_opts_default(void);

typedef struct {
    ds_set train, val;      /* val.n == 0 without a split; both list all classes */
    char dir[512];
} ds_folder;

/* Reads dir. Caller owns *out (ds_folder_free). -1 on error: no such folder, fewer than
 * two class folders, an empty class folder, a file that is not a readable image (or a
 * truncated one), bad options; -2 when the images listed would not fit o->max_bytes
 * (nothing read or allocated for them). */
int ds_folder_load(const char *dir, const ds_folder_opts *o, ds_folder *out, char *err, size_t errlen);
void ds_folder_free(ds_folder *f);   /* NULL is fine */

/* Reads one image file as RGB floats in [0, 1], (h, w, 3) channels-last; *px is owned by
 * the caller (free). -1 with the file named in err: not a regular file (a named pipe is
 * refused without blocking), over 128 MiB, refused by ds_image_sniff, or not decodable. */
int ds_image_read(const char *path, float **px, int *h, int *w, char *err, size_t errlen);

#endif
