/* Frozen-prefix cache at the engine level: which prefix is found (frozen, no Dropout, no
 * training-mode BatchNormalization, a single layer everything later reads through), and
 * training the head from cached prefix outputs is bit-identical to training the full
 * model: same losses, accuracies, masks and weights, step after step, over shuffled
 * batches whose composition differs from the chunks the cache was computed in
 * (with single-threaded BLAS; see main). Exact identity across different batch
 * compositions needs a BLAS that rounds a row the same wherever it sits in the matrix;
 * OpenBLAS does at these sizes (the test fails loudly if that changes), not in general:
 * the session therefore fills its cache from the batches as they come (see session.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/bases.h"
#include "engine/model.h"

static int add(nn_model *m, nn_layer_cfg c)
{
    int r = nn_model_push(m, &c);
    if (r < 0)
        fail_msg("%s", nn_model_error(m));
    return r;
}

static nn_layer_cfg dense(int units, nn_act act)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_DENSE);
    c.units = units;
    c.act = act;
    return c;
}

/* Input (12, 12, 1) -> fashion_cnn-style base with a BatchNormalization -> Flatten ->
 * Dense(32, relu) -> Dense(64, relu) -> Dropout(0.2) -> Dense(1, sigmoid). The base
 * (layers 1 .. base_last) is frozen when freeze_base. */
static nn_model *make_model(bool freeze_base, bool bn_in_base, int *flatten)
{
    nn_model *m = nn_model_create("prefix");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(12, 12, 1);
    add(m, c);
    int last = nn_base_fashion_cnn(m, 0);
    assert_true(last > 0);
    if (bn_in_base)
        last = add(m, nn_layer_cfg_default(NN_BATCHNORM));
    for (int i = 1; i <= last; i++)
        nn_model_set_trainable(m, i, !freeze_base);
    *flatten = add(m, nn_layer_cfg_default(NN_FLATTEN));
    add(m, dense(32, NN_ACT_RELU));
    add(m, dense(64, NN_ACT_RELU));
    nn_layer_cfg d = nn_layer_cfg_default(NN_DROPOUT);
    d.rate = 0.2;
    add(m, d);
    add(m, dense(1, NN_ACT_SIGMOID));
    nn_rng r;
    nn_rng_seed(&r, 42);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    if (bn_in_base) { /* non-trivial moving statistics */
        nn_layer *bn = m->layers[last];
        for (int p = 0; p < bn->n_params; p++)
            for (size_t k = 0; k < bn->params[p].size; k++)
                bn->params[p].data[k] += !strcmp(bn->params[p].name, "moving_variance") ? 0.5f + 0.01f * (float)k
                                                                                        : 0.02f * (float)k - 0.3f;
    }
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    o.lr = 1e-3f;
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    nn_rng_seed(&m->dropout_rng, 7);
    return m;
}

