/* Keras .h5 weight files through libhdf5's C API. See h5.h for the layout. */
#include "h5.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "atomicio.h"
#include "config.h"
#include "util.h"

/* Keras splits string-list attributes larger than this into name0, name1, ... */
#define H5_ATTR_LIMIT 64512

typedef struct {
    char *name;
    int n_w;
    char **w;           /* weight names, as in the file */
} file_layer;

typedef struct {
    const char *path;
    hid_t file, root;   /* root: the group holding layer_names */
    int n;
    file_layer *layers;
} h5in;

static void quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static herr_t first_desc(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc && buf[0] == '\0')
        snprintf(buf, 200, "%s", e->desc);
    return 0;
}

/* The innermost message on HDF5's error stack (where the failure was detected). */
static const char *h5_reason(char *buf)
{
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_desc, buf);
    H5Eclear2(H5E_DEFAULT);
    if (!buf[0])
        snprintf(buf, 200, "unknown HDF5 error");
    return buf;
}

static void strs_free(char **s, int n)
{
    if (!s)
        return;
    for (int i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* Appends the strings of one attribute to *out (n of them). 0, -1 on a bad attribute. */
static int read_attr_strs1(hid_t obj, const char *name, char ***out, int *n)
{
    int rc = -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t sp = H5Aget_space(a), ft = H5Aget_type(a), mt = -1;
    hssize_t cnt = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    char *fixed = NULL;
    char **var = NULL;
    if (cnt < 0 || ft < 0)
        goto done;
    if (cnt == 0) { /* Keras writes an empty float64 array for "no weights" */
        rc = 0;
        goto done;
    }
    if (H5Tget_class(ft) != H5T_STRING || cnt > 1000000)
        goto done;
    char **grown = realloc(*out, sizeof(char *) * (size_t)(*n + cnt));
    if (!grown)
        goto done;
    *out = grown;
    mt = H5Tcopy(H5T_C_S1);
    if (H5Tis_variable_str(ft) > 0) {
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        var = calloc((size_t)cnt, sizeof(char *));
        if (!var || H5Aread(a, mt, var) < 0)
            goto done;
        for (hssize_t i = 0; i < cnt; i++)
            (*out)[(*n)++] = strdup(var[i] ? var[i] : "");
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, var);
    } else {
        size_t len = H5Tget_size(ft);
        H5Tset_size(mt, len);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        fixed = malloc((size_t)cnt * len);
        if (!fixed || H5Aread(a, mt, fixed) < 0)
            goto done;
        for (hssize_t i = 0; i < cnt; i++)
            (*out)[(*n)++] = strndup(fixed + (size_t)i * len, len);
    }
    rc = 0;
done:
    free(var);
    free(fixed);
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    H5Aclose(a);
    return rc;
}

/* A string-list attribute, whole or split into name0, name1, ... as Keras does.
 * 0; 1 when absent; -1 when unreadable. */
static int read_attr_strs(hid_t obj, const char *name, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    if (H5Aexists(obj, name) > 0)
        return read_attr_strs1(obj, name, out, n) < 0 ? -1 : 0;
    char part[128];
    int k = 0;
    for (;; k++) {
        snprintf(part, sizeof part, "%s%d", name, k);
        if (H5Aexists(obj, part) <= 0)
            break;
        if (read_attr_strs1(obj, part, out, n) < 0)
            return -1;
    }
    return k == 0 ? 1 : 0;
}

static void h5in_close(h5in *in)
{
    for (int i = 0; i < in->n; i++) {
        free(in->layers[i].name);
        strs_free(in->layers[i].w, in->layers[i].n_w);
    }
    free(in->layers);
    if (in->root >= 0)
        H5Gclose(in->root);
    if (in->file >= 0)
        H5Fclose(in->file);
    in->layers = NULL;
    in->n = 0;
    in->root = in->file = -1;
}

/* 1: path is a regular file with the HDF5 signature where libhdf5 looks for it (offset
 * 0, or 512, 1024, 2048, ... after a user block); 0: a regular file without it; -1: not a
 * regular file or unreadable (reason in err). Checked before libhdf5 opens the file: its
 * open blocks on a named pipe. */
static int h5_sniff(const char *path, char *err, size_t errlen)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    off_t size = 0;
    int fd = ds_open_regular(path, &size, err, errlen);
    if (fd < 0)
        return -1;
    int found = 0;
    for (off_t at = 0; !found && at + (off_t)sizeof sig <= size; at = at ? 2 * at : 512) {
        unsigned char b[sizeof sig];
        found = pread(fd, b, sizeof b, at) == (ssize_t)sizeof b && !memcmp(b, sig, sizeof b);
    }
    close(fd);
    return found;
}

