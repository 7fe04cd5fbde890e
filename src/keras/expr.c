/* Expressions of the Python subset the Keras importer runs, with Python's precedence:
 * plain values (numbers, strings, lists, tuples, None/True/False), variables,
 * comprehensions (read, not run), operators, subscripts and slices, attributes, and
 * calls: Python's builtins here, Keras's through api.c. The statements are in eval.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/api.h"
#include "keras/cursor.h"
#include "keras/expr.h"
#include "keras/runtime.h"

static kval *builtin(kparser *p, const char *name, int line, int col);
static kval *or_test(kparser *p);

static bool truthy(kparser *p, const kval *v, bool *known)
{
    (void)p;
    *known = true;
    switch (v->k) {
    case V_NONE: return false;
    case V_BOOL: return v->b;
    case V_NUM: return v->num != 0;
    case V_STR: return v->slen > 0 || v->unusable;
    case V_SEQ: return v->n > 0;
    case V_OPAQUE: *known = false; return false;
    default: return true;
    }
}

static kval *num_val(kparser *p, double x, bool is_int, int line, int col)
{
    kval *v = ki_val(p, V_NUM, line, col);
    v->num = x;
    v->is_int = is_int && fabs(x) < 9e15;
    v->huge = is_int && !v->is_int;
    v->i = v->is_int ? (int64_t)x : 0;
    return v;
}

static bool is_number(const kval *v)
{
    return (v->k == V_NUM && !v->big) || v->k == V_BOOL;
}

static double numv(const kval *v)
{
    return v->k == V_BOOL ? (v->b ? 1 : 0) : v->num;
}

static bool is_intv(const kval *v)
{
    return v->k == V_BOOL || (v->k == V_NUM && v->is_int);
}

static bool is_model_value(const kval *v)
{
    return v->k == V_LAYER || v->k == V_TENSOR || v->k == V_BASE || v->k == V_MODEL || v->k == V_LAYERS ||
           v->k == V_OPT || v->k == V_LOSS;
}

static const char *op_name(int op, char *buf)
{
    switch (op) {
    case KO_POW: return "**";
    case KO_FLOORDIV: return "//";
    case KO_SHL: return "<<";
    case KO_SHR: return ">>";
    default: buf[0] = (char)op; buf[1] = '\0'; return buf;
    }
}

static kval *seq_new(kparser *p, bool tuple, int cap, int line, int col)
{
    kval *v = ki_val(p, V_SEQ, line, col);
    v->tuple = tuple;
    v->cap = cap > 4 ? cap : 4;
    v->items = ki_alloc(p, sizeof *v->items * (size_t)v->cap);
    return v;
}

static void seq_push(kparser *p, kval *s, kval *x, int line, int col)
{
    if (s->n >= KI_MAX_SEQ)
        ki_fail(p, line, col, "a list or tuple of more than %d elements is not supported", KI_MAX_SEQ);
    if (s->n == s->cap) {
        int cap = s->cap * 2;
        kval **it = ki_alloc(p, sizeof *it * (size_t)cap);
        memcpy(it, s->items, sizeof *it * (size_t)s->n);
        s->items = it;
        s->cap = cap;
    }
    s->items[s->n++] = x;
}

kval *ki_binop(kparser *p, int op, kval *a, kval *b, const ktok *at)
{
    char ob[4];
    if (is_model_value(a) || is_model_value(b)) {
        if (a->k == V_TENSOR || b->k == V_TENSOR)
            ki_fail(p, at->line, at->col,
                    "'%s' on a layer's output is not supported: it adds an operation to the model that dropscope cannot run (use layers)",
                    op_name(op, ob));
        ki_fail(p, at->line, at->col, "'%s' is not supported on %s", op_name(op, ob),
                is_model_value(a) ? ki_kind_name(a) : ki_kind_name(b));
    }
    if (a->k == V_OPAQUE || b->k == V_OPAQUE || (a->k == V_STR && a->unusable) || (b->k == V_STR && b->unusable)) {
        kval *o = a->k == V_OPAQUE ? a : b->k == V_OPAQUE ? b : NULL;
        kval *r = ki_opaque(p, o ? o->path : "expression", o ? o->s : "an expression", at->line, at->col);
        if (o)
            r->origin = o->origin;
        return r;
    }
    if (is_number(a) && is_number(b)) {
        double x = numv(a), y = numv(b), r;
        bool ints = (is_intv(a) || a->huge) && (is_intv(b) || b->huge); /* -10**18 stays whole */
        switch (op) {
        case '+': r = x + y; break;
        case '-': r = x - y; break;
        case '*': r = x * y; break;
        case '/':
            if (y == 0)
                ki_fail(p, at->line, at->col, "division by zero");
            r = x / y;
            ints = false;
            break;
        case KO_FLOORDIV:
            if (y == 0)
                ki_fail(p, at->line, at->col, "division by zero");
            r = floor(x / y);
            break;
        case '%':
            if (y == 0)
                ki_fail(p, at->line, at->col, "division by zero");
            r = x - floor(x / y) * y;
            break;
        case KO_POW:
            r = pow(x, y);
            if (y < 0)
                ints = false;
            break;
        default:
            ki_fail(p, at->line, at->col, "the operator '%s' is not supported here", op_name(op, ob));
        }
        if (!isfinite(r) && op != KO_POW)
            ki_fail(p, at->line, at->col, "the result of '%s' is not a finite number", op_name(op, ob));
        return num_val(p, r, ints, at->line, at->col);
    }
    if (op == '+' && a->k == V_STR && b->k == V_STR) {
        if (a->slen + b->slen > KI_MAX_STR)
            ki_fail(p, at->line, at->col, "a string longer than %d bytes is not supported", KI_MAX_STR);
        kval *r = ki_val(p, V_STR, at->line, at->col);
        char *s = ki_alloc(p, (size_t)(a->slen + b->slen) + 1);
        memcpy(s, a->s, (size_t)a->slen);
        memcpy(s + a->slen, b->s, (size_t)b->slen);
        r->s = s;
        r->slen = a->slen + b->slen;
        return r;
    }
    if (op == '+' && a->k == V_SEQ && b->k == V_SEQ && a->tuple == b->tuple) {
        kval *r = seq_new(p, a->tuple, a->n + b->n, at->line, at->col);
        for (int i = 0; i < a->n; i++)
            seq_push(p, r, a->items[i], at->line, at->col);
        for (int i = 0; i < b->n; i++)
            seq_push(p, r, b->items[i], at->line, at->col);
        return r;
    }
    if (op == '*' && ((a->k == V_SEQ && is_intv(b)) || (b->k == V_SEQ && is_intv(a)))) {
        kval *s = a->k == V_SEQ ? a : b;
        double k = numv(a->k == V_SEQ ? b : a);
        if (k < 0)
            k = 0;
        if (k * s->n > KI_MAX_SEQ)
            ki_fail(p, at->line, at->col, "a list or tuple of more than %d elements is not supported", KI_MAX_SEQ);
        kval *r = seq_new(p, s->tuple, (int)k * s->n, at->line, at->col);
        for (int j = 0; j < (int)k; j++)
            for (int i = 0; i < s->n; i++)
                seq_push(p, r, s->items[i], at->line, at->col);
        return r;
    }
    if (a->k == V_STR || b->k == V_STR)
        return ki_opaque(p, "str", "a string expression", at->line, at->col);
    ki_fail(p, at->line, at->col, "'%s' is not supported between %s and %s", op_name(op, ob), ki_kind_name(a),
            ki_kind_name(b));
}

