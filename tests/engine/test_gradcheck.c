/* Gradient checks for every forward/backward pair in src/engine/ops.h, plus
 * hand-computed cases, direct (naive, double-precision) references for the spatial
 * layers, and the output-size formulas.
 *
 * Gradient check: the scalar L = sum_i w_i * out_i (w ~ N(0,1), fixed seed; for the
 * losses, L is the loss) is evaluated with the float32 forward and accumulated in
 * double. For every element x_j of every input and parameter,
 *     numeric_j = (L(x_j + eps) - L(x_j - eps)) / ((x_j + eps) - (x_j - eps))
 * (the denominator is the difference of the two float32 values actually used), and
 * backward(dout = w) must give analytic_j with
 *     |analytic_j - numeric_j| / max(|analytic_j|, |numeric_j|, FD_FLOOR * max_j |numeric_j|)
 * below the stated tolerance. The floor keeps float32 rounding noise on near-zero
 * gradients (about 1e-7 * |L| / eps in absolute terms) from dominating the measure;
 * a wrong index, a missing scale or a dropped term all give errors of order 1. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/ops.h"
#include "engine/rng.h"

#define FD_FLOOR 0.05

/* ------------------------------------------------------------------ helpers */

static float *fzeros(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

static float *frandn(nn_rng *r, size_t n, float scale)
{
    float *p = fzeros(n);
    for (size_t i = 0; i < n; i++)
        p[i] = scale * nn_rng_normal(r);
    return p;
}

static float *fcopy(const float *x, size_t n)
{
    float *p = fzeros(n);
    memcpy(p, x, n * sizeof(float));
    return p;
}

/* n distinct values (a shuffled grid, spacing `step`, centred on 0): max pooling stays
 * differentiable under a perturbation smaller than step / 2. */
static float *fdistinct(nn_rng *r, size_t n, float step)
{
    int32_t *idx = malloc(n * sizeof(int32_t));
    assert_non_null(idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = (int32_t)i;
    nn_rng_shuffle_i32(r, idx, (int)n);
    float *p = fzeros(n);
    for (size_t i = 0; i < n; i++)
        p[i] = step * ((float)idx[i] - 0.5f * (float)n);
    free(idx);
    return p;
}

static double ddot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * (double)b[i];
    return s;
}

typedef double (*fd_fn)(void *ctx);

typedef struct {
    double max_rel, max_abs;
    size_t worst;
    double a, f; /* analytic and numeric at the worst element */
} fd_stats;

static fd_stats fd_measure(fd_fn loss, void *ctx, float *x, const float *grad, size_t n,
                           float eps)
{
    double *num = malloc(n * sizeof(double));
    assert_non_null(num);
    double gmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float save = x[i];
        const float xp = save + eps, xm = save - eps;
        x[i] = xp;
        const double lp = loss(ctx);
        x[i] = xm;
        const double lm = loss(ctx);
        x[i] = save;
        num[i] = (lp - lm) / ((double)xp - (double)xm);
        if (fabs(num[i]) > gmax)
            gmax = fabs(num[i]);
    }
    fd_stats s = {0};
    for (size_t i = 0; i < n; i++) {
        const double a = grad[i], f = num[i];
        const double diff = fabs(a - f);
        double den = fmax(fabs(a), fabs(f));
        den = fmax(den, FD_FLOOR * gmax);
        const double rel = den > 0 ? diff / den : diff;
        if (diff > s.max_abs)
            s.max_abs = diff;
        if (rel > s.max_rel || i == 0) {
            s.max_rel = rel;
            s.worst = i;
            s.a = a;
            s.f = f;
        }
    }
    free(num);
    /* loss() left the forward state as for the unperturbed x */
    loss(ctx);
    return s;
}

static double worst_overall;

static void fd_expect(const char *what, fd_fn loss, void *ctx, float *x, const float *grad,
                      size_t n, float eps, double tol)
{
    fd_stats s = fd_measure(loss, ctx, x, grad, n, eps);
    printf("  %-44s n=%4zu eps=%.0e  max rel diff %.2e (tol %.0e)  max abs %.2e\n", what, n,
           (double)eps, s.max_rel, tol, s.max_abs);
    if (s.max_rel > worst_overall)
        worst_overall = s.max_rel;
    if (s.max_rel > tol)
        printf("    worst at %zu: analytic %.9g numeric %.9g\n", s.worst, s.a, s.f);
    assert_true(s.max_rel <= tol);
}

/* max_i |a_i - b_i| <= tol * max_i |b_i|: float32 sums of K terms carry rounding of
 * about sqrt(K) * 6e-8 times the terms' size, so the error is measured against the
 * tensor's scale rather than element by element (near-zero sums of large terms). */
static void expect_close(const char *what, const float *a, const double *b, size_t n, double tol)
{
    double worst = 0.0, scale = 0.0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - b[i]);
        if (!(d <= worst)) { /* also catches NaN */
            worst = d;
            wi = i;
        }
        scale = fmax(scale, fabs(b[i]));
    }
    const double rel = scale > 0 ? worst / scale : worst;
    printf("  %-44s n=%6zu max abs diff %.2e = %.1e of max |ref| (tol %.0e)\n", what, n, worst,
           rel, tol);
    if (!(rel <= tol))
        printf("    worst at %zu: got %.9g want %.9g\n", wi, (double)a[wi], b[wi]);
    assert_true(rel <= tol);
}

static void expect_close_f(const char *what, const float *a, const float *b, size_t n, double tol)
{
    double *bd = malloc(n * sizeof(double));
    assert_non_null(bd);
    for (size_t i = 0; i < n; i++)
        bd[i] = b[i];
    expect_close(what, a, bd, n, tol);
    free(bd);
}

/* ------------------------------------------------------------------ the checker itself */

typedef struct {
    float *x, *w, *out;
    uint8_t *mask;
    size_t n;
    float rate;
} drop_ctx;

static double drop_loss(void *p)
{
    drop_ctx *c = p;
    nn_dropout_forward(c->out, c->x, c->mask, c->n, c->rate);
    return ddot(c->out, c->w, c->n);
}

/* A gradient check that cannot fail is no check: feed it gradients with the classic
 * bugs and require that it rejects them. */
static void test_checker_rejects_wrong_gradients(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 101);
    drop_ctx c = {.n = 64, .rate = 0.2f};
    c.x = frandn(&r, c.n, 1.0f);
    c.w = frandn(&r, c.n, 1.0f);
    c.out = fzeros(c.n);
    c.mask = malloc(c.n);
    for (size_t i = 0; i < c.n; i++)
        c.mask[i] = (i % 5) != 0;
    /* dropout backward without the 1/(1-rate) scale */
    float *g = fzeros(c.n);
    for (size_t i = 0; i < c.n; i++)
        g[i] = c.mask[i] ? c.w[i] : 0.0f;
    fd_stats s = fd_measure(drop_loss, &c, c.x, g, c.n, 1e-2f);
    printf("  unscaled dropout gradient: max rel diff %.2e (must exceed 1e-2)\n", s.max_rel);
    assert_true(s.max_rel > 0.1);
    /* the right gradient, with one element off by 1% */
    for (size_t i = 0; i < c.n; i++)
        g[i] = c.mask[i] ? c.w[i] * 1.25f : 0.0f;
    g[7] *= 1.01f;
    s = fd_measure(drop_loss, &c, c.x, g, c.n, 1e-2f);
    printf("  one element 1%% off:       max rel diff %.2e (must exceed 1e-3)\n", s.max_rel);
    assert_true(s.max_rel > 5e-3);
    free(c.x);
    free(c.w);
    free(c.out);
    free(c.mask);
    free(g);
}

/* ------------------------------------------------------------------ Dense */

typedef struct {
    float *x, *k, *b, *w, *out;
    int n, in, units;
} dense_ctx;

static double dense_loss(void *p)
{
    dense_ctx *c = p;
    nn_dense_forward(c->out, c->x, c->k, c->b, c->n, c->in, c->units);
    return ddot(c->out, c->w, (size_t)c->n * c->units);
}

