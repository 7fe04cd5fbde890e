/* Keras's names for the importer: the modules (tf.keras, keras, and keras.layers's
 * inner modules) and their symbols, what a dotted path means (ka_resolve), names used
 * without an import (ka_unimported) and `from MODULE import *`. Messages for names
 * Keras has and dropscope does not (layers, bases, optimizers, losses, preprocessing
 * layers) name the real cause. Calls only layers.c and runtime.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bases.h"
#include "keras/api.h"
#include "keras/layers.h"
#include "keras/runtime.h"
/* ------------------------------------------------------------------------------------ */
/* Modules and symbols */

static const struct {
    const char *path;
    int sym, sub;
} symbols[] = {
    {"keras", S_MODULE, M_LOOSE},
    {"keras.layers", S_MODULE, M_LAYERS},
    {"keras.models", S_MODULE, M_MODELS},
    {"keras.applications", S_MODULE, M_APPS},
    {"keras.applications.inception_v3", S_MODULE, M_APPS},
    {"keras.optimizers", S_MODULE, M_OPT},
    {"keras.optimizers.legacy", S_MODULE, M_OPT},
    {"keras.optimizers.experimental", S_MODULE, M_OPT},
    {"keras.losses", S_MODULE, M_LOSS},
    {"keras.activations", S_MODULE, M_ACT},
    {"keras.backend", S_MODULE, M_LOOSE},
    {"tensorflow", S_MODULE, M_LOOSE},
    {"tensorflow.nn", S_MODULE, M_LOOSE},
    {"keras.layers.Dense", S_LAYER, NN_DENSE},
    {"keras.layers.Dropout", S_LAYER, NN_DROPOUT},
    {"keras.layers.Flatten", S_LAYER, NN_FLATTEN},
    {"keras.layers.Conv2D", S_LAYER, NN_CONV2D},
    {"keras.layers.Convolution2D", S_LAYER, NN_CONV2D},
    {"keras.layers.MaxPooling2D", S_LAYER, NN_MAXPOOL2D},
    {"keras.layers.MaxPool2D", S_LAYER, NN_MAXPOOL2D},
    {"keras.layers.AveragePooling2D", S_LAYER, NN_AVGPOOL2D},
    {"keras.layers.AvgPool2D", S_LAYER, NN_AVGPOOL2D},
    {"keras.layers.GlobalAveragePooling2D", S_LAYER, NN_GAP2D},
    {"keras.layers.GlobalAvgPool2D", S_LAYER, NN_GAP2D},
    {"keras.layers.BatchNormalization", S_LAYER, NN_BATCHNORM},
    {"keras.layers.Activation", S_LAYER, NN_ACTIVATION},
    {"keras.layers.Concatenate", S_LAYER, NN_CONCAT},
    {"keras.layers.InputLayer", S_LAYER, NN_INPUT},
    {"keras.layers.Rescaling", S_LAYER, NN_RESCALING},
    {"keras.layers.GlobalMaxPooling2D", S_LAYER, NN_GMP2D},
    {"keras.layers.GlobalMaxPool2D", S_LAYER, NN_GMP2D},
    {"keras.layers.ZeroPadding2D", S_LAYER, NN_ZEROPAD2D},
    {"keras.layers.DepthwiseConv2D", S_LAYER, NN_DEPTHWISE_CONV2D},
    {"keras.layers.SeparableConv2D", S_LAYER, NN_SEPARABLE_CONV2D},
    {"keras.layers.SeparableConvolution2D", S_LAYER, NN_SEPARABLE_CONV2D},
    {"keras.layers.Add", S_LAYER, NN_ADD},
    {"keras.layers.Multiply", S_LAYER, NN_MULTIPLY},
    {"keras.layers.ReLU", S_LAYER, NN_RELU},
    {"keras.layers.Reshape", S_LAYER, NN_RESHAPE},
    {"keras.layers.Normalization", S_LAYER, NN_NORMALIZATION},
    {"keras.layers.RandomFlip", S_AUGMENT, NN_AUG_FLIP},
    {"keras.layers.RandomRotation", S_AUGMENT, NN_AUG_ROTATION},
    {"keras.layers.RandomZoom", S_AUGMENT, NN_AUG_ZOOM},
    {"keras.layers.RandomTranslation", S_AUGMENT, NN_AUG_TRANSLATION},
    {"keras.layers.Input", S_INPUT_FN, 0},
    {"keras.Input", S_INPUT_FN, 0},
    {"keras.layers.concatenate", S_CONCAT_FN, NN_CONCAT},
    {"keras.layers.add", S_CONCAT_FN, NN_ADD},
    {"keras.layers.multiply", S_CONCAT_FN, NN_MULTIPLY},
    {"keras.Model", S_MODEL, 0},
    {"keras.models.Model", S_MODEL, 0},
    {"keras.Sequential", S_SEQUENTIAL, 0},
    {"keras.models.Sequential", S_SEQUENTIAL, 0},
    {"keras.applications.InceptionV3", S_INCEPTION, -1},
    {"keras.applications.inception_v3.InceptionV3", S_INCEPTION, -1},
    /* the keras.applications bases: sub is the index in nn_base_table */
    {"keras.applications.vgg16", S_MODULE, M_APPS},
    {"keras.applications.vgg19", S_MODULE, M_APPS},
    {"keras.applications.resnet50", S_MODULE, M_APPS},
    {"keras.applications.resnet", S_MODULE, M_APPS},
    {"keras.applications.mobilenet_v2", S_MODULE, M_APPS},
    {"keras.applications.xception", S_MODULE, M_APPS},
    {"keras.applications.efficientnet", S_MODULE, M_APPS},
    {"keras.applications.VGG16", S_INCEPTION, 0},
    {"keras.applications.vgg16.VGG16", S_INCEPTION, 0},
    {"keras.applications.VGG19", S_INCEPTION, 1},
    {"keras.applications.vgg19.VGG19", S_INCEPTION, 1},
    {"keras.applications.ResNet50", S_INCEPTION, 2},
    {"keras.applications.resnet50.ResNet50", S_INCEPTION, 2},
    {"keras.applications.resnet.ResNet50", S_INCEPTION, 2},
    {"keras.applications.MobileNetV2", S_INCEPTION, 3},
    {"keras.applications.mobilenet_v2.MobileNetV2", S_INCEPTION, 3},
    {"keras.applications.Xception", S_INCEPTION, 4},
    {"keras.applications.xception.Xception", S_INCEPTION, 4},
    {"keras.applications.EfficientNetB0", S_INCEPTION, 5},
    {"keras.applications.efficientnet.EfficientNetB0", S_INCEPTION, 5},
    /* preprocess_input: sub is the nn_preprocess_mode (Keras's imagenet_utils modes) */
    {"keras.applications.inception_v3.preprocess_input", S_PREPROCESS, NN_PREP_TF},
    {"keras.applications.vgg16.preprocess_input", S_PREPROCESS, NN_PREP_CAFFE},
    {"keras.applications.vgg19.preprocess_input", S_PREPROCESS, NN_PREP_CAFFE},
    {"keras.applications.resnet50.preprocess_input", S_PREPROCESS, NN_PREP_CAFFE},
    {"keras.applications.resnet.preprocess_input", S_PREPROCESS, NN_PREP_CAFFE},
    {"keras.applications.mobilenet_v2.preprocess_input", S_PREPROCESS, NN_PREP_TF},
    {"keras.applications.xception.preprocess_input", S_PREPROCESS, NN_PREP_TF},
    {"keras.applications.efficientnet.preprocess_input", S_PREPROCESS, NN_PREP_NONE},
    {"keras.optimizers.SGD", S_OPT, NN_OPT_SGD},
    {"keras.optimizers.RMSprop", S_OPT, NN_OPT_RMSPROP},
    {"keras.optimizers.Adam", S_OPT, NN_OPT_ADAM},
    {"keras.optimizers.legacy.SGD", S_OPT, NN_OPT_SGD},
    {"keras.optimizers.legacy.RMSprop", S_OPT, NN_OPT_RMSPROP},
    {"keras.optimizers.legacy.Adam", S_OPT, NN_OPT_ADAM},
    {"keras.optimizers.experimental.SGD", S_OPT, NN_OPT_SGD},
    {"keras.optimizers.experimental.RMSprop", S_OPT, NN_OPT_RMSPROP},
    {"keras.optimizers.experimental.Adam", S_OPT, NN_OPT_ADAM},
    {"keras.optimizers.Adagrad", S_OPT, NN_OPT_ADAGRAD},
    {"keras.optimizers.Adadelta", S_OPT, NN_OPT_ADADELTA},
    {"keras.optimizers.legacy.Adagrad", S_OPT, NN_OPT_ADAGRAD},
    {"keras.optimizers.legacy.Adadelta", S_OPT, NN_OPT_ADADELTA},
    {"keras.optimizers.experimental.Adagrad", S_OPT, NN_OPT_ADAGRAD},
    {"keras.optimizers.experimental.Adadelta", S_OPT, NN_OPT_ADADELTA},
    {"keras.losses.BinaryCrossentropy", S_LOSS_CLASS, 0},
    {"keras.losses.SparseCategoricalCrossentropy", S_LOSS_CLASS, 1},
    {"keras.losses.CategoricalCrossentropy", S_LOSS_CLASS, 2},
    {"keras.losses.binary_crossentropy", S_LOSS_FN, 0},
    {"keras.losses.sparse_categorical_crossentropy", S_LOSS_FN, 1},
    {"keras.losses.categorical_crossentropy", S_LOSS_FN, 2},
    {"keras.activations.relu", S_ACT, NN_ACT_RELU},
    {"keras.activations.sigmoid", S_ACT, NN_ACT_SIGMOID},
    {"keras.activations.softmax", S_ACT, NN_ACT_SOFTMAX},
    {"keras.activations.linear", S_ACT, NN_ACT_LINEAR},
    {"tensorflow.nn.relu", S_ACT, NN_ACT_RELU},
    {"tensorflow.nn.sigmoid", S_ACT, NN_ACT_SIGMOID},
    {"tensorflow.nn.softmax", S_ACT, NN_ACT_SOFTMAX},
    {"keras.backend.clear_session", S_CLEAR_SESSION, 0},
};

