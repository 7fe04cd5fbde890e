/* Headless commands: train, summary, check, pretrain. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "data/dataset.h"
#include "data/weights.h"
#include "engine/bases.h"
#include "session/load.h"
#include "session/paths.h"
#include "session/record.h"
#include "session/session.h"

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int usage(const char *cmd, const char *text)
{
    fprintf(stderr, "usage: dropscope %s %s\n", cmd, text);
    return 2;
}

/* Parses a whole non-negative integer; false on anything else. */
static bool parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

typedef struct {
    const char *lesson;
    long steps, seed, every, batch;
    long memory_mib;        /* --memory-budget; 0: the session's default */
    const char *record;
    const char *data;
} train_args;

static int parse_common(int argc, char **argv, train_args *a, const char *cmd, const char *help)
{
    a->lesson = NULL;
    a->steps = -1;
    a->seed = -1;
    a->every = -1;
    a->batch = 0;
    a->memory_mib = 0;
    a->record = a->data = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *target = NULL;
        long lo = 0, hi = 100000000;
        if (!strcmp(o, "--steps"))
            target = &a->steps;
        else if (!strcmp(o, "--seed"))
            target = &a->seed, hi = 2147483647;
        else if (!strcmp(o, "--every"))
            target = &a->every, lo = 1;
        else if (!strcmp(o, "--batch"))
            target = &a->batch, lo = 1, hi = 4096;
        else if (!strcmp(o, "--memory-budget"))
            target = &a->memory_mib, lo = 1, hi = 16L << 20; /* MiB, up to 16 TiB */
        if (target) {
            if (!parse_long(v, lo, hi, target)) {
                fprintf(stderr, "dropscope %s: %s needs a whole number in %ld..%ld, got '%s'\n", cmd, o, lo, hi,
                        v ? v : "nothing");
                return 2;
            }
            i++;
        } else if (!strcmp(o, "--record") || !strcmp(o, "--data")) {
            if (!v || !*v) {
                fprintf(stderr, "dropscope %s: %s needs a directory\n", cmd, o);
                return 2;
            }
            *(!strcmp(o, "--record") ? &a->record : &a->data) = v;
            i++;
        } else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            printf("usage: dropscope %s %s\n", cmd, help);
            return -1;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "dropscope %s: unknown option '%s'\n", cmd, o);
            return usage(cmd, help);
        } else if (!a->lesson) {
            a->lesson = o;
        } else {
            fprintf(stderr, "dropscope %s: one lesson at a time ('%s' and '%s')\n", cmd, a->lesson, o);
            return 2;
        }
    }
    if (!a->lesson)
        a->lesson = ls_default_lesson_path();
    return 0;
}

static ls_session *open_session(const train_args *a, const char *cmd, bool quiet)
{
    char err[2048];
    ls_lesson *l = ls_lesson_load_any(a->lesson, err, sizeof err);
    if (!l) {
        fprintf(stderr, "dropscope %s: %s\n", cmd, err);
        return NULL;
    }
    ls_options o = ls_options_default();
    o.data_dir = a->data;
    o.seed = a->seed;
    o.batch = (int)a->batch;
    o.memory_budget = (size_t)a->memory_mib << 20;
    o.quiet = quiet;
    ls_session *s = ls_session_create(l, &o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "dropscope %s: %s\n", cmd, err);
        return NULL;
    }
    /* notes matter (e.g. a base on random weights): always said */
    const char *notes = ls_session_notes(s);
    if (notes[0])
        fprintf(stderr, "%s\n", notes);
    return s;
}

static void print_header(const nn_model *m, FILE *f)
{
    fprintf(f, "%6s %9s %7s %9s %7s", "step", "loss", "acc", "val_loss", "val_acc");
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->type == NN_DROPOUT)
            fprintf(f, "  %-24s", m->layers[i]->name);
    fprintf(f, "  %-22s %8s\n", "frozen max|dW|", "steps/s");
}

