/* The evaluator's token cursor, shared by the expressions (expr.c) and the statements
 * (eval.c): looking at and taking tokens, keywords, and the "syntax error: expected X
 * but found Y" failure. Static inline: both files use most of it, and the short names
 * stay private to the two. Failures unwind with ki_fail. Private to the importer. */
#ifndef LS_KERAS_CURSOR_H
#define LS_KERAS_CURSOR_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "keras/runtime.h"

static inline const ktok *peek(kparser *p)
{
    return &p->lx->t[p->pos];
}

static inline const ktok *peek_at(kparser *p, int k)
{
    int i = p->pos + k;
    return &p->lx->t[i < p->lx->n ? i : p->lx->n - 1];
}

static inline const ktok *next(kparser *p)
{
    const ktok *t = &p->lx->t[p->pos];
    if (t->kind != KT_EOF)
        p->pos++;
    return t;
}

static inline bool is_op(const ktok *t, int op)
{
    return t->kind == KT_OP && t->op == op;
}

static inline bool is_kw(kparser *p, const ktok *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == KT_NAME && (size_t)t->len == n && !memcmp(p->lx->src + t->off, kw, n);
}

static inline bool is_keyword(kparser *p, const ktok *t)
{
    static const char *const keywords[] = {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
        "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
        "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", NULL};
    for (int i = 0; keywords[i]; i++)
        if (is_kw(p, t, keywords[i]))
            return true;
    return false;
}

static inline const char *describe(kparser *p, const ktok *t, char *buf, size_t n)
{
    char w[48];
    switch (t->kind) {
    case KT_NAME: snprintf(buf, n, "'%s'", ki_tok_text(p, t, w, sizeof w)); break;
    case KT_NUM: snprintf(buf, n, "the number %s", ki_tok_text(p, t, w, sizeof w)); break;
    case KT_STR: snprintf(buf, n, "a string"); break;
    case KT_OP: snprintf(buf, n, "'%s'", ki_tok_text(p, t, w, sizeof w)); break;
    case KT_MAGIC: snprintf(buf, n, "a notebook command"); break;
    case KT_NEWLINE: snprintf(buf, n, "the end of the line"); break;
    case KT_INDENT: snprintf(buf, n, "an indented line"); break;
    case KT_DEDENT: snprintf(buf, n, "the end of the indented block"); break;
    case KT_EOF: snprintf(buf, n, "the end of the file"); break;
    }
    return buf;
}

#if defined(__GNUC__)
__attribute__((noreturn))
#endif
static inline void expected(kparser *p, const ktok *t, const char *what)
{
    char d[64];
    ki_fail(p, t->line, t->col, "syntax error: expected %s but found %s", what, describe(p, t, d, sizeof d));
}

static inline const ktok *expect_op(kparser *p, int op, const char *what)
{
    const ktok *t = peek(p);
    if (!is_op(t, op))
        expected(p, t, what);
    return next(p);
}

static inline const ktok *expect_name(kparser *p, const char *what)
{
    const ktok *t = peek(p);
    if (t->kind != KT_NAME || is_keyword(p, t))
        expected(p, t, what);
    return next(p);
}

static inline void work(kparser *p, const ktok *t)
{
    if (++p->work > KI_MAX_WORK)
        ki_fail(p, t->line, t->col, "the script takes too long to read (more than %d evaluations)", KI_MAX_WORK);
}

#endif
