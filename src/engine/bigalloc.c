/* Large buffers backed by transparent huge pages where the kernel offers them.
 *
 * A model's buffers (weights, gradients, optimizer slots, activations, convolution
 * scratch) are touched for the first time in the first training step. With 4 KiB pages
 * lesson 8's first step takes about 320,000 page faults (1.2 GiB touched) and spends half
 * its time in the kernel; on 2 MiB pages it takes a few hundred. Linux hands huge pages
 * to a mapping that asks for them (MADV_HUGEPAGE) when transparent_hugepage is
 * "madvise" (Debian's default) or "always". Elsewhere this is plain malloc/calloc. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__linux__)
#include <sys/mman.h>
#define NN_HUGE (2u << 20)
#endif

void *nn_big_alloc(size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= NN_HUGE) {
        void *p = NULL;
        size_t rounded = (bytes + NN_HUGE - 1) / NN_HUGE * NN_HUGE;
        if (posix_memalign(&p, NN_HUGE, rounded) != 0)
            return NULL;
        (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: fine if refused */
        return p;
    }
#endif
    return malloc(bytes ? bytes : 1);
}

void *nn_big_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    size_t bytes = n * size;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= NN_HUGE) {
        void *p = nn_big_alloc(bytes);
        if (p)
            memset(p, 0, bytes);
        return p;
    }
#endif
    return calloc(n ? n : 1, size ? size : 1);
}