bool ki_truth(kparser *p, const kval *v, bool *known)
{
    return truthy(p, v, known);
}

static kval *call_args_and_call(kparser *p, kval *callee, const ktok *open, const ktok *first);

/* The image folder a data generator reads (its first argument or directory=), when a
 * plain string: named in messages about data the stand-in cannot replace. */
static void remember_data_dir(kparser *p, const char *fn, const kargs *a, int line)
{
    if (p->pg->data_dir[0] || (strcmp(fn, "flow_from_directory") && strcmp(fn, "image_dataset_from_directory")))
        return;
    for (int i = 0; i < a->n; i++) {
        char kb[32];
        bool dir = a->a[i].key ? !strcmp(ki_tok_text(p, a->a[i].key, kb, sizeof kb), "directory") : i == 0;
        const kval *v = a->a[i].v;
        if (dir && v->k == V_STR && !v->unusable && v->slen > 0 && v->slen < (int)sizeof p->pg->data_dir) {
            snprintf(p->pg->data_dir, sizeof p->pg->data_dir, "%s", v->s);
            ki_sanitize(p->pg->data_dir);
            p->pg->data_dir_line = line;
            return;
        }
    }
}
static kval *call_with_args(kparser *p, kval *callee, kargs *a, const ktok *open, const ktok *first);

/* A comprehension's `for ... in ... [if ...]` clauses, after its element was read in dry
 * mode. The result is a value dropscope does not import. */
static void comp_for(kparser *p)
{
    while (is_kw(p, peek(p), "for") || is_kw(p, peek(p), "async")) {
        if (is_kw(p, peek(p), "async"))
            next(p);
        next(p);
        /* targets: names separated by commas, maybe in parentheses */
        int depth = 0;
        for (;;) {
            const ktok *t = peek(p);
            if (is_kw(p, t, "in") && depth == 0)
                break;
            if (t->kind == KT_NEWLINE || t->kind == KT_EOF || (depth == 0 && (is_op(t, ')') || is_op(t, ']') || is_op(t, '}'))))
                expected(p, t, "'in'");
            if (is_op(t, '(') || is_op(t, '['))
                depth++;
            else if (is_op(t, ')') || is_op(t, ']'))
                depth--;
            next(p);
        }
        next(p);
        p->dry++;
        or_test(p);
        while (is_kw(p, peek(p), "if")) {
            next(p);
            or_test(p);
        }
        p->dry--;
    }
}

/* Whether a `for` follows at bracket depth 0 before the closing bracket (or, in a
 * call's argument, before the next ','): a comprehension or generator. */
static bool comp_ahead(kparser *p, bool stop_at_comma)
{
    int depth = 0;
    for (int i = p->pos; i < p->lx->n; i++) {
        const ktok *t = &p->lx->t[i];
        if (t->kind == KT_EOF)
            return false;
        if (is_op(t, '(') || is_op(t, '[') || is_op(t, '{'))
            depth++;
        else if (is_op(t, ')') || is_op(t, ']') || is_op(t, '}')) {
            if (depth-- == 0)
                return false;
        } else if (depth == 0 && stop_at_comma && is_op(t, ','))
            return false;
        else if (depth == 0 && is_kw(p, t, "for"))
            return true;
    }
    return false;
}

/* Adjacent string literals, joined. NUL bytes, f-strings and bytes: a string
 * whose value is not known. */
