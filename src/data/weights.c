#include "weights.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicio.h"
#include "npy.h"
#include "util.h"

/* A file name a layer can be saved under: no path separators, no hidden files. */
static bool name_ok(const char *s)
{
    return s[0] != '\0' && s[0] != '.' && !strchr(s, '/');
}

static char *join3(const char *dir, const char *a, const char *b)
{
    size_t n = strlen(dir) + strlen(a) + (b ? strlen(b) : 0) + 8;
    char *p = malloc(n);
    if (p) {
        if (b)
            snprintf(p, n, "%s/%s.%s.npy", dir, a, b);
        else
            snprintf(p, n, "%s/%s", dir, a);
    }
    return p;
}

static void nn_shape_fmt(nn_shape s, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < s.rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%d", i ? ", " : "", s.d[i]);
    if (k < n)
        snprintf(buf + k, n - k, s.rank == 1 ? ",)" : ")");
}

static void npy_shape_fmt(const ds_npy_header *h, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < h->rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%zu", i ? ", " : "", h->shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, h->rank == 1 ? ",)" : ")");
}

int ds_weights_save(const nn_model *m, const char *dir, char *err, size_t errlen)
{
    if (!m->finalized)
        return ds_seterr(err, errlen, "%s: cannot save weights of model '%s': it is not "
                         "finalized", dir, m->name);
    if (ds_mkdirs(dir, err, errlen))
        return -1;
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        if (l->n_params && !name_ok(l->name))
            return ds_seterr(err, errlen, "%s: layer name '%s' cannot be used as a file name",
                             dir, l->name);
        for (int j = 0; j < l->n_params; j++) {
            const nn_param *p = &l->params[j];
            char *path = join3(dir, l->name, p->name);
            if (!path)
                return ds_seterr(err, errlen, "%s: out of memory", dir);
            size_t shape[NN_MAX_RANK];
            for (int k = 0; k < p->shape.rank; k++)
                shape[k] = (size_t)p->shape.d[k];
            int rc = ds_npy_write(path, DS_F32, p->shape.rank, shape, p->data, err, errlen);
            free(path);
            if (rc)
                return -1;
        }
    }
    return 0;
}

/* One parameter to load. */
typedef struct {
    int layer, param;
    char *path;
    float *data;         /* read, checked, not yet applied */
} pending;

typedef struct {
    char **names;
    int n, cap;
} strlist;

static int strlist_add(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        int nc = l->cap ? l->cap * 2 : 16;
        char **nn = realloc(l->names, (size_t)nc * sizeof *nn);
        if (!nn)
            return -1;
        l->names = nn;
        l->cap = nc;
    }
    size_t n = strlen(s) + 1;
    if (!(l->names[l->n] = malloc(n)))
        return -1;
    memcpy(l->names[l->n++], s, n);
    return 0;
}

static void strlist_free(strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .npy files of dir, sorted (so errors are reproducible). */
static int list_npy(const char *dir, strlist *out, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    struct stat st;
    if (!d && errno == ENOTDIR && stat(dir, &st) == 0) {
        /* callers try .h5 first (ds_h5_is_hdf5), so a file here is one without HDF5's signature */
        if (S_ISREG(st.st_mode))
            return ds_seterr(err, errlen, "%s: not an HDF5 file (%s) and not a weights directory; a Keras .h5 "
                             "weights file or a directory of <layer>.<param>.npy files was expected", dir,
                             st.st_size ? "no HDF5 signature" : "the file is empty");
        return ds_seterr(err, errlen, "%s: is %s, not a weights directory or a Keras .h5 file", dir,
                         ds_file_kind(&st));
    }
    if (!d)
        return ds_seterr(err, errlen, "%s: cannot open weights directory: %s", dir,
                         strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 5 || strcmp(e->d_name + n - 4, ".npy") != 0)
            continue;
        if (strlist_add(out, e->d_name)) {
            closedir(d);
            strlist_free(out);
            return ds_seterr(err, errlen, "%s: out of memory", dir);
        }
    }
    closedir(d);
    if (out->n)
        qsort(out->names, (size_t)out->n, sizeof *out->names, cmp_str);
    return 0;
}

static int find_param(const nn_layer *l, const char *name)
{
    for (int j = 0; j < l->n_params; j++)
        if (strcmp(l->params[j].name, name) == 0)
            return j;
    return -1;
}

