/* InceptionV3 (Keras applications, include_top=False) as a built-in base.
 *
 * The layers are exactly those of keras.applications.InceptionV3: conv2d_bn blocks of
 * Conv2D(use_bias=False) -> BatchNormalization(scale=False, epsilon 1e-3, momentum 0.99)
 * -> Activation('relu'), pooling layers and the Concatenate layers mixed0 .. mixed10
 * (mixed9_0, mixed9_1, concatenate, concatenate_1 inside mixed9 and mixed10).
 *
 * Names are Keras's automatic names in Keras's creation order (conv2d, conv2d_1, ...,
 * batch_normalization, ..., activation, ..., max_pooling2d, average_pooling2d), so they
 * match a fresh tf.keras session and the layer names of its .h5 files. The layers are
 * added in the order of Keras's model.layers (by depth from the output, ties by graph
 * traversal order), which is also the order of the layer_names list in .h5 files.
 *
 * Never includes SDL. */
#ifndef NN_INCEPTION_H
#define NN_INCEPTION_H

#include "model.h"

/* Smallest input height and width tf.keras accepts for InceptionV3 without top. */
#define NN_INCEPTION_MIN_SIZE 75

/* Adds InceptionV3 fed by layer `input` (an Input of shape (H, W, 3), H, W >= 75) up to
 * and including the layer named cut (e.g. "mixed7"; NULL or "" = the full base, "mixed10").
 * Only the layers the cut layer depends on are added. Returns the cut layer's index, or
 * -1 with the model's error set (bad input shape, unknown cut name, name clash). */
int nn_base_inception_v3(nn_model *m, int input, const char *cut);

#endif
