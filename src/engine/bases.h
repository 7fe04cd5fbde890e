/* Built-in pretrained-base architectures, added to a model as named layers.
 * Each returns the index of the base's last layer, or -1 with the model's error set. */
#ifndef NN_BASES_H
#define NN_BASES_H

#include "model.h"

/* The small Fashion-MNIST base that `dropscope pretrain` trains and assets/ ships:
 * Conv2D(32, 3x3, same, relu) -> MaxPooling2D(2) -> Conv2D(64, 3x3, same, relu) ->
 * MaxPooling2D(2), output (7, 7, 64) from a (28, 28, 1) input. Layers get automatic
 * Keras names (conv2d, max_pooling2d, conv2d_1, max_pooling2d_1). */
int nn_base_fashion_cnn(nn_model *m, int input);

#endif
