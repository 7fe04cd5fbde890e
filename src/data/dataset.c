/* Labelled sets and Fashion-MNIST: reading, class selection, splits and caps. */
#include "dataset.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idx.h"
#include "util.h"

static const char *const fmnist_names[DS_FMNIST_CLASSES] = DS_FMNIST_CLASS_NAMES;

void ds_set_free(ds_set *s)
{
    if (!s)
        return;
    free(s->x);
    free(s->y);
    free(s->src);
    free(s->class_src);
    if (s->class_names)
        for (int i = 0; i < s->k; i++)
            free(s->class_names[i]);
    free(s->class_names);
    memset(s, 0, sizeof *s);
}

size_t ds_set_example_floats(const ds_set *s)
{
    return (size_t)s->h * (size_t)s->w * (size_t)s->c;
}

void ds_set_gather(const ds_set *s, const int32_t *rows, int n, float *x, int32_t *y,
                   int32_t *src)
{
    size_t ef = ds_set_example_floats(s);
    for (int i = 0; i < n; i++) {
        size_t r = (size_t)rows[i];
        if (x)
            memcpy(x + (size_t)i * ef, s->x + r * ef, ef * sizeof *x);
        if (y)
            y[i] = s->y[r];
        if (src)
            src[i] = s->src[r];
    }
}

const char *ds_fmnist_class_name(int label)
{
    return label >= 0 && label < DS_FMNIST_CLASSES ? fmnist_names[label] : NULL;
}

/* Lower-case letters and digits only: "T-shirt/top" -> "tshirttop". */
static void squash(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        if (isalnum((unsigned char)*s))
            out[k++] = (char)tolower((unsigned char)*s);
    out[k] = '\0';
}

int ds_fmnist_class_parse(const char *s)
{
    if (!s || !*s)
        return -1;
    if (s[0] >= '0' && s[0] <= '9' && s[1] == '\0')
        return s[0] - '0';
    char a[64], b[64];
    if (strlen(s) >= sizeof a)
        return -1;
    squash(s, a, sizeof a);
    for (int i = 0; i < DS_FMNIST_CLASSES; i++) {
        squash(fmnist_names[i], b, sizeof b);
        if (strcmp(a, b) == 0)
            return i;
    }
    if (strcmp(a, "tshirt") == 0 || strcmp(a, "top") == 0)
        return 0;
    if (strcmp(a, "boot") == 0)
        return 9;
    return -1;
}

const char *ds_fmnist_dir(const char *dir)
{
    if (dir && *dir)
        return dir;
    const char *e = getenv("DROPSCOPE_DATA");
    if (e && *e)
        return e;
    return DS_FMNIST_DEFAULT_DIR;
}

ds_fmnist_opts ds_fmnist_opts_default(void)
{
    ds_fmnist_opts o;
    memset(&o, 0, sizeof o);
    o.stratified = true;
    return o;
}

/* One IDX images + labels pair, checked against each other. */
typedef struct {
    ds_idx img, lab;
    char img_path[512];
} idx_pair;

