/* The lesson's sections: data, compile, fit and model (layers and bases). */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "lesson/parse_internal.h"
#include "engine/bases.h"
#include "lesson/vocab.h"

/* ------------------------------------------------------------------------------------ */
/* Sections */

const char *const lsp_section_kws[] = {"title", "summary", "data", "model", "compile", "fit", "step", "notes", NULL};

int lsp_section_kw(const parser *p, const tok *t)
{
    for (int i = 0; lsp_section_kws[i]; i++)
        if (is_kw(p, t, lsp_section_kws[i]))
            return i;
    return -1;
}

/* Fails unless key (bit k) is new in the current section. */
static void key_once(parser *p, const tok *key, int k, const char *sec)
{
    if (p->keys_seen & (1u << k))
        FAIL_TOK(p, key, "'%.*s' is given twice in '%s'", key->len, ttext(p, key), sec);
    p->keys_seen |= 1u << k;
}

/* ---- data ---- */

/* The class names as a sentence writes them ("trouser", "ankle boot", but "T-shirt/top"):
 * the dataset's names with the first letter lowered unless the second is not a letter.
 * Lesson messages have always printed them so. */
typedef struct {
    char name[DS_FMNIST_CLASSES][16];
    const char *word[DS_FMNIST_CLASSES + 1];
} fashion_words;

static const char *const fashion_names[DS_FMNIST_CLASSES] = DS_FMNIST_CLASS_NAMES;

static void fashion_words_init(fashion_words *w)
{
    for (int i = 0; i < DS_FMNIST_CLASSES; i++) {
        const char *s = fashion_names[i];
        snprintf(w->name[i], sizeof w->name[i], "%s", s);
        if (is_alpha((unsigned char)s[1]))
            w->name[i][0] = (char)lower((unsigned char)s[0]);
        w->word[i] = w->name[i];
    }
    w->word[DS_FMNIST_CLASSES] = NULL;
}

static int fashion_class(const char *s, size_t n)
{
    char a[48], b[48];
    ls_squash(s, n, a, sizeof a);
    if (!strcmp(a, "tshirt") || !strcmp(a, "top"))
        return 0;
    if (!strcmp(a, "boot") || !strcmp(a, "ankleboots"))
        return 9;
    for (int i = 0; i < DS_FMNIST_CLASSES; i++) {
        const char *nm = fashion_names[i];
        ls_squash(nm, strlen(nm), b, sizeof b);
        if (!strcmp(a, b))
            return i;
        size_t la = strlen(a);
        if (la == strlen(b) + 1 && a[la - 1] == 's' && !strncmp(a, b, la - 1))
            return i; /* plural */
    }
    return -1;
}

/* One class: a number 0..9, a quoted name, or words up to ',', ']', ')' or the end. */
static int read_class(parser *p, bool bracketed, bool call)
{
    tok t = peek(p);
    ls_data *d = &p->l->data;
    if (t.kind == T_NUM)
        return (int)lsp_read_int(p, "a class number", "in 'classes'", 0, 9);
    const char *s;
    int n;
    if (t.kind == T_STR) {
        next(p);
        s = tstr(p, &t);
        n = t.slen;
    } else if (t.kind == T_IDENT && !call) {
        int a = t.off, b = a;
        while (b < p->line_len && p->line[b] != ',' && p->line[b] != '#' &&
               !(bracketed && p->line[b] == ']'))
            b++;
        while (b > a && is_blank((unsigned char)p->line[b - 1]))
            b--;
        s = p->line + a;
        n = b - a;
        p->pos = b;
        p->have_cur = false;
    } else if (t.kind == T_IDENT) {
        next(p);
        s = ttext(p, &t);
        n = t.len;
    } else {
        lsp_expected(p, &t, "a class name or number in 'classes'");
    }
    if (d->kind == LS_DATA_FOLDER)
        FAIL_TOK(p, &t, "classes of an image folder are given by number (0, 1, ...)");
    int c = fashion_class(s, (size_t)n);
    if (c < 0) {
        fashion_words w;
        fashion_words_init(&w);
        char sg[80], list[200] = "";
        for (int i = 0; i < DS_FMNIST_CLASSES; i++) {
            size_t k = strlen(list);
            snprintf(list + k, sizeof list - k, "%s%d %s", i ? ", " : "", i, w.word[i]);
        }
        FAIL_TOK(p, &t, "'%.*s' is not a Fashion-MNIST class%s (classes: %s)", n > 40 ? 40 : n, s,
                 suggest(sg, sizeof sg, s, (size_t)n, w.word), list);
    }
    return c;
}

static void read_classes(parser *p, bool call)
{
    ls_data *d = &p->l->data;
    tok t0 = peek(p);
    bool br = is_punct(&t0, '[') || is_punct(&t0, '(');
    int close = is_punct(&t0, '(') ? ')' : ']';
    if (br)
        next(p);
    d->n_classes = 0;
    for (;;) {
        tok t = peek(p);
        if (br && is_punct(&t, close) && d->n_classes > 0)
            break;
        int c = read_class(p, br, call);
        for (int i = 0; i < d->n_classes; i++)
            if (d->classes[i] == c) {
                fashion_words w;
                fashion_words_init(&w);
                FAIL_TOK(p, &t, "class %d (%s) is listed twice", c, w.word[c]);
            }
        if (d->n_classes == LS_MAX_CLASSES)
            FAIL_TOK(p, &t, "at most %d classes", LS_MAX_CLASSES);
        d->classes[d->n_classes++] = c;
        tok u = peek(p);
        if (!is_punct(&u, ','))
            break;
        if (!br && call)
            break; /* fit(classes=a, train=...): one class without brackets */
        next(p);
    }
    if (br) {
        char w[32];
        snprintf(w, sizeof w, "',' or '%c' in 'classes'", close);
        tok u = peek(p);
        if (!is_punct(&u, close))
            lsp_expected(p, &u, w);
        next(p);
    }
    if (d->n_classes < 2)
        FAIL_TOK(p, &t0, "a classifier needs at least two classes, found %d", d->n_classes);
}

static const char *const data_keys[] = {"classes", "train", "val", "test", "resize", "dir", "validation", NULL};

static long read_split(parser *p, const char *what, const char *ctx, const char *zero_word)
{
    tok t = peek(p);
    if (t.kind == T_IDENT && (is_kw(p, &t, zero_word) || is_kw(p, &t, "all") || is_kw(p, &t, "none"))) {
        if (!is_kw(p, &t, zero_word))
            FAIL_TOK(p, &t, "%s can be a number or '%s'", what, zero_word);
        next(p);
        return 0;
    }
    return lsp_read_int(p, what, ctx, 0, MAX_SPLIT);
}

/* Index of key among a section's keys; else fails with the ones to suggest (known, which
 * leaves out the old spellings). */
static int setting_index(parser *p, const tok *key, const char *const *keys, const char *sec, const char *known)
{
    for (int i = 0; keys[i]; i++)
        if (is_kw(p, key, keys[i]))
            return i;
    char sg[80];
    FAIL_TOK(p, key, "unknown %s setting '%.*s'%s (known: %s)", sec, key->len > 40 ? 40 : key->len, ttext(p, key),
             suggest(sg, sizeof sg, ttext(p, key), (size_t)key->len, keys), known);
}