/* Functions of Keras's model modules that are not the model itself (read, noted). */
static const char *const outside_names[] = {
    "keras.applications.inception_v3.decode_predictions", "keras.applications.vgg16.decode_predictions",
    "keras.applications.vgg19.decode_predictions", "keras.applications.resnet50.decode_predictions",
    "keras.applications.resnet.decode_predictions", "keras.applications.mobilenet_v2.decode_predictions",
    "keras.applications.xception.decode_predictions", "keras.applications.efficientnet.decode_predictions", NULL};

static const char *const layer_list =
    "Dense, Dropout, Flatten, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, BatchNormalization, Activation, Concatenate, Rescaling, Input, ZeroPadding2D, DepthwiseConv2D, SeparableConv2D, Add, Multiply, ReLU, Reshape, Normalization, RandomFlip, RandomRotation, RandomZoom, RandomTranslation";

/* Keras's modules inside keras.layers (keras.layers.normalization.batch_normalization,
 * keras.layers.experimental.preprocessing, keras.layers.core ...): their classes are
 * keras.layers's, so the importer drops them from paths. */
static const char *const layer_submodules[] = {
    "experimental", "preprocessing", "core", "convolutional", "pooling", "normalization", "merge", "regularization",
    "reshaping", "activation", "advanced_activations", "batch_normalization", "normalization_v2", "dense", "dropout",
    "flatten", "conv2d", "max_pooling2d", "average_pooling2d", "global_average_pooling2d", "merging",
    "input_layer", "image_preprocessing", "rescaling", "random_flip", "random_rotation", "random_zoom",
    "random_translation", "zero_padding2d", "depthwise_conv2d", "separable_conv2d", NULL};

