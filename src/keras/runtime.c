/* The importer's runtime, under the statements (eval.c), the expressions (expr.c), the
 * Keras API (api.c) and the layers (layers.c): the arena and its values, failing with
 * path:line:col, what the current statement did (for its note), the notes themselves,
 * and the variables. It calls none of them, so each of them can call it without a loop
 * (the file order is in internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/runtime.h"

#define ARENA_MAX (64u << 20)

struct achunk {
    achunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void ki_sanitize(char *s)
{
    unsigned char *u = (unsigned char *)s;
    while (*u) {
        int k = *u < 0x80 ? 1 : (*u >= 0xC2 && *u < 0xE0) ? 2 : (*u >= 0xE0 && *u < 0xF0) ? 3 : (*u >= 0xF0 && *u < 0xF5) ? 4 : 0;
        bool ok = k > 0;
        for (int j = 1; ok && j < k; j++)
            ok = (u[j] & 0xC0) == 0x80;
        if (!ok || (k == 1 && (*u < 0x20 || *u == 0x7F))) {
            *u++ = '?';
            continue;
        }
        u += k;
    }
}

void ki_fail(kparser *p, int line, int col, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        int k = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->path, line, col);
        if (k >= 0 && (size_t)k < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
            va_end(ap);
            ki_sanitize(p->err + k);
        }
    }
    longjmp(p->jb, 1);
}

void *ki_alloc(kparser *p, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    achunk *c = p->arena;
    if (!c || c->used + n > c->cap) {
        size_t cap = n > 65536 ? n : 65536;
        if (p->arena_used + cap > ARENA_MAX)
            ki_fail(p, p->st_line > 0 ? p->st_line : 1, 1, "the script needs more memory to read than the importer allows (%u MiB)",
                    ARENA_MAX >> 20);
        c = malloc(sizeof *c + cap);
        if (!c)
            ki_fail(p, p->st_line > 0 ? p->st_line : 1, 1, "out of memory");
        c->next = p->arena;
        c->used = 0;
        c->cap = cap;
        p->arena = c;
        p->arena_used += cap;
    }
    void *r = c->data + c->used;
    c->used += n;
    memset(r, 0, n);
    return r;
}

char *ki_strdup(kparser *p, const char *s)
{
    size_t n = strlen(s);
    char *r = ki_alloc(p, n + 1);
    memcpy(r, s, n + 1);
    return r;
}

static void arena_free(kparser *p)
{
    while (p->arena) {
        achunk *n = p->arena->next;
        free(p->arena);
        p->arena = n;
    }
}

kval *ki_val(kparser *p, vkind k, int line, int col)
{
    kval *v = ki_alloc(p, sizeof *v);
    v->k = k;
    v->line = line;
    v->col = col;
    return v;
}

int ki_path_category(const char *path)
{
    static const char *const data[] = {"ImageDataGenerator", "flow_from_directory", "flow_from_dataframe",
                                       "image_dataset_from_directory", "load_data", "datasets", "tensorflow.data",
                                       "preprocessing", "load_img", "img_to_array", NULL};
    for (int i = 0; data[i]; i++)
        if (strstr(path, data[i]))
            return C_DATA;
    size_t n = strlen(path);
    if (n >= 5 && !strcmp(path + n - 5, ".flow"))
        return C_DATA;
    if (!strncmp(path, "matplotlib", 10))
        return C_PLOT;
    if ((n >= 8 && !strcmp(path + n - 8, "set_seed")) || (n >= 11 && !strcmp(path + n - 11, "random.seed")))
        return C_SEED;
    return C_GENERIC;
}

kval *ki_opaque(kparser *p, const char *path, const char *spelled, int line, int col)
{
    kval *v = ki_val(p, V_OPAQUE, line, col);
    v->path = ki_strdup(p, path);
    v->s = ki_strdup(p, spelled);
    v->origin = line;
    v->cat = ki_path_category(path);
    return v;
}

void ki_snippet(kparser *p, const ktok *t, char *out, size_t n)
{
    const char *s = p->lx->src + t->off;
    const char *end = p->lx->src + p->lx->len;
    size_t k = 0;
    int chars = 0;
    bool cut = false;
    while (s < end && *s != '\n' && *s != '\r') {
        unsigned char c = (unsigned char)*s;
        int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (chars >= 60 || k + (size_t)len + 4 >= n) {
            cut = true;
            break;
        }
        if (c < 0x20 || c == '`') {
            out[k++] = c == '`' ? '\'' : ' ';
            s++;
        } else {
            memcpy(out + k, s, (size_t)len);
            k += (size_t)len;
            s += len;
        }
        chars++;
    }
    while (k > 0 && out[k - 1] == ' ')
        k--;
    if (cut && k + 4 < n) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

void ki_event(kparser *p, int cat, const char *desc)
{
    if (cat <= p->st_cat)
        return;
    p->st_cat = cat;
    if (!desc || cat == C_GENERIC || cat == C_IMPORT) {
        char sn[96];
        ki_snippet(p, &p->lx->t[p->st_tok], sn, sizeof sn);
        snprintf(p->st_desc, sizeof p->st_desc, "`%s`", sn);
    } else {
        snprintf(p->st_desc, sizeof p->st_desc, "%s", desc);
    }
}

void ki_effect(kparser *p)
{
    if (p->dry)
        ki_fail(p, p->st_line, 1,
                "this changes the model inside a comprehension, a short-circuited expression, a loop over values dropscope does not read or an if on such values; write it as plain statements");
    p->st_effect = true;
}

const char *ki_kind_name(const kval *v)
{
    switch (v->k) {
    case V_NONE: return "None";
    case V_BOOL: return "a bool";
    case V_NUM: return v->is_int ? "an int" : "a float";
    case V_STR: return "a string";
    case V_SEQ: return v->tuple ? "a tuple" : "a list";
    case V_SLICE: return "a slice";
    case V_SYM: return "a Keras name";
    case V_FUNC: return "a Python function";
    case V_LAYER: return "a layer";
    case V_TENSOR: return "a layer's output";
    case V_BASE: return "a pretrained base model";
    case V_MODEL: return "a model";
    case V_OPT: return "an optimizer";
    case V_LOSS: return "a loss";
    case V_ACT: return "an activation";
    case V_METHOD: return "a method";
    case V_LAYERS: return "a list of layers";
    case V_SUMMARY: return "the result of summary()";
    case V_OPAQUE: return "a value dropscope does not import";
    case V_DEF: return "a function";
    }
    return "a value";
}

/* "; import it: from tensorflow.keras import layers" for Keras's usual names. */
const char *ki_import_hint(const char *name)
{
    static const struct {
        const char *name, *hint;
    } hints[] = {
        {"tf", " (import tensorflow as tf)"},
        {"keras", " (from tensorflow import keras)"},
        {"layers", " (from tensorflow.keras import layers)"},
        {"Model", " (from tensorflow.keras import Model)"},
        {"Sequential", " (from tensorflow.keras.models import Sequential)"},
        {"Input", " (from tensorflow.keras import Input)"},
        {"InceptionV3", " (from tensorflow.keras.applications.inception_v3 import InceptionV3)"},
        {"RMSprop", " (from tensorflow.keras.optimizers import RMSprop)"},
        {"Adam", " (from tensorflow.keras.optimizers import Adam)"},
        {"SGD", " (from tensorflow.keras.optimizers import SGD)"},
        {"Dense", " (from tensorflow.keras.layers import Dense)"},
        {"Dropout", " (from tensorflow.keras.layers import Dropout)"},
        {"Flatten", " (from tensorflow.keras.layers import Flatten)"},
        {"Conv2D", " (from tensorflow.keras.layers import Conv2D)"},
        {"MaxPooling2D", " (from tensorflow.keras.layers import MaxPooling2D)"},
    };
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (!strcmp(hints[i].name, name))
            return hints[i].hint;
    return "";
}

