/* The Python subset the Keras importer runs: statements one by one (imports, assignments,
 * expression statements, `for` loops, callback classes skipped, notebook commands
 * noted). Expressions are in expr.c, what Keras names mean in api.c.
 *
 * Every statement either changes the model (a layer, a base, a model, compile,
 * trainable ...), or is noted as not imported ("line N: model.fit(...) is not imported:
 * dropscope trains step by step"), or fails with path:line:col. Nothing is dropped
 * without a note. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/api.h"
#include "keras/cursor.h"
#include "keras/expr.h"
#include "keras/runtime.h"

/* ---- statements' bookkeeping ---- */

typedef struct {
    int line, tok;
    bool effect;
    int cat;
    char desc[128];
} stmt_state;

static stmt_state begin_statement(kparser *p, const ktok *t)
{
    stmt_state saved = {p->st_line, p->st_tok, p->st_effect, p->st_cat, ""};
    memcpy(saved.desc, p->st_desc, sizeof saved.desc);
    p->st_line = t->line;
    p->st_tok = (int)(t - p->lx->t);
    p->st_effect = false;
    p->st_cat = C_NONE;
    p->st_desc[0] = '\0';
    return saved;
}

static const char *reason(int cat)
{
    switch (cat) {
    case C_FIT: return "dropscope trains step by step";
    case C_PREDICT: return "the lesson's steps predict and validate";
    case C_SAVE: return "dropscope does not save models";
    case C_DATA: return "the lesson uses Fashion-MNIST (or your own images: data folder \"DIR\")";
    case C_PLOT: return "dropscope draws its own plots";
    case C_SEED: return "the lesson's seed fixes every random draw";
    case C_PRINT: return "printing does not change the model";
    case C_IMPORT: return "dropscope reads only the Keras model";
    default: return "it does not build the model";
    }
}

static void end_statement(kparser *p, const stmt_state *saved)
{
    if (!p->st_effect && p->st_cat != C_NONE)
        ki_note(p->pg, p->st_line, "%s is not imported: %s", p->st_desc, reason(p->st_cat));
    p->st_line = saved->line;
    p->st_tok = saved->tok;
    p->st_effect = saved->effect;
    p->st_cat = saved->cat;
    memcpy(p->st_desc, saved->desc, sizeof p->st_desc);
}

/* ---- statements ---- */

static void statement(kparser *p);
static void simple_statements(kparser *p);

static void end_of_simple(kparser *p)
{
    const ktok *t = peek(p);
    if (t->kind == KT_NEWLINE || t->kind == KT_EOF || is_op(t, ';'))
        return;
    expected(p, t, "the end of the statement");
}