int ds_h5_is_hdf5(const char *path)
{
    return h5_sniff(path, NULL, 0) == 1;
}

static int h5in_open(h5in *in, const char *path, char *err, size_t errlen)
{
    char why[256];
    memset(in, 0, sizeof *in);
    in->path = path;
    in->file = in->root = -1;
    quiet();
    int sig = h5_sniff(path, err, errlen);
    if (sig < 0)
        return -1;
    if (sig == 0)
        return ds_seterr(err, errlen, "%s: not an HDF5 file (a Keras .h5 weights file was expected)", path);
    in->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (in->file < 0)
        return ds_seterr(err, errlen, "%s: cannot be read as HDF5, the file is truncated or damaged (%s)", path,
                         h5_reason(why));
    if (H5Aexists(in->file, "layer_names") > 0) {
        in->root = H5Gopen2(in->file, "/", H5P_DEFAULT);
    } else if (H5Lexists(in->file, "model_weights", H5P_DEFAULT) > 0) {
        in->root = H5Gopen2(in->file, "model_weights", H5P_DEFAULT);
    } else {
        bool k3 = H5Lexists(in->file, "layers", H5P_DEFAULT) > 0 || H5Lexists(in->file, "vars", H5P_DEFAULT) > 0;
        H5Eclear2(H5E_DEFAULT);
        h5in_close(in);
        if (k3)
            return ds_seterr(err, errlen, "%s: a Keras 3 .weights.h5 file; only the Keras 2 / tf.keras layout is read "
                             "(save it with tf.keras model.save_weights('weights.h5'))", path);
        return ds_seterr(err, errlen, "%s: not a Keras weights file (no 'layer_names' attribute and no 'model_weights' group)",
                         path);
    }
    if (in->root < 0) {
        h5in_close(in);
        return ds_seterr(err, errlen, "%s: cannot open the weights group (%s)", path, h5_reason(why));
    }
    char **names;
    int n;
    int r = read_attr_strs(in->root, "layer_names", &names, &n);
    if (r != 0) {
        strs_free(names, n);
        h5in_close(in);
        return ds_seterr(err, errlen, "%s: %s", path, r > 0 ? "not a Keras weights file (no 'layer_names' attribute)"
                                                         : "the 'layer_names' attribute is not a list of strings");
    }
    in->layers = calloc((size_t)n + 1, sizeof *in->layers);
    if (!in->layers) {
        strs_free(names, n);
        h5in_close(in);
        return ds_seterr(err, errlen, "%s: out of memory", path);
    }
    for (int i = 0; i < n; i++) {
        in->layers[i].name = names[i];
        names[i] = NULL;
    }
    in->n = n;
    free(names);
    for (int i = 0; i < n; i++) {
        file_layer *fl = &in->layers[i];
        hid_t g = H5Gopen2(in->root, fl->name, H5P_DEFAULT);
        if (g < 0) {
            ds_seterr(err, errlen, "%s: layer '%s' is listed in layer_names but its group cannot be read (%s)", path,
                      fl->name, h5_reason(why));
            h5in_close(in);
            return -1;
        }
        r = read_attr_strs(g, "weight_names", &fl->w, &fl->n_w);
        H5Gclose(g);
        if (r != 0) {
            ds_seterr(err, errlen, "%s: layer '%s': %s", path, fl->name,
                      r > 0 ? "no 'weight_names' attribute" : "the 'weight_names' attribute is not a list of strings");
            h5in_close(in);
            return -1;
        }
    }
    H5Eclear2(H5E_DEFAULT);
    return 0;
}

static void fmt_dims(char *buf, size_t n, int rank, const hsize_t *d)
{
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%llu", i ? ", " : "", (unsigned long long)d[i]);
    if (k < n)
        snprintf(buf + k, n - k, rank == 1 ? ",)" : ")");
}

