/* The Keras vocabulary: see vocab.h. Keras's signatures are those of TensorFlow 2.x's
 * tf.keras (docs/keras-import.md); the lesson's lists are what docs/lesson-format.md
 * documents. */
#include "lesson/vocab.h"

#include <string.h>

#include "lesson/text.h"

/* Keras's own arguments, in Keras's order. */
static const char *const k_dense[] = {"units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                                      "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                      "kernel_constraint", "bias_constraint", NULL};
static const char *const k_conv[] = {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                                     "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                                     "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                     "kernel_constraint", "bias_constraint", NULL};
static const char *const k_pool[] = {"pool_size", "strides", "padding", "data_format", NULL};
static const char *const k_gap[] = {"data_format", "keepdims", NULL};
static const char *const k_bn[] = {"axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                                   "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                                   "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                                   "renorm", "fused", "virtual_batch_size", NULL};
static const char *const k_act[] = {"activation", NULL};
static const char *const k_flat[] = {"data_format", NULL};
static const char *const k_drop[] = {"rate", "noise_shape", "seed", NULL};
static const char *const k_sdrop1[] = {"rate", NULL};
static const char *const k_sdrop[] = {"rate", "data_format", NULL};
static const char *const k_gauss[] = {"rate", "seed", NULL};
static const char *const k_cat[] = {"axis", NULL};
/* the keras.applications layers (issue 15), TF 2.x signatures */
static const char *const k_zpad[] = {"padding", "data_format", NULL};
static const char *const k_dw[] = {"kernel_size", "strides", "padding", "depth_multiplier", "data_format",
                                   "dilation_rate", "activation", "use_bias", "depthwise_initializer",
                                   "bias_initializer", "depthwise_regularizer", "bias_regularizer",
                                   "activity_regularizer", "depthwise_constraint", "bias_constraint", NULL};
static const char *const k_sep[] = {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                                    "depth_multiplier", "activation", "use_bias", "depthwise_initializer",
                                    "pointwise_initializer", "bias_initializer", "depthwise_regularizer",
                                    "pointwise_regularizer", "bias_regularizer", "activity_regularizer",
                                    "depthwise_constraint", "pointwise_constraint", "bias_constraint", NULL};
static const char *const k_merge[] = {NULL};
static const char *const k_relu[] = {"max_value", "negative_slope", "threshold", NULL};
static const char *const k_reshape[] = {"target_shape", NULL};
static const char *const k_rescale[] = {"scale", "offset", NULL};
static const char *const k_norm[] = {"axis", "mean", "variance", "invert", NULL};
/* the random augmentations, Keras 2's signatures (name sits among them positionally there;
 * a script names it), then Keras 3's additions: data_format (channels_last only), and
 * RandomRotation's value_range (Keras 3.0-3.5) */
static const char *const k_flip[] = {"mode", "seed", "data_format", NULL};
static const char *const k_rot[] = {"factor", "fill_mode", "interpolation", "seed", "fill_value", "value_range",
                                    "data_format", NULL};
static const char *const k_zoom[] = {"height_factor", "width_factor", "fill_mode", "interpolation", "seed",
                                     "fill_value", "data_format", NULL};
static const char *const k_input[] = {"shape", "batch_size", "name", "dtype", "sparse", "tensor", "ragged",
                                      "type_spec", NULL};
static const char *const k_inlayer[] = {"input_shape", "batch_size", "dtype", "input_tensor", "sparse", "name",
                                        "ragged", "type_spec", NULL};

/* What a lesson accepts. The order is the one its "its arguments: ..." messages print. */
static const char *const l_input[] = {"shape", "name", NULL};
static const char *const l_dense[] = {"units", "activation", "use_bias", "name", "trainable", "input_shape", NULL};
static const char *const l_conv[] = {"filters", "kernel_size", "strides", "padding", "activation", "use_bias",
                                     "data_format", "name", "trainable", "input_shape", NULL};
static const char *const l_pool[] = {"pool_size", "strides", "padding", "data_format", "name", "trainable",
                                     "input_shape", NULL};
static const char *const l_gap[] = {"data_format", "keepdims", "name", "trainable", NULL};
static const char *const l_bn[] = {"axis", "momentum", "epsilon", "center", "scale", "name", "trainable", NULL};
static const char *const l_act[] = {"activation", "name", "trainable", NULL};
static const char *const l_flat[] = {"data_format", "name", "trainable", "input_shape", NULL};
static const char *const l_drop[] = {"rate", "noise_shape", "seed", "name", "trainable", NULL};
static const char *const l_sdrop1[] = {"rate", "name", "trainable", NULL};
static const char *const l_sdrop[] = {"rate", "data_format", "name", "trainable", NULL};
static const char *const l_gauss[] = {"rate", "seed", "name", "trainable", NULL};
static const char *const l_cat[] = {"axis", "name", "trainable", NULL};

static const char *const l_zpad[] = {"padding", "data_format", "name", "trainable", NULL};
static const char *const l_dw[] = {"kernel_size", "strides", "padding", "depth_multiplier", "activation", "use_bias",
                                   "data_format", "name", "trainable", NULL};
static const char *const l_sep[] = {"filters", "kernel_size", "strides", "padding", "depth_multiplier", "activation",
                                    "use_bias", "data_format", "name", "trainable", NULL};
static const char *const l_merge[] = {"name", "trainable", NULL};
static const char *const l_relu[] = {"max_value", "negative_slope", "threshold", "name", "trainable", NULL};
static const char *const l_reshape[] = {"target_shape", "name", "trainable", NULL};
static const char *const l_rescale[] = {"scale", "offset", "name", "trainable", "input_shape", NULL};
static const char *const l_norm[] = {"axis", "mean", "variance", "invert", "name", "trainable", "input_shape", NULL};

static const char *const l_flip[] = {"mode", "seed", "name", "trainable", "input_shape", NULL};
static const char *const l_rot[] = {"factor", "fill_mode", "interpolation", "fill_value", "seed", "name", "trainable",
                                    "input_shape", NULL};
static const char *const l_zoom[] = {"height_factor", "width_factor", "fill_mode", "interpolation", "fill_value", "seed",
                                     "name", "trainable", "input_shape", NULL};

static const char *const a_conv[] = {"Convolution2D", NULL};
static const char *const a_maxpool[] = {"MaxPool2D", NULL};
static const char *const a_avgpool[] = {"AvgPool2D", NULL};
static const char *const a_gap[] = {"GlobalAvgPool2D", NULL};
static const char *const a_gmp[] = {"GlobalMaxPool2D", NULL};
static const char *const a_sep[] = {"SeparableConvolution2D", NULL};

/* The order is the lesson's list of layers in "unknown layer" messages (InputLayer,
 * a second spelling of Input there, is left out of it). */
const ls_vocab_layer ls_vocab_layers[] = {
    {"Input", NULL, NN_INPUT, true, k_input, 8, l_input, 1, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"InputLayer", NULL, NN_INPUT, false, k_inlayer, 8, l_input, 1, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Dense", NULL, NN_DENSE, false, k_dense, 10, l_dense, 2, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Conv2D", a_conv, NN_CONV2D, false, k_conv, 16, l_conv, 4, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"MaxPooling2D", a_maxpool, NN_MAXPOOL2D, false, k_pool, 4, l_pool, 3, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"AveragePooling2D", a_avgpool, NN_AVGPOOL2D, false, k_pool, 4, l_pool, 3, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"GlobalAveragePooling2D", a_gap, NN_GAP2D, false, k_gap, 2, l_gap, 0, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"BatchNormalization", NULL, NN_BATCHNORM, false, k_bn, 13, l_bn, 5, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Activation", NULL, NN_ACTIVATION, false, k_act, 1, l_act, 1, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Flatten", NULL, NN_FLATTEN, false, k_flat, 1, l_flat, 0, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Dropout", NULL, NN_DROPOUT, false, k_drop, 3, l_drop, 3, NN_DROP_PLAIN, NN_AUG_FLIP},
    /* the dropout family (Keras 2: keras/layers/core/spatial_dropout.py, keras/layers/noise.py;
     * GaussianDropout's seed= is Keras 2.11's) */
    {"SpatialDropout1D", NULL, NN_DROPOUT, false, k_sdrop1, 1, l_sdrop1, 1, NN_DROP_SPATIAL1D, NN_AUG_FLIP},
    {"SpatialDropout2D", NULL, NN_DROPOUT, false, k_sdrop, 2, l_sdrop, 2, NN_DROP_SPATIAL2D, NN_AUG_FLIP},
    {"SpatialDropout3D", NULL, NN_DROPOUT, false, k_sdrop, 2, l_sdrop, 2, NN_DROP_SPATIAL3D, NN_AUG_FLIP},
    {"GaussianDropout", NULL, NN_DROPOUT, false, k_gauss, 1, l_gauss, 1, NN_DROP_GAUSSIAN, NN_AUG_FLIP},
    {"AlphaDropout", NULL, NN_DROPOUT, false, k_drop, 3, l_drop, 3, NN_DROP_ALPHA, NN_AUG_FLIP},
    {"Concatenate", NULL, NN_CONCAT, false, k_cat, 1, l_cat, 1, NN_DROP_PLAIN, NN_AUG_FLIP},
    /* the keras.applications bases' layers (issue 15) */
    {"ZeroPadding2D", NULL, NN_ZEROPAD2D, false, k_zpad, 2, l_zpad, 1, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"DepthwiseConv2D", NULL, NN_DEPTHWISE_CONV2D, false, k_dw, 15, l_dw, 4, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"SeparableConv2D", a_sep, NN_SEPARABLE_CONV2D, false, k_sep, 19, l_sep, 4, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Add", NULL, NN_ADD, false, k_merge, 0, l_merge, 0, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Multiply", NULL, NN_MULTIPLY, false, k_merge, 0, l_merge, 0, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"ReLU", NULL, NN_RELU, false, k_relu, 3, l_relu, 3, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Reshape", NULL, NN_RESHAPE, false, k_reshape, 1, l_reshape, 1, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"GlobalMaxPooling2D", a_gmp, NN_GMP2D, false, k_gap, 2, l_gap, 0, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Rescaling", NULL, NN_RESCALING, false, k_rescale, 2, l_rescale, 2, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"Normalization", NULL, NN_NORMALIZATION, false, k_norm, 4, l_norm, 4, NN_DROP_PLAIN, NN_AUG_FLIP},
    /* random augmentations (issue 15, item 3): active only in training, like Dropout */
    {"RandomFlip", NULL, NN_AUGMENT, false, k_flip, 2, l_flip, 1, NN_DROP_PLAIN, NN_AUG_FLIP},
    {"RandomRotation", NULL, NN_AUGMENT, false, k_rot, 4, l_rot, 1, NN_DROP_PLAIN, NN_AUG_ROTATION},
    {"RandomZoom", NULL, NN_AUGMENT, false, k_zoom, 5, l_zoom, 2, NN_DROP_PLAIN, NN_AUG_ZOOM},
    {"RandomTranslation", NULL, NN_AUGMENT, false, k_zoom, 5, l_zoom, 2, NN_DROP_PLAIN, NN_AUG_TRANSLATION},
    {NULL, NULL, 0, false, NULL, 0, NULL, 0, NN_DROP_PLAIN, NN_AUG_FLIP},
};

const char *const ls_vocab_common_args[] = {"name", "trainable", "input_shape", "input_dim", "batch_input_shape",
                                            "dtype", NULL};

const ls_vocab_layer *ls_vocab_layer_find(const char *s, size_t n, const char **spelling)
{
    if (n >= 40)
        return NULL;
    char a[48], b[48];
    ls_squash(s, n, a, sizeof a);
    for (const ls_vocab_layer *e = ls_vocab_layers; e->keras; e++) {
        ls_squash(e->keras, strlen(e->keras), b, sizeof b);
        if (!strcmp(a, b)) {
            *spelling = e->keras;
            return e;
        }
        for (int i = 0; e->aliases && e->aliases[i]; i++) {
            ls_squash(e->aliases[i], strlen(e->aliases[i]), b, sizeof b);
            if (!strcmp(a, b)) {
                *spelling = e->aliases[i];
                return e;
            }
        }
    }
    return NULL;
}

int ls_vocab_layer_words(const char **out, int max)
{
    int n = 0;
    for (const ls_vocab_layer *e = ls_vocab_layers; e->keras && n < max; e++) {
        bool seen = false;
        for (const ls_vocab_layer *f = ls_vocab_layers; f < e; f++)
            seen |= f->type == e->type && f->drop_kind == e->drop_kind && f->aug_kind == e->aug_kind;
        if (!seen)
            out[n++] = e->keras;
    }
    if (n < max)
        out[n] = NULL;
    return n;
}

const ls_vocab_layer *ls_vocab_layer_of_type(nn_layer_type t)
{
    for (const ls_vocab_layer *e = ls_vocab_layers; e->keras; e++)
        if (e->type == t && !e->function && e->drop_kind == NN_DROP_PLAIN)
            return e;
    return NULL;
}

static const char *const k_sgd[] = {"learning_rate", "momentum", "nesterov", "name", "lr", "decay", "clipnorm",
                                    "clipvalue", "global_clipnorm", "weight_decay", "use_ema", "jit_compile", NULL};
static const char *const k_rms[] = {"learning_rate", "rho", "momentum", "epsilon", "centered", "name", "lr",
                                    "decay", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "use_ema",
                                    "jit_compile", NULL};
static const char *const k_adam[] = {"learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "name", "lr",
                                     "decay", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "use_ema",
                                     "jit_compile", NULL};
static const char *const k_adagrad[] = {"learning_rate", "initial_accumulator_value", "epsilon", "name", "lr",
                                        "decay", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay",
                                        "use_ema", "jit_compile", NULL};
static const char *const k_adadelta[] = {"learning_rate", "rho", "epsilon", "name", "lr", "decay", "clipnorm",
                                         "clipvalue", "global_clipnorm", "weight_decay", "use_ema", "jit_compile",
                                         NULL};
static const char *const l_sgd[] = {"learning_rate", "lr", "momentum", "nesterov", "decay", NULL};
static const char *const l_rms[] = {"learning_rate", "lr", "rho", "momentum", "epsilon", "centered", "decay", NULL};
static const char *const l_adam[] = {"learning_rate", "lr", "beta_1", "beta_2", "epsilon", "amsgrad", "decay", NULL};
static const char *const l_adagrad[] = {"learning_rate", "lr", "initial_accumulator_value", "epsilon", "decay", NULL};
static const char *const l_adadelta[] = {"learning_rate", "lr", "rho", "epsilon", "decay", NULL};

const ls_vocab_optimizer ls_vocab_optimizers[LS_VOCAB_OPTIMIZERS] = {
    [NN_OPT_SGD] = {"sgd", "SGD", k_sgd, 4, l_sgd, 1},
    [NN_OPT_RMSPROP] = {"rmsprop", "RMSprop", k_rms, 6, l_rms, 1},
    [NN_OPT_ADAM] = {"adam", "Adam", k_adam, 6, l_adam, 1},
    [NN_OPT_ADAGRAD] = {"adagrad", "Adagrad", k_adagrad, 4, l_adagrad, 1},
    [NN_OPT_ADADELTA] = {"adadelta", "Adadelta", k_adadelta, 4, l_adadelta, 1},
};

static const char *const k_bce[] = {"from_logits", "label_smoothing", "axis", "reduction", "name", NULL};
static const char *const k_scce[] = {"from_logits", "ignore_class", "reduction", "name", NULL};

const ls_vocab_loss ls_vocab_losses[LS_VOCAB_LOSSES] = {
    {"binary_crossentropy", "BinaryCrossentropy", NN_LOSS_BCE, false, true, k_bce, 5},
    {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", NN_LOSS_SCCE, false, true, k_scce, 4},
    {"categorical_crossentropy", "CategoricalCrossentropy", NN_LOSS_SCCE, true, false, k_bce, 5},
};

const char *const ls_vocab_activations[LS_VOCAB_ACTIVATIONS + 2] = {"linear", "relu",  "sigmoid", "softmax",
                                                                     "relu6",  "swish", "none",    NULL};