/* Assigns v to the target written in tokens [s, e). */
static void assign_to(kparser *p, int s, int e, kval *v)
{
    const ktok *t0 = &p->lx->t[s];
    if (e - s == 1 && t0->kind == KT_NAME) {
        if (is_keyword(p, t0))
            ki_fail(p, t0->line, t0->col, "syntax error: cannot assign to a keyword");
        ki_var_set_tok(p, t0, v);
        return;
    }
    /* a tuple of names: a, b = ... ; (a, b) = ... ; [a, b] = ... */
    int depth = 0, commas = 0;
    for (int i = s; i < e; i++) {
        const ktok *t = &p->lx->t[i];
        if (is_op(t, '(') || is_op(t, '[') || is_op(t, '{'))
            depth++;
        else if (is_op(t, ')') || is_op(t, ']') || is_op(t, '}'))
            depth--;
        else if (is_op(t, ',') && depth == 0)
            commas++;
    }
    bool wrapped = (is_op(t0, '(') || is_op(t0, '[')) && commas == 0 &&
                   is_op(&p->lx->t[e - 1], is_op(t0, '(') ? ')' : ']');
    if (commas > 0 || wrapped) {
        int a = wrapped ? s + 1 : s, b = wrapped ? e - 1 : e;
        /* split at top-level commas */
        int parts[KI_MAX_SEQ + 1], np = 0;
        parts[np++] = a;
        depth = 0;
        for (int i = a; i < b; i++) {
            const ktok *t = &p->lx->t[i];
            if (is_op(t, '(') || is_op(t, '[') || is_op(t, '{'))
                depth++;
            else if (is_op(t, ')') || is_op(t, ']') || is_op(t, '}'))
                depth--;
            else if (is_op(t, ',') && depth == 0) {
                if (np > KI_MAX_SEQ)
                    ki_fail(p, t->line, t->col, "too many assignment targets");
                parts[np++] = i + 1;
            }
        }
        int n = np;
        if (parts[np - 1] == b) /* a trailing comma */
            n--;
        if (v->k == V_SEQ && v->n != n)
            ki_fail(p, t0->line, t0->col, "cannot unpack %d values into %d names", v->n, n);
        if (v->k != V_SEQ && v->k != V_OPAQUE)
            ki_fail(p, t0->line, t0->col, "cannot unpack %s into several names", ki_kind_name(v));
        for (int i = 0; i < n; i++) {
            int ps = parts[i], pe = i + 1 < np ? parts[i + 1] - 1 : b;
            if (pe <= ps)
                expected(p, &p->lx->t[ps], "a name");
            assign_to(p, ps, pe, v->k == V_SEQ ? v->items[i] : v);
        }
        return;
    }
    const ktok *last = &p->lx->t[e - 1];
    if (last->kind == KT_NAME && e - s >= 3 && is_op(&p->lx->t[e - 2], '.')) {
        /* the object: the target without its last attribute */
        int save = p->pos;
        p->pos = s;
        kval *o2 = ki_primary(p, e - 2);
        if (p->pos != e - 2)
            expected(p, &p->lx->t[s], "a name or an attribute to assign to");
        p->pos = save;
        char nb[64];
        ki_tok_text(p, last, nb, sizeof nb);
        if (o2->k == V_OPAQUE) {
            ki_event(p, C_GENERIC, NULL);
            return;
        }
        const ktok *vt = &p->lx->t[e + 1];
        ka_setattr(p, o2, last, v, vt->line, vt->col);
        return;
    }
    if (is_op(last, ']')) {
        int save = p->pos;
        p->pos = s;
        kval *o = ki_atom(p);
        (void)o;
        p->pos = save;
        if (o->k == V_OPAQUE) {
            ki_event(p, C_GENERIC, NULL);
            return;
        }
        ki_fail(p, t0->line, t0->col, "assigning to an element is not supported here");
    }
    ki_fail(p, t0->line, t0->col, "syntax error: cannot assign to this");
}

/* A dotted module name into path (at most n bytes); returns its last name's token. */
static const ktok *dotted_name(kparser *p, char *path, size_t n)
{
    const ktok *t = expect_name(p, "a module name");
    char b[128];
    snprintf(path, n, "%s", ki_tok_text(p, t, b, sizeof b));
    while (is_op(peek(p), '.')) {
        next(p);
        t = expect_name(p, "a name after '.'");
        size_t k = strlen(path);
        if (k + (size_t)t->len + 2 >= n)
            ki_fail(p, t->line, t->col, "the module name is too long");
        snprintf(path + k, n - k, ".%s", ki_tok_text(p, t, b, sizeof b));
    }
    return t;
}

/* import a.b [as c], ... ; from a.b import c [as d], ... | (...) | * */
static void import_statement(kparser *p)
{
    const ktok *kw = next(p);
    bool outside = false;
    char path[256], b[128];
    if (is_kw(p, kw, "import")) {
        for (;;) {
            const ktok *first = peek(p);
            const ktok *last = dotted_name(p, path, sizeof path);
            kval *mod = ka_resolve(p, path, path, last);
            outside |= mod->k == V_OPAQUE;
            if (is_kw(p, peek(p), "as")) {
                next(p);
                const ktok *alias = expect_name(p, "a name after 'as'");
                ki_tok_text(p, alias, b, sizeof b);
                mod->s = ki_strdup(p, b);
                ki_var_set(p, b, mod);
            } else {
                ki_tok_text(p, first, b, sizeof b);
                ki_var_set(p, b, ka_resolve(p, b, b, first));
            }
            if (!is_op(peek(p), ','))
                break;
            next(p);
        }
    } else {
        int dots = 0;
        while (is_op(peek(p), '.') || is_op(peek(p), KO_ELLIPSIS)) {
            dots += is_op(peek(p), '.') ? 1 : 3;
            next(p);
        }
        if (!is_kw(p, peek(p), "import"))
            dotted_name(p, path, sizeof path);
        else
            snprintf(path, sizeof path, "relative");
        const ktok *imp = peek(p);
        if (!is_kw(p, imp, "import"))
            expected(p, imp, "'import'");
        next(p);
        if (is_op(peek(p), '*')) {
            const ktok *star = next(p);
            if (dots || !ka_star_import(p, path, star))
                outside = true;
        } else {
            bool paren = is_op(peek(p), '(');
            if (paren)
                next(p);
            for (;;) {
                const ktok *name = expect_name(p, "a name to import");
                char full[400];
                snprintf(full, sizeof full, "%s.%s", path, ki_tok_text(p, name, b, sizeof b));
                const ktok *bind = name;
                if (is_kw(p, peek(p), "as")) {
                    next(p);
                    bind = expect_name(p, "a name after 'as'");
                }
                char bound_name[128];
                ki_tok_text(p, bind, bound_name, sizeof bound_name);
                kval *v = dots ? ki_opaque(p, full, bound_name, name->line, name->col)
                               : ka_resolve(p, full, bound_name, name);
                outside |= v->k == V_OPAQUE;
                ki_var_set(p, ki_tok_text(p, bind, b, sizeof b), v);
                if (!is_op(peek(p), ','))
                    break;
                next(p);
                if (paren && is_op(peek(p), ')'))
                    break;
            }
            if (paren)
                expect_op(p, ')', "')'");
        }
    }
    end_of_simple(p);
    if (outside)
        ki_event(p, C_IMPORT, NULL);
}