static void test_dense(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 1);
    dense_ctx c = {.n = 3, .in = 7, .units = 5};
    size_t nx = (size_t)c.n * c.in, nk = (size_t)c.in * c.units, no = (size_t)c.n * c.units;
    c.x = frandn(&r, nx, 1.0f);
    c.k = frandn(&r, nk, 0.5f);
    c.b = frandn(&r, c.units, 0.5f);
    c.w = frandn(&r, no, 1.0f);
    c.out = fzeros(no);
    /* forward against y = x W + b in double */
    dense_loss(&c);
    double *ref = calloc(no, sizeof(double));
    for (int i = 0; i < c.n; i++)
        for (int u = 0; u < c.units; u++) {
            double s = c.b[u];
            for (int j = 0; j < c.in; j++)
                s += (double)c.x[i * c.in + j] * c.k[j * c.units + u];
            ref[i * c.units + u] = s;
        }
    expect_close("dense forward vs x W + b", c.out, ref, no, 1e-6);
    free(ref);

    float *dx = fzeros(nx), *dk = fzeros(nk), *db = fzeros(c.units);
    nn_dense_backward(dx, dk, db, c.w, c.x, c.k, c.n, c.in, c.units);
    fd_expect("dense d/dx", dense_loss, &c, c.x, dx, nx, 1e-2f, 1e-3);
    fd_expect("dense d/dkernel", dense_loss, &c, c.k, dk, nk, 1e-2f, 1e-3);
    fd_expect("dense d/dbias", dense_loss, &c, c.b, db, c.units, 1e-2f, 1e-3);

    /* backward adds; NULL gradients are skipped */
    float *dk2 = fcopy(dk, nk);
    nn_dense_backward(NULL, dk2, NULL, c.w, c.x, c.k, c.n, c.in, c.units);
    for (size_t i = 0; i < nk; i++)
        assert_float_equal(dk2[i], 2.0f * dk[i], 1e-5f * (1.0f + fabsf(dk[i])));
    free(dk2);
    free(c.x), free(c.k), free(c.b), free(c.w), free(c.out), free(dx), free(dk), free(db);
}

/* ------------------------------------------------------------------ activations */

typedef struct {
    float *x, *w, *out;
    size_t rows;
    int len;
    nn_act act;
} act_ctx;

static double act_loss(void *p)
{
    act_ctx *c = p;
    nn_act_forward(c->out, c->x, c->rows, c->len, c->act);
    return ddot(c->out, c->w, c->rows * (size_t)c->len);
}

static void check_act(nn_act act, const char *name, float eps, double tol)
{
    nn_rng r;
    nn_rng_seed(&r, 2 + (uint64_t)act);
    act_ctx c = {.rows = 4, .len = 6, .act = act};
    size_t n = c.rows * (size_t)c.len;
    c.x = frandn(&r, n, 2.0f);
    if (act == NN_ACT_RELU) /* keep every input at least 0.1 away from the kink */
        for (size_t i = 0; i < n; i++)
            c.x[i] = c.x[i] >= 0 ? c.x[i] + 0.1f : c.x[i] - 0.1f;
    c.w = frandn(&r, n, 1.0f);
    c.out = fzeros(n);
    act_loss(&c);
    float *dx = fzeros(n);
    nn_act_backward(dx, c.w, c.out, c.rows, c.len, act);
    char what[64];
    snprintf(what, sizeof what, "activation %s d/dx", name);
    fd_expect(what, act_loss, &c, c.x, dx, n, eps, tol);
    free(c.x), free(c.w), free(c.out), free(dx);
}

static void test_activations(void **state)
{
    (void)state;
    check_act(NN_ACT_LINEAR, "linear", 1e-2f, 1e-3);
    check_act(NN_ACT_RELU, "relu", 1e-2f, 1e-3);
    check_act(NN_ACT_SIGMOID, "sigmoid", 1e-2f, 1e-3);
    check_act(NN_ACT_SOFTMAX, "softmax", 1e-2f, 1e-3);

    /* softmax rows sum to one, sigmoid(0) = 0.5, relu(-x) = 0 */
    float x[6] = {1.0f, 2.0f, 3.0f, -1.0f, 0.0f, 1000.0f}, y[6];
    nn_act_forward(y, x, 2, 3, NN_ACT_SOFTMAX);
    assert_float_equal(y[0] + y[1] + y[2], 1.0f, 1e-6f);
    assert_float_equal(y[2], (float)(1.0 / (1.0 + exp(-1.0) + exp(-2.0))), 1e-6f);
    assert_float_equal(y[5], 1.0f, 1e-6f); /* no overflow at 1000 */
    nn_act_forward(y, x, 1, 6, NN_ACT_SIGMOID);
    assert_float_equal(y[4], 0.5f, 0.0f);
    nn_act_forward(y, x, 1, 6, NN_ACT_RELU);
    assert_float_equal(y[3], 0.0f, 0.0f);
}

/* ------------------------------------------------------------------ Dropout */

static void check_dropout_exact(double rate, float scale_keras)
{
    nn_rng r;
    nn_rng_seed(&r, 3);
    const size_t n = 257;
    float *x = frandn(&r, n, 3.0f), *y = fzeros(n), *g = frandn(&r, n, 1.0f);
    float *dx = fzeros(n);
    uint8_t *m = malloc(n);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        m[i] = nn_rng_uniform(&r) >= rate;
        kept += m[i];
    }
    assert_true(kept > 0 && (rate == 0.0f || kept < n));
    nn_dropout_forward(y, x, m, n, rate);
    nn_dropout_backward(dx, g, m, n, rate);
    for (size_t i = 0; i < n; i++) {
        /* Keras: x * (1 / (1 - rate)) with the scale rounded to float32 once */
        const float want = m[i] ? x[i] * scale_keras : 0.0f;
        const float want_g = m[i] ? g[i] * scale_keras : 0.0f;
        if (y[i] != want || dx[i] != want_g)
            printf("  rate %g elem %zu: y %.9g want %.9g, dx %.9g want %.9g\n", (double)rate, i,
                   (double)y[i], (double)want, (double)dx[i], (double)want_g);
        assert_true(y[i] == want);
        assert_true(dx[i] == want_g); /* the same scale in backward; dropped: exactly 0 */
    }
    /* backward adds */
    nn_dropout_backward(dx, g, m, n, rate);
    for (size_t i = 0; i < n; i++)
        assert_true(dx[i] == 2.0f * (m[i] ? g[i] * scale_keras : 0.0f));
    free(x), free(y), free(g), free(dx), free(m);
}

static void test_dropout(void **state)
{
    (void)state;
    /* Keras's scale is float32(1 / (1 - rate)) with rate a Python double; the rate is
     * carried as a double so 0.9 gives exactly 10 (a float rate would give 9.999998). */
    check_dropout_exact(0.2, 1.25f);
    check_dropout_exact(0.5, 2.0f);
    check_dropout_exact(0.75, 4.0f);
    check_dropout_exact(0.9, 10.0f);
    check_dropout_exact(0.8, 5.0f);
    check_dropout_exact(0.1, (float)(1.0 / (1.0 - 0.1)));
    check_dropout_exact(0.3, (float)(1.0 / (1.0 - 0.3)));
    check_dropout_exact(0.4, (float)(1.0 / (1.0 - 0.4)));
    check_dropout_exact(0.6, (float)(1.0 / (1.0 - 0.6)));
    check_dropout_exact(0.7, (float)(1.0 / (1.0 - 0.7)));
    check_dropout_exact(0.0, 1.0f); /* rate 0 is the identity */

    nn_rng r;
    nn_rng_seed(&r, 4);
    drop_ctx c = {.n = 100, .rate = 0.2f};
    c.x = frandn(&r, c.n, 1.0f);
    c.w = frandn(&r, c.n, 1.0f);
    c.out = fzeros(c.n);
    c.mask = malloc(c.n);
    size_t dropped = 0;
    for (size_t i = 0; i < c.n; i++) {
        c.mask[i] = nn_rng_uniform(&r) >= c.rate;
        dropped += !c.mask[i];
    }
    assert_true(dropped > 0);
    float *dx = fzeros(c.n);
    nn_dropout_backward(dx, c.w, c.mask, c.n, c.rate);
    fd_expect("dropout(0.2) fixed mask d/dx", drop_loss, &c, c.x, dx, c.n, 1e-2f, 1e-3);

    /* nn_dropout_draw: mask = (u >= rate), one uniform per element in order */
    nn_rng a, b;
    nn_rng_seed(&a, 77);
    nn_rng_seed(&b, 77);
    uint8_t m[1000];
    size_t nd = nn_dropout_draw(m, 1000, 0.2f, &a);
    size_t count = 0;
    for (int i = 0; i < 1000; i++) {
        const uint8_t want = nn_rng_uniform(&b) >= 0.2f;
        assert_int_equal(m[i], want);
        count += !want;
    }
    assert_int_equal(nd, count);
    assert_true(nd > 150 && nd < 250);
    free(c.x), free(c.w), free(c.out), free(c.mask), free(dx);
}

/* ------------------------------------------------------------------ the dropout family */

/* SpatialDropout2D's noise shape (N, 1, 1, C) on (N, H, W, C): one uniform per (example,
 * channel), drawn in that order, broadcast over H and W. */
