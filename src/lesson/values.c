/* Values (numbers, names, choices, shapes) and calls Name(arg, key=value, ...) of the
 * lesson language. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/parse_internal.h"

/* ------------------------------------------------------------------------------------ */
/* Values */

/* The rest of the line from the lexer position, without a trailing comment. */
void lsp_rest_of_line(parser *p, const char **s, int *n)
{
    int a = p->have_cur ? p->cur.off : p->pos;
    while (a < p->line_len && is_blank((unsigned char)p->line[a]))
        a++;
    int b = a;
    while (b < p->line_len && p->line[b] != '#')
        b++;
    while (b > a && is_blank((unsigned char)p->line[b - 1]))
        b--;
    *s = p->line + a;
    *n = b - a;
    p->pos = p->line_len;
    p->have_cur = false;
}

/* Inline text after a keyword: a quoted string alone on the rest of the line, else the
 * raw rest of the line. NULL when nothing follows. The result is p->tmp. */
char *lsp_inline_text(parser *p)
{
    lsp_skip_sep(p);
    int a = p->pos;
    while (a < p->line_len && is_blank((unsigned char)p->line[a]))
        a++;
    if (a >= p->line_len || p->line[a] == '#')
        return NULL;
    if (p->line[a] == '"' || p->line[a] == '\'') {
        tok t = peek(p);
        tok t2 = peek2(p);
        if (t.kind == T_STR && t2.kind == T_EOL) {
            next(p);
            p->tmp = lsp_xstrndup(p, tstr(p, &t), (size_t)t.slen);
            return p->tmp;
        }
    }
    const char *s;
    int n;
    lsp_rest_of_line(p, &s, &n);
    p->tmp = lsp_xstrndup(p, s, (size_t)n);
    return p->tmp;
}

double lsp_read_number(parser *p, const char *ctx)
{
    tok t = peek(p);
    if (t.kind != T_NUM) {
        char w[160];
        snprintf(w, sizeof w, "a number %s", ctx);
        lsp_expected(p, &t, w);
    }
    next(p);
    return t.num;
}

/* A whole number in [lo, hi]; what names it in messages. */
long lsp_read_int(parser *p, const char *what, const char *ctx, long lo, long hi)
{
    tok t = peek(p);
    if (t.kind != T_NUM) {
        char w[200];
        snprintf(w, sizeof w, "a number (%s) %s", what, ctx);
        lsp_expected(p, &t, w);
    }
    next(p);
    if (!t.is_int)
        FAIL_TOK(p, &t, "%s must be a whole number, found '%.*s'", what, t.len, ttext(p, &t));
    bool low = t.num < (double)lo, high = t.big || t.num > (double)hi;
    if (low || high) {
        /* a large upper bound is a sanity cap: name only the bound that was crossed */
        if (hi >= MAX_UNITS && low)
            FAIL_TOK(p, &t, "%s must be at least %ld, found '%.*s'", what, lo, t.len, ttext(p, &t));
        if (hi >= MAX_UNITS)
            FAIL_TOK(p, &t, "%s must be at most %ld, found '%.*s'", what, hi, t.len, ttext(p, &t));
        FAIL_TOK(p, &t, "%s must be between %ld and %ld, found '%.*s'", what, lo, hi, t.len,
                 ttext(p, &t));
    }
    return (long)t.num;
}

/* A real in [lo, hi]. */
double lsp_read_real(parser *p, const char *what, const char *ctx, double lo, double hi)
{
    tok t = peek(p);
    double v = lsp_read_number(p, ctx);
    if (!(v >= lo && v <= hi))
        FAIL_TOK(p, &t, "%s must be between %g and %g, found '%.*s'", what, lo, hi, t.len,
                 ttext(p, &t));
    return v;
}

bool lsp_read_bool(parser *p, const char *ctx)
{
    tok t = peek(p);
    if (t.kind == T_IDENT && (is_kw(p, &t, "true") || is_kw(p, &t, "false"))) {
        next(p);
        return is_kw(p, &t, "true");
    }
    char w[160];
    snprintf(w, sizeof w, "True or False %s", ctx);
    lsp_expected(p, &t, w);
}