void lsp_data_key(parser *p, const tok *key, bool call)
{
    ls_data *d = &p->l->data;
    int k = setting_index(p, key, data_keys, "data", "classes, train, val, test, resize, dir");
    if (k == 6)
        k = 2;
    key_once(p, key, k, "data");
    char ctx[64];
    snprintf(ctx, sizeof ctx, "after '%.*s'", key->len > 40 ? 40 : key->len, ttext(p, key));
    switch (k) {
    case 0: read_classes(p, call); break;
    case 1: d->train = (int)read_split(p, "the train size", ctx, "all"); break;
    case 2:
        d->val_loc = tloc(p, key);
        d->val = (int)read_split(p, "the validation size", ctx, "none");
        break;
    case 3: d->test = (int)read_split(p, "the test size", ctx, "all"); break;
    case 4: {
        d->resize_loc = tloc(p, key);
        tok t = peek(p);
        int v[3];
        int n = lsp_read_ints(p, "the resize shape", ctx, v, 3, 1, 1024);
        if (n != 3)
            FAIL_TOK(p, &t, "resize needs height x width x channels, e.g. 150x150x3");
        if (v[2] != 1 && v[2] != 3)
            FAIL_TOK(p, &t, "images have 1 (grey) or 3 (RGB) channels, found %d", v[2]);
        d->resize_h = v[0];
        d->resize_w = v[1];
        d->channels = v[2];
        break;
    }
    case 5: {
        tok t = peek(p);
        if (t.kind != T_STR || t.slen == 0)
            lsp_expected(p, &t, "a quoted folder, e.g. dir \"/usr/share/datasets/fashion-mnist\"");
        next(p);
        char *dir = lsp_xstrndup(p, tstr(p, &t), (size_t)t.slen);
        free(d->dir);
        d->dir = dir;
        break;
    }
    }
}

/* ---- compile ---- */

/* The optimizers' lesson names in nn_opt_kind order, NULL-terminated. */
static void optimizer_words(const char **out)
{
    for (int i = 0; i < LS_VOCAB_OPTIMIZERS; i++)
        out[i] = ls_vocab_optimizers[i].name;
    out[LS_VOCAB_OPTIMIZERS] = NULL;
}

typedef struct {
    nn_optimizer_cfg *o;
    unsigned seen;
} opt_ctx;

static void opt_arg(parser *p, void *vctx, const tok *key, int pos, const char *where)
{
    opt_ctx *oc = vctx;
    nn_optimizer_cfg *o = oc->o;
    const ls_vocab_optimizer *v = &ls_vocab_optimizers[o->kind];
    const char *const *names = v->lesson_args;
    tok at = key ? *key : peek(p);
    const char *nm = names[lsp_arg_index(p, key, pos, v->keras, names, v->lesson_pos, &oc->seen)];
    if (!strcmp(nm, "learning_rate") || !strcmp(nm, "lr")) {
        bool alias = !strcmp(nm, "lr");
        if (p->lr_given || p->learning_rate_given)
            FAIL_TOK(p, &at, "the learning rate is given twice; write learning_rate= (or the old lr=) once");
        p->lr_given = alias;
        p->learning_rate_given = !alias;
        tok t = peek(p);
        double v = lsp_read_number(p, where);
        if (!(v > 0 && v <= 1e6))
            FAIL_TOK(p, &t, "the learning rate must be above 0 (and at most 1e6), found '%.*s'", t.len,
                     ttext(p, &t));
        o->lr = (float)v;
        p->l->compile.lr_alias = alias;
        p->l->compile.lr_loc = tloc(p, &at);
    } else if (!strcmp(nm, "momentum")) {
        o->momentum = (float)lsp_read_real(p, "momentum", where, 0, 1);
    } else if (!strcmp(nm, "decay")) {
        o->decay = (float)lsp_read_real(p, "decay", where, 0, 1e6);
    } else if (!strcmp(nm, "initial_accumulator_value")) {
        o->initial_accumulator = (float)lsp_read_real(p, "initial_accumulator_value", where, 0, 1e6);
    } else if (!strcmp(nm, "rho")) {
        o->rho = (float)lsp_read_real(p, "rho", where, 0, 1);
    } else if (!strcmp(nm, "epsilon")) {
        o->eps = (float)lsp_read_real(p, "epsilon", where, 0, 1);
    } else if (!strcmp(nm, "nesterov")) {
        o->nesterov = lsp_read_bool(p, where);
    } else if (!strcmp(nm, "beta_1")) {
        tok t = peek(p);
        o->beta1 = (float)lsp_read_real(p, "beta_1", where, 0, 1);
        if (o->beta1 >= 1)
            FAIL_TOK(p, &t, "beta_1 must be below 1");
    } else if (!strcmp(nm, "beta_2")) {
        tok t = peek(p);
        o->beta2 = (float)lsp_read_real(p, "beta_2", where, 0, 1);
        if (o->beta2 >= 1)
            FAIL_TOK(p, &t, "beta_2 must be below 1");
    } else { /* centered, amsgrad */
        tok t = peek(p);
        if (lsp_read_bool(p, where))
            FAIL_TOK(p, &t, "%s=True is not supported; dropscope implements %s=False", nm, nm);
    }
}

static void read_optimizer(parser *p, const char *ctx)
{
    tok t = peek(p);
    const char *s = NULL;
    int n = 0;
    if (t.kind == T_IDENT) {
        /* tf.keras.optimizers.RMSprop */
        static const char *const quals[] = {"tf", "keras", "optimizers", "legacy", NULL};
        for (;;) {
            tok u = peek2(p);
            if (!is_punct(&u, '.'))
                break;
            bool q = false;
            for (int i = 0; quals[i]; i++)
                q |= is_kw(p, &t, quals[i]);
            if (!q)
                FAIL_TOK(p, &t, "unknown module '%.*s' (write RMSprop(...), optimizers.RMSprop(...) or tf.keras.optimizers.RMSprop(...))",
                         t.len > 40 ? 40 : t.len, ttext(p, &t));
            next(p);
            next(p);
            t = peek(p);
            if (t.kind != T_IDENT)
                lsp_expected(p, &t, "an optimizer name after '.'");
        }
    }
    const char *words[LS_VOCAB_OPTIMIZERS + 1];
    char list[64];
    optimizer_words(words);
    lsp_join(list, sizeof list, words, -1);
    if (!tword(p, &t, &s, &n)) {
        char w[192];
        snprintf(w, sizeof w, "an optimizer (%s) %s", list, ctx);
        lsp_expected(p, &t, w);
    }
    int kind = -1;
    for (int i = 0; words[i]; i++)
        if (eq_nocase(s, (size_t)n, words[i]))
            kind = i;
    if (kind < 0) {
        char sg[80];
        FAIL_TOK(p, &t, "unknown optimizer '%.*s'%s (known: %s)", n > 40 ? 40 : n, s,
                 suggest(sg, sizeof sg, s, (size_t)n, words), list);
    }
    next(p);
    ls_compile *c = &p->l->compile;
    c->opt = nn_optimizer_default((nn_opt_kind)kind);
    c->lr_alias = false;
    p->lr_given = p->learning_rate_given = false;
    tok u = peek(p);
    if (t.kind == T_IDENT && is_punct(&u, '(')) {
        next(p);
        opt_ctx oc = {&c->opt, 0};
        lsp_parse_call(p, ls_vocab_optimizers[kind].keras, opt_arg, &oc);
    }
}