static void test_dropout_noise_shape(void **state)
{
    (void)state;
    enum { N = 3, H = 4, W = 5, C = 6 };
    const int dims[4] = {N, H, W, C}, noise[4] = {N, 1, 1, C};
    const size_t total = (size_t)N * H * W * C;
    uint8_t *m = malloc(total);
    nn_rng a, b;
    nn_rng_seed(&a, 5);
    nn_rng_seed(&b, 5);
    size_t dropped = nn_dropout_draw_shaped(m, dims, noise, 4, 0.5, &a);
    size_t want_dropped = 0, cells_dropped = 0;
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            const uint8_t keep = (double)nn_rng_uniform(&b) >= 0.5;
            cells_dropped += !keep;
            for (int hw = 0; hw < H * W; hw++) {
                assert_int_equal(m[((size_t)n * H * W + hw) * C + c], keep);
                want_dropped += !keep;
            }
        }
    assert_int_equal(dropped, want_dropped);
    assert_true(cells_dropped > 0 && cells_dropped < N * C); /* the check sees both values */
    /* the generator moved by exactly N*C draws */
    assert_true(nn_rng_next(&a) == nn_rng_next(&b));

    /* noise_shape (None, H, 1, 1): one draw per (example, row), shared by a row's pixels
     * and channels */
    const int noise_rows[4] = {N, H, 1, 1};
    nn_rng_seed(&a, 6);
    nn_rng_seed(&b, 6);
    nn_dropout_draw_shaped(m, dims, noise_rows, 4, 0.3, &a);
    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++) {
            const uint8_t keep = (double)nn_rng_uniform(&b) >= 0.3;
            for (int k = 0; k < W * C; k++)
                assert_int_equal(m[((size_t)n * H + h) * W * C + k], keep);
        }

    /* a full noise shape is nn_dropout_draw itself */
    uint8_t *m2 = malloc(total);
    nn_rng_seed(&a, 7);
    nn_rng_seed(&b, 7);
    nn_dropout_draw_shaped(m, dims, dims, 4, 0.2, &a);
    nn_dropout_draw(m2, total, 0.2, &b);
    assert_memory_equal(m, m2, total);

    /* gradient through a channel mask: the same dropout forward/backward pair */
    nn_rng r;
    nn_rng_seed(&r, 8);
    nn_dropout_draw_shaped(m, dims, noise, 4, 0.5, &r);
    drop_ctx c = {.n = total, .rate = 0.5f, .mask = m};
    c.x = frandn(&r, c.n, 1.0f);
    c.w = frandn(&r, c.n, 1.0f);
    c.out = fzeros(c.n);
    float *dx = fzeros(c.n);
    nn_dropout_backward(dx, c.w, c.mask, c.n, c.rate);
    fd_expect("spatial dropout(0.5) (N,1,1,C) mask d/dx", drop_loss, &c, c.x, dx, c.n, 1e-2f, 1e-3);
    free(c.x), free(c.w), free(c.out), free(dx), free(m), free(m2);
}

typedef struct {
    float *x, *w, *out, *noise;
    uint8_t *mask;
    size_t n;
    double rate;
} noise_ctx;

static double gauss_loss(void *p)
{
    noise_ctx *c = p;
    nn_gaussian_dropout_forward(c->out, c->x, c->noise, c->n);
    return ddot(c->out, c->w, c->n);
}

static void test_gaussian_dropout(void **state)
{
    (void)state;
    /* the noise: z * float32(sqrt(rate / (1 - rate))) + 1, z the generator's normals */
    enum { BIG = 200000 };
    float *e = malloc(BIG * sizeof(float));
    nn_rng a, b;
    nn_rng_seed(&a, 9);
    nn_rng_seed(&b, 9);
    nn_gaussian_noise_draw(e, BIG, 0.2, &a);
    const float sd = 0.5f; /* sqrt(0.2 / 0.8), exact in float32 */
    double sum = 0, sq = 0;
    for (int i = 0; i < BIG; i++) {
        assert_true(e[i] == nn_rng_normal(&b) * sd + 1.0f);
        sum += e[i];
        sq += (double)e[i] * e[i];
    }
    /* mean 1 and variance rate/(1-rate) = 0.25, within 5 standard errors */
    const double mean = sum / BIG, var = sq / BIG - mean * mean;
    printf("  gaussian noise rate 0.2: mean %.5f (want 1), variance %.5f (want 0.25)\n", mean, var);
    assert_true(fabs(mean - 1.0) < 5 * 0.5 / sqrt(BIG));
    assert_true(fabs(var - 0.25) < 5 * 0.25 * sqrt(2.0 / BIG));
    free(e);

    nn_rng r;
    nn_rng_seed(&r, 10);
    noise_ctx c = {.n = 120, .rate = 0.3};
    c.x = frandn(&r, c.n, 1.0f);
    c.w = frandn(&r, c.n, 1.0f);
    c.out = fzeros(c.n);
    c.noise = fzeros(c.n);
    nn_gaussian_noise_draw(c.noise, c.n, c.rate, &r);
    float *dx = fzeros(c.n);
    nn_gaussian_dropout_backward(dx, c.w, c.noise, c.n);
    fd_expect("gaussian dropout(0.3) fixed noise d/dx", gauss_loss, &c, c.x, dx, c.n, 1e-2f, 1e-3);
    free(c.x), free(c.w), free(c.out), free(c.noise), free(dx);
}

static double alpha_loss(void *p)
{
    noise_ctx *c = p;
    nn_alpha_dropout_forward(c->out, c->x, c->mask, c->n, c->rate);
    return ddot(c->out, c->w, c->n);
}

static void test_alpha_dropout(void **state)
{
    (void)state;
    /* Keras 2's AlphaDropout constants, evaluated with Python floats:
     *   alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
     *   a = ((1 - rate) * (1 + rate * alpha_p**2))**-0.5;  b = -a * alpha_p * rate */
    static const struct {
        double rate, a, b;
    } ref[] = {
        {0.1, 0.9212845161497115, 0.16197097005757022},
        {0.2, 0.8789035834435328, 0.30903996214409446},
        {0.5, 0.886404894665932, 0.7791939305180317},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        nn_alpha_consts k = nn_alpha_dropout_consts(ref[i].rate);
        assert_true(k.alpha_p == -1.7580993408473766);
        assert_true(fabs(k.a - ref[i].a) <= 4e-16 && fabs(k.b - ref[i].b) <= 4e-16);
        /* what they are for: a SELU-normalised input (mean 0, variance 1) stays so */
        const double q = 1 - ref[i].rate, p = ref[i].rate;
        assert_true(fabs(k.a * p * k.alpha_p + k.b) < 1e-15);
        assert_true(fabs(k.a * k.a * q * (1 + p * k.alpha_p * k.alpha_p) - 1) < 1e-15);
    }
    /* rate 0 is the identity: a = 1, b = 0 */
    assert_true(nn_alpha_dropout_consts(0.0).a == 1.0 && nn_alpha_dropout_consts(0.0).b == 0.0);

    nn_rng r;
    nn_rng_seed(&r, 11);
    noise_ctx c = {.n = 150, .rate = 0.2};
    c.x = frandn(&r, c.n, 1.0f);
    c.w = frandn(&r, c.n, 1.0f);
    c.out = fzeros(c.n);
    c.mask = malloc(c.n);
    nn_dropout_draw(c.mask, c.n, c.rate, &r);
    nn_alpha_dropout_forward(c.out, c.x, c.mask, c.n, c.rate);
    const float a = 0.8789035834435328f, b = 0.30903996214409446f, ap = -1.7580993408473766f;
    size_t dropped = 0;
    for (size_t i = 0; i < c.n; i++) {
        /* kept: a*x + b; dropped: a*alpha_p + b, each product and sum rounded to float32 */
        const float want = c.mask[i] ? a * c.x[i] + b : a * ap + b;
        assert_true(c.out[i] == want);
        dropped += !c.mask[i];
    }
    assert_true(dropped > 0 && dropped < c.n);
    float *dx = fzeros(c.n);
    nn_alpha_dropout_backward(dx, c.w, c.mask, c.n, c.rate);
    for (size_t i = 0; i < c.n; i++)
        if (!c.mask[i])
            assert_true(dx[i] == 0.0f); /* a dropped unit's output is a constant */
    fd_expect("alpha dropout(0.2) fixed mask d/dx", alpha_loss, &c, c.x, dx, c.n, 1e-2f, 1e-3);
    free(c.x), free(c.w), free(c.out), free(c.mask), free(dx);
}

/* ------------------------------------------------------------------ losses */

typedef struct {
    float *z;
    int32_t *y;
    int n, k;
} loss_ctx;

static double bce_loss(void *p)
{
    loss_ctx *c = p;
    return nn_bce_logits(NULL, c->z, c->y, c->n);
}

static double scce_loss(void *p)
{
    loss_ctx *c = p;
    return nn_scce_logits(NULL, c->z, c->y, c->n, c->k);
}