void ki_need_known(kparser *p, const kval *v, int line, int col, const char *where)
{
    if (v->k == V_OPAQUE && !strncmp(v->path, "undefined", 9)) {
        char root[64];
        snprintf(root, sizeof root, "%.*s", (int)strcspn(v->s, ".("), v->s);
        ki_fail(p, line, col, "'%s' (line %d) uses the name '%s', which this file does not define%s", v->s, v->origin,
                root, ki_import_hint(root));
    }
    if (v->k == V_OPAQUE)
        ki_fail(p, line, col, "'%s' (from line %d) is not understood %s: dropscope reads plain numbers, strings and Keras objects here",
                v->s, v->origin, where);
    if (v->k == V_STR && v->unusable)
        ki_fail(p, line, col, "an f-string or bytes literal is not understood %s: write a plain string", where);
}

const char *ki_tok_text(kparser *p, const ktok *t, char *buf, size_t n)
{
    int len = t->len < (int)n - 1 ? t->len : (int)n - 1;
    if (len < 0)
        len = 0;
    memcpy(buf, p->lx->src + t->off, (size_t)len);
    buf[len] = '\0';
    return buf;
}

void ki_slice_bounds(const kval *slice, int64_t n, int64_t *lo, int64_t *hi)
{
    int64_t l = slice->has_lo ? slice->lo : 0, h = slice->has_hi ? slice->hi : n;
    if (l < 0)
        l += n;
    if (h < 0)
        h += n;
    *lo = l < 0 ? 0 : l > n ? n : l;
    *hi = h < *lo ? *lo : h > n ? n : h;
}

