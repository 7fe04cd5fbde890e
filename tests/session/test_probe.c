/* Issue 12: the session's probes of the shown batch, against a hand computation in
 * double precision on a tiny model (Flatten, Dense(4, relu), Dropout(0.5),
 * Dense(1, sigmoid)), from its weights and the batch's images:
 * - MC dropout with fresh masks: each example's mean and spread (np.std, ddof 0) of
 *   p(class 1) over 7 passes, the masks drawn from the masks' generator as the session
 *   left it (the uniform stream is the definition of the masks; the arithmetic here is
 *   independent); the inference probability; the generator is put back afterwards.
 * - MC dropout with a fixed mask: spread exactly 0, mean = the first pass's.
 * - The batch's loss with dropout on (the mean over LS_LOSS_MASKS (256) fresh masks) and off.
 * - Keep frequencies and distinct masks over 10 steps, from the snapshots' masks.
 * Needs Debian's dataset-fashion-mnist; skipped when it is absent. */
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

#include "data/dataset.h"
#include "engine/trace.h"
#include "lesson/lesson.h"
#include "session/session.h"

#define UNITS 4
#define BATCH 5
#define IN 784

static const char tiny[] = "title Tiny\n"
                           "data fashion_mnist\n  classes sneaker, ankle boot\n  train 60\n"
                           "model\n  Flatten()\n  Dense(4, activation=relu)\n  Dropout(0.5)\n"
                           "  Dense(1, activation=sigmoid)\n"
                           "compile\n  optimizer SGD(learning_rate=0.05)\n  loss binary_crossentropy\n"
                           "fit\n  batch_size 5\n  seed 3\n"
                           "step \"s\"\n  run 1 step\n";

static bool have_data(void)
{
    char probe[600];
    snprintf(probe, sizeof probe, "%s/train-labels-idx1-ubyte.gz", ds_fmnist_dir(NULL));
    return access(probe, R_OK) == 0;
}

