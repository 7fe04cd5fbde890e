/* Seeded epoch-by-epoch batching over a ds_set. */
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "util.h"

struct ds_batcher {
    const ds_set *set;
    uint64_t seed;
    bool shuffle;
    int32_t *order;          /* this epoch's order of set rows */
    int32_t *rows;           /* scratch: one batch's rows */
    int rows_cap;
    float *tmp;              /* scratch: one batch at the set's size, when resizing */
    size_t tmp_cap;
    int epoch, pos;
    int oh, ow, oc;          /* output image shape */
};

static void make_order(ds_batcher *b)
{
    for (int i = 0; i < b->set->n; i++)
        b->order[i] = i;
    if (b->shuffle) {
        /* A function of (seed, epoch) alone, so any epoch can be replayed on its own. */
        nn_rng r;
        nn_rng_seed(&r, b->seed + 0xD1B54A32D192ED03ull * (uint64_t)(b->epoch + 1));
        nn_rng_shuffle_i32(&r, b->order, b->set->n);
    }
}

ds_batcher *ds_batcher_create(const ds_set *set, uint64_t seed, bool shuffle, char *err,
                              size_t errlen)
{
    if (!set || set->n <= 0) {
        ds_seterr(err, errlen, "%s: cannot batch an empty data set",
                  set && set->source[0] ? set->source : "(data set)");
        return NULL;
    }
    ds_batcher *b = calloc(1, sizeof *b);
    if (!b || !(b->order = malloc((size_t)set->n * sizeof *b->order))) {
        free(b);
        ds_seterr(err, errlen, "%s: out of memory for a batcher", set->source);
        return NULL;
    }
    b->set = set;
    b->seed = seed;
    b->shuffle = shuffle;
    b->oh = set->h;
    b->ow = set->w;
    b->oc = set->c;
    make_order(b);
    return b;
}

void ds_batcher_destroy(ds_batcher *b)
{
    if (!b)
        return;
    free(b->order);
    free(b->rows);
    free(b->tmp);
    free(b);
}

int ds_batcher_set_output(ds_batcher *b, int h, int w, int c, char *err, size_t errlen)
{
    if (h < 1 || w < 1 || h > 8192 || w > 8192 || !(c == b->set->c || (b->set->c == 1 && c == 3)))
        return ds_seterr(err, errlen, "%s: cannot resize (%d, %d, %d) images to (%d, %d, %d)",
                         b->set->source, b->set->h, b->set->w, b->set->c, h, w, c);
    b->oh = h;
    b->ow = w;
    b->oc = c;
    return 0;
}

size_t ds_batcher_example_floats(const ds_batcher *b)
{
    return (size_t)b->oh * (size_t)b->ow * (size_t)b->oc;
}

int ds_batcher_next(ds_batcher *b, int n, float *x, int32_t *y, int32_t *src)
{
    if (n < 1)
        return -1;
    if (b->pos >= b->set->n) {
        b->epoch++;
        b->pos = 0;
        make_order(b);
    }
    int k = b->set->n - b->pos < n ? b->set->n - b->pos : n;
    const int32_t *rows = b->order + b->pos;
    b->pos += k;
    bool resize = b->oh != b->set->h || b->ow != b->set->w || b->oc != b->set->c;
    if (!x || !resize) {
        ds_set_gather(b->set, rows, k, x, y, src);
        return k;
    }
    size_t need = (size_t)k * ds_set_example_floats(b->set);
    if (need > b->tmp_cap) {
        float *t = realloc(b->tmp, need * sizeof *t);
        if (!t)
            return -1;
        b->tmp = t;
        b->tmp_cap = need;
    }
    ds_set_gather(b->set, rows, k, b->tmp, y, src);
    if (ds_resize_bilinear(b->tmp, k, b->set->h, b->set->w, b->set->c, x, b->oh, b->ow, b->oc,
                           NULL, 0))
        return -1;
    return k;
}

int ds_batcher_epoch(const ds_batcher *b) { return b->epoch; }

int ds_batcher_pos(const ds_batcher *b) { return b->pos; }

int ds_batcher_steps_per_epoch(const ds_batcher *b, int n)
{
    return n < 1 ? 0 : (b->set->n + n - 1) / n;
}

void ds_batcher_seek_epoch(ds_batcher *b, int epoch)
{
    b->epoch = epoch < 0 ? 0 : epoch;
    b->pos = 0;
    make_order(b);
}
