/* Training-step benchmark of the reference head (KERAS_SEMANTICS.md):
 * Input (7, 7, C) -> Flatten -> Dense(512, relu) -> Dense(1024, relu) -> Dropout(0.2)
 * -> Dense(1, sigmoid), RMSprop(lr 1e-4, Keras-2 form), binary cross-entropy from
 * logits, batch 20. C = 64 gives 3,136 features, C = 768 the full 37,632.
 *
 * Times whole nn_model_train_step calls (forward, loss, backward, update, frozen check)
 * after warm-up steps, one clock reading either side of each step, and prints the
 * median and p90. bench/torch_head.py times the same step in PyTorch; scripts/bench.sh
 * runs both and prints the ratio.
 *
 * Usage: bench_head [--channels C] [--batch N] [--warmup W] [--steps S] [--seed K] [--phases] [--cpu]
 * --phases: afterwards, time forward, loss, backward and update separately.
 * --cpu: measure process CPU time instead of wall-clock time (see now_ms).
 * The last line is machine-readable:
 *   RESULT dropscope features=F batch=N steps=S median_ms=M p90_ms=P min_ms=L faults_per_step=K */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/model.h"

#ifdef HAVE_OPENBLAS_INFO
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
#endif

/* Wall-clock time by default; --cpu switches to the process's CPU time (all threads),
 * which a busy shared machine disturbs less: for comparing engine changes. */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(clock_id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Minor page faults so far: first touches of fresh memory, which cost far more inside
 * some virtual machines than the arithmetic of a step. */
static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double percentile(const double *v, int n, double q)
{
    int k = (int)(q * n + 0.999999) - 1;
    if (k < 0)
        k = 0;
    if (k >= n)
        k = n - 1;
    return v[k];
}

static double median(const double *v, int n)
{
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int push(nn_model *m, nn_layer_cfg c)
{
    int i = nn_model_push(m, &c);
    if (i < 0)
        fprintf(stderr, "bench_head: %s\n", nn_model_error(m));
    return i;
}

/* Builds and compiles the head; NULL (reason printed) on failure. */
static nn_model *build_head(int channels, int batch, uint64_t seed)
{
    nn_model *m = nn_model_create("head");
    if (!m)
        return NULL;
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(7, 7, channels);
    int ok = push(m, c) >= 0 && push(m, nn_layer_cfg_default(NN_FLATTEN)) >= 0;
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 512;
    c.act = NN_ACT_RELU;
    ok = ok && push(m, c) >= 0;
    c.units = 1024;
    ok = ok && push(m, c) >= 0;
    c = nn_layer_cfg_default(NN_DROPOUT);
    c.rate = 0.2;
    ok = ok && push(m, c) >= 0;
    c = nn_layer_cfg_default(NN_DENSE);
    c.units = 1;
    c.act = NN_ACT_SIGMOID;
    ok = ok && push(m, c) >= 0;
    nn_rng init;
    nn_rng_seed(&init, seed);
    nn_optimizer_cfg opt = nn_optimizer_default(NN_OPT_RMSPROP);
    opt.lr = 1e-4f;
    opt.eps_inside_sqrt = false; /* Keras 2 */
    if (!ok || nn_model_finalize(m, &init) < 0 || nn_model_compile(m, &opt, NN_LOSS_BCE) < 0 ||
        nn_model_reserve(m, batch) < 0) {
        if (ok)
            fprintf(stderr, "bench_head: %s\n", nn_model_error(m));
        nn_model_destroy(m);
        return NULL;
    }
    nn_rng_seed(&m->dropout_rng, seed + 1);
    return m;
}

static int arg_int(int argc, char **argv, int *i, int *out)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "bench_head: %s needs a value\n", argv[*i]);
        return -1;
    }
    char *end;
    long v = strtol(argv[++*i], &end, 10);
    if (*end || v <= 0 || v > 1000000) {
        fprintf(stderr, "bench_head: bad value '%s' for %s\n", argv[*i], argv[*i - 1]);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* The same step through the public phase functions, each timed: where the time goes. */
static int time_phases(nn_model *m, const float *x, const int32_t *y, int batch, int steps)
{
    static const char *names[4] = {"forward", "loss", "backward", "update"};
    double *t = malloc((size_t)steps * 4 * sizeof *t);
    if (!t)
        return -1;
    for (int i = 0; i < steps; i++) {
        double t0 = now_ms();
        if (nn_model_forward(m, x, batch, true) < 0)
            goto fail;
        double t1 = now_ms();
        nn_model_loss(m, y, batch, NULL, true);
        double t2 = now_ms();
        if (nn_model_backward(m, batch) < 0)
            goto fail;
        double t3 = now_ms();
        if (nn_model_update(m) < 0)
            goto fail;
        double t4 = now_ms();
        t[i] = t1 - t0;
        t[steps + i] = t2 - t1;
        t[2 * steps + i] = t3 - t2;
        t[3 * steps + i] = t4 - t3;
    }
    printf("  phases, median (min) of %d:", steps);
    for (int p = 0; p < 4; p++) {
        qsort(t + p * steps, (size_t)steps, sizeof *t, cmp_double);
        printf(" %s %.3f (%.3f) ms%s", names[p], median(t + p * steps, steps), t[p * steps],
               p < 3 ? "," : "\n");
    }
    free(t);
    return 0;
fail:
    fprintf(stderr, "bench_head: %s\n", nn_model_error(m));
    free(t);
    return -1;
}

int main(int argc, char **argv)
{
    int channels = 768, batch = 20, warmup = 5, steps = 30, seed = 1;
    bool phases = false;
    for (int i = 1; i < argc; i++) {
        int rc;
        if (!strcmp(argv[i], "--channels"))
            rc = arg_int(argc, argv, &i, &channels);
        else if (!strcmp(argv[i], "--batch"))
            rc = arg_int(argc, argv, &i, &batch);
        else if (!strcmp(argv[i], "--warmup"))
            rc = arg_int(argc, argv, &i, &warmup);
        else if (!strcmp(argv[i], "--steps"))
            rc = arg_int(argc, argv, &i, &steps);
        else if (!strcmp(argv[i], "--seed"))
            rc = arg_int(argc, argv, &i, &seed);
        else if (!strcmp(argv[i], "--phases"))
            phases = true, rc = 0;
        else if (!strcmp(argv[i], "--cpu"))
            clock_id = CLOCK_PROCESS_CPUTIME_ID, rc = 0;
        else {
            fprintf(stderr, "usage: bench_head [--channels C] [--batch N] [--warmup W] [--steps S] [--seed K] [--phases] [--cpu]\n");
            return 2;
        }
        if (rc < 0)
            return 2;
    }

    int status = 1;
    float *x = NULL;
    int32_t *y = NULL;
    double *t = NULL;
    nn_model *m = build_head(channels, batch, (uint64_t)seed);
    if (!m)
        goto done;
    size_t in = nn_model_input_size(m);
    x = malloc((size_t)batch * in * sizeof *x);
    y = malloc((size_t)batch * sizeof *y);
    t = malloc((size_t)steps * sizeof *t);
    if (!x || !y || !t) {
        fprintf(stderr, "bench_head: out of memory\n");
        goto done;
    }
    /* Post-ReLU-like features in [0, 1) and balanced random labels, fixed per seed. */
    nn_rng data;
    nn_rng_seed(&data, (uint64_t)seed + 1000);
    for (size_t i = 0; i < (size_t)batch * in; i++)
        x[i] = nn_rng_uniform(&data);
    for (int i = 0; i < batch; i++)
        y[i] = (int32_t)nn_rng_below(&data, 2);

    nn_param_counts pc = nn_model_count_params(m);
    printf("dropscope head: Input(7,7,%d) -> Flatten(%zu) -> Dense(512,relu) -> Dense(1024,relu) -> Dropout(0.2) -> Dense(1,sigmoid)\n",
           channels, in);
    printf("  batch %d, RMSprop(lr=1e-4, rho=0.9, eps=1e-7, Keras 2), BCE from logits, %zu trainable params\n",
           batch, pc.trainable);
#ifdef HAVE_OPENBLAS_INFO
    printf("  OpenBLAS core %s, %d thread(s)\n", openblas_get_corename(), openblas_get_num_threads());
#endif
    nn_step_result res;
    double first_loss = 0.0;
    long faults0 = 0;
    for (int i = 0; i < warmup + steps; i++) {
        if (i == warmup)
            faults0 = minor_faults();
        double t0 = now_ms();
        if (nn_model_train_step(m, x, y, batch, &res) < 0) {
            fprintf(stderr, "bench_head: step %d: %s\n", i + 1, nn_model_error(m));
            goto done;
        }
        double t1 = now_ms();
        if (i == 0)
            first_loss = res.loss;
        if (i >= warmup)
            t[i - warmup] = t1 - t0;
    }
    double faults = (double)(minor_faults() - faults0) / steps;
    qsort(t, (size_t)steps, sizeof *t, cmp_double);
    printf("  %s: %d steps after %d warm-up: median %.3f ms, p90 %.3f ms, min %.3f ms (loss %.4f -> %.4f)\n"
           "  %.0f minor page faults per timed step\n",
           clock_id == CLOCK_MONOTONIC ? "wall time" : "CPU time", steps, warmup, median(t, steps), percentile(t, steps, 0.9), t[0], first_loss, res.loss, faults);
    printf("RESULT dropscope features=%zu batch=%d steps=%d median_ms=%.3f p90_ms=%.3f min_ms=%.3f faults_per_step=%.0f\n",
           in, batch, steps, median(t, steps), percentile(t, steps, 0.9), t[0], faults);
    if (phases && time_phases(m, x, y, batch, steps) < 0)
        goto done;
    status = 0;
done:
    free(x);
    free(y);
    free(t);
    nn_model_destroy(m);
    return status;
}
