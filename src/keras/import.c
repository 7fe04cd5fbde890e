/* The lesson written from a Keras script (keras.h): the compiled model's layers
 * in call order, with Keras's names (written out only where the lesson parser would
 * name a layer differently), its base cut where the script cut it, frozen where the
 * script froze it as of compile(); data standing in for the student's images; compile;
 * and steps: the model with its parameter counts, training with the frozen weights and
 * each Dropout's mask measured, inference.
 *
 * The lesson is parsed twice with the real parser: the declarations first (the model
 * it builds gives the parameter counts and sizes the steps use, and every layer's name
 * is compared with Keras's), then the whole lesson. An error the parser finds is
 * reported at the Python line that produced the lesson line. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#include "keras/keras.h"
#include "keras/internal.h"
#include "lesson/vocab.h"
#include "keras/layers.h"
#include "keras/plan.h"
#include "lesson/lesson.h"

/* ---- output with a line map ---- */

typedef struct {
    char *s;
    size_t n, cap;
    int lines;
    int *map;           /* per line (1-based): 2 ints, Python line and column (0: none) */
    int map_cap;
    bool oom;
} wbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void w_line(wbuf *w, int line, int col, const char *fmt, ...)
{
    if (w->oom)
        return;
    char tmp[8192]; /* a base line with a 4095-byte weights path fits */
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp - 1, fmt, ap);
    va_end(ap);
    if (k < 0)
        k = 0;
    if ((size_t)k >= sizeof tmp - 1)
        k = (int)sizeof tmp - 2;
    tmp[k++] = '\n';
    if (w->n + (size_t)k + 1 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8192;
        while (cap < w->n + (size_t)k + 1)
            cap *= 2;
        char *s = realloc(w->s, cap);
        if (!s) {
            w->oom = true;
            return;
        }
        w->s = s;
        w->cap = cap;
    }
    memcpy(w->s + w->n, tmp, (size_t)k);
    w->n += (size_t)k;
    w->s[w->n] = '\0';
    w->lines++;
    if (w->lines + 1 > w->map_cap) {
        int cap = w->map_cap ? w->map_cap * 2 : 256;
        int *m = realloc(w->map, sizeof *m * 2 * (size_t)cap);
        if (!m) {
            w->oom = true;
            return;
        }
        w->map = m;
        w->map_cap = cap;
    }
    w->map[2 * w->lines] = line;
    w->map[2 * w->lines + 1] = col;
}

/* ---- writing ---- */

static const char *type_word(const knode *n)
{
    return n->type == NN_INPUT ? "Input" : ka_node_class(n);
}

static void shape_str(const int *s, char *out, size_t n)
{
    snprintf(out, n, "(%d, %d, %d)", s[0], s[1], s[2]);
}

/* The call's training= after its inputs, as Keras writes it: (x, training=False), or
 * (training=False) when the input is the line above. */
static void add_training(const plan *pl, const pdecl *d, char *ins, size_t n)
{
    nn_train_mode t = NN_TRAIN_FOLLOW;
    if (d->kind == D_LAYER)
        t = pl->pg->nodes[d->node].training;
    else if (d->kind == D_BASE && !d->flat)
        t = pl->pg->bases[d->base].training;
    size_t k = strlen(ins);
    if (t == NN_TRAIN_FOLLOW || k + 20 >= n)
        return;
    if (k == 0)
        snprintf(ins, n, "(training=%s)", nn_train_mode_name(t));
    else
        snprintf(ins + k - 1, n - k + 1, ", training=%s)", nn_train_mode_name(t));
}

/* The text of a decl's line (without indentation). */
/* The name keras.applications gives the base's model (its row in Keras's summary):
 * "vgg16", "resnet50", "xception", "efficientnetb0", "inception_v3", and MobileNetV2's
 * "mobilenetv2_%0.2f_%s" % (alpha, rows). */
static void base_keras_name(const kbase *bs, char *out, size_t n)
{
    if (!strcmp(bs->keras, "MobileNetV2")) {
        snprintf(out, n, "mobilenetv2_%0.2f_%d", bs->alpha > 0 ? (double)bs->alpha : 1.0, bs->h);
        return;
    }
    if (!strcmp(bs->keras, "InceptionV3")) {
        snprintf(out, n, "inception_v3");
        return;
    }
    ka_str_lower(bs->keras, out, n);
}