/* The losses a lesson knows (their names, NULL-terminated; their entries in vocab). */
static int loss_words(const char **out, const ls_vocab_loss **entry)
{
    int n = 0;
    for (int i = 0; i < LS_VOCAB_LOSSES; i++)
        if (ls_vocab_losses[i].lesson) {
            entry[n] = &ls_vocab_losses[i];
            out[n++] = ls_vocab_losses[i].name;
        }
    out[n] = NULL;
    return n;
}

static void read_loss(parser *p, const char *ctx)
{
    tok t = peek(p);
    const char *s = NULL;
    int n = 0;
    const char *words[LS_VOCAB_LOSSES + 1];
    const ls_vocab_loss *entry[LS_VOCAB_LOSSES];
    char list[64];
    int nw = loss_words(words, entry);
    lsp_join(list, sizeof list, words, -1);
    if (!tword(p, &t, &s, &n)) {
        char w[224];
        snprintf(w, sizeof w, "a loss (%s) %s", list, ctx);
        lsp_expected(p, &t, w);
    }
    int k = -1;
    for (int i = 0; i < nw; i++)
        if (eq_nocase(s, (size_t)n, entry[i]->name) || eq_nocase(s, (size_t)n, entry[i]->keras))
            k = i;
    if (k < 0) {
        char sg[80];
        FAIL_TOK(p, &t, "unknown loss '%.*s'%s (known: %s)", n > 40 ? 40 : n, s,
                 suggest(sg, sizeof sg, s, (size_t)n, words), list);
    }
    next(p);
    tok u = peek(p);
    p->l->compile.from_logits = false;
    if (t.kind == T_IDENT && is_punct(&u, '(')) { /* BinaryCrossentropy() or (from_logits=True) */
        next(p);
        tok v = peek(p), v2 = peek2(p);
        if (is_kw(p, &v, "from_logits") && is_punct(&v2, '=')) {
            next(p);
            next(p);
            p->l->compile.from_logits = lsp_read_bool(p, "after 'from_logits='");
        }
        lsp_expect_punct(p, ')', "')' (the loss takes only from_logits= here)");
    }
    p->l->compile.loss = entry[k]->kind;
    p->loss_given = true;
}

static void read_metrics(parser *p, const char *ctx)
{
    tok t = peek(p);
    bool br = is_punct(&t, '[') || is_punct(&t, '(');
    int close = is_punct(&t, '(') ? ')' : ']';
    if (br) {
        next(p);
        tok u = peek(p);
        if (is_punct(&u, close)) {
            next(p);
            p->l->compile.accuracy = false;
            return;
        }
    }
    static const char *const metrics[] = {"accuracy", "acc", "none", NULL};
    tok m = peek(p);
    int k = lsp_read_choice(p, "metric", ctx, metrics);
    if (k == 2 && br)
        FAIL_TOK(p, &m, "write 'metrics none' or 'metrics []' for no metrics");
    p->l->compile.accuracy = k != 2;
    if (br) {
        tok u = peek(p);
        if (is_punct(&u, ','))
            FAIL_TOK(p, &u, "only one metric is supported: accuracy");
        char w[40];
        snprintf(w, sizeof w, "'%c' after the metrics", close);
        lsp_expect_punct(p, close, w);
    }
}

static void read_profile(parser *p, const char *ctx)
{
    tok t = peek(p);
    const char *s;
    int n;
    if (t.kind == T_NUM) {
        s = ttext(p, &t);
        n = t.len;
    } else if (t.kind == T_STR) {
        s = tstr(p, &t);
        n = t.slen;
    } else {
        char w[160];
        snprintf(w, sizeof w, "a Keras version (2.0, 2.2, 2, 2.11 or 3) %s", ctx);
        lsp_expected(p, &t, w);
    }
    next(p);
    int major = 0, minor = -1, i = 0;
    while (i < n && is_digit(s[i]) && major < 100)
        major = major * 10 + (s[i++] - '0');
    if (i < n && s[i] == '.') {
        i++;
        minor = 0;
        int d0 = i;
        while (i < n && is_digit(s[i]) && minor < 100)
            minor = minor * 10 + (s[i++] - '0');
        if (i == d0)
            minor = 999;
    }
    if (i == n && major == 3 && minor < 100) {
        p->l->compile.profile = LS_KERAS_3;
        return;
    }
    if (i != n || major != 2 || minor > 15 || minor == 1 || minor == 3)
        FAIL_TOK(p, &t, "unsupported Keras version '%.*s'; profiles: 2.0 (Keras 2.0-2.1.2 on TF 1.x), 2.2 (Keras 2.1.3-2.2 on TF 1.x), "
                 "2 (TF 2.4-2.10), 2.11 (TF 2.11-2.15) and 3", n > 20 ? 20 : n, s);
    p->l->compile.profile = minor == 0 ? LS_KERAS_2_0 : minor == 2 ? LS_KERAS_2_2 : minor >= 11 ? LS_KERAS_TF211 : LS_KERAS_2;
}

static const char *const compile_keys[] = {"optimizer", "loss", "metrics", "keras", NULL};

void lsp_compile_key(parser *p, const tok *key, bool call)
{
    (void)call;
    int k = setting_index(p, key, compile_keys, "compile", "optimizer, loss, metrics, keras");
    key_once(p, key, k, "compile");
    char ctx[64];
    snprintf(ctx, sizeof ctx, "after '%s'", compile_keys[k]);
    switch (k) {
    case 0: read_optimizer(p, ctx); break;
    case 1: read_loss(p, ctx); break;
    case 2: read_metrics(p, ctx); break;
    case 3: read_profile(p, ctx); break;
    }
}

/* ---- fit ---- */

static const char *const fit_keys[] = {"batch", "batch_size", "seed", "validate", "validate_every", NULL};

void lsp_fit_key(parser *p, const tok *key, bool call)
{
    ls_fit *f = &p->l->fit;
    if (is_kw(p, key, "epochs")) /* not a fit key */
        FAIL_TOK(p, key, "lessons count steps, not epochs: use 'run N steps' in a step");
    int k = setting_index(p, key, fit_keys, "fit", "batch_size, seed, validate_every");
    int slot = k == 1 ? 0 : k == 4 ? 3 : k;
    key_once(p, key, slot, "fit");
    char ctx[64];
    snprintf(ctx, sizeof ctx, "after '%s'", fit_keys[k]);
    switch (k) {
    case 0:
    case 1: f->batch = (int)lsp_read_int(p, "the batch size", ctx, 1, MAX_BATCH); break;
    case 2: {
        tok t = peek(p);
        if (t.kind != T_NUM || !t.is_int || t.neg || t.big)
            lsp_expected(p, &t, "a whole number from 0 to 18446744073709551615 after 'seed'");
        next(p);
        f->seed = t.mag;
        break;
    }
    case 3:
    case 4: {
        tok t = peek(p);
        if (k == 3 && !call && is_kw(p, &t, "never")) {
            next(p);
            f->validate_every = 0;
            break;
        }
        if (k == 3 && !call && is_kw(p, &t, "every"))
            next(p);
        f->validate_every = (int)lsp_read_int(p, "steps between validations", ctx, 0, MAX_RUN);
        t = peek(p);
        if (k == 3 && !call && (is_kw(p, &t, "steps") || is_kw(p, &t, "step")))
            next(p);
        break;
    }
    }
}

