/* dropscope pretrain: rebuilds the shipped pretrained base (assets/fashion_cnn) by
 * training fashion_cnn with a small head on the 8 Fashion-MNIST classes that are not
 * shoes, then saving the base's weights alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "data/dataset.h"
#include "data/weights.h"
#include "engine/bases.h"
#include "session/paths.h"

#define PRETRAIN_HELP "[--out DIR] [--epochs E] [--seed S] [--data DIR] [--train N]"

typedef struct {
    char out_dir[1024];
    long epochs, max_train;
    uint64_t seed;
    const char *data;
} pretrain_args;

/* 0: go on; -1: help was printed; 2: a one-line message was printed. */
static int parse_args(int argc, char **argv, pretrain_args *a)
{
    snprintf(a->out_dir, sizeof a->out_dir, "%s/assets/fashion_cnn", ls_data_dir());
    a->epochs = 4;
    a->max_train = 0;
    a->seed = 1;
    a->data = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *target = NULL, lo = 0, hi = 0;
        if (!strcmp(o, "--epochs"))
            target = &a->epochs, lo = 1, hi = 100;
        else if (!strcmp(o, "--train"))
            target = &a->max_train, lo = 100, hi = 60000;
        if (target) {
            if (!cli_arg_long("pretrain", o, v, lo, hi, NULL, NULL, target))
                return 2;
            i++;
        } else if (!strcmp(o, "--seed")) {
            if (!cli_arg_seed("pretrain", o, v, &a->seed))
                return 2;
            i++;
        } else if (!strcmp(o, "--out") || !strcmp(o, "--data")) {
            if (!cli_arg_text("pretrain", o, v, "a directory"))
                return 2;
            if (!strcmp(o, "--data"))
                a->data = v;
            else if ((size_t)snprintf(a->out_dir, sizeof a->out_dir, "%s", v) >= sizeof a->out_dir) {
                fprintf(stderr, "dropscope pretrain: --out: the path is too long\n");
                return 2;
            }
            i++;
        } else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            cli_help("pretrain", PRETRAIN_HELP);
            return -1;
        } else {
            fprintf(stderr, "dropscope pretrain: bad argument '%s'\n", o);
            return cli_usage("pretrain", PRETRAIN_HELP);
        }
    }
    return 0;
}

/* Input 28x28x1 -> fashion_cnn -> Flatten -> Dense 128 relu -> Dropout 0.3 -> Dense 8
 * softmax, initialised from seed and compiled with Adam. NULL after printing why. */
static nn_model *build_model(uint64_t seed)
{
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
    nn_rng_seed(&r, seed);
    nn_optimizer_cfg opt = nn_optimizer_default(NN_OPT_ADAM);
    if (base_end < 0 || nn_model_push(m, &c) < 0 || nn_model_finalize(m, &r) < 0 ||
        nn_model_compile(m, &opt, NN_LOSS_SCCE) < 0) {
        fprintf(stderr, "dropscope pretrain: %s\n", nn_model_error(m));
        nn_model_destroy(m);
        return NULL;
    }
    /* seed + 1, not the session's seed ^ 0x5eedd20b: the shipped base was trained with
     * these masks, and `pretrain` must rebuild it bit for bit. */
    nn_rng_seed(&m->dropout_rng, seed + 1);
    return m;
}

/* a->epochs epochs over d's training images, each followed by a validation line.
 * Returns the exit status: 0, or 2 after printing why. */
static int train_epochs(nn_model *m, const ds_fmnist *d, const pretrain_args *a, double t0)
{
    char err[1024];
    ds_batcher *b = ds_batcher_create(&d->train, a->seed, true, err, sizeof err);
    int batch = 64;
    float *bx = malloc(sizeof(float) * 784 * batch);
    int32_t *by = malloc(sizeof(int32_t) * batch);
    int status = 0;
    if (!b || !bx || !by) {
        fprintf(stderr, "dropscope pretrain: %s\n", b ? "out of memory" : err);
        status = 2;
    }
    int per_epoch = b ? ds_batcher_steps_per_epoch(b, batch) : 0;
    if (status == 0)
        printf("pretraining fashion_cnn on 8 classes: %d training and %d validation images, %ld epochs of %d steps\n",
               d->train.n, d->val.n, a->epochs, per_epoch);
    for (long e = 0; e < a->epochs && status == 0; e++) {
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
                cli_progress(i, per_epoch, (e * per_epoch + i + 1) / (cli_now_sec() - t0));
        }
        double vl, va;
        if (status == 0 && nn_model_evaluate(m, d->val.x, d->val.y, d->val.n, &vl, &va) == 0)
            printf("%sepoch %ld: train loss %.4f, validation loss %.4f accuracy %.4f (%.0f s)\n",
                   isatty(STDERR_FILENO) ? "\r" : "", e + 1, sum / per_epoch, vl, va, cli_now_sec() - t0);
        fflush(stdout);
    }
    free(bx);
    free(by);
    ds_batcher_destroy(b);
    return status;
}

/* Saves m's base alone (a model of Input + base shares its layer names) to out_dir.
 * Returns the exit status: 0, or 2 after printing why. */
static int save_base(const nn_model *m, const char *out_dir, double t0)
{
    char err[1024];
    int status = 0;
    nn_model *base = nn_model_create("fashion_cnn");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(28, 28, 1);
    int bx0 = nn_model_push(base, &c);
    nn_rng r;
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
            printf("saved the base's weights to %s (%.0f s in all)\n", out_dir, cli_now_sec() - t0);
        }
    }
    nn_model_destroy(base);
    return status;
}

int ds_cmd_pretrain(int argc, char **argv)
{
    pretrain_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    /* Refuse a file as --out now, not after minutes of training. */
    struct stat st;
    if (stat(a.out_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "dropscope pretrain: %s: exists and is not a directory\n", a.out_dir);
        return 2;
    }
    /* The "ImageNet" of this story: the 8 classes other than sneaker (7) and ankle boot (9). */
    ds_fmnist_opts o = ds_fmnist_opts_default();
    o.dir = a.data;
    o.n_classes = 8;
    int classes[8] = {0, 1, 2, 3, 4, 5, 6, 8};
    memcpy(o.classes, classes, sizeof classes);
    o.val_count = 4000;
    o.seed = a.seed;
    o.max_train = (int)a.max_train;
    ds_fmnist d;
    char err[1024];
    if (ds_fmnist_load(&o, &d, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope pretrain: %s\n", err);
        return 2;
    }
    nn_model *m = build_model(a.seed);
    if (!m) {
        ds_fmnist_free(&d);
        return 2;
    }
    double t0 = cli_now_sec();
    int status = train_epochs(m, &d, &a, t0);
    double tl = NAN, ta = NAN;
    if (status == 0 && nn_model_evaluate(m, d.test.x, d.test.y, d.test.n, &tl, &ta) == 0)
        printf("test accuracy on the 8 classes' %d official test images: %.4f (loss %.4f)\n", d.test.n, ta, tl);
    if (status == 0)
        status = save_base(m, a.out_dir, t0);
    nn_model_destroy(m);
    ds_fmnist_free(&d);
    return status;
}
