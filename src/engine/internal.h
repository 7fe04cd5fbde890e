/* Helpers the engine's own files share; not part of the engine's interface (nothing
 * outside src/engine includes this). Never includes SDL. */
#ifndef NN_INTERNAL_H
#define NN_INTERNAL_H

#include "model.h"

/* Writes the printf-style message into m->err (what nn_model_error returns); returns -1
 * so that a failing function can end with `return nn_model_fail(m, ...)`. */
int nn_model_fail(nn_model *m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Large buffers (bigalloc.c): on Linux, 2 MiB-aligned and advised onto transparent huge
 * pages from 2 MiB up, which saves most of the first step's page faults; plain malloc and
 * calloc below that or elsewhere. Freed with free(). NULL when out of memory. */
void *nn_big_alloc(size_t bytes);
void *nn_big_calloc(size_t n, size_t size);

/* An inference forward in which only the last layer's output (layer n_layers - 1, and
 * the output layer's) is kept; the layers before it may skip writing theirs where two
 * layers run faster as one (a BatchNormalization and the activation after it). For the
 * frozen prefix, whose inner outputs nothing reads. The last layer's output is what
 * nn_model_forward gives, to the bit. 0, or -1 with the model's error set. */
int nn_model_forward_last(nn_model *m, const float *x, int n);

/* One inference forward of examples [i, i + k) of a set, for nn_model_eval_loop. */
typedef int (*nn_chunk_forward)(nn_model *m, int i, int k, const void *ctx);
/* Inference-mode loss and accuracy over n examples cut into NN_EVAL_CHUNK chunks, each
 * run by forward: the one loop behind nn_model_evaluate and nn_model_evaluate_from, so
 * both cut and sum a set alike. 0, or -1 with the model's error set. */
int nn_model_eval_loop(nn_model *m, const int32_t *labels, int n, nn_chunk_forward forward,
                       const void *ctx, double *loss, double *accuracy);

/* The dropout family as layers (dropout_layer.c). Infer: checks the rate and the
 * noise_shape against the input (SpatialDropoutND fill in theirs) and sets out_shape;
 * 0 or -1 naming the layer. Forward: identity in inference; in training draws the mask
 * (or Gaussian noise) from m->dropout_rng unless mask_override is set; -1 for Dropout at
 * rate 1. Backward adds into din. */
int nn_dropout_layer_infer(nn_model *m, nn_layer *l, nn_shape in);
int nn_dropout_layer_forward(nn_model *m, nn_layer *l, const float *in, int n, bool training);
void nn_dropout_layer_backward(const nn_layer *l, float *din, const float *dy, int n);

/* The augmentation layers (augment_layer.c), handed over by layer_extra.c. Infer: checks
 * the (H, W, C) input, the mode, the factor ranges; 0 or -1 naming the layer. Bytes/alloc:
 * the per-example draws (l->aug). Forward: identity in inference; in training one draw per
 * example from m->augment_rng (mask_valid then set). Backward adds into din. */
int nn_augment_layer_infer(nn_model *m, nn_layer *l, nn_shape in);
size_t nn_augment_layer_bytes(const nn_layer *l, int n);
int nn_augment_layer_alloc(nn_model *m, nn_layer *l, int n);
int nn_augment_layer_forward(nn_model *m, nn_layer *l, const float *in, int n, bool training);
void nn_augment_layer_backward(const nn_layer *l, float *din, const float *dy, int n);

/* Declares parameter name of the given shape on l (rank 0: a scalar). */
void nn_layer_add_param(nn_layer *l, const char *name, nn_shape shape, bool is_stat);
/* The convolution dims of l (Conv2D, DepthwiseConv2D, SeparableConv2D's depthwise step)
 * on input shape in for n examples, with `filters` output filters (the depth multiplier
 * for the depthwise ones); false when the output would be empty. */
bool nn_layer_conv_dims(const nn_layer *l, const nn_shape *in, int n, int filters, nn_conv_dims *d);

/* The layers of layer_extra.c (types after NN_CONCAT). Infer: checks the inputs, sets
 * out_shape, declares parameters; 0 or -1 naming the layer. Bytes/alloc: the buffers
 * beyond out/dout for n examples (also a swish Dense/Conv2D's pre-activations). Forward
 * (before the activation, which model.c applies) and backward (from dy, the gradient
 * after the activation; adds into the inputs' dout; weight gradients when train). */
bool nn_layer_type_has_act(nn_layer_type t);
int nn_extra_layer_infer(nn_model *m, nn_layer *l, nn_shape in);
size_t nn_extra_layer_bytes(const nn_model *m, const nn_layer *l, int n);
int nn_extra_layer_alloc(nn_model *m, nn_layer *l, int n);
int nn_extra_layer_forward(nn_model *m, nn_layer *l, int n, bool training);
void nn_extra_layer_backward(nn_model *m, nn_layer *l, int n, const float *dy, bool train);

/* Optimizer state tensors per trainable weight tensor (optimizer.c). */
int nn_opt_slots(const nn_optimizer_cfg *o);

#endif