/* ---- section in call form: data fashion_mnist(...), compile(...), fit(...) ---- */

static void section_arg(parser *p, void *ctx, const tok *key, int pos, const char *where)
{
    (void)pos;
    (void)where;
    key_fn fn = *(key_fn *)ctx;
    if (!key) {
        tok t = peek(p);
        FAIL_TOK(p, &t, "write key=value inside the parentheses (e.g. batch_size=20)");
    }
    fn(p, key, true);
}

/* model Sequential(name="...") / Model(name="..."): the name summary() prints. */
void lsp_model_key(parser *p, const tok *key, bool call)
{
    (void)call;
    if (!is_kw(p, key, "name"))
        FAIL_TOK(p, key, "unknown setting '%.*s' for the model (it takes name=\"...\")", key->len > 30 ? 30 : key->len,
                 ttext(p, key));
    tok v = next(p);
    if (v.kind != T_STR || v.slen == 0)
        lsp_expected(p, &v, "the model's name as a string after 'name='");
    if (v.slen >= LS_NAME_MAX)
        FAIL_TOK(p, &v, "the model's name is longer than %d bytes", LS_NAME_MAX - 1);
    memcpy(p->l->model_name, tstr(p, &v), (size_t)v.slen);
    p->l->model_name[v.slen] = '\0';
}

void lsp_section_call(parser *p, const char *callee, key_fn fn)
{
    tok t = peek(p);
    if (is_punct(&t, '(')) {
        next(p);
        lsp_parse_call(p, callee, section_arg, &fn);
    }
}

/* ---- model ---- */

typedef struct {
    ls_decl *d;
    const ls_vocab_layer *k;
    const char *callee;         /* the class as the lesson spelled it: Conv2D or Convolution2D */
    unsigned seen;
    tok name_tok;
    bool name_kw;
    int n_a, n_b;               /* Rescaling scale/offset, Normalization mean/variance: values read */
} layer_ctx;

/* ZeroPadding2D's padding: n, (h, w) or ((top, bottom), (left, right)). */
static void read_zero_padding(parser *p, nn_layer_cfg *cfg, const char *where)
{
    tok t = peek(p), t2 = peek2(p);
    int v[2];
    if ((is_punct(&t, '(') || is_punct(&t, '[')) && (is_punct(&t2, '(') || is_punct(&t2, '['))) {
        int close = is_punct(&t, '(') ? ')' : ']';
        next(p);
        for (int axis = 0; axis < 2; axis++) {
            tok u = peek(p);
            if (lsp_read_ints(p, "padding", where, v, 2, 0, 4096) != 2)
                FAIL_TOK(p, &u, "each axis of padding is (before, after)");
            cfg->pad[2 * axis] = v[0];
            cfg->pad[2 * axis + 1] = v[1];
            if (axis == 0)
                lsp_expect_punct(p, ',', "',' between the two axes of padding");
        }
        char w[40];
        snprintf(w, sizeof w, "'%c' after the padding", close);
        lsp_expect_punct(p, close, w);
        return;
    }
    lsp_read_pair(p, "padding", where, &v[0], &v[1], 0, 4096);
    cfg->pad[0] = cfg->pad[1] = v[0];
    cfg->pad[2] = cfg->pad[3] = v[1];
}

/* Reshape's target_shape: 1 to 3 sizes, one of them may be -1. */
static void read_target_shape(parser *p, nn_layer_cfg *cfg, const char *where)
{
    tok t = peek(p);
    int d[4];
    int k = lsp_read_ints(p, "target_shape", where, d, 3, -1, MAX_DIM);
    int free_axes = 0;
    for (int i = 0; i < k; i++) {
        if (d[i] == 0)
            FAIL_TOK(p, &t, "target_shape holds sizes above 0 (and at most one -1)");
        free_axes += d[i] == -1;
    }
    if (free_axes > 1)
        FAIL_TOK(p, &t, "target_shape may hold one -1, found %d", free_axes);
    cfg->target_shape.rank = k;
    for (int i = 0; i < k; i++)
        cfg->target_shape.d[i] = d[i];
}

/* One number or a list of up to NN_MAX_COEF (one per channel); returns the count. */
static int read_coefs(parser *p, const char *what, const char *where, float *out)
{
    tok t = peek(p);
    if (!is_punct(&t, '(') && !is_punct(&t, '[')) {
        out[0] = (float)lsp_read_number(p, where);
        return 1;
    }
    int close = is_punct(&t, '(') ? ')' : ']';
    next(p);
    int k = 0;
    for (;;) {
        tok u = peek(p);
        if (is_punct(&u, close) && k > 0) {
            next(p);
            return k;
        }
        if (k == NN_MAX_COEF)
            FAIL_TOK(p, &u, "%s has at most %d values (one per channel)", what, NN_MAX_COEF);
        out[k] = (float)lsp_read_number(p, k ? "in the list" : where);
        k++;
        u = peek(p);
        if (is_punct(&u, ','))
            next(p);
        else if (!is_punct(&u, close))
            lsp_expected(p, &u, close == ')' ? "',' or ')'" : "',' or ']'");
    }
}

/* The arguments of the issue-15 layers; false when nm is not one of them. */
static bool extra_layer_arg(parser *p, layer_ctx *c, const char *nm, const char *where)
{
    nn_layer_cfg *cfg = &c->d->cfg;
    tok t = peek(p);
    bool coefs = cfg->type == NN_RESCALING || cfg->type == NN_NORMALIZATION;
    if (!coefs && cfg->type < NN_ZEROPAD2D && strcmp(nm, "depth_multiplier"))
        return false; /* BatchNormalization's scale, Conv2D's padding: the general reader's */
    if (!strcmp(nm, "padding") && cfg->type == NN_ZEROPAD2D) {
        read_zero_padding(p, cfg, where);
    } else if (!strcmp(nm, "depth_multiplier")) {
        cfg->depth_multiplier = (int)lsp_read_int(p, "depth_multiplier", where, 1, 1024);
    } else if (!strcmp(nm, "max_value")) {
        if (is_kw(p, &t, "None")) {
            next(p);
            cfg->max_value = INFINITY;
        } else {
            cfg->max_value = (float)lsp_read_real(p, "max_value", where, 0, 1e30);
        }
    } else if (!strcmp(nm, "negative_slope") || !strcmp(nm, "threshold")) {
        if (lsp_read_number(p, where) != 0.0)
            FAIL_TOK(p, &t, "ReLU's %s is not supported; dropscope implements %s=0", nm, nm);
    } else if (!strcmp(nm, "target_shape")) {
        read_target_shape(p, cfg, where);
    } else if (!strcmp(nm, "scale") || !strcmp(nm, "mean")) {
        if (!strcmp(nm, "mean") && is_kw(p, &t, "None")) {
            next(p);
            return true;
        }
        c->n_a = read_coefs(p, nm, where, cfg->coef_a);
    } else if (!strcmp(nm, "offset") || !strcmp(nm, "variance")) {
        if (!strcmp(nm, "variance") && is_kw(p, &t, "None")) {
            next(p);
            return true;
        }
        float v[NN_MAX_COEF];
        c->n_b = read_coefs(p, nm, where, v);
        memcpy(cfg->coef_b, v, sizeof v);
        for (int i = 0; !strcmp(nm, "variance") && i < c->n_b; i++)
            if (!(v[i] >= 0))
                FAIL_TOK(p, &t, "a variance is >= 0, found %g", v[i]);
    } else if (!strcmp(nm, "invert")) {
        if (lsp_read_bool(p, where))
            FAIL_TOK(p, &t, "invert=True is not supported");
    } else {
        return false;
    }
    return true;
}