/* One small statement: an expression, an assignment (maybe chained), an augmented
 * assignment, pass, import. */
static void small_statement(kparser *p)
{
    const ktok *t = peek(p);
    stmt_state st = begin_statement(p, t);
    if (is_kw(p, t, "pass")) {
        next(p);
    } else if (is_kw(p, t, "import") || is_kw(p, t, "from")) {
        import_statement(p);
    } else if (is_kw(p, t, "return") && p->def_depth > 0) { /* inside a function the script called */
        if (p->dry > 0)
            ki_fail(p, t->line, t->col,
                    "a return under a condition dropscope cannot know when it reads the script (on data, a loop over values it does not read) is not supported: which model the function returns would not be known");
        next(p);
        const ktok *u = peek(p);
        bool comma = false;
        kval *r = u->kind == KT_NEWLINE || u->kind == KT_EOF || is_op(u, ';') ? ki_val(p, V_NONE, t->line, t->col)
                                                                             : ki_testlist(p, &comma);
        end_of_simple(p);
        p->ret = r;
        p->returning = true;
    } else if (is_kw(p, t, "return")) {
        ki_fail(p, t->line, t->col, "syntax error: 'return' outside a function");
    } else if (is_kw(p, t, "del") || is_kw(p, t, "assert") || is_kw(p, t, "global") || is_kw(p, t, "nonlocal") ||
               is_kw(p, t, "raise") || is_kw(p, t, "break") || is_kw(p, t, "continue") ||
               is_kw(p, t, "yield")) {
        char b[32];
        ki_fail(p, t->line, t->col, "'%s' is not supported: dropscope reads straight-line Keras code", ki_tok_text(p, t, b, sizeof b));
    } else {
        /* find '=' or an augmented assignment at depth 0 before the end */
        int depth = 0, eqs[16], n_eq = 0, aug = -1;
        for (int i = p->pos; i < p->lx->n; i++) {
            const ktok *u = &p->lx->t[i];
            if (u->kind == KT_NEWLINE || u->kind == KT_EOF || (depth == 0 && is_op(u, ';')))
                break;
            if (is_op(u, '(') || is_op(u, '[') || is_op(u, '{'))
                depth++;
            else if (is_op(u, ')') || is_op(u, ']') || is_op(u, '}'))
                depth--;
            else if (depth == 0 && is_op(u, '=')) {
                if (n_eq == 16)
                    ki_fail(p, u->line, u->col, "too many '=' in one statement");
                eqs[n_eq++] = i;
            } else if (depth == 0 && u->op == KO_AUG && u->kind == KT_OP && aug < 0 && n_eq == 0)
                aug = i;
            else if (depth == 0 && is_op(u, ':') && n_eq == 0 && aug < 0 && !is_kw(p, t, "lambda"))
                ki_fail(p, u->line, u->col, "variable annotations are not supported");
        }
        if (aug >= 0) {
            const ktok *u = &p->lx->t[aug];
            if (!(aug - p->pos == 1 && t->kind == KT_NAME))
                ki_fail(p, t->line, t->col, "augmented assignment ('%.*s') is supported only on a plain name", u->len,
                        p->lx->src + u->off);
            kval *old = ki_var_get(p, t);
            if (!old) {
                char b[64];
                ki_fail(p, t->line, t->col, "name '%s' is not defined", ki_tok_text(p, t, b, sizeof b));
            }
            p->pos = aug + 1;
            bool comma = false;
            kval *x = ki_testlist(p, &comma);
            end_of_simple(p);
            int save = p->pos;
            kval *r = ki_binop(p, u->aug, old, x, u);
            if (r->k == V_OPAQUE)
                ki_event(p, C_GENERIC, NULL);
            ki_var_set_tok(p, t, r);
            p->pos = save;
        } else if (n_eq > 0) {
            p->pos = eqs[n_eq - 1] + 1;
            const ktok *vt = peek(p);
            if (vt->kind == KT_NEWLINE || vt->kind == KT_EOF || is_op(vt, ';'))
                expected(p, vt, "a value after '='");
            bool comma = false;
            kval *v = ki_testlist(p, &comma);
            end_of_simple(p);
            int end = p->pos;
            int s = (int)(t - p->lx->t); /* statement start */
            int starts[17];
            starts[0] = s;
            for (int i = 0; i < n_eq; i++)
                starts[i + 1] = eqs[i] + 1;
            if (v->k == V_OPAQUE) {
                int cat = ki_path_category(v->path);
                ki_event(p, cat == C_DATA || cat == C_PLOT ? cat : C_GENERIC, NULL);
            }
            for (int i = 0; i < n_eq; i++) {
                if (eqs[i] == starts[i])
                    expected(p, &p->lx->t[eqs[i]], "a name before '='");
                assign_to(p, starts[i], eqs[i], v);
            }
            p->pos = end;
        } else {
            bool comma = false;
            ki_testlist(p, &comma);
            end_of_simple(p);
        }
    }
    end_statement(p, &st);
}

