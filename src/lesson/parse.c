/* Lesson files -> ls_lesson. The grammar is in docs/lesson-format.md.
 *
 * How it reads: the whole buffer is checked first (UTF-8, NUL bytes, control
 * characters, line length), then it is read line by line; each line is lexed on demand
 * into identifiers, numbers, strings and punctuation. Sections (title, summary, data,
 * model, compile, fit) come first, then steps. At the end the model is built with the
 * engine, so every layer name a step uses -- including names inside a built-in base --
 * is checked at load time.
 *
 * Errors unwind with longjmp to one place that frees the partial lesson. Everything
 * allocated is attached to the lesson (or to parser.tmp) the moment it exists, so the
 * unwind never leaks. Memory is bounded by the input: the file is at most 1 MiB and
 * every list has a cap. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/util.h"
#include "lesson/parse_internal.h"
#include "lesson/build_internal.h"

/* ------------------------------------------------------------------------------------ */
/* Lines and sections */

static void require_before_steps(parser *p, const tok *at)
{
    static const int need[] = {K_TITLE, K_DATA, K_MODEL, K_COMPILE};
    for (int i = 0; i < 4; i++)
        if (!(p->seen & (1u << need[i])))
            FAIL_TOK(p, at, "expected a '%s' section before the first step (a lesson declares title, data, model and compile, then its steps)",
                     lsp_section_kws[need[i]]);
}

static void leave_section(parser *p)
{
    if (p->sec == S_MODEL && p->l->n_decls == p->decls_before_model)
        FAIL_LOC(p, p->model_loc, "the model has no layers: list them below 'model', one per line");
    if (p->sec == S_COMPILE && !p->loss_given)
        FAIL_LOC(p, p->l->compile.loc, "compile needs a loss, e.g. 'loss binary_crossentropy'");
}

