/* Model-level tests: optimizers against hand-computed values, freezing (bit-identical
 * frozen tensors for every optimizer), dropout statistics and modes, Keras parameter
 * counts and names, backward stopping at the lowest trainable layer, non-finite losses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/bases.h"
#include "engine/model.h"
#include "engine/trace.h"

static int push(nn_model *m, nn_layer_type t, int units, nn_act act)
{
    nn_layer_cfg c = nn_layer_cfg_default(t);
    c.units = units;
    c.act = act;
    int r = nn_model_push(m, &c);
    if (r < 0)
        fail_msg("%s", nn_model_error(m));
    return r;
}

static int push_input(nn_model *m, nn_shape s)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = s;
    return nn_model_push(m, &c);
}

static int push_dropout(nn_model *m, float rate)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = rate;
    return nn_model_push(m, &c);
}

/* One weight w, no bias: the optimizer sees the gradient we put in grad. */
static nn_model *scalar_model(nn_opt_kind k, float lr, float w)
{
    nn_model *m = nn_model_create("scalar");
    push_input(m, nn_shape1(1));
    nn_layer_cfg c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    c.use_bias = false;
    assert_true(nn_model_push(m, &c) >= 0);
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(k);
    o.lr = lr;
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    m->layers[1]->params[0].data[0] = w;
    return m;
}

/* loss w^2/2: gradient = w */
static float scalar_steps(nn_model *m, int steps)
{
    nn_param *p = &m->layers[1]->params[0];
    for (int i = 0; i < steps; i++) {
        p->grad[0] = p->data[0];
        assert_int_equal(nn_model_update(m), 0);
    }
    return p->data[0];
}

static void test_rmsprop_check_value(void **state)
{
    (void)state;
    nn_model *m = scalar_model(NN_OPT_RMSPROP, 0.1f, 10.0f);
    /* KERAS_SEMANTICS.md: lr 0.1, w 10, loss w^2/2, one step -> 9.683772 */
    assert_float_equal(scalar_steps(m, 1), 9.683772f, 1e-6);
    /* step 2 by hand: ms = 0.9*10 + 0.1*9.683772^2 = 18.377543; w -= 0.1*9.683772/sqrt(ms) */
    double ms = 0.9 * 10.0 + 0.1 * 9.683772 * 9.683772;
    double w2 = 9.683772 - 0.1 * 9.683772 / (sqrt(ms) + 1e-7);
    assert_float_equal(scalar_steps(m, 1), w2, 1e-5);
    nn_model_destroy(m);

    /* TF 2.11+: epsilon inside the root; with eps 1 the difference is visible */
    m = scalar_model(NN_OPT_RMSPROP, 0.1f, 10.0f);
    m->opt.eps = 1.0f;
    m->opt.eps_inside_sqrt = true;
    assert_float_equal(scalar_steps(m, 1), 10.0 - 0.1 * 10.0 / sqrt(10.0 + 1.0), 1e-5);
    nn_model_destroy(m);
    m = scalar_model(NN_OPT_RMSPROP, 0.1f, 10.0f);
    m->opt.eps = 1.0f;
    assert_float_equal(scalar_steps(m, 1), 10.0 - 0.1 * 10.0 / (sqrt(10.0) + 1.0), 1e-5);
    nn_model_destroy(m);
}

