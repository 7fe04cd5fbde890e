/* Forward time per image of the keras.applications bases (issue 15) at 224x224x3,
 * frozen, inference mode, against torchvision's same architectures in one invocation
 * (bench/torch_bases.py, run once for all bases), at the same thread count (default 1).
 * Prints per base: dropscope and torch median ms per image and their ratio (target <= 1),
 * and the load average, since the machine may be shared. Not a test: timings vary.
 * OpenBLAS is set up the same for both sides (blas_env.h).
 *   bench_bases [--threads T] [--batch N] [--steps S] [--no-torch] [BASE ...] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas_env.h"
#include "engine/bases.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median ms per batch of one base's forward as the app computes a frozen base called
 * with training=False (EfficientNet's drop-connect Dropouts would otherwise still draw
 * masks in fit, so the base would not be one frozen prefix): the base under a small
 * trainable head (GlobalAveragePooling2D, Dense(1, sigmoid)), its output
 * through nn_model_prefix_outputs (the frozen prefix: the base and the pooling, of which
 * only the last output is kept). -1 on error. */
static double time_base(const nn_base_info *b, int batch, int steps)
{
    nn_model *m = nn_model_create(b->name);
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(224, 224, 3);
    nn_model_add(m, &c, NULL, 0);
    nn_base_opts o = {NULL, 1.0f};
    nn_rng r;
    nn_rng_seed(&r, 1);
    int top = b->build(m, 0, &o);
    nn_layer_cfg gap = nn_layer_cfg_default(NN_GAP2D), head = nn_layer_cfg_default(NN_DENSE);
    head.units = 1;
    head.act = NN_ACT_SIGMOID;
    nn_optimizer_cfg opt = nn_optimizer_default(NN_OPT_RMSPROP);
    if (top < 0 || nn_model_push(m, &gap) < 0 || nn_model_push(m, &head) < 0 || nn_model_finalize(m, &r) < 0) {
        fprintf(stderr, "bench_bases: %s: %s\n", b->name, nn_model_error(m));
        nn_model_destroy(m);
        return -1;
    }
    for (int i = 0; i <= top; i++) { /* frozen, and called as base(x, training=False) */
        nn_model_set_trainable(m, i, false);
        m->layers[i]->cfg.training = NN_TRAIN_NEVER;
    }
    int p = nn_model_compile(m, &opt, NN_LOSS_BCE) < 0 ? -1 : nn_model_frozen_prefix(m);
    if (p < top) { /* the prefix is the base and the pooling after it */
        fprintf(stderr, "bench_bases: %s: the frozen prefix ends at layer %d, before the base's last (%d): %s\n",
                b->name, p, top, nn_model_error(m));
        nn_model_destroy(m);
        return -1;
    }
    size_t n = nn_model_input_size(m) * (size_t)batch;
    float *x = malloc(n * sizeof(float)), *act = malloc(m->layers[p < 0 ? 0 : p]->out_size * (size_t)batch * sizeof(float));
    double t[64];
    int rc = x && act ? 0 : -1;
    for (size_t i = 0; x && i < n; i++)
        x[i] = nn_rng_uniform(&r);
    for (int s = 0; rc == 0 && s <= steps; s++) { /* the first is a warm-up */
        double t0 = now_ms();
        rc = nn_model_prefix_outputs(m, p, x, batch, act);
        if (s > 0)
            t[s - 1] = now_ms() - t0;
    }
    if (rc < 0)
        fprintf(stderr, "bench_bases: %s: %s\n", b->name, x && act ? nn_model_error(m) : "out of memory");
    free(x);
    free(act);
    nn_model_destroy(m);
    if (rc < 0)
        return -1;
    qsort(t, (size_t)steps, sizeof *t, cmp_double);
    return steps % 2 ? t[steps / 2] : 0.5 * (t[steps / 2 - 1] + t[steps / 2]);
}

/* The torch side for the chosen bases, one process: tk[i] is each base's median ms per
 * batch, left as it was for a base torchvision does not have. */
