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
 * - Twin runs and the runs' histories (ls_session_runs).
 * - A BatchNormalization's moving mean change over a step (0.01 * the batch mean), and
 *   0 when frozen.
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

static const char twins[] = "title Twins\n"
                            "data fashion_mnist\n  classes sneaker, ankle boot\n  train 60\n  val 40\n"
                            "model\n  Flatten()\n  Dense(4, activation=relu)\n  Dropout(0.5)\n"
                            "  Dense(1, activation=sigmoid)\n"
                            "compile\n  optimizer SGD(learning_rate=0.05)\n  loss binary_crossentropy\n"
                            "fit\n  batch_size 5\n  seed 3\n  validate every 3 steps\n"
                            "step \"s\"\n  compare rate of dropout 0.5 and 0.5 for 7 steps\n"
                            "  compare rate of dropout 0 and 0.5 for 7 steps\n";

static bool have_data(void)
{
    char probe[600];
    snprintf(probe, sizeof probe, "%s/train-labels-idx1-ubyte.gz", ds_fmnist_dir(NULL));
    return access(probe, R_OK) == 0;
}

static ls_session *open_text(const char *name, const char *text)
{
    char err[1024];
    ls_lesson *l = ls_lesson_parse(name, text, strlen(text), err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    ls_session *s = ls_session_create(l, NULL, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

static ls_session *open_tiny(void)
{
    return open_text("tiny.lesson", tiny);
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

/* A probe's training-mode passes redraw the augmentation too; afterwards the layer holds
 * the step's draws and images again (what the window and the trace show), and the next
 * step draws what it would have drawn without the probe. */
static void test_probe_keeps_augmentation(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    static const char aug[] = "title Aug\n"
                              "data fashion_mnist\n  classes sneaker, ankle boot\n  train 60\n"
                              "model\n  Input(shape=(28, 28, 1))\n  RandomRotation(0.2)\n  Flatten()\n"
                              "  Dense(4, activation=relu)\n  Dropout(0.5)\n  Dense(1, activation=sigmoid)\n"
                              "compile\n  optimizer SGD(learning_rate=0.05)\n  loss binary_crossentropy\n"
                              "fit\n  batch_size 5\n  seed 3\n";
    ls_session *s = open_text("aug.lesson", aug), *twin = open_text("aug.lesson", aug);
    nn_trace *t = steps(s, 2), *u = steps(twin, 2);
    nn_layer *l = ls_session_model(s)->layers[1];
    assert_int_equal(l->type, NN_AUGMENT);
    nn_augment_draw before[BATCH];
    float *out = malloc(BATCH * IN * sizeof(float));
    assert_non_null(out);
    memcpy(before, l->aug, sizeof before);
    memcpy(out, l->out, BATCH * IN * sizeof(float));
    double on, off;
    assert_int_equal(ls_session_batch_losses(s, &on, &off), 0);
    assert_int_equal(ls_session_mc_dropout(s, 5, false), 0);
    assert_true(l->mask_valid);
    assert_memory_equal(l->aug, before, sizeof before);
    assert_memory_equal(l->out, out, BATCH * IN * sizeof(float));
    nn_trace_destroy(t);
    nn_trace_destroy(u);
    t = steps(s, 1);
    u = steps(twin, 1);
    assert_int_equal(t->n_augment, 1);
    assert_memory_equal(t->augment[0].draws, u->augment[0].draws, BATCH * sizeof(nn_augment_draw));
    assert_memory_equal(t->aug_images, u->aug_images, BATCH * IN * sizeof(float));
    free(out);
    nn_trace_destroy(t);
    nn_trace_destroy(u);
    ls_session_destroy(s);
    ls_session_destroy(twin);
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

/* Twins share the seed: rate 0.5 twice gives the same history bit for bit (the same
 * initial weights, batches and masks); rate 0 against 0.5 does not. The runs' labels,
 * lengths and validation entries (every 3rd step, and the evaluation at the end). */
static void test_twins_and_runs(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    ls_session *s = open_text("twins.lesson", twins);
    const ls_lesson *ls = ls_session_lesson(s);
    const ls_run_history *r;
    assert_int_equal(ls_session_apply(s, &ls->steps[0].items[0].u.action, NULL, NULL), 0);
    assert_int_equal(ls_session_runs(s, &r), 2);
    assert_string_equal(r[0].label, "rate 0.5");
    assert_int_equal(r[0].n, 7);
    assert_int_equal(r[1].n, 7);
    assert_memory_equal(r[0].loss, r[1].loss, 7 * sizeof(float));
    const ls_twin *t = ls_session_twins(s);
    assert_non_null(t);
    assert_true(t[0].train_loss == t[1].train_loss && t[0].val_loss == t[1].val_loss);
    for (int k = 0; k < 7; k++) {
        bool validated = (k + 1) % 3 == 0 || k == 6; /* every 3 steps, and at the twin's end */
        assert_true(isnan(r[1].val_loss[k]) != validated);
    }
    assert_int_equal(ls_session_apply(s, &ls->steps[0].items[1].u.action, NULL, NULL), 0);
    assert_int_equal(ls_session_runs(s, &r), 4);
    assert_string_equal(r[2].label, "rate 0.0");
    assert_string_equal(r[3].label, "rate 0.5");
    assert_memory_equal(r[1].loss, r[3].loss, 7 * sizeof(float));
    assert_true(memcmp(r[2].loss, r[3].loss, 7 * sizeof(float)) != 0);
    t = ls_session_twins(s);
    assert_true(t[0].rate == 0.0 && t[1].rate == 0.5);
    ls_session_clear_runs(s);
    assert_int_equal(ls_session_runs(s, &r), 1); /* the current run stays */
    ls_session_destroy(s);
}

static const char bnlesson[] = "title BN\n"
                               "data fashion_mnist\n  classes sneaker, ankle boot\n  train 60\n"
                               "model\n  Flatten()\n  Dense(4, activation=relu)\n  bn = BatchNormalization()\n"
                               "  Dense(1, activation=sigmoid)\n"
                               "compile\n  optimizer SGD(learning_rate=0.05)\n  loss binary_crossentropy\n"
                               "fit\n  batch_size 5\n  seed 3\n"
                               "step \"s\"\n  run 1 step\n";

/* The moving mean's change over one training step is 0.01 * the batch mean of the BN's
 * input (momentum 0.99, moving mean 0 at the start), computed by hand from the Dense
 * weights as they were before the step; frozen (TF 2), 0. */
static void test_bn_moving_stats(void **state)
{
    (void)state;
    if (!have_data())
        skip();
    ls_session *s = open_text("bn.lesson", bnlesson);
    nn_model *m = ls_session_model(s);
    const nn_layer *d = m->layers[nn_model_find(m, "dense")];
    float w[IN * UNITS], b[UNITS];
    memcpy(w, d->params[0].data, sizeof w);
    memcpy(b, d->params[1].data, sizeof b);
    ls_session_mark(s);
    nn_trace *t = steps(s, 1);
    double want = 0;
    for (int u = 0; u < UNITS; u++) {
        double mean = 0;
        for (int e = 0; e < BATCH; e++) {
            double h = b[u];
            for (int r = 0; r < IN; r++)
                h += (double)t->images[(size_t)e * IN + r] * w[r * UNITS + u];
            mean += (h > 0 ? h : 0) / BATCH;
        }
        want = fmax(want, fabs(0.01 * mean));
    }
    ls_expect e = {.q = LS_Q_BN_MEAN_CHANGE, .cmp = LS_CMP_GE, .a = 0};
    snprintf(e.layer, sizeof e.layer, "bn");
    double v;
    assert_true(ls_session_expect(s, &e, &v, NULL, 0));
    if (!(want > 0 && fabs(v - want) <= 1e-5 * want + 1e-9))
        fail_msg("moving mean change %.9g, by hand %.9g", v, want);
    nn_trace_destroy(t);
    assert_int_equal(ls_session_set_trainable(s, "bn", false, true), 0);
    ls_session_mark(s);
    nn_trace_destroy(steps(s, 3));
    assert_true(ls_session_expect(s, &e, &v, NULL, 0));
    assert_true(v == 0.0);
    e.q = LS_Q_BN_VAR_CHANGE;
    assert_true(ls_session_expect(s, &e, &v, NULL, 0));
    assert_true(v == 0.0);
    ls_session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mc_against_hand),
        cmocka_unit_test(test_batch_losses),
        cmocka_unit_test(test_probe_keeps_augmentation),
        cmocka_unit_test(test_keep_stats),
        cmocka_unit_test(test_twins_and_runs),
        cmocka_unit_test(test_bn_moving_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