static void fmt_shape(char *buf, size_t n, nn_shape s)
{
    hsize_t d[NN_MAX_RANK];
    for (int i = 0; i < s.rank; i++)
        d[i] = (hsize_t)s.d[i];
    fmt_dims(buf, n, s.rank, d);
}

static const char *type_name(hid_t t, char *buf, size_t n)
{
    size_t sz = H5Tget_size(t);
    switch (H5Tget_class(t)) {
    case H5T_FLOAT:
        snprintf(buf, n, "float%zu", sz * 8);
        break;
    case H5T_INTEGER:
        snprintf(buf, n, "%sint%zu", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "", sz * 8);
        break;
    case H5T_STRING:
        snprintf(buf, n, "a string");
        break;
    default:
        snprintf(buf, n, "a non-numeric type");
        break;
    }
    return buf;
}

/* The parameter name a Keras weight name ends with: "conv2d/kernel:0" -> "kernel". */
static void weight_suffix(const char *w, char *out, size_t n)
{
    const char *s = strrchr(w, '/');
    s = s ? s + 1 : w;
    snprintf(out, n, "%s", s);
    char *colon = strrchr(out, ':');
    if (colon)
        *colon = '\0';
}

/* When dataset d is compressed with a filter this libhdf5 lacks (LZF, Blosc, ... are
 * plugins h5py ships, absent from Debian's libhdf5), writes "the LZF filter (HDF5 filter
 * 32000)" into buf and returns true. Without this check the read fails with HDF5's
 * "can't open directory: .../plugins", which reads like a damaged file. */
static bool missing_filter(hid_t d, char *buf, size_t n)
{
    hid_t pl = H5Dget_create_plist(d);
    bool missing = false;
    int nf = pl >= 0 ? H5Pget_nfilters(pl) : 0;
    for (int i = 0; i < nf && !missing; i++) {
        unsigned flags, cd[8], fcfg;
        size_t ncd = 8;
        char name[64] = "";
        H5Z_filter_t id = H5Pget_filter2(pl, (unsigned)i, &flags, &ncd, cd, sizeof name, name, &fcfg);
        if (id < 0 || H5Zfilter_avail(id) > 0)
            continue;
        static const struct { H5Z_filter_t id; const char *name; } known[] = {
            {32000, "LZF"}, {32001, "Blosc"}, {307, "bzip2"}, {32004, "LZ4"}, {32015, "Zstandard"},
        };
        const char *label = name[0] ? name : "an unknown";
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (known[k].id == id)
                label = known[k].name;
        snprintf(buf, n, "the %s filter (HDF5 filter %d)", label, (int)id);
        missing = true;
    }
    if (pl >= 0)
        H5Pclose(pl);
    H5Eclear2(H5E_DEFAULT);
    return missing;
}

/* One model layer paired with one file layer; map[p] = file weight for parameter p. */
typedef struct {
    int mi, fi;
    int map[NN_MAX_PARAMS];
    float *buf[NN_MAX_PARAMS];
} pair;

static int match_weights(const h5in *in, const nn_layer *l, const file_layer *fl, pair *pr, char *err, size_t errlen)
{
    char have[256] = "", want[256] = "", also[NN_NAME_MAX + 24] = "";
    size_t k = 0;
    for (int i = 0; i < fl->n_w && k < sizeof have; i++)
        k += (size_t)snprintf(have + k, sizeof have - k, "%s%s", i ? ", " : "", fl->w[i]);
    k = 0;
    for (int p = 0; p < l->n_params && k < sizeof want; p++)
        k += (size_t)snprintf(want + k, sizeof want - k, "%s%s", p ? ", " : "", l->params[p].name);
    if (strcmp(l->name, fl->name) != 0)
        snprintf(also, sizeof also, " (file layer '%s')", fl->name);
    if (fl->n_w != l->n_params)
        return ds_seterr(err, errlen, "%s: layer '%s'%s: the file has %d weights (%s) but the model's %s layer has %d (%s)",
                         in->path, l->name, also, fl->n_w, fl->n_w ? have : "none", nn_layer_type_name(l->type),
                         l->n_params, want);
    bool by_name = true;
    for (int p = 0; p < l->n_params; p++)
        pr->map[p] = -1;
    for (int i = 0; i < fl->n_w && by_name; i++) {
        char suf[128];
        weight_suffix(fl->w[i], suf, sizeof suf);
        int p = 0;
        while (p < l->n_params && strcmp(l->params[p].name, suf) != 0)
            p++;
        if (p == l->n_params || pr->map[p] >= 0)
            by_name = false;
        else
            pr->map[p] = i;
    }
    if (!by_name) /* not Keras 2 names: Keras itself goes by position */
        for (int p = 0; p < l->n_params; p++)
            pr->map[p] = p;
    return 0;
}