static void test_losses(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 5);
    loss_ctx c = {.n = 8, .k = 1};
    c.z = frandn(&r, 8, 3.0f);
    int32_t yb[8] = {0, 1, 1, 0, 1, 0, 0, 1};
    c.y = yb;
    float dz[8];
    double l = nn_bce_logits(dz, c.z, c.y, c.n);
    double want = 0.0;
    for (int i = 0; i < 8; i++) { /* -y log p - (1-y) log(1-p), in double */
        const double p = 1.0 / (1.0 + exp(-(double)c.z[i]));
        want += -(yb[i] * log(p) + (1 - yb[i]) * log(1.0 - p));
    }
    want /= 8;
    printf("  bce value %.9g want %.9g\n", l, want);
    assert_true(fabs(l - want) < 1e-9 * (1 + fabs(want)));
    fd_expect("binary cross-entropy d/dlogits", bce_loss, &c, c.z, dz, 8, 1e-3f, 1e-3);

    /* logits +-100: finite loss and gradient, no log(0) */
    float zz[4] = {100.0f, -100.0f, 100.0f, -100.0f};
    int32_t yy[4] = {0, 1, 1, 0};
    float dzz[4];
    double lz = nn_bce_logits(dzz, zz, yy, 4);
    printf("  bce at +-100: loss %.9g, grads %g %g %g %g\n", lz, (double)dzz[0], (double)dzz[1],
           (double)dzz[2], (double)dzz[3]);
    assert_true(isfinite(lz));
    assert_true(fabs(lz - 50.0) < 1e-9); /* (100 + 100 + ~0 + ~0) / 4 */
    for (int i = 0; i < 4; i++)
        assert_true(isfinite(dzz[i]));
    assert_float_equal(dzz[0], 0.25f, 1e-7f);
    assert_float_equal(dzz[1], -0.25f, 1e-7f);
    assert_float_equal(dzz[2], 0.0f, 1e-7f);
    assert_float_equal(dzz[3], 0.0f, 1e-7f);

    /* sparse categorical cross-entropy, k = 5 */
    loss_ctx s = {.n = 4, .k = 5};
    s.z = frandn(&r, 20, 2.0f);
    int32_t ys[4] = {0, 4, 2, 2};
    s.y = ys;
    float ds[20];
    l = nn_scce_logits(ds, s.z, s.y, s.n, s.k);
    want = 0.0;
    for (int i = 0; i < 4; i++) {
        double se = 0;
        for (int j = 0; j < 5; j++)
            se += exp((double)s.z[i * 5 + j]);
        want += log(se) - s.z[i * 5 + ys[i]];
    }
    want /= 4;
    printf("  scce value %.9g want %.9g\n", l, want);
    assert_true(fabs(l - want) < 1e-9 * (1 + fabs(want)));
    fd_expect("sparse categorical cross-entropy d/dlogits", scce_loss, &s, s.z, ds, 20, 1e-3f,
              1e-3);
    float big[3] = {1000.0f, 0.0f, -1000.0f};
    int32_t yb2[1] = {1};
    float dbig[3];
    assert_true(fabs(nn_scce_logits(dbig, big, yb2, 1, 3) - 1000.0) < 1e-9);
    int32_t bad[1] = {3};
    assert_true(isnan(nn_scce_logits(NULL, big, bad, 1, 3)));
    free(c.z), free(s.z);
}

/* ------------------------------------------------------------------ Conv2D */

/* Direct convolution in double: the outside reference for forward and backward. */
static void conv_ref_forward(double *out, const float *in, const float *k, const float *b,
                             const nn_conv_dims *d)
{
    for (int n = 0; n < d->n; n++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int f = 0; f < d->filters; f++) {
                    double s = b ? b[f] : 0.0;
                    for (int i = 0; i < d->kh; i++)
                        for (int j = 0; j < d->kw; j++) {
                            int y = oy * d->sh - d->pad_top + i, x = ox * d->sw - d->pad_left + j;
                            if (y < 0 || y >= d->h || x < 0 || x >= d->w)
                                continue;
                            for (int c = 0; c < d->c; c++)
                                s += (double)in[(((size_t)n * d->h + y) * d->w + x) * d->c + c] *
                                     k[(((size_t)i * d->kw + j) * d->c + c) * d->filters + f];
                        }
                    out[(((size_t)n * d->oh + oy) * d->ow + ox) * d->filters + f] = s;
                }
}

static void conv_ref_backward(double *din, double *dk, double *db, const float *dout,
                              const float *in, const float *k, const nn_conv_dims *d)
{
    for (int n = 0; n < d->n; n++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int f = 0; f < d->filters; f++) {
                    const double g = dout[(((size_t)n * d->oh + oy) * d->ow + ox) * d->filters + f];
                    db[f] += g;
                    for (int i = 0; i < d->kh; i++)
                        for (int j = 0; j < d->kw; j++) {
                            int y = oy * d->sh - d->pad_top + i, x = ox * d->sw - d->pad_left + j;
                            if (y < 0 || y >= d->h || x < 0 || x >= d->w)
                                continue;
                            for (int c = 0; c < d->c; c++) {
                                size_t xi = (((size_t)n * d->h + y) * d->w + x) * d->c + c;
                                size_t ki = (((size_t)i * d->kw + j) * d->c + c) * d->filters + f;
                                din[xi] += g * k[ki];
                                dk[ki] += g * in[xi];
                            }
                        }
                }
}

typedef struct {
    nn_conv_dims d;
    float *x, *k, *b, *w, *out, *scratch;
} conv_ctx;

static double conv_loss(void *p)
{
    conv_ctx *c = p;
    nn_conv2d_forward(c->out, c->x, c->k, c->b, &c->d, c->scratch);
    return ddot(c->out, c->w, (size_t)c->d.n * c->d.oh * c->d.ow * c->d.filters);
}

static void check_conv(const char *tag, int n, int h, int w, int ch, int kh, int kw, int filters,
                       int sh, int sw, nn_padding pad, bool use_bias, bool full_fd)
{
    nn_rng r;
    nn_rng_seed(&r, 6 + (uint64_t)(h * 131 + w * 17 + kh * 7 + sh + pad * 1000));
    conv_ctx c = {.d = {.n = n, .h = h, .w = w, .c = ch, .kh = kh, .kw = kw,
                        .filters = filters, .sh = sh, .sw = sw, .padding = pad}};
    assert_true(nn_conv_dims_init(&c.d));
    const size_t nx = (size_t)n * h * w * ch, nk = (size_t)kh * kw * ch * filters;
    const size_t no = (size_t)n * c.d.oh * c.d.ow * filters;
    c.x = frandn(&r, nx, 1.0f);
    c.k = frandn(&r, nk, 0.5f);
    c.b = use_bias ? frandn(&r, filters, 0.5f) : NULL;
    c.w = frandn(&r, no, 1.0f);
    c.out = fzeros(no);
    size_t ns = nn_conv2d_scratch_floats(&c.d);
    c.scratch = fzeros(ns);
    char what[96];

    double *ref = calloc(no, sizeof(double));
    conv_ref_forward(ref, c.x, c.k, c.b, &c.d);
    conv_loss(&c);
    snprintf(what, sizeof what, "conv %s forward vs direct", tag);
    expect_close(what, c.out, ref, no, 1e-5);
    free(ref);

    /* gradients, prefilled to check that backward adds */
    float *dx = frandn(&r, nx, 1.0f), *dk = frandn(&r, nk, 1.0f), *db = frandn(&r, filters, 1.0f);
    float *dx0 = fcopy(dx, nx), *dk0 = fcopy(dk, nk), *db0 = fcopy(db, filters);
    nn_conv2d_backward(dx, dk, use_bias ? db : NULL, c.w, c.x, c.k, &c.d, c.scratch);
    for (size_t i = 0; i < nx; i++)
        dx[i] -= dx0[i];
    for (size_t i = 0; i < nk; i++)
        dk[i] -= dk0[i];
    for (int i = 0; i < filters; i++)
        db[i] -= db0[i];
    if (!use_bias)
        for (int i = 0; i < filters; i++)
            assert_true(db[i] == 0.0f); /* NULL dbias: untouched */

    double *rdx = calloc(nx, sizeof(double)), *rdk = calloc(nk, sizeof(double));
    double *rdb = calloc((size_t)filters, sizeof(double));
    conv_ref_backward(rdx, rdk, rdb, c.w, c.x, c.k, &c.d);
    snprintf(what, sizeof what, "conv %s d/dx vs direct", tag);
    expect_close(what, dx, rdx, nx, 1e-5);
    snprintf(what, sizeof what, "conv %s d/dkernel vs direct", tag);
    expect_close(what, dk, rdk, nk, 1e-5);
    if (use_bias) {
        snprintf(what, sizeof what, "conv %s d/dbias vs direct", tag);
        expect_close(what, db, rdb, (size_t)filters, 1e-5);
    }

    if (full_fd) {
        snprintf(what, sizeof what, "conv %s d/dx", tag);
        fd_expect(what, conv_loss, &c, c.x, dx, nx, 1e-2f, 2e-3);
        snprintf(what, sizeof what, "conv %s d/dkernel", tag);
        fd_expect(what, conv_loss, &c, c.k, dk, nk, 1e-2f, 2e-3);
        if (use_bias) {
            snprintf(what, sizeof what, "conv %s d/dbias", tag);
            fd_expect(what, conv_loss, &c, c.b, db, (size_t)filters, 1e-2f, 2e-3);
        }
    }

    /* NULL din / dkernel: the remaining gradient is unchanged */
    float *dk2 = fzeros(nk), *dx2 = fzeros(nx);
    nn_conv2d_backward(NULL, dk2, NULL, c.w, c.x, c.k, &c.d, c.scratch);
    nn_conv2d_backward(dx2, NULL, NULL, c.w, c.x, c.k, &c.d, c.scratch);
    expect_close_f("  same with NULL din / dbias", dk2, dk, nk, 1e-5);
    expect_close_f("  same with NULL dkernel / dbias", dx2, dx, nx, 1e-5);

    free(rdx), free(rdk), free(rdb), free(dk2), free(dx2);
    free(dx), free(dk), free(db), free(dx0), free(dk0), free(db0);
    free(c.x), free(c.k), free(c.b), free(c.w), free(c.out), free(c.scratch);
}