static int read_pair(const char *dir, const char *img, const char *lab, idx_pair *p,
                     char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    char lab_path[512];
    snprintf(p->img_path, sizeof p->img_path, "%s/%s", dir, img);
    snprintf(lab_path, sizeof lab_path, "%s/%s", dir, lab);
    const char *paths[2] = {p->img_path, lab_path};
    for (int i = 0; i < 2; i++)
        if (access(paths[i], F_OK) != 0)
            return ds_seterr(err, errlen, "%s: not found; " DS_FMNIST_HINT, paths[i]);
    if (ds_idx_read(lab_path, 0, &p->lab, err, errlen))
        return -1;
    if (ds_idx_read(p->img_path, 0, &p->img, err, errlen)) {
        ds_idx_free(&p->lab);
        return -1;
    }
    const char *why = NULL;
    if (p->lab.ndim != 1)
        why = "the labels file is not one-dimensional";
    else if (p->img.ndim != 3)
        why = "the images file is not (count, rows, cols)";
    else if (p->img.dims[0] != p->lab.dims[0])
        why = "the images and labels files hold different counts";
    else if (p->img.dims[1] == 0 || p->img.dims[2] == 0 || p->img.dims[1] > 4096 ||
             p->img.dims[2] > 4096)
        why = "the image size is implausible";
    else if (p->lab.dims[0] > INT32_MAX)
        why = "too many examples";
    for (size_t i = 0; !why && i < p->lab.count; i++)
        if (p->lab.data[i] >= DS_FMNIST_CLASSES)
            why = "a label is outside 0..9";
    if (why) {
        ds_seterr(err, errlen, "%s, %s: %s (images %ux%ux%u, labels %u)", p->img_path, lab_path,
                  why, p->img.ndim == 3 ? p->img.dims[0] : 0, p->img.dims[1], p->img.dims[2],
                  p->lab.ndim == 1 ? p->lab.dims[0] : 0);
        ds_idx_free(&p->img);
        ds_idx_free(&p->lab);
        return -1;
    }
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void seed_stream(nn_rng *r, uint64_t seed, uint64_t tag)
{
    nn_rng_seed(r, seed ^ (0x9E3779B97F4A7C15ull * (tag + 1)));
}

/* Splits idx[0..n) (source indices, labels lab[] in 0..k-1 by idx position) into `want`
 * chosen and n - want others, seeded; stratified keeps class proportions (largest
 * remainder). Both outputs come back sorted. chosen/rest must hold want / n - want. */
static int choose(const int32_t *idx, const int32_t *lab, int n, int k, int want, bool strat,
                  nn_rng *r, int32_t *chosen, int32_t *rest)
{
    if (n <= 0)
        return 0;
    int32_t *tmp = malloc(((size_t)n + 1) * sizeof *tmp);
    int *cnt = calloc((size_t)k + 1, sizeof *cnt);
    int *quota = calloc((size_t)k + 1, sizeof *quota);
    if (!tmp || !cnt || !quota) {
        free(tmp);
        free(cnt);
        free(quota);
        return -1;
    }
    int nc = 0, nr = 0;
    if (!strat) {
        memcpy(tmp, idx, (size_t)n * sizeof *tmp);
        nn_rng_shuffle_i32(r, tmp, n);
        memcpy(chosen, tmp, (size_t)want * sizeof *tmp);
        memcpy(rest, tmp + want, (size_t)(n - want) * sizeof *tmp);
        nc = want;
        nr = n - want;
    } else {
        for (int i = 0; i < n; i++)
            cnt[lab[i]]++;
        int given = 0;
        for (int c = 0; c < k; c++) {
            quota[c] = (int)((int64_t)want * cnt[c] / n);
            given += quota[c];
        }
        /* Hand out the remainder to the largest fractional parts (ties: lower class). */
        while (given < want) {
            int best = -1;
            int64_t bf = 0;
            for (int c = 0; c < k; c++) {
                int64_t f = ((int64_t)want * cnt[c]) % n;
                int base = (int)((int64_t)want * cnt[c] / n);
                if (quota[c] == base && quota[c] < cnt[c] && f > bf) {
                    bf = f;
                    best = c;
                }
            }
            if (best < 0) /* cannot happen: the fractions add up to the remainder */
                for (int c = 0; c < k && best < 0; c++)
                    if (quota[c] < cnt[c])
                        best = c;
            quota[best]++;
            given++;
        }
        for (int c = 0; c < k; c++) {
            int m = 0;
            for (int i = 0; i < n; i++)
                if (lab[i] == c)
                    tmp[m++] = idx[i];
            nn_rng_shuffle_i32(r, tmp, m);
            memcpy(chosen + nc, tmp, (size_t)quota[c] * sizeof *tmp);
            memcpy(rest + nr, tmp + quota[c], (size_t)(m - quota[c]) * sizeof *tmp);
            nc += quota[c];
            nr += m - quota[c];
        }
    }
    qsort(chosen, (size_t)nc, sizeof *chosen, cmp_i32);
    qsort(rest, (size_t)nr, sizeof *rest, cmp_i32);
    free(tmp);
    free(cnt);
    free(quota);
    return 0;
}

/* Builds a set from source examples idx[0..n) of p; newlab maps source labels. */
static int build_set(const idx_pair *p, const int32_t *idx, int n, const int *classes, int k,
                     const int *newlab, ds_set *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->h = (int)p->img.dims[1];
    s->w = (int)p->img.dims[2];
    s->c = 1;
    s->k = k;
    snprintf(s->source, sizeof s->source, "%s", p->img_path);
    size_t ef = ds_set_example_floats(s);
    s->x = malloc((size_t)n * ef * sizeof *s->x + 1);
    s->y = malloc((size_t)n * sizeof *s->y + 1);
    s->src = malloc((size_t)n * sizeof *s->src + 1);
    s->class_src = malloc((size_t)k * sizeof *s->class_src);
    s->class_names = calloc((size_t)k, sizeof *s->class_names);
    if (!s->x || !s->y || !s->src || !s->class_src || !s->class_names)
        return -1;
    for (int c = 0; c < k; c++) {
        s->class_src[c] = classes[c];
        const char *nm = fmnist_names[classes[c]];
        if (!(s->class_names[c] = malloc(strlen(nm) + 1)))
            return -1;
        strcpy(s->class_names[c], nm);
    }
    for (int i = 0; i < n; i++) {
        size_t j = (size_t)idx[i];
        const uint8_t *px = p->img.data + j * ef;
        float *dst = s->x + (size_t)i * ef;
        for (size_t q = 0; q < ef; q++)
            dst[q] = (float)px[q] / 255.0f;
        s->y[i] = newlab[p->lab.data[j]];
        s->src[i] = idx[i];
    }
    return 0;
}

/* Source indices of the chosen classes, with their new labels. */
static int select_classes(const idx_pair *p, const int *newlab, int32_t **idx, int32_t **lab,
                          int *n)
{
    int cnt = 0, total = (int)p->lab.count;
    for (int i = 0; i < total; i++)
        cnt += newlab[p->lab.data[i]] >= 0;
    *idx = malloc(((size_t)cnt + 1) * sizeof **idx);
    *lab = malloc(((size_t)cnt + 1) * sizeof **lab);
    if (!*idx || !*lab)
        return -1;
    int m = 0;
    for (int i = 0; i < total; i++)
        if (newlab[p->lab.data[i]] >= 0) {
            (*idx)[m] = i;
            (*lab)[m++] = newlab[p->lab.data[i]];
        }
    *n = m;
    return 0;
}

/* Labels (new) of source indices idx, for choose(). */
static void labels_of(const idx_pair *p, const int *newlab, const int32_t *idx, int n,
                      int32_t *lab)
{
    for (int i = 0; i < n; i++)
        lab[i] = newlab[p->lab.data[idx[i]]];
}

/* Applies cap (> 0) to idx[0..*n) in place. */
static int apply_cap(const idx_pair *p, const int *newlab, int32_t *idx, int *n, int cap, int k,
                     bool strat, nn_rng *r)
{
    if (cap <= 0 || cap >= *n)
        return 0;
    int32_t *lab = malloc(((size_t)*n + 1) * sizeof *lab);
    int32_t *keep = malloc(((size_t)cap + 1) * sizeof *keep);
    int32_t *drop = malloc(((size_t)(*n - cap) + 1) * sizeof *drop);
    int rc = -1;
    if (lab && keep && drop) {
        labels_of(p, newlab, idx, *n, lab);
        if (choose(idx, lab, *n, k, cap, strat, r, keep, drop) == 0) {
            memcpy(idx, keep, (size_t)cap * sizeof *idx);
            *n = cap;
            rc = 0;
        }
    }
    free(lab);
    free(keep);
    free(drop);
    return rc;
}

int ds_fmnist_load(const ds_fmnist_opts *o, ds_fmnist *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    ds_fmnist_opts def = ds_fmnist_opts_default();
    if (!o)
        o = &def;
    const char *dir = ds_fmnist_dir(o->dir);
    snprintf(out->dir, sizeof out->dir, "%s", dir);

    int classes[DS_FMNIST_CLASSES], k = o->n_classes;
    int newlab[256];
    for (int i = 0; i < 256; i++)
        newlab[i] = -1;
    if (k < 0 || k > DS_FMNIST_CLASSES)
        return ds_seterr(err, errlen, "%s: %d classes asked for; Fashion-MNIST has %d", dir, k,
                         DS_FMNIST_CLASSES);
    if (k == 0) {
        k = DS_FMNIST_CLASSES;
        for (int i = 0; i < k; i++)
            classes[i] = i;
    } else {
        memcpy(classes, o->classes, (size_t)k * sizeof *classes);
    }
    for (int i = 0; i < k; i++) {
        if (classes[i] < 0 || classes[i] >= DS_FMNIST_CLASSES)
            return ds_seterr(err, errlen, "%s: class %d does not exist (Fashion-MNIST classes "
                             "are 0..9)", dir, classes[i]);
        if (newlab[classes[i]] >= 0)
            return ds_seterr(err, errlen, "%s: class %d (%s) is listed twice", dir, classes[i],
                             fmnist_names[classes[i]]);
        newlab[classes[i]] = i;
    }
    if (o->val_fraction < 0 || o->val_fraction >= 1 || o->val_count < 0)
        return ds_seterr(err, errlen, "%s: the validation share must be a count >= 0 or a "
                         "fraction in [0, 1)", dir);

    idx_pair tr, te;
    memset(&te, 0, sizeof te);
    if (read_pair(dir, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", &tr, err,
                  errlen))
        return -1;
    if (!o->skip_test &&
        read_pair(dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", &te, err,
                  errlen)) {
        ds_idx_free(&tr.img);
        ds_idx_free(&tr.lab);
        return -1;
    }
    if (!o->skip_test && (te.img.dims[1] != tr.img.dims[1] || te.img.dims[2] != tr.img.dims[2])) {
        ds_seterr(err, errlen, "%s: test images are %ux%u but training images %ux%u",
                  te.img_path, te.img.dims[1], te.img.dims[2], tr.img.dims[1], tr.img.dims[2]);
        ds_idx_free(&tr.img);
        ds_idx_free(&tr.lab);
        ds_idx_free(&te.img);
        ds_idx_free(&te.lab);
        return -1;
    }

    int32_t *all = NULL, *lab = NULL, *tri = NULL, *vai = NULL, *tei = NULL, *tel = NULL;
    int n_all = 0, n_te = 0, n_val = 0, n_tr = 0, rc = -1;
    nn_rng r;
    if (select_classes(&tr, newlab, &all, &lab, &n_all))
        goto oom;
    n_val = o->val_count > 0 ? o->val_count : (int)(o->val_fraction * (double)n_all + 0.5);
    if (n_val >= n_all && n_val > 0) {
        ds_seterr(err, errlen, "%s: %d validation examples asked for, but the chosen classes "
                  "have only %d training examples", tr.img_path, n_val, n_all);
        goto done;
    }
    n_tr = n_all - n_val;
    tri = malloc(((size_t)n_tr + 1) * sizeof *tri);
    vai = malloc(((size_t)n_val + 1) * sizeof *vai);
    if (!tri || !vai)
        goto oom;
    seed_stream(&r, o->seed, 0);
    if (choose(all, lab, n_all, k, n_val, o->stratified, &r, vai, tri))
        goto oom;
    seed_stream(&r, o->seed, 1);
    if (apply_cap(&tr, newlab, tri, &n_tr, o->max_train, k, o->stratified, &r))
        goto oom;
    seed_stream(&r, o->seed, 2);
    if (apply_cap(&tr, newlab, vai, &n_val, o->max_val, k, o->stratified, &r))
        goto oom;
    if (build_set(&tr, tri, n_tr, classes, k, newlab, &out->train) ||
        build_set(&tr, vai, n_val, classes, k, newlab, &out->val))
        goto oom;
    if (!o->skip_test) {
        if (select_classes(&te, newlab, &tei, &tel, &n_te))
            goto oom;
        seed_stream(&r, o->seed, 3);
        if (apply_cap(&te, newlab, tei, &n_te, o->max_test, k, o->stratified, &r) ||
            build_set(&te, tei, n_te, classes, k, newlab, &out->test))
            goto oom;
    }
    rc = 0;
    goto done;
oom:
    ds_seterr(err, errlen, "%s: out of memory while building the data sets", dir);
done:
    free(all);
    free(lab);
    free(tri);
    free(vai);
    free(tei);
    free(tel);
    ds_idx_free(&tr.img);
    ds_idx_free(&tr.lab);
    ds_idx_free(&te.img);
    ds_idx_free(&te.lab);
    if (rc)
        ds_fmnist_free(out);
    return rc;
}

void ds_fmnist_free(ds_fmnist *d)
{
    if (!d)
        return;
    ds_set_free(&d->train);
    ds_set_free(&d->val);
    ds_set_free(&d->test);
}
