/* libFuzzer harness for the .npy reader. Reads the input both from memory and as a file
 * (a memfd, through the path reader) and checks the two agree; on success checks the
 * array's invariants. Build: CC=clang meson setup build-fuzz -Dfuzz=true. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "data/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    ds_npy a, b;
    int rm = ds_npy_read_mem(data, size, "fuzz.npy", &a, err, sizeof err);
    if (rm == 0) {
        size_t count = 1;
        for (int i = 0; i < a.rank; i++)
            count *= a.shape[i];
        if (count != a.count || (count && !a.data) || count * ds_dtype_size(a.dtype) > size)
            abort();
    } else if (!strstr(err, "fuzz.npy")) {
        abort(); /* every message names the file */
    }

    int fd = memfd_create("fuzz.npy", 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int rf = ds_npy_read(path, &b, err, sizeof err);
    if (rf != rm)
        abort();
    if (rf == 0) {
        if (a.dtype != b.dtype || a.rank != b.rank || a.count != b.count ||
            memcmp(a.shape, b.shape, sizeof a.shape) != 0 ||
            (a.count && memcmp(a.data, b.data, a.count * ds_dtype_size(a.dtype)) != 0))
            abort();
    } else if (!strstr(err, path)) {
        abort();
    }
    ds_npy_header h;
    if ((ds_npy_read_header(path, &h, err, sizeof err) == 0) != (rf == 0))
        abort();
    close(fd);
    ds_npy_free(&a);
    ds_npy_free(&b);
    return 0;
}