static void param_names(const nn_layer *l, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int j = 0; j < l->n_params && k < n; j++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", j ? ", " : "", l->params[j].name);
    if (!l->n_params)
        snprintf(buf, n, "none");
}

/* Checks a file's header against its parameter, then reads and checks the values. */
static int read_one(const nn_model *m, pending *pe, char *err, size_t errlen)
{
    const nn_layer *l = m->layers[pe->layer];
    const nn_param *p = &l->params[pe->param];
    ds_npy_header h;
    char e2[400];
    if (ds_npy_read_header(pe->path, &h, e2, sizeof e2))
        return ds_seterr(err, errlen, "%s (layer %s, parameter %s)", e2, l->name, p->name);
    if (h.dtype != DS_F32)
        return ds_seterr(err, errlen, "%s: dtype %s, expected float32 for layer %s's %s "
                         "(numpy: .astype('float32'))", pe->path, ds_dtype_name(h.dtype),
                         l->name, p->name);
    bool same = h.rank == p->shape.rank;
    for (int k = 0; same && k < h.rank; k++)
        same = h.shape[k] == (size_t)p->shape.d[k];
    if (!same) {
        char a[128], b[128];
        npy_shape_fmt(&h, a, sizeof a);
        nn_shape_fmt(p->shape, b, sizeof b);
        return ds_seterr(err, errlen, "%s: shape %s does not match layer %s's %s, which is %s",
                         pe->path, a, l->name, p->name, b);
    }
    ds_npy a;
    if (ds_npy_read(pe->path, &a, e2, sizeof e2))
        return ds_seterr(err, errlen, "%s (layer %s, parameter %s)", e2, l->name, p->name);
    /* The file may have changed between the two reads; check again what matters. */
    if (a.dtype != DS_F32 || a.count != p->size) {
        ds_npy_free(&a);
        return ds_seterr(err, errlen, "%s: changed while being read (layer %s)", pe->path,
                         l->name);
    }
    const float *v = a.data;
    for (size_t i = 0; i < a.count; i++)
        if (!isfinite(v[i])) {
            ds_seterr(err, errlen, "%s: value %zu is %s (layer %s, parameter %s)", pe->path, i,
                      isnan(v[i]) ? "NaN" : "infinite", l->name, p->name);
            ds_npy_free(&a);
            return -1;
        }
    pe->data = a.data;
    return 0;
}

static void pending_free(pending *pe, int n)
{
    for (int i = 0; i < n; i++) {
        free(pe[i].path);
        free(pe[i].data);
    }
    free(pe);
}

