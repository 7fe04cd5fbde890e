/* Issue 3: lesson 1 trained through the session API, and what `--record DIR` writes.
 *
 * - The default model, seeded (lesson 1 as written): the loss falls and the validation
 *   accuracy reaches 0.95 within 300 steps.
 * - A record of a short run, read back with ds_npy_read and checked against the step
 *   snapshots the session returned: the masks' zeros are the dropped counts the table
 *   prints, the activations are the snapshots' Dropout inputs, batch_indices point at
 *   sneakers (7) and ankle boots (9) in the raw IDX label file and map to the snapshots'
 *   relabelled labels (7 -> 0, 9 -> 1), metrics.csv has one row per step with the
 *   snapshots' losses, every frozen tensor in weights_final equals weights_initial byte
 *   for byte and every trainable one differs.
 * - Two runs with the same seed write identical records, every file byte for byte (and a
 *   different seed draws different masks).
 * - The session's description of its model (ls_session_describe) and its version.
 *
 * Needs Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, or
 * $DROPSCOPE_DATA); skipped when it is absent. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/npy.h"
#include "engine/trace.h"
#include "lesson/lesson.h"
#include "session/record.h"
#include "session/session.h"

#define LESSON "lessons/01-which-neurons.lesson"
#define REC_STEPS 30

/* ------------------------------------------------------------------ helpers -- */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static char *scratch_dir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *p = malloc(512);
    assert_non_null(p);
    snprintf(p, 512, "%s/dsrec-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(p))
        fail_msg("mkdtemp %s failed", p);
    return p;
}

static void rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *sub = join(path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            rmtree(sub);
        else
            unlink(sub);
        free(sub);
    }
    closedir(d);
    rmdir(path);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: cannot open", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
        fail_msg("%s: short read", path);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void npy_load(const char *dir, const char *name, ds_npy *a)
{
    char *p = join(dir, name);
    char err[512] = "";
    if (ds_npy_read(p, a, err, sizeof err) < 0)
        fail_msg("%s", err);
    free(p);
}

/* The data directory the session reads, or NULL (the test is skipped). */
static const char *data_dir(void)
{
    const char *d = ds_fmnist_dir(NULL);
    char probe[600];
    snprintf(probe, sizeof probe, "%s/train-labels-idx1-ubyte.gz", d);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "  %s absent (Debian's dataset-fashion-mnist): skipped\n", d);
        return NULL;
    }
    return d;
}

/* A file of the source tree; the caller frees it. */
static char *source_path(const char *rel)
{
    const char *src = getenv("DROPSCOPE_SOURCE_DIR"); /* set by meson's test environment */
    if (!src || !*src)
        src = DROPSCOPE_SOURCE_DIR;
    return join(src, rel);
}