/* Rescaling's scale and offset, Normalization's mean and variance, as one count of
 * per-channel values (a single value applies to every channel). */
static void finish_coefs(parser *p, layer_ctx *c, const tok *at)
{
    nn_layer_cfg *cfg = &c->d->cfg;
    if (cfg->type == NN_NORMALIZATION && (c->n_a > 0) != (c->n_b > 0))
        FAIL_TOK(p, at, "Normalization needs both mean and variance, or neither (then the weights come from a weights file)");
    if (cfg->type == NN_RESCALING && c->n_a == 0)
        FAIL_TOK(p, at, "Rescaling needs a scale, e.g. Rescaling(0.00392156862745098) for 1/255");
    int na = c->n_a, nb = cfg->type == NN_RESCALING && c->n_b == 0 ? 1 : c->n_b;
    if (na > 1 && nb > 1 && na != nb)
        FAIL_TOK(p, at, "%d and %d values per channel: give one value or one per channel for each", na, nb);
    int n = na > nb ? na : nb;
    if (cfg->type == NN_NORMALIZATION && na == 0)
        n = 0;
    for (int i = 1; i < n; i++) {
        if (na == 1)
            cfg->coef_a[i] = cfg->coef_a[0];
        if (nb == 1)
            cfg->coef_b[i] = cfg->coef_b[0];
    }
    cfg->coef_n = n;
}

/* noise_shape=(None, 1, 1, 64): Keras's tuple, batch axis first, None or a size per
 * axis (0 stands for None); the engine checks it against the input when building. */
static void read_noise_shape(parser *p, nn_layer_cfg *cfg, const char *where)
{
    tok t = next(p);
    if (!is_punct(&t, '(') && !is_punct(&t, '['))
        lsp_expected(p, &t, "a tuple such as (None, 1, 1, 64) for noise_shape");
    int close = is_punct(&t, '(') ? ')' : ']';
    cfg->noise_rank = 0;
    for (;;) {
        tok u = peek(p);
        if (is_punct(&u, close) && cfg->noise_rank > 0) {
            next(p);
            return;
        }
        if (cfg->noise_rank == NN_MAX_RANK + 1)
            FAIL_TOK(p, &u, "noise_shape has at most %d axes (the batch axis and %d more)", NN_MAX_RANK + 1,
                     NN_MAX_RANK);
        int v = 0;
        if (is_kw(p, &u, "None"))
            next(p);
        else
            v = (int)lsp_read_int(p, "noise_shape", cfg->noise_rank ? "in the tuple" : where, 1, MAX_DIM);
        cfg->noise_shape[cfg->noise_rank++] = v;
        u = peek(p);
        if (is_punct(&u, ','))
            next(p);
        else if (!is_punct(&u, close))
            lsp_expected(p, &u, close == ')' ? "',' or ')'" : "',' or ']'");
    }
}

static void layer_arg(parser *p, void *vctx, const tok *key, int pos, const char *where)
{
    layer_ctx *c = vctx;
    nn_layer_cfg *cfg = &c->d->cfg;
    int idx = lsp_arg_index(p, key, pos, c->callee, c->k->lesson_args, c->k->lesson_pos, &c->seen);
    const char *nm = c->k->lesson_args[idx];
    tok t = peek(p);
    if (extra_layer_arg(p, c, nm, where) || lsp_augment_arg(p, cfg, c->callee, nm, where))
        return;
    if (!strcmp(nm, "units")) {
        cfg->units = (int)lsp_read_int(p, "units", where, 1, MAX_UNITS);
    } else if (!strcmp(nm, "filters")) {
        cfg->filters = (int)lsp_read_int(p, "filters", where, 1, 65536);
    } else if (!strcmp(nm, "kernel_size")) {
        lsp_read_pair(p, "kernel_size", where, &cfg->kh, &cfg->kw, 1, 64);
    } else if (!strcmp(nm, "pool_size")) {
        lsp_read_pair(p, "pool_size", where, &cfg->kh, &cfg->kw, 1, 64);
    } else if (!strcmp(nm, "strides")) {
        if (is_kw(p, &t, "None") && cfg->type != NN_CONV2D) {
            next(p);
            cfg->sh = cfg->sw = 0;
        } else
            lsp_read_pair(p, "strides", where, &cfg->sh, &cfg->sw, 1, 64);
    } else if (!strcmp(nm, "padding")) {
        static const char *const pads[] = {"valid", "same", NULL};
        cfg->padding = lsp_read_choice(p, "padding", where, pads) ? NN_PAD_SAME : NN_PAD_VALID;
    } else if (!strcmp(nm, "activation")) {
        int a = lsp_read_choice(p, "activation", where, ls_vocab_activations);
        cfg->act = a == LS_VOCAB_ACTIVATIONS ? NN_ACT_LINEAR : (nn_act)a;
    } else if (!strcmp(nm, "use_bias")) {
        cfg->use_bias = lsp_read_bool(p, where);
    } else if (!strcmp(nm, "rate")) {
        cfg->rate = lsp_read_real(p, "the dropout rate", where, 0, 1);
    } else if (!strcmp(nm, "momentum")) {
        cfg->momentum = (float)lsp_read_real(p, "momentum", where, 0, 1);
    } else if (!strcmp(nm, "epsilon")) {
        double e = lsp_read_real(p, "epsilon", where, 0, 1);
        if (!(e > 0))
            FAIL_TOK(p, &t, "epsilon must be above 0");
        cfg->eps = (float)e;
    } else if (!strcmp(nm, "center")) {
        cfg->center = lsp_read_bool(p, where);
    } else if (!strcmp(nm, "scale")) {
        cfg->scale = lsp_read_bool(p, where);
    } else if (!strcmp(nm, "shape") || !strcmp(nm, "input_shape")) {
        if (!strcmp(nm, "input_shape") && p->l->n_decls > 0)
            FAIL_TOK(p, &t, "input_shape= belongs on the first layer only");
        cfg->shape = lsp_read_shape(p, nm, where);
    } else if (!strcmp(nm, "name")) {
        if (c->d->name[0])
            FAIL_TOK(p, &t, "this layer is already named '%s'", c->d->name);
        c->name_tok = lsp_read_name(p, "a layer name", where, c->d->name);
        c->name_kw = true;
    } else if (!strcmp(nm, "trainable")) {
        c->d->frozen = !lsp_read_bool(p, where);
    } else if (!strcmp(nm, "axis")) {
        long a = lsp_read_int(p, "axis", where, -4, 4);
        if (a != -1 && !(a == 3 && (cfg->type == NN_BATCHNORM || cfg->type == NN_NORMALIZATION)))
            FAIL_TOK(p, &t, "only axis=-1 (the channels) is supported");
    } else if (!strcmp(nm, "data_format")) {
        static const char *const fmts[] = {"channels_last", "channels_first", NULL};
        if (lsp_read_choice(p, "data_format", where, fmts) == 1)
            FAIL_TOK(p, &t, "dropscope is channels-last only: data_format='channels_last'");
    } else if (!strcmp(nm, "keepdims")) {
        if (lsp_read_bool(p, where))
            FAIL_TOK(p, &t, "keepdims=True is not supported");
    } else if (!strcmp(nm, "noise_shape") && !is_kw(p, &t, "None")) {
        read_noise_shape(p, cfg, where);
    } else if (!strcmp(nm, "noise_shape") || !strcmp(nm, "seed")) {
        if (!is_kw(p, &t, "None"))
            FAIL_TOK(p, &t, "%s's seed is not supported; the lesson's seed (fit: seed N) fixes every mask", c->callee);
        next(p);
    }
}

