/* The layers' arithmetic as plain forward/backward function pairs (llm.c style).
 *
 * Conventions, for every pair:
 * - Tensors are float32, channels-last, batch first: activations (N, H, W, C) or (N, D).
 * - Forward functions overwrite `out`.
 * - Backward functions ADD into their gradient outputs (din, dkernel, dbias, ...), so a
 *   tensor read by several layers accumulates its gradient; callers zero them first.
 *   Any gradient output may be NULL: that gradient is then not computed.
 * - Sizes are passed explicitly; nothing here allocates except where noted, and
 *   nothing here fails: callers check shapes before calling.
 * Never includes SDL. */
#ifndef NN_OPS_H
#define NN_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* A hot loop's AVX2 and AVX-512 versions beside the baseline x86-64 (SSE2) one, chosen at
 * load time (GCC's target_clones). Every version computes the same IEEE float results:
 * the same operations in the same order, no FMA contraction (-ffp-contract=off). Not under
 * ThreadSanitizer: ifunc resolvers run before its runtime is set up (crash at load). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__SANITIZE_THREAD__)
#define NN_MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NN_MULTIVERSION
#endif

/* 16 floats as one value (GCC's and clang's vector extensions), for the loops over whole
 * feature maps that the compiler does not vectorise well by itself: each clone of
 * NN_MULTIVERSION computes it in its widest registers (one AVX-512 register, two AVX2 or
 * four SSE2), element by element as the scalar code would. Loads and stores go through
 * memcpy (no alignment assumed). The helpers taking it must be static and inlined, so
 * the ABI note GCC gives about passing it is silenced. */
#if defined(__GNUC__)
#define NN_HAVE_V16 1
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float nn_v16f __attribute__((vector_size(64)));
typedef int nn_v16i __attribute__((vector_size(64)));
#define NN_V16 16
#endif

typedef enum {
    NN_ACT_LINEAR = 0,
    NN_ACT_RELU,
    NN_ACT_SIGMOID,
    NN_ACT_SOFTMAX,
    NN_ACT_RELU6,    /* min(max(x, 0), 6): Keras 3's 'relu6', ReLU(max_value=6) */
    NN_ACT_SWISH,    /* x * sigmoid(x): 'swish' (Keras 3 also 'silu') */
    NN_ACT_COUNT
} nn_act;

typedef enum {
    NN_PAD_VALID = 0,
    NN_PAD_SAME,
} nn_padding;

/* ---- Dense: y = x W + b; x (n, in), W (in, units), b (units) ---- */
void nn_dense_forward(float *out, const float *in, const float *kernel, const float *bias,
                      int n, int in_dim, int units);
void nn_dense_backward(float *din, float *dkernel, float *dbias, const float *dout,
                       const float *in, const float *kernel, int n, int in_dim, int units);
/* The one exception to "backward adds": dkernel and dbias are OVERWRITTEN (din still
 * adds). The model uses it because a Dense layer's weights get exactly one gradient
 * contribution per backward, so their 77 MB need not be cleared first. */
void nn_dense_backward_fresh(float *din, float *dkernel, float *dbias, const float *dout,
                             const float *in, const float *kernel, int n, int in_dim, int units);

/* ---- Activations, elementwise; softmax over the last axis (rows of row_len) ----
 * Backward uses the forward OUTPUT (relu: out > 0; relu6: 0 < out < 6, as TF's
 * relu6_grad; sigmoid: out(1-out); softmax: Jacobian), except swish, whose derivative
 * needs the input: nn_act_backward_x takes it (in may be NULL for the others). */
void nn_act_forward(float *out, const float *in, size_t rows, int row_len, nn_act act);
void nn_act_backward(float *din, const float *dout, const float *out, size_t rows, int row_len,
                     nn_act act);
void nn_act_backward_x(float *din, const float *dout, const float *out, const float *in, size_t rows,
                       int row_len, nn_act act);
/* True when the activation's backward needs the forward input (swish). */
bool nn_act_needs_input(nn_act act);

/* ---- Dropout (inverted): out = in * mask / (1 - rate) ----
 * nn_dropout_draw fills mask[i] = (u >= rate) with u ~ U[0,1) from rng, one draw per
 * element in order, and returns the number of dropped elements. */
size_t nn_dropout_draw(uint8_t *mask, size_t n, double rate, nn_rng *rng);
void nn_dropout_forward(float *out, const float *in, const uint8_t *mask, size_t n, double rate);
void nn_dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n, double rate);
/* Keras's noise_shape (SpatialDropout1D/2D/3D, Dropout(noise_shape=...)): dims is the
 * tensor's shape, batch first (rank axes); noise[k] is 1 (one draw shared along axis k)
 * or dims[k]. Draws one uniform per noise element, in row-major order of the noise
 * shape, and writes the broadcast mask per ELEMENT (prod(dims) bytes, as
 * nn_dropout_draw, so forward, backward and the trace read it unchanged). Returns the
 * number of dropped elements. */