static bool is_layer_submodule(const char *s, size_t n)
{
    for (int i = 0; layer_submodules[i]; i++)
        if (strlen(layer_submodules[i]) == n && !memcmp(layer_submodules[i], s, n))
            return true;
    return false;
}

/* keras.layers.a.b.Dense -> keras.layers.Dense, for a and b in layer_submodules, in place. */
static void drop_layer_submodules(char *path)
{
    static const char pre[] = "keras.layers.";
    size_t k = sizeof pre - 1;
    if (strncmp(path, pre, k))
        return;
    char *r = path + k;
    for (;;) {
        size_t n = strcspn(r, ".");
        if (!is_layer_submodule(r, n))
            break;
        if (r[n] == '\0') { /* the module itself: keras.layers */
            path[k - 1] = '\0';
            return;
        }
        memmove(r, r + n + 1, strlen(r + n + 1) + 1);
    }
}

/* tensorflow.keras.x, tensorflow.python.keras.x, tensorflow.compat.v2.keras.x -> keras.x */
static void canonical_root(const char *path, char *out, size_t n)
{
    static const char *const pre[] = {"tensorflow.python.keras", "tensorflow.compat.v1.keras",
                                      "tensorflow.compat.v2.keras", "tensorflow.keras", "tf_keras", NULL};
    for (int i = 0; pre[i]; i++) {
        size_t k = strlen(pre[i]);
        if (!strncmp(path, pre[i], k) && (path[k] == '\0' || path[k] == '.')) {
            snprintf(out, n, "keras%s", path + k);
            return;
        }
    }
    /* tf.optimizers, tf.losses, tf.activations: TensorFlow's aliases of Keras's */
    static const char *const alias[] = {"tensorflow.optimizers", "tensorflow.losses", "tensorflow.activations", NULL};
    for (int i = 0; alias[i]; i++) {
        size_t k = strlen(alias[i]);
        if (!strncmp(path, alias[i], k) && (path[k] == '\0' || path[k] == '.')) {
            snprintf(out, n, "keras%s", path + strlen("tensorflow"));
            return;
        }
    }
    snprintf(out, n, "%s", path);
}

