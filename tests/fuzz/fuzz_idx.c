/* libFuzzer harness for the IDX reader (gzip or plain). Reads the input from memory
 * (our inflate loop) and as a file (a memfd, through zlib's gzread) and checks the two
 * agree; on success checks the invariants. A 1 MiB budget keeps allocations small.
 * Build: CC=clang meson setup build-fuzz -Dfuzz=true. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "data/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUDGET ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    ds_idx a, b;
    int rm = ds_idx_read_mem(data, size, "fuzz.idx", BUDGET, &a, err, sizeof err);
    if (rm == 0) {
        size_t count = 1;
        for (int i = 0; i < a.ndim; i++)
            count *= a.dims[i];
        if (a.ndim < 1 || a.ndim > DS_IDX_MAX_DIMS || count != a.count || count > BUDGET ||
            (count && !a.data))
            abort();
    } else if (!strstr(err, "fuzz.idx")) {
        abort(); /* every message names the file */
    }

    int fd = memfd_create("fuzz.idx", 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int rf = ds_idx_read(path, BUDGET, &b, err, sizeof err);
    if (rf != rm) {
        fprintf(stderr, "memory and file readers disagree: mem %d, file %d (%s)\n", rm, rf, err);
        abort();
    }
    if (rf == 0) {
        if (a.ndim != b.ndim || a.count != b.count || memcmp(a.dims, b.dims, sizeof a.dims) ||
            (a.count && memcmp(a.data, b.data, a.count) != 0))
            abort();
    } else if (!strstr(err, path)) {
        abort();
    }
    close(fd);
    ds_idx_free(&a);
    ds_idx_free(&b);
    return 0;
}