static void test_prefix_found(void **state)
{
    (void)state;
    int flat;
    nn_model *m = make_model(true, true, &flat);
    assert_int_equal(nn_model_frozen_prefix(m), flat);

    /* unfreezing a base layer takes effect at compile, as training does */
    nn_model_set_trainable(m, 3, true); /* conv2d_1 */
    assert_int_equal(nn_model_frozen_prefix(m), flat);
    assert_int_equal(nn_model_compile(m, &m->opt, m->loss), 0);
    assert_int_equal(nn_model_frozen_prefix(m), 2); /* max_pooling2d, just below it */
    nn_model_set_trainable(m, 3, false);
    /* a trainable BatchNormalization runs in training mode: not deterministic */
    nn_model_set_trainable(m, 5, true);
    assert_int_equal(nn_model_compile(m, &m->opt, m->loss), 0);
    assert_int_equal(nn_model_frozen_prefix(m), 4);
    nn_model_destroy(m);

    /* nothing frozen: no prefix */
    m = make_model(false, false, &flat);
    assert_int_equal(nn_model_frozen_prefix(m), -1);
    nn_model_destroy(m);

    /* a Dropout inside the frozen part ends the prefix before it */
    m = nn_model_create("drop");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(8);
    add(m, c);
    nn_layer_cfg f = dense(8, NN_ACT_RELU);
    f.trainable = false;
    add(m, f);
    nn_layer_cfg d = nn_layer_cfg_default(NN_DROPOUT);
    d.rate = 0.5;
    add(m, d);
    add(m, f);
    add(m, dense(1, NN_ACT_SIGMOID));
    nn_rng r;
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_SGD);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    assert_int_equal(nn_model_frozen_prefix(m), 1);
    nn_model_destroy(m);

    /* a skip connection: the prefix may not end inside the part the skip jumps over */
    m = nn_model_create("skip");
    add(m, c);
    int a = add(m, f);            /* 1 */
    add(m, f);                    /* 2 */
    int b = add(m, f);            /* 3 */
    nn_layer_cfg cc = nn_layer_cfg_default(NN_CONCAT);
    int ins[2] = {a, b};
    assert_int_equal(nn_model_add(m, &cc, ins, 2), 4); /* reads 1 and 3 */
    add(m, dense(1, NN_ACT_SIGMOID));
    nn_rng_seed(&r, 1);
    assert_int_equal(nn_model_finalize(m, &r), 0);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    assert_int_equal(nn_model_frozen_prefix(m), 4);
    nn_model_set_trainable(m, 4, true); /* Concatenate has no weights: still deterministic */
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    assert_int_equal(nn_model_frozen_prefix(m), 4);
    nn_model_set_trainable(m, 3, true);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    assert_int_equal(nn_model_frozen_prefix(m), 1); /* not 2: layer 1 is read past it */
    nn_model_set_trainable(m, 1, true);
    assert_int_equal(nn_model_compile(m, &o, NN_LOSS_BCE), 0);
    assert_int_equal(nn_model_frozen_prefix(m), -1);
    nn_model_destroy(m);
}

static void assert_same_weights(const nn_model *a, const nn_model *b)
{
    for (int i = 0; i < a->n_layers; i++)
        for (int p = 0; p < a->layers[i]->n_params; p++)
            if (memcmp(a->layers[i]->params[p].data, b->layers[i]->params[p].data,
                       a->layers[i]->params[p].size * sizeof(float)) != 0)
                fail_msg("layer '%s' %s differs", a->layers[i]->name, a->layers[i]->params[p].name);
}

