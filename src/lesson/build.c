/* A lesson's model declarations -> an nn_model (not finalized): an automatic Input when
 * the lesson does not start with one, the declared layers in order, and built-in bases
 * expanded and cut.
 *
 * A base is built into a scratch model first, then the layers that feed its cut layer
 * are copied into the lesson's model under the names the base gave them. The base
 * builders need no knowledge of cuts, and a base's layer names (which weight files
 * use) do not depend on what the lesson declared before it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bases.h"
#include "engine/inception.h"
#include "lesson/build_internal.h"

/* Adds the base fed by layer input; a builder that can cut does so at cut (else the
 * cut is applied when copying). Returns the base's last layer, or -1. */
typedef int (*base_builder)(nn_model *m, int input, const char *cut);

static int fashion_cnn(nn_model *m, int input, const char *cut)
{
    (void)cut;
    return nn_base_fashion_cnn(m, input);
}

static const struct {
    const char *name;
    base_builder fn;    /* NULL: not in this build yet */
} builders[] = {
    {"fashion_cnn", fashion_cnn},
    {"inception_v3", nn_base_inception_v3},
};

/* "fashion_cnn, inception_v3, vgg16, ...": every base a lesson can name. */
static void base_list(char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof builders / sizeof builders[0] && k < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%s", i ? ", " : "", builders[i].name);
    for (const nn_base_info *b = nn_base_table; b->name && k < n; b++)
        k += (size_t)snprintf(out + k, n - k, ", %s", b->name);
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int fail(char *err, size_t errlen, const ls_lesson *l, ls_loc loc, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "%s:%d:%d: ", l->path ? l->path : "lesson", loc.line, loc.col);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

/* One example's shape as the data delivers it. */
static nn_shape data_shape(const ls_lesson *l)
{
    if (l->data.resize_h > 0)
        return nn_shape3(l->data.resize_h, l->data.resize_w, l->data.channels > 0 ? l->data.channels : 1);
    return nn_shape3(28, 28, 1);
}

static int add_input(nn_model *m, nn_shape shape)
{
    nn_layer_cfg c = nn_layer_cfg_default(NN_INPUT);
    c.shape = shape;
    return nn_model_add(m, &c, NULL, 0);
}

/* Index of the layer an input name means, among layers built so far: a layer name, or
 * an earlier base's name (its last layer). -1 if none. */
static int resolve(const nn_model *m, const ls_lesson *l, int upto, const char *name,
                   const int *first, const int *count)
{
    int i = nn_model_find(m, name);
    if (i >= 0)
        return i;
    for (int j = 0; j < upto; j++)
        if (l->decls[j].kind == LS_DECL_BASE && !strcmp(l->decls[j].name, name) && count[j] > 0)
            return first[j] + count[j] - 1;
    return -1;
}

static int expand_base(nn_model *m, const ls_lesson *l, const ls_decl *d, int input,
                       bool *unavailable, char *err, size_t errlen)
{
    base_builder fn = NULL;
    bool known = false;
    for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++)
        if (!strcmp(builders[i].name, d->base)) {
            fn = builders[i].fn;
            known = true;
        }
    const nn_base_info *app = nn_base_find(d->base);
    if (!fn && !app) {
        char known_list[256];
        base_list(known_list, sizeof known_list);
        *unavailable = known;
        return fail(err, errlen, l, d->loc, "the base '%s' is %s%s%s", d->base,
                    known ? "not available in this build of dropscope yet" : "unknown (known: ", known ? "" : known_list,
                    known ? "" : ")");
    }
    nn_shape in = m->layers[input]->out_shape;
    if (d->cfg.shape.rank > 0 && !nn_shape_equal(d->cfg.shape, in)) {
        char a[64], b[64];
        return fail(err, errlen, l, d->loc, "the base '%s' has input_shape %s but its input '%s' outputs %s",
                    d->name, nn_shape_str(d->cfg.shape, false, a, sizeof a), m->layers[input]->name,
                    nn_shape_str(in, false, b, sizeof b));
    }
    nn_model *s = nn_model_create(d->base);
    bool *need = NULL;
    int *map = NULL, *ins = NULL;
    int rc = -1;
    if (!s) {
        fail(err, errlen, l, d->loc, "out of memory");
        goto done;
    }
    nn_base_opts opts = {d->pooling, d->alpha};
    int last = add_input(s, in) < 0 ? -1 : fn ? fn(s, 0, d->cut[0] ? d->cut : NULL) : app->build(s, 0, &opts);
    if (last < 0) {
        fail(err, errlen, l, d->loc, "base '%s': %s", d->base, nn_model_error(s));
        goto done;
    }
    int cut = last;
    if (d->cut[0]) {
        cut = nn_model_find(s, d->cut);
        if (cut < 0) {
            fail(err, errlen, l, d->loc, "the base '%s' has no layer named '%s' to cut at (its layers run from '%s' to '%s')",
                 d->base, d->cut, s->n_layers > 1 ? s->layers[1]->name : "?", s->layers[s->n_layers - 1]->name);
            goto done;
        }
        if (cut == 0) {
            fail(err, errlen, l, d->loc, "cutting the base '%s' at its input leaves no layers", d->base);
            goto done;
        }
    }
    need = calloc((size_t)s->n_layers, sizeof *need);
    map = malloc(sizeof *map * (size_t)s->n_layers);
    ins = malloc(sizeof *ins * 64);
    if (!need || !map || !ins) {
        fail(err, errlen, l, d->loc, "out of memory");
        goto done;
    }
    /* the layers the cut layer depends on (inputs always precede their users) */
    need[cut] = true;
    for (int i = cut; i > 0; i--)
        if (need[i])
            for (int k = 0; k < s->layers[i]->n_inputs; k++)
                need[s->layers[i]->inputs[k]] = true;
    int from = 0; /* trainable_from: the layers before it are frozen */
    if (d->trainable_from[0] && (from = nn_model_find(s, d->trainable_from)) < 1) {
        fail(err, errlen, l, d->loc, "the base '%s' has no layer named '%s' to train from", d->base, d->trainable_from);
        goto done;
    }
    map[0] = input;
    for (int i = 1; i <= cut; i++) {
        if (!need[i])
            continue;
        const nn_layer *ly = s->layers[i];
        nn_layer_cfg c = ly->cfg;
        c.name = ly->name;
        if (d->frozen || i < from)
            c.trainable = false;
        if (d->cfg.training != NN_TRAIN_FOLLOW) /* base(x, training=...) reaches every layer */
            c.training = d->cfg.training;
        int n = ly->n_inputs > 64 ? 64 : ly->n_inputs;
        for (int k = 0; k < n; k++)
            ins[k] = map[ly->inputs[k]];
        map[i] = nn_model_add(m, &c, ins, n);
        if (map[i] < 0) {
            fail(err, errlen, l, d->loc, "base '%s': %s", d->name, nn_model_error(m));
            goto done;
        }
    }
    rc = 0;
done:
    free(need);
    free(map);
    free(ins);
    nn_model_destroy(s);
    return rc;
}