static kval *string_atom(kparser *p, const ktok *t)
{
    size_t total = 0;
    bool unusable = false;
    int k = 0;
    while (peek_at(p, k)->kind == KT_STR) {
        total += (size_t)peek_at(p, k)->slen;
        unusable |= peek_at(p, k)->unusable;
        k++;
    }
    kval *v = ki_val(p, V_STR, t->line, t->col); /* a literal of any length: the file is at most 1 MiB */
    char *s = ki_alloc(p, total + 1);
    size_t o = 0;
    for (int i = 0; i < k; i++) {
        const ktok *u = next(p);
        if (total) {
            memcpy(s + o, p->lx->strs + u->str, (size_t)u->slen);
            o += (size_t)u->slen;
        }
    }
    v->s = s;
    v->slen = (int)o;
    v->unusable = unusable;
    if (!unusable && memchr(s, '\0', o))
        v->unusable = true;
    return v;
}

/* None, True, False, a variable, a builtin, or a name this file does not define. */
static kval *name_atom(kparser *p, const ktok *t)
{
    char buf[80];
    if (is_kw(p, t, "None") || is_kw(p, t, "True") || is_kw(p, t, "False")) {
        next(p);
        kval *v = ki_val(p, is_kw(p, t, "None") ? V_NONE : V_BOOL, t->line, t->col);
        v->b = is_kw(p, t, "True");
        return v;
    }
    if (is_kw(p, t, "lambda"))
        ki_fail(p, t->line, t->col, "'lambda' is not supported: dropscope reads a model built from Keras layers");
    if (is_kw(p, t, "yield") || is_kw(p, t, "await"))
        ki_fail(p, t->line, t->col, "'%s' is not supported", ki_tok_text(p, t, buf, sizeof buf));
    if (is_keyword(p, t))
        expected(p, t, "a value");
    next(p);
    kval *v = ki_var_get(p, t);
    if (!v)
        v = builtin(p, ki_tok_text(p, t, buf, sizeof buf), t->line, t->col);
    if (!v)
        v = ka_unimported(p, buf, t); /* a pasted snippet's missing import */
    if (!v) {
        /* not defined in this file (a notebook's other cell, a typo): fine where
         * the model does not need it, an error where it does */
        ki_tok_text(p, t, buf, sizeof buf);
        if (!p->dry)
            ki_note(p->pg, t->line, "the name '%s' is not defined in this file", buf);
        if (!p->pg->undefined[0]) {
            snprintf(p->pg->undefined, sizeof p->pg->undefined, "%.60s", buf);
            p->pg->undefined_line = t->line;
            p->pg->undefined_col = t->col;
        }
        kval *u = ki_opaque(p, "undefined", buf, t->line, t->col);
        ki_event(p, C_GENERIC, NULL);
        return u;
    }
    if (v->k == V_OPAQUE)
        ki_event(p, C_GENERIC, NULL);
    return v;
}

/* A comprehension's element and its for/if clauses. The element is read in dry mode:
 * nothing it does can change the model, and its value is not known. */
static void comp_body(kparser *p)
{
    p->dry++;
    ki_test(p);
    p->dry--;
    if (!is_kw(p, peek(p), "for"))
        expected(p, peek(p), "'for'");
    comp_for(p);
}

/* The rest of a comprehension opened at t, up to close. */
static kval *comprehension(kparser *p, const ktok *t, int close, const char *what, const char *path)
{
    char want[8];
    comp_body(p);
    snprintf(want, sizeof want, "'%c'", close);
    expect_op(p, close, want);
    return ki_opaque(p, path, what, t->line, t->col);
}

/* ( ... ): (), a parenthesized value or tuple, or a generator expression. */
static kval *paren_atom(kparser *p, const ktok *t)
{
    next(p);
    if (is_op(peek(p), ')')) {
        next(p);
        return seq_new(p, true, 0, t->line, t->col);
    }
    if (is_kw(p, peek(p), "yield"))
        ki_fail(p, peek(p)->line, peek(p)->col, "'yield' is not supported");
    if (comp_ahead(p, false))
        return comprehension(p, t, ')', "a generator expression", "generator");
    bool comma = false;
    kval *v = ki_testlist(p, &comma);
    expect_op(p, ')', "')' or ','");
    return v;
}

/* [ ... ]: a list, or a list comprehension. */
static kval *list_atom(kparser *p, const ktok *t)
{
    next(p);
    kval *s = seq_new(p, false, 4, t->line, t->col);
    if (is_op(peek(p), ']')) {
        next(p);
        return s;
    }
    if (comp_ahead(p, false))
        return comprehension(p, t, ']', "a list comprehension", "comprehension");
    for (;;) {
        const ktok *u = peek(p);
        if (is_op(u, '*'))
            ki_fail(p, u->line, u->col, "'*' unpacking in a list is not supported");
        seq_push(p, s, ki_test(p), u->line, u->col);
        if (!is_op(peek(p), ','))
            break;
        next(p);
        if (is_op(peek(p), ']'))
            break;
    }
    expect_op(p, ']', "']' or ','");
    return s;
}