static void section_line(parser *p, int k)
{
    tok kw = next(p);
    if (p->sec == S_STEP && k != K_STEP) {
        FAIL_TOK(p, &kw, "'%s' must come before the first step", lsp_section_kws[k]);
    }
    if (k != K_STEP && (p->seen & (1u << k)))
        FAIL_TOK(p, &kw, "a second '%s' (the first is at line %d)", lsp_section_kws[k], p->sec_line[k]);
    leave_section(p);
    p->seen |= 1u << k;
    if (k != K_STEP)
        p->sec_line[k] = p->lineno;
    p->keys_seen = 0;
    ls_lesson *l = p->l;
    switch (k) {
    case K_TITLE: {
        char *s = lsp_inline_text(p);
        if (!s || !*s)
            FAIL_TOK(p, &kw, "expected the lesson's title after 'title'");
        l->title = s;
        p->tmp = NULL;
        p->sec = S_NONE;
        break;
    }
    case K_SUMMARY: {
        char *s = lsp_inline_text(p);
        if (s) {
            l->summary = s;
            p->tmp = NULL;
        } else {
            p->want = B_SUMMARY;
            p->want_loc = tloc(p, &kw);
            p->want_kw = "summary";
        }
        p->sec = S_NONE;
        break;
    }
    case K_NOTES: /* notes for the window (what an import did not read): '>' lines below */
        p->want = B_NOTES;
        p->want_loc = tloc(p, &kw);
        p->want_kw = "notes";
        p->sec = S_NONE;
        break;
    case K_DATA: {
        l->data.loc = tloc(p, &kw);
        tok t = peek(p);
        static const char *const sets[] = {"fashion_mnist", "fashion-mnist", "folder", NULL};
        int s = lsp_read_choice(p, "data set", "after 'data' (fashion_mnist)", sets);
        if (s == 2) {
            l->data.kind = LS_DATA_FOLDER;
            tok u = peek(p);
            if (u.kind != T_STR || u.slen == 0)
                lsp_expected(p, &u, "a quoted folder after 'data folder'");
            next(p);
            l->data.dir = lsp_xstrndup(p, tstr(p, &u), (size_t)u.slen);
        }
        (void)t;
        lsp_section_call(p, "fashion_mnist", lsp_data_key);
        lsp_expect_eol(p, "the data set");
        p->sec = S_DATA;
        break;
    }
    case K_MODEL: {
        tok u = peek(p);
        if (is_kw(p, &u, "Sequential") || is_kw(p, &u, "Model")) {
            next(p);
            l->model_sequential = is_kw(p, &u, "Sequential");
            lsp_section_call(p, l->model_sequential ? "Sequential" : "Model", lsp_model_key);
        }
        lsp_expect_eol(p, "'model' (the layers go on the lines below; 'model Sequential()' or 'model Model(name=\"...\")' says which Keras model it is)");
        p->model_loc = tloc(p, &kw);
        p->decls_before_model = l->n_decls;
        p->sec = S_MODEL;
        break;
    }
    case K_COMPILE:
        l->compile.loc = tloc(p, &kw);
        p->loss_given = false;
        lsp_section_call(p, "compile", lsp_compile_key);
        lsp_expect_eol(p, "'compile'");
        p->sec = S_COMPILE;
        break;
    case K_FIT:
        lsp_section_call(p, "fit", lsp_fit_key);
        lsp_expect_eol(p, "'fit'");
        p->sec = S_FIT;
        break;
    case K_STEP: {
        require_before_steps(p, &kw);
        if (l->n_steps >= MAX_STEPS)
            FAIL_TOK(p, &kw, "too many steps (at most %d)", MAX_STEPS);
        lsp_finish_question(p);
        l->steps = lsp_grow(p, l->steps, l->n_steps, sizeof *l->steps);
        ls_step *st = &l->steps[l->n_steps++];
        memset(st, 0, sizeof *st);
        st->loc = tloc(p, &kw);
        char *s = lsp_inline_text(p);
        if (!s || !*s)
            FAIL_TOK(p, &kw, "expected the step's title after 'step' (e.g. step \"Freeze the base\")");
        st->title = s;
        p->tmp = NULL;
        p->sec = S_STEP;
        break;
    }
    }
}

static void key_line(parser *p, key_fn fn)
{
    tok key = next(p);
    lsp_skip_sep(p);
    fn(p, &key, false);
    char after[64];
    snprintf(after, sizeof after, "'%.*s' and its value", key.len > 30 ? 30 : key.len, ttext(p, &key));
    lsp_expect_eol(p, after);
}

static void handle_line(parser *p)
{
    int a = 0;
    while (a < p->line_len && is_blank((unsigned char)p->line[a]))
        a++;
    if (a >= p->line_len || p->line[a] == '#') {
        p->blk = B_NONE; /* a blank line ends a '>' block; a waiting keyword keeps waiting */
        return;
    }
    p->any_content = true;
    if (p->line[a] == '>') {
        lsp_text_line(p, a);
        return;
    }
    p->blk = B_NONE;
    lsp_check_want(p);
    tok t = peek(p);
    if (t.kind != T_IDENT) {
        char d[80];
        FAIL_TOK(p, &t, "expected a keyword at the start of the line but found %s", lsp_desc(p, &t, d, sizeof d));
    }
    tok t2 = peek2(p);
    bool named = p->sec == S_MODEL && (is_punct(&t2, '=') || is_punct(&t2, ':'));
    int k = named ? -1 : lsp_section_kw(p, &t);
    if (k >= 0 && !(p->sec == S_STEP && k == K_COMPILE)) {
        if (p->sec == S_STEP && k != K_STEP) {
            if (k == K_TITLE || k == K_SUMMARY || k == K_DATA || k == K_MODEL || k == K_FIT || k == K_NOTES)
                FAIL_TOK(p, &t, "'%s' must come before the first step", lsp_section_kws[k]);
        }
        if (p->sec == S_NONE && !(p->seen & 1u) && k != K_TITLE)
            FAIL_TOK(p, &t, "expected 'title' first (a lesson starts with its title) but found '%.*s'", t.len,
                     ttext(p, &t));
        section_line(p, k);
        return;
    }
    char sg[80];
    switch (p->sec) {
    case S_NONE:
        if (!(p->seen & 1u))
            FAIL_TOK(p, &t, "expected 'title' first (a lesson starts with its title) but found '%.*s'%s",
                     t.len > 40 ? 40 : t.len, ttext(p, &t),
                     suggest(sg, sizeof sg, ttext(p, &t), (size_t)t.len, lsp_section_kws));
        FAIL_TOK(p, &t, "unknown keyword '%.*s'%s (expected a section: title, summary, data, model, compile, fit or step)",
                 t.len > 40 ? 40 : t.len, ttext(p, &t),
                 suggest(sg, sizeof sg, ttext(p, &t), (size_t)t.len, lsp_section_kws));
    case S_DATA: key_line(p, lsp_data_key); break;
    case S_COMPILE: key_line(p, lsp_compile_key); break;
    case S_FIT: key_line(p, lsp_fit_key); break;
    case S_MODEL: lsp_model_line(p); break;
    case S_STEP: lsp_step_line(p); break;
    }
}