/* The message when a declared input names no earlier layer. */
static int bad_input(const ls_lesson *l, int di, int k, const ls_loc *input_locs, char *err,
                     size_t errlen)
{
    const ls_decl *d = &l->decls[di];
    ls_loc at = input_locs ? input_locs[di * LS_MAX_INPUTS + k] : d->loc;
    const char *name = d->inputs[k];
    for (int j = di; j < l->n_decls; j++)
        if (!strcmp(l->decls[j].name, name))
            return fail(err, errlen, l, at,
                        "'%s' is defined %s, at line %d: a layer takes inputs only from layers above it, so the model cannot have cycles",
                        name, j == di ? "by this very line" : "later", l->decls[j].loc.line);
    return fail(err, errlen, l, at,
                "no layer named '%s' above this line (a layer takes inputs only from layers above it, so the model cannot have cycles)",
                name);
}

nn_model *ls_lesson_build_model_ex(const ls_lesson *l, const ls_loc *input_locs, int *first,
                                   int *count, bool *unavailable, char *err, size_t errlen)
{
    *unavailable = false;
    if (err && errlen)
        err[0] = '\0';
    if (l->n_decls == 0) {
        fail(err, errlen, l, (ls_loc){1, 1}, "the lesson declares no model");
        return NULL;
    }
    nn_model *m = nn_model_create(l->model_name[0] ? l->model_name : l->model_sequential ? "sequential" : "model");
    if (!m) {
        fail(err, errlen, l, (ls_loc){1, 1}, "out of memory");
        return NULL;
    }
    for (int i = 0; i < l->n_decls; i++) {
        const ls_decl *d = &l->decls[i];
        first[i] = -1;
        count[i] = 0;
        /* Keras's Sequential starts from an implicit Input: the first layer's
         * input_shape, a base's input_shape, else the data's shape */
        if (i == 0 && !(d->kind == LS_DECL_LAYER && d->cfg.type == NN_INPUT)) {
            nn_shape s = d->cfg.shape.rank > 0 ? d->cfg.shape : data_shape(l);
            if (add_input(m, s) < 0) {
                fail(err, errlen, l, d->loc, "%s", nn_model_error(m));
                goto fail;
            }
        }
        int start = m->n_layers;
        int ins[LS_MAX_INPUTS];
        int n_in = 0;
        bool is_input = d->kind == LS_DECL_LAYER && d->cfg.type == NN_INPUT;
        if (!is_input) {
            if (d->n_inputs == 0) {
                ins[n_in++] = m->n_layers - 1;
            } else {
                for (int k = 0; k < d->n_inputs && k < LS_MAX_INPUTS; k++) {
                    ins[n_in] = resolve(m, l, i, d->inputs[k], first, count);
                    if (ins[n_in] < 0) {
                        bad_input(l, i, k, input_locs, err, errlen);
                        goto fail;
                    }
                    n_in++;
                }
            }
        }
        if (d->kind == LS_DECL_BASE) {
            if (n_in != 1) {
                fail(err, errlen, l, d->loc, "a base takes one input");
                goto fail;
            }
            if (expand_base(m, l, d, ins[0], unavailable, err, errlen) < 0)
                goto fail;
        } else {
            nn_layer_cfg c = d->cfg;
            c.name = d->name[0] ? d->name : NULL;
            c.trainable = c.trainable && !d->frozen;
            if (!is_input)
                c.shape.rank = 0; /* a first layer's input_shape went to the Input */
            if (nn_model_add(m, &c, is_input ? NULL : ins, is_input ? 0 : n_in) < 0) {
                fail(err, errlen, l, d->loc, "%s", nn_model_error(m));
                goto fail;
            }
        }
        first[i] = start;
        count[i] = m->n_layers - start;
    }
    return m;
fail:
    nn_model_destroy(m);
    return NULL;
}

