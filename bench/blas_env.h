/* The same OpenBLAS settings for dropscope and the PyTorch side of a benchmark.
 *
 * OpenBLAS reads its settings when the library loads, so a benchmark first re-executes
 * itself with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed (a machine's environment may
 * set them to force a core type and cache size: on this project's build machine they
 * force the AVX2 "Haswell" kernels on an AVX-512 CPU, which a student's machine would not
 * do) and OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = T; the PyTorch side, started from it,
 * inherits that environment. Returns only when the environment is already right (0), or
 * when the re-execution failed (-1, after a message). */
#ifndef BENCH_BLAS_ENV_H
#define BENCH_BLAS_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int bench_blas_env(int threads, char **argv, const char *prog)
{
    char t[16];
    snprintf(t, sizeof t, "%d", threads);
    const char *cur = getenv("OPENBLAS_NUM_THREADS"), *omp = getenv("OMP_NUM_THREADS");
    if (!getenv("OPENBLAS_CORETYPE") && !getenv("OPENBLAS_L2_SIZE") && cur && !strcmp(cur, t) && omp &&
        !strcmp(omp, t))
        return 0;
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv("OPENBLAS_L2_SIZE");
    setenv("OPENBLAS_NUM_THREADS", t, 1);
    setenv("OMP_NUM_THREADS", t, 1);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "%s: re-exec: ", prog);
    perror(NULL);
    return -1;
}

#endif
