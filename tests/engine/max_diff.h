/* Shared by the engine's reference tests: the largest |a - b| over a tensor (NaN counts
 * as the largest), and the largest |b| in *scale. */
#ifndef TESTS_ENGINE_MAX_DIFF_H
#define TESTS_ENGINE_MAX_DIFF_H

#include <math.h>
#include <stddef.h>

static inline double max_diff(const float *a, const float *b, size_t n, double *scale)
{
    double d = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = fabs((double)a[i] - (double)b[i]);
        d = e > d || e != e ? e : d;
        s = fmax(s, fabs((double)b[i]));
    }
    *scale = s;
    return d;
}

#endif
