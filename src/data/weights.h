/* Weight directories: every parameter tensor of a model as `<dir>/<layer>.<param>.npy`
 * (float32, Keras layout, e.g. dense.kernel.npy (in, out), conv2d.kernel.npy
 * (kh, kw, in, out), batch_normalization.moving_mean.npy), readable by NumPy as is.
 *
 * Loading is all-or-nothing: every file is checked (a .npy, dtype float32, shape equal to
 * the parameter's, finite values) before any parameter changes; on error the model is
 * untouched and the message names the file and the layer.
 *
 * Errors: 0 / -1 with the reason in err. Never prints. */
#ifndef DS_WEIGHTS_H
#define DS_WEIGHTS_H

#include <stddef.h>

#include "engine/model.h"

typedef enum {
    /* Every parameter of the model needs its file, and every .npy file in the directory
     * must be a parameter of the model. */
    DS_WEIGHTS_STRICT = 0,
    /* Loads the layers that have files (all of such a layer's parameters must be there);
     * other layers keep their values; files naming no layer of the model are skipped and
     * listed in the report (for a pretrained base inside a bigger model). */
    DS_WEIGHTS_SUBSET,
} ds_weights_mode;

/* What a load did. Owned by the caller; release with ds_weights_report_free. */
typedef struct {
    int n_loaded;        /* layers whose parameters were loaded */
    int *loaded;         /* their indices in the model, in model order */
    int n_skipped;       /* SUBSET: .npy files that name no layer of the model */
    char **skipped;      /* their file names (without the directory), sorted */
} ds_weights_report;

/* Writes every parameter of m (finalized) into dir (created if needed), each file
 * atomically. Other files in dir are left alone. -1 on error, naming the file. */
int ds_weights_save(const nn_model *m, const char *dir, char *err, size_t errlen);
/* Loads dir into m (finalized) in the given mode. rep may be NULL; when given it is
 * filled on success and empty on failure. -1 on error (m unchanged). */
int ds_weights_load(nn_model *m, const char *dir, ds_weights_mode mode, ds_weights_report *rep,
                    char *err, size_t errlen);
/* Frees what a report holds and empties it. NULL is fine. */
void ds_weights_report_free(ds_weights_report *rep);
/* Writes "conv2d, conv2d_1, dense" (the loaded layers' names) into buf; returns buf. */
char *ds_weights_report_str(const nn_model *m, const ds_weights_report *rep, char *buf,
                            size_t n);

#endif