static void print_row(const nn_model *m, const nn_trace *t, double sps, FILE *f)
{
    char vl[16] = "-", va[16] = "-";
    if (!isnan(t->val_loss)) {
        snprintf(vl, sizeof vl, "%.4f", t->val_loss);
        snprintf(va, sizeof va, "%.4f", t->val_accuracy);
    }
    fprintf(f, "%6ld %9.4f %7.4f %9s %7s", t->step, t->loss, t->accuracy, vl, va);
    for (int k = 0; k < t->n_dropout; k++) {
        const nn_trace_dropout *d = &t->dropout[k];
        char cell[48];
        if (d->has_mask)
            snprintf(cell, sizeof cell, "%zu/%zu (%.1f%%)", d->dropped, (size_t)t->batch * d->units,
                     100.0 * d->dropped / ((double)t->batch * d->units));
        else
            snprintf(cell, sizeof cell, "no mask (inference)");
        fprintf(f, "  %-24s", cell);
    }
    float fmax = 0;
    int nf = 0;
    for (int i = 0; i < t->n_layers; i++)
        if (t->layers[i].frozen && t->layers[i].params > 0) {
            nf++;
            fmax = t->layers[i].dw_max > fmax ? t->layers[i].dw_max : fmax;
        }
    char fz[48];
    if (nf)
        snprintf(fz, sizeof fz, "%g (%d layer%s)", (double)fmax, nf, nf == 1 ? "" : "s");
    else
        snprintf(fz, sizeof fz, "none frozen");
    fprintf(f, "  %-22s %8.1f\n", fz, sps);
    (void)m;
}

static void progress(long done, long total, double sps)
{
    int width = 30, fill = total > 0 ? (int)(width * done / total) : width;
    fprintf(stderr, "\r[");
    for (int i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %ld/%ld  %.1f steps/s ", done, total, sps);
    fflush(stderr);
}

#define TRAIN_HELP "[LESSON] [--steps N] [--seed S] [--every K] [--batch B] [--record DIR] [--data DIR] [--memory-budget MiB]"

int ls_cmd_train(int argc, char **argv)
{
    train_args a;
    int rc = parse_common(argc, argv, &a, "train", TRAIN_HELP);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.steps < 0)
        a.steps = 300;
    ls_session *s = open_session(&a, "train", false);
    if (!s)
        return 2;
    nn_model *m = ls_session_model(s);
    long every = a.every > 0 ? a.every : (a.steps >= 20 ? a.steps / 20 : 1);
    const ls_lesson *lesson = ls_session_lesson(s);
    char err[1024];
    ls_recorder *rec = NULL;
    int batch = a.batch > 0 ? (int)a.batch : (lesson->fit.batch > 0 ? lesson->fit.batch : 20);
    if (a.record && !(rec = ls_recorder_open(a.record, m, batch, err, sizeof err))) {
        fprintf(stderr, "dropscope train: %s\n", err);
        ls_session_destroy(s);
        return 2;
    }
    bool tty = isatty(STDERR_FILENO) && isatty(STDOUT_FILENO);
    printf("# %s: %s\n", lesson->path, lesson->title ? lesson->title : "");
    print_header(m, stdout);
    double t0 = now_sec();
    int status = 0;
    for (long i = 1; i <= a.steps; i++) {
        nn_trace *t = ls_session_step(s);
        if (!t) {
            fprintf(stderr, "%sdropscope train: %s\n", tty ? "\n" : "", ls_session_error(s));
            status = 2;
            break;
        }
        /* validate before recording, so metrics.csv holds what the table prints */
        bool row = i % every == 0 || i == a.steps || i == 1;
        if (t->finite && (i % every == 0 || i == a.steps) && isnan(t->val_loss)) {
            double vl, va;
            if (ls_session_validate(s, &vl, &va) == 0) {
                t->val_loss = vl;
                t->val_accuracy = va;
            }
        }
        if (rec && ls_recorder_add(rec, t, err, sizeof err) < 0) {
            fprintf(stderr, "%sdropscope train: %s\n", tty ? "\n" : "", err);
            nn_trace_destroy(t);
            status = 2;
            break;
        }
        double sps = i / (now_sec() - t0);
        if (!t->finite) {
            print_row(m, t, sps, stdout);
            fprintf(stderr, "%sdropscope train: stopped: %s\n", tty ? "\n" : "", ls_session_error(s));
            nn_trace_destroy(t);
            status = 2;
            break;
        }
        if (row) {
            if (tty)
                fprintf(stderr, "\r%60s\r", "");
            print_row(m, t, sps, stdout);
            fflush(stdout);
        }
        if (tty)
            progress(i, a.steps, sps);
        nn_trace_destroy(t);
    }
    if (tty)
        fprintf(stderr, "\n");
    double secs = now_sec() - t0;
    printf("# %ld steps in %.1f s (%.1f steps/s)\n", ls_session_steps(s), secs,
           secs > 0 ? ls_session_steps(s) / secs : 0.0);
    int nf = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (!m->layers[i]->train_active && m->layers[i]->n_params > 0)
            nf++;
    if (nf) {
        printf("# frozen layers, largest |w - w_at_compile| (bit-identical when 0):");
        for (int i = 0; i < m->n_layers; i++)
            if (!m->layers[i]->train_active && m->layers[i]->n_params > 0)
                printf(" %s=%g", m->layers[i]->name, (double)m->layers[i]->dw_max);
        printf("\n");
    }
    if (rec) {
        if (status == 0 || ls_session_steps(s) > 0) {
            if (ls_recorder_close(rec, m, err, sizeof err) < 0) {
                fprintf(stderr, "dropscope train: %s\n", err);
                status = 2;
            } else {
                printf("# recorded to %s (see docs/record-format.md)\n", a.record);
            }
        } else {
            ls_recorder_abort(rec);
        }
    }
    ls_session_destroy(s);
    return status;
}

