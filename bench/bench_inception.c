/* Forward-pass benchmark of InceptionV3 to mixed7 at 150x150x3 (the frozen base of the
 * reference model, KERAS_SEMANTICS.md), inference mode, random weights, batch 8:
 * dropscope against PyTorch (torchvision's inception_v3 blocks up to Mixed_6e, which
 * are Keras's layers up to mixed7; bench/torch_inception.py), same thread count, in one
 * invocation, alternating rounds. Prints each side's median time per batch and per
 * image (median over rounds of each round's median), and the ratio dropscope / PyTorch
 * (target: <= 1); also the best single batch of each side and their ratio, which a busy
 * shared machine disturbs less.
 *
 * OpenBLAS is set up the same for both sides (blas_env.h).
 *
 * Usage: bench_inception [--threads T] [--batch N] [--size S] [--cut NAME] [--warmup W]
 *                        [--steps K] [--rounds R] [--python PATH] [--no-torch]
 * The last lines are machine-readable:
 *   RESULT dropscope batch=N size=S median_ms=M per_image_ms=P min_ms=L
 *   RESULT torch batch=N size=S median_ms=M per_image_ms=P min_ms=L
 *   RESULT ratio=X min_ratio=Y */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blas_env.h"
#include "engine/inception.h"
#include "engine/model.h"

#ifdef HAVE_OPENBLAS_INFO
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
#endif

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

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct {
    int threads, batch, size, warmup, steps, rounds;
    const char *cut, *python;
    bool torch;
    char self_dir[1024];
} opts;

/* Median ms per batch of the dropscope forward pass; *best gets the fastest batch. */
static double time_dropscope(nn_model *m, const float *x, const opts *o, double *best)
{
    double *t = malloc(sizeof(double) * (size_t)o->steps);
    for (int i = 0; i < o->warmup + o->steps; i++) {
        double t0 = now_ms();
        if (nn_model_forward(m, x, o->batch, false) < 0) {
            fprintf(stderr, "bench_inception: %s\n", nn_model_error(m));
            exit(1);
        }
        if (i >= o->warmup)
            t[i - o->warmup] = now_ms() - t0;
    }
    double med = median(t, o->steps);
    if (t[0] < *best)
        *best = t[0];
    free(t);
    return med;
}

/* Runs torch_inception.py; its median ms per batch, or -1; *best as above. */
static double time_torch(const opts *o, double *best)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s/torch_inception.py' --threads %d --batch %d --size %d --warmup %d --steps %d",
             o->python, o->self_dir, o->threads, o->batch, o->size, o->warmup, o->steps);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    double med = -1;
    while (fgets(line, sizeof line, p)) {
        const char *k = strstr(line, "median_ms=");
        const char *b = strstr(line, "min_ms=");
        if (!strncmp(line, "RESULT torch", 12) && k) {
            med = atof(k + 10);
            if (b && atof(b + 7) < *best)
                *best = atof(b + 7);
        }
        else if (strncmp(line, "RESULT", 6) != 0)
            fprintf(stderr, "  [torch] %s", line);
    }
    return pclose(p) == 0 ? med : -1;
}