static int read_weight(const h5in *in, const nn_layer *l, const file_layer *fl, int wi, const nn_param *p, float *dst,
                       char *err, size_t errlen)
{
    char why[256], a[96], b[96];
    const char *w = fl->w[wi];
    int rc = -1;
    hid_t g = H5Gopen2(in->root, fl->name, H5P_DEFAULT);
    hid_t d = g >= 0 ? H5Dopen2(g, w, H5P_DEFAULT) : -1;
    hid_t t = -1, sp = -1;
    if (d < 0) {
        ds_seterr(err, errlen, "%s: layer '%s': weight '%s' is listed but cannot be read (%s)", in->path, l->name, w,
                  h5_reason(why));
        goto done;
    }
    t = H5Dget_type(d);
    if (H5Tget_class(t) != H5T_FLOAT || H5Tget_size(t) != 4) {
        ds_seterr(err, errlen, "%s: layer '%s': weight '%s' is %s in the file; float32 was expected", in->path, l->name,
                  w, type_name(t, a, sizeof a));
        goto done;
    }
    sp = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[H5S_MAX_RANK];
    bool same = rank == p->shape.rank;
    if (rank >= 0 && rank <= H5S_MAX_RANK)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    else
        same = false, rank = 0;
    for (int k = 0; same && k < rank; k++)
        same = dims[k] == (hsize_t)p->shape.d[k];
    if (!same) {
        fmt_dims(a, sizeof a, rank, dims);
        fmt_shape(b, sizeof b, p->shape);
        ds_seterr(err, errlen, "%s: layer '%s': weight '%s' has shape %s in the file but the model's %s.%s is %s",
                  in->path, l->name, w, a, l->name, p->name, b);
        goto done;
    }
    if (missing_filter(d, a, sizeof a)) {
        ds_seterr(err, errlen, "%s: layer '%s': weight '%s' is compressed with %s, which this build of HDF5 "
                  "lacks; re-save the file with h5py using compression='gzip' or none", in->path, l->name, w, a);
        goto done;
    }
    if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
        ds_seterr(err, errlen, "%s: layer '%s': weight '%s' cannot be read, the file is truncated or damaged (%s)",
                  in->path, l->name, w, h5_reason(why));
        goto done;
    }
    for (size_t k = 0; k < p->size; k++) {
        if (!isfinite(dst[k])) {
            ds_seterr(err, errlen, "%s: layer '%s': weight '%s' holds a non-finite value (%g at index %zu)", in->path,
                      l->name, w, (double)dst[k], k);
            goto done;
        }
    }
    rc = 0;
done:
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    if (g >= 0)
        H5Gclose(g);
    return rc;
}

static void pairs_free(pair *pr, int n)
{
    for (int i = 0; i < n; i++)
        for (int p = 0; p < NN_MAX_PARAMS; p++)
            free(pr[i].buf[p]);
    free(pr);
}

static int report_fill(ds_weights_report *rep, const nn_model *m, const pair *pr, int np, const h5in *in,
                       const bool *skip)
{
    rep->loaded = malloc(sizeof(int) * (size_t)(np + 1));
    rep->skipped = calloc((size_t)in->n + 1, sizeof(char *));
    if (!rep->loaded || !rep->skipped)
        return -1;
    char *seen = calloc((size_t)m->n_layers + 1, 1);
    if (!seen)
        return -1;
    for (int i = 0; i < np; i++)
        seen[pr[i].mi] = 1;
    for (int i = 0; i < m->n_layers; i++)
        if (seen[i])
            rep->loaded[rep->n_loaded++] = i;
    free(seen);
    for (int i = 0; i < in->n; i++)
        if (skip[i] && !(rep->skipped[rep->n_skipped++] = strdup(in->layers[i].name)))
            return -1;
    return 0;
}

/* Internal modes of ds_h5_load_base. */
#define H5_BASE ((ds_h5_mode)100)
#define H5_NAME_RANGE ((ds_h5_mode)101)