static void simple_statements(kparser *p)
{
    for (;;) {
        small_statement(p);
        const ktok *t = peek(p);
        if (p->returning)
            return; /* the rest of the function is not run */
        if (is_op(t, ';')) {
            next(p);
            t = peek(p);
            if (t->kind == KT_NEWLINE || t->kind == KT_EOF)
                break;
            continue;
        }
        break;
    }
    const ktok *t = peek(p);
    if (t->kind == KT_NEWLINE)
        next(p);
    else if (t->kind != KT_EOF)
        expected(p, t, "the end of the line");
}

/* Skips a block after ':' (not run). */
static void skip_block(kparser *p)
{
    const ktok *t = peek(p);
    if (t->kind != KT_NEWLINE) {
        while (peek(p)->kind != KT_NEWLINE && peek(p)->kind != KT_EOF)
            next(p);
        if (peek(p)->kind == KT_NEWLINE)
            next(p);
        return;
    }
    next(p);
    if (peek(p)->kind != KT_INDENT)
        expected(p, peek(p), "an indented block");
    next(p);
    int depth = 1;
    while (depth > 0 && peek(p)->kind != KT_EOF) {
        const ktok *u = next(p);
        if (u->kind == KT_INDENT)
            depth++;
        else if (u->kind == KT_DEDENT)
            depth--;
    }
}

/* Runs the block after ':'. */
static void run_block(kparser *p)
{
    const ktok *t = peek(p);
    if (t->kind != KT_NEWLINE) {
        simple_statements(p);
        return;
    }
    next(p);
    if (peek(p)->kind != KT_INDENT)
        expected(p, peek(p), "an indented block");
    next(p);
    while (peek(p)->kind != KT_DEDENT && peek(p)->kind != KT_EOF && !p->returning)
        statement(p);
    if (peek(p)->kind == KT_DEDENT && !p->returning)
        next(p);
}

