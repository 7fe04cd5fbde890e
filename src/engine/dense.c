/* Dense: y = x W + b, W (in, units) as Keras stores it.
 *
 * All three products (forward, kernel gradient, input gradient) use blocked kernels of
 * their own rather than BLAS. Training batches are small (20 examples against 37,632 x
 * 512 weights in the reference head): SGEMM then spends more time packing W than
 * multiplying. The forward reads each block of W from cache once per 5 examples and keeps
 * 5 x 64 outputs in vector registers; the kernel gradient writes dW row after row.
 *
 * Every output is computed in one fixed order, each product and sum rounded on its own
 * (no FMA: -ffp-contract=off), so results do not depend on the machine, the vector width,
 * the thread count, the batch size or the row's place in the batch:
 * - y = ((x0 w0 + x1 w1) + x2 w2 ...) + b, bias last as TensorFlow's MatMul then BiasAdd;
 * - dW = (x0 dy0 + x1 dy1) + ... over the batch;
 * - dx: see DX_LANES. */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "ops.h"

#define FW_ROWS 5   /* examples per register block: 5 x 4 accumulators + 4 of W in 32 zmm */
#define FW_KB 256   /* kernel rows per cache block: 256 x units floats (512 KB at 512 units) */
#define DK_ROWS 4   /* kernel-gradient rows per register block: 4 x 4 accumulators */
#define DX_ROWS 4   /* input gradient: examples x kernel rows per block, 4 x 4 dot products */
#define DX_LANES 16 /* each dot product: 16 lane sums (j = lane mod 16), then lanes 0..15 in
                     * order, then the units past the last multiple of 16 in order */

#if defined(__GNUC__)
#define FW_VEC 16 /* floats per vector */
#define FW_NV 4   /* vectors per register block: 64 units */
typedef float vf __attribute__((vector_size(FW_VEC * sizeof(float))));

/* Unaligned loads and stores; macros rather than functions so no vector crosses a
 * function boundary (GCC warns about the ABI of 64-byte vector arguments). */
#define LOAD_VF(dst, p) memcpy(&(dst), (p), sizeof(vf))
#define STORE_VF(p, src) memcpy((p), &(src), sizeof(vf))

/* Walks the next block of W, line by line, a row's span [jb, je) at a time: the blocked
 * loop reads W in 256-byte pieces 2 KB apart, which the hardware prefetchers follow
 * poorly, so while one block is multiplied the next one is fetched in address order. */
typedef struct {
    const float *row;   /* current row's first line */
    int col, cols;      /* line within the row's span, lines per span */
    int rows_left;
    int units;
} fw_prefetch;

static inline __attribute__((always_inline)) void prefetch_next(fw_prefetch *pf)
{
    if (pf->rows_left <= 0)
        return;
    __builtin_prefetch(pf->row + pf->col * FW_VEC);
    if (++pf->col == pf->cols) {
        pf->col = 0;
        pf->row += pf->units;
        pf->rows_left--;
    }
}

/* Rows [i0, i0 + R) by units [j0, j0 + FW_COLS) over kernel rows [k0, k1). first: start from
 * 0 rather than the partial sums in out; bias (when not NULL): add it at the end. */
static inline __attribute__((always_inline)) void fw_block(float *out, const float *in, const float *kernel,
                                                           const float *bias, int R, int i0, int j0, int k0,
                                                           int k1, int in_dim, int units, int first,
                                                           fw_prefetch *pf)
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
        prefetch_next(pf);
        prefetch_next(pf);
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

/* dW rows [k0, k0 + R) by units [j0, j0 + FW_COLS): sum over the batch of
 * x[i][k] * dy[i][j], i in order from 0, then stored (fresh) or added to dW. */
static inline __attribute__((always_inline)) void dk_block(float *dkernel, const float *in, const float *dout,
                                                           int R, int k0, int j0, int n, int in_dim, int units,
                                                           int fresh)
{
    vf acc[DK_ROWS][FW_NV];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < FW_NV; v++)
            acc[r][v] = (vf){0};
    for (int i = 0; i < n; i++) {
        const float *dyi = dout + (size_t)i * units + j0;
        vf dy[FW_NV];
        for (int v = 0; v < FW_NV; v++)
            LOAD_VF(dy[v], dyi + v * FW_VEC);
        for (int r = 0; r < R; r++) {
            const float x = in[(size_t)i * in_dim + k0 + r];
            for (int v = 0; v < FW_NV; v++)
                acc[r][v] = acc[r][v] + x * dy[v];
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < FW_NV; v++) {
            float *d = dkernel + (size_t)(k0 + r) * units + j0 + v * FW_VEC;
            vf a = acc[r][v];
            if (!fresh) {
                vf old;
                LOAD_VF(old, d);
                a = old + a;
            }
            STORE_VF(d, a);
        }
}