static void test_sgd_and_momentum(void **state)
{
    (void)state;
    nn_model *m = scalar_model(NN_OPT_SGD, 0.1f, 10.0f);
    assert_float_equal(scalar_steps(m, 1), 9.0f, 1e-6); /* 10 - 0.1*10 */
    assert_float_equal(scalar_steps(m, 1), 8.1f, 1e-6);
    nn_model_destroy(m);

    /* momentum 0.9: v1 = -1, w1 = 9; v2 = -0.9 - 0.9 = -1.8, w2 = 7.2 */
    m = scalar_model(NN_OPT_SGD, 0.1f, 10.0f);
    m->opt.momentum = 0.9f;
    assert_float_equal(scalar_steps(m, 1), 9.0f, 1e-6);
    assert_float_equal(scalar_steps(m, 1), 7.2f, 1e-5);
    nn_model_destroy(m);

    /* nesterov: v1 = -1, w1 = 10 + 0.9*(-1) - 1 = 8.1;
     * g2 = 8.1, v2 = -0.9 - 0.81 = -1.71, w2 = 8.1 + 0.9*(-1.71) - 0.81 = 5.751 */
    m = scalar_model(NN_OPT_SGD, 0.1f, 10.0f);
    m->opt.momentum = 0.9f;
    m->opt.nesterov = true;
    assert_float_equal(scalar_steps(m, 1), 8.1f, 1e-5);
    assert_float_equal(scalar_steps(m, 1), 5.751f, 1e-5);
    nn_model_destroy(m);
}

static void test_adam(void **state)
{
    (void)state;
    nn_model *m = scalar_model(NN_OPT_ADAM, 0.1f, 10.0f);
    /* t=1: m = 1, v = 0.1, lr_t = 0.1*sqrt(0.001)/0.1 = 0.0316228;
     * w = 10 - 0.0316228 * 1 / (sqrt(0.1) + 1e-7) = 9.9 (Adam's first step is ~lr) */
    double lr_t = 0.1 * sqrt(1 - 0.999) / (1 - 0.9);
    double w1 = 10.0 - lr_t * 1.0 / (sqrt(0.1) + 1e-7);
    assert_float_equal(scalar_steps(m, 1), w1, 1e-5);
    double m2 = 0.9 * 1.0 + 0.1 * w1, v2 = 0.999 * 0.1 + 0.001 * w1 * w1;
    double lr2 = 0.1 * sqrt(1 - 0.999 * 0.999) / (1 - 0.9 * 0.9);
    double w2 = w1 - lr2 * m2 / (sqrt(v2) + 1e-7);
    assert_float_equal(scalar_steps(m, 1), w2, 1e-5);
    nn_model_destroy(m);
}

/* Input(8) -> Dense(16, relu) -> Dense(12, relu) -> Dropout(0.2) -> Dense(1, sigmoid) */
static nn_model *small_mlp(uint64_t seed)
{
    nn_model *m = nn_model_create("mlp");
    push_input(m, nn_shape1(8));
    push(m, NN_DENSE, 16, NN_ACT_RELU);
    push(m, NN_DENSE, 12, NN_ACT_RELU);
    push_dropout(m, 0.2f);
    push(m, NN_DENSE, 1, NN_ACT_SIGMOID);
    nn_rng r;
    nn_rng_seed(&r, seed);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    return m;
}

static void fill_batch(float *x, int32_t *y, int n, int d, uint64_t seed)
{
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            x[i * d + j] = nn_rng_normal(&r);
            s += x[i * d + j] * (j % 2 ? 1 : -0.5);
        }
        y[i] = s > 0;
    }
}

static void test_keras_names(void **state)
{
    (void)state;
    nn_model *m = small_mlp(1);
    assert_string_equal(m->layers[0]->name, "input_1");
    assert_string_equal(m->layers[1]->name, "dense");
    assert_string_equal(m->layers[2]->name, "dense_1");
    assert_string_equal(m->layers[3]->name, "dropout");
    assert_string_equal(m->layers[4]->name, "dense_2");
    nn_layer_cfg c = nn_layer_cfg_default(NN_DENSE);
    nn_model_destroy(m);
    m = nn_model_create("dup");
    push_input(m, nn_shape1(3));
    c.units = 2;
    c.name = "dense";
    assert_true(nn_model_push(m, &c) >= 0);
    assert_true(nn_model_push(m, &c) < 0);
    assert_non_null(strstr(nn_model_error(m), "used twice"));
    nn_model_destroy(m);
}