static void decl_text(const plan *pl, int i, char *out, size_t n)
{
    const pdecl *d = &pl->d[i];
    const kprog *pg = pl->pg;
    char ins[700] = "";
    char shp[64];
    /* inputs, unless it is just the line above */
    if (d->kind == D_LAYER || (d->kind == D_BASE && !d->flat)) {
        const knode *nd = &pg->nodes[d->node];
        bool prev = i > 0 && nd->n_in == 1 && kp_ref_eq(nd->in[0], pl->d[i - 1].out);
        if (i == 0 && nd->n_in == 1 && pl->d[0].kind != D_INPUT)
            prev = true;
        if (!prev || (nd->kind == KN_LAYER && ka_is_merge(nd->type))) {
            size_t k = 0;
            k += (size_t)snprintf(ins + k, sizeof ins - k, "(%s", nd->n_in > 1 ? "[" : "");
            for (int j = 0; j < nd->n_in && k < sizeof ins; j++)
                k += (size_t)snprintf(ins + k, sizeof ins - k, "%s%s", j ? ", " : "", kp_ref_lesson_name(pl, nd->in[j]));
            if (k < sizeof ins)
                snprintf(ins + k, sizeof ins - k, "%s)", nd->n_in > 1 ? "]" : "");
        }
    }
    add_training(pl, d, ins, sizeof ins);
    switch (d->kind) {
    case D_INPUT:
        if (pl->vector_len)
            snprintf(shp, sizeof shp, "(%d,)", pl->vector_len);
        else
            shape_str(d->shape, shp, sizeof shp);
        if (d->explicit_name)
            snprintf(out, n, "layer %s = Input(shape=%s)", d->name, shp);
        else
            snprintf(out, n, "Input(shape=%s)", shp);
        break;
    case D_BASE: {
        const kbase *bs = &pg->bases[d->base];
        char args[4600];
        int s3[3] = {bs->h, bs->w, bs->c};
        shape_str(s3, shp, sizeof shp);
        size_t k = (size_t)snprintf(args, sizeof args, "input_shape=%s", shp);
        if (d->cut != bs->full->n_layers - 1)
            k += (size_t)snprintf(args + k, sizeof args - k, ", cut=%s", bs->full->layers[d->cut]->name);
        if (bs->weights && k < sizeof args)
            k += (size_t)snprintf(args + k, sizeof args - k, ", weights=\"%s\"", bs->weights);
        if (d->from > 0 && k < sizeof args)
            k += (size_t)snprintf(args + k, sizeof args - k, ", trainable_from=%s", bs->full->layers[d->from]->name);
        if (bs->pooling[0] && k < sizeof args)
            k += (size_t)snprintf(args + k, sizeof args - k, ", pooling='%s'", bs->pooling);
        if (bs->alpha > 0 && k < sizeof args)
            snprintf(args + k, sizeof args - k, ", alpha=%g", (double)bs->alpha);
        char in_model[LS_NAME_MAX + 8] = "";
        if (!d->flat) { /* called as a layer: a model inside the model, as Keras names it */
            char kn[LS_NAME_MAX];
            base_keras_name(bs, kn, sizeof kn);
            snprintf(in_model, sizeof in_model, " in \"%s\"", kn);
        }
        snprintf(out, n, "base %s(%s)%s%s%s", bs->word, args, ins, d->frozen ? " frozen" : "", in_model);
        break;
    }
    default: {
        const knode *nd = &pg->nodes[d->node];
        char pre[LS_NAME_MAX + 16] = "";
        if (d->explicit_name)
            snprintf(pre, sizeof pre, "layer %s = ", d->name);
        char in_model[LS_NAME_MAX + 8] = "";
        if (nd->nested_in >= 0) /* spliced in from a Sequential called on a tensor */
            snprintf(in_model, sizeof in_model, " in \"%s\"", pg->models[nd->nested_in].name);
        snprintf(out, n, "%s%s(%s)%s%s%s", pre, type_word(nd), nd->args ? nd->args : "", ins,
                 d->frozen ? " frozen" : "", in_model);
    }
    }
}

/* The file's name for titles: its last path component, printable, without quotes. */
static void base_name(const char *path, char *out, size_t n)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    size_t k = 0;
    for (; *s && k + 8 < n; s++) {
        unsigned char c = (unsigned char)*s;
        out[k++] = (c == '"' || c == '\\') ? '_' : (char)c;
    }
    out[k] = '\0';
    ki_sanitize(out); /* control characters and invalid UTF-8 (a cut sequence too) become '?' */
    if (!k)
        snprintf(out, n, "model.py");
}