/* canonical_root, then keras.layers's inner modules dropped */
static void canonical(const char *path, char *out, size_t n)
{
    canonical_root(path, out, n);
    drop_layer_submodules(out);
}

static kval *sym_val(kparser *p, int i, const char *spelled, const ktok *at)
{
    kval *v = ki_val(p, V_SYM, at->line, at->col);
    v->sym = symbols[i].sym;
    v->sub = symbols[i].sub;
    v->path = symbols[i].path;
    v->s = ki_strdup(p, spelled);
    return v;
}

/* Keras's preprocessing layers (under layers and layers.experimental.preprocessing):
 * named as what they are when dropscope does not have them. */
static void preprocessing_layer(kparser *p, const char *name, const ktok *at)
{
    static const char *const random[] = {"RandomContrast", "RandomCrop", "RandomHeight", "RandomWidth",
                                         "RandomBrightness", NULL};
    static const char *const fixed[] = {"Resizing", "CenterCrop", NULL};
    for (int i = 0; random[i]; i++)
        if (!strcmp(random[i], name))
            ki_fail(p, at->line, at->col,
                    "the augmentation layer '%s' is not supported yet: dropscope has RandomFlip, RandomRotation, RandomZoom and RandomTranslation (they act only in training, like Dropout); without it the rest of the model imports",
                    name);
    for (int i = 0; fixed[i]; i++)
        if (!strcmp(fixed[i], name))
            ki_fail(p, at->line, at->col,
                    "the preprocessing layer '%s' is not supported yet: without it the rest of the model imports (dropscope scales its stand-in images to 0..1 itself; Rescaling is read)",
                    name);
}