int ls_cmd_summary(int argc, char **argv)
{
    train_args a;
    int rc = parse_common(argc, argv, &a, "summary", "[LESSON]");
    if (rc)
        return rc < 0 ? 0 : rc;
    char err[2048];
    ls_lesson *l = ls_lesson_load_any(a.lesson, err, sizeof err);
    if (!l) {
        fprintf(stderr, "dropscope summary: %s\n", err);
        return 2;
    }
    nn_model *m = ls_lesson_build_model(l, err, sizeof err);
    if (!m) {
        fprintf(stderr, "dropscope summary: %s\n", err);
        ls_lesson_destroy(l);
        return 2;
    }
    nn_model_summary(m, stdout);
    nn_model_destroy(m);
    ls_lesson_destroy(l);
    return 0;
}

/* ---- check ---- */

static int check_one(const char *path, const char *data_dir, long memory_mib, bool verbose)
{
    train_args a = {.lesson = path, .steps = -1, .seed = -1, .every = -1, .batch = 0, .data = data_dir,
                    .memory_mib = memory_mib};
    ls_session *s = open_session(&a, "check", true);
    if (!s)
        return 2;
    const ls_lesson *l = ls_session_lesson(s);
    double t0 = now_sec();
    int status = 0;
    for (int i = 0; i < l->n_steps && status == 0; i++) {
        const ls_step *st = &l->steps[i];
        ls_session_mark(s);
        char line[4096];
        size_t k = (size_t)snprintf(line, sizeof line, "%s: step %d \"%s\":", path, i + 1, st->title ? st->title : "");
        int n_expect = 0, n_q = 0;
        for (int j = 0; j < st->n_items && status == 0; j++) {
            const ls_item *it = &st->items[j];
            if (it->kind == LS_ITEM_ACTION) {
                if (ls_session_apply(s, &it->u.action, NULL, NULL) < 0) {
                    printf("%s\n", line);
                    fprintf(stderr, "%s:%d:%d: action failed: %s\n", path, it->u.action.loc.line,
                            it->u.action.loc.col, ls_session_error(s));
                    status = 2;
                }
            } else if (it->kind == LS_ITEM_EXPECT) {
                double v;
                char desc[512];
                bool ok = ls_session_expect(s, &it->u.expect, &v, desc, sizeof desc);
                n_expect++;
                if (k < sizeof line)
                    k += (size_t)snprintf(line + k, sizeof line - k, " [%s %s]", ok ? "ok" : "FAILED", desc);
                if (!ok) {
                    printf("%s\n", line);
                    fprintf(stderr, "%s:%d:%d: expectation not met: %s\n", path, it->u.expect.loc.line,
                            it->u.expect.loc.col, desc);
                    status = 1;
                }
            } else if (it->kind == LS_ITEM_QUESTION) {
                n_q++;
            }
        }
        if (status == 0) {
            if (k < sizeof line)
                snprintf(line + k, sizeof line - k, " %d expectation%s ok, %d question%s, %ld steps trained",
                         n_expect, n_expect == 1 ? "" : "s", n_q, n_q == 1 ? "" : "s", ls_session_steps(s));
            printf("%s\n", line);
        }
        fflush(stdout);
    }
    if (status == 0 && verbose)
        printf("%s: passed (%d steps, %.1f s)\n", path, l->n_steps, now_sec() - t0);
    ls_session_destroy(s);
    return status;
}