/* A session of the lesson at rel (seed < 0: the lesson's own). */
static ls_session *open_path(const char *rel, long seed)
{
    char *path = source_path(rel);
    char err[2048] = "";
    ls_lesson *l = ls_lesson_load(path, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    ls_options o = ls_options_default();
    o.seed_set = seed >= 0;
    o.seed = (uint64_t)seed;
    o.quiet = true;
    ls_session *s = ls_session_create(l, &o, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    free(path);
    return s;
}

static ls_session *open_lesson(long seed)
{
    return open_path(LESSON, seed);
}

static nn_trace *step(ls_session *s)
{
    nn_trace *t = ls_session_step(s);
    if (!t)
        fail_msg("step %ld: %s", ls_session_steps(s) + 1, ls_session_error(s));
    if (!t->finite)
        fail_msg("step %ld: non-finite values: %s", t->step, ls_session_error(s));
    return t;
}

/* Trains `steps` steps of lesson 1 with `seed`, recording to dir; keeps every snapshot
 * in traces (when not NULL). Returns the session (still open, for its model). */
static ls_session *record_run(long seed, int steps, const char *dir, nn_trace **traces)
{
    ls_session *s = open_lesson(seed);
    nn_model *m = ls_session_model(s);
    char err[1024] = "";
    int batch = ls_session_lesson(s)->fit.batch;
    assert_int_equal(batch, 20);
    ls_recorder *r = ls_recorder_open(dir, m, batch, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    for (int i = 0; i < steps; i++) {
        nn_trace *t = step(s);
        if (ls_recorder_add(r, t, err, sizeof err) < 0)
            fail_msg("%s", err);
        if (traces)
            traces[i] = t;
        else
            nn_trace_destroy(t);
    }
    if (ls_recorder_close(r, m, err, sizeof err) < 0)
        fail_msg("%s", err);
    return s;
}

/* ------------------------------------------------ the default model learns -- */

static void test_default_model_learns(void **state)
{
    (void)state;
    if (!data_dir())
        skip();
    double t0 = now_sec();
    ls_session *s = open_lesson(-1); /* the lesson's own seed (1) */
    assert_int_equal(ls_session_lesson(s)->fit.seed, 1);
    double loss1 = NAN, first = 0, last = 0, best = 0;
    long best_at = -1, reached_at = -1;
    int n_val = 0;
    for (int i = 1; i <= 300; i++) {
        nn_trace *t = step(s);
        assert_int_equal(t->step, i);
        assert_true(t->training);
        if (i == 1)
            loss1 = t->loss;
        if (i <= 10)
            first += t->loss / 10;
        if (i > 290)
            last += t->loss / 10;
        if (!isnan(t->val_accuracy)) {
            n_val++;
            fprintf(stderr, "  step %3d: loss %.4f val_loss %.4f val_accuracy %.4f\n", i, t->loss,
                    t->val_loss, t->val_accuracy);
            if (t->val_accuracy > best)
                best = t->val_accuracy, best_at = i;
            if (t->val_accuracy >= 0.95 && reached_at < 0)
                reached_at = i;
        }
        nn_trace_destroy(t);
    }
    fprintf(stderr, "  loss at step 1 %.4f; mean loss steps 1-10 %.4f, steps 291-300 %.4f; best val_accuracy %.4f at step %ld;"
            " 0.95 first reached at step %ld (%.1f s)\n",
            loss1, first, last, best, best_at, reached_at, now_sec() - t0);
    assert_int_equal(n_val, 6); /* the lesson validates every 50 steps */
    assert_true(loss1 > 0.5);         /* an untrained sigmoid unit starts near log 2 */
    assert_true(first < loss1);
    assert_true(last < 0.3 * first);  /* and the loss falls */
    assert_true(reached_at > 0 && reached_at <= 300);
    /* the lesson's own bar: the last validation (step 300) */
    double vl, va;
    assert_int_equal(ls_session_validate(s, &vl, &va), 0);
    assert_true(va >= 0.95);
    ls_session_destroy(s);
}

/* ----------------------------------------------------- the record's contents -- */

/* metrics.csv: header, one row per step whose fields are the snapshots' values. */
static void check_metrics(const char *dir, nn_trace **tr, int steps)
{
    size_t len;
    char *p = join(dir, "metrics.csv");
    char *csv = slurp(p, &len);
    free(p);
    char *save = NULL;
    char *line = strtok_r(csv, "\n", &save);
    assert_non_null(line);
    assert_string_equal(line, "step,loss,accuracy,val_loss,val_accuracy,learning_rate,training,dropout_dropped");
    int rows = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        assert_true(rows < steps);
        const nn_trace *t = tr[rows];
        /* split on commas, keeping empty fields */
        char *f[16];
        int nf = 0;
        f[nf++] = line;
        for (char *c = line; *c && nf < 16; c++)
            if (*c == ',') {
                *c = '\0';
                f[nf++] = c + 1;
            }
        assert_int_equal(nf, 8);
        char *end;
        assert_int_equal(strtol(f[0], &end, 10), rows + 1);
        assert_true(*end == '\0');
        double loss = strtod(f[1], &end);
        assert_true(*end == '\0');
        if (!(fabs(loss - t->loss) <= 1e-8 * fabs(t->loss)))
            fail_msg("metrics.csv row %d: loss %s, snapshot %.17g", rows + 1, f[1], t->loss);
        char want[64];
        snprintf(want, sizeof want, "%.9g", t->loss);
        assert_string_equal(f[1], want);
        double acc = strtod(f[2], &end);
        assert_true(*end == '\0');
        assert_true(fabs(acc - t->accuracy) <= 1e-9);
        if (isnan(t->val_loss)) {
            assert_string_equal(f[3], "");
            assert_string_equal(f[4], "");
        } else {
            assert_true(fabs(strtod(f[3], NULL) - t->val_loss) <= 1e-8 * fabs(t->val_loss));
            assert_true(fabs(strtod(f[4], NULL) - t->val_accuracy) <= 1e-9);
        }
        assert_true(fabs(strtod(f[5], NULL) - 1e-4) <= 1e-11);
        assert_string_equal(f[6], "1");
        assert_int_equal(strtoul(f[7], &end, 10), t->dropout[0].dropped);
        assert_true(*end == '\0');
        rows++;
    }
    assert_int_equal(rows, steps);
    free(csv);
}

static void test_record_contents(void **state)
{
    (void)state;
    const char *ddir = data_dir();
    if (!ddir)
        skip();
    double t0 = now_sec();
    char *dir = scratch_dir("contents");
    char *rec = join(dir, "rec"); /* the recorder makes it */
    nn_trace *tr[REC_STEPS];
    ls_session *s = record_run(5, REC_STEPS, rec, tr);
    nn_model *m = ls_session_model(s);
    const int B = 20, U = 1024;
    for (int i = 0; i < REC_STEPS; i++) {
        assert_int_equal(tr[i]->batch, B);
        assert_int_equal(tr[i]->n_dropout, 1);
        assert_string_equal(tr[i]->dropout[0].name, "dropout");
        assert_string_equal(tr[i]->dropout[0].source_name, "dense_1");
        assert_int_equal(tr[i]->dropout[0].units, U);
        assert_true(tr[i]->dropout[0].has_mask);
        assert_non_null(tr[i]->indices);
    }

    /* masks: uint8 [S, B, U]; zeros per row == the dropped count printed by the table */
    ds_npy mk, ac, ix;
    npy_load(rec, "masks/dropout.npy", &mk);
    assert_int_equal(mk.dtype, DS_U8);
    assert_int_equal(mk.rank, 3);
    assert_int_equal(mk.shape[0], REC_STEPS);
    assert_int_equal(mk.shape[1], B);
    assert_int_equal(mk.shape[2], U);
    const uint8_t *mask = mk.data;
    for (int i = 0; i < REC_STEPS; i++) {
        size_t zeros = 0, ones = 0;
        for (size_t k = 0; k < (size_t)B * U; k++) {
            uint8_t v = mask[(size_t)i * B * U + k];
            zeros += v == 0;
            ones += v == 1;
        }
        assert_int_equal(zeros + ones, (size_t)B * U); /* only 0 and 1 */
        assert_int_equal(zeros, tr[i]->dropout[0].dropped);
        assert_int_equal(zeros, nn_trace_dropped(tr[i], 0, -1));
        double frac = (double)zeros / (B * U);
        assert_true(frac > 0.17 && frac < 0.23); /* 20480 draws at p = 0.2: sd 0.0028 */
        assert_memory_equal(mask + (size_t)i * B * U, tr[i]->dropout[0].mask, (size_t)B * U);
    }

    /* activations: float32 [S, B, U] == the snapshots' Dropout inputs, bit for bit */
    npy_load(rec, "activations/dropout.npy", &ac);
    assert_int_equal(ac.dtype, DS_F32);
    assert_int_equal(ac.rank, 3);
    assert_int_equal(ac.shape[0], REC_STEPS);
    assert_int_equal(ac.shape[1], B);
    assert_int_equal(ac.shape[2], U);
    size_t n_zero_act = 0;
    for (int i = 0; i < REC_STEPS; i++) {
        const float *a = (const float *)ac.data + (size_t)i * B * U;
        assert_memory_equal(a, tr[i]->dropout[0].act, (size_t)B * U * sizeof(float));
        for (size_t k = 0; k < (size_t)B * U; k++) {
            assert_true(a[k] >= 0.0f); /* dense_1's ReLU outputs, before masking */
            n_zero_act += a[k] == 0.0f;
        }
    }
    /* before masking: dropped units keep their activations (not all zero) */
    assert_true(n_zero_act < (size_t)REC_STEPS * B * U / 2);

    /* batch_indices: int32 [S, B], each a sneaker or an ankle boot in the raw IDX file,
     * relabelled as the snapshot's labels; an epoch draws each example once */
    npy_load(rec, "batch_indices.npy", &ix);
    assert_int_equal(ix.dtype, DS_I32);
    assert_int_equal(ix.rank, 2);
    assert_int_equal(ix.shape[0], REC_STEPS);
    assert_int_equal(ix.shape[1], B);
    char *lpath = join(ddir, "train-labels-idx1-ubyte.gz");
    ds_idx lab;
    char err[512] = "";
    if (ds_idx_read(lpath, 0, &lab, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_int_equal(lab.ndim, 1);
    assert_int_equal(lab.dims[0], 60000);
    uint8_t *seen = calloc(60000, 1);
    int n7 = 0, n9 = 0;
    for (int i = 0; i < REC_STEPS; i++)
        for (int k = 0; k < B; k++) {
            int32_t id = ((const int32_t *)ix.data)[i * B + k];
            assert_int_equal(id, tr[i]->indices[k]);
            assert_in_range(id, 0, 59999);
            assert_int_equal(seen[id], 0);
            seen[id] = 1;
            int raw = lab.data[id];
            if (raw != 7 && raw != 9)
                fail_msg("step %d example %d: index %d has label %d in %s, not 7 or 9", i + 1, k, id, raw,
                         lpath);
            assert_int_equal(tr[i]->labels[k], raw == 7 ? 0 : 1);
            n7 += raw == 7;
            n9 += raw == 9;
        }
    assert_true(n7 > 200 && n9 > 200); /* a shuffled mix of both classes */
    free(seen);
    free(lpath);
    ds_idx_free(&lab);

    check_metrics(rec, tr, REC_STEPS);

    /* weights: frozen tensors bit-identical, trainable ones moved; weights_final is the
     * model as it is now */
    char *w0dir = join(rec, "weights_initial"), *w1dir = join(rec, "weights_final");
    int n_files = 0, n_frozen = 0, n_trained = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        for (int q = 0; q < l->n_params; q++) {
            const nn_param *pr = &l->params[q];
            char name[128];
            snprintf(name, sizeof name, "%s.%s.npy", l->name, pr->name);
            ds_npy w0, w1;
            npy_load(w0dir, name, &w0);
            npy_load(w1dir, name, &w1);
            n_files++;
            assert_int_equal(w0.dtype, DS_F32);
            assert_int_equal(w0.count, pr->size);
            assert_int_equal(w1.count, pr->size);
            assert_int_equal(w0.rank, pr->shape.rank);
            for (int d = 0; d < w0.rank; d++) {
                assert_int_equal(w0.shape[d], pr->shape.d[d]);
                assert_int_equal(w1.shape[d], pr->shape.d[d]);
            }
            assert_memory_equal(w1.data, pr->data, pr->size * sizeof(float));
            bool same = memcmp(w0.data, w1.data, pr->size * sizeof(float)) == 0;
            if (!l->train_active) {
                n_frozen++;
                if (!same)
                    fail_msg("frozen %s moved between weights_initial and weights_final", name);
            } else {
                n_trained++;
                if (same)
                    fail_msg("trainable %s did not move in %d steps", name, REC_STEPS);
            }
            ds_npy_free(&w0);
            ds_npy_free(&w1);
        }
    }
    assert_int_equal(n_frozen, 4);  /* conv2d, conv2d_1: kernel and bias */
    assert_int_equal(n_trained, 6); /* dense, dense_1, dense_2 */
    /* nothing else in the weight directories */
    for (int w = 0; w < 2; w++) {
        DIR *d = opendir(w ? w1dir : w0dir);
        assert_non_null(d);
        int n = 0;
        struct dirent *e;
        while ((e = readdir(d)))
            n += e->d_name[0] != '.';
        closedir(d);
        assert_int_equal(n, n_files);
    }
    free(w0dir);
    free(w1dir);

    ds_npy_free(&mk);
    ds_npy_free(&ac);
    ds_npy_free(&ix);
    for (int i = 0; i < REC_STEPS; i++)
        nn_trace_destroy(tr[i]);
    ls_session_destroy(s);
    rmtree(dir);
    free(rec);
    free(dir);
    fprintf(stderr, "  record of %d steps checked (%.1f s)\n", REC_STEPS, now_sec() - t0);
}

/* ------------------------------------------------------ same seed, same bytes -- */

/* Every file under a and b (recursively) is in both, byte for byte; returns the count. */
static int compare_trees(const char *a, const char *b)
{
    DIR *d = opendir(a);
    if (!d)
        fail_msg("%s: cannot open", a);
    int files = 0, entries = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        entries++;
        char *pa = join(a, e->d_name), *pb = join(b, e->d_name);
        struct stat sa, sb;
        assert_int_equal(lstat(pa, &sa), 0);
        if (lstat(pb, &sb) != 0)
            fail_msg("%s is in the first record only", pb);
        assert_int_equal(S_ISDIR(sa.st_mode), S_ISDIR(sb.st_mode));
        if (S_ISDIR(sa.st_mode)) {
            files += compare_trees(pa, pb);
        } else {
            size_t na, nb;
            char *ca = slurp(pa, &na), *cb = slurp(pb, &nb);
            if (na != nb || memcmp(ca, cb, na) != 0)
                fail_msg("%s and %s differ", pa, pb);
            free(ca);
            free(cb);
            files++;
        }
        free(pa);
        free(pb);
    }
    closedir(d);
    /* and nothing extra in b */
    d = opendir(b);
    assert_non_null(d);
    int nb = 0;
    while ((e = readdir(d)))
        nb += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(nb, entries);
    return files;
}

static void test_same_seed_same_record(void **state)
{
    (void)state;
    if (!data_dir())
        skip();
    double t0 = now_sec();
    char *dir = scratch_dir("seed");
    char *r1 = join(dir, "run1"), *r2 = join(dir, "run2"), *r3 = join(dir, "other_seed");
    ls_session_destroy(record_run(7, 20, r1, NULL));
    ls_session_destroy(record_run(7, 20, r2, NULL));
    int files = compare_trees(r1, r2);
    /* metrics.csv, batch_indices, masks/, activations/, 10 + 10 weight tensors */
    assert_int_equal(files, 24);
    /* a different seed: different masks (and batches) */
    ls_session_destroy(record_run(8, 20, r3, NULL));
    ds_npy m1, m3, i1, i3;
    npy_load(r1, "masks/dropout.npy", &m1);
    npy_load(r3, "masks/dropout.npy", &m3);
    npy_load(r1, "batch_indices.npy", &i1);
    npy_load(r3, "batch_indices.npy", &i3);
    assert_int_equal(m1.count, m3.count);
    assert_memory_not_equal(m1.data, m3.data, m1.count);
    assert_memory_not_equal(i1.data, i3.data, i1.count * sizeof(int32_t));
    ds_npy_free(&m1);
    ds_npy_free(&m3);
    ds_npy_free(&i1);
    ds_npy_free(&i3);
    rmtree(dir);
    free(r1);
    free(r2);
    free(r3);
    free(dir);
    fprintf(stderr, "  two seed-7 records identical (%d files), seed 8 differs (%.1f s)\n", files,
            now_sec() - t0);
}

/* ------------------------------------------------- the model's description -- */

/* ls_session_describe, what the window draws from instead of parsing shape strings and
 * the notes: lesson 8 without its .h5 (integer shapes, all inputs of a Concatenate, the
 * base flagged as on random weights) and lesson 1 (the version after a freeze, the
 * compile that makes it effective, a rate, a reseed; the trace's desc_version). */

static int find(const ls_model_desc *d, const char *name)
{
    for (int i = 0; i < d->n_layers; i++)
        if (!strcmp(d->layers[i].name, name))
            return i;
    fail_msg("no layer '%s' in the description", name);
    return -1;
}

static void test_describe_inception(void **state)
{
    (void)state;
    if (!data_dir())
        skip();
    char *h5 = source_path("lessons/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5");
    char *h5a = source_path("assets/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5");
    bool weights_absent = access(h5, R_OK) != 0 && access(h5a, R_OK) != 0;
    free(h5);
    free(h5a);
    ls_session *s = open_path("lessons/08-inception-reference.lesson", -1);
    const ls_model_desc *d = ls_session_describe(s);
    const nn_model *m = ls_session_model(s);
    assert_true(d->version >= 1);
    assert_int_equal(d->n_layers, m->n_layers);
    for (int i = 0; i < d->n_layers; i++) {
        assert_string_equal(d->layers[i].name, m->layers[i]->name);
        assert_int_equal(d->layers[i].n_inputs, m->layers[i]->n_inputs);
    }
    /* integer shapes: the input, the features at mixed7, the head */
    const ls_layer_desc *in = &d->layers[0];
    assert_int_equal(in->shape.rank, 3);
    assert_int_equal(in->shape.d[0], 150);
    assert_int_equal(in->shape.d[2], 3);
    assert_int_equal(in->units, 3);
    const ls_layer_desc *mixed7 = &d->layers[find(d, "mixed7")];
    assert_int_equal(mixed7->type, NN_CONCAT);
    assert_int_equal(mixed7->shape.rank, 3);
    assert_int_equal(mixed7->shape.d[0], 7);
    assert_int_equal(mixed7->units, 768);
    assert_int_equal(d->layers[find(d, "dense_1")].units, 1024);
    const ls_layer_desc *drop = &d->layers[find(d, "dropout")];
    assert_true((float)drop->rate == 0.2f); /* the parser reads it through a float today */
    assert_int_equal(drop->inputs[0], find(d, "dense_1"));
    assert_int_equal(d->layers[find(d, "dense")].params, 19268096);
    /* every input of a Concatenate, in order */
    int mixed0 = find(d, "mixed0");
    const nn_layer *c = m->layers[mixed0];
    assert_int_equal(d->layers[mixed0].n_inputs, 4);
    for (int k = 0; k < 4; k++)
        assert_int_equal(d->layers[mixed0].inputs[k], c->inputs[k]);
    /* one base, frozen, all its layers pointing at it */
    assert_int_equal(d->n_bases, 1);
    const ls_base_desc *b = &d->bases[0];
    assert_string_equal(b->name, "inception_v3");
    assert_true(b->count > 200);
    assert_int_equal(b->first + b->count - 1, find(d, "mixed7"));
    for (int i = b->first; i < b->first + b->count; i++) {
        assert_int_equal(d->layers[i].base, 0);
        assert_false(d->layers[i].trainable);
        assert_true(d->layers[i].frozen);
    }
    assert_int_equal(d->layers[find(d, "dense")].base, -1);
    if (weights_absent)
        assert_true(b->random_weights);
    else
        fprintf(stderr, "  InceptionV3's .h5 is present: its random_weights flag not checked\n");
    assert_true(d->seed == 1);
    assert_true(ls_session_seed(s) == 1);
    ls_session_destroy(s);
}

static void test_describe_version(void **state)
{
    (void)state;
    if (!data_dir())
        skip();
    ls_session *s = open_lesson(7);
    const ls_model_desc *d = ls_session_describe(s);
    assert_true(d->seed == 7);
    assert_true(ls_session_seed(s) == 7);
    assert_int_equal(d->n_bases, 1);
    assert_false(d->bases[0].random_weights); /* assets/fashion_cnn ships */
    int dense = find(d, "dense");
    assert_int_equal(d->layers[dense].shape.rank, 1);
    assert_int_equal(d->layers[dense].units, 512);
    assert_int_equal(d->layers[dense].n_inputs, 1);
    assert_int_equal(d->layers[dense].inputs[0], find(d, "flatten"));

    unsigned v0 = d->version;
    nn_trace *t = ls_session_step(s);
    assert_non_null(t);
    assert_int_equal(t->desc_version, v0);
    nn_trace_destroy(t);
    assert_int_equal(d->version, v0); /* a step changes nothing described */

    /* freeze: the live flag changes now, training obeys it after the compile */
    assert_int_equal(ls_session_set_trainable(s, "dense", false, false), 0);
    unsigned v1 = d->version;
    assert_int_not_equal(v1, v0);
    assert_false(d->layers[dense].trainable);
    assert_false(d->layers[dense].frozen);
    assert_int_equal(ls_session_compile(s), 0);
    unsigned v2 = d->version;
    assert_int_not_equal(v2, v1);
    assert_true(d->layers[dense].frozen);
    assert_int_equal(ls_session_compile(s), 0);
    assert_int_equal(d->version, v2); /* nothing changed */
    t = ls_session_step(s);
    assert_non_null(t);
    assert_int_equal(t->desc_version, v2);
    nn_trace_destroy(t);

    assert_int_equal(ls_session_set_rate(s, "dropout", 0.5f), 0);
    assert_int_not_equal(d->version, v2);
    assert_true(d->layers[find(d, "dropout")].rate == 0.5);
    unsigned v3 = d->version;
    ls_session_set_seed(s, 8);
    assert_true(d->seed == 8);
    assert_true(ls_session_seed(s) == 8);
    assert_int_not_equal(d->version, v3);
    ls_session_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_contents),
        cmocka_unit_test(test_same_seed_same_record),
        cmocka_unit_test(test_default_model_learns),
        cmocka_unit_test(test_describe_inception),
        cmocka_unit_test(test_describe_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