/* ---- notes ---- */

void ki_note(kprog *pg, int line, const char *fmt, ...)
{
    char body[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    char text[600];
    snprintf(text, sizeof text, "line %d: %s", line, body);
    ki_sanitize(text);
    if (pg->n_notes >= KI_MAX_NOTES)
        return;
    for (int i = pg->n_notes - 1; i >= 0; i--) /* repeats come from loops: look back first */
        if (!strcmp(pg->notes[i].text, text))
            return;
    if (pg->n_notes == pg->cap_notes) {
        int cap = pg->cap_notes ? pg->cap_notes * 2 : 16;
        knote *n = realloc(pg->notes, sizeof *n * (size_t)cap);
        if (!n)
            return;
        pg->notes = n;
        pg->cap_notes = cap;
    }
    char *s = strdup(text);
    if (!s)
        return;
    pg->notes[pg->n_notes].line = line;
    pg->notes[pg->n_notes].text = s;
    pg->n_notes++;
}

/* ---- variables (open addressing) ---- */

static size_t hash_name(const char *s, size_t n)
{
    size_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static kvar *var_slot(kparser *p, const char *s, size_t n)
{
    if (!p->cap_vars)
        return NULL;
    size_t i = hash_name(s, n) & (p->cap_vars - 1);
    for (;;) {
        kvar *v = &p->vars[i];
        if (!v->name || (strlen(v->name) == n && !memcmp(v->name, s, n)))
            return v;
        i = (i + 1) & (p->cap_vars - 1);
    }
}

static void var_set(kparser *p, const char *s, size_t n, kval *val)
{
    if ((p->n_vars + 1) * 2 > p->cap_vars) {
        size_t cap = p->cap_vars ? p->cap_vars * 2 : 64;
        kvar *old = p->vars;
        size_t oldcap = p->cap_vars;
        p->vars = calloc(cap, sizeof *p->vars);
        if (!p->vars) {
            p->vars = old;
            ki_fail(p, p->st_line, 1, "out of memory");
        }
        p->cap_vars = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].name) {
                kvar *d = var_slot(p, old[i].name, strlen(old[i].name));
                *d = old[i];
            }
        free(old);
    }
    kvar *v = var_slot(p, s, n);
    if (!v->name) {
        char *name = ki_alloc(p, n + 1);
        memcpy(name, s, n);
        v->name = name;
        p->n_vars++;
    }
    v->v = val;
}

void ki_var_set(kparser *p, const char *name, kval *v)
{
    var_set(p, name, strlen(name), v);
}

void ki_var_set_tok(kparser *p, const ktok *name, kval *v)
{
    var_set(p, p->lx->src + name->off, (size_t)name->len, v);
}

kval *ki_var_get(kparser *p, const ktok *name)
{
    kvar *v = var_slot(p, p->lx->src + name->off, (size_t)name->len);
    return v && v->name ? v->v : NULL;
}

/* ---- the parser's and the program's lifetimes ---- */

kparser *ki_parser_new(kprog *pg, const klex *lx, const char *path, char *err, size_t errlen)
{
    kparser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->pg = pg;
    p->lx = lx;
    p->path = path;
    p->err = err;
    p->errlen = errlen;
    return p;
}

void ki_parser_free(kparser *p)
{
    if (!p)
        return;
    arena_free(p);
    for (size_t i = 0; i < sizeof p->argbufs / sizeof p->argbufs[0]; i++)
        free(p->argbufs[i]);
    free(p->vars);
    free(p->defs);
    for (int i = 0; i < 8; i++)
        free(p->def_saved[i]);
    free(p);
}

void ki_prog_free(kprog *pg)
{
    if (!pg)
        return;
    for (int i = 0; i < pg->n_nodes; i++)
        free(pg->nodes[i].args);
    free(pg->nodes);
    for (int b = 0; b < pg->n_bases; b++) {
        nn_model_destroy(pg->bases[b].full);
        free(pg->bases[b].weights);
        free(pg->bases[b].tr);
        free(pg->bases[b].tr_c);
    }
    for (int m = 0; m < pg->n_models; m++)
        free(pg->models[m].seq);
    free(pg->models);
    for (int i = 0; i < pg->n_notes; i++)
        free(pg->notes[i].text);
    free(pg->notes);
    memset(pg, 0, sizeof *pg);
}