static void run_cached_vs_full(bool bn_in_base)
{
    const int N = 90, B = 20, STEPS = 14, NV = 37;
    int flat;
    nn_model *full = make_model(true, bn_in_base, &flat);
    nn_model *fast = make_model(true, bn_in_base, &flat);
    int p = nn_model_frozen_prefix(fast);
    assert_int_equal(p, flat);
    size_t in = nn_model_input_size(full), per = fast->layers[p]->out_size;

    nn_rng r;
    nn_rng_seed(&r, 9);
    float *x = malloc(sizeof(float) * in * (N + NV));
    int32_t *y = malloc(sizeof(int32_t) * (N + NV));
    for (size_t i = 0; i < in * (N + NV); i++)
        x[i] = nn_rng_uniform(&r);
    for (int i = 0; i < N + NV; i++)
        y[i] = (int32_t)nn_rng_below(&r, 2);

    /* the cache, computed in the evaluation chunks (32), not in training batches */
    float *cache = malloc(sizeof(float) * per * (N + NV));
    if (nn_model_prefix_outputs(fast, p, x, N + NV, cache) < 0)
        fail_msg("%s", nn_model_error(fast));

    float *bx = malloc(sizeof(float) * in * B), *bc = malloc(sizeof(float) * per * B);
    int32_t *by = malloc(sizeof(int32_t) * B), *order = malloc(sizeof(int32_t) * N);
    for (int i = 0; i < N; i++)
        order[i] = i;
    int pos = N;
    for (int step = 0; step < STEPS; step++) {
        int n = B;
        if (pos >= N) {
            nn_rng_shuffle_i32(&r, order, N);
            pos = 0;
        }
        if (n > N - pos)
            n = N - pos; /* the last batch of an epoch is short */
        for (int k = 0; k < n; k++) {
            int e = order[pos + k];
            memcpy(bx + (size_t)k * in, x + (size_t)e * in, sizeof(float) * in);
            memcpy(bc + (size_t)k * per, cache + (size_t)e * per, sizeof(float) * per);
            by[k] = y[e];
        }
        pos += n;
        nn_step_result ra, rb;
        if (nn_model_train_step(full, bx, by, n, &ra) < 0)
            fail_msg("%s", nn_model_error(full));
        if (nn_model_train_step_from(fast, p, bc, by, n, &rb) < 0)
            fail_msg("%s", nn_model_error(fast));
        if (memcmp(&ra.loss, &rb.loss, sizeof ra.loss) != 0)
            fail_msg("step %d: loss %.17g (full) vs %.17g (cached)", step, ra.loss, rb.loss);
        assert_true(ra.accuracy == rb.accuracy);
        int out = full->output;
        assert_memory_equal(full->layers[out]->out, fast->layers[out]->out, sizeof(float) * (size_t)n);
        int drop = out - 1;
        assert_memory_equal(full->layers[drop]->mask, fast->layers[drop]->mask,
                            full->layers[drop]->out_size * (size_t)n);
        assert_same_weights(full, fast);
    }
    assert_true(full->iterations == STEPS && fast->iterations == STEPS);

    double la, aa, lb, ab;
    assert_int_equal(nn_model_evaluate(full, x + (size_t)N * in, y + N, NV, &la, &aa), 0);
    assert_int_equal(nn_model_evaluate_from(fast, p, cache + (size_t)N * per, y + N, NV, &lb, &ab), 0);
    assert_memory_equal(&la, &lb, sizeof la);
    assert_true(aa == ab);

    /* forward_from leaves the head exactly as a full forward does */
    assert_int_equal(nn_model_forward(full, x, 5, false), 0);
    assert_int_equal(nn_model_forward_from(fast, p, cache, 5, false), 0);
    for (int i = p; i < full->n_layers; i++)
        assert_memory_equal(full->layers[i]->out, fast->layers[i]->out,
                            sizeof(float) * 5 * full->layers[i]->out_size);

    free(x), free(y), free(cache), free(bx), free(bc), free(by), free(order);
    nn_model_destroy(full);
    nn_model_destroy(fast);
}

static void test_cached_equals_full(void **state)
{
    (void)state;
    run_cached_vs_full(false);
}

static void test_cached_equals_full_bn(void **state)
{
    (void)state;
    run_cached_vs_full(true);
}

static void test_bad_calls(void **state)
{
    (void)state;
    int flat;
    nn_model *m = make_model(true, false, &flat);
    float a[64] = {0};
    assert_int_equal(nn_model_forward_from(m, m->output, a, 1, false), -1);
    assert_int_equal(nn_model_forward_from(m, -1, a, 1, false), -1);
    assert_int_equal(nn_model_forward_from(m, flat, a, 0, false), -1);
    nn_model_destroy(m);
}

/* The frozen prefix alone (nn_model_prefix_outputs) runs each BatchNormalization and
 * the activation after it as one sweep, without writing the normalised map: its output
 * must still be the full forward's to the bit. Real bases at 32x32 called with
 * training=False, with moving statistics, gamma and beta away from their defaults:
 * MobileNetV2 (BN -> ReLU(6)), EfficientNetB0 (BN -> swish, and its squeeze-excite),
 * ResNet50 (BN -> relu, and BNs read by an Add). */