static void fmt_g(double x, char *out, size_t n)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            return;
    }
}

static void write_head(wbuf *w, plan *pl)
{
    kprog *pg = pl->pg;
    char file[200];
    base_name(pl->path, file, sizeof file);
    const kcompile *c = &pg->compile;
    w_line(w, 0, 0, "# Imported by dropscope from the Keras file %s.", file);
    w_line(w, 0, 0, "# A lesson file (docs/lesson-format.md): edit it freely; docs/keras-import.md says what is read.");
    w_line(w, 0, 0, "title \"%s, imported from Keras\"", file);
    w_line(w, 0, 0, "summary \"The model of %s as Keras builds it, trained step by step on %s.\"", file,
           pl->folder ? "the images of the folder it reads" : "Fashion-MNIST in place of your images");
    if (pg->n_notes) { /* for the window's notes, not a step's text (issue 13) */
        w_line(w, 0, 0, "notes");
        for (int i = 0; i < pg->n_notes; i++) {
            if (i)
                w_line(w, 0, 0, "  >");
            w_line(w, pg->notes[i].line, 1, "  > %s", pg->notes[i].text);
        }
    }
    w_line(w, 0, 0, "%s", "");
    if (pl->folder)
        w_line(w, pg->data_dir_line, 1, "data folder \"%s\"", pg->data_dir);
    else
        w_line(w, c->loss_line, c->loss_col, "data fashion_mnist");
    if (pl->folder) {
        /* the folder's own classes, read at the model's input size */
    } else if (pl->loss == NN_LOSS_BCE) {
        w_line(w, c->loss_line, c->loss_col, "  classes sneaker, ankle boot");
    } else {
        char cl[64] = "";
        size_t k = 0;
        for (int i = 0; i < pl->classes; i++)
            k += (size_t)snprintf(cl + k, sizeof cl - k, "%s%d", i ? ", " : "", i);
        w_line(w, c->loss_line, c->loss_col, "  classes %s", cl);
    }
    const pdecl *in = &pl->d[0];
    int iline = in->line, icol = in->col;
    if (!pl->folder && (pl->in_shape[0] != 28 || pl->in_shape[1] != 28 || pl->in_shape[2] != 1))
        w_line(w, iline, icol, "  resize %dx%dx%d", pl->in_shape[0], pl->in_shape[1], pl->in_shape[2]);
    w_line(w, 0, 0, "  train %d", pl->train);
    w_line(w, 0, 0, "  val %d", pl->val);
    if (!pl->folder)
        w_line(w, 0, 0, "  # Your own images instead: data folder \"DIR\" (one sub-folder per class), classes by number.");
    w_line(w, 0, 0, "%s", "");
    /* the kind of model and its name, as Keras's summary() prints them */
    if (pl->m->sequential && pl->m->auto_named && !strcmp(pl->m->name, "sequential"))
        w_line(w, 0, 0, "model Sequential()");
    else if (pl->m->sequential)
        w_line(w, 0, 0, "model Sequential(name=\"%s\")", pl->m->name);
    else if (strcmp(pl->m->name, "model"))
        w_line(w, 0, 0, "model Model(name=\"%s\")", pl->m->name);
    else
        w_line(w, 0, 0, "model");
    for (int i = 0; i < pl->n; i++) {
        const pdecl *d = &pl->d[i];
        if (d->kind == D_BASE) {
            const kbase *bs = &pg->bases[d->base];
            if (bs->imagenet)
                w_line(w, bs->imagenet_line, 1,
                       "  # weights='imagenet' cannot be downloaded here: the base starts from random weights (give a file: load_weights('....h5'))");
        }
        char text[8000];
        decl_text(pl, i, text, sizeof text);
        w_line(w, d->line, d->col, "  %s", text);
    }
    w_line(w, 0, 0, "%s", "");
    w_line(w, c->line, c->col, "compile%s", c->assumed ? "      # the script never compiles: Keras's defaults, chosen by dropscope" : "");
    w_line(w, c->opt_line, c->opt_col, "  optimizer %s", c->opt);
    if (c->from_logits)
        w_line(w, c->loss_line, c->loss_col, "  loss %s(from_logits=True)", ls_vocab_losses[c->loss == NN_LOSS_BCE ? 0 : 1].keras);
    else
        w_line(w, c->loss_line, c->loss_col, "  loss %s", nn_loss_name(c->loss));
    w_line(w, c->line, c->col, "  metrics %s", c->accuracy ? "accuracy" : "none");
    w_line(w, c->line, c->col, "  keras 2      # TF 2.4-2.10; 'keras 2.11' shows TF 2.11-2.15 (lr= ignored there)");
    w_line(w, 0, 0, "%s", "");
    w_line(w, pg->batch_line, 1, "fit");
    w_line(w, pg->batch_line, 1, "  batch_size %d%s", pl->batch,
           pg->batch > 0 ? "" : "      # the script does not say; Keras's fit would use 32");
    w_line(w, 0, 0, "  seed 1");
}

