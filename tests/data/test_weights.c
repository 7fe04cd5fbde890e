/* Weight directories: save/load round trip of a small conv + BN + dense model built
 * through model.h, strict and subset loading, and every bad file named with its layer,
 * leaving the model untouched. */
#include "testutil.h"

#include <math.h>

#include "data/atomicio.h"
#include "data/npy.h"
#include "data/weights.h"
#include "engine/model.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp("weights");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir);
    return 0;
}

static void push(nn_model *m, nn_layer_cfg *c)
{
    if (nn_model_push(m, c) < 0)
        fail_msg("%s", nn_model_error(m));
}

/* input (6,6,1) -> conv2d (3x3x1x2) -> batch_normalization -> [flatten -> dense (32,3)
 * -> dense_1 (3,1) sigmoid] when with_head. */
static nn_model *build(bool with_head, uint64_t seed)
{
    nn_model *m = nn_model_create("t");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(6, 6, 1);
    push(m, &c);
    c = nn_layer_cfg_default(NN_CONV2D);
    c.filters = 2;
    c.act = NN_ACT_RELU;
    push(m, &c);
    c = nn_layer_cfg_default(NN_BATCHNORM);
    push(m, &c);
    if (with_head) {
        c = nn_layer_cfg_default(NN_FLATTEN);
        push(m, &c);
        c = nn_layer_cfg_default(NN_DENSE);
        c.units = 3;
        c.act = NN_ACT_RELU;
        push(m, &c);
        c = nn_layer_cfg_default(NN_DENSE);
        c.units = 1;
        c.act = NN_ACT_SIGMOID;
        push(m, &c);
    }
    nn_rng r;
    nn_rng_seed(&r, seed);
    if (nn_model_finalize(m, &r))
        fail_msg("%s", nn_model_error(m));
    /* BN statistics start at 0/1 for everyone; make them distinguishable per seed. */
    int bn = nn_model_find(m, "batch_normalization");
    for (int p = 0; p < m->layers[bn]->n_params; p++)
        for (size_t i = 0; i < m->layers[bn]->params[p].size; i++)
            m->layers[bn]->params[p].data[i] = (float)(seed % 7) + 0.25f * (float)(i + p);
    return m;
}

/* All parameter values, concatenated, for before/after comparisons. */
static float *snapshot(const nn_model *m, size_t *n)
{
    size_t total = 0;
    for (int i = 0; i < m->n_layers; i++)
        for (int p = 0; p < m->layers[i]->n_params; p++)
            total += m->layers[i]->params[p].size;
    float *s = malloc(total * sizeof *s + 1), *q = s;
    for (int i = 0; i < m->n_layers; i++)
        for (int p = 0; p < m->layers[i]->n_params; p++) {
            memcpy(q, m->layers[i]->params[p].data, m->layers[i]->params[p].size * sizeof *q);
            q += m->layers[i]->params[p].size;
        }
    *n = total;
    return s;
}