/* ------------------------------------------------------------------------------------ */
/* After the last line: the model is built to check every name */

static bool is_base_name(const ls_lesson *l, const char *name)
{
    int nb = 0;
    for (int i = 0; i < l->n_decls; i++)
        if (l->decls[i].kind == LS_DECL_BASE) {
            nb++;
            if (!strcmp(l->decls[i].name, name))
                return true;
        }
    return nb == 1 && !strcmp(name, "base");
}

static void check_model(parser *p)
{
    ls_lesson *l = p->l;
    int n = l->n_decls;
    int *first = lsp_xrealloc(p, NULL, sizeof(int) * 2 * (size_t)n);
    p->tmp = (char *)first;
    int *count = first + n;
    bool unavailable = false;
    char msg[768];
    nn_model *m = ls_lesson_build_model_ex(l, p->input_locs, first, count, &unavailable, msg, sizeof msg);
    if (!m && unavailable) {
        /* a base builder is missing from this build: names are checked at run time */
        free(first);
        p->tmp = NULL;
        return;
    }
    if (!m) {
        ds_seterr(p->err, p->errlen, "%s", msg);
        longjmp(p->jb, 1);
    }
    for (int i = 0; i < n; i++) {
        l->decls[i].layer_first = first[i];
        l->decls[i].layer_count = count[i];
    }
    free(first);
    p->tmp = NULL;

    /* errors below must free m: collect the message, then fail after destroying it */
    char e[768] = "";
    ls_loc at = {0, 0};
    /* one Input that the data can feed */
    int data_h = l->data.resize_h ? l->data.resize_h : 28;
    int data_w = l->data.resize_w ? l->data.resize_w : 28;
    int data_c = l->data.channels ? l->data.channels : 1;
    bool folder = l->data.kind == LS_DATA_FOLDER;
    int n_in = 0;
    for (int i = 0; i < m->n_layers && !e[0]; i++) {
        nn_layer *ly = m->layers[i];
        if (ly->type != NN_INPUT)
            continue;
        if (++n_in > 1) {
            at = n > 0 ? l->decls[0].loc : at;
            for (int d = 0; d < n; d++)
                if (l->decls[d].layer_first == i)
                    at = l->decls[d].loc;
            snprintf(e, sizeof e, "a second Input ('%s'): a lesson's model has one Input, fed by the data", ly->name);
            break;
        }
        nn_shape s = ly->out_shape;
        bool ok = (s.rank == 3 && s.d[0] == data_h && s.d[1] == data_w && s.d[2] == data_c) ||
                  (s.rank == 1 && (size_t)s.d[0] == (size_t)data_h * (size_t)data_w * (size_t)data_c);
        if (folder && !l->data.resize_h) {
            /* a folder's images are read at the input's size, whatever theirs: only the
             * channels are the folder's (it gives RGB) */
            if (s.rank != 3 || s.d[2] != 3) {
                char sb[64];
                at = l->decls[0].loc;
                snprintf(e, sizeof e, "the model's input is %s but an image folder gives RGB images, resized to the input's height and width: make the input (height, width, 3)",
                         nn_shape_str(s, false, sb, sizeof sb));
            }
        } else if (!ok) {
            char sb[64];
            at = l->decls[0].loc;
            snprintf(e, sizeof e, "the model's input is %s but the data gives %dx%dx%d images; %s",
                     nn_shape_str(s, false, sb, sizeof sb), data_h, data_w, data_c,
                     s.rank == 3 ? "set 'resize HxWxC' under 'data' to match" : "flatten them with Input(shape=(H*W*C,)) or add Flatten()");
        }
    }
    /* the loss fits the output and the classes */
    if (!e[0] && m->n_layers > 0) {
        nn_layer *out = m->layers[m->n_layers - 1];
        size_t units = out->out_size;
        at = l->compile.loc;
        if (out->out_shape.rank != 1)
            snprintf(e, sizeof e, "the model ends in '%s', which outputs a (height, width, channels) map; end it with Flatten() and Dense(...)", out->name);
        else if (l->compile.loss == NN_LOSS_BCE && units != 1)
            snprintf(e, sizeof e, "binary_crossentropy needs one output unit (Dense(1, activation=sigmoid)) but '%s' has %zu", out->name, units);
        else if (folder)
            ; /* the folder's class count is known once it is read (the session checks it) */
        else if (l->compile.loss == NN_LOSS_BCE && l->data.n_classes != 2)
            snprintf(e, sizeof e, "binary_crossentropy needs exactly 2 classes but the data has %d; list two under 'classes' or use sparse_categorical_crossentropy", l->data.n_classes);
        else if (l->compile.loss == NN_LOSS_SCCE && units != (size_t)l->data.n_classes)
            snprintf(e, sizeof e, "sparse_categorical_crossentropy needs one output unit per class: the data has %d classes but '%s' has %zu units", l->data.n_classes, out->name, units);
    }
    /* every layer a step names */
    for (int r = 0; r < p->n_refs && !e[0]; r++) {
        const ref *rf = &p->refs[r];
        int idx = nn_model_find(m, rf->name);
        at = rf->loc;
        if (idx < 0 && is_base_name(l, rf->name)) {
            if (rf->dropout)
                snprintf(e, sizeof e, "'%s' is a base, not a Dropout layer; '%s' needs a Dropout layer", rf->name, rf->what);
            continue;
        }
        if (idx < 0) {
            /* suggest the closest layer name */
            const char *best = NULL;
            int bd = 99;
            for (int i = 0; i < m->n_layers; i++) {
                const char *w = m->layers[i]->name;
                int d = ls_edit_distance(rf->name, strlen(rf->name), w, strlen(w), LS_WORDS_LESSON);
                if (d < bd) {
                    bd = d;
                    best = m->layers[i]->name;
                }
            }
            size_t len = strlen(rf->name);
            char sg[96] = "";
            if (best && bd <= ls_word_limit(len, LS_WORDS_LESSON))
                snprintf(sg, sizeof sg, "; did you mean '%s'?", best);
            snprintf(e, sizeof e, "the model has no layer named '%s'%s (dropscope summary lists them)", rf->name, sg);
            break;
        }
        if (rf->dropout && m->layers[idx]->type != NN_DROPOUT)
            snprintf(e, sizeof e, "'%s' is a %s layer; '%s' needs a Dropout layer", rf->name,
                     nn_layer_type_name(m->layers[idx]->type), rf->what);
    }
    nn_model_destroy(m);
    if (e[0])
        lsp_fail_at(p, at.line, at.col, "%s", e);
}