static void for_statement(kparser *p)
{
    const ktok *kw = next(p);
    if (p->loop_depth > 0)
        ki_fail(p, kw->line, kw->col, "a loop inside a loop is not supported");
    stmt_state st = begin_statement(p, kw);
    int ts = p->pos;
    while (!is_kw(p, peek(p), "in")) {
        const ktok *u = peek(p);
        if (u->kind == KT_NEWLINE || u->kind == KT_EOF || is_op(u, ':'))
            expected(p, u, "'in'");
        next(p);
    }
    int te = p->pos;
    if (te == ts)
        expected(p, peek(p), "a name after 'for'");
    next(p);
    const ktok *it = peek(p);
    bool comma = false;
    kval *iter = ki_testlist(p, &comma);
    expect_op(p, ':', "':' after the loop's header");
    int body = p->pos;
    int n = 0;
    kval **items = NULL;
    bool simple_target = te - ts == 1 && p->lx->t[ts].kind == KT_NAME;
    if (iter->k == V_LAYERS) {
        n = iter->nrefs;
        items = ki_alloc(p, sizeof *items * (size_t)(n > 0 ? n : 1));
        for (int i = 0; i < n; i++) {
            items[i] = ki_val(p, V_LAYER, it->line, it->col);
            items[i]->ref = iter->refs[i];
        }
    } else if (iter->k == V_SEQ) {
        n = iter->n;
        items = iter->items;
    } else if (iter->k != V_OPAQUE && !(iter->k == V_STR)) {
        ki_fail(p, it->line, it->col, "a loop over %s is not supported", ki_kind_name(iter));
    }
    if (!simple_target && (iter->k == V_LAYERS || (iter->k == V_SEQ && n > 0)))
        ki_fail(p, p->lx->t[ts].line, p->lx->t[ts].col, "the loop's target must be one name here");
    p->loop_depth++;
    if (iter->k == V_OPAQUE || iter->k == V_STR) {
        /* a loop over values dropscope does not read (range, history, files ...):
         * its body runs once, reading only, and the loop is noted */
        ki_event(p, C_GENERIC, NULL);
        kval *o = ki_opaque(p, "loop", "a loop variable", kw->line, kw->col);
        if (simple_target)
            ki_var_set_tok(p, &p->lx->t[ts], o);
        else
            assign_to(p, ts, te, o);
        p->dry++;
        run_block(p);
        p->dry--;
    } else if (n == 0) {
        skip_block(p);
    } else {
        int end = body;
        for (int i = 0; i < n && !p->returning; i++) {
            ki_var_set_tok(p, &p->lx->t[ts], items[i]);
            p->pos = body;
            run_block(p);
            end = p->pos;
        }
        p->pos = end;
    }
    p->loop_depth--;
    if (!p->returning && is_kw(p, peek(p), "else"))
        ki_fail(p, peek(p)->line, peek(p)->col, "'for ... else' is not supported");
    end_statement(p, &st);
}

/* One branch of an if: run when taken, skipped when not, read without changing the
 * model (dry) when its condition cannot be known. */
static void if_branch(kparser *p, int how)
{
    if (how > 0) {
        run_block(p);
    } else if (how == 0) {
        skip_block(p);
    } else {
        p->dry++;
        run_block(p);
        p->dry--;
    }
}

/* if / elif / else whose conditions are known when the script is read (constants,
 * names, a layer's name in a loop): the branch Python would take runs, the others are
 * skipped. A condition on values dropscope does not read (data, history): the branches
 * are read without changing the model and the statement is noted; one that would
 * change the model fails. */
static void if_statement(kparser *p)
{
    const ktok *kw = next(p);
    stmt_state st = begin_statement(p, kw);
    bool taken = false, unknown = false;
    for (;;) {
        kval *c = ki_test(p);
        expect_op(p, ':', "':' after the condition");
        bool known;
        bool v = ki_truth(p, c, &known);
        if (!known && !taken) {
            unknown = true;
            ki_event(p, C_GENERIC, NULL);
        }
        if_branch(p, taken ? 0 : !known ? -1 : v ? 1 : 0);
        taken |= known && v;
        if (p->returning || !is_kw(p, peek(p), "elif"))
            break;
        next(p);
    }
    if (!p->returning && is_kw(p, peek(p), "else")) {
        next(p);
        expect_op(p, ':', "':' after 'else'");
        if_branch(p, taken ? 0 : unknown ? -1 : 1);
    }
    end_statement(p, &st);
}

