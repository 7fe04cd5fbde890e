/* Dense: y = x W + b, W (in, units) as Keras stores it.
 *
 * Forward uses its own blocked kernel; backward goes through CBLAS. Training batches are
 * small (20 examples against 37,632 x 512 weights in the reference head): BLAS then
 * spends more time packing W than multiplying, while this kernel reads each block of W
 * from cache once per 5 examples and keeps 5 x 64 outputs in vector registers.
 *
 * Every output is computed in one fixed order, y = ((x0 w0 + x1 w1) + x2 w2 ...) + b,
 * each product and sum rounded on its own (no FMA: -ffp-contract=off), so the result
 * does not depend on the machine, the vector width, the batch size or the row's place
 * in the batch; bias last, as TensorFlow's MatMul then BiasAdd. */
#include <cblas.h>
#include <string.h>

#include "ops.h"

#define FW_ROWS 5   /* examples per register block: 5 x 4 accumulators + 4 of W in 32 zmm */
#define FW_KB 256   /* kernel rows per cache block: 256 x units floats (512 KB at 512 units) */

#if defined(__GNUC__)
#define FW_VEC 16 /* floats per vector */
#define FW_NV 4   /* vectors per register block: 64 units */
typedef float vf __attribute__((vector_size(FW_VEC * sizeof(float))));

/* Unaligned loads and stores; macros rather than functions so no vector crosses a
 * function boundary (GCC warns about the ABI of 64-byte vector arguments). */
#define LOAD_VF(dst, p) memcpy(&(dst), (p), sizeof(vf))
#define STORE_VF(p, src) memcpy((p), &(src), sizeof(vf))

/* Rows [i0, i0 + R) by units [j0, j0 + FW_COLS) over kernel rows [k0, k1). first: start from
 * 0 rather than the partial sums in out; bias (when not NULL): add it at the end. */
static inline __attribute__((always_inline)) void fw_block(float *out, const float *in, const float *kernel,
                                                           const float *bias, int R, int i0, int j0, int k0,
                                                           int k1, int in_dim, int units, int first)
{
    vf acc[FW_ROWS][FW_NV];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < FW_NV; v++) {
            if (first)
                acc[r][v] = (vf){0};
            else
                LOAD_VF(acc[r][v], out + (size_t)(i0 + r) * units + j0 + v * FW_VEC);
        }
    for (int k = k0; k < k1; k++) {
        const float *wk = kernel + (size_t)k * units + j0;
        vf w[FW_NV];
        for (int v = 0; v < FW_NV; v++)
            LOAD_VF(w[v], wk + v * FW_VEC);
        for (int r = 0; r < R; r++) {
            const float x = in[(size_t)(i0 + r) * in_dim + k];
            for (int v = 0; v < FW_NV; v++)
                acc[r][v] = acc[r][v] + x * w[v];
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < FW_NV; v++) {
            vf a = acc[r][v];
            if (bias) {
                vf bv;
                LOAD_VF(bv, bias + j0 + v * FW_VEC);
                a = a + bv;
            }
            STORE_VF(out + (size_t)(i0 + r) * units + j0 + v * FW_VEC, a);
        }
}
#define FW_COLS (FW_VEC * FW_NV)
#else
#define FW_COLS 0 /* no vector extension: every column takes the scalar path */
#endif

/* The build targets baseline x86-64; GCC adds AVX2 and AVX-512 versions chosen at load
 * time. All compute the same bits (same operations in the same order). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

MULTIVERSION static void dense_forward_blocked(float *out, const float *in, const float *kernel,
                                               const float *bias, int n, int in_dim, int units)
{
    for (int k0 = 0; k0 < in_dim; k0 += FW_KB) {
        const int k1 = in_dim - k0 < FW_KB ? in_dim : k0 + FW_KB;
        const int first = k0 == 0;
        const float *b = k1 == in_dim ? bias : NULL;
        int j0 = 0;
#if defined(__GNUC__)
        for (; j0 + FW_COLS <= units; j0 += FW_COLS) {
            int i0 = 0;
            for (; i0 + FW_ROWS <= n; i0 += FW_ROWS)
                fw_block(out, in, kernel, b, FW_ROWS, i0, j0, k0, k1, in_dim, units, first);
            for (; i0 < n; i0++)
                fw_block(out, in, kernel, b, 1, i0, j0, k0, k1, in_dim, units, first);
        }
#endif
        /* remaining units (and everything without vector extensions): same order */
        for (int i = 0; i < n; i++)
            for (int j = j0; j < units; j++) {
                float a = first ? 0.0f : out[(size_t)i * units + j];
                for (int k = k0; k < k1; k++)
                    a = a + in[(size_t)i * in_dim + k] * kernel[(size_t)k * units + j];
                if (b)
                    a = a + b[j];
                out[(size_t)i * units + j] = a;
            }
    }
}

void nn_dense_forward(float *out, const float *in, const float *kernel, const float *bias,
                      int n, int in_dim, int units)
{
    dense_forward_blocked(out, in, kernel, bias, n, in_dim, units);
}

void nn_dense_backward(float *din, float *dkernel, float *dbias, const float *dout,
                       const float *in, const float *kernel, int n, int in_dim, int units)
{
    if (dkernel) /* dW += x^T dy */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in_dim, units, n, 1.0f, in, in_dim,
                    dout, units, 1.0f, dkernel, units);
    if (dbias) {
        for (int i = 0; i < n; i++) {
            const float *row = dout + (size_t)i * units;
            for (int j = 0; j < units; j++)
                dbias[j] += row[j];
        }
    }
    if (din) /* dx += dy W^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, in_dim, units, 1.0f, dout, units,
                    kernel, units, 1.0f, din, in_dim);
}