size_t nn_dropout_draw_shaped(uint8_t *mask, const int *dims, const int *noise, int rank, double rate,
                              nn_rng *rng);

/* ---- GaussianDropout: out = in * noise, noise ~ N(1, rate / (1 - rate)) ----
 * nn_gaussian_noise_draw fills noise[i] = z * float(sqrt(rate/(1-rate))) + 1, z ~ N(0,1),
 * for 0 < rate < 1 (Keras applies no noise otherwise). */
void nn_gaussian_noise_draw(float *noise, size_t n, double rate, nn_rng *rng);
void nn_gaussian_dropout_forward(float *out, const float *in, const float *noise, size_t n);
void nn_gaussian_dropout_backward(float *din, const float *dout, const float *noise, size_t n);

/* ---- AlphaDropout: out = a * (in * mask + alpha_p * (1 - mask)) + b ----
 * Keras's constants, in double: alpha_p = -1.7580993408473766,
 * a = ((1-rate) * (1 + rate * alpha_p^2))^-0.5, b = -a * alpha_p * rate; the functions
 * use them cast to float32, as Keras does. Backward: din += dout * a * mask. */
typedef struct {
    double a, b, alpha_p;
} nn_alpha_consts;
nn_alpha_consts nn_alpha_dropout_consts(double rate);
void nn_alpha_dropout_forward(float *out, const float *in, const uint8_t *mask, size_t n, double rate);
void nn_alpha_dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n, double rate);

/* ---- Conv2D: kernel (kh, kw, c, filters), Keras padding rules ---- */
typedef struct {
    int n, h, w, c;          /* input */
    int kh, kw, filters;
    int sh, sw;              /* strides */
    nn_padding padding;
    int oh, ow;              /* output, filled by nn_conv_dims_init */
    int pad_top, pad_left;   /* 'same': TensorFlow puts the odd pixel at the bottom/right */
} nn_conv_dims;
/* Fills oh, ow, pad_top, pad_left; returns false when the output would be empty. */
bool nn_conv_dims_init(nn_conv_dims *d);
/* Floats of scratch memory the conv functions need for this shape. */
size_t nn_conv2d_scratch_floats(const nn_conv_dims *d);
void nn_conv2d_forward(float *out, const float *in, const float *kernel, const float *bias,
                       const nn_conv_dims *d, float *scratch);
void nn_conv2d_backward(float *din, float *dkernel, float *dbias, const float *dout,
                        const float *in, const float *kernel, const nn_conv_dims *d,
                        float *scratch);

/* ---- Pooling (pool ph x pw, strides sh, sw) ----
 * AveragePooling2D with 'same' padding divides by the number of real (unpadded)
 * pixels in the window, as TensorFlow does. */
typedef struct {
    int n, h, w, c;
    int ph, pw, sh, sw;
    nn_padding padding;
    int oh, ow, pad_top, pad_left;
} nn_pool_dims;
bool nn_pool_dims_init(nn_pool_dims *d);
/* argmax: one int32 per output element (index into the input), for backward. */
void nn_maxpool2d_forward(float *out, int32_t *argmax, const float *in, const nn_pool_dims *d);
void nn_maxpool2d_backward(float *din, const float *dout, const int32_t *argmax,
                           const nn_pool_dims *d);
void nn_avgpool2d_forward(float *out, const float *in, const nn_pool_dims *d);
void nn_avgpool2d_backward(float *din, const float *dout, const nn_pool_dims *d);

/* ---- GlobalAveragePooling2D: (n, hw, c) -> (n, c) ---- */
void nn_gap2d_forward(float *out, const float *in, int n, int hw, int c);
void nn_gap2d_backward(float *din, const float *dout, int n, int hw, int c);

/* ---- BatchNormalization over the last axis; rows = n*h*w ----
 * gamma may be NULL (scale=False: 1), beta may be NULL (center=False: 0).
 * Training: normalise with the batch mean and biased variance; update the moving
 * statistics as Keras: moving = moving * momentum + batch * (1 - momentum), where the
 * variance fed to the moving average is the unbiased one (rows / (rows - 1)), as TF's
 * fused kernel does. xhat (rows*c), mean (c) and invstd (c) are saved for backward. */
typedef struct {
    size_t rows;
    int c;
    float eps;
    float momentum;
} nn_bn_dims;
void nn_bn_forward_train(float *out, float *xhat, float *mean, float *invstd,
                         float *moving_mean, float *moving_var, const float *in,
                         const float *gamma, const float *beta, const nn_bn_dims *d);
void nn_bn_backward_train(float *din, float *dgamma, float *dbeta, const float *dout,
                          const float *xhat, const float *invstd, const float *gamma,
                          const nn_bn_dims *d);
/* Inference: y = (x - moving_mean) / sqrt(moving_var + eps) * gamma + beta. */
void nn_bn_forward_infer(float *out, const float *in, const float *gamma, const float *beta,
                         const float *moving_mean, const float *moving_var,
                         const nn_bn_dims *d);
