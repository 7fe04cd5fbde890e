/* Built-in pretrained-base architectures, added to a model as named layers.
 * Each returns the index of the base's last layer, or -1 with the model's error set. */
#ifndef NN_BASES_H
#define NN_BASES_H

#include <stddef.h>

#include "model.h"

/* The small Fashion-MNIST base that `dropscope pretrain` trains and assets/ ships:
 * Conv2D(32, 3x3, same, relu) -> MaxPooling2D(2) -> Conv2D(64, 3x3, same, relu) ->
 * MaxPooling2D(2), output (7, 7, 64) from a (28, 28, 1) input. Layers get automatic
 * Keras names (conv2d, max_pooling2d, conv2d_1, max_pooling2d_1). */
int nn_base_fashion_cnn(nn_model *m, int input);

/* ---- keras.applications bases, include_top=False (issue 15) ----
 * Layer names, order (model.layers), shapes and parameter counts are Keras's, from
 * keras/src/applications/ (one .py per base). The input layer must be (H, W, 3) with H, W at least the
 * base's min_size. */
typedef struct {
    const char *pooling;  /* NULL or "": none (4D output); "avg": GlobalAveragePooling2D; "max" */
    float alpha;          /* MobileNetV2's width multiplier (Keras: 1.0); others ignore it */
} nn_base_opts;

int nn_base_vgg16(nn_model *m, int input, const nn_base_opts *o);
int nn_base_vgg19(nn_model *m, int input, const nn_base_opts *o);
int nn_base_resnet50(nn_model *m, int input, const nn_base_opts *o);
int nn_base_mobilenet_v2(nn_model *m, int input, const nn_base_opts *o);
int nn_base_xception(nn_model *m, int input, const nn_base_opts *o);
int nn_base_efficientnet_b0(nn_model *m, int input, const nn_base_opts *o);

/* keras.applications.<module>.preprocess_input, as a data transform on channels-last
 * RGB pixels in [0, 255] (applied to the data, not a layer of the model):
 * - caffe (VGG16, VGG19, ResNet50): RGB -> BGR, then minus the ImageNet means
 *   (103.939, 116.779, 123.68) per BGR channel;
 * - tf (MobileNetV2, Xception): x / 127.5 - 1;
 * - torch: x / 255, minus (0.485, 0.456, 0.406), over (0.229, 0.224, 0.225);
 * - none (EfficientNet: its Rescaling and Normalization layers are in the model). */
typedef enum { NN_PREP_NONE = 0, NN_PREP_CAFFE, NN_PREP_TF, NN_PREP_TORCH } nn_preprocess_mode;
void nn_preprocess_input(float *x, size_t pixels, nn_preprocess_mode mode);

/* What a lesson and the importer need to know about each base. */
typedef struct {
    const char *name;       /* the lesson's word: "vgg16" */
    const char *keras;      /* keras.applications class: "VGG16" */
    const char *module;     /* keras.applications module: "vgg16" (for preprocess_input) */
    int default_size;       /* Keras's default input height and width (224; Xception 299) */
    int min_size;           /* the smallest Keras accepts without top (32; Xception 71) */
    nn_preprocess_mode preprocess;
    int (*build)(nn_model *m, int input, const nn_base_opts *o);
} nn_base_info;

/* The applications bases, ending with a NULL name. */
extern const nn_base_info nn_base_table[];
/* The entry whose name or Keras class is s (case-insensitive), or NULL. */
const nn_base_info *nn_base_find(const char *s);

#endif