static void freezing_with(nn_opt_kind kind, float momentum)
{
    nn_model *m = small_mlp(7);
    nn_model_set_trainable(m, 1, false); /* freeze the first Dense */
    nn_optimizer_cfg o = nn_optimizer_default(kind);
    o.momentum = momentum;
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    nn_layer *fr = m->layers[1], *tr = m->layers[2];
    size_t fk = fr->params[0].size * sizeof(float), fb = fr->params[1].size * sizeof(float);
    float *k0 = malloc(fk), *b0 = malloc(fb), *t0 = malloc(tr->params[0].size * sizeof(float));
    memcpy(k0, fr->params[0].data, fk);
    memcpy(b0, fr->params[1].data, fb);
    memcpy(t0, tr->params[0].data, tr->params[0].size * sizeof(float));
    float x[20 * 8];
    int32_t y[20];
    for (int s = 0; s < 25; s++) {
        fill_batch(x, y, 20, 8, 100 + s);
        nn_step_result res;
        assert_int_equal(nn_model_train_step(m, x, y, 20, &res), 0);
        assert_true(res.finite);
        assert_true(fr->dw_max == 0.0f); /* measured against the copy */
    }
    assert_memory_equal(k0, fr->params[0].data, fk);
    assert_memory_equal(b0, fr->params[1].data, fb);
    /* no optimizer slots were ever made for the frozen tensors */
    assert_null(fr->params[0].slot[0]);
    assert_null(fr->params[1].slot[0]);
    /* backward never reached below the lowest trainable layer */
    assert_null(fr->dout);
    assert_int_equal(m->lowest_trainable, 2);
    /* the trainable layer moved */
    assert_true(memcmp(t0, tr->params[0].data, tr->params[0].size * sizeof(float)) != 0);
    assert_true(tr->dw_max > 0.0f);
    free(k0);
    free(b0);
    free(t0);
    nn_model_destroy(m);
}

static void test_freezing_all_optimizers(void **state)
{
    (void)state;
    freezing_with(NN_OPT_SGD, 0.0f);
    freezing_with(NN_OPT_SGD, 0.9f);
    freezing_with(NN_OPT_RMSPROP, 0.0f);
    freezing_with(NN_OPT_RMSPROP, 0.5f);
    freezing_with(NN_OPT_ADAM, 0.0f);
}

static void test_trainable_needs_compile(void **state)
{
    (void)state;
    nn_model *m = small_mlp(3);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    /* Keras: setting trainable after compile changes summary() but not fit() */
    nn_model_set_trainable(m, 1, false);
    nn_param_counts c = nn_model_count_params(m);
    assert_int_equal(c.non_trainable, 8 * 16 + 16);
    float x[20 * 8];
    int32_t y[20];
    fill_batch(x, y, 20, 8, 5);
    float before = m->layers[1]->params[0].data[0];
    assert_int_equal(nn_model_train_step(m, x, y, 20, NULL), 0);
    assert_true(m->layers[1]->params[0].data[0] != before); /* still trains */
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    before = m->layers[1]->params[0].data[0];
    assert_int_equal(nn_model_train_step(m, x, y, 20, NULL), 0);
    assert_true(m->layers[1]->params[0].data[0] == before); /* now frozen */
    nn_model_destroy(m);
}