/* dx rows [i0, i0 + R) by inputs [k0, k0 + C): dot(dy[i, :], W[k, :]) in the order
 * DX_LANES describes, added to dx. */
static inline __attribute__((always_inline)) void dx_block(float *din, const float *dout, const float *kernel,
                                                           int R, int C, int i0, int k0, int in_dim, int units)
{
    vf acc[DX_ROWS][DX_ROWS];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++)
            acc[r][c] = (vf){0};
    const int jv = units / FW_VEC * FW_VEC;
    for (int j = 0; j < jv; j += FW_VEC) {
        vf dy[DX_ROWS], w[DX_ROWS];
        for (int r = 0; r < R; r++)
            LOAD_VF(dy[r], dout + (size_t)(i0 + r) * units + j);
        for (int c = 0; c < C; c++)
            LOAD_VF(w[c], kernel + (size_t)(k0 + c) * units + j);
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                acc[r][c] = acc[r][c] + dy[r] * w[c];
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            float s = acc[r][c][0];
            for (int l = 1; l < FW_VEC; l++)
                s = s + acc[r][c][l];
            for (int j = jv; j < units; j++)
                s = s + dout[(size_t)(i0 + r) * units + j] * kernel[(size_t)(k0 + c) * units + j];
            float *d = din + (size_t)(i0 + r) * in_dim + k0 + c;
            *d = *d + s;
        }
}
#else
#define FW_COLS 0 /* no vector extension: every column takes the scalar path */
#endif

/* The build targets baseline x86-64; GCC adds AVX2 and AVX-512 versions chosen at load
 * time. All compute the same bits (same operations in the same order). */

/* Units [jb, je) of the output; jb is a multiple of FW_COLS. */
NN_MULTIVERSION static void dense_forward_blocked(float *out, const float *in, const float *kernel,
                                               const float *bias, int n, int in_dim, int units,
                                               int jb, int je)
{
    for (int k0 = 0; k0 < in_dim; k0 += FW_KB) {
        const int k1 = in_dim - k0 < FW_KB ? in_dim : k0 + FW_KB;
        const int first = k0 == 0;
        const float *b = k1 == in_dim ? bias : NULL;
        int j0 = jb;
#if defined(__GNUC__)
        const int jv = jb + (je - jb) / FW_COLS * FW_COLS;
        const int next_rows = in_dim - k1 < FW_KB ? in_dim - k1 : FW_KB;
        fw_prefetch pf = {kernel + (size_t)k1 * units + jb, 0, (jv - jb) / FW_VEC, next_rows, units};
        for (; j0 < jv; j0 += FW_COLS) {
            int i0 = 0;
            for (; i0 + FW_ROWS <= n; i0 += FW_ROWS)
                fw_block(out, in, kernel, b, FW_ROWS, i0, j0, k0, k1, in_dim, units, first, &pf);
            for (; i0 < n; i0++)
                fw_block(out, in, kernel, b, 1, i0, j0, k0, k1, in_dim, units, first, &pf);
        }
#endif
        /* remaining units (and everything without vector extensions): same order */
        for (int i = 0; i < n; i++)
            for (int j = j0; j < je; j++) {
                float a = first ? 0.0f : out[(size_t)i * units + j];
                for (int k = k0; k < k1; k++)
                    a = a + in[(size_t)i * in_dim + k] * kernel[(size_t)k * units + j];
                if (b)
                    a = a + b[j];
                out[(size_t)i * units + j] = a;
            }
    }
}