/* { ... }: a dict or a set, read but not imported. */
static kval *dict_atom(kparser *p, const ktok *t)
{
    next(p);
    while (!is_op(peek(p), '}')) {
        if (is_op(peek(p), KO_POW) || is_op(peek(p), '*'))
            next(p);
        ki_test(p);
        if (is_op(peek(p), ':')) {
            next(p);
            ki_test(p);
        }
        if (is_kw(p, peek(p), "for")) {
            comp_for(p);
            break;
        }
        if (!is_op(peek(p), ','))
            break;
        next(p);
    }
    expect_op(p, '}', "'}' or ','");
    ki_event(p, C_GENERIC, "a dict");
    return ki_opaque(p, "dict", "a dict", t->line, t->col);
}

kval *ki_atom(kparser *p)
{
    const ktok *t = peek(p);
    work(p, t);
    switch (t->kind) {
    case KT_NUM: {
        next(p);
        kval *v = ki_val(p, V_NUM, t->line, t->col);
        v->num = t->num;
        v->is_int = t->is_int && !t->big;
        v->big = t->big;
        v->huge = t->is_int && t->big;
        v->i = t->ival;
        return v;
    }
    case KT_STR: return string_atom(p, t);
    case KT_NAME: return name_atom(p, t);
    case KT_OP: break;
    default: expected(p, t, "a value");
    }
    if (is_op(t, KO_ELLIPSIS)) {
        next(p);
        return ki_opaque(p, "Ellipsis", "...", t->line, t->col);
    }
    if (is_op(t, '('))
        return paren_atom(p, t);
    if (is_op(t, '['))
        return list_atom(p, t);
    if (is_op(t, '{'))
        return dict_atom(p, t);
    expected(p, t, "a value");
}

/* [a], [a:b], [a:b:c] after a value. */
static kval *subscript(kparser *p, kval *obj, const ktok *open)
{
    kval *idx = NULL;
    const ktok *t = peek(p);
    bool slice = false;
    kval *parts[3] = {NULL, NULL, NULL};
    int k = 0;
    for (;;) {
        const ktok *u = peek(p);
        if (is_op(u, ':')) {
            next(p);
            slice = true;
            if (++k > 2)
                expected(p, u, "']'");
            continue;
        }
        if (is_op(u, ']'))
            break;
        if (parts[k])
            expected(p, u, "':' or ']'");
        bool comma = false;
        parts[k] = ki_testlist(p, &comma);
    }
    expect_op(p, ']', "']'");
    if (!slice)
        idx = parts[0];
    if (!slice && !idx)
        expected(p, t, "an index");
    if (obj->k == V_OPAQUE || obj->k == V_STR) {
        kval *r = ki_opaque(p, obj->k == V_OPAQUE ? obj->path : "str", obj->k == V_OPAQUE ? obj->s : "a string",
                            open->line, open->col);
        if (obj->k == V_OPAQUE)
            r->origin = obj->origin;
        return r;
    }
    if (slice) {
        idx = ki_val(p, V_SLICE, t->line, t->col);
        for (int i = 0; i < 3; i++) {
            if (!parts[i] || parts[i]->k == V_NONE)
                continue;
            ki_need_known(p, parts[i], t->line, t->col, "in a slice");
            bool huge = parts[i]->k == V_NUM && parts[i]->huge; /* Python clamps: [:10**18] is [:] */
            if (!is_intv(parts[i]) && !huge)
                ki_fail(p, t->line, t->col, "a slice takes whole numbers, found %s", ki_kind_name(parts[i]));
            int64_t x = huge ? (parts[i]->num > 0 ? INT64_MAX / 4 : -INT64_MAX / 4)
                             : parts[i]->k == V_BOOL ? parts[i]->b : parts[i]->i;
            if (i == 0) {
                idx->has_lo = true;
                idx->lo = x;
            } else if (i == 1) {
                idx->has_hi = true;
                idx->hi = x;
            } else if (x != 1) {
                ki_fail(p, t->line, t->col, "a slice with a step is not supported");
            }
        }
    } else {
        ki_need_known(p, idx, t->line, t->col, "as an index");
    }
    if (obj->k == V_LAYERS)
        return ka_layers_index(p, obj, idx, open->line, open->col);
    if (obj->k == V_SEQ) {
        int64_t n = obj->n;
        if (idx->k == V_SLICE) {
            int64_t lo, hi;
            ki_slice_bounds(idx, n, &lo, &hi);
            kval *r = seq_new(p, obj->tuple, (int)(hi - lo), open->line, open->col);
            for (int64_t i = lo; i < hi; i++)
                seq_push(p, r, obj->items[i], open->line, open->col);
            return r;
        }
        if (idx->k == V_NUM && idx->huge)
            ki_fail(p, t->line, t->col, "index %.0f is out of range (the %s has %d elements)", idx->num,
                    obj->tuple ? "tuple" : "list", obj->n);
        if (!is_intv(idx))
            ki_fail(p, t->line, t->col, "a list index must be a whole number, found %s", ki_kind_name(idx));
        int64_t i = idx->k == V_BOOL ? idx->b : idx->i;
        if (i < 0)
            i += n;
        if (i < 0 || i >= n)
            ki_fail(p, t->line, t->col, "index out of range (the %s has %d elements)", obj->tuple ? "tuple" : "list",
                    obj->n);
        return obj->items[i];
    }
    ki_fail(p, open->line, open->col, "%s cannot be indexed here", ki_kind_name(obj));
}