static ls_decl *add_decl(parser *p, const ls_decl *d, const tok *at)
{
    ls_lesson *l = p->l;
    if (l->n_decls >= MAX_DECLS)
        FAIL_TOK(p, at, "too many layers (at most %d)", MAX_DECLS);
    l->decls = lsp_grow(p, l->decls, l->n_decls, sizeof *l->decls);
    p->input_locs = lsp_grow(p, p->input_locs, l->n_decls, sizeof *p->input_locs * LS_MAX_INPUTS);
    l->decls[l->n_decls] = *d;
    return &l->decls[l->n_decls++];
}

/* Fails if name is already the name of one of the first n declarations. */
static void check_unique(parser *p, const char *name, const tok *at, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(p->l->decls[i].name, name) || !strcmp(p->l->decls[i].nested, name))
            FAIL_TOK(p, at, "the name '%s' is already used at line %d; layer names must be unique", name,
                     p->l->decls[i].loc.line);
}

/* `in NAME` at the end of a model line: the declaration belongs to the model NAME inside
 * the model (ls_decl.nested). A base is a model of its own; layers in a Sequential are
 * consecutive lines; NAME is no layer's name. */
static void read_nested(parser *p, int di)
{
    tok u = peek(p);
    if (!is_kw(p, &u, "in"))
        return;
    next(p);
    tok v = next(p);
    const char *s;
    int n;
    if (!tword(p, &v, &s, &n) || n == 0)
        lsp_expected(p, &v, "the name of the model inside the model after 'in' (in \"mobilenetv2_1.00_160\", in sequential)");
    if (n >= LS_NAME_MAX)
        FAIL_TOK(p, &v, "the model name after 'in' is longer than %d bytes", LS_NAME_MAX - 1);
    ls_decl *d = &p->l->decls[di];
    memcpy(d->nested, s, (size_t)n);
    d->nested[n] = '\0';
    if (d->kind == LS_DECL_LAYER && d->cfg.type == NN_INPUT)
        FAIL_TOK(p, &v, "an Input is the model's own input: it cannot be inside the model '%s'", d->nested);
    for (int i = 0; i < di; i++) {
        const ls_decl *e = &p->l->decls[i];
        if (!strcmp(e->name, d->nested))
            FAIL_TOK(p, &v, "'%s' is the name of the layer at line %d: a model inside the model needs a name of its own",
                     d->nested, e->loc.line);
        if (strcmp(e->nested, d->nested))
            continue;
        if (d->kind == LS_DECL_BASE || e->kind == LS_DECL_BASE)
            FAIL_TOK(p, &v, "the model '%s' is already the base at line %d: a base is a model of its own", d->nested,
                     e->kind == LS_DECL_BASE ? e->loc.line : d->loc.line);
        if (strcmp(p->l->decls[di - 1].nested, d->nested))
            FAIL_TOK(p, &v, "the layers in the model '%s' must be on consecutive lines (also at line %d)", d->nested,
                     e->loc.line);
    }
}

/* training=True / False / None, last in a call's parentheses (Keras's
 * layer(x, training=...)): the mode of every pass through this layer (a base: through
 * each of its layers). A constant only: a lesson has no variables. */
static bool read_training(parser *p, ls_decl *d)
{
    tok t = peek(p), t2 = peek2(p);
    if (!is_kw(p, &t, "training") || !is_punct(&t2, '='))
        return false;
    next(p);
    next(p);
    tok v = peek(p);
    if (is_kw(p, &v, "None")) {
        next(p);
        d->cfg.training = NN_TRAIN_FOLLOW;
    } else if (is_kw(p, &v, "True") || is_kw(p, &v, "False")) {
        d->cfg.training = lsp_read_bool(p, "after 'training='") ? NN_TRAIN_ALWAYS : NN_TRAIN_NEVER;
    } else {
        lsp_expected(p, &v, "True, False or None after 'training=' (a constant, as Keras's call takes it)");
    }
    lsp_expect_punct(p, ')', "')' after training=... (it comes last in the call)");
    return true;
}

/* (x), ([a, b]), (a, b), (x, training=False) or (training=True) after a layer call: its
 * inputs by name, then its training= (Keras's call arguments). */
static void read_inputs(parser *p, ls_decl *d, int di)
{
    next(p); /* '(' */
    if (read_training(p, d))
        return;
    tok t = peek(p);
    bool br = is_punct(&t, '[');
    if (br)
        next(p);
    for (;;) {
        tok u = peek(p);
        if (d->n_inputs == LS_MAX_INPUTS)
            FAIL_TOK(p, &u, "a layer takes at most %d inputs", LS_MAX_INPUTS);
        char nm[LS_NAME_MAX];
        u = lsp_read_name(p, "a layer name", d->n_inputs ? "after ','" : "as the layer's input", nm);
        memcpy(d->inputs[d->n_inputs], nm, sizeof nm);
        p->input_locs[di * LS_MAX_INPUTS + d->n_inputs] = tloc(p, &u);
        d->n_inputs++;
        /* an input must be defined above: nothing else can resolve it, so cycles are
         * impossible; names inside a base are checked when the model is built */
        tok c = peek(p);
        if (!is_punct(&c, ','))
            break;
        next(p);
        if (!br && read_training(p, d)) /* (x, training=False) */
            return;
    }
    if (br)
        lsp_expect_punct(p, ']', "',' or ']' in the list of inputs");
    tok c = peek(p);
    if (is_punct(&c, ',')) {
        next(p);
        if (read_training(p, d))
            return;
        c = peek(p);
        lsp_expected(p, &c, "training=True, False or None after the layer's inputs");
    }
    lsp_expect_punct(p, ')', "')' after the layer's inputs");
}