/* dW rows [kb, ke) = (or +=) x^T dy, written row after row. */
NN_MULTIVERSION static void dense_dkernel_blocked(float *dkernel, const float *in, const float *dout, int n,
                                               int in_dim, int units, int kb, int ke, int fresh)
{
    int k0 = kb;
#if defined(__GNUC__)
    const int jv = units / FW_COLS * FW_COLS;
    for (; k0 < ke; k0 += DK_ROWS) {
        const int R = ke - k0 < DK_ROWS ? ke - k0 : DK_ROWS;
        for (int j0 = 0; j0 < jv; j0 += FW_COLS) {
            if (R == DK_ROWS)
                dk_block(dkernel, in, dout, DK_ROWS, k0, j0, n, in_dim, units, fresh);
            else
                for (int r = 0; r < R; r++)
                    dk_block(dkernel, in, dout, 1, k0 + r, j0, n, in_dim, units, fresh);
        }
    }
    k0 = kb;
#else
    const int jv = 0;
#endif
    /* remaining units (and everything without vector extensions): same order */
    for (int k = k0; k < ke; k++)
        for (int j = jv; j < units; j++) {
            float a = 0.0f;
            for (int i = 0; i < n; i++)
                a = a + in[(size_t)i * in_dim + k] * dout[(size_t)i * units + j];
            float *d = dkernel + (size_t)k * units + j;
            *d = fresh ? a : *d + a;
        }
}

/* dx[:, kb..ke) += dy W^T for those inputs. */
NN_MULTIVERSION static void dense_dinput_blocked(float *din, const float *dout, const float *kernel, int n,
                                              int in_dim, int units, int kb, int ke)
{
#if defined(__GNUC__)
    for (int k0 = kb; k0 < ke; k0 += DX_ROWS) {
        const int C = ke - k0 < DX_ROWS ? ke - k0 : DX_ROWS;
        int i0 = 0;
        for (; i0 + DX_ROWS <= n; i0 += DX_ROWS) {
            if (C == DX_ROWS)
                dx_block(din, dout, kernel, DX_ROWS, DX_ROWS, i0, k0, in_dim, units);
            else
                for (int c = 0; c < C; c++)
                    dx_block(din, dout, kernel, DX_ROWS, 1, i0, k0 + c, in_dim, units);
        }
        for (; i0 < n; i0++)
            for (int c = 0; c < C; c++)
                dx_block(din, dout, kernel, 1, 1, i0, k0 + c, in_dim, units);
    }
#else
    const int jv = units / DX_LANES * DX_LANES;
    for (int i = 0; i < n; i++)
        for (int k = kb; k < ke; k++) {
            float lane[DX_LANES] = {0};
            for (int j = 0; j < jv; j++)
                lane[j % DX_LANES] = lane[j % DX_LANES] + dout[(size_t)i * units + j] * kernel[(size_t)k * units + j];
            float s = lane[0];
            for (int l = 1; l < DX_LANES; l++)
                s = s + lane[l];
            for (int j = jv; j < units; j++)
                s = s + dout[(size_t)i * units + j] * kernel[(size_t)k * units + j];
            din[(size_t)i * in_dim + k] = din[(size_t)i * in_dim + k] + s;
        }
#endif
}

/* Big products are split by units over the engine's threads; every output is computed
 * the same way whichever thread computes it, so results do not depend on the count. */
#define MAX_THREADS 8
#define PARALLEL_MIN_MACS ((size_t)1 << 23)

/* As many threads as OpenBLAS is set to (OPENBLAS_NUM_THREADS), as in optimizer.c;
 * 1 when the BLAS is not OpenBLAS. */
#if defined(__GNUC__)
int openblas_get_num_threads(void) __attribute__((weak));
static int engine_threads(void)
{
    int t = openblas_get_num_threads ? openblas_get_num_threads() : 1;
    return t < 1 ? 1 : t > MAX_THREADS ? MAX_THREADS : t;
}
#else
static int engine_threads(void) { return 1; }
#endif

/* One product, split into parts: forward by column blocks, kernel gradient by rows. */
typedef struct dense_job {
    void (*run)(const struct dense_job *job, int part, int parts);
    float *out;                      /* forward: y; kernel gradient: dW; input gradient: dx */
    const float *in, *kernel, *bias; /* what each product reads of these, and dy */
    const float *dy;
    int n, in_dim, units, fresh;
} dense_job;