static void class_statement(kparser *p)
{
    const ktok *kw = next(p);
    stmt_state st = begin_statement(p, kw);
    const ktok *name = expect_name(p, "a class name");
    bool callback = false;
    if (is_op(peek(p), '(')) {
        next(p);
        while (!is_op(peek(p), ')')) {
            const ktok *u = peek(p);
            kval *b = ki_test(p);
            if (b->k == V_OPAQUE && strstr(b->path, "callbacks"))
                callback = true;
            (void)u;
            if (!is_op(peek(p), ','))
                break;
            next(p);
        }
        expect_op(p, ')', "')'");
    }
    expect_op(p, ':', "':'");
    char nb[64];
    ki_tok_text(p, name, nb, sizeof nb);
    if (!callback)
        ki_fail(p, kw->line, kw->col,
                "'class' is not supported (only Keras callbacks, which act inside model.fit, are skipped with a note)");
    skip_block(p);
    kval *cls = ki_opaque(p, "callbacks.class", nb, kw->line, kw->col);
    ki_var_set(p, nb, cls);
    end_statement(p, &st);
    ki_note(p->pg, kw->line, "class %s is not imported: callbacks act inside model.fit, which dropscope does not import",
            nb);
}

/* def NAME(params): the function is recorded (its defaults evaluated now, as Python
 * does) and its body skipped; a call runs it (ki_call_def). */
static void def_statement(kparser *p)
{
    const ktok *kw = next(p);
    stmt_state st = begin_statement(p, kw);
    const ktok *name = expect_name(p, "a function name");
    if (p->n_defs == p->cap_defs) {
        int cap = p->cap_defs ? p->cap_defs * 2 : 8;
        kdef *d = realloc(p->defs, sizeof *d * (size_t)cap);
        if (!d)
            ki_fail(p, kw->line, kw->col, "out of memory");
        p->defs = d;
        p->cap_defs = cap;
    }
    const int di = p->n_defs++; /* reserved now: a default's call may define functions */
    kdef *d = &p->defs[di];
    memset(d, 0, sizeof *d);
    d->name = name;
    expect_op(p, '(', "'(' after the function's name");
    while (!is_op(peek(p), ')')) {
        const ktok *u = peek(p);
        if (is_op(u, '*') || is_op(u, KO_POW) || is_op(u, '/'))
            ki_fail(p, u->line, u->col, "*args, **kwargs and '/' in a function's parameters are not supported: name each one");
        const ktok *pn = expect_name(p, "a parameter name");
        if (d->n == KI_MAX_PARAMS)
            ki_fail(p, pn->line, pn->col, "a function with more than %d parameters is not supported", KI_MAX_PARAMS);
        if (is_op(peek(p), ':'))
            ki_fail(p, peek(p)->line, peek(p)->col, "parameter annotations are not supported");
        kval *def = NULL;
        if (is_op(peek(p), '=')) {
            next(p);
            def = ki_test(p);
            d = &p->defs[di]; /* p->defs may have moved */
        } else if (d->n > 0 && d->defaults[d->n - 1]) {
            ki_fail(p, pn->line, pn->col, "syntax error: a parameter without a default after one with a default");
        }
        d->params[d->n] = pn;
        d->defaults[d->n++] = def;
        if (!is_op(peek(p), ','))
            break;
        next(p);
    }
    expect_op(p, ')', "')' after the parameters");
    if (is_op(peek(p), KO_ARROW))
        ki_fail(p, peek(p)->line, peek(p)->col, "return annotations are not supported");
    expect_op(p, ':', "':' after the function's header");
    d = &p->defs[di];
    d->body = p->pos;
    skip_block(p);
    kval *f = ki_val(p, V_DEF, kw->line, kw->col);
    f->idx = di;
    ki_var_set_tok(p, name, f);
    end_statement(p, &st);
}