static kval *getattr_val(kparser *p, kval *obj, const ktok *name)
{
    char nb[80];
    ki_tok_text(p, name, nb, sizeof nb);
    switch (obj->k) {
    case V_SYM:
        if (obj->sym == S_MODULE) {
            char path[256], sp[256];
            snprintf(path, sizeof path, "%s.%s", obj->path, nb);
            snprintf(sp, sizeof sp, "%s.%s", obj->s, nb);
            return ka_resolve(p, path, sp, name);
        }
        return ki_opaque(p, obj->path, obj->s, name->line, name->col);
    case V_OPAQUE: {
        char path[256], sp[256];
        snprintf(path, sizeof path, "%s.%s", obj->path, nb);
        snprintf(sp, sizeof sp, "%s.%s", obj->s, nb);
        kval *r = ki_opaque(p, path, sp, name->line, name->col);
        r->origin = obj->origin;
        r->batch = obj->batch;
        return r;
    }
    case V_NONE:
        ki_fail(p, name->line, name->col, "None has no attribute '%s'", nb);
    case V_SEQ:
        if (!obj->tuple && (!strcmp(nb, "append") || !strcmp(nb, "extend"))) {
            kval *m = ki_val(p, V_METHOD, name->line, name->col);
            m->self = obj;
            m->meth = ki_strdup(p, nb);
            return m;
        }
        return ki_opaque(p, "list", "a list", name->line, name->col);
    case V_LAYER:
    case V_TENSOR:
    case V_BASE:
    case V_MODEL:
    case V_LAYERS:
    case V_OPT:
    case V_LOSS:
        return ka_getattr(p, obj, name);
    default:
        return ki_opaque(p, "value", "a value", name->line, name->col);
    }
}

kval *ki_primary(kparser *p, int stop)
{
    const ktok *first = peek(p);
    kval *v = ki_atom(p);
    while (stop < 0 || p->pos < stop) {
        const ktok *t = peek(p);
        if (is_op(t, '.')) {
            next(p);
            const ktok *name = peek(p);
            if (name->kind != KT_NAME)
                expected(p, name, "a name after '.'");
            next(p);
            v = getattr_val(p, v, name);
        } else if (is_op(t, '(')) {
            next(p);
            v = call_args_and_call(p, v, t, first);
        } else if (is_op(t, '[')) {
            next(p);
            v = subscript(p, v, t);
        } else if (stop < 0) {
            return v;
        } else {
            expected(p, t, "'=' after the target");
        }
    }
    return v;
}

static kval *factor(kparser *p);

static kval *power(kparser *p)
{
    kval *a = ki_primary(p, -1);
    const ktok *t = peek(p);
    if (is_op(t, KO_POW)) {
        next(p);
        kval *b = factor(p); /* 2 ** -1 */
        return ki_binop(p, KO_POW, a, b, t);
    }
    return a;
}

static kval *factor(kparser *p)
{
    const ktok *t = peek(p);
    if (is_op(t, '-') || is_op(t, '+') || is_op(t, '~')) {
        next(p);
        if (++p->depth > KI_MAX_DEPTH * 4)
            ki_fail(p, t->line, t->col, "the expression is nested too deeply");
        kval *x = factor(p);
        p->depth--;
        if (is_op(t, '+'))
            return ki_binop(p, '+', num_val(p, 0, true, t->line, t->col), x, t);
        if (is_op(t, '~')) {
            if (x->k == V_OPAQUE)
                return x;
            if (!is_intv(x))
                ki_fail(p, t->line, t->col, "'~' needs a whole number");
            return num_val(p, -numv(x) - 1, true, t->line, t->col);
        }
        if (x->k == V_NUM && x->big) {
            kval *r = num_val(p, -x->num, false, t->line, t->col);
            r->big = true;
            return r;
        }
        return ki_binop(p, '-', num_val(p, 0, true, t->line, t->col), x, t);
    }
    return power(p);
}

static kval *term(kparser *p)
{
    kval *a = factor(p);
    for (;;) {
        const ktok *t = peek(p);
        if (!(is_op(t, '*') || is_op(t, '/') || is_op(t, '%') || is_op(t, KO_FLOORDIV) || is_op(t, '@')))
            return a;
        next(p);
        kval *b = factor(p);
        a = ki_binop(p, t->op, a, b, t);
    }
}

static kval *arith(kparser *p)
{
    kval *a = term(p);
    for (;;) {
        const ktok *t = peek(p);
        if (!is_op(t, '+') && !is_op(t, '-'))
            return a;
        next(p);
        kval *b = term(p);
        a = ki_binop(p, t->op, a, b, t);
    }
}

static kval *bitwise(kparser *p)
{
    kval *a = arith(p);
    for (;;) {
        const ktok *t = peek(p);
        if (!(is_op(t, '&') || is_op(t, '|') || is_op(t, '^') || is_op(t, KO_SHL) || is_op(t, KO_SHR)))
            return a;
        next(p);
        kval *b = arith(p);
        if (is_model_value(a) || is_model_value(b))
            ki_binop(p, t->op, a, b, t); /* fails */
        a = ki_opaque(p, "expression", "a bitwise expression", t->line, t->col);
    }
}

