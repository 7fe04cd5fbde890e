/* IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or plain.
 *
 * Layout: 0x00 0x00, type 0x08 (unsigned byte, the only type accepted), ndim, then ndim
 * big-endian uint32 dimensions, then the data. The reader checks every part: magic, type,
 * 1 <= ndim <= DS_IDX_MAX_DIMS, the element count against overflow and a byte budget,
 * that the data is all there (truncated file / lying header) and that nothing follows it
 * (trailing garbage). A damaged gzip stream is reported as such. Memory grows with the data
 * actually read, so a header that lies about huge dimensions cannot make it allocate more
 * than the file holds (plus the budget cap).
 *
 * Errors: 0 / -1 with the reason, naming the file, in err. Never prints. */
#ifndef DS_IDX_H
#define DS_IDX_H

#include <stddef.h>
#include <stdint.h>

#define DS_IDX_MAX_DIMS 4
/* Default byte budget: more than Fashion-MNIST's largest file (47 MB) needs. */
#define DS_IDX_DEFAULT_BUDGET ((size_t)256 << 20)

typedef struct {
    int ndim;
    uint32_t dims[DS_IDX_MAX_DIMS];
    size_t count;          /* product of dims */
    uint8_t *data;         /* count bytes, owned; NULL when count is 0 */
} ds_idx;

/* Reads path (gzip or plain, detected from the content). max_bytes caps the data size
 * (0: DS_IDX_DEFAULT_BUDGET). On success *out owns its data (ds_idx_free). -1 on error. */
int ds_idx_read(const char *path, size_t max_bytes, ds_idx *out, char *err, size_t errlen);
/* Same from n bytes in memory (gzip if it starts with 1f 8b); name is used in messages. */
int ds_idx_read_mem(const void *buf, size_t n, const char *name, size_t max_bytes, ds_idx *out,
                    char *err, size_t errlen);
/* Frees x's data and empties it. NULL is fine. */
void ds_idx_free(ds_idx *x);

#endif
