/* Text blocks ('>' lines), questions and the steps of a lesson. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/parse_internal.h"

/* ------------------------------------------------------------------------------------ */
/* Lesson structure helpers */

static ls_step *cur_step(parser *p) { return &p->l->steps[p->l->n_steps - 1]; }

static ls_item *new_item(parser *p, ls_item_kind kind, const tok *at)
{
    ls_step *st = cur_step(p);
    if (st->n_items >= LS_STEP_MAX_ITEMS || p->total_items >= MAX_ITEMS_TOTAL)
        FAIL_TOK(p, at, "too many items (a step holds at most %d, a lesson %d)", LS_STEP_MAX_ITEMS,
                 MAX_ITEMS_TOTAL);
    st->items = lsp_grow(p, st->items, st->n_items, sizeof *st->items);
    ls_item *it = &st->items[st->n_items++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    p->total_items++;
    return it;
}

static ls_question *cur_question(parser *p)
{
    ls_step *st = cur_step(p);
    return &st->items[st->n_items - 1].u.question;
}

static void add_ref(parser *p, const char *name, ls_loc loc, bool dropout, const char *what)
{
    if (p->n_refs == p->cap_refs) {
        int cap = p->cap_refs ? p->cap_refs * 2 : 16;
        p->refs = lsp_xrealloc(p, p->refs, sizeof *p->refs * (size_t)cap);
        p->cap_refs = cap;
    }
    ref *r = &p->refs[p->n_refs++];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->loc = loc;
    r->dropout = dropout;
    r->what = what;
}

/* Appends s[0..n) to *dst with sep between (dst owned by the lesson). A paragraph grows
 * by a line at a time: the length of the string last appended to and its capacity are
 * kept, and the capacity doubles, so a 1 MB paragraph costs linear time (no strlen of
 * the whole text, no copy of it, per line). */
static void append_text(parser *p, char **dst, const char *sep, const char *s, size_t n)
{
    if (!*dst || *dst != p->app_buf) {
        p->app_len = *dst ? strlen(*dst) : 0;
        p->app_cap = *dst ? p->app_len + 1 : 0;
    }
    size_t old = p->app_len;
    size_t sl = old ? strlen(sep) : 0;
    size_t need = old + sl + n + 1;
    char *d = *dst;
    if (need > p->app_cap) {
        size_t cap = p->app_cap * 2 > need ? p->app_cap * 2 : need;
        d = lsp_xrealloc(p, d, cap);
        p->app_cap = cap;
    }
    memcpy(d + old, sep, sl);
    memcpy(d + old + sl, s, n);
    d[old + sl + n] = '\0';
    *dst = p->app_buf = d;
    p->app_len = need - 1;
}

/* ------------------------------------------------------------------------------------ */
/* Text blocks and questions */

static char **block_target(parser *p)
{
    switch (p->blk) {
    case B_SUMMARY: return &p->l->summary;
    case B_PROMPT: return &cur_question(p)->prompt;
    case B_EXPLAIN: return &cur_question(p)->explanation;
    case B_STEP: return &cur_step(p)->items[cur_step(p)->n_items - 1].u.text;
    default: return NULL;
    }
}

void lsp_check_want(parser *p)
{
    if (p->want != B_NONE)
        FAIL_LOC(p, p->want_loc,
                 "expected the text of '%s': write it on the same line, or on '>' lines right below",
                 p->want_kw);
}

void lsp_finish_question(parser *p)
{
    if (!p->q_open)
        return;
    p->q_open = false;
    ls_question *q = cur_question(p);
    if (q->n_choices < 2)
        FAIL_LOC(p, q->loc, "a question needs at least two 'choice' lines, found %d", q->n_choices);
    if (!p->q_answer_set)
        FAIL_LOC(p, q->loc, "this question has no 'answer' line (e.g. 'answer 2' or 'answer b')");
    if (q->answer >= q->n_choices)
        FAIL_LOC(p, p->answer_loc, "answer %d is out of range: the question has %d choices",
                 q->answer + 1, q->n_choices);
}

void lsp_text_line(parser *p, int gt)
{
    int a = gt + 1, b = p->line_len;
    while (a < b && is_blank((unsigned char)p->line[a]))
        a++;
    while (b > a && is_blank((unsigned char)p->line[b - 1]))
        b--;
    if (p->blk == B_NONE) {
        if (p->want != B_NONE) {
            p->blk = p->want;
            p->want = B_NONE;
            p->pending_break = false;
        } else if (p->sec == S_STEP) {
            lsp_finish_question(p);
            p->blk = B_STEP;
            p->para_open = false;
        } else {
            lsp_fail_at(p, p->lineno, p->colmap[gt],
                        "text lines ('>') belong in a step, or right below 'summary', 'question' or 'explain'");
        }
    }
    if (a == b) {
        if (p->blk == B_STEP)
            p->para_open = false;
        else
            p->pending_break = true;
        return;
    }
    if (p->blk == B_STEP && !p->para_open) {
        tok at = {.col = p->colmap[gt]};
        ls_item *it = new_item(p, LS_ITEM_TEXT, &at);
        it->u.text = lsp_xstrndup(p, p->line + a, (size_t)(b - a));
        p->para_open = true;
        return;
    }
    char **dst = block_target(p);
    append_text(p, dst, p->pending_break ? "\n\n" : " ", p->line + a, (size_t)(b - a));
    p->pending_break = false;
}

/* ------------------------------------------------------------------------------------ */
/* Steps */

static const char *const step_kws[] = {"run", "play", "pause", "freeze", "unfreeze", "compile", "set", "mode",
                                       "show", "focus", "reset", "seed", "learning", "lr", "validate",
                                       "predict", "mc", "expect", "question", "choice", "answer", "explain", "step",
                                       NULL};

static ls_action *new_action(parser *p, ls_action_kind kind, const tok *kw)
{
    ls_item *it = new_item(p, LS_ITEM_ACTION, kw);
    it->u.action.kind = kind;
    it->u.action.loc = tloc(p, kw);
    return &it->u.action;
}

/* A layer name in a step, remembered for the check against the model. */
static void step_layer(parser *p, char *out, const char *ctx, bool dropout, const char *what)
{
    tok t = lsp_read_name(p, "a layer name", ctx, out);
    add_ref(p, out, tloc(p, &t), dropout, what);
}

static void expect_word(parser *p, const char *w, const char *after)
{
    tok t = peek(p);
    if (!is_kw(p, &t, w)) {
        char m[128];
        snprintf(m, sizeof m, "'%s' after '%s'", w, after);
        lsp_expected(p, &t, m);
    }
    next(p);
}

static bool opt_word(parser *p, const char *w)
{
    tok t = peek(p);
    if (is_kw(p, &t, w)) {
        next(p);
        return true;
    }
    return false;
}

static float read_lr(parser *p, const char *ctx)
{
    tok t = peek(p);
    double v = lsp_read_number(p, ctx);
    if (!(v > 0 && v <= 1e6))
        FAIL_TOK(p, &t, "the learning rate must be above 0 (and at most 1e6), found '%.*s'", t.len, ttext(p, &t));
    return (float)v;
}

/* ---- expect ---- */

typedef struct {
    const char *words;     /* space-separated spelling */
    ls_quantity q;
    bool layer;            /* followed by "of LAYER" */
    bool dropout;          /* the layer must be a Dropout */
    int kind;              /* 0 real, 1 fraction 0..1, 2 count */
} quantity_word;

static const quantity_word quantities[] = {
    {"loss", LS_Q_LOSS, false, false, 0},
    {"accuracy", LS_Q_ACCURACY, false, false, 1},
    {"acc", LS_Q_ACCURACY, false, false, 1},
    {"val_loss", LS_Q_VAL_LOSS, false, false, 0},
    {"val loss", LS_Q_VAL_LOSS, false, false, 0},
    {"val_accuracy", LS_Q_VAL_ACCURACY, false, false, 1},
    {"val_acc", LS_Q_VAL_ACCURACY, false, false, 1},
    {"val accuracy", LS_Q_VAL_ACCURACY, false, false, 1},
    {"dropped fraction", LS_Q_DROPPED, true, true, 1},
    {"weight change", LS_Q_WEIGHT_CHANGE, true, false, 0},
    {"last weight change", LS_Q_LAST_CHANGE, true, false, 0},
    {"last change", LS_Q_LAST_CHANGE, true, false, 0},
    {"total params", LS_Q_PARAMS_TOTAL, false, false, 2},
    {"trainable params", LS_Q_PARAMS_TRAINABLE, false, false, 2},
    {"non-trainable params", LS_Q_PARAMS_NON_TRAINABLE, false, false, 2},
    {"non_trainable params", LS_Q_PARAMS_NON_TRAINABLE, false, false, 2},
    {"params", LS_Q_LAYER_PARAMS, true, false, 2},
    {"learning rate", LS_Q_LR, false, false, 0},
    {"lr", LS_Q_LR, false, false, 0},
    {"mask", LS_Q_MASK_ACTIVE, true, true, 2},
    {"kept scale", LS_Q_KEPT_SCALE, true, true, 0},
    {"mean ratio", LS_Q_MEAN_RATIO, true, true, 0},
    {"dead gradient", LS_Q_DEAD_GRAD, true, true, 0},
    {"dead grad", LS_Q_DEAD_GRAD, true, true, 0},
    {"steps", LS_Q_STEPS, false, false, 2},
    {"steps this step", LS_Q_STEPS_IN_STEP, false, false, 2},
    {"batch loss with dropout", LS_Q_LOSS_DROPOUT_ON, false, false, 0},
    {"batch loss without dropout", LS_Q_LOSS_DROPOUT_OFF, false, false, 0},
    {"dropout loss gap", LS_Q_LOSS_DROPOUT_GAP, false, false, 0},
    {"mc spread", LS_Q_MC_SPREAD, false, false, 0},
    {"mc max spread", LS_Q_MC_MAX_SPREAD, false, false, 0},
    {"mc gap", LS_Q_MC_GAP, false, false, 0},
    {"keep frequency", LS_Q_KEEP_FREQ, true, true, 1},
    {"lowest keep frequency", LS_Q_KEEP_FREQ_LOW, true, true, 1},
    {"highest keep frequency", LS_Q_KEEP_FREQ_HIGH, true, true, 1},
    {"masks seen", LS_Q_MASKS_SEEN, true, true, 2},
    {"distinct masks", LS_Q_DISTINCT_MASKS, true, true, 2},
    {"repeated masks", LS_Q_REPEATED_MASKS, true, true, 2},
    {"dropped unit change", LS_Q_DROPPED_UNIT_CHANGE, true, true, 0},
    {"dropped channels", LS_Q_DROPPED_CHANNELS, true, true, 1},
    {"mixed channels", LS_Q_MIXED_CHANNELS, true, true, 1},
    {NULL, 0, false, false, 0},
};
static const char *const quantity_heads[] = {"loss", "accuracy", "val_loss", "val_accuracy", "dropped", "weight",
                                             "last", "total", "trainable", "non-trainable", "params",
                                             "learning", "lr", "mask", "kept", "mean", "dead", "steps", "mixed",
                                             "batch", "dropout", "mc", "keep", "lowest", "highest", "masks", "distinct", "repeated", NULL};

/* Matches the longest quantity spelling at the lexer position. */
static const quantity_word *read_quantity(parser *p)
{
    const quantity_word *best = NULL;
    int best_words = 0, best_pos = 0;
    int start = p->have_cur ? p->cur.off : p->pos;
    for (int i = 0; quantities[i].words; i++) {
        const char *w = quantities[i].words;
        int pos = start, nw = 0;
        bool ok = true;
        while (*w && ok) {
            const char *e = strchr(w, ' ');
            size_t wl = e ? (size_t)(e - w) : strlen(w);
            tok t;
            int end = lsp_lex_at(p, pos, &t);
            ok = t.kind == T_IDENT && (size_t)t.len == wl;
            for (size_t k = 0; ok && k < wl; k++)
                if (lower((unsigned char)ttext(p, &t)[k]) != lower((unsigned char)w[k]))
                    ok = false;
            pos = end;
            nw++;
            w = e ? e + 1 : w + wl;
        }
        if (ok && nw > best_words) {
            best = &quantities[i];
            best_words = nw;
            best_pos = pos;
        }
    }
    if (!best) {
        tok t = peek(p);
        char sg[80], d[80];
        if (t.kind == T_IDENT)
            FAIL_TOK(p, &t, "unknown quantity '%.*s'%s (see docs/lesson-format.md: loss, accuracy, val_loss, val_accuracy, dropped fraction of L, weight change of L, last change of L, total/trainable/non-trainable params, params of L, learning rate, mask of L, kept scale of L, mean ratio of L, dead gradient of L, steps, steps this step, dropped channels of L, mixed channels of L, batch loss with/without dropout, dropout loss gap, mc spread, mc max spread, mc gap, keep frequency of L, lowest/highest keep frequency of L, masks seen of L, distinct masks of L, repeated masks of L)",
                     t.len > 40 ? 40 : t.len, ttext(p, &t),
                     suggest(sg, sizeof sg, ttext(p, &t), (size_t)t.len, quantity_heads));
        FAIL_TOK(p, &t, "expected a quantity such as 'loss' after 'expect' but found %s", lsp_desc(p, &t, d, sizeof d));
    }
    p->pos = best_pos;
    p->have_cur = false;
    return best;
}

/* A value: a number, optionally followed by '%'. */
static double read_value(parser *p, const char *ctx, tok *at)
{
    *at = peek(p);
    double v = lsp_read_number(p, ctx);
    tok t = peek(p);
    if (is_punct(&t, '%')) {
        next(p);
        v /= 100.0;
    }
    return v;
}

static void check_value(parser *p, const quantity_word *qw, double v, const tok *at)
{
    if (qw->kind == 1 && !(v >= 0 && v <= 1))
        FAIL_TOK(p, at, "%s is a fraction between 0 and 1, found '%.*s' (write 0.95 or 95%%)", qw->words,
                 at->len, ttext(p, at));
    if (qw->kind == 2 && v < 0)
        FAIL_TOK(p, at, "%s is a count, never negative; found '%.*s'", qw->words, at->len, ttext(p, at));
}

static void step_expect(parser *p, const tok *kw)
{
    ls_item *it = new_item(p, LS_ITEM_EXPECT, kw);
    ls_expect *e = &it->u.expect;
    e->loc = tloc(p, kw);
    const char *s;
    int n;
    int save = p->pos;
    lsp_rest_of_line(p, &s, &n);
    e->text = lsp_xstrndup(p, s, (size_t)n);
    p->pos = save;
    p->have_cur = false;
    tok t = peek(p);
    if (t.kind == T_EOL)
        lsp_expected(p, &t, "a quantity such as 'loss' after 'expect'");
    const quantity_word *qw = read_quantity(p);
    e->q = qw->q;
    if (qw->layer) {
        char after[64];
        snprintf(after, sizeof after, "%s", qw->words);
        expect_word(p, "of", after);
        char ctx[96];
        snprintf(ctx, sizeof ctx, "after '%s of'", qw->words);
        tok nt = lsp_read_name(p, "a layer name", ctx, e->layer);
        add_ref(p, e->layer, tloc(p, &nt), qw->dropout, qw->words);
    }
    if (qw->q == LS_Q_MASK_ACTIVE) {
        tok u = peek(p);
        if (is_kw(p, &u, "active") || is_kw(p, &u, "inactive")) {
            next(p);
            e->cmp = LS_CMP_EQ;
            e->a = is_kw(p, &u, "active") ? 1 : 0;
            lsp_expect_eol(p, "'active' or 'inactive'");
            return;
        }
    }
    tok c = next(p);
    char ctx[96];
    tok at;
    if (is_kw(p, &c, "within")) {
        e->cmp = LS_CMP_WITHIN;
        e->a = read_value(p, "after 'within'", &at);
        check_value(p, qw, e->a, &at);
        tok r = peek(p);
        if (!is_punct(&r, P_RANGE))
            lsp_expected(p, &r, "'..' between the two bounds (e.g. within 0.15..0.25)");
        next(p);
        tok bt;
        e->b = read_value(p, "after '..'", &bt);
        check_value(p, qw, e->b, &bt);
        if (e->b < e->a)
            FAIL_TOK(p, &bt, "the upper bound %g is below the lower bound %g", e->b, e->a);
        lsp_expect_eol(p, "the range");
        return;
    }
    if (c.kind != T_PUNCT || !(c.punct == '<' || c.punct == '>' || c.punct == P_LE || c.punct == P_GE ||
                               c.punct == P_EQEQ)) {
        if (is_punct(&c, '='))
            FAIL_TOK(p, &c, "write '==' to compare, not '='");
        if (qw->q == LS_Q_MASK_ACTIVE)
            lsp_expected(p, &c, "'active', 'inactive' or a comparison after the layer name");
        char m[160];
        snprintf(m, sizeof m, "a comparison (<, <=, >, >=, ==, within) after '%s%s'", qw->words,
                 qw->layer ? " of ..." : "");
        lsp_expected(p, &c, m);
    }
    e->cmp = c.punct == '<' ? LS_CMP_LT : c.punct == P_LE ? LS_CMP_LE : c.punct == '>' ? LS_CMP_GT
           : c.punct == P_GE ? LS_CMP_GE : LS_CMP_EQ;
    snprintf(ctx, sizeof ctx, "after '%.*s'", c.len, ttext(p, &c));
    e->a = read_value(p, ctx, &at);
    check_value(p, qw, e->a, &at);
    if (qw->kind == 2 && e->cmp == LS_CMP_EQ && e->a != floor(e->a))
        FAIL_TOK(p, &at, "%s is a whole number; found '%.*s'", qw->words, at.len, ttext(p, &at));
    lsp_expect_eol(p, "the expected value");
}

/* ---- questions ---- */

static void step_question(parser *p, const tok *kw)
{
    ls_item *it = new_item(p, LS_ITEM_QUESTION, kw);
    ls_question *q = &it->u.question;
    q->loc = tloc(p, kw);
    q->answer = -1;
    p->q_open = true;
    p->q_answer_set = p->q_explain_set = false;
    char *s = lsp_inline_text(p);
    if (s) {
        q->prompt = s;
        p->tmp = NULL;
    } else {
        p->want = B_PROMPT;
        p->want_loc = q->loc;
        p->want_kw = "question";
    }
}

static void step_question_part(parser *p, const tok *kw)
{
    char w[16];
    snprintf(w, sizeof w, "%.*s", kw->len, ttext(p, kw));
    if (!p->q_open)
        FAIL_TOK(p, kw, "'%s' belongs to a question: write it right after its 'question' line", w);
    ls_question *q = cur_question(p);
    if (is_kw(p, kw, "choice")) {
        if (q->n_choices == MAX_CHOICES)
            FAIL_TOK(p, kw, "a question has at most %d choices", MAX_CHOICES);
        char *s = lsp_inline_text(p);
        if (!s || !*s)
            FAIL_TOK(p, kw, "expected the choice's text after 'choice'");
        q->choices = lsp_grow(p, q->choices, q->n_choices, sizeof *q->choices);
        q->choices[q->n_choices++] = s;
        p->tmp = NULL;
    } else if (is_kw(p, kw, "answer")) {
        if (p->q_answer_set)
            FAIL_TOK(p, kw, "this question already has an answer");
        lsp_skip_sep(p);
        tok t = peek(p);
        if (t.kind == T_IDENT && t.len == 1 && is_alpha((unsigned char)ttext(p, &t)[0])) {
            q->answer = lower((unsigned char)ttext(p, &t)[0]) - 'a';
            next(p);
        } else if (t.kind == T_NUM) {
            q->answer = (int)lsp_read_int(p, "the answer", "after 'answer'", 1, MAX_CHOICES) - 1;
        } else {
            lsp_expected(p, &t, "the number (1, 2, ...) or letter (a, b, ...) of the right choice after 'answer'");
        }
        p->q_answer_set = true;
        p->answer_loc = tloc(p, &t);
        lsp_expect_eol(p, "the answer");
    } else { /* explain */
        if (p->q_explain_set)
            FAIL_TOK(p, kw, "this question already has an explanation");
        p->q_explain_set = true;
        char *s = lsp_inline_text(p);
        if (s) {
            q->explanation = s;
            p->tmp = NULL;
        } else {
            p->want = B_EXPLAIN;
            p->want_loc = tloc(p, kw);
            p->want_kw = "explain";
        }
    }
}

static const char *const views[] = {"graph", "mask", "metrics", "weights", "batch", "lesson", NULL};

void lsp_step_line(parser *p)
{
    tok kw = next(p);
    if (is_kw(p, &kw, "choice") || is_kw(p, &kw, "answer") || is_kw(p, &kw, "explain")) {
        step_question_part(p, &kw);
        return;
    }
    lsp_finish_question(p);
    ls_action *a;
    if (is_kw(p, &kw, "run")) {
        a = new_action(p, LS_ACT_RUN, &kw);
        a->n = lsp_read_int(p, "the number of steps", "after 'run'", 1, MAX_RUN);
        if (!opt_word(p, "steps"))
            opt_word(p, "step");
        lsp_expect_eol(p, "'run N steps'");
    } else if (is_kw(p, &kw, "play")) {
        new_action(p, LS_ACT_PLAY, &kw);
        lsp_expect_eol(p, "'play'");
    } else if (is_kw(p, &kw, "pause")) {
        new_action(p, LS_ACT_PAUSE, &kw);
        lsp_expect_eol(p, "'pause'");
    } else if (is_kw(p, &kw, "freeze") || is_kw(p, &kw, "unfreeze")) {
        bool fr = is_kw(p, &kw, "freeze");
        a = new_action(p, fr ? LS_ACT_FREEZE : LS_ACT_UNFREEZE, &kw);
        a->flag = true;
        step_layer(p, a->layer, fr ? "after 'freeze'" : "after 'unfreeze'", false, fr ? "freeze" : "unfreeze");
        if (opt_word(p, "without")) {
            expect_word(p, "recompile", "without");
            a->flag = false;
        }
        lsp_expect_eol(p, "the layer name (or 'without recompile')");
    } else if (is_kw(p, &kw, "compile")) {
        new_action(p, LS_ACT_COMPILE, &kw);
        lsp_expect_eol(p, "'compile'");
    } else if (is_kw(p, &kw, "set")) {
        tok t = peek(p);
        if (is_kw(p, &t, "learning") || is_kw(p, &t, "lr")) {
            next(p);
            if (is_kw(p, &t, "learning"))
                expect_word(p, "rate", "learning");
            expect_word(p, "to", is_kw(p, &t, "lr") ? "lr" : "learning rate");
            a = new_action(p, LS_ACT_LR, &kw);
            a->value = read_lr(p, "after 'to'");
            lsp_expect_eol(p, "the learning rate");
        } else if (is_kw(p, &t, "seed")) {
            next(p);
            expect_word(p, "to", "seed");
            a = new_action(p, LS_ACT_SEED, &kw);
            tok v = peek(p);
            if (v.kind != T_NUM || !v.is_int || v.neg || v.big)
                lsp_expected(p, &v, "a whole number from 0 to 9223372036854775807 after 'to'");
            next(p);
            if (v.mag > (uint64_t)INT64_MAX)
                lsp_expected(p, &v, "a whole number from 0 to 9223372036854775807 after 'to'");
            a->n = (long)v.mag;
            lsp_expect_eol(p, "the seed");
        } else {
            opt_word(p, "dropout");
            t = peek(p);
            if (!is_kw(p, &t, "rate"))
                lsp_expected(p, &t, "'dropout rate of LAYER to X', 'learning rate to X' or 'seed to N' after 'set'");
            next(p);
            expect_word(p, "of", "rate");
            a = new_action(p, LS_ACT_RATE, &kw);
            step_layer(p, a->layer, "after 'rate of'", true, "set dropout rate");
            expect_word(p, "to", "the layer name");
            a->value = lsp_read_real(p, "the dropout rate", "after 'to'", 0, 1);
            lsp_expect_eol(p, "the rate");
        }
    } else if (is_kw(p, &kw, "mode")) {
        static const char *const modes[] = {"training", "inference", NULL};
        a = new_action(p, LS_ACT_MODE, &kw);
        a->flag = lsp_read_choice(p, "mode", "after 'mode'", modes) == 0;
        lsp_expect_eol(p, "the mode");
    } else if (is_kw(p, &kw, "show")) {
        a = new_action(p, LS_ACT_EXAMPLE, &kw);
        tok t = peek(p);
        if (is_kw(p, &t, "example")) {
            next(p);
            int batch = p->l->fit.batch;
            a->n = lsp_read_int(p, "the example", "after 'show example'", 0, batch - 1);
        } else if (is_kw(p, &t, "whole") || is_kw(p, &t, "batch")) {
            next(p);
            if (is_kw(p, &t, "whole"))
                expect_word(p, "batch", "whole");
            a->n = -1;
        } else {
            lsp_expected(p, &t, "'example K' or 'whole batch' after 'show'");
        }
        lsp_expect_eol(p, "what to show");
    } else if (is_kw(p, &kw, "focus")) {
        tok t = peek(p);
        if (is_kw(p, &t, "view")) {
            next(p);
            a = new_action(p, LS_ACT_FOCUS_VIEW, &kw);
            int v = lsp_read_choice(p, "view", "after 'focus view'", views);
            snprintf(a->view, sizeof a->view, "%s", views[v]);
        } else if (is_kw(p, &t, "layer")) {
            next(p);
            a = new_action(p, LS_ACT_FOCUS_LAYER, &kw);
            step_layer(p, a->layer, "after 'focus layer'", false, "focus layer");
        } else {
            lsp_expected(p, &t, "'view NAME' or 'layer NAME' after 'focus'");
        }
        lsp_expect_eol(p, "what to focus");
    } else if (is_kw(p, &kw, "reset")) {
        new_action(p, LS_ACT_RESET, &kw);
        lsp_expect_eol(p, "'reset'");
    } else if (is_kw(p, &kw, "seed")) {
        a = new_action(p, LS_ACT_SEED, &kw);
        tok v = peek(p);
        if (v.kind != T_NUM || !v.is_int || v.neg || v.big || v.mag > (uint64_t)INT64_MAX)
            lsp_expected(p, &v, "a whole number from 0 to 9223372036854775807 after 'seed'");
        next(p);
        a->n = (long)v.mag;
        lsp_expect_eol(p, "the seed");
    } else if (is_kw(p, &kw, "learning") || is_kw(p, &kw, "lr")) {
        if (is_kw(p, &kw, "learning"))
            expect_word(p, "rate", "learning");
        lsp_skip_sep(p);
        a = new_action(p, LS_ACT_LR, &kw);
        a->value = read_lr(p, "after 'learning rate'");
        lsp_expect_eol(p, "the learning rate");
    } else if (is_kw(p, &kw, "validate")) {
        new_action(p, LS_ACT_VALIDATE, &kw);
        lsp_expect_eol(p, "'validate'");
    } else if (is_kw(p, &kw, "predict")) {
        new_action(p, LS_ACT_PREDICT, &kw);
        lsp_expect_eol(p, "'predict'");
    } else if (is_kw(p, &kw, "mc")) {
        /* mc dropout N passes [fixed mask] */
        expect_word(p, "dropout", "mc");
        a = new_action(p, LS_ACT_MC, &kw);
        a->n = lsp_read_int(p, "the number of passes", "after 'mc dropout'", 2, MAX_MC_PASSES);
        if (!opt_word(p, "passes"))
            opt_word(p, "pass");
        opt_word(p, "with");
        if (opt_word(p, "fixed")) {
            expect_word(p, "mask", "fixed");
            a->flag = true;
        }
        lsp_expect_eol(p, "'mc dropout N passes' (or '... fixed mask')");
    } else if (is_kw(p, &kw, "expect")) {
        step_expect(p, &kw);
    } else if (is_kw(p, &kw, "question")) {
        step_question(p, &kw);
    } else {
        char sg[80];
        FAIL_TOK(p, &kw, "unknown step keyword '%.*s'%s", kw.len > 40 ? 40 : kw.len, ttext(p, &kw),
                 suggest(sg, sizeof sg, ttext(p, &kw), (size_t)kw.len, step_kws));
    }
}