static kval *comparison(kparser *p)
{
    kval *a = bitwise(p);
    bool any = false;
    kval *result = NULL;
    for (;;) {
        const ktok *t = peek(p);
        int op = 0;
        if (is_op(t, '<') || is_op(t, '>') || is_op(t, KO_EQ) || is_op(t, KO_NE) || is_op(t, KO_LE) ||
            is_op(t, KO_GE))
            op = t->op;
        else if (is_kw(p, t, "in") || is_kw(p, t, "is"))
            op = 'i';
        else if (is_kw(p, t, "not") && is_kw(p, peek_at(p, 1), "in"))
            op = 'n';
        if (!op)
            return any ? result : a;
        next(p);
        bool is_op_ = op == 'i' && is_kw(p, t, "is"), negate = false;
        if (op == 'n' || (is_op_ && is_kw(p, peek(p), "not"))) {
            negate = is_op_;
            next(p);
        }
        kval *b = bitwise(p);
        any = true;
        bool r = false, known = false;
        bool none_cmp = (a->k == V_NONE || b->k == V_NONE) && a->k != V_OPAQUE && b->k != V_OPAQUE;
        if (none_cmp && (is_op_ || op == KO_EQ || op == KO_NE)) {
            /* x is None, x is not None, x == None: known when x is (fine_tune_at=None) */
            bool same = a->k == V_NONE && b->k == V_NONE;
            r = (is_op_ ? !negate : op == KO_EQ) ? same : !same;
            known = true;
        } else if (op != 'i' && op != 'n' && is_number(a) && is_number(b)) {
            double x = numv(a), y = numv(b);
            r = op == '<' ? x < y : op == '>' ? x > y : op == KO_EQ ? x == y : op == KO_NE ? x != y
                : op == KO_LE ? x <= y : x >= y;
            known = true;
        } else if ((op == KO_EQ || op == KO_NE) && a->k == V_STR && b->k == V_STR && !a->unusable && !b->unusable) {
            bool eq = a->slen == b->slen && !memcmp(a->s, b->s, (size_t)a->slen);
            r = op == KO_EQ ? eq : !eq;
            known = true;
        }
        if (known && (!result || result->k == V_BOOL)) {
            bool prev = !result || result->b;
            result = ki_val(p, V_BOOL, t->line, t->col);
            result->b = prev && r;
        } else {
            result = ki_opaque(p, "comparison", "a comparison", t->line, t->col);
        }
        a = b;
    }
}

static kval *not_test(kparser *p)
{
    const ktok *t = peek(p);
    if (is_kw(p, t, "not")) {
        next(p);
        if (++p->depth > KI_MAX_DEPTH * 4)
            ki_fail(p, t->line, t->col, "the expression is nested too deeply");
        kval *x = not_test(p);
        p->depth--;
        bool known;
        bool b = truthy(p, x, &known);
        if (!known)
            return ki_opaque(p, "not", "a 'not' expression", t->line, t->col);
        kval *r = ki_val(p, V_BOOL, t->line, t->col);
        r->b = !b;
        return r;
    }
    return comparison(p);
}

/* and/or: the operand Python would not evaluate is read in dry mode. */
static kval *bool_chain(kparser *p, bool is_or)
{
    kval *a = is_or ? bool_chain(p, false) : not_test(p);
    for (;;) {
        const ktok *t = peek(p);
        if (!is_kw(p, t, is_or ? "or" : "and"))
            return a;
        next(p);
        bool known;
        bool b = truthy(p, a, &known);
        bool skip = known && (is_or ? b : !b);
        if (skip)
            p->dry++;
        kval *c = is_or ? bool_chain(p, false) : not_test(p);
        if (skip)
            p->dry--;
        if (!known)
            a = ki_opaque(p, "boolean", "a boolean expression", t->line, t->col);
        else if (!skip)
            a = c;
    }
}

static kval *or_test(kparser *p)
{
    return bool_chain(p, true);
}

kval *ki_test(kparser *p)
{
    const ktok *t = peek(p);
    if (++p->depth > KI_MAX_DEPTH * 4)
        ki_fail(p, t->line, t->col, "the expression is nested too deeply");
    kval *v = or_test(p);
    const ktok *u = peek(p);
    if (is_kw(p, u, "if"))
        ki_fail(p, u->line, u->col, "a conditional expression ('... if ... else ...') is not supported");
    if (is_op(u, KO_WALRUS))
        ki_fail(p, u->line, u->col, "':=' is not supported");
    p->depth--;
    return v;
}

static bool ends_testlist(kparser *p, const ktok *t)
{
    return t->kind == KT_NEWLINE || t->kind == KT_EOF || is_op(t, ')') || is_op(t, ']') || is_op(t, '}') ||
           is_op(t, '=') || is_op(t, ';') || is_op(t, ':') || t->op == KO_AUG || is_kw(p, t, "for");
}

kval *ki_testlist(kparser *p, bool *had_comma)
{
    const ktok *t = peek(p);
    kval *v = ki_test(p);
    if (!is_op(peek(p), ','))
        return v;
    *had_comma = true;
    kval *s = seq_new(p, true, 4, t->line, t->col);
    seq_push(p, s, v, t->line, t->col);
    while (is_op(peek(p), ',')) {
        next(p);
        const ktok *u = peek(p);
        if (ends_testlist(p, u))
            break;
        seq_push(p, s, ki_test(p), u->line, u->col);
    }
    return s;
}

/* ---- calls ---- */

enum { B_PRINT = 0, B_LEN, B_TUPLE, B_LIST, B_INT, B_FLOAT, B_OPAQUE, B_FORBIDDEN };

