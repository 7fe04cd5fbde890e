/* A mask is a sample from an ensemble (issue 12): over the training steps since the
 * lesson step began (ls_session_mark), for every Dropout layer, how often each unit was
 * kept and how many different per-example masks were drawn. Training samples a thinned
 * network each step; inference uses all of them, scaled. */
#include <stdlib.h>
#include <string.h>

#include "session/session_internal.h"

struct ls_keep_acc {
    uint32_t *kept;         /* per unit: masks that kept it */
    long masks;             /* per-example masks added */
    uint64_t *hash;         /* one per mask */
    long cap;
};

/* FNV-1a over the mask's bytes: two different masks of 1,024 units collide with
 * probability about 2^-64 per pair. */
static uint64_t mask_hash(const uint8_t *m, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= m[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void ls_keep_clear(ls_session *s)
{
    if (!s->keep || !s->model)
        return;
    for (int i = 0; i < s->model->n_layers; i++) {
        ls_keep_acc *a = &s->keep[i];
        if (a->kept)
            memset(a->kept, 0, s->model->layers[i]->out_size * sizeof *a->kept);
        a->masks = 0;
    }
}

void ls_keep_free(ls_session *s)
{
    if (s->keep && s->model)
        for (int i = 0; i < s->model->n_layers; i++) {
            free(s->keep[i].kept);
            free(s->keep[i].hash);
        }
    free(s->keep);
    s->keep = NULL;
}

static int add_layer(ls_keep_acc *a, const nn_layer *l, int n)
{
    size_t units = l->out_size;
    if (!a->kept && !(a->kept = calloc(units, sizeof *a->kept)))
        return -1;
    if (a->masks + n > a->cap) {
        long cap = a->cap ? a->cap * 2 : 256;
        while (cap < a->masks + n)
            cap *= 2;
        uint64_t *h = realloc(a->hash, (size_t)cap * sizeof *h);
        if (!h)
            return -1;
        a->hash = h;
        a->cap = cap;
    }
    for (int e = 0; e < n; e++) {
        const uint8_t *m = l->mask + (size_t)e * units;
        for (size_t u = 0; u < units; u++)
            a->kept[u] += m[u];
        a->hash[a->masks++] = mask_hash(m, units);
    }
    return 0;
}

/* After a training step: adds the masks every Dropout layer drew. */
int ls_keep_add(ls_session *s, int n)
{
    nn_model *m = s->model;
    if (!s->keep && !(s->keep = calloc((size_t)m->n_layers, sizeof *s->keep)))
        return ls_fail(s, "out of memory");
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        if (l->type == NN_DROPOUT && l->mask_valid && add_layer(&s->keep[i], l, n) < 0)
            return ls_fail(s, "out of memory");
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int ls_session_keep_stats(ls_session *s, const char *layer, ls_keep_stats *out)
{
    int i = ls_find_layer(s, layer);
    if (i < 0)
        return -1;
    const nn_layer *l = s->model->layers[i];
    if (l->type != NN_DROPOUT)
        return ls_fail(s, "layer '%s' is a %s, not a Dropout layer", layer, nn_layer_type_name(l->type));
    memset(out, 0, sizeof *out);
    out->units = (int)l->out_size;
    const ls_keep_acc *a = s->keep ? &s->keep[i] : NULL;
    if (!a || a->masks == 0)
        return 0;
    out->kept = a->kept;
    out->masks = a->masks;
    uint64_t *h = malloc((size_t)a->masks * sizeof *h);
    if (!h)
        return ls_fail(s, "out of memory");
    memcpy(h, a->hash, (size_t)a->masks * sizeof *h);
    qsort(h, (size_t)a->masks, sizeof *h, cmp_u64);
    out->distinct = 1;
    for (long k = 1; k < a->masks; k++)
        out->distinct += h[k] != h[k - 1];
    free(h);
    return 0;
}

int ls_keep_measure(ls_session *s, const ls_expect *e, double *v)
{
    ls_keep_stats k;
    if (ls_session_keep_stats(s, e->layer, &k) < 0)
        return -1;
    if (e->q == LS_Q_MASKS_SEEN || e->q == LS_Q_DISTINCT_MASKS || e->q == LS_Q_REPEATED_MASKS) {
        *v = (double)(e->q == LS_Q_MASKS_SEEN ? k.masks : e->q == LS_Q_DISTINCT_MASKS ? k.distinct : k.masks - k.distinct);
        return 0;
    }
    if (k.masks == 0)
        return ls_fail(s, "'%s' drew no mask since this lesson step began (run training steps first)", e->layer);
    double sum = 0, lo = 1, hi = 0;
    for (int u = 0; u < k.units; u++) {
        double f = (double)k.kept[u] / (double)k.masks;
        sum += f;
        lo = f < lo ? f : lo;
        hi = f > hi ? f : hi;
    }
    *v = e->q == LS_Q_KEEP_FREQ_LOW ? lo : e->q == LS_Q_KEEP_FREQ_HIGH ? hi : sum / k.units;
    return 0;
}