static int arg(int argc, char **argv, int *i, int *out)
{
    if (*i + 1 >= argc)
        return -1;
    *out = atoi(argv[++*i]);
    return *out > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    opts o = {1, 8, 150, 2, 10, 3, "mixed7", "/usr/bin/python3", true, "."};
    for (int i = 1; i < argc; i++) {
        int rc = 0;
        if (!strcmp(argv[i], "--threads"))
            rc = arg(argc, argv, &i, &o.threads);
        else if (!strcmp(argv[i], "--batch"))
            rc = arg(argc, argv, &i, &o.batch);
        else if (!strcmp(argv[i], "--size"))
            rc = arg(argc, argv, &i, &o.size);
        else if (!strcmp(argv[i], "--warmup"))
            rc = arg(argc, argv, &i, &o.warmup);
        else if (!strcmp(argv[i], "--steps"))
            rc = arg(argc, argv, &i, &o.steps);
        else if (!strcmp(argv[i], "--rounds"))
            rc = arg(argc, argv, &i, &o.rounds);
        else if (!strcmp(argv[i], "--cut") && i + 1 < argc)
            o.cut = argv[++i];
        else if (!strcmp(argv[i], "--python") && i + 1 < argc)
            o.python = argv[++i];
        else if (!strcmp(argv[i], "--no-torch"))
            o.torch = false;
        else
            rc = -1;
        if (rc < 0) {
            fprintf(stderr, "usage: bench_inception [--threads T] [--batch N] [--size S] [--cut NAME] [--warmup W] "
                            "[--steps K] [--rounds R] [--python PATH] [--no-torch]\n");
            return 2;
        }
    }
    /* the same OpenBLAS settings for both sides, applied before OpenBLAS loads */
    if (bench_blas_env(o.threads, argv, "bench_inception") < 0)
        return 1;
    /* torch_inception.py sits in the source bench/ folder */
    const char *src = getenv("DROPSCOPE_SOURCE_DIR");
#ifdef DROPSCOPE_BENCH_DIR
    snprintf(o.self_dir, sizeof o.self_dir, "%s", DROPSCOPE_BENCH_DIR);
#endif
    if (src && *src)
        snprintf(o.self_dir, sizeof o.self_dir, "%s/bench", src);

    nn_model *m = nn_model_create("inception_v3");
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = nn_shape3(o.size, o.size, 3);
    int in = nn_model_push(m, &c);
    nn_rng r;
    nn_rng_seed(&r, 1);
    if (in < 0 || nn_base_inception_v3(m, in, o.cut) < 0 || nn_model_finalize(m, &r) < 0 ||
        nn_model_reserve(m, o.batch) < 0) {
        fprintf(stderr, "bench_inception: %s\n", nn_model_error(m));
        return 1;
    }
    size_t per = nn_model_input_size(m);
    float *x = malloc(sizeof(float) * per * (size_t)o.batch);
    for (size_t i = 0; i < per * (size_t)o.batch; i++)
        x[i] = nn_rng_uniform(&r);
    const nn_layer *out = m->layers[m->output];
    char sb[64];
    printf("InceptionV3 to %s at %dx%dx3: %d layers, %zu parameters, output %s; batch %d, %d threads\n", o.cut,
           o.size, o.size, m->n_layers, nn_model_count_params(m).total, nn_shape_str(out->out_shape, false, sb, sizeof sb),
           o.batch, o.threads);
#ifdef HAVE_OPENBLAS_INFO
    printf("dropscope OpenBLAS: %s, %d thread(s)\n", openblas_get_corename(), openblas_get_num_threads());
#endif
    fflush(stdout);
    double *ds = malloc(sizeof(double) * (size_t)o.rounds), *tc = malloc(sizeof(double) * (size_t)o.rounds);
    int n_tc = 0;
    double ds_best = 1e30, tc_best = 1e30;
    for (int k = 0; k < o.rounds; k++) {
        double tk = -1; /* alternate which side goes first */
        if (o.torch && k % 2 == 1)
            tk = time_torch(&o, &tc_best);
        ds[k] = time_dropscope(m, x, &o, &ds_best);
        if (o.torch && k % 2 == 0)
            tk = time_torch(&o, &tc_best);
        if (tk > 0)
            tc[n_tc++] = tk;
        printf("round %d: dropscope %.1f ms/batch", k + 1, ds[k]);
        if (tk > 0)
            printf(", torch %.1f ms/batch", tk);
        printf("\n");
        fflush(stdout);
    }
    double dm = median(ds, o.rounds);
    printf("dropscope: median %.1f ms per batch of %d, %.2f ms per image (best batch %.1f ms)\n", dm, o.batch,
           dm / o.batch, ds_best);
    if (o.torch) {
        if (n_tc == 0) {
            fprintf(stderr, "bench_inception: the PyTorch side failed (needs %s with torch and torchvision: "
                            "apt-get install python3-torchvision)\n", o.python);
            return 1;
        }
        double tm = median(tc, n_tc);
        printf("torch:     median %.1f ms per batch of %d, %.2f ms per image (best batch %.1f ms)\n", tm, o.batch,
               tm / o.batch, tc_best);
        printf("ratio dropscope / torch: %.2f of the medians, %.2f of the best batches (target <= 1)\n", dm / tm,
               ds_best / tc_best);
    }
    printf("RESULT dropscope batch=%d size=%d median_ms=%.3f per_image_ms=%.3f min_ms=%.3f\n", o.batch, o.size, dm,
           dm / o.batch, ds_best);
    if (o.torch) {
        double tm = median(tc, n_tc);
        printf("RESULT torch batch=%d size=%d median_ms=%.3f per_image_ms=%.3f min_ms=%.3f\n", o.batch, o.size, tm,
               tm / o.batch, tc_best);
        printf("RESULT ratio=%.3f min_ratio=%.3f\n", dm / tm, ds_best / tc_best);
    }
    free(ds);
    free(tc);
    free(x);
    nn_model_destroy(m);
    return 0;
}