static const struct {
    const char *name;
    int kind;
} builtins[] = {
    {"print", B_PRINT}, {"len", B_LEN}, {"tuple", B_TUPLE}, {"list", B_LIST}, {"int", B_INT},
    {"float", B_FLOAT}, {"range", B_OPAQUE}, {"zip", B_OPAQUE}, {"enumerate", B_OPAQUE},
    {"sum", B_OPAQUE}, {"min", B_OPAQUE}, {"max", B_OPAQUE}, {"abs", B_OPAQUE}, {"round", B_OPAQUE},
    {"sorted", B_OPAQUE}, {"reversed", B_OPAQUE}, {"isinstance", B_OPAQUE}, {"type", B_OPAQUE},
    {"open", B_OPAQUE}, {"format", B_OPAQUE}, {"repr", B_OPAQUE}, {"bool", B_OPAQUE}, {"map", B_OPAQUE},
    {"filter", B_OPAQUE}, {"any", B_OPAQUE}, {"all", B_OPAQUE}, {"iter", B_OPAQUE}, {"next", B_OPAQUE},
    {"hasattr", B_OPAQUE}, {"dir", B_OPAQUE}, {"id", B_OPAQUE}, {"vars", B_OPAQUE}, {"input", B_OPAQUE},
    {"dict", B_OPAQUE}, {"set", B_OPAQUE}, {"str", B_OPAQUE}, {"help", B_OPAQUE}, {"divmod", B_OPAQUE},
    {"pow", B_OPAQUE}, {"hex", B_OPAQUE}, {"chr", B_OPAQUE}, {"ord", B_OPAQUE}, {"callable", B_OPAQUE},
    {"setattr", B_FORBIDDEN}, {"getattr", B_FORBIDDEN}, {"delattr", B_FORBIDDEN}, {"exec", B_FORBIDDEN},
    {"eval", B_FORBIDDEN}, {"compile", B_FORBIDDEN}, {"__import__", B_FORBIDDEN}, {"globals", B_FORBIDDEN},
    {"locals", B_FORBIDDEN}, {"exit", B_FORBIDDEN}, {"quit", B_FORBIDDEN},
};

/* A Python builtin (print, len, ...), or NULL. */
static kval *builtin(kparser *p, const char *name, int line, int col)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].name, name)) {
            kval *v = ki_val(p, V_FUNC, line, col);
            v->sym = builtins[i].kind;
            v->s = builtins[i].name;
            return v;
        }
    return NULL;
}

static bool has_tensor(const kval *v, int depth)
{
    if (v->k == V_TENSOR)
        return true;
    if (v->k == V_SEQ && depth < 4)
        for (int i = 0; i < v->n; i++)
            if (has_tensor(v->items[i], depth + 1))
                return true;
    return false;
}

static kval *call_builtin(kparser *p, kval *f, kargs *a, int line, int col)
{
    char desc[96];
    snprintf(desc, sizeof desc, "%s(...)", f->s);
    switch (f->sym) {
    case B_PRINT: {
        bool only_summary = a->n > 0;
        for (int i = 0; i < a->n; i++)
            if (a->a[i].v->k != V_SUMMARY)
                only_summary = false;
        if (!only_summary)
            ki_event(p, C_PRINT, "print(...)");
        return ki_val(p, V_NONE, line, col);
    }
    case B_FORBIDDEN:
        ki_fail(p, line, col, "%s() is not supported: write the Keras calls themselves", f->s);
    default:
        break;
    }
    for (int i = 0; i < a->n; i++)
        if (has_tensor(a->a[i].v, 0))
            ki_fail(p, a->a[i].vline, a->a[i].vcol, "%s() of a layer's output is not supported: it adds an operation to the model",
                    f->s);
    kval *x = a->n == 1 && !a->a[0].key ? a->a[0].v : NULL;
    if (x && f->sym == B_LEN) {
        if (x->k == V_SEQ)
            return num_val(p, x->n, true, line, col);
        if (x->k == V_LAYERS)
            return num_val(p, x->nrefs, true, line, col);
    }
    if (x && (f->sym == B_TUPLE || f->sym == B_LIST) && x->k == V_SEQ) {
        kval *s = seq_new(p, f->sym == B_TUPLE, x->n, line, col);
        for (int i = 0; i < x->n; i++)
            seq_push(p, s, x->items[i], line, col);
        return s;
    }
    if (x && f->sym == B_LIST && x->k == V_LAYERS)
        return x;
    if (x && (f->sym == B_INT || f->sym == B_FLOAT) && is_number(x))
        return num_val(p, f->sym == B_INT ? trunc(numv(x)) : numv(x), f->sym == B_INT, line, col);
    ki_event(p, C_GENERIC, desc);
    return ki_opaque(p, f->s, f->s, line, col);
}

/* The callee's spelling for notes: "model.fit", "plt.plot", else "a call". */
static void spell_callee(kparser *p, const ktok *first, const ktok *open, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (const ktok *t = first; t < open; t++) {
        if (!(t->kind == KT_NAME || is_op(t, '.')) || k + (size_t)t->len + 1 >= n) {
            snprintf(out, n, "a call");
            return;
        }
        memcpy(out + k, p->lx->src + t->off, (size_t)t->len);
        k += (size_t)t->len;
        out[k] = '\0';
    }
    if (!k)
        snprintf(out, n, "a call");
}

static kval *call_args_and_call(kparser *p, kval *callee, const ktok *open, const ktok *first)
{
    if (p->call_depth >= (int)(sizeof p->argbufs / sizeof p->argbufs[0]))
        ki_fail(p, open->line, open->col, "calls nested too deeply");
    if (!p->argbufs[p->call_depth]) {
        p->argbufs[p->call_depth] = malloc(sizeof(kargs));
        if (!p->argbufs[p->call_depth])
            ki_fail(p, open->line, open->col, "out of memory");
    }
    kargs *a = p->argbufs[p->call_depth++];
    memset(a, 0, sizeof *a);
    kval *r = call_with_args(p, callee, a, open, first);
    p->call_depth--;
    return r;
}