static void finish(parser *p)
{
    ls_lesson *l = p->l;
    p->blk = B_NONE;
    if (p->want != B_NONE)
        lsp_check_want(p);
    lsp_finish_question(p);
    if (!p->any_content)
        lsp_fail_at(p, 1, 1, "the file is empty: a lesson starts with 'title'");
    static const int need[] = {K_TITLE, K_DATA, K_MODEL, K_COMPILE};
    for (int i = 0; i < 4; i++)
        if (!(p->seen & (1u << need[i])))
            lsp_fail_at(p, p->eof_line, p->eof_col, "expected a '%s' section but found the end of the file",
                        lsp_section_kws[need[i]]);
    leave_section(p);
    for (int i = 0; i < l->n_decls; i++)
        l->decls[i].cfg.name = l->decls[i].name[0] && l->decls[i].kind == LS_DECL_LAYER ? l->decls[i].name : NULL;
    l->compile.opt.eps_inside_sqrt = l->compile.profile == LS_KERAS_TF211 || l->compile.profile == LS_KERAS_3;
    if (l->compile.profile == LS_KERAS_3 && l->compile.lr_alias)
        lsp_fail_at(p, l->compile.lr_loc.line, l->compile.lr_loc.col,
                    "Keras 3 raises ValueError: Argument(s) not recognized: {'lr': %g}; write learning_rate=%g",
                    (double)l->compile.opt.lr, (double)l->compile.opt.lr);
    check_model(p);
}