static void test_dropout_statistics(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("drop");
    push_input(m, nn_shape1(1024));
    push_dropout(m, 0.2f);
    push(m, NN_DENSE, 1, NN_ACT_SIGMOID);
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    int n = 20;
    float *x = malloc(sizeof(float) * 1024 * n);
    for (int i = 0; i < 1024 * n; i++)
        x[i] = 0.5f + (float)(i % 97) / 97.0f;
    assert_int_equal(nn_model_forward(m, x, n, true), 0);
    nn_layer *d = m->layers[1];
    size_t total = 1024 * (size_t)n, dropped = 0;
    for (size_t i = 0; i < total; i++) {
        dropped += !d->mask[i];
        if (d->mask[i])
            assert_float_equal(d->out[i], (double)x[i] / (1.0 - 0.2), 2e-7 * fabs(x[i]) * 1.25);
        else
            assert_true(d->out[i] == 0.0f);
    }
    assert_int_equal(dropped, d->dropped);
    /* binomial(20480, 0.2): mean 4096, sd 57.2; 6 sd either way */
    assert_in_range(dropped, 4096 - 344, 4096 + 344);
    /* per example the masks differ (per-example, per-unit draws) */
    assert_true(memcmp(d->mask, d->mask + 1024, 1024) != 0);
    /* a new mask each step */
    uint8_t *first = malloc(total);
    memcpy(first, d->mask, total);
    assert_int_equal(nn_model_forward(m, x, n, true), 0);
    assert_true(memcmp(first, d->mask, total) != 0);
    /* inference: identity, no mask */
    assert_int_equal(nn_model_forward(m, x, n, false), 0);
    assert_false(d->mask_valid);
    assert_memory_equal(d->out, x, total * sizeof(float));
    /* rate 0: identity in training too */
    assert_int_equal(nn_model_set_dropout_rate(m, 1, 0.0f), 0);
    assert_int_equal(nn_model_forward(m, x, n, true), 0);
    assert_memory_equal(d->out, x, total * sizeof(float));
    /* rate 1 accepted, fails at the first training call; inference still works */
    assert_int_equal(nn_model_set_dropout_rate(m, 1, 1.0f), 0);
    assert_int_equal(nn_model_forward(m, x, n, false), 0);
    assert_int_equal(nn_model_forward(m, x, n, true), -1);
    assert_non_null(strstr(nn_model_error(m), "dropout"));
    /* invalid rates */
    assert_int_equal(nn_model_set_dropout_rate(m, 1, 1.5f), -1);
    assert_int_equal(nn_model_set_dropout_rate(m, 1, -0.1f), -1);
    assert_int_equal(nn_model_set_dropout_rate(m, 1, NAN), -1);
    free(first);
    free(x);
    nn_model_destroy(m);
    m = nn_model_create("bad");
    push_input(m, nn_shape1(4));
    assert_true(push_dropout(m, 1.01f) < 0);
    nn_model_destroy(m);
}

static void test_dropout_gradient_scaled(void **state)
{
    (void)state;
    /* dx = dy * m / (1 - rate): with a linear path the input gradient of a kept unit is
     * 1.25x what it would be without dropout, and exactly 0 for a dropped one. */
    nn_model *m = small_mlp(11);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    float x[20 * 8];
    int32_t y[20];
    fill_batch(x, y, 20, 8, 9);
    assert_int_equal(nn_model_forward(m, x, 20, true), 0);
    nn_model_loss(m, y, 20, NULL, true);
    assert_int_equal(nn_model_backward(m, 20), 0);
    nn_layer *d = m->layers[3], *src = m->layers[2], *top = m->layers[4];
    const float *k = top->params[0].data;
    for (int i = 0; i < 20; i++)
        for (int u = 0; u < 12; u++) {
            float want = d->mask[i * 12 + u] ? top->dout[i] * k[u] * 1.25f : 0.0f;
            /* src->dout is the gradient w.r.t. the Dropout input */
            assert_float_equal(src->dout[i * 12 + u], want, 1e-6 + 1e-5 * fabsf(want));
        }
    nn_model_destroy(m);
}

static void test_same_seed_same_run(void **state)
{
    (void)state;
    double losses[2][10];
    uint8_t masks[2][20 * 12];
    float w[2][16];
    for (int run = 0; run < 2; run++) {
        nn_model *m = small_mlp(42);
        nn_rng_seed(&m->dropout_rng, 99);
        nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
        assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
        float x[20 * 8];
        int32_t y[20];
        for (int s = 0; s < 10; s++) {
            fill_batch(x, y, 20, 8, 1000 + s);
            nn_step_result res;
            assert_int_equal(nn_model_train_step(m, x, y, 20, &res), 0);
            losses[run][s] = res.loss;
        }
        memcpy(masks[run], m->layers[3]->mask, sizeof masks[run]);
        memcpy(w[run], m->layers[1]->params[0].data, sizeof w[run]);
        nn_model_destroy(m);
    }
    assert_memory_equal(losses[0], losses[1], sizeof losses[0]);
    assert_memory_equal(masks[0], masks[1], sizeof masks[0]);
    assert_memory_equal(w[0], w[1], sizeof w[0]);
}