/* pooling= (None, 'avg', 'max') and alpha= (MobileNetV2) of the keras.applications bases. */
static void base_app_arg(parser *p, ls_decl *d, bool pooling, const char *where)
{
    tok t = peek(p);
    if (!nn_base_find(d->base))
        FAIL_TOK(p, &t, "the base '%s' takes no %s= (the keras.applications bases do)", d->base, pooling ? "pooling" : "alpha");
    if (pooling) {
        if (is_kw(p, &t, "None")) {
            next(p);
            d->pooling[0] = '\0';
            return;
        }
        static const char *const modes[] = {"avg", "max", NULL};
        int k = lsp_read_choice(p, "pooling", where, modes);
        snprintf(d->pooling, sizeof d->pooling, "%s", modes[k]);
        return;
    }
    if (strcmp(d->base, "mobilenet_v2") != 0)
        FAIL_TOK(p, &t, "alpha= belongs to mobilenet_v2, not to '%s'", d->base);
    double a = lsp_read_real(p, "alpha", where, 0, 10);
    if (!(a > 0))
        FAIL_TOK(p, &t, "alpha must be above 0 (Keras's weights exist for 0.35, 0.5, 0.75, 1.0, 1.3, 1.4)");
    d->alpha = (float)a;
}

static void base_arg(parser *p, void *vctx, const tok *key, int pos, const char *where)
{
    layer_ctx *c = vctx;
    static const char *const args[] = {"input_shape", "cut", "weights", "include_top", "trainable", "name",
                                       "trainable_from", "pooling", "alpha", NULL};
    int idx = lsp_arg_index(p, key, pos, c->d->base, args, 0, &c->seen);
    tok t = peek(p);
    switch (idx) {
    case 0: {
        c->d->cfg.shape = lsp_read_shape(p, "input_shape", where);
        if (c->d->cfg.shape.rank != 3)
            FAIL_TOK(p, &t, "a base's input_shape is (height, width, channels)");
        break;
    }
    case 1: lsp_read_name(p, "a layer name", where, c->d->cut); break;
    case 2:
        if (is_kw(p, &t, "None")) {
            next(p);
            break;
        }
        if (is_kw(p, &t, "imagenet") || (t.kind == T_STR && t.slen == 8 && !memcmp(tstr(p, &t), "imagenet", 8)))
            FAIL_TOK(p, &t, "weights='imagenet' cannot be downloaded here: give a weights folder or .h5 file, e.g. weights=\"assets/inception_v3.h5\"");
        if (t.kind != T_STR || t.slen == 0)
            lsp_expected(p, &t, "a quoted weights folder or .h5 file, e.g. weights=\"assets/fashion_cnn\"");
        next(p);
        char *w = lsp_xstrndup(p, tstr(p, &t), (size_t)t.slen);
        free(c->d->weights);
        c->d->weights = w;
        break;
    case 3:
        if (lsp_read_bool(p, where))
            FAIL_TOK(p, &t, "a base is always used without its top: include_top=False");
        break;
    case 4: c->d->frozen = !lsp_read_bool(p, where); break;
    case 5:
        if (c->name_tok.kind != T_EOL)
            FAIL_TOK(p, &t, "this base is already named '%s'", c->d->name);
        c->name_tok = lsp_read_name(p, "a name", where, c->d->name);
        break;
    case 6: lsp_read_name(p, "a layer name", where, c->d->trainable_from); break;
    case 7:
    case 8:
        base_app_arg(p, c->d, idx == 7, where);
        break;
    }
}

/* The lesson's names of the bases: the two built-in ones, then the keras.applications ones. */
#define N_BASE_NAMES 16
static const char *const *base_words(void)
{
    static const char *names[N_BASE_NAMES + 1];
    int n = 0;
    names[n++] = "fashion_cnn";
    names[n++] = "inception_v3";
    for (const nn_base_info *b = nn_base_table; b->name && n < N_BASE_NAMES; b++)
        names[n++] = b->name;
    names[n] = NULL;
    return names;
}

static void base_line(parser *p, const tok *kw)
{
    ls_decl d;
    memset(&d, 0, sizeof d);
    d.kind = LS_DECL_BASE;
    d.cfg = nn_layer_cfg_default(NN_INPUT);
    d.cfg.shape.rank = 0;
    d.loc = tloc(p, kw);
    d.layer_first = -1;
    layer_ctx c = {.d = &d};
    c.name_tok.kind = T_EOL;
    tok t = peek(p), t2 = peek2(p);
    if (t.kind == T_IDENT && (is_punct(&t2, '=') || is_punct(&t2, ':'))) {
        c.name_tok = lsp_read_name(p, "a name", "after 'base'", d.name);
        next(p);
        t = peek(p);
    }
    if (t.kind != T_IDENT && t.kind != T_STR)
        lsp_expected(p, &t, "a base (fashion_cnn, inception_v3, vgg16, resnet50, mobilenet_v2, ...) after 'base'");
    const char *s = t.kind == T_STR ? tstr(p, &t) : ttext(p, &t);
    int n = t.kind == T_STR ? t.slen : t.len;
    const char *const *base_names = base_words();
    int k = -1;
    for (int i = 0; base_names[i]; i++)
        if (eq_nocase(s, (size_t)n, base_names[i]))
            k = i;
    if (eq_nocase(s, (size_t)n, "InceptionV3"))
        k = 1;
    for (int i = 2; base_names[i] && k < 0; i++) /* Keras's class names: VGG16, MobileNetV2, ... */
        if (eq_nocase(s, (size_t)n, nn_base_find(base_names[i])->keras))
            k = i;
    if (k < 0) {
        char sg[80], list[200];
        lsp_join(list, sizeof list, base_names, -1);
        FAIL_TOK(p, &t, "unknown base '%.*s'%s (known: %s)", n > 40 ? 40 : n, s,
                 suggest(sg, sizeof sg, s, (size_t)n, base_names), list);
    }
    next(p);
    snprintf(d.base, sizeof d.base, "%s", base_names[k]);
    /* the decl is attached before its arguments are read, so a weights string parsed
     * into it is freed on error */
    ls_decl *dp = add_decl(p, &d, kw);
    int di = p->l->n_decls - 1;
    c.d = dp;
    tok u = peek(p);
    if (is_punct(&u, '(')) {
        next(p);
        char callee[48];
        snprintf(callee, sizeof callee, "%s", base_names[k]);
        lsp_parse_call(p, callee, base_arg, &c);
        dp = &p->l->decls[di];
        u = peek(p);
        if (is_punct(&u, '(')) {
            tok v = peek2(p);
            if (!is_punct(&v, ')')) {
                read_inputs(p, dp, di);
                dp = &p->l->decls[di];
                if (dp->n_inputs > 1)
                    FAIL_TOK(p, &u, "a base takes one input");
            } else {
                next(p);
                next(p);
            }
        }
    }
    u = peek(p);
    if (is_kw(p, &u, "frozen")) {
        next(p);
        dp->frozen = true;
    }
    read_nested(p, di);
    dp = &p->l->decls[di];
    lsp_expect_eol(p, "the base");
    if (!dp->name[0])
        snprintf(dp->name, sizeof dp->name, "%s", base_names[k]);
    /* unique among what came before (the new decl is the last one) */
    check_unique(p, dp->name, c.name_tok.kind != T_EOL ? &c.name_tok : &t, di);
    dp->cfg.trainable = !dp->frozen;
}