static void time_torch(const nn_base_info **bases, int n, int threads, int batch, int steps, double *tk)
{
    char cmd[2048];
    int k = snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/torch_bases.py' --threads %d --batch %d --steps %d",
                     DROPSCOPE_BENCH_DIR, threads, batch, steps);
    for (int i = 0; i < n && k < (int)sizeof cmd - 40; i++)
        k += snprintf(cmd + k, sizeof cmd - (size_t)k, " %s", bases[i]->name);
    FILE *p = popen(cmd, "r");
    char line[512], name[64];
    double med;
    while (p && fgets(line, sizeof line, p))
        if (sscanf(line, "RESULT %63s batch=%*d size=%*d median_ms=%lf", name, &med) == 2)
            for (int i = 0; i < n; i++)
                if (!strcmp(bases[i]->name, name))
                    tk[i] = med;
    if (p)
        pclose(p);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define MAX_ROUNDS 9

int main(int argc, char **argv)
{
    int threads = 1, batch = 2, steps = 5, rounds = 3, nb = 0;
    bool torch = true;
    const char *only[16];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-torch"))
            torch = false;
        else if (nb < 16 && nn_base_find(argv[i]))
            only[nb++] = nn_base_find(argv[i])->name;
        else {
            fprintf(stderr, "usage: bench_bases [--threads T] [--batch N] [--steps S] [--rounds R] [--no-torch] [BASE ...]\n");
            return 2;
        }
    }
    if (threads < 1 || batch < 1 || steps < 1 || steps > 64 || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_bases: threads, batch >= 1, steps 1..64 and rounds 1..%d\n", MAX_ROUNDS);
        return 2;
    }
    if (bench_blas_env(threads, argv, "bench_bases") < 0)
        return 1;
    const nn_base_info *bases[8];
    int n = 0;
    for (const nn_base_info *b = nn_base_table; b->name && n < 8; b++) {
        bool want = nb == 0;
        for (int k = 0; k < nb; k++)
            want |= !strcmp(only[k], b->name);
        if (want)
            bases[n++] = b;
    }
    /* rounds alternate which side goes first; each side's figure is the median of its
     * rounds' medians */
    double ds[8][MAX_ROUNDS], tk[8][MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        double t[8];
        for (int i = 0; i < n; i++)
            t[i] = -1;
        if (torch && r % 2)
            time_torch(bases, n, threads, batch, steps, t);
        for (int i = 0; i < n; i++) {
            ds[i][r] = time_base(bases[i], batch, steps);
            fprintf(stderr, "  round %d: dropscope %-16s %.1f ms per image\n", r + 1, bases[i]->name, ds[i][r] / batch);
        }
        if (torch && r % 2 == 0)
            time_torch(bases, n, threads, batch, steps, t);
        for (int i = 0; i < n; i++) {
            tk[i][r] = t[i];
            if (t[i] > 0)
                fprintf(stderr, "  round %d: torch     %-16s %.1f ms per image\n", r + 1, bases[i]->name, t[i] / batch);
        }
    }
    double load[3] = {0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = 0;
        fclose(f);
    }
    printf("bases at 224x224x3, frozen base called with training=False, batch %d, %d thread(s), median of %d "
           "steps, median of %d rounds; load average %.2f %.2f %.2f\n",
           batch, threads, steps, rounds, load[0], load[1], load[2]);
    printf("%-16s %14s %14s %8s\n", "base", "dropscope ms", "torch ms", "ratio");
    for (int i = 0; i < n; i++) {
        double d = median(ds[i], rounds), k = median(tk[i], rounds);
        if (d < 0)
            printf("%-16s %14s %14s %8s\n", bases[i]->name, "(error)", "", "-");
        else if (d > 0 && k > 0)
            printf("%-16s %14.1f %14.1f %8.2f\n", bases[i]->name, d / batch, k / batch, d / k);
        else
            printf("%-16s %14.1f %14s %8s\n", bases[i]->name, d / batch, "(none)", "-");
    }
    return 0;
}