typedef struct {
    int decl;               /* index in pl->d */
    int layer;              /* in the built model */
    double rate;
    size_t units;           /* outputs it masks per example */
    char feeder[LS_NAME_MAX];
    size_t feeder_units;
} drop_info;

static void write_steps(wbuf *w, plan *pl, const ls_lesson *l, const nn_model *m)
{
    kprog *pg = pl->pg;
    char file[200];
    base_name(pl->path, file, sizeof file);
    /* the built model with the flags as they are now (summary's view) */
    nn_param_counts pc = nn_model_count_params(m);
    size_t tr = pc.trainable, nt = pc.non_trainable;
    int base_decl = -1;
    for (int i = 0; i < pl->n; i++)
        if (pl->d[i].kind == D_BASE)
            base_decl = i;
    int n_layers = 0;
    for (int i = 0; i < pl->n; i++)
        n_layers += pl->d[i].kind == D_LAYER;
    w_line(w, 0, 0, "%s", "");
    w_line(w, 0, 0, "step \"The model\"");
    if (base_decl >= 0) {
        const pdecl *d = &pl->d[base_decl];
        const kbase *bs = &pg->bases[d->base];
        char cut[96] = "";
        if (d->cut != bs->full->n_layers - 1)
            snprintf(cut, sizeof cut, ", cut at %s", bs->full->layers[d->cut]->name);
        w_line(w, 0, 0, "  > Imported from %s: %s (%dx%dx%d input%s) and %d layers of your own.", file, bs->keras, bs->h,
               bs->w, bs->c, cut, n_layers);
        if (d->frozen)
            w_line(w, 0, 0, "  > The base is frozen (trainable=False): its weights will not move, and its BatchNormalization layers run in inference mode.");
        else if (d->from > 0)
            w_line(w, 0, 0, "  > The base is frozen up to %s: the layers before it keep their weights (their BatchNormalization runs in inference mode); from %s on, the base trains with your layers.",
                   bs->full->layers[d->from]->name, bs->full->layers[d->from]->name);
        else
            w_line(w, 0, 0, "  > The base is not frozen: it trains with the new layers.");
        if (bs->training == NN_TRAIN_NEVER)
            w_line(w, 0, 0, "  > It is called with training=False: every BatchNormalization inside runs in inference mode, in fit too. It normalises with its moving statistics and never updates them; where the base trains, its gamma and beta still learn.");
        if (!bs->weights)
            w_line(w, 0, 0, "  > The base starts from random weights%s.",
                   bs->imagenet ? " (the imagenet weights cannot be downloaded here)" : "");
    } else {
        w_line(w, 0, 0, "  > Imported from %s: %d layers.", file, n_layers);
    }
    w_line(w, 0, 0, "  >");
    if (pl->folder)
        w_line(w, 0, 0, "  > The images of the folder \"%s\" that the script reads, one sub-folder per class.", pg->data_dir);
    else if (pl->loss == NN_LOSS_BCE)
        w_line(w, 0, 0, "  > Fashion-MNIST's sneakers and ankle boots stand in for your two classes%s.",
               pl->in_shape[0] != 28 || pl->in_shape[1] != 28 || pl->in_shape[2] != 1 ? ", resized to the model's input"
                                                                                      : "");
    else
        w_line(w, 0, 0, "  > Fashion-MNIST's first %d classes stand in for yours%s.", pl->classes,
               pl->in_shape[0] != 28 || pl->in_shape[1] != 28 || pl->in_shape[2] != 1 ? ", resized to the model's input"
                                                                                      : "");
    w_line(w, 0, 0, "  focus view graph");
    for (int i = 0; i < pl->n; i++) {
        const pdecl *d = &pl->d[i];
        if (d->frozen == d->frozen_live || (d->kind != D_BASE && d->kind != D_LAYER))
            continue;
        w_line(w, 0, 0, "  > %s was %s after compile(): Keras's summary shows it, training does not, until the model is compiled again.",
               d->name, d->frozen_live ? "frozen" : "unfrozen");
        w_line(w, 0, 0, "  %s %s without recompile", d->frozen_live ? "freeze" : "unfreeze", d->name);
    }
    w_line(w, 0, 0, "  expect total params == %zu", pc.total);
    w_line(w, 0, 0, "  expect trainable params == %zu", tr);
    w_line(w, 0, 0, "  expect non-trainable params == %zu", nt);

    /* dropouts */
    drop_info drops[64];
    int nd = 0;
    for (int i = 0; i < l->n_decls && nd < 64; i++) {
        const ls_decl *ld = &l->decls[i];
        /* one called with training=False never masks: nothing to show or expect */
        if (ld->kind != LS_DECL_LAYER || ld->cfg.type != NN_DROPOUT || ld->layer_first < 0 ||
            ld->cfg.training == NN_TRAIN_NEVER)
            continue;
        const nn_layer *ly = m->layers[ld->layer_first];
        drop_info *di = &drops[nd++];
        di->layer = ld->layer_first;
        /* the rate as written (the model holds a float) */
        di->rate = i < pl->n && pl->d[i].node >= 0 ? pg->nodes[pl->d[i].node].rate : ly->cfg.rate;
        di->units = ly->out_size;
        const nn_layer *f = ly->n_inputs > 0 ? m->layers[ly->inputs[0]] : NULL;
        snprintf(di->feeder, sizeof di->feeder, "%s", f ? f->name : "?");
        di->feeder_units = f ? f->out_size : 0;
    }
    int na = 0; /* random augmentation layers: training-only, like Dropout */
    for (int i = 0; i < m->n_layers; i++)
        na += m->layers[i]->type == NN_AUGMENT;
    w_line(w, 0, 0, "%s", "");
    w_line(w, 0, 0, "step \"Train\"");
    if (pg->compile.assumed)
        w_line(w, 0, 0, "  > Keras would refuse to fit this model: the script never compiles it. dropscope trains it as compile(optimizer='rmsprop', loss='%s') would: Keras's default optimizer, and the loss its output calls for.",
               nn_loss_name(pg->compile.loss));
    w_line(w, 0, 0, "  > 20 training steps of %d images each.%s", pl->batch,
           nd ? " Each Dropout draws a new random mask at every step." : "");
    if (na > 0)
        w_line(w, 0, 0, "  > The augmentation layers draw a new flip, angle, zoom or shift for every image at every step: the batch view shows the images as the model saw them.");
    w_line(w, 0, 0, "  focus view %s", nd ? "mask" : "metrics");
    w_line(w, 0, 0, "  run 20 steps");
    w_line(w, 0, 0, "  expect steps == 20");
    if (base_decl >= 0 && pl->d[base_decl].frozen)
        w_line(w, 0, 0, "  expect weight change of base == 0");
    if (base_decl >= 0 && !pl->d[base_decl].flat && pg->bases[pl->d[base_decl].base].training == NN_TRAIN_NEVER) {
        w_line(w, 0, 0, "  > training=False: the base's moving statistics did not move.");
        w_line(w, 0, 0, "  expect moving mean change of base == 0");
        w_line(w, 0, 0, "  expect moving variance change of base == 0");
    }
    for (int i = 0; i < pl->n; i++)
        if (pl->d[i].kind == D_LAYER && pl->d[i].frozen)
            w_line(w, 0, 0, "  expect weight change of %s == 0", pl->d[i].name);
    for (int i = 0; i < pl->n; i++)
        if (pl->d[i].kind == D_LAYER && pl->d[i].frozen_live && !pl->d[i].frozen) {
            w_line(w, 0, 0, "  > %s still trains: it was frozen after compile(), and training keeps compile's flags.",
                   pl->d[i].name);
            w_line(w, 0, 0, "  expect weight change of %s > 0", pl->d[i].name);
        }
    for (int i = 0; i < nd; i++) {
        const drop_info *di = &drops[i];
        if (!(di->rate > 0 && di->rate < 1))
            continue;
        double n = (double)di->units * pl->batch;
        double tol = 5 * sqrt(di->rate * (1 - di->rate) / (n > 0 ? n : 1));
        if (tol < 0.05)
            tol = 0.05;
        double lo = di->rate - tol, hi = di->rate + tol;
        if (lo < 0)
            lo = 0;
        if (hi > 1)
            hi = 1;
        w_line(w, 0, 0, "  expect dropped fraction of %s within %.4g..%.4g", m->layers[di->layer]->name, lo, hi);
    }
    if (nd > 0 && drops[0].rate > 0 && drops[0].rate < 1) {
        const drop_info *di = &drops[0];
        char r[32], sc[32];
        fmt_g(di->rate, r, sizeof r);
        fmt_g(1 / (1 - di->rate), sc, sizeof sc);
        w_line(w, 0, 0, "  question Which neurons does %s (Dropout(%s)) switch off?", m->layers[di->layer]->name, r);
        if (base_decl >= 0)
            w_line(w, 0, 0, "  choice Neurons of the %sbase", pl->d[base_decl].frozen ? "frozen " : "");
        w_line(w, 0, 0, "  choice All neurons of the %s", base_decl >= 0 ? "layers after the base" : "model");
        w_line(w, 0, 0, "  choice The %zu outputs of %s, the layer feeding it", di->feeder_units, di->feeder);
        w_line(w, 0, 0, "  answer %d", base_decl >= 0 ? 3 : 2);
        w_line(w, 0, 0, "  explain");
        w_line(w, 0, 0, "  > Dropout multiplies the outputs of the layer that feeds it (%s) by a fresh random 0/1 mask", di->feeder);
        w_line(w, 0, 0, "  > at each training step, scaled by 1/(1 - %s) = %s. It has no weights and touches no weights.", r, sc);
    }
    if (nd > 0 || na > 0) {
        w_line(w, 0, 0, "%s", "");
        w_line(w, 0, 0, "step \"Inference\"");
        const nn_layer *d0 = nd > 0 ? m->layers[drops[0].layer] : NULL;
        bool always = d0 && d0->cfg.training == NN_TRAIN_ALWAYS;
        if (always)
            w_line(w, 0, 0, "  > %s is called with training=True: it masks at predict and evaluate too (Monte Carlo dropout)%s.", d0->name,
                   na ? "; the augmentation is off: the images go in as they are" : "");
        else
            w_line(w, 0, 0, "  > predict and evaluate run without %s%s.", nd ? "Dropout: no mask is drawn" : "",
                   na ? (nd ? ", and without the augmentation: the images go in as they are" : "the augmentation: the images go in as they are") : "");
        w_line(w, 0, 0, "  mode inference");
        w_line(w, 0, 0, "  predict");
        if (d0)
            w_line(w, 0, 0, "  expect mask of %s %s", d0->name, always ? "active" : "inactive");
        w_line(w, 0, 0, "  mode training");
    }
}