void lsp_model_line(parser *p)
{
    tok t = next(p);
    if (is_kw(p, &t, "layer")) { /* optional: layer dense_1 = Dense(...) */
        tok u = peek(p);
        if (u.kind == T_IDENT)
            t = next(p);
    }
    if (is_kw(p, &t, "base")) {
        tok u = peek(p);
        if (!is_punct(&u, '=') && !is_punct(&u, ':')) {
            base_line(p, &t);
            return;
        }
    }
    ls_decl d;
    memset(&d, 0, sizeof d);
    d.kind = LS_DECL_LAYER;
    d.layer_first = -1;
    layer_ctx c = {.d = &d};
    c.name_tok.kind = T_EOL;
    ls_loc loc = tloc(p, &t);
    tok u = peek(p);
    if (is_punct(&u, '=') || is_punct(&u, ':')) {
        if (t.len >= LS_NAME_MAX)
            FAIL_TOK(p, &t, "a layer name is %d bytes long; names may be at most %d", t.len, LS_NAME_MAX - 1);
        memcpy(d.name, ttext(p, &t), (size_t)t.len);
        d.name[t.len] = '\0';
        c.name_tok = t;
        next(p);
        t = next(p);
        if (t.kind != T_IDENT)
            lsp_expected(p, &t, "a layer such as Dense(...) after '='");
    }
    /* layers.Dense, keras.layers.Dense, tf.keras.layers.Dense */
    for (;;) {
        u = peek(p);
        if (!is_punct(&u, '.'))
            break;
        if (!is_kw(p, &t, "layers") && !is_kw(p, &t, "keras") && !is_kw(p, &t, "tf"))
            FAIL_TOK(p, &t, "unknown module '%.*s' (write Dense(...), layers.Dense(...) or tf.keras.layers.Dense(...))",
                     t.len > 40 ? 40 : t.len, ttext(p, &t));
        next(p);
        t = next(p);
        if (t.kind != T_IDENT)
            lsp_expected(p, &t, "a layer name after '.'");
    }
    const char *callee = NULL;
    const ls_vocab_layer *k = ls_vocab_layer_find(ttext(p, &t), (size_t)t.len, &callee);
    if (!k) {
        char sg[80], list[400];
        const char *words[64];
        int sec = lsp_section_kw(p, &t);
        if (sec >= 0)
            FAIL_TOK(p, &t, "'%.*s' starts a section; write it on a line of its own", t.len, ttext(p, &t));
        int nw = ls_vocab_layer_words(words, 62);
        lsp_join(list, sizeof list, words, nw);
        words[nw] = "base";
        words[nw + 1] = NULL;
        FAIL_TOK(p, &t, "unknown layer '%.*s'%s (layers: %s; or 'base')", t.len > 40 ? 40 : t.len, ttext(p, &t),
                 suggest(sg, sizeof sg, ttext(p, &t), (size_t)t.len, words), list);
    }
    c.k = k;
    c.callee = callee;
    d.cfg = nn_layer_cfg_default(k->type);
    d.cfg.drop_kind = k->drop_kind;
    d.cfg.aug_kind = k->aug_kind;
    d.loc = loc;
    u = peek(p);
    if (!is_punct(&u, '(')) {
        char w[96];
        snprintf(w, sizeof w, "'(' after '%s' (write %s(...))", callee, callee);
        lsp_expected(p, &u, w);
    }
    next(p);
    lsp_parse_call(p, callee, layer_arg, &c);
    if (k->type == NN_DENSE && !(c.seen & 1u))
        FAIL_TOK(p, &t, "Dense needs its number of units, e.g. Dense(512)");
    if (k->type == NN_CONV2D && (c.seen & 3u) != 3u)
        FAIL_TOK(p, &t, "Conv2D needs filters and kernel_size, e.g. Conv2D(32, 3)");
    if (k->type == NN_INPUT && !(c.seen & 1u))
        FAIL_TOK(p, &t, "Input needs a shape, e.g. Input(shape=(28, 28, 1))");
    if (k->type == NN_DROPOUT && !(c.seen & 1u))
        FAIL_TOK(p, &t, "%s needs a rate, e.g. %s(0.2)", callee, callee);
    if (k->type == NN_ACTIVATION && !(c.seen & 1u))
        FAIL_TOK(p, &t, "Activation needs an activation, e.g. Activation(relu)");
    if (k->type == NN_DEPTHWISE_CONV2D && !(c.seen & 1u))
        FAIL_TOK(p, &t, "DepthwiseConv2D needs a kernel_size, e.g. DepthwiseConv2D(3)");
    if (k->type == NN_SEPARABLE_CONV2D && (c.seen & 3u) != 3u)
        FAIL_TOK(p, &t, "SeparableConv2D needs filters and kernel_size, e.g. SeparableConv2D(64, 3)");
    if (k->type == NN_RESHAPE && !(c.seen & 1u))
        FAIL_TOK(p, &t, "Reshape needs a target_shape, e.g. Reshape((1, 1, 64))");
    if (k->type == NN_RESCALING || k->type == NN_NORMALIZATION)
        finish_coefs(p, &c, &t);
    if (k->type == NN_AUGMENT)
        lsp_augment_finish(p, &d.cfg, callee, c.seen, &t);
    if (d.name[0])
        check_unique(p, d.name, &c.name_tok, p->l->n_decls);
    ls_decl *dp = add_decl(p, &d, &t);
    int di = p->l->n_decls - 1;
    u = peek(p);
    if (is_punct(&u, '(')) {
        if (k->type == NN_INPUT)
            FAIL_TOK(p, &u, "an Input takes no inputs");
        read_inputs(p, dp, di);
        dp = &p->l->decls[di];
        bool joins = k->type == NN_CONCAT || k->type == NN_ADD || k->type == NN_MULTIPLY;
        if (dp->n_inputs > 1 && !joins)
            FAIL_TOK(p, &u, "%s takes one input; only Concatenate, Add and Multiply join several", callee);
    }
    u = peek(p);
    if (is_kw(p, &u, "frozen")) {
        next(p);
        dp->frozen = true;
    }
    read_nested(p, di);
    dp = &p->l->decls[di];
    char after[64];
    snprintf(after, sizeof after, "'%s(...)'", callee);
    lsp_expect_eol(p, after);
    if ((k->type == NN_CONCAT || k->type == NN_ADD || k->type == NN_MULTIPLY) && dp->n_inputs < 2)
        FAIL_TOK(p, &t, "%s joins layers: name them, e.g. %s()([a, b])", callee, callee);
    dp->cfg.trainable = !dp->frozen;
}

