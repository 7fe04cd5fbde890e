/* Keras .h5 weight files (Keras 2 / tf.keras layout), read and written through libhdf5.
 *
 * Layout (what model.save_weights writes, and the notop InceptionV3 files): the root
 * (or, in a full-model file from model.save, the group model_weights) has the attribute
 * layer_names, every layer in model.layers order; one group per layer with the attribute
 * weight_names ("conv2d/kernel:0", "batch_normalization/beta:0", ".../moving_mean:0",
 * ".../moving_variance:0"; empty for layers without weights), each name a float32 dataset
 * under the layer's group. Long attributes split into name0, name1, ... are read too.
 *
 * Within a layer, weights are matched to the model's parameters by the last part of their
 * name (kernel, bias, gamma, beta, moving_mean, moving_variance), or by position when the
 * names are not Keras 2 names.
 *
 * Loading is all-or-nothing: every weight is read and checked (float32, shape equal to the
 * parameter's, finite) before any parameter changes; on error the model is untouched and
 * the message names the file and the layer.
 *
 * Saving writes the same layout (Keras's load_weights reads it), atomically (the file is
 * built in memory, then written through atomicio: temp file + rename).
 *
 * HDF5's own error printing is switched off; its failures become messages. A weight
 * compressed with a filter libhdf5 lacks (LZF, Blosc: h5py's plugins) is named as such,
 * with how to re-save it; only regular files are opened (a named pipe would block).
 * Errors: 0 / -1 with the reason in err. Never prints. */
#ifndef DS_H5_H
#define DS_H5_H

#include <stddef.h>

#include "data/weights.h"
#include "engine/model.h"

typedef enum {
    /* By layer name: every layer of the model with weights must be in the file, and every
     * layer of the file with weights must be in the model. */
    DS_H5_STRICT = 0,
    /* By layer name: loads the model's layers that the file has (all of such a layer's
     * weights); other layers keep their values; file layers that the model lacks are
     * skipped and listed in the report (a pretrained base inside a bigger model). */
    DS_H5_SUBSET,
    /* Keras's load_weights(by_name=False): the file's layers with weights, in file order,
     * fill the model's layers with weights in model order, names ignored, within the
     * range given to ds_h5_load_order. The file may hold more layers than the range (a
     * base cut short of the file's, e.g. mixed7 of a full notop file): those are skipped
     * and listed. Needed for files saved by Keras 2.0-2.2, whose automatic names count
     * from 1 (conv2d_1) where tf.keras counts from 0 (conv2d). */
    DS_H5_ORDER,
} ds_h5_mode;

/* Loads path into m (finalized) by name (STRICT or SUBSET; ORDER = the whole model, as
 * ds_h5_load_order(m, path, 0, n_layers - 1, ...)). rep may be NULL; when given it is
 * filled on success (skipped = file layer names) and empty on failure. -1 on error. */
int ds_h5_load(nn_model *m, const char *path, ds_h5_mode mode, ds_weights_report *rep,
               char *err, size_t errlen);
/* By order into model layers first..last (e.g. a base's layers). The file must have at
 * least as many layers with weights as the range; extra ones at the end are skipped. */
int ds_h5_load_order(nn_model *m, const char *path, int first, int last, ds_weights_report *rep,
                     char *err, size_t errlen);
/* Loads a pretrained base (model layers first..last, e.g. input + 1 .. the cut layer)
 * the way the student's Keras code does: by name when the file names every layer of the
 * range that has weights (a tf.keras file), otherwise by order as load_weights does (a
 * Keras 2.0-2.2 file such as the notop InceptionV3 weights, conv2d_1 ...). Layers outside
 * the range are never touched; file layers not used are listed in rep->skipped. */
int ds_h5_load_base(nn_model *m, const char *path, int first, int last, ds_weights_report *rep,
                    char *err, size_t errlen);
/* Writes every layer of m (finalized) to path in the save_weights layout, atomically.
 * -1 on error (an existing file is left as it was). */
int ds_h5_save(const nn_model *m, const char *path, char *err, size_t errlen);
/* True when path is a regular file with the HDF5 signature (at offset 0, or after a user
 * block). Never blocks: a named pipe or a device is simply not HDF5. */
int ds_h5_is_hdf5(const char *path);

#endif