#define PARSE_NAME "(keras import)"

/* Parses text; on an error, reports it at the Python line that wrote the lesson line. */
static ls_lesson *check_parse(const wbuf *w, const char *path, char *err, size_t errlen)
{
    char perr[1024];
    ls_lesson *l = ls_lesson_parse(PARSE_NAME, w->s, w->n, perr, sizeof perr);
    if (l)
        return l;
    int g = 0, col = 0, k = 0;
    const char *msg = perr;
    if (sscanf(perr, PARSE_NAME ":%d:%d: %n", &g, &col, &k) == 2 && k > 0)
        msg = perr + k;
    /* the lesson line itself */
    char line[160] = "";
    if (g >= 1) {
        const char *s = w->s;
        for (int i = 1; i < g && s; i++) {
            s = strchr(s, '\n');
            if (s)
                s++;
        }
        if (s) {
            const char *e = strchr(s, '\n');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            while (n && (*s == ' '))
                s++, n--;
            if (n > 100)
                n = 100;
            snprintf(line, sizeof line, "%.*s", (int)n, s);
        }
    }
    if (g >= 1 && g <= w->lines && w->map[2 * g] > 0)
        kp_efail(err, errlen, path, w->map[2 * g], w->map[2 * g + 1], "%s (in the lesson written from it: %s)", msg, line);
    else
        kp_efail(err, errlen, path, 1, 1, "the lesson written from this file does not parse: line %d (%s): %s", g, line, msg);
    return NULL;
}