kval *ki_call_def(kparser *p, const kval *f, const kargs *a, int line, int col)
{
    const kdef *d = &p->defs[f->idx]; /* not used once the body runs: p->defs may move */
    char fn[64], pb[64];
    ki_tok_text(p, d->name, fn, sizeof fn);
    if (p->def_depth >= (int)(sizeof p->def_saved / sizeof p->def_saved[0]))
        ki_fail(p, line, col, "%s(...): functions calling functions more than 8 deep are not supported", fn);
    if (a->star)
        ki_fail(p, a->star_line, a->star_col, "*args and **kwargs are not supported in a call of %s: write the arguments out", fn);
    kval *bound[KI_MAX_PARAMS] = {0};
    for (int i = 0; i < a->n; i++) {
        const karg *g = &a->a[i];
        int k = i;
        if (g->key) {
            k = -1;
            for (int j = 0; j < d->n; j++)
                if (d->params[j]->len == g->key->len &&
                    !memcmp(p->lx->src + d->params[j]->off, p->lx->src + g->key->off, (size_t)g->key->len))
                    k = j;
            if (k < 0)
                ki_fail(p, g->line, g->col, "%s() has no parameter '%s'", fn, ki_tok_text(p, g->key, pb, sizeof pb));
        } else if (k >= d->n) {
            ki_fail(p, g->line, g->col, "%s() takes %d argument%s, %d given", fn, d->n, d->n == 1 ? "" : "s", a->n);
        }
        if (bound[k])
            ki_fail(p, g->line, g->col, "%s() got two values for '%s'", fn, ki_tok_text(p, d->params[k], pb, sizeof pb));
        bound[k] = g->v;
    }
    for (int j = 0; j < d->n; j++) {
        if (!bound[j] && !d->defaults[j])
            ki_fail(p, line, col, "%s() is missing the argument '%s'", fn, ki_tok_text(p, d->params[j], pb, sizeof pb));
        if (!bound[j])
            bound[j] = d->defaults[j];
    }
    /* the function's names are its own: the variables as they were come back after it
     * (what it does to layers and models stays, as in Python) */
    kvar *saved = malloc(sizeof *saved * (p->cap_vars ? p->cap_vars : 1));
    if (!saved)
        ki_fail(p, line, col, "out of memory");
    p->def_saved[p->def_depth] = saved;
    if (p->cap_vars)
        memcpy(saved, p->vars, sizeof *saved * p->cap_vars);
    size_t saved_n = p->n_vars, saved_cap = p->cap_vars;
    for (int j = 0; j < d->n; j++)
        ki_var_set_tok(p, d->params[j], bound[j]);
    int pos = p->pos, loops = p->loop_depth;
    p->pos = d->body;
    p->loop_depth = 0;
    p->def_depth++;
    p->ret = NULL;
    p->returning = false;
    run_block(p);
    kval *r = p->ret ? p->ret : ki_val(p, V_NONE, line, col);
    p->ret = NULL;
    p->returning = false;
    p->def_depth--;
    p->def_saved[p->def_depth] = NULL;
    p->loop_depth = loops;
    p->pos = pos;
    free(p->vars); /* the table as it was (it may have grown meanwhile) */
    p->vars = saved;
    p->n_vars = saved_n;
    p->cap_vars = saved_cap;
    return r;
}

static void statement(kparser *p)
{
    const ktok *t = peek(p);
    work(p, t);
    if (t->kind == KT_NEWLINE) {
        next(p);
        return;
    }
    if (t->kind == KT_INDENT)
        ki_fail(p, t->line, t->col, "syntax error: unexpected indentation");
    if (t->kind == KT_MAGIC) {
        char sn[96];
        ki_snippet(p, t, sn, sizeof sn);
        ki_note(p->pg, t->line, "`%s` is not imported: a notebook command", sn);
        next(p);
        if (peek(p)->kind == KT_NEWLINE)
            next(p);
        return;
    }
    if (is_kw(p, t, "for")) {
        for_statement(p);
        return;
    }
    if (is_kw(p, t, "class")) {
        class_statement(p);
        return;
    }
    if (is_kw(p, t, "if")) {
        if_statement(p);
        return;
    }
    if (is_kw(p, t, "def")) {
        def_statement(p);
        return;
    }
    static const char *const unsupported[] = {"elif", "else", "while", "with", "try", "except",
                                              "finally", "async", NULL};
    for (int i = 0; unsupported[i]; i++)
        if (is_kw(p, t, unsupported[i]))
            ki_fail(p, t->line, t->col,
                    "'%s' is not supported: dropscope reads the Keras code that builds a model (if, for and def, no while, with or try)",
                    unsupported[i]);
    if (is_op(t, '@'))
        ki_fail(p, t->line, t->col, "decorators are not supported");
    simple_statements(p);
}

int ki_run(kprog *pg, const klex *lx, const char *path, char *err, size_t errlen)
{
    kparser *p = ki_parser_new(pg, lx, path, err, errlen);
    if (!p) {
        if (err && errlen)
            snprintf(err, errlen, "%s:1:1: out of memory", path);
        return -1;
    }
    int rc = 0;
    if (setjmp(p->jb)) {
        rc = -1;
    } else {
        while (peek(p)->kind != KT_EOF) {
            if (peek(p)->kind == KT_DEDENT) {
                next(p);
                continue;
            }
            statement(p);
        }
        ka_default_compile(p);
    }
    ki_parser_free(p);
    return rc;
}