nn_model *ls_lesson_build_model(const ls_lesson *l, char *err, size_t errlen)
{
    int n = l->n_decls > 0 ? l->n_decls : 1;
    int *first = malloc(sizeof(int) * 2 * (size_t)n);
    if (!first) {
        fail(err, errlen, l, (ls_loc){1, 1}, "out of memory");
        return NULL;
    }
    bool unavailable;
    nn_model *m = ls_lesson_build_model_ex(l, NULL, first, first + n, &unavailable, err, errlen);
    free(first);
    return m;
}

int ls_lesson_find_layers(const ls_lesson *l, const nn_model *m, const char *name, int *first,
                          int *count)
{
    int i = nn_model_find(m, name);
    if (i >= 0) {
        *first = i;
        *count = 1;
        return 0;
    }
    int bases = 0, last = -1;
    for (int j = 0; j < l->n_decls; j++) {
        const ls_decl *d = &l->decls[j];
        if (d->kind != LS_DECL_BASE)
            continue;
        bases++;
        last = j;
        if (!strcmp(d->name, name) && d->layer_count > 0) {
            *first = d->layer_first;
            *count = d->layer_count;
            return 0;
        }
    }
    if (bases == 1 && !strcmp(name, "base") && l->decls[last].layer_count > 0) {
        *first = l->decls[last].layer_first;
        *count = l->decls[last].layer_count;
        return 0;
    }
    return -1;
}

int ls_lesson_nested_groups(const ls_lesson *l, nn_summary_group *g, int cap)
{
    int n = 0;
    for (int i = 0; i < l->n_decls; i++) {
        const ls_decl *d = &l->decls[i];
        if (!d->nested[0] || d->layer_first < 0 || d->layer_count <= 0)
            continue;
        int last = d->layer_first + d->layer_count - 1;
        if (n > 0 && d->kind == LS_DECL_LAYER && !strcmp(g[n - 1].name, d->nested) &&
            g[n - 1].last + 1 == d->layer_first) {
            g[n - 1].last = last;
            continue;
        }
        if (n == cap)
            break;
        g[n++] = (nn_summary_group){d->layer_first, last, d->nested,
                                    d->kind == LS_DECL_BASE ? "Functional" : "Sequential"};
    }
    return n;
}