static void test_conv2d_gradients(void **state)
{
    (void)state;
    /* tag, n, h, w, c, kh, kw, filters, sh, sw, padding, bias, full FD */
    check_conv("3x3 valid", 2, 6, 5, 3, 3, 3, 4, 1, 1, NN_PAD_VALID, true, true);
    check_conv("3x3 same", 2, 5, 6, 3, 3, 3, 4, 1, 1, NN_PAD_SAME, true, true);
    check_conv("3x3 valid stride 2", 2, 7, 8, 2, 3, 3, 3, 2, 2, NN_PAD_VALID, true, true);
    check_conv("3x3 same stride 2 no bias", 2, 7, 6, 2, 3, 3, 3, 2, 2, NN_PAD_SAME, false, true);
    check_conv("2x2 same (odd pad bottom/right)", 1, 5, 5, 2, 2, 2, 3, 1, 1, NN_PAD_SAME, true, true);
    check_conv("1x1 pointwise", 2, 4, 3, 5, 1, 1, 3, 1, 1, NN_PAD_SAME, false, true);
    check_conv("1x1 stride 2", 1, 5, 5, 3, 1, 1, 2, 2, 2, NN_PAD_VALID, true, true);
    check_conv("1x3 same (Inception 1xn)", 2, 4, 5, 2, 1, 3, 2, 1, 1, NN_PAD_SAME, false, true);
    check_conv("3x1 same", 1, 5, 4, 2, 3, 1, 2, 1, 1, NN_PAD_SAME, true, true);
    check_conv("5x5 same stride 3 on 7x7", 1, 7, 7, 1, 5, 5, 2, 3, 3, NN_PAD_SAME, true, true);
    check_conv("3x3 stride 1x2 valid", 1, 6, 7, 2, 3, 3, 2, 1, 2, NN_PAD_VALID, true, true);
    check_conv("kernel larger than stride window", 1, 3, 3, 1, 3, 3, 1, 1, 1, NN_PAD_VALID, true,
               true);
}

/* Large enough that the im2col scratch holds fewer images than the batch: checks the
 * chunked path against the direct reference. */
static void test_conv2d_chunked(void **state)
{
    (void)state;
    nn_conv_dims d = {.n = 3, .h = 72, .w = 72, .c = 32, .kh = 3, .kw = 3, .filters = 8,
                      .sh = 1, .sw = 1, .padding = NN_PAD_VALID};
    assert_true(nn_conv_dims_init(&d));
    const size_t per_image = (size_t)d.oh * d.ow * d.kh * d.kw * d.c;
    const size_t ns = nn_conv2d_scratch_floats(&d);
    printf("  scratch %zu floats = %.2f images of im2col\n", ns, (double)ns / (double)per_image);
    assert_true(ns >= per_image);        /* at least one image */
    assert_true(ns < d.n * per_image);   /* bounded: fewer than the batch */
    check_conv("72x72x32 3x3 chunked", 3, 72, 72, 32, 3, 3, 8, 1, 1, NN_PAD_VALID, true, false);
}

