/* NumPy .npy files: read versions 1.0, 2.0 and 3.0, write 1.0 (2.0 only if the header
 * needs it). dtypes: float32 '<f4', uint8 '|u1', int32 '<i4', int64 '<i8'; C order only.
 * Big-endian files ('>f4', ...) are read and converted; Fortran-order files are refused.
 *
 * The reader trusts nothing: magic, version, header syntax (a dict with exactly descr,
 * fortran_order and shape), dtype, shape overflow, and that the data fills the rest of
 * the file exactly are all checked before anything is allocated, so a lying header
 * cannot make it allocate more than the file holds.
 *
 * Errors: 0 / -1 (or NULL) with the reason, naming the file, in err. Never prints.
 * All writes go through atomicio (temp file + rename). */
#ifndef DS_NPY_H
#define DS_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_NPY_MAX_RANK 8

typedef enum {
    DS_F32 = 0,   /* '<f4' */
    DS_U8,        /* '|u1' */
    DS_I32,       /* '<i4' */
    DS_I64,       /* '<i8' */
    DS_DTYPE_COUNT
} ds_dtype;

/* Bytes per element (4, 1, 4, 8). */
size_t ds_dtype_size(ds_dtype t);
/* NumPy's descr string as written ("<f4", "|u1", "<i4", "<i8"). */
const char *ds_dtype_descr(ds_dtype t);
/* Readable name ("float32", "uint8", "int32", "int64"). */
const char *ds_dtype_name(ds_dtype t);

/* An array in memory. data holds count elements, little-endian, C order. */
typedef struct {
    ds_dtype dtype;
    int rank;                         /* 0 (a scalar) .. DS_NPY_MAX_RANK */
    size_t shape[DS_NPY_MAX_RANK];
    size_t count;                     /* product of shape (1 for rank 0) */
    void *data;                       /* owned; NULL when count is 0 */
} ds_npy;

/* What a header says, without the data. */
typedef struct {
    ds_dtype dtype;
    int rank;
    size_t shape[DS_NPY_MAX_RANK];
    size_t count;
    bool big_endian;                  /* the data must be byte-swapped on read */
    int major, minor;                 /* format version */
    size_t data_offset;               /* bytes before the data */
} ds_npy_header;

/* Reads a whole .npy file. On success *out owns its data (free with ds_npy_free).
 * -1 on any problem, err naming the file; *out is then empty. */
int ds_npy_read(const char *path, ds_npy *out, char *err, size_t errlen);
/* Same, from n bytes in memory; name is used in messages (e.g. the file it came from). */
int ds_npy_read_mem(const void *buf, size_t n, const char *name, ds_npy *out, char *err,
                    size_t errlen);
/* Parses and checks only the header of path (also that the file size matches). */
int ds_npy_read_header(const char *path, ds_npy_header *h, char *err, size_t errlen);
/* Frees a's data and empties it. NULL is fine. */
void ds_npy_free(ds_npy *a);

/* Writes count = prod(shape) elements of data as path, atomically.
 * rank may be 0 (a scalar). -1 on error (old file intact). */
int ds_npy_write(const char *path, ds_dtype dtype, int rank, const size_t *shape,
                 const void *data, char *err, size_t errlen);

/* Streaming writer for arrays whose first dimension grows: (rows, row_shape...).
 * The header is written with room for any row count and patched at close; the file
 * appears (atomically) only at close. */
typedef struct ds_npy_stream ds_npy_stream;

/* Starts path with rows of row_shape (row_rank 0 .. DS_NPY_MAX_RANK-1 dims).
 * Caller owns the result: finish with close or abort. NULL on error. */
ds_npy_stream *ds_npy_stream_open(const char *path, ds_dtype dtype, int row_rank,
                                  const size_t *row_shape, char *err, size_t errlen);
/* Appends n_rows rows (n_rows * row size elements). 0 or -1 (the stream stays usable
 * for abort only). */
int ds_npy_stream_append(ds_npy_stream *s, const void *rows, size_t n_rows, char *err,
                         size_t errlen);
/* Rows appended so far. */
size_t ds_npy_stream_rows(const ds_npy_stream *s);
/* Patches the shape, commits the file, frees s in every case. 0 or -1. */
int ds_npy_stream_close(ds_npy_stream *s, char *err, size_t errlen);
/* Drops the file being written (the old one, if any, stays); frees s. NULL is fine. */
void ds_npy_stream_abort(ds_npy_stream *s);

#endif
