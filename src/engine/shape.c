#include "shape.h"

#include <stdio.h>

nn_shape nn_shape1(int a) { return (nn_shape){1, {a, 0, 0, 0}}; }
nn_shape nn_shape2(int a, int b) { return (nn_shape){2, {a, b, 0, 0}}; }
nn_shape nn_shape3(int a, int b, int c) { return (nn_shape){3, {a, b, c, 0}}; }
nn_shape nn_shape4(int a, int b, int c, int d) { return (nn_shape){4, {a, b, c, d}}; }

size_t nn_shape_size(nn_shape s)
{
    if (s.rank <= 0)
        return 0;
    size_t n = 1;
    for (int i = 0; i < s.rank; i++)
        n *= (size_t)(s.d[i] > 0 ? s.d[i] : 0);
    return n;
}

bool nn_shape_equal(nn_shape a, nn_shape b)
{
    if (a.rank != b.rank)
        return false;
    for (int i = 0; i < a.rank; i++)
        if (a.d[i] != b.d[i])
            return false;
    return true;
}

char *nn_shape_str(nn_shape s, bool with_batch, char *buf, size_t n)
{
    size_t k = 0;
    int w = snprintf(buf, n, "(%s", with_batch ? "None" : "");
    k = w > 0 ? (size_t)w : 0;
    for (int i = 0; i < s.rank && k < n; i++) {
        const char *sep = (i == 0 && !with_batch) ? "" : ", ";
        w = snprintf(buf + k, n - k, "%s%d", sep, s.d[i]);
        k += w > 0 ? (size_t)w : 0;
    }
    if (k < n) {
        /* Keras prints a rank-1 tuple without batch as "(5,)" */
        snprintf(buf + k, n - k, "%s)", (s.rank == 1 && !with_batch) ? "," : "");
    }
    return buf;
}
