/* Shapes of tensors and of one example's activations. Never includes SDL. */
#ifndef NN_SHAPE_H
#define NN_SHAPE_H

#include <stddef.h>
#include <stdbool.h>

#define NN_MAX_RANK 4

/* A shape. For activations it is one example's shape (Keras's shape without the
 * leading None): (units) or (H, W, C). For parameters it is the full shape:
 * Dense kernel (in, out), Conv2D kernel (kh, kw, in, out), bias (out). */
typedef struct {
    int rank;
    int d[NN_MAX_RANK];
} nn_shape;

nn_shape nn_shape1(int a);
nn_shape nn_shape2(int a, int b);
nn_shape nn_shape3(int a, int b, int c);
nn_shape nn_shape4(int a, int b, int c, int d);
/* Number of elements; 0 for rank 0. */
size_t nn_shape_size(nn_shape s);
bool nn_shape_equal(nn_shape a, nn_shape b);
/* Writes "(7, 7, 64)"; with_batch prepends "None, " as Keras prints output shapes.
 * Returns buf. */
char *nn_shape_str(nn_shape s, bool with_batch, char *buf, size_t n);

#endif