static int load_impl(nn_model *m, const char *path, ds_h5_mode mode, int first, int last, ds_weights_report *rep,
                     char *err, size_t errlen)
{
    if (rep)
        memset(rep, 0, sizeof *rep);
    if (!m->finalized)
        return ds_seterr(err, errlen, "%s: cannot load weights into model '%s': it is not finalized", path, m->name);
    h5in in;
    if (h5in_open(&in, path, err, errlen) < 0)
        return -1;
    int rc = -1, np = 0;
    pair *pr = calloc((size_t)m->n_layers + 1, sizeof *pr);
    bool *skip = calloc((size_t)in.n + 1, sizeof *skip);
    if (!pr || !skip) {
        ds_seterr(err, errlen, "%s: out of memory", path);
        goto done;
    }
    if (mode == H5_BASE) {
        /* by name when the file names every layer of the range, else by order */
        bool named = true;
        for (int mi = first; mi <= last && named; mi++) {
            if (m->layers[mi]->n_params == 0)
                continue;
            int i = 0;
            while (i < in.n && strcmp(in.layers[i].name, m->layers[mi]->name) != 0)
                i++;
            named = i < in.n && in.layers[i].n_w > 0;
        }
        mode = named ? H5_NAME_RANGE : DS_H5_ORDER;
    }
    if (mode == H5_NAME_RANGE) {
        for (int i = 0; i < in.n; i++) {
            int mi = nn_model_find(m, in.layers[i].name);
            if (mi >= first && mi <= last && m->layers[mi]->n_params > 0) {
                pr[np].mi = mi;
                pr[np++].fi = i;
            } else {
                skip[i] = in.layers[i].n_w > 0;
            }
        }
    } else if (mode == DS_H5_ORDER) {
        int nfile = 0, fi = 0;
        for (int i = 0; i < in.n; i++)
            nfile += in.layers[i].n_w > 0;
        for (int mi = first; mi <= last; mi++) {
            if (m->layers[mi]->n_params == 0)
                continue;
            while (fi < in.n && in.layers[fi].n_w == 0)
                fi++;
            if (fi == in.n) {
                int need = 0;
                for (int k = first; k <= last; k++)
                    need += m->layers[k]->n_params > 0;
                ds_seterr(err, errlen, "%s: the file has %d layers with weights, fewer than the %d of the model's layers "
                          "'%s' .. '%s'; the first layer left without weights is '%s'", path, nfile, need,
                          m->layers[first]->name, m->layers[last]->name, m->layers[mi]->name);
                goto done;
            }
            pr[np].mi = mi;
            pr[np++].fi = fi++;
        }
        for (; fi < in.n; fi++)
            skip[fi] = in.layers[fi].n_w > 0;
    } else {
        for (int i = 0; i < in.n; i++) {
            const file_layer *fl = &in.layers[i];
            int mi = nn_model_find(m, fl->name);
            if (mi < 0) {
                if (fl->n_w == 0)
                    continue;
                if (mode == DS_H5_STRICT) {
                    ds_seterr(err, errlen, "%s: layer '%s' in the file is not a layer of the model (for a pretrained "
                              "base inside a bigger model, load a subset)", path, fl->name);
                    goto done;
                }
                skip[i] = true;
                continue;
            }
            if (fl->n_w == 0 && m->layers[mi]->n_params == 0)
                continue;
            pr[np].mi = mi;
            pr[np++].fi = i;
        }
        if (mode == DS_H5_STRICT) {
            for (int mi = 0; mi < m->n_layers; mi++) {
                if (m->layers[mi]->n_params == 0)
                    continue;
                int k = 0;
                while (k < np && pr[k].mi != mi)
                    k++;
                if (k == np) {
                    ds_seterr(err, errlen, "%s: the model's layer '%s' (%s) has weights but the file has no layer of "
                              "that name", path, m->layers[mi]->name, nn_layer_type_name(m->layers[mi]->type));
                    goto done;
                }
            }
        }
    }
    for (int k = 0; k < np; k++) {
        const nn_layer *l = m->layers[pr[k].mi];
        const file_layer *fl = &in.layers[pr[k].fi];
        if (match_weights(&in, l, fl, &pr[k], err, errlen) < 0)
            goto done;
        for (int p = 0; p < l->n_params; p++) {
            pr[k].buf[p] = malloc(l->params[p].size * sizeof(float) + 1);
            if (!pr[k].buf[p]) {
                ds_seterr(err, errlen, "%s: out of memory for layer '%s'", path, l->name);
                goto done;
            }
            if (read_weight(&in, l, fl, pr[k].map[p], &l->params[p], pr[k].buf[p], err, errlen) < 0)
                goto done;
        }
    }
    if (rep && report_fill(rep, m, pr, np, &in, skip) < 0) {
        ds_weights_report_free(rep);
        ds_seterr(err, errlen, "%s: out of memory", path);
        goto done;
    }
    /* everything read and checked: now change the model */
    for (int k = 0; k < np; k++) {
        nn_layer *l = m->layers[pr[k].mi];
        for (int p = 0; p < l->n_params; p++)
            memcpy(l->params[p].data, pr[k].buf[p], l->params[p].size * sizeof(float));
    }
    rc = 0;
done:
    if (pr)
        pairs_free(pr, m->n_layers + 1);
    free(skip);
    h5in_close(&in);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

int ds_h5_load(nn_model *m, const char *path, ds_h5_mode mode, ds_weights_report *rep, char *err, size_t errlen)
{
    if (mode == DS_H5_ORDER)
        return load_impl(m, path, mode, 0, m->n_layers - 1, rep, err, errlen);
    return load_impl(m, path, mode, 0, 0, rep, err, errlen);
}

int ds_h5_load_order(nn_model *m, const char *path, int first, int last, ds_weights_report *rep, char *err,
                     size_t errlen)
{
    if (rep)
        memset(rep, 0, sizeof *rep);
    if (first < 0 || last >= m->n_layers || first > last)
        return ds_seterr(err, errlen, "%s: layer range %d..%d is not within the model's %d layers", path, first, last,
                         m->n_layers);
    return load_impl(m, path, DS_H5_ORDER, first, last, rep, err, errlen);
}

int ds_h5_load_base(nn_model *m, const char *path, int first, int last, ds_weights_report *rep, char *err,
                    size_t errlen)
{
    if (rep)
        memset(rep, 0, sizeof *rep);
    if (first < 0 || last >= m->n_layers || first > last)
        return ds_seterr(err, errlen, "%s: layer range %d..%d is not within the model's %d layers", path, first, last,
                         m->n_layers);
    return load_impl(m, path, H5_BASE, first, last, rep, err, errlen);
}

/* ---- writing ---- */

static int write_scalar_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) ? strlen(value) : 1);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (a >= 0 && H5Awrite(a, t, value) >= 0) ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