static ls_session *open_tiny(void)
{
    char err[1024];
    ls_lesson *l = ls_lesson_parse("tiny.lesson", tiny, sizeof tiny - 1, err, sizeof err);
    assert_non_null(l);
    ls_session *s = ls_session_create(l, NULL, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

static nn_trace *steps(ls_session *s, int k)
{
    nn_trace *t = NULL;
    for (int i = 0; i < k; i++) {
        nn_trace_destroy(t);
        t = ls_session_step(s);
        assert_non_null(t);
    }
    return t;
}

/* p(class 1) of example e with the given keep mask (NULL: inference, no scaling). */
static double ref_prob(const nn_model *m, const float *x, const uint8_t *keep)
{
    const nn_layer *d1 = m->layers[nn_model_find(m, "dense")], *d2 = m->layers[nn_model_find(m, "dense_1")];
    const float *w1 = d1->params[0].data, *b1 = d1->params[1].data;
    const float *w2 = d2->params[0].data, *b2 = d2->params[1].data;
    double z = b2[0];
    for (int u = 0; u < UNITS; u++) {
        double h = b1[u];
        for (int r = 0; r < IN; r++)
            h += (double)x[r] * w1[r * UNITS + u];
        h = h > 0 ? h : 0;
        if (keep)
            h = keep[u] ? h / (1.0 - 0.5) : 0.0;
        z += h * w2[u];
    }
    return 1.0 / (1.0 + exp(-z));
}

static void draw(nn_rng *r, uint8_t *keep)
{
    for (int i = 0; i < BATCH * UNITS; i++)
        keep[i] = (double)nn_rng_uniform(r) >= 0.5;
}

static void test_mc_against_hand(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    ls_session *s = open_tiny();
    nn_trace *t = steps(s, 3);
    nn_model *m = ls_session_model(s);
    nn_rng r = m->dropout_rng, before = m->dropout_rng;
    enum { P = 7 };
    assert_int_equal(ls_session_mc_dropout(s, P, false), 0);
    assert_memory_equal(&m->dropout_rng, &before, sizeof before);
    const ls_mc_result *mc = ls_session_mc(s);
    assert_non_null(mc);
    assert_int_equal(mc->n, BATCH);
    double sum[BATCH] = {0}, sq[BATCH] = {0};
    uint8_t keep[BATCH * UNITS];
    for (int k = 0; k < P; k++) {
        draw(&r, keep);
        for (int e = 0; e < BATCH; e++) {
            double p = ref_prob(m, t->images + (size_t)e * IN, keep + e * UNITS);
            sum[e] += p;
            sq[e] += p * p;
        }
    }
    double total_spread = 0;
    for (int e = 0; e < BATCH; e++) {
        double mean = sum[e] / P, sd = sqrt(fmax(sq[e] / P - mean * mean, 0));
        assert_true(fabs(mc->mean[e] - mean) < 1e-5);
        assert_true(fabs(mc->spread[e] - sd) < 1e-4);
        assert_true(fabs(mc->inference[e] - ref_prob(m, t->images + (size_t)e * IN, NULL)) < 1e-5);
        total_spread += sd;
    }
    assert_true(total_spread > 0);

    /* one mask held: every pass the same, spread 0, the first pass's mask */
    r = m->dropout_rng;
    assert_int_equal(ls_session_mc_dropout(s, P, true), 0);
    mc = ls_session_mc(s);
    draw(&r, keep);
    for (int e = 0; e < BATCH; e++) {
        assert_true(mc->spread[e] == 0.0f);
        assert_true(fabs(mc->mean[e] - ref_prob(m, t->images + (size_t)e * IN, keep + e * UNITS)) < 1e-5);
    }
    /* the probes left the last step's mask in place */
    const nn_layer *d = m->layers[nn_model_find(m, "dropout")];
    assert_true(d->mask_valid);
    assert_memory_equal(d->mask, t->dropout[0].mask, BATCH * UNITS);
    nn_trace_destroy(t);
    ls_session_destroy(s);
}

static double bce(double p, int y)
{
    return -(y ? log(p) : log(1.0 - p));
}

static void test_batch_losses(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    ls_session *s = open_tiny();
    nn_trace *t = steps(s, 4);
    nn_model *m = ls_session_model(s);
    double on, off, ref_on = 0, ref_off = 0;
    nn_rng r = m->dropout_rng;
    assert_int_equal(ls_session_batch_losses(s, &on, &off), 0);
    uint8_t keep[BATCH * UNITS];
    for (int k = 0; k < LS_LOSS_MASKS; k++) {
        draw(&r, keep);
        for (int e = 0; e < BATCH; e++)
            ref_on += bce(ref_prob(m, t->images + (size_t)e * IN, keep + e * UNITS), t->labels[e]) / BATCH;
    }
    ref_on /= LS_LOSS_MASKS;
    for (int e = 0; e < BATCH; e++)
        ref_off += bce(ref_prob(m, t->images + (size_t)e * IN, NULL), t->labels[e]) / BATCH;
    assert_true(fabs(on - ref_on) < 1e-5 * fmax(1, ref_on));
    assert_true(fabs(off - ref_off) < 1e-5 * fmax(1, ref_off));
    nn_trace_destroy(t);
    ls_session_destroy(s);
}

static void test_keep_stats(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    ls_session *s = open_tiny();
    nn_trace_destroy(steps(s, 2));
    ls_session_mark(s);
    enum { K = 10 };
    uint8_t masks[K * BATCH][UNITS];
    long kept[UNITS] = {0};
    for (int k = 0; k < K; k++) {
        nn_trace *t = steps(s, 1);
        for (int e = 0; e < BATCH; e++)
            for (int u = 0; u < UNITS; u++) {
                masks[k * BATCH + e][u] = t->dropout[0].mask[e * UNITS + u];
                kept[u] += masks[k * BATCH + e][u];
            }
        nn_trace_destroy(t);
    }
    long distinct = 0;
    for (int i = 0; i < K * BATCH; i++) {
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = !memcmp(masks[i], masks[j], UNITS);
        distinct += !seen;
    }
    ls_keep_stats ks;
    assert_int_equal(ls_session_keep_stats(s, "dropout", &ks), 0);
    assert_int_equal(ks.units, UNITS);
    assert_int_equal(ks.masks, K * BATCH);
    assert_int_equal(ks.distinct, distinct);
    assert_true(distinct <= 16); /* 4 units: 2^4 possible masks */
    for (int u = 0; u < UNITS; u++)
        assert_int_equal(ks.kept[u], kept[u]);
    ls_session_mark(s);
    assert_int_equal(ls_session_keep_stats(s, "dropout", &ks), 0);
    assert_int_equal(ks.masks, 0);
    ls_session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mc_against_hand),
        cmocka_unit_test(test_batch_losses),
        cmocka_unit_test(test_keep_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
