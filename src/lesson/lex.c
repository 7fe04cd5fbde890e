/* The lesson lexer: errors, the check of the whole buffer's bytes, and tokens of one
 * line at a time (see parse_internal.h). */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/util.h"
#include "lesson/parse_internal.h"

/* ------------------------------------------------------------------------------------ */
/* Errors */

NORETURN PRINTF(4, 5) void lsp_fail_at(parser *p, int line, int col, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        int n = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->name, line, col);
        if (n >= 0 && (size_t)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
        /* the lesson's path and names from it may hold control characters: one line */
        ds_escape_inplace(p->err, p->errlen);
    }
    longjmp(p->jb, 1);
}

void *lsp_xrealloc(parser *p, void *ptr, size_t n)
{
    void *q = realloc(ptr, n ? n : 1);
    if (!q)
        lsp_fail_at(p, p->lineno, 1, "out of memory");
    return q;
}

void *lsp_grow(parser *p, void *ptr, int n, size_t size)
{
    if (n > 0 && (n & (n - 1)))
        return ptr; /* room left: the capacity is the next power of two */
    return lsp_xrealloc(p, ptr, size * (n ? 2 * (size_t)n : 1));
}

char *lsp_xstrndup(parser *p, const char *s, size_t n)
{
    char *d = lsp_xrealloc(p, NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}


/* ------------------------------------------------------------------------------------ */
/* Checking the bytes */

size_t lsp_line_len(const char *s, const char *end, const char **next)
{
    const char *e = s;
    while (e < end && *e != '\n' && *e != '\r')
        e++;
    size_t n = (size_t)(e - s);
    if (e < end && *e == '\r' && e + 1 < end && e[1] == '\n')
        e++;
    *next = e < end ? e + 1 : end;
    return n;
}

void lsp_check_bytes(parser *p)
{
    const char *s = p->text, *end = s + p->len, *next;
    for (int line = 1; s < end; line++, s = next) {
        size_t n = lsp_line_len(s, end, &next);
        if (n > LINE_MAX_BYTES)
            lsp_fail_at(p, line, 1, "line is %zu bytes long; lines may be at most %d bytes", n, LINE_MAX_BYTES);
        const unsigned char *u = (const unsigned char *)s;
        int col = 1;
        for (size_t i = 0; i < n; col++) {
            unsigned c = u[i];
            if (c == 0)
                lsp_fail_at(p, line, col, "found a NUL byte; a lesson is plain UTF-8 text (is this a binary file?)");
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                lsp_fail_at(p, line, col, "found the control character 0x%02x; a lesson is plain text", c);
            int len = c < 0x80 ? 1 : ls_utf8_valid(u + i, n - i);
            if (!len)
                lsp_fail_at(p, line, col, "invalid UTF-8 (byte 0x%02x); save the lesson as UTF-8 text", c);
            i += (size_t)len;
        }
    }
}

/* ------------------------------------------------------------------------------------ */
/* Lexer */

void lsp_set_line(parser *p, const char *s, int n, int lineno)
{
    p->line = s;
    p->line_len = n;
    p->lineno = lineno;
    p->pos = 0;
    p->have_cur = false;
    /* columns count characters, not bytes; a continuation byte has its lead's column */
    int col = 0;
    for (int i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            col++;
        p->colmap[i] = col;
    }
    p->colmap[n] = col + 1;
    p->colmap[n + 1] = col + 1;
}

static int lex_number(parser *p, int pos, tok *t)
{
    const char *s = p->line;
    int n = p->line_len, e = pos;
    t->kind = T_NUM;
    t->is_int = true;
    if (s[e] == '-' || s[e] == '+') {
        t->neg = s[e] == '-';
        e++;
    }
    int ds = e;
    while (e < n && is_digit(s[e]))
        e++;
    int de = e;
    if (e < n && s[e] == '.' && !(e + 1 < n && s[e + 1] == '.')) {
        t->is_int = false;
        e++;
        while (e < n && is_digit(s[e]))
            e++;
    }
    if (e < n && (s[e] == 'e' || s[e] == 'E')) {
        int k = e + 1;
        if (k < n && (s[k] == '-' || s[k] == '+'))
            k++;
        if (k < n && is_digit(s[k])) {
            while (k < n && is_digit(s[k]))
                k++;
            e = k;
            t->is_int = false;
        }
    }
    bool junk = e < n && (is_word(s[e]) || (s[e] == '.' && !(e + 1 < n && s[e + 1] == '.')));
    if (junk && t->is_int && (s[e] == 'x' || s[e] == 'X') && e + 1 < n && is_digit(s[e + 1]))
        junk = false; /* 28x28x1 */
    if (junk) {
        int k = e;
        while (k < n && (is_word(s[k]) || s[k] == '.' || s[k] == '-' || s[k] == '+'))
            k++;
        lsp_fail_at(p, p->lineno, p->colmap[pos], "'%.*s' is not a number", k - pos > 40 ? 40 : k - pos,
                    s + pos);
    }
    t->len = e - pos;
    if (t->len > 64)
        lsp_fail_at(p, p->lineno, p->colmap[pos], "the number '%.20s...' is too long", s + pos);
    char buf[80];
    int k = 0;
    for (int i = pos; i < e; i++)
        buf[k++] = s[i] == '.' ? p->decimal_point : s[i];
    buf[k] = '\0';
    t->num = strtod(buf, NULL);
    if (!isfinite(t->num))
        lsp_fail_at(p, p->lineno, p->colmap[pos], "the number '%.*s' is too large", t->len, s + pos);
    if (t->is_int) {
        uint64_t v = 0;
        for (int i = ds; i < de; i++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (v > (UINT64_MAX - d) / 10) {
                t->big = true;
                break;
            }
            v = v * 10 + d;
        }
        t->mag = v;
    }
    return e;
}

static int lex_string(parser *p, int pos, tok *t)
{
    const char *s = p->line;
    int n = p->line_len;
    char q = s[pos];
    int e = pos + 1, o = pos;
    while (e < n && s[e] != q) {
        if (s[e] == '\\' && e + 1 < n) {
            char c = s[e + 1];
            char out;
            switch (c) {
            case 'n': out = '\n'; break;
            case 't': out = '\t'; break;
            case '\\': out = '\\'; break;
            case '"': out = '"'; break;
            case '\'': out = '\''; break;
            default:
                lsp_fail_at(p, p->lineno, p->colmap[e],
                            "unknown escape '\\%.*s' in a string; write '\\\\' for a backslash",
                            ls_utf8_len((unsigned char)c), s + e + 1);
            }
            p->sbuf[o++] = out;
            e += 2;
        } else {
            p->sbuf[o++] = s[e++];
        }
    }
    if (e >= n)
        lsp_fail_at(p, p->lineno, p->colmap[pos],
                    "unterminated string: the closing %c is missing on this line", q);
    p->sbuf[o] = '\0';
    t->kind = T_STR;
    t->soff = pos;
    t->slen = o - pos;
    t->len = e + 1 - pos;
    return e + 1;
}

/* Lexes the token at pos; returns the position after it. */
int lsp_lex_at(parser *p, int pos, tok *t)
{
    const char *s = p->line;
    int n = p->line_len;
    while (pos < n && is_blank((unsigned char)s[pos]))
        pos++;
    memset(t, 0, sizeof *t);
    t->off = pos;
    t->col = p->colmap[pos];
    if (pos >= n || s[pos] == '#') {
        t->kind = T_EOL;
        return pos;
    }
    unsigned char c = (unsigned char)s[pos];
    char c1 = pos + 1 < n ? s[pos + 1] : '\0';
    if ((c == 'x' || c == 'X') && pos > 0 && is_digit(s[pos - 1]) && is_digit(c1)) {
        t->kind = T_PUNCT;
        t->punct = P_X;
        t->len = 1;
        return pos + 1;
    }
    if (is_alpha(c) || c == '_') {
        int e = pos + 1;
        for (;;) {
            while (e < n && is_word(s[e]))
                e++;
            if (e + 1 < n && s[e] == '-' && is_alpha(s[e + 1])) {
                e++;
                continue;
            }
            break;
        }
        t->kind = T_IDENT;
        t->len = e - pos;
        return e;
    }
    if (is_digit(c) || (c == '.' && is_digit(c1)) ||
        ((c == '-' || c == '+') && (is_digit(c1) || (c1 == '.' && pos + 2 < n && is_digit(s[pos + 2])))))
        return lex_number(p, pos, t);
    if (c == '"' || c == '\'')
        return lex_string(p, pos, t);
    t->kind = T_PUNCT;
    t->len = 2;
    if (c == '<' && c1 == '=')
        t->punct = P_LE;
    else if (c == '>' && c1 == '=')
        t->punct = P_GE;
    else if (c == '=' && c1 == '=')
        t->punct = P_EQEQ;
    else if (c == '!' && c1 == '=')
        t->punct = P_NE;
    else if (c == '.' && c1 == '.')
        t->punct = P_RANGE;
    else if (strchr("()[],=:<>.%*", c)) {
        t->punct = c;
        t->len = 1;
    } else {
        lsp_fail_at(p, p->lineno, t->col, "unexpected character '%.*s'", ls_utf8_len(c), s + pos);
    }
    return pos + t->len;
}







/* A description of t for "but found ...". */
const char *lsp_desc(const parser *p, const tok *t, char *buf, size_t n)
{
    if (t->kind == T_EOL) {
        snprintf(buf, n, "the end of the line");
        return buf;
    }
    int len = t->len;
    const char *s = ttext(p, t);
    bool cut = false;
    if (len > 40) {
        len = 40;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
        cut = true;
    }
    if (t->kind == T_STR)
        snprintf(buf, n, "the string %.*s%s", len, s, cut ? "...\"" : "");
    else
        snprintf(buf, n, "'%.*s%s'", len, s, cut ? "..." : "");
    return buf;
}

NORETURN void lsp_expected(parser *p, const tok *t, const char *what)
{
    char d[80];
    FAIL_TOK(p, t, "expected %s but found %s", what, lsp_desc(p, t, d, sizeof d));
}

void lsp_expect_punct(parser *p, int c, const char *what)
{
    tok t = peek(p);
    if (!is_punct(&t, c))
        lsp_expected(p, &t, what);
    next(p);
}

void lsp_expect_eol(parser *p, const char *after)
{
    tok t = peek(p);
    if (t.kind != T_EOL) {
        char d[80], w[160];
        snprintf(w, sizeof w, "the end of the line after %s", after);
        FAIL_TOK(p, &t, "expected %s but found %s", w, lsp_desc(p, &t, d, sizeof d));
    }
}

/* Skips an optional '=' or ':' after a key. */
void lsp_skip_sep(parser *p)
{
    tok t = peek(p);
    if (is_punct(&t, '=') || is_punct(&t, ':'))
        next(p);
}