static void test_loss_falls(void **state)
{
    (void)state;
    nn_model *m = small_mlp(5);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_ADAM);
    o.lr = 0.01f;
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    float x[200 * 8];
    int32_t y[200];
    fill_batch(x, y, 200, 8, 77);
    double l0, a0, l1, a1;
    assert_int_equal(nn_model_evaluate(m, x, y, 200, &l0, &a0), 0);
    for (int s = 0; s < 200; s++)
        assert_int_equal(nn_model_train_step(m, x + (s % 10) * 20 * 8, y + (s % 10) * 20, 20, NULL), 0);
    assert_int_equal(nn_model_evaluate(m, x, y, 200, &l1, &a1), 0);
    assert_true(l1 < 0.5 * l0);
    assert_true(a1 > 0.9);
    nn_model_destroy(m);
}

static void test_reference_head_counts(void **state)
{
    (void)state;
    /* the default lesson at Fashion-MNIST size: frozen fashion_cnn base, then the head
     * of the seed question */
    nn_model *m = nn_model_create("model");
    int x = push_input(m, nn_shape3(28, 28, 1));
    assert_true(nn_base_fashion_cnn(m, x) >= 0);
    for (int i = 1; i < m->n_layers; i++)
        nn_model_set_trainable(m, i, false);
    assert_int_equal(m->layers[m->n_layers - 1]->out_shape.d[2], 64);
    push(m, NN_FLATTEN, 0, NN_ACT_LINEAR);
    assert_int_equal(m->layers[m->n_layers - 1]->out_size, 3136);
    push(m, NN_DENSE, 512, NN_ACT_RELU);
    push(m, NN_DENSE, 1024, NN_ACT_RELU);
    push_dropout(m, 0.2f);
    push(m, NN_DENSE, 1, NN_ACT_SIGMOID);
    nn_param_counts c = nn_model_count_params(m);
    size_t base = (3 * 3 * 1 * 32 + 32) + (3 * 3 * 32 * 64 + 64);
    size_t head = (3136 * 512 + 512) + (512 * 1024 + 1024) + (1024 + 1);
    assert_int_equal(head, 1606144 + 525312 + 1025);
    assert_int_equal(c.total, base + head);
    assert_int_equal(c.trainable, head);
    assert_int_equal(c.non_trainable, base);
    assert_string_equal(m->layers[1]->name, "conv2d");
    assert_string_equal(m->layers[3]->name, "conv2d_1");
    assert_string_equal(m->layers[6]->name, "dense");
    assert_string_equal(m->layers[7]->name, "dense_1");
    nn_model_destroy(m);
}

static void test_glorot_limits(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("g");
    push_input(m, nn_shape1(512));
    push(m, NN_DENSE, 1024, NN_ACT_RELU);
    push(m, NN_DENSE, 1, NN_ACT_SIGMOID);
    nn_rng r;
    nn_rng_seed(&r, 3);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    const nn_param *k = &m->layers[1]->params[0];
    float mx = 0;
    double mean = 0;
    for (size_t i = 0; i < k->size; i++) {
        mx = fmaxf(mx, fabsf(k->data[i]));
        mean += k->data[i];
    }
    mean /= k->size;
    assert_true(mx <= 0.0625f);       /* KERAS_SEMANTICS.md: 512->1024 limit 0.0625 */
    assert_true(mx > 0.0625f * 0.999f);
    assert_true(fabs(mean) < 0.001);
    for (size_t i = 0; i < m->layers[1]->params[1].size; i++)
        assert_true(m->layers[1]->params[1].data[i] == 0.0f);
    nn_model_destroy(m);
}