/* A name: an identifier or a quoted string, at most LS_NAME_MAX - 1 bytes. */
tok lsp_read_name(parser *p, const char *what, const char *ctx, char *out)
{
    tok t = peek(p);
    const char *s;
    int n;
    if (t.kind == T_IDENT) {
        s = ttext(p, &t);
        n = t.len;
    } else if (t.kind == T_STR && t.slen > 0) {
        s = tstr(p, &t);
        n = t.slen;
    } else {
        char w[160];
        snprintf(w, sizeof w, "%s %s", what, ctx);
        lsp_expected(p, &t, w);
    }
    if (n >= LS_NAME_MAX)
        FAIL_TOK(p, &t, "%s is %d bytes long; names may be at most %d", what, n, LS_NAME_MAX - 1);
    if (memchr(s, '\n', (size_t)n) || memchr(s, '\t', (size_t)n))
        FAIL_TOK(p, &t, "%s may not contain a tab or a line break", what);
    next(p);
    memcpy(out, s, (size_t)n);
    out[n] = '\0';
    return t;
}

/* A word (identifier or string) compared case-insensitively against words; returns
 * its index, failing with a suggestion otherwise. */
int lsp_read_choice(parser *p, const char *what, const char *ctx, const char *const *words)
{
    tok t = peek(p);
    const char *s = NULL;
    int n = 0;
    if (!tword(p, &t, &s, &n)) {
        char w[200];
        snprintf(w, sizeof w, "%s %s", what, ctx);
        lsp_expected(p, &t, w);
    }
    for (int i = 0; words[i]; i++)
        if (eq_nocase(s, (size_t)n, words[i])) {
            next(p);
            return i;
        }
    char sg[80], list[256];
    lsp_join(list, sizeof list, words, -1);
    FAIL_TOK(p, &t, "unknown %s '%.*s'%s (known: %s)", what, n > 40 ? 40 : n, s,
             suggest(sg, sizeof sg, s, (size_t)n, words), list);
}

/* A tuple of whole numbers: (a, b, ...) or [a, ...], AxBxC, or one number. Returns the
 * count; each in [lo, hi]. */
int lsp_read_ints(parser *p, const char *what, const char *ctx, int *out, int max, long lo, long hi)
{
    tok t = peek(p);
    if (is_punct(&t, '(') || is_punct(&t, '[')) {
        int close = is_punct(&t, '(') ? ')' : ']';
        next(p);
        int k = 0;
        for (;;) {
            tok u = peek(p);
            if (is_punct(&u, close) && k > 0) {
                next(p);
                break;
            }
            if (k == max)
                FAIL_TOK(p, &u, "%s has at most %d numbers", what, max);
            int v = (int)lsp_read_int(p, what, k == 0 ? ctx : "in the tuple", lo, hi);
            out[k++] = v;
            u = peek(p);
            if (is_punct(&u, ','))
                next(p);
            else if (!is_punct(&u, close)) {
                char w[64];
                snprintf(w, sizeof w, "',' or '%c'", close);
                lsp_expected(p, &u, w);
            }
        }
        return k;
    }
    int k = 1;
    out[0] = (int)lsp_read_int(p, what, ctx, lo, hi);
    for (;;) {
        tok u = peek(p);
        if (!is_punct(&u, P_X))
            break;
        next(p);
        if (k == max)
            FAIL_TOK(p, &u, "%s has at most %d numbers", what, max);
        int v = (int)lsp_read_int(p, what, "after 'x'", lo, hi);
        out[k++] = v;
    }
    return k;
}

nn_shape lsp_read_shape(parser *p, const char *what, const char *ctx)
{
    tok t = peek(p);
    int d[4];
    int k = lsp_read_ints(p, what, ctx, d, 4, 1, MAX_DIM);
    if (k != 1 && k != 3)
        FAIL_TOK(p, &t, "%s must be (units,) or (height, width, channels), found %d numbers", what, k);
    size_t size = 1;
    for (int i = 0; i < k; i++)
        size *= (size_t)d[i];
    if (size > ((size_t)1 << 26))
        FAIL_TOK(p, &t, "%s holds %zu values per example; at most %zu", what, size,
                 (size_t)1 << 26);
    return k == 1 ? nn_shape1(d[0]) : nn_shape3(d[0], d[1], d[2]);
}