/* A list of strings as fixed-length, null-padded strings (what h5py makes of a NumPy
 * bytes array); an empty list as an empty float64 array, as Keras writes it. Lists over
 * Keras's attribute limit are split into name0, name1, ... in near-equal parts. */
static int write_str_list(hid_t obj, const char *name, const char *const *s, int n)
{
    if (n == 0) {
        hsize_t zero = 0;
        hid_t sp = H5Screate_simple(1, &zero, NULL);
        hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        int rc = a >= 0 ? 0 : -1;
        if (a >= 0)
            H5Aclose(a);
        H5Sclose(sp);
        return rc;
    }
    size_t len = 1;
    for (int i = 0; i < n; i++)
        if (strlen(s[i]) > len)
            len = strlen(s[i]);
    int chunks = 1;
    while ((size_t)((n + chunks - 1) / chunks) * len > H5_ATTR_LIMIT)
        chunks++;
    char *buf = calloc((size_t)n, len);
    if (!buf)
        return -1;
    for (int i = 0; i < n; i++)
        memcpy(buf + (size_t)i * len, s[i], strlen(s[i]));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    int rc = 0, at = 0;
    for (int c = 0; c < chunks && rc == 0; c++) {
        int cnt = n / chunks + (c < n % chunks); /* numpy.array_split */
        char nm[128];
        if (chunks == 1)
            snprintf(nm, sizeof nm, "%s", name);
        else
            snprintf(nm, sizeof nm, "%s%d", name, c);
        hsize_t dim = (hsize_t)cnt;
        hid_t sp = H5Screate_simple(1, &dim, NULL);
        hid_t a = H5Acreate2(obj, nm, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (a < 0 || H5Awrite(a, t, buf + (size_t)at * len) < 0)
            rc = -1;
        if (a >= 0)
            H5Aclose(a);
        H5Sclose(sp);
        at += cnt;
    }
    H5Tclose(t);
    free(buf);
    return rc;
}

static int write_layer(hid_t file, hid_t lcpl, const nn_layer *l)
{
    hid_t g = H5Gcreate2(file, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    char wn[NN_MAX_PARAMS][NN_NAME_MAX + 32];
    const char *wp[NN_MAX_PARAMS];
    for (int p = 0; p < l->n_params; p++) {
        snprintf(wn[p], sizeof wn[p], "%s/%s:0", l->name, l->params[p].name);
        wp[p] = wn[p];
    }
    int rc = write_str_list(g, "weight_names", wp, l->n_params);
    for (int p = 0; p < l->n_params && rc == 0; p++) {
        hsize_t dims[NN_MAX_RANK];
        for (int k = 0; k < l->params[p].shape.rank; k++)
            dims[k] = (hsize_t)l->params[p].shape.d[k];
        hid_t sp = H5Screate_simple(l->params[p].shape.rank, dims, NULL);
        hid_t d = H5Dcreate2(g, wn[p], H5T_IEEE_F32LE, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
        if (d < 0 || H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, l->params[p].data) < 0)
            rc = -1;
        if (d >= 0)
            H5Dclose(d);
        H5Sclose(sp);
    }
    H5Gclose(g);
    return rc;
}

int ds_h5_save(const nn_model *m, const char *path, char *err, size_t errlen)
{
    char why[256];
    if (!m->finalized)
        return ds_seterr(err, errlen, "%s: cannot save weights of model '%s': it is not finalized", path, m->name);
    for (int i = 0; i < m->n_layers; i++)
        if (!m->layers[i]->name[0] || strchr(m->layers[i]->name, '/') || !strcmp(m->layers[i]->name, "."))
            return ds_seterr(err, errlen, "%s: layer name '%s' cannot be an HDF5 group name", path, m->layers[i]->name);
    quiet();
    /* Built in memory (core driver, no backing store), then written atomically. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t f = -1;
    int rc = -1;
    const char **names = malloc(sizeof(char *) * (size_t)(m->n_layers + 1));
    void *image = NULL;
    if (fapl < 0 || lcpl < 0 || !names || H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0 ||
        H5Pset_create_intermediate_group(lcpl, 1) < 0) {
        ds_seterr(err, errlen, "%s: cannot set up HDF5 (%s)", path, h5_reason(why));
        goto done;
    }
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (f < 0) {
        ds_seterr(err, errlen, "%s: cannot create the HDF5 image (%s)", path, h5_reason(why));
        goto done;
    }
    for (int i = 0; i < m->n_layers; i++)
        names[i] = m->layers[i]->name;
    if (write_scalar_str(f, "backend", "tensorflow") < 0 ||
        write_scalar_str(f, "keras_version", "dropscope " DROPSCOPE_VERSION) < 0 ||
        write_str_list(f, "layer_names", names, m->n_layers) < 0) {
        ds_seterr(err, errlen, "%s: writing the file's attributes failed (%s)", path, h5_reason(why));
        goto done;
    }
    for (int i = 0; i < m->n_layers; i++) {
        if (write_layer(f, lcpl, m->layers[i]) < 0) {
            ds_seterr(err, errlen, "%s: writing layer '%s' failed (%s)", path, m->layers[i]->name, h5_reason(why));
            goto done;
        }
    }
    if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0) {
        ds_seterr(err, errlen, "%s: finishing the HDF5 image failed (%s)", path, h5_reason(why));
        goto done;
    }
    ssize_t size = H5Fget_file_image(f, NULL, 0);
    if (size <= 0 || !(image = malloc((size_t)size)) || H5Fget_file_image(f, image, (size_t)size) != size) {
        ds_seterr(err, errlen, "%s: cannot get the HDF5 image (%s)", path, size > 0 && !image ? "out of memory" : h5_reason(why));
        goto done;
    }
    H5Fclose(f);
    f = -1;
    rc = ds_write_file_atomic(path, image, (size_t)size, err, errlen);
done:
    free(image);
    free(names);
    if (f >= 0)
        H5Fclose(f);
    if (lcpl >= 0)
        H5Pclose(lcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}