/* Hand-computed values. */
static void test_conv2d_hand(void **state)
{
    (void)state;
    /* 3x3x1 input 1..9, 2x2 kernel [[1,2],[3,4]], bias 0.5 */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float k[4] = {1, 2, 3, 4};
    float b[1] = {0.5f};
    float out[9], scratch[64];
    nn_conv_dims d = {.n = 1, .h = 3, .w = 3, .c = 1, .kh = 2, .kw = 2, .filters = 1,
                      .sh = 1, .sw = 1, .padding = NN_PAD_VALID};
    assert_true(nn_conv_dims_init(&d));
    assert_true(nn_conv2d_scratch_floats(&d) <= 64);
    nn_conv2d_forward(out, x, k, b, &d, scratch);
    const float valid[4] = {37.5f, 47.5f, 67.5f, 77.5f};
    for (int i = 0; i < 4; i++)
        assert_float_equal(out[i], valid[i], 0.0f);
    /* 'same': total pad 1, all of it at the bottom/right */
    d.padding = NN_PAD_SAME;
    assert_true(nn_conv_dims_init(&d));
    assert_int_equal(d.pad_top, 0);
    assert_int_equal(d.pad_left, 0);
    nn_conv2d_forward(out, x, k, b, &d, scratch);
    const float same[9] = {37.5f, 47.5f, 21.5f, 67.5f, 77.5f, 33.5f, 23.5f, 26.5f, 9.5f};
    for (int i = 0; i < 9; i++)
        assert_float_equal(out[i], same[i], 0.0f);
    /* 'same' stride 2: outputs at (0,0), (0,2), (2,0), (2,2) */
    d.sh = d.sw = 2;
    assert_true(nn_conv_dims_init(&d));
    assert_int_equal(d.oh, 2);
    nn_conv2d_forward(out, x, k, b, &d, scratch);
    const float same2[4] = {37.5f, 21.5f, 23.5f, 9.5f};
    for (int i = 0; i < 4; i++)
        assert_float_equal(out[i], same2[i], 0.0f);
    /* hand backward of the valid case, dout = 1 everywhere: dkernel[i][j] = sum of the
     * 2x2 block of inputs it meets, din = sum of the kernel taps covering each pixel */
    d.padding = NN_PAD_VALID;
    d.sh = d.sw = 1;
    assert_true(nn_conv_dims_init(&d));
    float ones[4] = {1, 1, 1, 1}, dk[4] = {0}, dx[9] = {0}, db[1] = {0};
    nn_conv2d_backward(dx, dk, db, ones, x, k, &d, scratch);
    const float dk_want[4] = {1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9};
    const float dx_want[9] = {1, 1 + 2, 2, 1 + 3, 1 + 2 + 3 + 4, 2 + 4, 3, 3 + 4, 4};
    for (int i = 0; i < 4; i++)
        assert_float_equal(dk[i], dk_want[i], 0.0f);
    for (int i = 0; i < 9; i++)
        assert_float_equal(dx[i], dx_want[i], 0.0f);
    assert_float_equal(db[0], 4.0f, 0.0f);

    /* channels and filters: kernel (kh, kw, c, filters). 2x2x2 input, pixel p holds
     * (2p+1, 2p+2); filter 0 sums everything, filter 1 is channel 0 minus channel 1. */
    float x2[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float k2[16];
    for (int i = 0; i < 4; i++) { /* (i = ki*2+kj, c, f) */
        k2[i * 4 + 0] = 1, k2[i * 4 + 1] = 1;   /* c 0: f0, f1 */
        k2[i * 4 + 2] = 1, k2[i * 4 + 3] = -1;  /* c 1: f0, f1 */
    }
    nn_conv_dims d2 = {.n = 1, .h = 2, .w = 2, .c = 2, .kh = 2, .kw = 2, .filters = 2,
                       .sh = 1, .sw = 1, .padding = NN_PAD_VALID};
    assert_true(nn_conv_dims_init(&d2));
    nn_conv2d_forward(out, x2, k2, NULL, &d2, scratch);
    assert_float_equal(out[0], 36.0f, 0.0f);
    assert_float_equal(out[1], -4.0f, 0.0f);
    /* 1x1 (pointwise path): input (1, 10), kernel [[1,2,3],[4,5,6]] -> (41, 52, 63) */
    float x3[2] = {1, 10}, k3[6] = {1, 2, 3, 4, 5, 6};
    nn_conv_dims d3 = {.n = 1, .h = 1, .w = 1, .c = 2, .kh = 1, .kw = 1, .filters = 3,
                       .sh = 1, .sw = 1, .padding = NN_PAD_SAME};
    assert_true(nn_conv_dims_init(&d3));
    nn_conv2d_forward(out, x3, k3, NULL, &d3, scratch);
    assert_float_equal(out[0], 41.0f, 0.0f);
    assert_float_equal(out[1], 52.0f, 0.0f);
    assert_float_equal(out[2], 63.0f, 0.0f);
}

/* ------------------------------------------------------------------ output sizes */

static void conv_size(int in, int k, int s, nn_padding p, int want_out, int want_pad)
{
    nn_conv_dims d = {.n = 1, .h = in, .w = in, .c = 1, .kh = k, .kw = k, .filters = 1,
                      .sh = s, .sw = s, .padding = p};
    assert_true(nn_conv_dims_init(&d));
    if (d.oh != want_out || d.pad_top != want_pad)
        printf("  conv in %d k %d s %d %s: out %d pad %d, want %d %d\n", in, k, s,
               p == NN_PAD_SAME ? "same" : "valid", d.oh, d.pad_top, want_out, want_pad);
    assert_int_equal(d.oh, want_out);
    assert_int_equal(d.ow, want_out);
    assert_int_equal(d.pad_top, want_pad);
    assert_int_equal(d.pad_left, want_pad);
}

static int pool_size(int in, int k, int s, nn_padding p)
{
    nn_pool_dims d = {.n = 1, .h = in, .w = in, .c = 1, .ph = k, .pw = k, .sh = s, .sw = s,
                      .padding = p};
    assert_true(nn_pool_dims_init(&d));
    assert_int_equal(d.oh, d.ow);
    return d.oh;
}

static void test_output_sizes(void **state)
{
    (void)state;
    conv_size(150, 3, 2, NN_PAD_VALID, 74, 0);  /* InceptionV3 stem */
    conv_size(74, 3, 1, NN_PAD_VALID, 72, 0);
    conv_size(72, 3, 1, NN_PAD_SAME, 72, 1);
    conv_size(35, 3, 2, NN_PAD_SAME, 18, 1);    /* ceil(35/2); total pad 2 */
    conv_size(35, 3, 1, NN_PAD_VALID, 33, 0);
    conv_size(4, 3, 2, NN_PAD_SAME, 2, 0);      /* total pad 1: bottom/right only */
    conv_size(5, 2, 1, NN_PAD_SAME, 5, 0);      /* even kernel: total 1, bottom/right */
    conv_size(7, 7, 1, NN_PAD_SAME, 7, 3);
    conv_size(8, 1, 2, NN_PAD_SAME, 4, 0);      /* kernel < stride: total pad < 0 -> 0 */
    conv_size(16, 3, 2, NN_PAD_VALID, 7, 0);    /* mixed3 reduction */
    conv_size(3, 3, 1, NN_PAD_VALID, 1, 0);
    assert_int_equal(pool_size(72, 3, 2, NN_PAD_VALID), 35);
    assert_int_equal(pool_size(33, 3, 2, NN_PAD_VALID), 16);
    assert_int_equal(pool_size(7, 2, 2, NN_PAD_VALID), 3);
    assert_int_equal(pool_size(7, 2, 2, NN_PAD_SAME), 4);
    assert_int_equal(pool_size(35, 3, 1, NN_PAD_SAME), 35);
    /* rectangular: h and w independently */
    nn_conv_dims r = {.n = 2, .h = 17, .w = 9, .c = 3, .kh = 1, .kw = 7, .filters = 4,
                      .sh = 1, .sw = 2, .padding = NN_PAD_SAME};
    assert_true(nn_conv_dims_init(&r));
    assert_int_equal(r.oh, 17);
    assert_int_equal(r.ow, 5);
    assert_int_equal(r.pad_top, 0);
    assert_int_equal(r.pad_left, 3); /* total (5-1)*2+7-9 = 6 */
    /* empty outputs are refused */
    nn_conv_dims e = {.n = 1, .h = 4, .w = 4, .c = 1, .kh = 5, .kw = 5, .filters = 1,
                      .sh = 1, .sw = 1, .padding = NN_PAD_VALID};
    assert_false(nn_conv_dims_init(&e));
    nn_pool_dims pe = {.n = 1, .h = 1, .w = 1, .c = 1, .ph = 2, .pw = 2, .sh = 2, .sw = 2,
                       .padding = NN_PAD_VALID};
    assert_false(nn_pool_dims_init(&pe));
    pe.padding = NN_PAD_SAME;
    assert_true(nn_pool_dims_init(&pe));
    assert_int_equal(pe.oh, 1);
}

/* ------------------------------------------------------------------ pooling */

static void pool_ref(double *out, const float *in, const nn_pool_dims *d, bool max)
{
    for (int n = 0; n < d->n; n++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int c = 0; c < d->c; c++) {
                    double s = max ? -INFINITY : 0.0;
                    int cnt = 0;
                    for (int i = 0; i < d->ph; i++)
                        for (int j = 0; j < d->pw; j++) {
                            int y = oy * d->sh - d->pad_top + i, x = ox * d->sw - d->pad_left + j;
                            if (y < 0 || y >= d->h || x < 0 || x >= d->w)
                                continue;
                            double v = in[(((size_t)n * d->h + y) * d->w + x) * d->c + c];
                            s = max ? fmax(s, v) : s + v;
                            cnt++;
                        }
                    out[(((size_t)n * d->oh + oy) * d->ow + ox) * d->c + c] = max ? s : s / cnt;
                }
}

typedef struct {
    nn_pool_dims d;
    float *x, *w, *out;
    int32_t *argmax;
    bool max;
} pool_ctx;

static double pool_loss(void *p)
{
    pool_ctx *c = p;
    if (c->max)
        nn_maxpool2d_forward(c->out, c->argmax, c->x, &c->d);
    else
        nn_avgpool2d_forward(c->out, c->x, &c->d);
    return ddot(c->out, c->w, (size_t)c->d.n * c->d.oh * c->d.ow * c->d.c);
}

static void check_pool(const char *tag, bool max, int n, int h, int w, int ch, int ph, int pw,
                       int sh, int sw, nn_padding pad)
{
    nn_rng r;
    nn_rng_seed(&r, 7 + (uint64_t)(h * 31 + w + ph * 5 + sh + pad * 100 + max));
    pool_ctx c = {.d = {.n = n, .h = h, .w = w, .c = ch, .ph = ph, .pw = pw, .sh = sh, .sw = sw,
                        .padding = pad},
                  .max = max};
    assert_true(nn_pool_dims_init(&c.d));
    const size_t nx = (size_t)n * h * w * ch, no = (size_t)n * c.d.oh * c.d.ow * ch;
    /* distinct values 0.05 apart, all negative for max pooling so that a zero from
     * padding would win if padding were counted */
    c.x = fdistinct(&r, nx, 0.05f);
    if (max)
        for (size_t i = 0; i < nx; i++)
            c.x[i] -= 0.05f * (float)nx;
    c.w = frandn(&r, no, 1.0f);
    c.out = fzeros(no);
    c.argmax = calloc(no, sizeof(int32_t));
    pool_loss(&c);
    double *ref = calloc(no, sizeof(double));
    pool_ref(ref, c.x, &c.d, max);
    char what[96];
    snprintf(what, sizeof what, "%s %s forward vs direct", max ? "maxpool" : "avgpool", tag);
    expect_close(what, c.out, ref, no, 1e-6);
    float *dx = frandn(&r, nx, 1.0f), *dx0 = fcopy(dx, nx);
    if (max)
        nn_maxpool2d_backward(dx, c.w, c.argmax, &c.d);
    else
        nn_avgpool2d_backward(dx, c.w, &c.d);
    for (size_t i = 0; i < nx; i++)
        dx[i] -= dx0[i];
    snprintf(what, sizeof what, "%s %s d/dx", max ? "maxpool" : "avgpool", tag);
    fd_expect(what, pool_loss, &c, c.x, dx, nx, 1e-2f, 1e-3);
    free(ref), free(dx), free(dx0), free(c.x), free(c.w), free(c.out), free(c.argmax);
}

static void test_pooling_gradients(void **state)
{
    (void)state;
    for (int m = 0; m < 2; m++) {
        check_pool("2x2 valid", m, 2, 6, 5, 3, 2, 2, 2, 2, NN_PAD_VALID);
        check_pool("3x3/2 valid", m, 2, 7, 7, 2, 3, 3, 2, 2, NN_PAD_VALID);
        check_pool("2x2 same odd", m, 2, 5, 7, 2, 2, 2, 2, 2, NN_PAD_SAME);
        check_pool("3x3/1 same", m, 1, 5, 4, 3, 3, 3, 1, 1, NN_PAD_SAME);
        check_pool("3x3/2 same", m, 1, 6, 5, 2, 3, 3, 2, 2, NN_PAD_SAME);
        check_pool("3x3/1 valid (overlapping)", m, 1, 5, 5, 2, 3, 3, 1, 1, NN_PAD_VALID);
    }
}

static void test_pooling_hand(void **state)
{
    (void)state;
    /* AveragePooling2D 2x2/2 'same' on 3x3: windows clipped at the bottom/right, the
     * divisor is the count of real pixels (4, 2, 2, 1), never the window size 4. */
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, out[9], dx[9] = {0};
    nn_pool_dims d = {.n = 1, .h = 3, .w = 3, .c = 1, .ph = 2, .pw = 2, .sh = 2, .sw = 2,
                      .padding = NN_PAD_SAME};
    assert_true(nn_pool_dims_init(&d));
    assert_int_equal(d.oh, 2);
    assert_int_equal(d.pad_top, 0);
    nn_avgpool2d_forward(out, x, &d);
    assert_float_equal(out[0], 3.0f, 0.0f);          /* (1+2+4+5)/4 */
    assert_float_equal(out[1], 4.5f, 0.0f);          /* (3+6)/2 */
    assert_float_equal(out[2], 7.5f, 0.0f);          /* (7+8)/2 */
    assert_float_equal(out[3], 9.0f, 0.0f);          /* 9/1 */
    float g[4] = {4, 2, 2, 1};
    nn_avgpool2d_backward(dx, g, &d);
    for (int i = 0; i < 9; i++)
        assert_float_equal(dx[i], 1.0f, 0.0f);
    /* 3x3/1 'same' on 3x3: corners average 4 pixels, edges 6, centre 9 */
    nn_pool_dims d3 = {.n = 1, .h = 3, .w = 3, .c = 1, .ph = 3, .pw = 3, .sh = 1, .sw = 1,
                       .padding = NN_PAD_SAME};
    assert_true(nn_pool_dims_init(&d3));
    assert_int_equal(d3.pad_top, 1);
    nn_avgpool2d_forward(out, x, &d3);
    assert_float_equal(out[0], 3.0f, 0.0f);          /* (1+2+4+5)/4 */
    assert_float_equal(out[1], 3.5f, 0.0f);          /* (1+2+3+4+5+6)/6 */
    assert_float_equal(out[4], 5.0f, 0.0f);          /* 45/9 */
    assert_float_equal(out[8], 7.0f, 0.0f);          /* (5+6+8+9)/4 */

    /* MaxPooling2D 'same' with negative inputs: padding never wins */
    float neg[9];
    for (int i = 0; i < 9; i++)
        neg[i] = -x[i];
    int32_t am[4];
    nn_maxpool2d_forward(out, am, neg, &d);
    assert_float_equal(out[0], -1.0f, 0.0f);
    assert_float_equal(out[1], -3.0f, 0.0f);
    assert_float_equal(out[2], -7.0f, 0.0f);
    assert_float_equal(out[3], -9.0f, 0.0f);
    /* ties: the gradient goes to the first maximum in row-major window order (TF) */
    float tie[16] = {1, 1, 0, 2,  1, 1, 2, 2,  5, 0, 3, 3,  0, 5, 3, 3};
    nn_pool_dims dt = {.n = 1, .h = 4, .w = 4, .c = 1, .ph = 2, .pw = 2, .sh = 2, .sw = 2,
                       .padding = NN_PAD_VALID};
    assert_true(nn_pool_dims_init(&dt));
    float ones[4] = {1, 1, 1, 1}, dt_x[16] = {0};
    nn_maxpool2d_forward(out, am, tie, &dt);
    nn_maxpool2d_backward(dt_x, ones, am, &dt);
    const float want[16] = {1, 0, 0, 1,  0, 0, 0, 0,  1, 0, 1, 0,  0, 0, 0, 0};
    for (int i = 0; i < 16; i++)
        assert_float_equal(dt_x[i], want[i], 0.0f);
}

typedef struct {
    float *x, *w, *out;
    int n, hw, c;
} gap_ctx;

static double gap_loss(void *p)
{
    gap_ctx *c = p;
    nn_gap2d_forward(c->out, c->x, c->n, c->hw, c->c);
    return ddot(c->out, c->w, (size_t)c->n * c->c);
}

static void test_gap(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 8);
    gap_ctx c = {.n = 3, .hw = 10, .c = 4};
    const size_t nx = (size_t)c.n * c.hw * c.c, no = (size_t)c.n * c.c;
    c.x = frandn(&r, nx, 1.0f);
    c.w = frandn(&r, no, 1.0f);
    c.out = fzeros(no);
    gap_loss(&c);
    double ref[12];
    for (int b = 0; b < c.n; b++)
        for (int ch = 0; ch < c.c; ch++) {
            double s = 0;
            for (int p = 0; p < c.hw; p++)
                s += c.x[((size_t)b * c.hw + p) * c.c + ch];
            ref[b * c.c + ch] = s / c.hw;
        }
    expect_close("gap forward vs mean", c.out, ref, no, 1e-6);
    float *dx = fzeros(nx);
    nn_gap2d_backward(dx, c.w, c.n, c.hw, c.c);
    fd_expect("gap d/dx", gap_loss, &c, c.x, dx, nx, 1e-2f, 1e-3);
    free(c.x), free(c.w), free(c.out), free(dx);
}