int ls_cmd_check(int argc, char **argv)
{
    const char *data = NULL;
    long memory_mib = 0;
    int n_files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--memory-budget")) {
            if (!parse_long(i + 1 < argc ? argv[i + 1] : NULL, 1, 16L << 20, &memory_mib)) {
                fprintf(stderr, "dropscope check: --memory-budget needs a whole number of MiB in 1..%ld, got '%s'\n",
                        16L << 20, i + 1 < argc ? argv[i + 1] : "nothing");
                return 2;
            }
            i++;
        } else if (!strcmp(argv[i], "--data")) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                fprintf(stderr, "dropscope check: --data needs a directory\n");
                return 2;
            }
            data = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: dropscope check [--data DIR] [--memory-budget MiB] LESSON...\n");
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "dropscope check: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") || !strcmp(argv[i], "--memory-budget")) {
            i++;
            continue;
        }
        n_files++;
        int rc = check_one(argv[i], data, memory_mib, true);
        if (rc) {
            return rc; /* stop at the first unmet expectation */
        }
    }
    if (n_files == 0)
        return usage("check", "[--data DIR] [--memory-budget MiB] LESSON...");
    printf("%d passed, %d failed\n", n_files - failed, failed);
    return 0;
}

/* ---- pretrain ---- */

#define PRETRAIN_HELP "[--out DIR] [--epochs E] [--seed S] [--data DIR] [--train N]"

