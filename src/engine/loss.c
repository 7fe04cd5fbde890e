/* Losses from logits and accuracy counts, as Keras computes them in fit(). */
#include <math.h>

#include "ops.h"

double nn_bce_logits(float *dlogits, const float *logits, const int32_t *labels, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        double z = logits[i], y = (double)labels[i];
        sum += (z > 0 ? z : 0) - z * y + log1p(exp(-fabs(z)));
        if (dlogits) {
            double p = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
            dlogits[i] = (float)((p - y) / n);
        }
    }
    return n > 0 ? sum / n : NAN;
}

double nn_scce_logits(float *dlogits, const float *logits, const int32_t *labels, int n, int k)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * k;
        int y = labels[i];
        if (y < 0 || y >= k)
            return NAN;
        double mx = z[0];
        for (int j = 1; j < k; j++)
            mx = z[j] > mx ? z[j] : mx;
        double se = 0.0;
        for (int j = 0; j < k; j++)
            se += exp(z[j] - mx);
        double lse = mx + log(se);
        sum += lse - z[y];
        if (dlogits) {
            for (int j = 0; j < k; j++) {
                double p = exp(z[j] - lse);
                dlogits[(size_t)i * k + j] = (float)((p - (j == y)) / n);
            }
        }
    }
    return n > 0 ? sum / n : NAN;
}

int nn_binary_correct(const float *logits, const int32_t *labels, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++) {
        float p;
        nn_act_forward(&p, &logits[i], 1, 1, NN_ACT_SIGMOID);
        c += (p > 0.5f ? 1 : 0) == labels[i];
    }
    return c;
}

int nn_categorical_correct(const float *logits, const int32_t *labels, int n, int k)
{
    int c = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * k;
        int best = 0;
        for (int j = 1; j < k; j++)
            if (z[j] > z[best])
                best = j;
        c += best == labels[i];
    }
    return c;
}