int ds_weights_load(nn_model *m, const char *dir, ds_weights_mode mode, ds_weights_report *rep,
                    char *err, size_t errlen)
{
    if (rep)
        memset(rep, 0, sizeof *rep);
    if (!m->finalized)
        return ds_seterr(err, errlen, "%s: cannot load weights into model '%s': it is not "
                         "finalized", dir, m->name);
    strlist files = {0}, skipped = {0};
    if (list_npy(dir, &files, err, errlen))
        return -1;
    pending *pe = calloc((size_t)files.n + 1, sizeof *pe);
    /* have[layer][param]: index into pe + 1, 0 = no file. */
    int *have = calloc((size_t)m->n_layers * NN_MAX_PARAMS + 1, sizeof *have);
    int n_pe = 0, rc = -1;
    if (!pe || !have) {
        ds_seterr(err, errlen, "%s: out of memory", dir);
        goto done;
    }
    for (int f = 0; f < files.n; f++) {
        const char *fn = files.names[f];
        size_t n = strlen(fn) - 4;
        char stem[2 * NN_NAME_MAX + 32];
        if (n >= sizeof stem) {
            if (mode == DS_WEIGHTS_SUBSET) {
                if (strlist_add(&skipped, fn))
                    goto oom;
                continue;
            }
            ds_seterr(err, errlen, "%s/%s: name too long for a <layer>.<param>.npy file", dir,
                      fn);
            goto done;
        }
        memcpy(stem, fn, n);
        stem[n] = '\0';
        char *dot = strrchr(stem, '.');
        int li = -1;
        if (dot) {
            *dot = '\0';
            li = nn_model_find(m, stem);
        }
        if (li < 0) {
            if (mode == DS_WEIGHTS_SUBSET) {
                if (strlist_add(&skipped, fn))
                    goto oom;
                continue;
            }
            if (!dot)
                ds_seterr(err, errlen, "%s/%s: not a <layer>.<param>.npy weight file", dir, fn);
            else
                ds_seterr(err, errlen, "%s/%s: the model has no layer named '%s' (a strict "
                          "load needs every file to match a parameter)", dir, fn, stem);
            goto done;
        }
        const nn_layer *l = m->layers[li];
        int pj = find_param(l, dot + 1);
        if (pj < 0) {
            char names[160];
            param_names(l, names, sizeof names);
            ds_seterr(err, errlen, "%s/%s: layer %s (%s) has no parameter '%s'; its "
                      "parameters: %s", dir, fn, l->name, nn_layer_type_name(l->type), dot + 1,
                      names);
            goto done;
        }
        pe[n_pe].layer = li;
        pe[n_pe].param = pj;
        pe[n_pe].path = join3(dir, fn, NULL);
        if (!pe[n_pe].path)
            goto oom;
        have[li * NN_MAX_PARAMS + pj] = n_pe + 1;
        n_pe++;
    }
    /* Missing parameters: strict needs all, subset needs all of each touched layer. */
    for (int i = 0; i < m->n_layers; i++) {
        const nn_layer *l = m->layers[i];
        int present = 0;
        for (int j = 0; j < l->n_params; j++)
            present += have[i * NN_MAX_PARAMS + j] != 0;
        if (present == l->n_params || (mode == DS_WEIGHTS_SUBSET && present == 0))
            continue;
        for (int j = 0; j < l->n_params; j++)
            if (!have[i * NN_MAX_PARAMS + j]) {
                ds_seterr(err, errlen, "%s/%s.%s.npy: missing (layer %s%s)", dir, l->name,
                          l->params[j].name, l->name,
                          present ? " has other parameter files but not this one"
                                  : ": a strict load needs every parameter");
                goto done;
            }
    }
    if (mode == DS_WEIGHTS_SUBSET && n_pe == 0) {
        ds_seterr(err, errlen, "%s: no weight file matches a layer of model '%s'", dir,
                  m->name);
        goto done;
    }
    for (int k = 0; k < n_pe; k++)
        if (read_one(m, &pe[k], err, errlen))
            goto done;
    /* Everything checked: apply. A frozen layer's reference copy (what the engine
     * measures "no change" against) follows: loading is not training. */
    for (int k = 0; k < n_pe; k++) {
        nn_layer *l = m->layers[pe[k].layer];
        nn_param *p = &l->params[pe[k].param];
        memcpy(p->data, pe[k].data, p->size * sizeof(float));
        if (l->frozen_copy && l->frozen_copy[pe[k].param])
            memcpy(l->frozen_copy[pe[k].param], p->data, p->size * sizeof(float));
    }
    if (rep) {
        rep->loaded = malloc((size_t)m->n_layers * sizeof *rep->loaded + 1);
        if (!rep->loaded)
            goto oom;
        for (int i = 0; i < m->n_layers; i++)
            if (m->layers[i]->n_params && have[i * NN_MAX_PARAMS])
                rep->loaded[rep->n_loaded++] = i;
        rep->skipped = skipped.names;
        rep->n_skipped = skipped.n;
        memset(&skipped, 0, sizeof skipped);
    }
    rc = 0;
    goto done;
oom:
    ds_seterr(err, errlen, "%s: out of memory", dir);
done:
    pending_free(pe, n_pe);
    free(have);
    strlist_free(&files);
    strlist_free(&skipped);
    return rc;
}

void ds_weights_report_free(ds_weights_report *rep)
{
    if (!rep)
        return;
    free(rep->loaded);
    for (int i = 0; i < rep->n_skipped; i++)
        free(rep->skipped[i]);
    free(rep->skipped);
    memset(rep, 0, sizeof *rep);
}

char *ds_weights_report_str(const nn_model *m, const ds_weights_report *rep, char *buf,
                            size_t n)
{
    if (!n)
        return buf;
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < rep->n_loaded && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "",
                              m->layers[rep->loaded[i]]->name);
    return buf;
}