static void test_nonfinite_names_layer(void **state)
{
    (void)state;
    nn_model *m = small_mlp(8);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    m->layers[2]->params[0].data[3] = NAN;
    float x[20 * 8];
    int32_t y[20];
    fill_batch(x, y, 20, 8, 1);
    nn_step_result res;
    assert_int_equal(nn_model_train_step(m, x, y, 20, &res), -1);
    assert_false(res.finite);
    assert_string_equal(res.nonfinite_layer, "dense_1");
    assert_non_null(strstr(nn_model_error(m), "dense_1"));
    nn_model_destroy(m);
}

static void test_shape_errors(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("bad");
    push_input(m, nn_shape3(4, 4, 1));
    nn_layer_cfg c = nn_layer_cfg_default(NN_DENSE);
    c.units = 3;
    assert_true(nn_model_push(m, &c) < 0);
    assert_non_null(strstr(nn_model_error(m), "Flatten"));
    c = nn_layer_cfg_default(NN_CONV2D);
    c.filters = 2;
    c.kh = c.kw = 5;
    assert_true(nn_model_push(m, &c) < 0);
    assert_non_null(strstr(nn_model_error(m), "does not fit"));
    nn_model_destroy(m);
    /* compile checks that the loss fits the output */
    m = nn_model_create("loss");
    push_input(m, nn_shape1(4));
    push(m, NN_DENSE, 3, NN_ACT_SOFTMAX);
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), -1);
    assert_non_null(strstr(nn_model_error(m), "binary_crossentropy"));
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_SCCE), 0);
    nn_model_destroy(m);
}

static void test_trace_capture(void **state)
{
    (void)state;
    nn_model *m = small_mlp(2);
    nn_model_set_trainable(m, 1, false);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    float x[20 * 8];
    int32_t y[20];
    fill_batch(x, y, 20, 8, 1);
    nn_step_result res;
    assert_int_equal(nn_model_train_step(m, x, y, 20, &res), 0);
    nn_trace *t = nn_trace_capture(m, &res, x, y, NULL, 20);
    assert_non_null(t);
    assert_int_equal(t->n_dropout, 1);
    assert_string_equal(t->dropout[0].source_name, "dense_1");
    assert_int_equal(t->dropout[0].units, 12);
    assert_true(t->dropout[0].has_mask);
    size_t sum = 0;
    for (int k = 0; k < 20; k++)
        sum += nn_trace_dropped(t, 0, k);
    assert_int_equal(sum, m->layers[3]->dropped);
    assert_int_equal(nn_trace_dropped(t, 0, -1), sum);
    assert_true(t->layers[1].frozen);
    assert_true(t->layers[1].dw_max == 0.0f);
    assert_true(t->layers[2].dw_max > 0.0f);
    nn_trace *c = nn_trace_clone(t);
    nn_trace_destroy(t);
    assert_int_equal(nn_trace_dropped(c, 0, -1), sum);
    nn_trace_destroy(c);
    nn_model_destroy(m);
}

/* The dropout family in a model: Keras's automatic names and class names, the noise
 * shape filled in or checked against the input (errors name the layer), one mask per
 * (example, channel), identity at inference, GaussianDropout's noise. */