/* ------------------------------------------------------------------ BatchNormalization */

typedef struct {
    nn_bn_dims d;
    float *x, *gamma, *beta, *w, *out, *xhat, *mean, *invstd, *mm, *mv;
    bool train;
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *c = p;
    if (c->train)
        nn_bn_forward_train(c->out, c->xhat, c->mean, c->invstd, c->mm, c->mv, c->x, c->gamma,
                            c->beta, &c->d);
    else
        nn_bn_forward_infer(c->out, c->x, c->gamma, c->beta, c->mm, c->mv, &c->d);
    return ddot(c->out, c->w, c->d.rows * (size_t)c->d.c);
}

static void check_bn(const char *tag, bool train, bool use_gamma, bool use_beta)
{
    nn_rng r;
    nn_rng_seed(&r, 9 + train * 2 + use_gamma * 4 + use_beta * 8);
    bn_ctx c = {.d = {.rows = 2 * 3 * 3, .c = 5, .eps = 1e-3f, .momentum = 0.99f}, .train = train};
    const size_t nx = c.d.rows * (size_t)c.d.c;
    c.x = frandn(&r, nx, 1.5f);
    for (size_t i = 0; i < nx; i++)
        c.x[i] += (float)(i % 5) - 2.0f; /* per-channel offsets */
    c.gamma = use_gamma ? frandn(&r, 5, 1.0f) : NULL;
    c.beta = use_beta ? frandn(&r, 5, 1.0f) : NULL;
    c.w = frandn(&r, nx, 1.0f);
    c.out = fzeros(nx);
    c.xhat = fzeros(nx);
    c.mean = fzeros(5);
    c.invstd = fzeros(5);
    c.mm = frandn(&r, 5, 1.0f);
    c.mv = fzeros(5);
    for (int j = 0; j < 5; j++)
        c.mv[j] = 0.5f + (float)j * 0.3f;
    float *mm0 = fcopy(c.mm, 5), *mv0 = fcopy(c.mv, 5);
    bn_loss(&c);

    /* forward against the definition in double */
    double ref[90];
    for (int j = 0; j < 5; j++) {
        double mu = 0, var = 0;
        for (size_t i = 0; i < c.d.rows; i++)
            mu += c.x[i * 5 + j];
        mu /= (double)c.d.rows;
        for (size_t i = 0; i < c.d.rows; i++)
            var += (c.x[i * 5 + j] - mu) * (c.x[i * 5 + j] - mu);
        var /= (double)c.d.rows;
        const double g = use_gamma ? c.gamma[j] : 1.0, b = use_beta ? c.beta[j] : 0.0;
        for (size_t i = 0; i < c.d.rows; i++) {
            if (train)
                ref[i * 5 + j] = (c.x[i * 5 + j] - mu) / sqrt(var + 1e-3) * g + b;
            else
                ref[i * 5 + j] = (c.x[i * 5 + j] - (double)mm0[j]) / sqrt((double)mv0[j] + 1e-3) * g + b;
        }
        if (train) {
            assert_float_equal(c.mean[j], (float)mu, 1e-6f);
            assert_float_equal(c.mm[j], (float)(0.99 * mm0[j] + 0.01 * mu), 1e-6f);
            const double unbiased = var * (double)c.d.rows / (double)(c.d.rows - 1);
            assert_float_equal(c.mv[j], (float)(0.99 * mv0[j] + 0.01 * unbiased), 1e-6f);
        } else {
            assert_true(c.mm[j] == mm0[j] && c.mv[j] == mv0[j]); /* inference: untouched */
        }
    }
    char what[96];
    snprintf(what, sizeof what, "bn %s forward vs definition", tag);
    expect_close(what, c.out, ref, nx, 2e-6);

    float *dx = fzeros(nx), *dg = fzeros(5), *db = fzeros(5);
    if (train)
        nn_bn_backward_train(dx, use_gamma ? dg : NULL, use_beta ? db : NULL, c.w, c.xhat,
                             c.invstd, c.gamma, &c.d);
    else
        nn_bn_backward_infer(dx, use_gamma ? dg : NULL, use_beta ? db : NULL, c.w, c.x, c.gamma,
                             c.mm, c.mv, &c.d);
    const float eps = train ? 1e-2f : 1e-2f;
    snprintf(what, sizeof what, "bn %s d/dx", tag);
    fd_expect(what, bn_loss, &c, c.x, dx, nx, eps, 5e-3);
    if (use_gamma) {
        snprintf(what, sizeof what, "bn %s d/dgamma", tag);
        fd_expect(what, bn_loss, &c, c.gamma, dg, 5, eps, 5e-3);
    }
    if (use_beta) {
        snprintf(what, sizeof what, "bn %s d/dbeta", tag);
        fd_expect(what, bn_loss, &c, c.beta, db, 5, eps, 5e-3);
    }
    free(dx), free(dg), free(db), free(mm0), free(mv0);
    free(c.x), free(c.gamma), free(c.beta), free(c.w), free(c.out), free(c.xhat), free(c.mean);
    free(c.invstd), free(c.mm), free(c.mv);
}