static void assert_same_params(const nn_model *a, const nn_model *b)
{
    size_t na, nb;
    float *sa = snapshot(a, &na), *sb = snapshot(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(sa, sb, na * sizeof *sa);
    free(sa);
    free(sb);
}

static void assert_unchanged(const nn_model *m, const float *before, size_t n)
{
    size_t k;
    float *now = snapshot(m, &k);
    assert_int_equal(k, n);
    assert_memory_equal(now, before, n * sizeof *now);
    free(now);
}

static char *fresh_dir(const char *name)
{
    char *d = tu_join(dir, name);
    tu_rmtree(d);
    return d;
}

/* Loading must fail with a message holding the needles, and change nothing. */
static void expect_load_error(nn_model *m, const char *d, ds_weights_mode mode,
                              const char *needle1, const char *needle2)
{
    size_t n;
    float *before = snapshot(m, &n);
    ds_weights_report rep;
    char err[512] = "";
    assert_int_equal(ds_weights_load(m, d, mode, &rep, err, sizeof err), -1);
    tu_assert_msg(err, needle1, needle2);
    assert_int_equal(rep.n_loaded, 0);
    assert_null(rep.loaded);
    assert_unchanged(m, before, n);
    free(before);
}

static void test_roundtrip_strict(void **state)
{
    (void)state;
    nn_model *a = build(true, 1), *b = build(true, 2);
    char *d = fresh_dir("rt");
    char err[512] = "";
    if (ds_weights_save(a, d, err, sizeof err))
        fail_msg("%s", err);
    /* Keras layout, one file per parameter. */
    const char *names[] = {"conv2d.kernel.npy", "conv2d.bias.npy", "batch_normalization.gamma.npy",
                           "batch_normalization.beta.npy", "batch_normalization.moving_mean.npy",
                           "batch_normalization.moving_variance.npy", "dense.kernel.npy",
                           "dense.bias.npy", "dense_1.kernel.npy", "dense_1.bias.npy"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = tu_join(d, names[i]);
        assert_int_equal(access(p, F_OK), 0);
        free(p);
    }
    assert_int_equal(tu_count_entries(d), 10);
    ds_npy_header h;
    char *p = tu_join(d, "conv2d.kernel.npy");
    assert_int_equal(ds_npy_read_header(p, &h, err, sizeof err), 0);
    assert_int_equal(h.dtype, DS_F32);
    assert_int_equal(h.rank, 4);
    assert_int_equal(h.shape[0], 3);
    assert_int_equal(h.shape[1], 3);
    assert_int_equal(h.shape[2], 1);
    assert_int_equal(h.shape[3], 2);
    free(p);
    p = tu_join(d, "dense.kernel.npy");
    assert_int_equal(ds_npy_read_header(p, &h, err, sizeof err), 0);
    assert_int_equal(h.rank, 2);
    assert_int_equal(h.shape[0], 32); /* (in, out): 4*4*2 flattened -> 3 */
    assert_int_equal(h.shape[1], 3);
    free(p);

    ds_weights_report rep;
    if (ds_weights_load(b, d, DS_WEIGHTS_STRICT, &rep, err, sizeof err))
        fail_msg("%s", err);
    assert_same_params(a, b);
    assert_int_equal(rep.n_loaded, 4);
    assert_int_equal(rep.n_skipped, 0);
    char buf[256];
    assert_string_equal(ds_weights_report_str(b, &rep, buf, sizeof buf),
                        "conv2d, batch_normalization, dense, dense_1");
    ds_weights_report_free(&rep);
    ds_weights_report_free(NULL);
    /* Saving again over the same directory works (atomic replace). */
    assert_int_equal(ds_weights_save(b, d, err, sizeof err), 0);
    assert_int_equal(tu_count_entries(d), 10);
    free(d);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

static void test_wrong_shape_names_layer(void **state)
{
    (void)state;
    nn_model *a = build(true, 1), *b = build(true, 2);
    char *d = fresh_dir("shape");
    char err[512] = "";
    assert_int_equal(ds_weights_save(a, d, err, sizeof err), 0);
    char *p = tu_join(d, "dense.kernel.npy");
    size_t sh[2] = {3, 32}; /* transposed: the classic PyTorch-layout mistake */
    float z[96] = {0};
    assert_int_equal(ds_npy_write(p, DS_F32, 2, sh, z, err, sizeof err), 0);
    expect_load_error(b, d, DS_WEIGHTS_STRICT, "dense.kernel.npy: shape (3, 32)",
                      "layer dense's kernel, which is (32, 3)");
    /* Rank mismatch too. */
    size_t s1[1] = {96};
    assert_int_equal(ds_npy_write(p, DS_F32, 1, s1, z, err, sizeof err), 0);
    expect_load_error(b, d, DS_WEIGHTS_STRICT, "shape (96,)", "layer dense");
    free(p);
    free(d);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

static void test_bad_files(void **state)
{
    (void)state;
    nn_model *a = build(true, 1), *b = build(true, 2);
    char *d = fresh_dir("bad");
    char err[512] = "";
    assert_int_equal(ds_weights_save(a, d, err, sizeof err), 0);
    char *p = tu_join(d, "dense_1.bias.npy");
    size_t n;
    unsigned char *orig = tu_slurp(p, &n);

    /* float64 instead of float32 */
    size_t s1[1] = {1};
    int64_t i64 = 1;
    assert_int_equal(ds_npy_write(p, DS_I64, 1, s1, &i64, err, sizeof err), 0);
    expect_load_error(b, d, DS_WEIGHTS_STRICT, "dense_1.bias.npy: dtype int64, expected float32",
                      "layer dense_1");
    /* truncated */
    tu_write(p, orig, n - 2);
    expect_load_error(b, d, DS_WEIGHTS_STRICT, "dense_1.bias.npy: truncated", "(layer dense_1");
    /* not a .npy at all */
    tu_write(p, "hello", 5);
    expect_load_error(b, d, DS_WEIGHTS_SUBSET, "dense_1.bias.npy: not a .npy file",
                      "layer dense_1, parameter bias");
    /* a NaN */
    float nan = NAN;
    assert_int_equal(ds_npy_write(p, DS_F32, 1, s1, &nan, err, sizeof err), 0);
    expect_load_error(b, d, DS_WEIGHTS_STRICT, "dense_1.bias.npy: value 0 is NaN",
                      "layer dense_1");
    /* missing, strict */
    unlink(p);
    expect_load_error(b, d, DS_WEIGHTS_STRICT, "dense_1.bias.npy: missing", "layer dense_1");
    /* missing while the layer's kernel is there: an error in subset mode too */
    expect_load_error(b, d, DS_WEIGHTS_SUBSET, "dense_1.bias.npy: missing",
                      "has other parameter files");
    tu_write(p, orig, n);
    /* a file naming no layer: strict refuses, naming it */
    char *extra = tu_join(d, "head.kernel.npy");
    assert_int_equal(ds_npy_write(extra, DS_F32, 1, s1, &nan, err, sizeof err), 0);
    expect_load_error(b, d, DS_WEIGHTS_STRICT, "head.kernel.npy", "no layer named 'head'");
    unlink(extra);
    free(extra);
    /* a layer without that parameter */
    extra = tu_join(d, "dense.gamma.npy");
    assert_int_equal(ds_npy_write(extra, DS_F32, 1, s1, &nan, err, sizeof err), 0);
    expect_load_error(b, d, DS_WEIGHTS_SUBSET, "dense.gamma.npy", "its parameters: kernel, bias");
    unlink(extra);
    free(extra);
    /* a stray .npy not named layer.param */
    extra = tu_join(d, "notes.npy");
    assert_int_equal(ds_npy_write(extra, DS_F32, 1, s1, &nan, err, sizeof err), 0);
    expect_load_error(b, d, DS_WEIGHTS_STRICT, "notes.npy", "not a <layer>.<param>.npy");
    unlink(extra);
    free(extra);
    /* With everything restored, the load works. */
    assert_int_equal(ds_weights_load(b, d, DS_WEIGHTS_STRICT, NULL, err, sizeof err), 0);
    assert_same_params(a, b);
    free(orig);
    free(p);
    free(d);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

/* A pretrained base (conv2d + batch_normalization) into a bigger model. */
static void test_subset(void **state)
{
    (void)state;
    nn_model *base = build(false, 5), *big = build(true, 6), *ref = build(true, 6);
    char *d = fresh_dir("subset");
    char err[512] = "";
    assert_int_equal(ds_weights_save(base, d, err, sizeof err), 0);
    /* Strict refuses: the head's parameters have no files. */
    expect_load_error(big, d, DS_WEIGHTS_STRICT, "dense.kernel.npy: missing", "layer dense: a strict load");
    /* The base's own classifier, which the big model does not have: skipped, reported. */
    char *head = tu_join(d, "base_head.kernel.npy");
    size_t s1[1] = {1};
    float one = 1;
    assert_int_equal(ds_npy_write(head, DS_F32, 1, s1, &one, err, sizeof err), 0);
    free(head);
    ds_weights_report rep;
    if (ds_weights_load(big, d, DS_WEIGHTS_SUBSET, &rep, err, sizeof err))
        fail_msg("%s", err);
    char buf[256];
    assert_string_equal(ds_weights_report_str(big, &rep, buf, sizeof buf),
                        "conv2d, batch_normalization");
    assert_int_equal(rep.n_skipped, 1);
    assert_string_equal(rep.skipped[0], "base_head.kernel.npy");
    ds_weights_report_free(&rep);
    for (int i = 0; i < big->n_layers; i++) {
        const nn_layer *l = big->layers[i];
        const nn_model *want = i <= 2 ? base : ref; /* base layers from the files */
        for (int p = 0; p < l->n_params; p++)
            assert_memory_equal(l->params[p].data, want->layers[i]->params[p].data,
                                l->params[p].size * sizeof(float));
    }
    /* Nothing in the directory fits: an error, not a silent no-op. */
    char *d2 = fresh_dir("nomatch");
    assert_int_equal(ds_mkdirs(d2, err, sizeof err), 0);
    expect_load_error(big, d2, DS_WEIGHTS_SUBSET, d2, "no weight file matches");
    free(d2);
    free(d);
    nn_model_destroy(base);
    nn_model_destroy(big);
    nn_model_destroy(ref);
}

static void test_model_and_dir_errors(void **state)
{
    (void)state;
    char err[512] = "";
    nn_model *m = build(true, 1);
    char *nod = tu_join(dir, "does-not-exist");
    expect_load_error(m, nod, DS_WEIGHTS_STRICT, nod, "cannot open weights directory");
    free(nod);
    nn_model *raw = nn_model_create("raw");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape1(3);
    push(raw, &c);
    assert_int_equal(ds_weights_save(raw, dir, err, sizeof err), -1);
    tu_assert_msg(err, "not finalized");
    assert_int_equal(ds_weights_load(raw, dir, DS_WEIGHTS_STRICT, NULL, err, sizeof err), -1);
    tu_assert_msg(err, "not finalized");
    /* Saving into a path that is a file. */
    char *f = tu_join(dir, "a-file");
    tu_write(f, "x", 1);
    assert_int_equal(ds_weights_save(m, f, err, sizeof err), -1);
    tu_assert_msg(err, f, "not a directory");
    unlink(f);
    free(f);
    nn_model_destroy(raw);
    nn_model_destroy(m);
}

/* Loading into a compiled model with a frozen layer: loading is not training, so the
 * next step still measures exactly zero change for the frozen layer. */
static void test_load_into_frozen_compiled(void **state)
{
    (void)state;
    nn_model *a = build(true, 3), *b = build(true, 4);
    char *d = fresh_dir("frozen");
    char err[512] = "";
    assert_int_equal(ds_weights_save(a, d, err, sizeof err), 0);
    int conv = nn_model_find(b, "conv2d");
    assert_int_equal(nn_model_set_trainable(b, conv, false), 0);
    nn_optimizer_cfg o = nn_optimizer_default(NN_OPT_RMSPROP);
    if (nn_model_compile(b, &o, NN_LOSS_BCE))
        fail_msg("%s", nn_model_error(b));
    assert_int_equal(ds_weights_load(b, d, DS_WEIGHTS_STRICT, NULL, err, sizeof err), 0);
    float x[2 * 36];
    for (int i = 0; i < 72; i++)
        x[i] = (float)(i % 7) / 7.0f;
    int32_t y[2] = {0, 1};
    nn_step_result res;
    if (nn_model_train_step(b, x, y, 2, &res))
        fail_msg("%s", nn_model_error(b));
    assert_true(b->layers[conv]->dw_max == 0.0f);
    assert_memory_equal(b->layers[conv]->params[0].data, a->layers[conv]->params[0].data,
                        a->layers[conv]->params[0].size * sizeof(float));
    free(d);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

/* Issue 14: a file (empty, or text) named like a .h5 weights file, which the session
 * hands here when it lacks HDF5's signature, is "not an HDF5 file"; a named pipe as the
 * directory, or as one of its .npy files, is refused without blocking. */
static void test_not_hdf5_and_special_files(void **state)
{
    (void)state;
    char err[512] = "";
    nn_model *m = build(true, 1);
    char *h5 = tu_join(dir, "w.h5");
    tu_write(h5, "", 0);
    expect_load_error(m, h5, DS_WEIGHTS_SUBSET, h5, "not an HDF5 file (the file is empty)");
    tu_write(h5, "hello\n", 6);
    expect_load_error(m, h5, DS_WEIGHTS_SUBSET, h5, "not an HDF5 file (no HDF5 signature)");
    unlink(h5);
    free(h5);
    tu_hang_guard(20);
    char *pipe = tu_mkfifo(dir, "wpipe");
    expect_load_error(m, pipe, DS_WEIGHTS_SUBSET, pipe, "is a named pipe, not a weights directory");
    unlink(pipe);
    free(pipe);
    char *d = fresh_dir("fifo");
    assert_int_equal(ds_weights_save(m, d, err, sizeof err), 0);
    char *k = tu_join(d, "dense.kernel.npy");
    unlink(k);
    free(tu_mkfifo(d, "dense.kernel.npy"));
    expect_load_error(m, d, DS_WEIGHTS_STRICT, k, "is a named pipe, not a regular file");
    tu_hang_guard(0);
    free(k);
    free(d);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_strict),
        cmocka_unit_test(test_wrong_shape_names_layer),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_subset),
        cmocka_unit_test(test_model_and_dir_errors),
        cmocka_unit_test(test_load_into_frozen_compiled),
        cmocka_unit_test(test_not_hdf5_and_special_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