static void test_dropout_family(void **state)
{
    (void)state;
    nn_model *m = nn_model_create("family");
    push_input(m, nn_shape3(3, 3, 4));
    nn_layer_cfg c = nn_layer_cfg_default(NN_DROPOUT);
    c.drop_kind = NN_DROP_SPATIAL2D;
    c.rate = 0.5;
    int sd = nn_model_push(m, &c);
    assert_true(sd > 0);
    assert_string_equal(m->layers[sd]->name, "spatial_dropout2d");
    assert_string_equal(nn_layer_class_name(&m->layers[sd]->cfg), "SpatialDropout2D");
    const int want_noise[4] = {0, 1, 1, 0}; /* (None, 1, 1, None) */
    assert_int_equal(m->layers[sd]->cfg.noise_rank, 4);
    assert_memory_equal(m->layers[sd]->cfg.noise_shape, want_noise, sizeof want_noise);
    c.drop_kind = NN_DROP_GAUSSIAN;
    int gd = nn_model_push(m, &c);
    assert_string_equal(m->layers[gd]->name, "gaussian_dropout");
    c.drop_kind = NN_DROP_PLAIN;
    c.noise_rank = 4;
    c.noise_shape[0] = 0, c.noise_shape[1] = 1, c.noise_shape[2] = 1, c.noise_shape[3] = 4;
    int pd = nn_model_push(m, &c);
    assert_string_equal(m->layers[pd]->name, "dropout");
    /* bad noise shapes and input ranks fail, naming the layer */
    c.noise_shape[3] = 3;
    assert_int_equal(nn_model_push(m, &c), -1);
    assert_non_null(strstr(nn_model_error(m), "noise_shape axis 3 is 3"));
    c.noise_rank = 3;
    assert_int_equal(nn_model_push(m, &c), -1);
    assert_non_null(strstr(nn_model_error(m), "noise_shape has 3 axes"));
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.drop_kind = NN_DROP_SPATIAL1D;
    c.rate = 0.5;
    c.name = "sd1";
    assert_int_equal(nn_model_push(m, &c), -1);
    assert_non_null(strstr(nn_model_error(m), "'sd1' (SpatialDropout1D) needs a 2-axis input"));

    nn_rng r;
    nn_rng_seed(&r, 3);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    enum { N = 8, SZ = 36 };
    float x[N * SZ];
    for (int i = 0; i < N * SZ; i++)
        x[i] = 1.0f + (float)i / 100.0f;
    assert_int_equal(nn_model_reserve(m, N), 0);
    assert_int_equal(nn_model_forward(m, x, N, true), 0);
    for (int l = sd; l <= pd; l += pd - sd) {
        const uint8_t *mk = m->layers[l]->mask;
        size_t dropped = 0;
        for (int n = 0; n < N; n++)
            for (int ch = 0; ch < 4; ch++)
                for (int p = 1; p < 9; p++) /* constant over the 3x3 positions */
                    assert_int_equal(mk[n * SZ + p * 4 + ch], mk[n * SZ + ch]);
        for (int i = 0; i < N * SZ; i++)
            dropped += !mk[i];
        assert_int_equal(m->layers[l]->dropped, dropped);
        assert_true(dropped % 9 == 0 && dropped > 0 && dropped < N * SZ);
    }
    /* GaussianDropout: out = in * noise, nothing dropped */
    const nn_layer *g = m->layers[gd];
    assert_true(g->mask_valid && g->dropped == 0);
    for (int i = 0; i < N * SZ; i++)
        assert_true(g->out[i] == m->layers[sd]->out[i] * g->noise[i]);
    /* inference: every kind is the identity */
    assert_int_equal(nn_model_forward(m, x, N, false), 0);
    assert_memory_equal(m->layers[pd]->out, x, sizeof x);
    assert_false(m->layers[gd]->mask_valid);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rmsprop_check_value),
        cmocka_unit_test(test_sgd_and_momentum),
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_keras_names),
        cmocka_unit_test(test_freezing_all_optimizers),
        cmocka_unit_test(test_trainable_needs_compile),
        cmocka_unit_test(test_dropout_statistics),
        cmocka_unit_test(test_dropout_gradient_scaled),
        cmocka_unit_test(test_same_seed_same_run),
        cmocka_unit_test(test_loss_falls),
        cmocka_unit_test(test_reference_head_counts),
        cmocka_unit_test(test_glorot_limits),
        cmocka_unit_test(test_nonfinite_names_layer),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_trace_capture),
        cmocka_unit_test(test_dropout_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