/* ------------------------------------------------------------------------------------ */
/* Entry points */

static int run(parser *p)
{
    if (setjmp(p->jb))
        return -1;
    if (p->len > FILE_MAX_BYTES)
        lsp_fail_at(p, 1, 1, "the file is %zu bytes; a lesson may be at most %u bytes", p->len, FILE_MAX_BYTES);
    if (p->len >= 3 && !memcmp(p->text, "\xEF\xBB\xBF", 3)) { /* a byte-order mark */
        p->text += 3;
        p->len -= 3;
    }
    lsp_check_bytes(p);
    const char *s = p->text, *end = s + p->len, *next;
    int lineno = 0;
    for (; s < end; s = next) {
        int n = (int)lsp_line_len(s, end, &next);
        lineno++;
        lsp_set_line(p, s, n, lineno);
        handle_line(p);
        p->eof_line = lineno;
        p->eof_col = p->colmap[n];
        if (s + n < end) { /* a line end follows: the file ends on the next line */
            p->eof_line = lineno + 1;
            p->eof_col = 1;
        }
    }
    if (p->eof_line == 0) {
        p->eof_line = 1;
        p->eof_col = 1;
    }
    p->lineno = p->eof_line;
    lsp_set_line(p, "", 0, p->eof_line);
    finish(p);
    return 0;
}

ls_lesson *ls_lesson_parse(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    parser *p = calloc(1, sizeof *p);
    ls_lesson *l = calloc(1, sizeof *l);
    if (!p || !l || (!text && len)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", name ? name : "lesson", (!p || !l) ? "out of memory" : "no text");
        free(p);
        free(l);
        return NULL;
    }
    p->name = name ? name : "lesson";
    p->text = text ? text : "";
    p->len = len;
    p->err = err;
    p->errlen = errlen;
    p->l = l;
    const char *dp = localeconv()->decimal_point;
    p->decimal_point = dp && dp[0] && !dp[1] ? dp[0] : '.';
    l->path = strdup(p->name);
    l->data.kind = LS_DATA_FASHION;
    l->data.n_classes = LS_MAX_CLASSES;
    for (int i = 0; i < LS_MAX_CLASSES; i++)
        l->data.classes[i] = i;
    l->compile.opt = nn_optimizer_default(NN_OPT_RMSPROP);
    l->compile.loss = NN_LOSS_BCE;
    l->compile.profile = LS_KERAS_2;
    l->fit.batch = 20;
    l->fit.seed = 1;
    l->fit.validate_every = 0;
    int rc = l->path ? run(p) : -1;
    if (!l->path && err && errlen)
        snprintf(err, errlen, "%s: out of memory", p->name);
    free(p->tmp);
    free(p->input_locs);
    free(p->refs);
    free(p);
    if (rc < 0) {
        ls_lesson_destroy(l);
        return NULL;
    }
    return l;
}

