/* Labelled image sets, Fashion-MNIST loading and splitting, seeded batching, resizing.
 *
 * Fashion-MNIST comes from a directory: the explicit argument, else $DROPSCOPE_DATA, else
 * /usr/share/datasets/fashion-mnist/ (Debian's dataset-fashion-mnist package), holding
 * train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
 * t10k-labels-idx1-ubyte.gz.
 *
 * Everything random (validation split, size caps, epoch order) is drawn from nn_rng
 * seeded from the caller's seed: same seed, same sets, same batches.
 *
 * Errors: 0 / -1 (or NULL) with the reason, naming the file, in err. Never prints. */
#ifndef DS_DATASET_H
#define DS_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/rng.h"

#define DS_FMNIST_CLASSES 10
#define DS_FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define DS_FMNIST_HINT \
    "install Debian's dataset-fashion-mnist package or pass --data DIR / set DROPSCOPE_DATA"

/* n examples of shape (h, w, c), channels-last, with labels 0..k-1. */
typedef struct {
    int n, h, w, c;
    float *x;              /* n*h*w*c floats in [0, 1] */
    int32_t *y;            /* n labels, 0..k-1 */
    int32_t *src;          /* n: each example's index in its source file */
    int k;                 /* classes */
    int32_t *class_src;    /* k: each class's label in the source (e.g. 7 for Sneaker) */
    char **class_names;    /* k names */
    char source[512];      /* the file the images came from */
} ds_set;

/* Frees what s holds and empties it. NULL is fine. */
void ds_set_free(ds_set *s);
/* Floats per example (h*w*c). */
size_t ds_set_example_floats(const ds_set *s);
/* Copies examples rows[0..n) of s into x (n * h*w*c floats), y and src (n each); any of
 * the outputs may be NULL. Rows must be in [0, s->n). */
void ds_set_gather(const ds_set *s, const int32_t *rows, int n, float *x, int32_t *y,
                   int32_t *src);

/* ---- Fashion-MNIST ---- */

/* The ten class names in label order, as an initializer: the one list, for the dataset,
 * the lesson parser and the window. An initializer rather than an object so the parser
 * still builds without the data library (the fuzz harnesses link it alone). */
#define DS_FMNIST_CLASS_NAMES                                                              \
    {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",                                \
     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
/* "T-shirt/top", "Trouser", ..., "Ankle boot" for 0..9; NULL otherwise. */
const char *ds_fmnist_class_name(int label);
/* A class by number ("7") or name, case-insensitive, ignoring spaces, '-', '_' and '/'
 * ("sneaker", "Ankle boot", "ankle_boot", "tshirt", "t-shirt/top"); -1 if unknown. */
int ds_fmnist_class_parse(const char *s);
/* The directory used: dir if non-empty, else $DROPSCOPE_DATA if set and non-empty, else
 * DS_FMNIST_DEFAULT_DIR. The result is dir, the environment's string or a constant. */
const char *ds_fmnist_dir(const char *dir);

typedef struct {
    const char *dir;                 /* NULL: see ds_fmnist_dir */
    int n_classes;                   /* 0: all ten in label order */
    int classes[DS_FMNIST_CLASSES];  /* source labels; the new label is the position */
    int val_count;                   /* > 0: this many training-file examples for validation */
    double val_fraction;             /* when val_count == 0: this fraction (0 = none) */
    bool stratified;                 /* splits and caps keep the class proportions */
    uint64_t seed;                   /* for the split and the caps */
    int max_train, max_val, max_test;/* > 0: keep a seeded choice of this many */
    bool skip_test;                  /* do not read the t10k files */
} ds_fmnist_opts;

/* All ten classes, no validation, stratified, seed 0, no caps. */
ds_fmnist_opts ds_fmnist_opts_default(void);

typedef struct {
    ds_set train, val, test;         /* val.n == 0 when no validation was asked for */
    char dir[512];                   /* the directory read */
} ds_fmnist;

/* Loads the chosen classes (relabelled 0..k-1 in the order given), splits validation off
 * the training file, applies the caps. Examples keep their file order. Caller owns *out
 * (ds_fmnist_free). -1 on error (missing files: the message says how to install them). */
int ds_fmnist_load(const ds_fmnist_opts *o, ds_fmnist *out, char *err, size_t errlen);
void ds_fmnist_free(ds_fmnist *d);   /* NULL is fine */

/* ---- Batching ---- */

typedef struct ds_batcher ds_batcher;

/* Batches over set (which must outlive the batcher). shuffle: a fresh seeded order each
 * epoch, a function of (seed, epoch) only; otherwise file order. Caller owns the result
 * (ds_batcher_destroy). NULL on error (empty set, out of memory). */
ds_batcher *ds_batcher_create(const ds_set *set, uint64_t seed, bool shuffle, char *err,
                              size_t errlen);
void ds_batcher_destroy(ds_batcher *b);   /* NULL is fine */
/* Makes next() write images resized to (h, w, c) (bilinear; c may be 3 for a gray set).
 * 0 or -1. */
int ds_batcher_set_output(ds_batcher *b, int h, int w, int c, char *err, size_t errlen);
/* Floats per example that next() writes. */
size_t ds_batcher_example_floats(const ds_batcher *b);
/* Writes the next min(n, left in the epoch) examples into x, y, src (each may be NULL)
 * and returns how many; an exhausted epoch first starts the next one, so the result is
 * always >= 1 (Keras's fit: the last batch of an epoch may be short). -1 if n < 1. */
int ds_batcher_next(ds_batcher *b, int n, float *x, int32_t *y, int32_t *src);
/* The current epoch (0-based) and position in it. */
int ds_batcher_epoch(const ds_batcher *b);
int ds_batcher_pos(const ds_batcher *b);
/* Batches per epoch for batch size n (ceil(set size / n)). */
int ds_batcher_steps_per_epoch(const ds_batcher *b, int n);
/* Goes to the start of epoch e (replays exactly what that epoch gave). */
void ds_batcher_seek_epoch(ds_batcher *b, int epoch);

/* ---- Resizing ---- */

/* Bilinear resize of n images (h, w, c) to (oh, ow, oc) as TensorFlow 2's
 * tf.image.resize (half-pixel centres, no antialiasing). oc == c, or c == 1 and oc == 3
 * (gray repeated into three channels). in and out must not overlap. 0 or -1 (bad sizes). */
int ds_resize_bilinear(const float *in, int n, int h, int w, int c, float *out, int oh, int ow,
                       int oc, char *err, size_t errlen);

#endif