void nn_bn_backward_infer(float *din, float *dgamma, float *dbeta, const float *dout,
                          const float *in, const float *gamma, const float *moving_mean,
                          const float *moving_var, const nn_bn_dims *d);

/* ---- Concatenate along the last axis: inputs i have chans[i] channels, rows each ---- */
void nn_concat_forward(float *out, const float *const *ins, const int *chans, int n_in,
                       size_t rows);
void nn_concat_backward(float *const *dins, const float *dout, const int *chans, int n_in,
                        size_t rows);

/* ---- Losses from logits, mean over the batch ----
 * Binary cross-entropy on one logit per example: max(z,0) - z*y + log1p(exp(-|z|));
 * dlogits (may be NULL) receives (sigmoid(z) - y) / n (overwritten, not added). */
double nn_bce_logits(float *dlogits, const float *logits, const int32_t *labels, int n);
/* Sparse categorical cross-entropy on k logits per example (log-sum-exp);
 * dlogits receives (softmax(z) - onehot(y)) / n. Labels outside [0, k) give NAN. */
double nn_scce_logits(float *dlogits, const float *logits, const int32_t *labels, int n, int k);
/* Keras binary accuracy: sigmoid(z) computed in float32, then p > 0.5 (strict). Returns
 * the number correct. */
int nn_binary_correct(const float *logits, const int32_t *labels, int n);
/* Categorical accuracy: argmax (first maximum) equals the label. */
int nn_categorical_correct(const float *logits, const int32_t *labels, int n, int k);

/* ---- ZeroPadding2D: (n, h, w, c) -> (n, h + top + bottom, w + left + right, c) ---- */
typedef struct {
    int n, h, w, c;
    int top, bottom, left, right;
} nn_pad_dims;
void nn_zeropad2d_forward(float *out, const float *in, const nn_pad_dims *d);
void nn_zeropad2d_backward(float *din, const float *dout, const nn_pad_dims *d);

/* ---- DepthwiseConv2D: kernel (kh, kw, c, depth_multiplier) in an nn_conv_dims whose
 * `filters` is the depth multiplier; output channel ci * dm + k reads input channel ci
 * (Keras's order). Output (n, oh, ow, c * dm). No scratch. ---- */
void nn_depthwise_forward(float *out, const float *in, const float *kernel, const float *bias,
                          const nn_conv_dims *d);
void nn_depthwise_backward(float *din, float *dkernel, float *dbias, const float *dout,
                           const float *in, const float *kernel, const nn_conv_dims *d);

/* ---- Element-wise merges with Keras's broadcasting (Add, Multiply) ----
 * Every input has the output's rank; each of its axes equals the output's or is 1
 * (broadcast). dims[k] of input i are given in in_dims[i * rank + k]; rank counts the
 * batch axis. Multiply's backward needs the inputs. */
typedef enum { NN_MERGE_ADD = 0, NN_MERGE_MUL } nn_merge_op;
void nn_merge_forward(float *out, const float *const *ins, const int *in_dims, int n_in,
                      const int *out_dims, int rank, nn_merge_op op);
void nn_merge_backward(float *const *dins, const float *dout, const float *const *ins,
                       const int *in_dims, int n_in, const int *out_dims, int rank, nn_merge_op op);

/* ---- ReLU layer with max_value (NAN or INFINITY = None): min(max(x, 0), max_value);
 * the gradient passes where 0 < out < max_value ---- */
void nn_relu_max_forward(float *out, const float *in, size_t n, float max_value);
void nn_relu_max_backward(float *din, const float *dout, const float *out, size_t n, float max_value);

/* ---- GlobalMaxPooling2D: (n, hw, c) -> (n, c); argmax (n * c) for backward ---- */
void nn_gmp2d_forward(float *out, int32_t *argmax, const float *in, int n, int hw, int c);
void nn_gmp2d_backward(float *din, const float *dout, const int32_t *argmax, int n, int hw, int c);

/* ---- Rescaling: y = x * scale[ch] + offset[ch] over rows of c channels (Keras's
 * inputs * scale + offset); backward din += dy * scale ---- */
void nn_affine_forward(float *out, const float *in, const float *scale, const float *offset, size_t rows, int c);
void nn_affine_backward(float *din, const float *dout, const float *scale, size_t rows, int c);
/* ---- Normalization: y = (x - mean[ch]) / den[ch], den = max(sqrt(variance), 1e-7) as
 * Keras computes it (nn_norm_den fills den); backward din += dy / den ---- */
void nn_norm_den(float *den, const float *variance, int c);
void nn_norm_forward(float *out, const float *in, const float *mean, const float *den, size_t rows, int c);
void nn_norm_backward(float *din, const float *dout, const float *den, size_t rows, int c);

/* Keras glorot_uniform: U[-limit, limit], limit = sqrt(6 / (fan_in + fan_out)). */
void nn_glorot_uniform(float *w, size_t n, int fan_in, int fan_out, nn_rng *rng);

#endif
