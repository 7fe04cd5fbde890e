/* Forward time per image of the keras.applications bases (issue 15) at 224x224x3,
 * frozen, inference mode, against torchvision's same architectures in one invocation
 * (bench/torch_bases.py, run once for all bases), at the same thread count (default 1).
 * Prints per base: dropscope and torch median ms per image and their ratio (target <= 1),
 * and the load average, since the machine may be shared. Not a test: timings vary.
 *   bench_bases [--threads T] [--batch N] [--steps S] [--no-torch] [BASE ...] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Median ms per batch of one base's inference forward; -1 on error. */
static double time_base(const nn_base_info *b, int batch, int steps)
{
    nn_model *m = nn_model_create(b->name);
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(224, 224, 3);
    nn_model_add(m, &c, NULL, 0);
    nn_base_opts o = {NULL, 1.0f};
    nn_rng r;
    nn_rng_seed(&r, 1);
    if (b->build(m, 0, &o) < 0 || nn_model_finalize(m, &r) < 0) {
        fprintf(stderr, "bench_bases: %s: %s\n", b->name, nn_model_error(m));
        nn_model_destroy(m);
        return -1;
    }
    for (int i = 0; i < m->n_layers; i++)
        nn_model_set_trainable(m, i, false);
    size_t n = nn_model_input_size(m) * (size_t)batch;
    float *x = malloc(n * sizeof(float));
    double t[16];
    for (size_t i = 0; x && i < n; i++)
        x[i] = nn_rng_uniform(&r);
    for (int s = 0; x && s <= steps; s++) { /* the first is a warm-up */
        double t0 = now_ms();
        nn_model_forward(m, x, batch, false);
        if (s > 0)
            t[s - 1] = now_ms() - t0;
    }
    free(x);
    nn_model_destroy(m);
    qsort(t, (size_t)steps, sizeof *t, cmp_double);
    return steps % 2 ? t[steps / 2] : 0.5 * (t[steps / 2 - 1] + t[steps / 2]);
}

int main(int argc, char **argv)
{
    int threads = 1, batch = 2, steps = 3, nb = 0;
    bool torch = true;
    const char *only[16];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-torch"))
            torch = false;
        else if (nb < 16 && nn_base_find(argv[i]))
            only[nb++] = nn_base_find(argv[i])->name;
        else {
            fprintf(stderr, "usage: bench_bases [--threads T] [--batch N] [--steps S] [--no-torch] [BASE ...]\n");
            return 2;
        }
    }
    if (threads < 1 || batch < 1 || steps < 1 || steps > 16) {
        fprintf(stderr, "bench_bases: threads, batch >= 1 and steps 1..16\n");
        return 2;
    }
    char tv[16];
    snprintf(tv, sizeof tv, "%d", threads);
    setenv("OPENBLAS_NUM_THREADS", tv, 1);
    setenv("OMP_NUM_THREADS", tv, 1);
    double ds[8] = {0}, tk[8] = {0};
    const nn_base_info *bases[8];
    int n = 0;
    for (const nn_base_info *b = nn_base_table; b->name && n < 8; b++) {
        bool want = nb == 0;
        for (int k = 0; k < nb; k++)
            want |= !strcmp(only[k], b->name);
        if (!want)
            continue;
        bases[n] = b;
        ds[n] = time_base(b, batch, steps);
        tk[n] = -1;
        fprintf(stderr, "  dropscope %-16s %.1f ms per image\n", b->name, ds[n] / batch);
        n++;
    }
    if (torch) {
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
    double load[3] = {0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = 0;
        fclose(f);
    }
    printf("bases at 224x224x3, frozen, inference, batch %d, %d thread(s), median of %d; load average %.2f %.2f %.2f\n",
           batch, threads, steps, load[0], load[1], load[2]);
    printf("%-16s %14s %14s %8s\n", "base", "dropscope ms", "torch ms", "ratio");
    for (int i = 0; i < n; i++) {
        if (tk[i] > 0)
            printf("%-16s %14.1f %14.1f %8.2f\n", bases[i]->name, ds[i] / batch, tk[i] / batch, ds[i] / tk[i]);
        else
            printf("%-16s %14.1f %14s %8s\n", bases[i]->name, ds[i] / batch, "(none)", "-");
    }
    return 0;
}