static kval *call_with_args(kparser *p, kval *callee, kargs *a, const ktok *open, const ktok *first)
{
    while (!is_op(peek(p), ')')) {
        const ktok *t = peek(p);
        if (a->n == (int)(sizeof a->a / sizeof a->a[0]))
            ki_fail(p, t->line, t->col, "more than %d arguments in one call", (int)(sizeof a->a / sizeof a->a[0]));
        karg *g = &a->a[a->n];
        g->line = t->line;
        g->col = t->col;
        if (is_op(t, '*') || is_op(t, KO_POW)) {
            next(p);
            a->star = true;
            a->star_line = t->line;
            a->star_col = t->col;
            ki_test(p);
        } else {
            if (t->kind == KT_NAME && is_op(peek_at(p, 1), '=')) {
                if (is_keyword(p, t))
                    expected(p, t, "an argument");
                g->key = t;
                next(p);
                next(p);
            }
            const ktok *vt = peek(p);
            g->vline = vt->line;
            g->vcol = vt->col;
            bool gen = !g->key && comp_ahead(p, true);
            if (gen) /* f(x for x in y) */
                comp_body(p);
            g->v = gen ? ki_opaque(p, "generator", "a generator expression", vt->line, vt->col) : ki_test(p);
            for (int i = 0; i < a->n && g->key; i++)
                if (a->a[i].key && a->a[i].key->len == g->key->len &&
                    !memcmp(p->lx->src + a->a[i].key->off, p->lx->src + g->key->off, (size_t)g->key->len)) {
                    char kb[64];
                    ki_fail(p, t->line, t->col, "the argument '%s' is given twice", ki_tok_text(p, t, kb, sizeof kb));
                }
            if (!g->key)
                for (int i = 0; i < a->n; i++)
                    if (a->a[i].key)
                        ki_fail(p, t->line, t->col, "syntax error: a positional argument after a keyword argument");
            a->n++;
        }
        if (!is_op(peek(p), ','))
            break;
        next(p);
    }
    expect_op(p, ')', "')' or ','");
    int line = open->line, col = open->col;
    char sp[96];
    switch (callee->k) {
    case V_FUNC:
        return call_builtin(p, callee, a, first->line, first->col);
    case V_DEF:
        return ki_call_def(p, callee, a, first->line, first->col);
    case V_OPAQUE: {
        for (int i = 0; i < a->n; i++)
            if (has_tensor(a->a[i].v, 0)) {
                spell_callee(p, first, open, sp, sizeof sp);
                ki_fail(p, a->a[i].vline, a->a[i].vcol,
                        "%s(...) of a layer's output is not supported: it adds an operation to the model that dropscope cannot run",
                        sp);
            }
        spell_callee(p, first, open, sp, sizeof sp);
        char desc[128];
        snprintf(desc, sizeof desc, "%s(...)", sp);
        ki_event(p, callee->cat, desc);
        kval *r = ki_opaque(p, callee->path, callee->s, first->line, first->col);
        r->origin = first->line;
        r->cat = C_GENERIC;
        /* a data generator remembers its batch size (Keras's default 32) */
        if (callee->cat == C_DATA) {
            const char *tail = strrchr(callee->path, '.');
            tail = tail ? tail + 1 : callee->path;
            if (!strcmp(tail, "flow_from_directory") || !strcmp(tail, "flow") ||
                !strcmp(tail, "flow_from_dataframe") || !strcmp(tail, "image_dataset_from_directory")) {
                r->batch = 32;
                remember_data_dir(p, tail, a, first->line);
                for (int i = 0; i < a->n; i++) {
                    char kb[32];
                    if (a->a[i].key && !strcmp(ki_tok_text(p, a->a[i].key, kb, sizeof kb), "batch_size") &&
                        a->a[i].v->k == V_NUM && a->a[i].v->is_int)
                        r->batch = a->a[i].v->i > 0 && a->a[i].v->i < 1000000 ? (int)a->a[i].v->i : 0;
                }
            }
        }
        return r;
    }
    case V_METHOD:
        if (callee->self && callee->self->k == V_SEQ) {
            kval *s = callee->self;
            if (a->n != 1 || a->a[0].key)
                ki_fail(p, line, col, "list.%s takes one argument", callee->meth);
            if (!strcmp(callee->meth, "append")) {
                seq_push(p, s, a->a[0].v, line, col);
            } else {
                kval *x = a->a[0].v;
                if (x->k != V_SEQ)
                    ki_fail(p, a->a[0].vline, a->a[0].vcol, "list.extend needs a list here, found %s", ki_kind_name(x));
                for (int i = 0; i < x->n; i++)
                    seq_push(p, s, x->items[i], line, col);
            }
            return ki_val(p, V_NONE, line, col);
        }
        break;
    case V_NONE:
    case V_BOOL:
    case V_NUM:
    case V_STR:
    case V_SEQ:
    case V_SLICE:
        ki_fail(p, line, col, "%s is not callable", ki_kind_name(callee));
    default:
        break;
    }
    if (a->star)
        ki_fail(p, a->star_line, a->star_col, "*args and **kwargs are not supported in Keras calls: write the arguments out");
    return ka_call(p, callee, a, first->line, first->col);
}
