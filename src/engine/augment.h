/* The arithmetic of Keras's random image augmentations (RandomFlip, RandomRotation,
 * RandomZoom, RandomTranslation): the affine map each draws, and the projective warp of
 * one NHWC image with TF's ImageProjectiveTransformV3 semantics (what Keras 2's
 * `transform` and Keras 3's TensorFlow backend call). Forward and backward are a pair:
 * the warp is linear in the image (plus fill_value where it reads outside), so the
 * backward is its exact transpose. Never includes SDL. */
#ifndef NN_AUGMENT_H
#define NN_AUGMENT_H

#include <stdbool.h>

#include "model.h"
#include "rng.h"

/* How one warp reads: image size, fill mode, interpolation and fill_value. */
typedef struct {
    int h, w, c;
    nn_fill_mode fill;
    nn_interp interp;
    float fill_value;
} nn_warp_dims;

/* Sets d->t from its flip, angle, zoom and shift, as Keras builds the matrix of the
 * layer of that kind on an h x w image (keras/layers/preprocessing/image_preprocessing.py:
 * get_rotation_matrix, get_zoom_matrix, get_translation_matrix; flips as the map
 * x -> w - 1 - x, exact at whole pixels). */
void nn_augment_matrix(nn_augment_draw *d, nn_augment_kind kind, int h, int w);
/* Draws one example's transform for layer configuration c from rng and sets its matrix:
 * flips with probability 1/2 each (as tf.image.random_flip_*), angle, zoom and shift
 * uniform in c's ranges. */
void nn_augment_draw_one(nn_augment_draw *d, const nn_layer_cfg *c, int h, int w, nn_rng *rng);
/* out (h, w, c) = in warped by the transform t[8]. */
void nn_warp_forward(float *out, const float *in, const float t[8], const nn_warp_dims *g);
/* din += the transpose of the warp applied to dout (fill_value contributes nothing). */
void nn_warp_backward(float *din, const float *dout, const float t[8], const nn_warp_dims *g);
/* Maps coordinate v on an axis of len pixels as fill mode f does before interpolation
 * (TF's MapCoordinate; constant mode leaves it as it is). */
float nn_warp_map_coord(float v, int len, nn_fill_mode f);

/* Names: "reflect", "wrap", "constant", "nearest"; "bilinear", "nearest". Parse: -1
 * if unknown. */
const char *nn_fill_mode_name(nn_fill_mode f);
int nn_fill_mode_parse(const char *s);
const char *nn_interp_name(nn_interp i);
int nn_interp_parse(const char *s);

#endif