static void test_fused_prefix_equals_full(void **state)
{
    (void)state;
    const char *names[] = {"mobilenet_v2", "efficientnet_b0", "resnet50"};
    for (size_t b = 0; b < sizeof names / sizeof *names; b++) {
        const nn_base_info *info = nn_base_find(names[b]);
        assert_non_null(info);
        nn_model *m = nn_model_create(names[b]);
        nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
        c.shape = nn_shape3(32, 32, 3);
        add(m, c);
        nn_base_opts o = {NULL, 1.0f};
        int top = info->build(m, 0, &o);
        assert_true(top > 0);
        add(m, nn_layer_cfg_default(NN_GAP2D));
        add(m, dense(1, NN_ACT_SIGMOID));
        nn_rng r;
        nn_rng_seed(&r, 5);
        assert_int_equal(nn_model_finalize(m, &r), 0);
        int n_bn = 0;
        for (int i = 0; i <= top; i++) {
            nn_layer *l = m->layers[i];
            nn_model_set_trainable(m, i, false);
            l->cfg.training = NN_TRAIN_NEVER;
            if (l->type != NN_BATCHNORM)
                continue;
            n_bn++;
            for (int p = 0; p < l->n_params; p++)
                for (size_t k = 0; k < l->params[p].size; k++)
                    l->params[p].data[k] = !strcmp(l->params[p].name, "moving_variance")
                                               ? 0.2f + nn_rng_uniform(&r)
                                               : nn_rng_uniform(&r) - 0.4f;
        }
        assert_true(n_bn > 10);
        nn_optimizer_cfg opt = nn_optimizer_default(NN_OPT_RMSPROP);
        assert_int_equal(nn_model_compile(m, &opt, NN_LOSS_BCE), 0);
        int p = nn_model_frozen_prefix(m);
        assert_true(p >= top);
        enum { N = 3 };
        size_t in = nn_model_input_size(m), per = m->layers[p]->out_size;
        float *x = malloc(N * in * sizeof *x), *want = malloc(N * per * sizeof *want), *got = malloc(N * per * sizeof *got);
        assert_true(x && want && got);
        for (size_t i = 0; i < N * in; i++)
            x[i] = 2.0f * nn_rng_uniform(&r) - 1.0f;
        assert_int_equal(nn_model_forward(m, x, N, false), 0);
        memcpy(want, m->layers[p]->out, N * per * sizeof *want);
        assert_int_equal(nn_model_prefix_outputs(m, p, x, N, got), 0); /* its buffers, sized once */
        assert_memory_equal(want, got, N * per * sizeof *got);
        /* poison every output inside the prefix: the fused BatchNormalizations leave theirs */
        for (int i = 1; i < p; i++)
            for (size_t k = 0; k < m->layers[i]->out_size * N; k++)
                m->layers[i]->out[k] = NAN;
        assert_int_equal(nn_model_prefix_outputs(m, p, x, N, got), 0);
        assert_memory_equal(want, got, N * per * sizeof *got);
        int skipped = 0;
        for (int i = 1; i < p; i++)
            skipped += m->layers[i]->type == NN_BATCHNORM && isnan(m->layers[i]->out[0]);
        assert_true(skipped > 0); /* the fused sweep did run */
        free(x), free(want), free(got);
        nn_model_destroy(m);
    }
}

int main(int argc, char **argv)
{
    /* Multithreaded OpenBLAS rounds an example's conv outputs differently with the
     * batch size (the full model itself gives other last bits for the same example in a
     * batch of 10 than in one of 40), so bit-identity is defined for single-threaded BLAS,
     * as the test environment sets. Run directly, re-execute that way. */
    const char *t = getenv("OPENBLAS_NUM_THREADS");
    if ((!t || strcmp(t, "1") != 0) && argc > 0) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_found),
        cmocka_unit_test(test_cached_equals_full),
        cmocka_unit_test(test_cached_equals_full_bn),
        cmocka_unit_test(test_bad_calls),
        cmocka_unit_test(test_fused_prefix_equals_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