ls_lesson *ls_lesson_load(const char *path, char *err, size_t errlen)
{
    /* a named pipe would block a plain fopen until a writer comes: refused unopened */
    FILE *f = ds_fopen_regular(path, NULL, err, errlen);
    if (!f)
        return NULL;
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap > FILE_MAX_BYTES)
                break;
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    bool bad = ferror(f);
    int read_errno = errno;
    fclose(f);
    if (!buf || bad) {
        ds_seterr(err, errlen, "%s: %s", path, buf ? (read_errno ? strerror(read_errno) : "read error") : "out of memory");
        free(buf);
        return NULL;
    }
    if (n > FILE_MAX_BYTES) {
        ds_seterr(err, errlen, "%s:1:1: the file is larger than %u bytes; is this a lesson?", path, FILE_MAX_BYTES);
        free(buf);
        return NULL;
    }
    ls_lesson *l = ls_lesson_parse(path, buf, n, err, errlen);
    free(buf);
    return l;
}

static void free_item(ls_item *it)
{
    switch (it->kind) {
    case LS_ITEM_TEXT: free(it->u.text); break;
    case LS_ITEM_EXPECT: free(it->u.expect.text); break;
    case LS_ITEM_QUESTION:
        free(it->u.question.prompt);
        for (int i = 0; i < it->u.question.n_choices; i++)
            free(it->u.question.choices[i]);
        free(it->u.question.choices);
        free(it->u.question.explanation);
        break;
    default: break;
    }
}

void ls_lesson_destroy(ls_lesson *l)
{
    if (!l)
        return;
    free(l->path);
    free(l->title);
    free(l->summary);
    free(l->notes);
    free(l->data.dir);
    for (int i = 0; i < l->n_decls; i++)
        free(l->decls[i].weights);
    free(l->decls);
    for (int s = 0; s < l->n_steps; s++) {
        for (int i = 0; i < l->steps[s].n_items; i++)
            free_item(&l->steps[s].items[i]);
        free(l->steps[s].items);
        free(l->steps[s].title);
    }
    free(l->steps);
    free(l);
}

/* ------------------------------------------------------------------------------------ */
/* Semantics shared with the runner */

static bool is_count(ls_quantity q)
{
    return q == LS_Q_PARAMS_TOTAL || q == LS_Q_PARAMS_TRAINABLE || q == LS_Q_PARAMS_NON_TRAINABLE ||
           q == LS_Q_LAYER_PARAMS || q == LS_Q_MASK_ACTIVE || q == LS_Q_STEPS ||
           q == LS_Q_STEPS_IN_STEP || q == LS_Q_MASKS_SEEN || q == LS_Q_DISTINCT_MASKS ||
           q == LS_Q_REPEATED_MASKS;
}

bool ls_expect_holds(const ls_expect *e, double v)
{
    if (isnan(v))
        return false;
    switch (e->cmp) {
    case LS_CMP_LT: return v < e->a;
    case LS_CMP_LE: return v <= e->a;
    case LS_CMP_GT: return v > e->a;
    case LS_CMP_GE: return v >= e->a;
    case LS_CMP_EQ:
        if (is_count(e->q))
            return v == e->a;
        return v == e->a || fabs(v - e->a) <= LS_EQ_REL_TOL * fmax(fabs(v), fabs(e->a));
    case LS_CMP_WITHIN: return v >= e->a && v <= e->b;
    }
    return false;
}