static void test_batchnorm_gradients(void **state)
{
    (void)state;
    check_bn("train gamma+beta", true, true, true);
    check_bn("train scale=False", true, false, true);
    check_bn("train center=False", true, true, false);
    check_bn("infer gamma+beta", false, true, true);
    check_bn("infer scale=False", false, false, true);
}

static void test_batchnorm_hand(void **state)
{
    (void)state;
    /* 4 rows, 2 channels: channel 0 = 1, 2, 3, 4; channel 1 constant 2 (variance 0). */
    float x[8] = {1, 2, 2, 2, 3, 2, 4, 2};
    float gamma[2] = {2.0f, 1.0f}, beta[2] = {0.5f, -1.0f};
    float mm[2] = {0, 0}, mv[2] = {1, 1};
    float out[8], xhat[8], mean[2], invstd[2];
    nn_bn_dims d = {.rows = 4, .c = 2, .eps = 1e-3f, .momentum = 0.99f};
    nn_bn_forward_train(out, xhat, mean, invstd, mm, mv, x, gamma, beta, &d);
    /* mean 2.5, biased variance 1.25, invstd 1/sqrt(1.251) */
    assert_float_equal(mean[0], 2.5f, 0.0f);
    assert_float_equal(invstd[0], 0.894069635f, 1e-7f);
    assert_float_equal(out[0], -1.5f * 0.894069635f * 2.0f + 0.5f, 1e-6f); /* -2.18220890 */
    assert_float_equal(out[2], -0.5f * 0.894069635f * 2.0f + 0.5f, 1e-6f);
    assert_float_equal(out[6], 1.5f * 0.894069635f * 2.0f + 0.5f, 1e-6f);
    /* zero variance: x - mean = 0, output = beta */
    for (int i = 0; i < 4; i++)
        assert_float_equal(out[2 * i + 1], -1.0f, 0.0f);
    assert_float_equal(invstd[1], 31.6227766f, 1e-4f); /* 1/sqrt(0.001) */
    /* moving mean 0.99*0 + 0.01*2.5; moving variance gets the unbiased 1.25*4/3.
     * 1 - 0.99f in float is 0.0099999905, so 4e-6 relative slack (TF's factor is 0.01f). */
    assert_float_equal(mm[0], 0.025f, 1e-7f);
    assert_float_equal(mv[0], 0.99f + 0.01f * (5.0f / 3.0f), 1e-7f); /* 1.00666667 */
    assert_float_equal(mm[1], 0.02f, 1e-7f);
    assert_float_equal(mv[1], 0.99f, 1e-7f);

    /* inference with those statistics: (x - 0.025) / sqrt(1.00666667 + 0.001) * 2 + 0.5 */
    nn_bn_forward_infer(out, x, gamma, beta, mm, mv, &d);
    assert_float_equal(out[0], (float)((1.0 - 0.025) / sqrt(1.0076666667) * 2.0 + 0.5), 2e-6f);
    assert_float_equal(out[1], (float)((2.0 - 0.02) / sqrt(0.991) - 1.0), 2e-6f);
    /* frozen BN of InceptionV3: scale=False, y = (x - mean)/sqrt(var + 0.001) + beta */
    nn_bn_forward_infer(out, x, NULL, beta, mm, mv, &d);
    assert_float_equal(out[6], (float)((4.0 - 0.025) / sqrt(1.0076666667) + 0.5), 2e-6f);

    /* hand backward, channel 0, gamma 2, dout = (1, 0, 0, 0):
     * xhat = (-1.5, -0.5, 0.5, 1.5) * s with s = invstd; mean(g) = 1/4;
     * mean(g*xhat) = -1.5 s / 4; din_i = 2 s (g_i - 1/4 + xhat_i * 1.5 s / 4) */
    float g[8] = {1, 0, 0, 0, 0, 0, 0, 0}, dx[8] = {0}, dg[2] = {0}, db[2] = {0};
    nn_bn_forward_train(out, xhat, mean, invstd, mm, mv, x, gamma, beta, &d);
    nn_bn_backward_train(dx, dg, db, g, xhat, invstd, gamma, &d);
    const double s = 1.0 / sqrt(1.251);
    const double xh[4] = {-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s};
    for (int i = 0; i < 4; i++) {
        const double want = 2.0 * s * ((i == 0) - 0.25 + xh[i] * 1.5 * s / 4.0);
        assert_float_equal(dx[2 * i], (float)want, 1e-6f);
        assert_float_equal(dx[2 * i + 1], 0.0f, 0.0f);
    }
    assert_float_equal(dg[0], (float)xh[0], 1e-6f);
    assert_float_equal(db[0], 1.0f, 0.0f);
    assert_float_equal(dg[1], 0.0f, 0.0f);
}

/* ------------------------------------------------------------------ Concatenate */

typedef struct {
    float *a, *b, *c, *w, *out;
    int ch[3];
    size_t rows;
} cat_ctx;

static double cat_loss(void *p)
{
    cat_ctx *c = p;
    const float *ins[3] = {c->a, c->b, c->c};
    nn_concat_forward(c->out, ins, c->ch, 3, c->rows);
    return ddot(c->out, c->w, c->rows * (size_t)(c->ch[0] + c->ch[1] + c->ch[2]));
}

static void test_concat(void **state)
{
    (void)state;
    nn_rng r;
    nn_rng_seed(&r, 10);
    cat_ctx c = {.ch = {2, 3, 1}, .rows = 4};
    c.a = frandn(&r, 8, 1.0f);
    c.b = frandn(&r, 12, 1.0f);
    c.c = frandn(&r, 4, 1.0f);
    c.w = frandn(&r, 24, 1.0f);
    c.out = fzeros(24);
    cat_loss(&c);
    for (size_t i = 0; i < 4; i++) { /* row i = a_i | b_i | c_i */
        assert_true(c.out[i * 6 + 0] == c.a[i * 2 + 0] && c.out[i * 6 + 1] == c.a[i * 2 + 1]);
        assert_true(c.out[i * 6 + 2] == c.b[i * 3 + 0] && c.out[i * 6 + 4] == c.b[i * 3 + 2]);
        assert_true(c.out[i * 6 + 5] == c.c[i]);
    }
    float *da = fzeros(8), *db = fzeros(12), *dc = fzeros(4);
    float *const d[3] = {da, db, dc};
    nn_concat_backward(d, c.w, c.ch, 3, c.rows);
    fd_expect("concat d/dinput0 (2 ch)", cat_loss, &c, c.a, da, 8, 1e-2f, 1e-3);
    fd_expect("concat d/dinput1 (3 ch)", cat_loss, &c, c.b, db, 12, 1e-2f, 1e-3);
    fd_expect("concat d/dinput2 (1 ch)", cat_loss, &c, c.c, dc, 4, 1e-2f, 1e-3);
    /* NULL entries are skipped; present ones add */
    float *const d2[3] = {NULL, db, NULL};
    nn_concat_backward(d2, c.w, c.ch, 3, c.rows);
    for (size_t i = 0; i < 4; i++)
        assert_true(db[i * 3 + 1] == 2.0f * c.w[i * 6 + 3]);
    free(c.a), free(c.b), free(c.c), free(c.w), free(c.out), free(da), free(db), free(dc);
}

static int print_summary(void **state)
{
    (void)state;
    printf("largest relative difference in any gradient check: %.3e\n", worst_overall);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_rejects_wrong_gradients),
        cmocka_unit_test(test_dense),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_dropout_noise_shape),
        cmocka_unit_test(test_gaussian_dropout),
        cmocka_unit_test(test_alpha_dropout),
        cmocka_unit_test(test_losses),
        cmocka_unit_test(test_output_sizes),
        cmocka_unit_test(test_conv2d_hand),
        cmocka_unit_test(test_conv2d_gradients),
        cmocka_unit_test(test_conv2d_chunked),
        cmocka_unit_test(test_pooling_hand),
        cmocka_unit_test(test_pooling_gradients),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_batchnorm_hand),
        cmocka_unit_test(test_batchnorm_gradients),
        cmocka_unit_test(test_concat),
    };
    return cmocka_run_group_tests_name("engine gradcheck", tests, NULL, print_summary);
}