/* kernel_size / strides / pool_size: n or (a, b). */
void lsp_read_pair(parser *p, const char *what, const char *ctx, int *a, int *b, long lo, long hi)
{
    tok t = peek(p);
    int d[2];
    int k = lsp_read_ints(p, what, ctx, d, 2, lo, hi);
    if (k == 1)
        d[1] = d[0];
    else if (k != 2)
        FAIL_TOK(p, &t, "%s must be one number or two", what);
    *a = d[0];
    *b = d[1];
}

/* ------------------------------------------------------------------------------------ */
/* Calls: Name(arg, key=value, ...) */

/* Parses arguments after '(' (already consumed) up to ')'. where is printed in
 * messages: "after 'Dense('" and so on. */
void lsp_parse_call(parser *p, const char *callee, arg_fn fn, void *ctx)
{
    char where[128];
    tok t = peek(p);
    if (is_punct(&t, ')')) {
        next(p);
        return;
    }
    int npos = 0;
    bool kw = false;
    for (;;) { /* each round consumes tokens or fails */
        tok a = peek(p);
        tok a2 = peek2(p);
        if (a.kind == T_IDENT && is_punct(&a2, '=')) {
            next(p);
            next(p);
            snprintf(where, sizeof where, "after '%.*s='", a.len > 40 ? 40 : a.len, ttext(p, &a));
            fn(p, ctx, &a, -1, where);
            kw = true;
        } else {
            if (kw)
                FAIL_TOK(p, &a, "a positional argument cannot follow a keyword argument in '%s(...)'",
                         callee);
            if (npos == 0)
                snprintf(where, sizeof where, "after '%s('", callee);
            else
                snprintf(where, sizeof where, "as argument %d of '%s(...)'", npos + 1, callee);
            fn(p, ctx, NULL, npos++, where);
        }
        tok c = next(p);
        if (is_punct(&c, ')'))
            return;
        if (!is_punct(&c, ',')) {
            char w[160];
            snprintf(w, sizeof w, "',' or ')' in '%s(...)'", callee);
            lsp_expected(p, &c, w);
        }
        t = peek(p);
        if (is_punct(&t, ')')) {
            next(p);
            return;
        }
    }
}

const char *lsp_join(char *buf, size_t n, const char *const *words, int count)
{
    buf[0] = '\0';
    for (int i = 0; count < 0 ? words[i] != NULL : i < count; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "%s%s", i ? ", " : "", words[i]);
    }
    return buf;
}

/* Reports an unknown keyword argument with the known ones. */
static NORETURN void unknown_arg(parser *p, const tok *key, const char *callee,
                                 const char *const *known)
{
    char sg[80], list[320];
    lsp_join(list, sizeof list, known, -1);
    FAIL_TOK(p, key, "'%s' has no argument '%.*s'%s (its arguments: %s)", callee,
             key->len > 40 ? 40 : key->len, ttext(p, key),
             suggest(sg, sizeof sg, ttext(p, key), (size_t)key->len, known), list);
}

/* Index of key (or positional pos) among names; fails if unknown or given twice. */
int lsp_arg_index(parser *p, const tok *key, int pos, const char *callee, const char *const *names, int np,
                  unsigned *seen)
{
    const char *nm = NULL;
    tok at = key ? *key : peek(p);
    if (key) {
        for (int i = 0; names[i]; i++)
            if (eq_nocase(ttext(p, key), (size_t)key->len, names[i]))
                nm = names[i];
        if (!nm)
            unknown_arg(p, key, callee, names);
    } else {
        if (pos >= np) {
            if (np == 0)
                FAIL_TOK(p, &at, "'%s' takes no positional arguments; write key=value", callee);
            char list[160];
            lsp_join(list, sizeof list, names, np);
            FAIL_TOK(p, &at, "'%s' takes at most %d positional argument%s (%s); write the others as key=value",
                     callee, np, np > 1 ? "s" : "", list);
        }
        nm = names[pos];
    }
    int idx = 0;
    while (strcmp(names[idx], nm))
        idx++;
    if (*seen & (1u << idx))
        FAIL_TOK(p, &at, "'%s' is given twice in '%s(...)'", nm, callee);
    *seen |= 1u << idx;
    return idx;
}