/* Every layer the lesson declares carries Keras's name; the base ends where it should. */
static int check_names(const plan *pl, const ls_lesson *l, const nn_model *m, char *err, size_t errlen)
{
    int j = 0;
    for (int i = 0; i < pl->n; i++) {
        const pdecl *d = &pl->d[i];
        if (j >= l->n_decls)
            return kp_efail(err, errlen, pl->path, d->line, d->col, "internal error: the lesson lost a layer");
        const ls_decl *ld = &l->decls[j++];
        if (ld->layer_first < 0 || ld->layer_count < 1 || ld->layer_first + ld->layer_count > m->n_layers)
            return kp_efail(err, errlen, pl->path, d->line, d->col, "internal error: the lesson's model was not built");
        const char *want = d->kind == D_BASE ? pl->pg->bases[d->base].full->layers[d->cut]->name : d->name;
        const char *got = d->kind == D_BASE ? m->layers[ld->layer_first + ld->layer_count - 1]->name
                                            : m->layers[ld->layer_first]->name;
        if (strcmp(want, got))
            return kp_efail(err, errlen, pl->path, d->line, d->col,
                         "internal error: the lesson names this layer '%s' where Keras names it '%s'", got, want);
    }
    return 0;
}

char *ls_keras_import_ex(const char *path, const char *text, size_t len, char **notes, char *err, size_t errlen)
{
    if (notes)
        *notes = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!path)
        path = "model.py";
    klex lx;
    if (ki_lex(&lx, path, text, len, err, errlen) < 0)
        return NULL;
    kprog pg;
    memset(&pg, 0, sizeof pg);
    pg.path = path;
    char *out = NULL;
    plan pl;
    memset(&pl, 0, sizeof pl);
    pl.pg = &pg;
    pl.path = path;
    pl.err = err;
    pl.errlen = errlen;
    wbuf w = {0};
    ls_lesson *l = NULL, *l2 = NULL;
    nn_model *m = NULL;
    if (ki_run(&pg, &lx, path, err, errlen) < 0)
        goto done;
    if (kp_make_plan(&pl) < 0 || kp_plan_frozen(&pl) < 0 || kp_plan_data(&pl) < 0)
        goto done;
    kp_note_weights(&pg, &pl, path);
    /* notes in line order (stable) */
    for (int i = 1; i < pg.n_notes; i++) {
        knote x = pg.notes[i];
        int j = i - 1;
        while (j >= 0 && pg.notes[j].line > x.line) {
            pg.notes[j + 1] = pg.notes[j];
            j--;
        }
        pg.notes[j + 1] = x;
    }
    /* the declarations, checked and built */
    write_head(&w, &pl);
    if (w.oom) {
        kp_efail(err, errlen, path, 1, 1, "out of memory");
        goto done;
    }
    l = check_parse(&w, path, err, errlen);
    if (!l)
        goto done;
    char berr[512];
    m = ls_lesson_build_model(l, berr, sizeof berr);
    if (!m) {
        kp_efail(err, errlen, path, 1, 1, "internal error: the lesson's model does not build: %s", berr);
        goto done;
    }
    if (check_names(&pl, l, m, err, errlen) < 0)
        goto done;
    /* summary's view: the flags as they are now */
    for (int i = 0, j = 0; i < pl.n; i++, j++) {
        const pdecl *d = &pl.d[i];
        const ls_decl *ld = &l->decls[j];
        if (d->frozen != d->frozen_live)
            for (int k = ld->layer_first; k < ld->layer_first + ld->layer_count; k++)
                nn_model_set_trainable(m, k, !d->frozen_live);
    }
    write_steps(&w, &pl, l, m);
    if (w.oom) {
        kp_efail(err, errlen, path, 1, 1, "out of memory");
        goto done;
    }
    l2 = check_parse(&w, path, err, errlen);
    if (!l2)
        goto done;
    if (notes) {
        *notes = kp_notes_text(&pg, path);
        if (!*notes) {
            kp_efail(err, errlen, path, 1, 1, "out of memory");
            goto done;
        }
    }
    out = w.s;
    w.s = NULL;
done:
    ls_lesson_destroy(l);
    ls_lesson_destroy(l2);
    nn_model_destroy(m);
    free(w.s);
    free(w.map);
    kp_plan_free(&pl);
    ki_prog_free(&pg);
    ki_lex_free(&lx);
    return out;
}

char *ls_keras_import(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    return ls_keras_import_ex(path, text, len, NULL, err, errlen);
}