int ls_cmd_pretrain(int argc, char **argv)
{
    char out_dir[1024];
    snprintf(out_dir, sizeof out_dir, "%s/assets/fashion_cnn", ls_data_dir());
    long epochs = 4, seed = 1, max_train = 0;
    const char *data = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *target = NULL, lo = 0, hi = 0;
        if (!strcmp(o, "--epochs"))
            target = &epochs, lo = 1, hi = 100;
        else if (!strcmp(o, "--seed"))
            target = &seed, lo = 0, hi = 2147483647;
        else if (!strcmp(o, "--train"))
            target = &max_train, lo = 100, hi = 60000;
        if (target) {
            if (!parse_long(v, lo, hi, target)) {
                fprintf(stderr, "dropscope pretrain: %s needs a whole number in %ld..%ld, got '%s'\n", o, lo, hi,
                        v ? v : "nothing");
                return 2;
            }
            i++;
        } else if (!strcmp(o, "--out") || !strcmp(o, "--data")) {
            if (!v || !*v) {
                fprintf(stderr, "dropscope pretrain: %s needs a directory\n", o);
                return 2;
            }
            if (!strcmp(o, "--data"))
                data = v;
            else if ((size_t)snprintf(out_dir, sizeof out_dir, "%s", v) >= sizeof out_dir) {
                fprintf(stderr, "dropscope pretrain: --out: the path is too long\n");
                return 2;
            }
            i++;
        } else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            printf("usage: dropscope pretrain %s\n", PRETRAIN_HELP);
            return 0;
        } else {
            fprintf(stderr, "dropscope pretrain: bad argument '%s'\n", o);
            return usage("pretrain", PRETRAIN_HELP);
        }
    }
    /* Refuse a file as --out now, not after minutes of training. */
    struct stat st;
    if (stat(out_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "dropscope pretrain: %s: exists and is not a directory\n", out_dir);
        return 2;
    }
    /* The "ImageNet" of this story: the 8 classes other than sneaker (7) and ankle boot (9). */
    ds_fmnist_opts o = ds_fmnist_opts_default();
    o.dir = data;
    o.n_classes = 8;
    int classes[8] = {0, 1, 2, 3, 4, 5, 6, 8};
    memcpy(o.classes, classes, sizeof classes);
    o.val_count = 4000;
    o.seed = (uint64_t)seed;
    o.max_train = (int)max_train;
    ds_fmnist d;
    char err[1024];
    if (ds_fmnist_load(&o, &d, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope pretrain: %s\n", err);
        return 2;
    }
    nn_model *m = nn_model_create("pretrain");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(28, 28, 1);
    int x = nn_model_push(m, &c);
    int base_end = nn_base_fashion_cnn(m, x);
    c = nn_layer_cfg_default(NN_FLATTEN);
    nn_model_push(m, &c);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 128;
    c.act = NN_ACT_RELU;
    nn_model_push(m, &c);
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = 0.3f;
    nn_model_push(m, &c);
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 8;
    c.act = NN_ACT_SOFTMAX;
    nn_rng r;
    nn_rng_seed(&r, (uint64_t)seed);
    nn_optimizer_cfg opt = nn_optimizer_default(NN_OPT_ADAM);
    if (base_end < 0 || nn_model_push(m, &c) < 0 || nn_model_finalize(m, &r) < 0 ||
        nn_model_compile(m, &opt, NN_LOSS_SCCE) < 0) {
        fprintf(stderr, "dropscope pretrain: %s\n", nn_model_error(m));
        nn_model_destroy(m);
        ds_fmnist_free(&d);
        return 2;
    }
    nn_rng_seed(&m->dropout_rng, (uint64_t)seed + 1);
    ds_batcher *b = ds_batcher_create(&d.train, (uint64_t)seed, true, err, sizeof err);
    int batch = 64;
    float *bx = malloc(sizeof(float) * 784 * batch);
    int32_t *by = malloc(sizeof(int32_t) * batch);
    if (!b || !bx || !by) {
        fprintf(stderr, "dropscope pretrain: %s\n", b ? "out of memory" : err);
        return 2;
    }
    int per_epoch = ds_batcher_steps_per_epoch(b, batch);
    printf("pretraining fashion_cnn on 8 classes: %d training and %d validation images, %ld epochs of %d steps\n",
           d.train.n, d.val.n, epochs, per_epoch);
    double t0 = now_sec();
    int status = 0;
    for (long e = 0; e < epochs && status == 0; e++) {
        double sum = 0;
        for (int i = 0; i < per_epoch; i++) {
            int n = ds_batcher_next(b, batch, bx, by, NULL);
            nn_step_result res;
            if (nn_model_train_step(m, bx, by, n, &res) < 0) {
                fprintf(stderr, "dropscope pretrain: %s\n", nn_model_error(m));
                status = 2;
                break;
            }
            sum += res.loss;
            if (isatty(STDERR_FILENO) && i % 20 == 0)
                progress(i, per_epoch, (e * per_epoch + i + 1) / (now_sec() - t0));
        }
        double vl, va;
        if (status == 0 && nn_model_evaluate(m, d.val.x, d.val.y, d.val.n, &vl, &va) == 0)
            printf("%sepoch %ld: train loss %.4f, validation loss %.4f accuracy %.4f (%.0f s)\n",
                   isatty(STDERR_FILENO) ? "\r" : "", e + 1, sum / per_epoch, vl, va, now_sec() - t0);
        fflush(stdout);
    }
    double tl = NAN, ta = NAN;
    if (status == 0 && nn_model_evaluate(m, d.test.x, d.test.y, d.test.n, &tl, &ta) == 0)
        printf("test accuracy on the 8 classes' %d official test images: %.4f (loss %.4f)\n", d.test.n, ta, tl);
    /* Save the base alone: a model of Input + base shares its layer names. */
    if (status == 0) {
        nn_model *base = nn_model_create("fashion_cnn");
        c = nn_layer_cfg_default(NN_INPUT);
        c.shape = nn_shape3(28, 28, 1);
        int bx0 = nn_model_push(base, &c);
        nn_rng_seed(&r, 0);
        if (nn_base_fashion_cnn(base, bx0) < 0 || nn_model_finalize(base, &r) < 0) {
            fprintf(stderr, "dropscope pretrain: %s\n", nn_model_error(base));
            status = 2;
        } else {
            for (int i = 0; i < base->n_layers; i++)
                for (int p = 0; p < base->layers[i]->n_params; p++)
                    memcpy(base->layers[i]->params[p].data, m->layers[i]->params[p].data,
                           base->layers[i]->params[p].size * sizeof(float));
            if (ds_weights_save(base, out_dir, err, sizeof err) < 0) {
                fprintf(stderr, "dropscope pretrain: %s\n", err);
                status = 2;
            } else {
                printf("saved the base's weights to %s (%.0f s in all)\n", out_dir, now_sec() - t0);
            }
        }
        nn_model_destroy(base);
    }
    free(bx);
    free(by);
    ds_batcher_destroy(b);
    nn_model_destroy(m);
    ds_fmnist_free(&d);
    return status;
}
