/* Python tokens for the Keras importer: the whole file becomes an array of tokens with
 * line:col (col in characters), NEWLINE at the end of each logical line, INDENT/DEDENT
 * as Python computes them (a tab goes to the next multiple of 8), nothing inside
 * brackets but the tokens, strings decoded (escapes, raw, triple quotes), notebook
 * lines (`!pip ...`, `%matplotlib ...`) as one KT_MAGIC token.
 * The text is checked first: at most 1 MiB, UTF-8, no NUL or control bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/internal.h"
#include "lesson/text.h"

typedef struct {
    klex *lx;
    const char *path;
    const unsigned char *s;
    size_t n, pos;
    int line;
    size_t line_start;
    char *err;
    size_t errlen;
    jmp_buf jb;
    size_t cap_t, cap_s;
    int indents[128];
    int alt_indents[128]; /* the same with a tab as one column: Python's TabError check */
    int n_indents;
    struct {
        char c;
        int line, col;
    } br[KI_MAX_DEPTH];
    int depth;
    size_t col_ls, col_off; /* col_of's last answer: col_c at col_off on the line at col_ls */
    int col_c;
} lexer;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5), noreturn))
#endif
static void lfail(lexer *x, int line, int col, const char *fmt, ...)
{
    if (x->err && x->errlen) {
        int k = snprintf(x->err, x->errlen, "%s:%d:%d: ", x->path, line, col);
        if (k >= 0 && (size_t)k < x->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(x->err + k, x->errlen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    longjmp(x->jb, 1);
}

/* Column (characters from 1) of byte offset off on the current line. Counts on from
 * its last answer when off is further along the same line, so a long line's tokens
 * cost linear time in all, not a rescan each (issue 14). */
static int col_of(lexer *x, size_t off)
{
    if (x->col_ls != x->line_start || off < x->col_off || x->col_c < 1) {
        x->col_ls = x->line_start;
        x->col_off = x->line_start;
        x->col_c = 1;
    }
    int c = x->col_c;
    x->lx->col_steps += off - x->col_off;
    for (size_t i = x->col_off; i < off; i++)
        if ((x->s[i] & 0xC0) != 0x80)
            c++;
    x->col_off = off;
    x->col_c = c;
    return c;
}

/* UTF-8 (shortest forms, no surrogates, at most U+10FFFF), no NUL, no control bytes
 * other than tab, LF, CR and form feed. */
static void check_text(lexer *x)
{
    int line = 1;
    size_t ls = 0;
    for (size_t i = 0; i < x->n;) {
        unsigned char c = x->s[i];
        x->line_start = ls;
        if (c == '\n' || (c == '\r' && (i + 1 >= x->n || x->s[i + 1] != '\n'))) {
            line++;
            ls = ++i;
            continue;
        }
        if (c == 0)
            lfail(x, line, col_of(x, i), "found a NUL byte; a Python file is text (is this a binary file?)");
        if (c < 0x20 && c != '\t' && c != '\r' && c != '\f')
            lfail(x, line, col_of(x, i), "control character 0x%02x; a Python file is plain text", c);
        if (c == 0x7F)
            lfail(x, line, col_of(x, i), "control character 0x7f; a Python file is plain text");
        if (c < 0x80) {
            i++;
            continue;
        }
        int k = ls_utf8_valid(x->s + i, x->n - i);
        if (!k)
            lfail(x, line, col_of(x, i), "invalid UTF-8 (byte 0x%02x); save the file as UTF-8", c);
        i += (size_t)k;
    }
    x->line_start = 0;
}

static ktok *push(lexer *x, kt_kind kind, size_t off, size_t len)
{
    klex *lx = x->lx;
    if ((size_t)lx->n == x->cap_t) {
        size_t cap = x->cap_t ? x->cap_t * 2 : 256;
        ktok *t = realloc(lx->t, cap * sizeof *t);
        if (!t)
            lfail(x, x->line, 1, "out of memory");
        lx->t = t;
        x->cap_t = cap;
    }
    ktok *t = &lx->t[lx->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->line = x->line;
    t->col = col_of(x, off);
    t->off = (int)off;
    t->len = (int)len;
    return t;
}

static void put_bytes(lexer *x, const void *b, size_t n)
{
    klex *lx = x->lx;
    if (lx->nstrs + n + 1 > x->cap_s) {
        size_t cap = x->cap_s ? x->cap_s : 1024;
        while (cap < lx->nstrs + n + 1)
            cap *= 2;
        char *s = realloc(lx->strs, cap);
        if (!s)
            lfail(x, x->line, 1, "out of memory");
        lx->strs = s;
        x->cap_s = cap;
    }
    memcpy(lx->strs + lx->nstrs, b, n);
    lx->nstrs += n;
}

static void put_cp(lexer *x, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    put_bytes(x, b, n);
}

static bool is_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(int c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int peekc(const lexer *x, size_t k)
{
    return x->pos + k < x->n ? x->s[x->pos + k] : -1;
}

/* A newline at pos (\n, \r\n or \r): its length, else 0. */
static int newline_at(const lexer *x, size_t pos)
{
    if (pos >= x->n)
        return 0;
    if (x->s[pos] == '\n')
        return 1;
    if (x->s[pos] == '\r')
        return pos + 1 < x->n && x->s[pos + 1] == '\n' ? 2 : 1;
    return 0;
}

static void new_line(lexer *x, int nl)
{
    x->pos += (size_t)nl;
    x->line++;
    x->line_start = x->pos;
}

/* A string literal starting at start (its prefix) with the quote at x->pos. */
static void lex_string(lexer *x, size_t start, bool raw, bool bytes, bool fstr)
{
    int q = x->s[x->pos];
    bool triple = peekc(x, 1) == q && peekc(x, 2) == q;
    int line = x->line, col = col_of(x, start);
    size_t line_start = x->line_start;
    x->pos += triple ? 3 : 1;
    size_t str = x->lx->nstrs;
    bool unusable = bytes || fstr;
    for (;;) {
        if (x->pos >= x->n)
            lfail(x, line, col, "this %sstring is never closed", triple ? "triple-quoted " : "");
        int c = x->s[x->pos];
        int nl = newline_at(x, x->pos);
        if (c == q && (!triple || (peekc(x, 1) == q && peekc(x, 2) == q))) {
            x->pos += triple ? 3 : 1;
            break;
        }
        if (nl) {
            if (!triple)
                lfail(x, line, col, "this string is never closed (it ends at the end of the line)");
            put_bytes(x, "\n", 1);
            new_line(x, nl);
            continue;
        }
        if (c != '\\') {
            put_bytes(x, &x->s[x->pos], 1);
            x->pos++;
            continue;
        }
        /* a backslash */
        int e = peekc(x, 1);
        int enl = newline_at(x, x->pos + 1);
        if (enl) { /* line continuation inside the string */
            if (raw)
                put_bytes(x, "\\\n", 2);
            x->pos++;
            new_line(x, enl);
            continue;
        }
        if (e < 0)
            lfail(x, line, col, "this string is never closed");
        if (raw) {
            put_bytes(x, &x->s[x->pos], 2);
            x->pos += 2;
            if (e >= 0x80) { /* keep a whole UTF-8 character */
                int k = ls_utf8_len((unsigned char)e);
                put_bytes(x, &x->s[x->pos], (size_t)k - 1);
                x->pos += (size_t)k - 1;
            }
            continue;
        }
        size_t epos = x->pos; /* its column is computed only for a message: col_of counts forward */
        x->pos += 2;
        switch (e) {
        case '\\': put_bytes(x, "\\", 1); break;
        case '\'': put_bytes(x, "'", 1); break;
        case '"': put_bytes(x, "\"", 1); break;
        case 'a': put_bytes(x, "\a", 1); break;
        case 'b': put_bytes(x, "\b", 1); break;
        case 'f': put_bytes(x, "\f", 1); break;
        case 'n': put_bytes(x, "\n", 1); break;
        case 'r': put_bytes(x, "\r", 1); break;
        case 't': put_bytes(x, "\t", 1); break;
        case 'v': put_bytes(x, "\v", 1); break;
        case 'x': {
            int h1 = hexval(peekc(x, 0)), h2 = hexval(peekc(x, 1));
            if (h1 < 0 || h2 < 0)
                lfail(x, x->line, col_of(x, epos), "invalid \\x escape: it needs two hexadecimal digits");
            x->pos += 2;
            uint32_t cp = (uint32_t)(h1 * 16 + h2);
            if (cp == 0)
                unusable = true;
            else if (bytes)
                put_bytes(x, (char[]){(char)cp}, 1);
            else
                put_cp(x, cp);
            break;
        }
        case 'u':
        case 'U': {
            if (bytes) {
                put_bytes(x, "\\", 1);
                put_bytes(x, (char[]){(char)e}, 1);
                break;
            }
            int k = e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            for (int i = 0; i < k; i++) {
                int h = hexval(peekc(x, (size_t)i));
                if (h < 0)
                    lfail(x, x->line, col_of(x, epos), "invalid \\%c escape: it needs %d hexadecimal digits", e, k);
                cp = cp * 16 + (uint32_t)h;
            }
            x->pos += (size_t)k;
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                lfail(x, x->line, col_of(x, epos), "invalid \\%c escape: not a Unicode character", e);
            if (cp == 0)
                unusable = true;
            else
                put_cp(x, cp);
            break;
        }
        case 'N': /* \N{NAME}: the value is not known here */
            unusable = true;
            while (x->pos < x->n && x->s[x->pos] != '}' && x->s[x->pos] != q && !newline_at(x, x->pos))
                x->pos++;
            if (x->pos < x->n && x->s[x->pos] == '}')
                x->pos++;
            break;
        default:
            if (e >= '0' && e <= '7') {
                uint32_t cp = (uint32_t)(e - '0');
                for (int i = 0; i < 2 && peekc(x, 0) >= '0' && peekc(x, 0) <= '7'; i++) {
                    cp = cp * 8 + (uint32_t)(peekc(x, 0) - '0');
                    x->pos++;
                }
                if (cp == 0)
                    unusable = true;
                else
                    put_cp(x, cp);
            } else { /* unknown escapes keep their backslash, as in Python */
                x->pos -= 1;
                put_bytes(x, "\\", 1);
            }
        }
    }
    put_bytes(x, "", 1);
    /* the token starts where the literal started, which may be lines above */
    int end_line = x->line;
    size_t end_ls = x->line_start;
    x->line = line;
    x->line_start = line_start;
    ktok *t = push(x, KT_STR, start, x->pos - start);
    x->line = end_line;
    x->line_start = end_ls;
    t->str = (int)str;
    t->slen = (int)(x->lx->nstrs - str - 1);
    t->unusable = unusable;
}

static void lex_number(lexer *x)
{
    size_t start = x->pos;
    char buf[80];
    size_t nb = 0;
    bool is_float = false;
    int base = 10;
    const unsigned char *s = x->s;
    if (s[x->pos] == '0' && x->pos + 1 < x->n && strchr("xXoObB", s[x->pos + 1])) {
        int c = s[x->pos + 1] | 0x20;
        base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
        x->pos += 2;
    }
    bool leading_zero = base == 10 && s[x->pos] == '0';
    bool nonzero_after = false;
    for (;;) {
        if (x->pos >= x->n)
            break;
        int c = s[x->pos];
        if (c == '_') {
            x->pos++;
            continue;
        }
        bool digit = base == 16 ? hexval(c) >= 0 : (c >= '0' && c <= '0' + (base == 10 ? 9 : base - 1));
        if (digit) {
            if (c != '0' && !is_float)
                nonzero_after = true;
        } else if (base == 10 && c == '.' && !is_float) {
            is_float = true;
        } else if (base == 10 && (c == 'e' || c == 'E')) {
            int d = peekc(x, 1);
            int d2 = peekc(x, 2);
            if (!((d >= '0' && d <= '9') || ((d == '+' || d == '-') && d2 >= '0' && d2 <= '9')))
                break;
            is_float = true;
            if (nb < sizeof buf - 1)
                buf[nb++] = (char)c;
            x->pos++;
            c = s[x->pos];
            if (c == '+' || c == '-') {
                if (nb < sizeof buf - 1)
                    buf[nb++] = (char)c;
                x->pos++;
            }
            while (x->pos < x->n && ((s[x->pos] >= '0' && s[x->pos] <= '9') || s[x->pos] == '_')) {
                if (s[x->pos] != '_' && nb < sizeof buf - 1)
                    buf[nb++] = (char)s[x->pos];
                x->pos++;
            }
            break;
        } else {
            break;
        }
        if (nb < sizeof buf - 1)
            buf[nb++] = (char)c;
        x->pos++;
    }
    buf[nb] = '\0';
    int col = col_of(x, start);
    if (x->pos < x->n && (s[x->pos] == 'j' || s[x->pos] == 'J'))
        lfail(x, x->line, col, "complex numbers are not supported");
    if (x->pos < x->n && is_name_char(s[x->pos]))
        lfail(x, x->line, col, "invalid number '%.*s'", (int)(x->pos - start + 1 > 40 ? 40 : x->pos - start + 1),
              (const char *)s + start);
    if (base != 10 && nb == 0)
        lfail(x, x->line, col, "invalid number '%.*s'", (int)(x->pos - start), (const char *)s + start);
    if (leading_zero && !is_float && nonzero_after)
        lfail(x, x->line, col, "leading zeros in a decimal number are not allowed in Python 3 (write 0o... for octal)");
    ktok *t = push(x, KT_NUM, start, x->pos - start);
    if (is_float) {
        t->num = strtod(buf, NULL);
        t->is_int = false;
        return;
    }
    t->is_int = true;
    uint64_t v = 0;
    bool big = false;
    for (size_t i = 0; i < nb; i++) {
        uint64_t d = (uint64_t)hexval(buf[i]);
        if (v > (UINT64_MAX - d) / (uint64_t)base)
            big = true;
        else
            v = v * (uint64_t)base + d;
    }
    if (v > (uint64_t)INT64_MAX)
        big = true;
    t->big = big;
    t->ival = big ? 0 : (int64_t)v;
    t->num = big ? (base == 10 ? strtod(buf, NULL) : 1e300) : (double)v;
}

static const struct {
    const char *s;
    int op;
} ops3[] = {{"**=", KO_AUG}, {"//=", KO_AUG}, {">>=", KO_AUG}, {"<<=", KO_AUG}, {"...", KO_ELLIPSIS}},
  ops2[] = {{"**", KO_POW}, {"//", KO_FLOORDIV}, {"==", KO_EQ}, {"!=", KO_NE}, {"<=", KO_LE},
            {">=", KO_GE}, {"<<", KO_SHL}, {">>", KO_SHR}, {"->", KO_ARROW}, {":=", KO_WALRUS},
            {"+=", KO_AUG}, {"-=", KO_AUG}, {"*=", KO_AUG}, {"/=", KO_AUG}, {"%=", KO_AUG},
            {"&=", KO_AUG}, {"|=", KO_AUG}, {"^=", KO_AUG}, {"@=", KO_AUG}};

static int aug_op(const char *s)
{
    if (!strncmp(s, "**", 2))
        return KO_POW;
    if (!strncmp(s, "//", 2))
        return KO_FLOORDIV;
    if (!strncmp(s, ">>", 2))
        return KO_SHR;
    if (!strncmp(s, "<<", 2))
        return KO_SHL;
    return s[0];
}

static void lex_op(lexer *x)
{
    const char *p = (const char *)x->s + x->pos;
    size_t left = x->n - x->pos;
    for (size_t i = 0; i < sizeof ops3 / sizeof ops3[0]; i++)
        if (left >= 3 && !memcmp(p, ops3[i].s, 3)) {
            ktok *t = push(x, KT_OP, x->pos, 3);
            t->op = ops3[i].op;
            t->aug = t->op == KO_AUG ? aug_op(p) : 0;
            x->pos += 3;
            return;
        }
    for (size_t i = 0; i < sizeof ops2 / sizeof ops2[0]; i++)
        if (left >= 2 && !memcmp(p, ops2[i].s, 2)) {
            ktok *t = push(x, KT_OP, x->pos, 2);
            t->op = ops2[i].op;
            t->aug = t->op == KO_AUG ? aug_op(p) : 0;
            x->pos += 2;
            return;
        }
    int c = (unsigned char)p[0];
    if (!strchr("()[]{},:.;=+-*/%<>&|^~@", c) || c == 0) {
        int k = ls_utf8_len((unsigned char)c);
        if (c == '\\')
            lfail(x, x->line, col_of(x, x->pos), "a backslash continues a line only at the very end of it");
        lfail(x, x->line, col_of(x, x->pos), "unexpected character '%.*s'", k, p);
    }
    int col = col_of(x, x->pos);
    if (strchr("([{", c)) {
        if (x->depth == KI_MAX_DEPTH)
            lfail(x, x->line, col, "brackets nested more than %d deep", KI_MAX_DEPTH);
        x->br[x->depth].c = (char)c;
        x->br[x->depth].line = x->line;
        x->br[x->depth].col = col;
        x->depth++;
    } else if (strchr(")]}", c)) {
        char want = c == ')' ? '(' : c == ']' ? '[' : '{';
        if (x->depth == 0)
            lfail(x, x->line, col, "unmatched '%c'", c);
        if (x->br[x->depth - 1].c != want)
            lfail(x, x->line, col, "'%c' does not match the '%c' at line %d, column %d", c, x->br[x->depth - 1].c,
                  x->br[x->depth - 1].line, x->br[x->depth - 1].col);
        x->depth--;
    }
    ktok *t = push(x, KT_OP, x->pos, 1);
    t->op = c;
    x->pos++;
}

static bool last_is(const lexer *x, kt_kind k)
{
    return x->lx->n > 0 && x->lx->t[x->lx->n - 1].kind == k;
}

#if defined(__GNUC__)
__attribute__((noreturn))
#endif
static void tab_error(lexer *x)
{
    /* Python 3 reports its TabError at column 1 of the line */
    lfail(x, x->line, 1, "TabError: inconsistent use of tabs and spaces in indentation (Python 3 refuses this file)");
}

/* INDENT or DEDENTs for a line indented width columns (tabs to multiples of 8), alt with
 * tabs as one column. As Python's tokenizer: where the two widths disagree on the
 * comparison with the enclosing block, the meaning depends on the tab size: TabError. */
static void indent(lexer *x, int width, int alt)
{
    int col = col_of(x, x->pos);
    int top = x->indents[x->n_indents - 1];
    if (width > top) {
        if (alt <= x->alt_indents[x->n_indents - 1])
            tab_error(x);
        if (x->n_indents == (int)(sizeof x->indents / sizeof x->indents[0]))
            lfail(x, x->line, col, "indented too deeply");
        x->alt_indents[x->n_indents] = alt;
        x->indents[x->n_indents++] = width;
        push(x, KT_INDENT, x->pos, 0);
        return;
    }
    if (width == top && alt != x->alt_indents[x->n_indents - 1])
        tab_error(x);
    while (width < x->indents[x->n_indents - 1]) {
        x->n_indents--;
        push(x, KT_DEDENT, x->pos, 0);
    }
    if (width != x->indents[x->n_indents - 1])
        lfail(x, x->line, col, "this line's indentation does not match any outer block");
    if (alt != x->alt_indents[x->n_indents - 1])
        tab_error(x);
}

/* At the start of a line outside brackets: indentation, blank lines, magics. Returns
 * false at the end of the text. */
static bool line_start(lexer *x)
{
    for (;;) {
        int width = 0, alt = 0;
        while (x->pos < x->n) {
            int c = x->s[x->pos];
            if (c == ' ') {
                width++;
                alt++;
            } else if (c == '\t') {
                width = (width / 8 + 1) * 8;
                alt++;
            } else if (c == '\f') {
                width = alt = 0;
            } else
                break;
            x->pos++;
        }
        if (x->pos >= x->n)
            return false;
        int c = x->s[x->pos];
        int nl = newline_at(x, x->pos);
        if (nl) {
            new_line(x, nl);
            continue;
        }
        if (c == '#') {
            while (x->pos < x->n && !newline_at(x, x->pos))
                x->pos++;
            continue;
        }
        if (c == '\\' && newline_at(x, x->pos + 1)) { /* a continued blank line */
            x->pos++;
            new_line(x, newline_at(x, x->pos));
            continue;
        }
        indent(x, width, alt);
        if (c == '!' || c == '%') { /* a notebook shell command or magic */
            size_t s = x->pos;
            while (x->pos < x->n && !newline_at(x, x->pos))
                x->pos++;
            size_t e = x->pos;
            while (e > s && (x->s[e - 1] == ' ' || x->s[e - 1] == '\t'))
                e--;
            push(x, KT_MAGIC, s, e - s);
            /* a shell command continued with a backslash at the end of its lines */
            while (x->pos < x->n && x->pos > s && x->s[x->pos - 1] == '\\') {
                new_line(x, newline_at(x, x->pos));
                while (x->pos < x->n && !newline_at(x, x->pos))
                    x->pos++;
            }
            push(x, KT_NEWLINE, x->pos, 0);
            continue;
        }
        return true;
    }
}

int ki_lex(klex *lx, const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    memset(lx, 0, sizeof *lx);
    lexer x;
    memset(&x, 0, sizeof x);
    x.lx = lx;
    x.path = path ? path : "model.py";
    x.err = err;
    x.errlen = errlen;
    x.line = 1;
    x.indents[0] = 0;
    x.n_indents = 1;
    if (err && errlen)
        err[0] = '\0';
    if (setjmp(x.jb)) {
        ki_lex_free(lx);
        return -1;
    }
    if (len > KI_MAX_FILE)
        lfail(&x, 1, 1, "the file is %zu bytes; the importer reads at most %u bytes", len, KI_MAX_FILE);
    x.s = (const unsigned char *)(text ? text : "");
    x.n = text ? len : 0;
    if (x.n >= 3 && !memcmp(x.s, "\xEF\xBB\xBF", 3)) { /* a byte-order mark */
        x.s += 3;
        x.n -= 3;
    }
    lx->src = (const char *)x.s;
    lx->len = x.n;
    check_text(&x);
    put_bytes(&x, "", 1); /* offset 0: the empty string */
    bool more = line_start(&x);
    while (more) {
        if (x.pos >= x.n)
            break;
        int c = x.s[x.pos];
        int nl = newline_at(&x, x.pos);
        if (nl) {
            if (x.depth == 0) {
                if (!last_is(&x, KT_NEWLINE) && lx->n > 0)
                    push(&x, KT_NEWLINE, x.pos, 0);
                new_line(&x, nl);
                more = line_start(&x);
            } else {
                new_line(&x, nl);
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\f') {
            x.pos++;
            continue;
        }
        if (c == '#') {
            while (x.pos < x.n && !newline_at(&x, x.pos))
                x.pos++;
            continue;
        }
        if (c == '\\') {
            int k = newline_at(&x, x.pos + 1);
            if (k) {
                x.pos++;
                new_line(&x, k);
                if (x.pos >= x.n)
                    lfail(&x, x.line, 1, "the file ends after a line-continuation backslash");
                continue;
            }
        }
        if (is_name_start(c)) {
            size_t s = x.pos;
            while (x.pos < x.n && is_name_char(x.s[x.pos]))
                x.pos++;
            size_t n = x.pos - s;
            int q = x.pos < x.n ? x.s[x.pos] : 0;
            if ((q == '\'' || q == '"') && n <= 2) {
                bool raw = false, bytes = false, fstr = false, ok = true;
                for (size_t i = s; i < x.pos; i++) {
                    int p = x.s[i] | 0x20;
                    if (p == 'r' && !raw)
                        raw = true;
                    else if (p == 'b' && !bytes && !fstr)
                        bytes = true;
                    else if (p == 'f' && !fstr && !bytes)
                        fstr = true;
                    else if (p == 'u' && n == 1)
                        ;
                    else
                        ok = false;
                }
                if (ok) {
                    lex_string(&x, s, raw, bytes, fstr);
                    continue;
                }
            }
            push(&x, KT_NAME, s, n);
            continue;
        }
        if ((c >= '0' && c <= '9') || (c == '.' && peekc(&x, 1) >= '0' && peekc(&x, 1) <= '9')) {
            lex_number(&x);
            continue;
        }
        if (c == '\'' || c == '"') {
            lex_string(&x, x.pos, false, false, false);
            continue;
        }
        lex_op(&x);
    }
    if (x.depth > 0)
        lfail(&x, x.br[x.depth - 1].line, x.br[x.depth - 1].col, "this '%c' is never closed", x.br[x.depth - 1].c);
    if (lx->n > 0 && !last_is(&x, KT_NEWLINE) && !last_is(&x, KT_DEDENT) && !last_is(&x, KT_INDENT))
        push(&x, KT_NEWLINE, x.pos, 0);
    x.line_start = x.pos;
    while (x.n_indents > 1) {
        x.n_indents--;
        push(&x, KT_DEDENT, x.pos, 0);
    }
    push(&x, KT_EOF, x.pos, 0);
    return 0;
}

void ki_lex_free(klex *lx)
{
    if (!lx)
        return;
    free(lx->t);
    free(lx->strs);
    lx->t = NULL;
    lx->strs = NULL;
    lx->n = 0;
    lx->nstrs = 0;
}