kval *ka_resolve(kparser *p, const char *path, const char *spelled, const ktok *at)
{
    char canon[300];
    canonical(path, canon, sizeof canon);
    if (!spelled)
        spelled = path;
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
        if (!strcmp(symbols[i].path, canon))
            return sym_val(p, (int)i, spelled, at);
    for (int i = 0; outside_names[i]; i++)
        if (!strcmp(outside_names[i], canon))
            return ki_opaque(p, canon, spelled, at->line, at->col);
    /* the module it is in, if Keras's */
    const char *dot = strrchr(canon, '.');
    if (dot) {
        char mod[300];
        snprintf(mod, sizeof mod, "%.*s", (int)(dot - canon), canon);
        const char *name = dot + 1;
        for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
            if (symbols[i].sym != S_MODULE || strcmp(symbols[i].path, mod))
                continue;
            char sg[96];
            const char *names[64];
            int nn = 0;
            size_t ml = strlen(mod);
            for (size_t j = 0; j < sizeof symbols / sizeof symbols[0] && nn < 64; j++)
                if (!strncmp(symbols[j].path, mod, ml) && symbols[j].path[ml] == '.' &&
                    !strchr(symbols[j].path + ml + 1, '.'))
                    names[nn++] = symbols[j].path + ml + 1;
            ka_suggest(name, names, nn, sg, sizeof sg);
            switch (symbols[i].sub) {
            case M_LAYERS:
                preprocessing_layer(p, name, at);
                ki_fail(p, at->line, at->col, "the layer '%s' is not supported%s (dropscope has %s)", name, sg, layer_list);
            case M_APPS:
                ki_fail(p, at->line, at->col, "'%s' is not supported%s: the pretrained bases dropscope has are InceptionV3, VGG16, VGG19, ResNet50, MobileNetV2, Xception and EfficientNetB0",
                        name, sg);
            case M_OPT:
                if (!strcmp(name, "schedules"))
                    ki_fail(p, at->line, at->col,
                            "learning-rate schedules are not supported: give a number (a lesson step can change it: learning rate X)");
                ki_fail(p, at->line, at->col, "the optimizer '%s' is not supported%s (dropscope has SGD, RMSprop, Adam, Adagrad and Adadelta)",
                        name, sg);
            case M_LOSS:
                ki_fail(p, at->line, at->col,
                        "the loss '%s' is not supported%s (dropscope has binary_crossentropy and sparse_categorical_crossentropy)",
                        name, sg);
            case M_ACT:
                ki_fail(p, at->line, at->col,
                        "the activation '%s' is not supported%s (dropscope has relu, sigmoid, softmax and linear)", name, sg);
            case M_MODELS:
                ki_fail(p, at->line, at->col, "'%s' is not supported%s: build the model with Model(...) or Sequential([...])",
                        name, sg);
            default:
                break;
            }
        }
    }
    /* Keras's other modules (callbacks, preprocessing, utils, datasets ...) and
     * everything else: outside the model */
    return ki_opaque(p, canon, spelled, at->line, at->col);
}

/* Modules students use by their short name without importing them. */
static const struct {
    const char *name, *path;
} unimported_modules[] = {
    {"tf", "tensorflow"}, {"keras", "keras"}, {"layers", "keras.layers"}, {"models", "keras.models"},
    {"optimizers", "keras.optimizers"}, {"losses", "keras.losses"}, {"applications", "keras.applications"},
};

/* The canonical path Keras gives name (its shortest among the symbols: keras.optimizers.RMSprop,
 * not .legacy.RMSprop), or NULL. */
static const char *keras_short_name(const char *name)
{
    for (size_t i = 0; i < sizeof unimported_modules / sizeof unimported_modules[0]; i++)
        if (!strcmp(unimported_modules[i].name, name))
            return unimported_modules[i].path;
    const char *best = NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        const char *path = symbols[i].path;
        size_t pl = strlen(path);
        if (symbols[i].sym == S_MODULE || pl <= nl || path[pl - nl - 1] != '.' || strcmp(path + pl - nl, name))
            continue;
        if (!best || pl < strlen(best))
            best = path;
    }
    return best;
}

kval *ka_unimported(kparser *p, const char *name, const ktok *at)
{
    const char *path = keras_short_name(name);
    if (!path)
        return NULL;
    kval *v = ka_resolve(p, path, name, at);
    if (!p->dry) {
        char full[160];
        if (!strncmp(path, "keras", 5))
            snprintf(full, sizeof full, "tensorflow.%s", path);
        else
            snprintf(full, sizeof full, "%s", path);
        ki_note(p->pg, at->line, "%s is not imported; read as %s; Python would stop here with NameError", name, full);
        ki_var_set(p, name, v); /* said once: later uses read the name as bound */
    }
    return v;
}

bool ka_star_import(kparser *p, const char *module, const ktok *at)
{
    char canon[300];
    canonical(module, canon, sizeof canon);
    size_t ml = strlen(canon);
    bool found = false;
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
        if (!strncmp(symbols[i].path, canon, ml) && symbols[i].path[ml] == '.' && !strchr(symbols[i].path + ml + 1, '.')) {
            ki_var_set(p, symbols[i].path + ml + 1, sym_val(p, (int)i, symbols[i].path, at));
            found = true;
        }
    return found;
}