static void forward_run(const dense_job *j, int part, int parts)
{
    int blocks = FW_COLS ? j->units / FW_COLS : 0;
    int jb = blocks * part / parts * FW_COLS;
    int je = part == parts - 1 ? j->units : blocks * (part + 1) / parts * FW_COLS;
    dense_forward_blocked(j->out, j->in, j->kernel, j->bias, j->n, j->in_dim, j->units, jb, je);
}

static void dkernel_run(const dense_job *j, int part, int parts)
{
    int kb = (int)((long long)j->in_dim * part / parts), ke = (int)((long long)j->in_dim * (part + 1) / parts);
    dense_dkernel_blocked(j->out, j->in, j->dy, j->n, j->in_dim, j->units, kb, ke, j->fresh);
}

static void dinput_run(const dense_job *j, int part, int parts)
{
    int blocks = (j->in_dim + DX_ROWS - 1) / DX_ROWS;
    int kb = blocks * part / parts * DX_ROWS, ke = blocks * (part + 1) / parts * DX_ROWS;
    dense_dinput_blocked(j->out, j->dy, j->kernel, j->n, j->in_dim, j->units, kb,
                         ke < j->in_dim ? ke : j->in_dim);
}

typedef struct {
    const dense_job *job;
    int part, parts;
} dense_task;

static void *dense_thread(void *arg)
{
    dense_task *t = arg;
    t->job->run(t->job, t->part, t->parts);
    return NULL;
}

/* Runs the job's parts, part 0 here and the others on their own threads. */
static void run_parts(const dense_job *job, int parts)
{
    pthread_t th[MAX_THREADS];
    dense_task task[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (int p = 1; p < parts; p++) {
        task[p] = (dense_task){job, p, parts};
        started[p] = pthread_create(&th[p], NULL, dense_thread, &task[p]) == 0;
    }
    job->run(job, 0, parts);
    for (int p = 1; p < parts; p++) {
        if (started[p])
            pthread_join(th[p], NULL);
        else
            job->run(job, p, parts); /* a thread could not start: its part runs here */
    }
}

static int parts_for(int n, int in_dim, int units, int max_parts)
{
    int parts = (size_t)n * in_dim * units >= PARALLEL_MIN_MACS ? engine_threads() : 1;
    if (parts > max_parts)
        parts = max_parts;
    return parts > 0 ? parts : 1;
}

void nn_dense_forward(float *out, const float *in, const float *kernel, const float *bias,
                      int n, int in_dim, int units)
{
    dense_job job = {forward_run, out, in, kernel, bias, NULL, n, in_dim, units, 0};
    run_parts(&job, parts_for(n, in_dim, units, FW_COLS ? units / FW_COLS : 1));
}

static void dense_backward(float *din, float *dkernel, float *dbias, const float *dout, const float *in,
                           const float *kernel, int n, int in_dim, int units, int fresh)
{
    if (dkernel) { /* dW (+)= x^T dy */
        dense_job job = {dkernel_run, dkernel, in, NULL, NULL, dout, n, in_dim, units, fresh};
        run_parts(&job, parts_for(n, in_dim, units, in_dim));
    }
    if (dbias) {
        if (fresh)
            memset(dbias, 0, (size_t)units * sizeof *dbias);
        for (int i = 0; i < n; i++) {
            const float *row = dout + (size_t)i * units;
            for (int j = 0; j < units; j++)
                dbias[j] += row[j];
        }
    }
    if (din) { /* dx += dy W^T */
        dense_job job = {dinput_run, din, NULL, kernel, NULL, dout, n, in_dim, units, 0};
        run_parts(&job, parts_for(n, in_dim, units, (in_dim + DX_ROWS - 1) / DX_ROWS));
    }
}

void nn_dense_backward(float *din, float *dkernel, float *dbias, const float *dout,
                       const float *in, const float *kernel, int n, int in_dim, int units)
{
    dense_backward(din, dkernel, dbias, dout, in, kernel, n, in_dim, units, 0);
}

/* As nn_dense_backward, but dkernel and dbias are overwritten rather than added to:
 * a Dense layer's weights get exactly one gradient contribution per backward, so the
 * model need not clear them first (77 MB for the reference head's first kernel). */
void nn_dense_backward_fresh(float *din, float *dkernel, float *dbias, const float *dout,
                             const float *in, const float *kernel, int n, int in_dim, int units)
{
    dense_backward(din, dkernel, dbias, dout, in, kernel, n, in_dim, units, 1);
}
