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
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/lesson.h"

#define LINE_MAX_BYTES 4096
#define FILE_MAX_BYTES (1u << 20)
#define MAX_DECLS 1024
#define MAX_STEPS 1024
#define MAX_ITEMS 1024          /* per step */
#define MAX_ITEMS_TOTAL 16384
#define MAX_CHOICES 26
#define MAX_LIST 16             /* items in [a, b, ...] */
#define MAX_UNITS (1 << 20)
#define MAX_DIM 8192
#define MAX_RUN 10000000L
#define MAX_SPLIT 10000000L
#define MAX_BATCH 4096

/* Defined in build.c: ls_lesson_build_model that also reports, per declaration, the
 * layers it made, which declaration and input failed, and whether a base builder is
 * missing from this build. */
nn_model *ls_lesson_build_model_ex(const ls_lesson *l, const ls_loc *input_locs, int *first,
                                   int *count, bool *unavailable, char *err, size_t errlen);

/* ------------------------------------------------------------------------------------ */
/* Tokens */

typedef enum { T_EOL = 0, T_IDENT, T_NUM, T_STR, T_PUNCT } tkind;
enum { P_LE = 256, P_GE, P_EQEQ, P_NE, P_RANGE, P_X };

typedef struct {
    tkind kind;
    int punct;          /* T_PUNCT: the character or a P_ code */
    int off, len;       /* bytes of the line */
    int col;
    double num;         /* T_NUM */
    bool is_int;        /* T_NUM written without '.' or exponent */
    bool big;           /* T_NUM integer whose magnitude exceeds 2^64 - 1 */
    uint64_t mag;       /* T_NUM integer magnitude */
    bool neg;
    int soff, slen;     /* T_STR: decoded text at p->sbuf + soff */
} tok;

typedef enum { S_NONE = 0, S_DATA, S_MODEL, S_COMPILE, S_FIT, S_STEP } section;
typedef enum { B_NONE = 0, B_STEP, B_SUMMARY, B_PROMPT, B_EXPLAIN } block;

/* A layer named by a step, checked once the model is built. */
typedef struct {
    char name[LS_NAME_MAX];
    ls_loc loc;
    bool dropout;       /* the statement needs a Dropout layer */
    const char *what;   /* the statement, for messages */
} ref;

typedef struct {
    const char *name;
    const char *text;
    size_t len;
    char *err;
    size_t errlen;
    jmp_buf jb;
    ls_lesson *l;
    char *tmp;                  /* an allocation not yet attached to the lesson */
    char decimal_point;

    /* the current line */
    int lineno;
    const char *line;
    int line_len;
    int colmap[LINE_MAX_BYTES + 2];
    char sbuf[LINE_MAX_BYTES + 2];
    int pos;                    /* lexer position */
    bool have_cur;
    tok cur;
    int cur_end;
    int eof_line, eof_col;

    /* structure */
    section sec;
    unsigned seen;              /* bit per section */
    int sec_line[8];
    ls_loc model_loc;
    int decls_before_model;
    unsigned keys_seen;         /* keys of the current data/compile/fit section */
    bool any_content;
    bool lr_given, learning_rate_given;
    bool loss_given;
    int total_items;

    /* text blocks ('>' lines) */
    block blk;
    block want;                 /* a keyword waits for its '>' lines */
    ls_loc want_loc;
    const char *want_kw;
    bool para_open, pending_break;

    /* the open question: the last item of the last step */
    bool q_open;
    bool q_answer_set, q_explain_set;
    ls_loc answer_loc;

    /* side tables */
    ls_loc *input_locs;         /* n_decls * LS_MAX_INPUTS */
    ref *refs;
    int n_refs, cap_refs;
} parser;

/* ------------------------------------------------------------------------------------ */
/* Errors */

#if defined(__GNUC__)
#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTF(a, b)
#define NORETURN
#endif

static NORETURN PRINTF(4, 5) void fail_at(parser *p, int line, int col, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        int n = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->name, line, col);
        if (n >= 0 && (size_t)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    longjmp(p->jb, 1);
}

#define FAIL_TOK(p, t, ...) fail_at((p), (p)->lineno, (t)->col, __VA_ARGS__)
#define FAIL_LOC(p, lc, ...) fail_at((p), (lc).line, (lc).col, __VA_ARGS__)

static void *xrealloc(parser *p, void *ptr, size_t n)
{
    void *q = realloc(ptr, n ? n : 1);
    if (!q)
        fail_at(p, p->lineno, 1, "out of memory");
    return q;
}

static char *xstrndup(parser *p, const char *s, size_t n)
{
    char *d = xrealloc(p, NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ------------------------------------------------------------------------------------ */
/* Characters (ASCII only; never the C library's locale-dependent classes) */

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_word(int c) { return is_alpha(c) || is_digit(c) || c == '_'; }
static bool is_blank(int c) { return c == ' ' || c == '\t' || c == '\r'; }
static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static bool eq_nocase(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

/* Bytes of the UTF-8 sequence starting with lead byte c (input already validated). */
static int utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Levenshtein distance, case-insensitive, on short words (longer ones: "far"). */
static int distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    if (na > 40 || nb > 40)
        return 99;
    int row[41];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            int v = diag + cost;
            if (row[j] + 1 < v)
                v = row[j] + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[nb];
}

/* The closest of words to s, or NULL when none is close. */
static const char *closest(const char *s, size_t n, const char *const *words)
{
    const char *best = NULL;
    int bd = 99;
    for (int i = 0; words[i]; i++) {
        int d = distance(s, n, words[i]);
        if (d < bd) {
            bd = d;
            best = words[i];
        }
    }
    int limit = n <= 3 ? 1 : n <= 6 ? 2 : 3;
    return bd <= limit ? best : NULL;
}

/* "; did you mean 'x'?" or "" into buf. */
static const char *suggest(char *buf, size_t n, const char *s, size_t len,
                           const char *const *words)
{
    const char *c = closest(s, len, words);
    if (c)
        snprintf(buf, n, "; did you mean '%s'?", c);
    else
        buf[0] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------------------ */
/* Checking the bytes */

static void check_bytes(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->text;
    size_t n = p->len;
    int line = 1, col = 1;
    size_t line_start = 0;
    for (size_t i = 0; i <= n;) {
        if (i == n || s[i] == '\n') {
            size_t end = i;
            if (end > line_start && s[end - 1] == '\r')
                end--;
            if (end - line_start > LINE_MAX_BYTES)
                fail_at(p, line, 1, "line is %zu bytes long; lines may be at most %d bytes",
                        end - line_start, LINE_MAX_BYTES);
            if (i == n)
                break;
            i++;
            line++;
            col = 1;
            line_start = i;
            continue;
        }
        unsigned c = s[i];
        if (c == 0)
            fail_at(p, line, col, "found a NUL byte; a lesson is plain UTF-8 text (is this a binary file?)");
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            fail_at(p, line, col, "found the control character 0x%02x; a lesson is plain text", c);
        if (c < 0x80) {
            i++;
            col++;
            continue;
        }
        /* UTF-8: the shortest form only, no surrogates, nothing beyond U+10FFFF */
        int len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else
            len = 0;
        bool ok = len > 0 && i + (size_t)len <= n;
        for (int k = 1; ok && k < len; k++) {
            unsigned b = s[i + (size_t)k];
            if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
                ok = false;
        }
        if (!ok)
            fail_at(p, line, col, "invalid UTF-8 (byte 0x%02x); save the lesson as UTF-8 text", c);
        i += (size_t)len;
        col++;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Lexer */

static void set_line(parser *p, const char *s, int n, int lineno)
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
        fail_at(p, p->lineno, p->colmap[pos], "'%.*s' is not a number", k - pos > 40 ? 40 : k - pos,
                s + pos);
    }
    t->len = e - pos;
    if (t->len > 64)
        fail_at(p, p->lineno, p->colmap[pos], "the number '%.20s...' is too long", s + pos);
    char buf[80];
    int k = 0;
    for (int i = pos; i < e; i++)
        buf[k++] = s[i] == '.' ? p->decimal_point : s[i];
    buf[k] = '\0';
    t->num = strtod(buf, NULL);
    if (!isfinite(t->num))
        fail_at(p, p->lineno, p->colmap[pos], "the number '%.*s' is too large", t->len, s + pos);
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
                fail_at(p, p->lineno, p->colmap[e],
                        "unknown escape '\\%.*s' in a string; write '\\\\' for a backslash",
                        utf8_len((unsigned char)c), s + e + 1);
            }
            p->sbuf[o++] = out;
            e += 2;
        } else {
            p->sbuf[o++] = s[e++];
        }
    }
    if (e >= n)
        fail_at(p, p->lineno, p->colmap[pos],
                "unterminated string: the closing %c is missing on this line", q);
    p->sbuf[o] = '\0';
    t->kind = T_STR;
    t->soff = pos;
    t->slen = o - pos;
    t->len = e + 1 - pos;
    return e + 1;
}

/* Lexes the token at pos; returns the position after it. */
static int lex_at(parser *p, int pos, tok *t)
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
        fail_at(p, p->lineno, t->col, "unexpected character '%.*s'", utf8_len(c), s + pos);
    }
    return pos + t->len;
}

static tok peek(parser *p)
{
    if (!p->have_cur) {
        p->cur_end = lex_at(p, p->pos, &p->cur);
        p->have_cur = true;
    }
    return p->cur;
}

static tok peek2(parser *p)
{
    peek(p);
    tok t;
    lex_at(p, p->cur_end, &t);
    return t;
}

static tok next(parser *p)
{
    tok t = peek(p);
    p->pos = p->cur_end;
    p->have_cur = false;
    return t;
}

static const char *ttext(const parser *p, const tok *t) { return p->line + t->off; }
static const char *tstr(const parser *p, const tok *t) { return p->sbuf + t->soff; }

static bool is_kw(const parser *p, const tok *t, const char *kw)
{
    return t->kind == T_IDENT && eq_nocase(ttext(p, t), (size_t)t->len, kw);
}

static bool is_punct(const tok *t, int c) { return t->kind == T_PUNCT && t->punct == c; }

/* A description of t for "but found ...". */
static const char *desc(const parser *p, const tok *t, char *buf, size_t n)
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

static NORETURN void expected(parser *p, const tok *t, const char *what)
{
    char d[80];
    FAIL_TOK(p, t, "expected %s but found %s", what, desc(p, t, d, sizeof d));
}

static void expect_punct(parser *p, int c, const char *what)
{
    tok t = peek(p);
    if (!is_punct(&t, c))
        expected(p, &t, what);
    next(p);
}

static void expect_eol(parser *p, const char *after)
{
    tok t = peek(p);
    if (t.kind != T_EOL) {
        char d[80], w[160];
        snprintf(w, sizeof w, "the end of the line after %s", after);
        FAIL_TOK(p, &t, "expected %s but found %s", w, desc(p, &t, d, sizeof d));
    }
}

/* Skips an optional '=' or ':' after a key. */
static void skip_sep(parser *p)
{
    tok t = peek(p);
    if (is_punct(&t, '=') || is_punct(&t, ':'))
        next(p);
}

static ls_loc tloc(const parser *p, const tok *t) { return (ls_loc){p->lineno, t->col}; }

/* ------------------------------------------------------------------------------------ */
/* Values */

/* The rest of the line from the lexer position, without a trailing comment. */
static void rest_of_line(parser *p, const char **s, int *n)
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
static char *inline_text(parser *p)
{
    skip_sep(p);
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
            p->tmp = xstrndup(p, tstr(p, &t), (size_t)t.slen);
            return p->tmp;
        }
    }
    const char *s;
    int n;
    rest_of_line(p, &s, &n);
    p->tmp = xstrndup(p, s, (size_t)n);
    return p->tmp;
}

static double read_number(parser *p, const char *ctx)
{
    tok t = peek(p);
    if (t.kind != T_NUM) {
        char w[160];
        snprintf(w, sizeof w, "a number %s", ctx);
        expected(p, &t, w);
    }
    next(p);
    return t.num;
}

/* A whole number in [lo, hi]; what names it in messages. */
static long read_int(parser *p, const char *what, const char *ctx, long lo, long hi)
{
    tok t = peek(p);
    if (t.kind != T_NUM) {
        char w[200];
        snprintf(w, sizeof w, "a number (%s) %s", what, ctx);
        expected(p, &t, w);
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
static double read_real(parser *p, const char *what, const char *ctx, double lo, double hi)
{
    tok t = peek(p);
    double v = read_number(p, ctx);
    if (!(v >= lo && v <= hi))
        FAIL_TOK(p, &t, "%s must be between %g and %g, found '%.*s'", what, lo, hi, t.len,
                 ttext(p, &t));
    return v;
}

static bool read_bool(parser *p, const char *ctx)
{
    tok t = peek(p);
    if (t.kind == T_IDENT && (is_kw(p, &t, "true") || is_kw(p, &t, "false"))) {
        next(p);
        return is_kw(p, &t, "true");
    }
    char w[160];
    snprintf(w, sizeof w, "True or False %s", ctx);
    expected(p, &t, w);
}

/* A name: an identifier or a quoted string, at most LS_NAME_MAX - 1 bytes. */
static tok read_name(parser *p, const char *what, const char *ctx, char *out)
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
        expected(p, &t, w);
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
static int read_choice(parser *p, const char *what, const char *ctx, const char *const *words)
{
    tok t = peek(p);
    const char *s = NULL;
    int n = 0;
    if (t.kind == T_IDENT) {
        s = ttext(p, &t);
        n = t.len;
    } else if (t.kind == T_STR) {
        s = tstr(p, &t);
        n = t.slen;
    } else {
        char w[200];
        snprintf(w, sizeof w, "%s %s", what, ctx);
        expected(p, &t, w);
    }
    for (int i = 0; words[i]; i++)
        if (eq_nocase(s, (size_t)n, words[i])) {
            next(p);
            return i;
        }
    char sg[80], list[256] = "";
    for (int i = 0; words[i]; i++) {
        size_t k = strlen(list);
        snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", words[i]);
    }
    FAIL_TOK(p, &t, "unknown %s '%.*s'%s (known: %s)", what, n > 40 ? 40 : n, s,
             suggest(sg, sizeof sg, s, (size_t)n, words), list);
}

/* A tuple of whole numbers: (a, b, ...) or [a, ...], AxBxC, or one number. Returns the
 * count; each in [lo, hi]. */
static int read_ints(parser *p, const char *what, const char *ctx, int *out, int max, long lo,
                     long hi)
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
            int v = (int)read_int(p, what, k == 0 ? ctx : "in the tuple", lo, hi);
            out[k++] = v;
            u = peek(p);
            if (is_punct(&u, ','))
                next(p);
            else if (!is_punct(&u, close)) {
                char w[64];
                snprintf(w, sizeof w, "',' or '%c'", close);
                expected(p, &u, w);
            }
        }
        return k;
    }
    int k = 1;
    out[0] = (int)read_int(p, what, ctx, lo, hi);
    for (;;) {
        tok u = peek(p);
        if (!is_punct(&u, P_X))
            break;
        next(p);
        if (k == max)
            FAIL_TOK(p, &u, "%s has at most %d numbers", what, max);
        int v = (int)read_int(p, what, "after 'x'", lo, hi);
        out[k++] = v;
    }
    return k;
}

static nn_shape read_shape(parser *p, const char *what, const char *ctx)
{
    tok t = peek(p);
    int d[4];
    int k = read_ints(p, what, ctx, d, 4, 1, MAX_DIM);
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
static void read_pair(parser *p, const char *what, const char *ctx, int *a, int *b, long lo,
                      long hi)
{
    tok t = peek(p);
    int d[2];
    int k = read_ints(p, what, ctx, d, 2, lo, hi);
    if (k == 1)
        d[1] = d[0];
    else if (k != 2)
        FAIL_TOK(p, &t, "%s must be one number or two", what);
    *a = d[0];
    *b = d[1];
}

/* ------------------------------------------------------------------------------------ */
/* Calls: Name(arg, key=value, ...) */

typedef void (*arg_fn)(parser *p, void *ctx, const tok *key, int pos, const char *where);

/* Parses arguments after '(' (already consumed) up to ')'. where is printed in
 * messages: "after 'Dense('" and so on. */
static void parse_call(parser *p, const char *callee, arg_fn fn, void *ctx)
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
            expected(p, &c, w);
        }
        t = peek(p);
        if (is_punct(&t, ')')) {
            next(p);
            return;
        }
    }
}

/* Reports an unknown keyword argument with the known ones. */
static NORETURN void unknown_arg(parser *p, const tok *key, const char *callee,
                                 const char *const *known)
{
    char sg[80], list[320] = "";
    for (int i = 0; known[i]; i++) {
        size_t k = strlen(list);
        snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", known[i]);
    }
    FAIL_TOK(p, key, "'%s' has no argument '%.*s'%s (its arguments: %s)", callee,
             key->len > 40 ? 40 : key->len, ttext(p, key),
             suggest(sg, sizeof sg, ttext(p, key), (size_t)key->len, known), list);
}

/* Index of key (or positional pos) among names; fails if unknown or given twice. */
static int arg_index(parser *p, const tok *key, int pos, const char *callee,
                     const char *const *names, const char *const *positional, unsigned *seen)
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
        int np = 0;
        while (positional[np])
            np++;
        if (pos >= np) {
            if (np == 0)
                FAIL_TOK(p, &at, "'%s' takes no positional arguments; write key=value", callee);
            char list[160] = "";
            for (int i = 0; i < np; i++) {
                size_t k = strlen(list);
                snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", positional[i]);
            }
            FAIL_TOK(p, &at, "'%s' takes at most %d positional argument%s (%s); write the others as key=value",
                     callee, np, np > 1 ? "s" : "", list);
        }
        nm = positional[pos];
    }
    int idx = 0;
    while (strcmp(names[idx], nm))
        idx++;
    if (*seen & (1u << idx))
        FAIL_TOK(p, &at, "'%s' is given twice in '%s(...)'", nm, callee);
    *seen |= 1u << idx;
    return idx;
}

/* ------------------------------------------------------------------------------------ */
/* Lesson structure helpers */

static ls_step *cur_step(parser *p) { return &p->l->steps[p->l->n_steps - 1]; }

static ls_item *new_item(parser *p, ls_item_kind kind, const tok *at)
{
    ls_step *st = cur_step(p);
    if (st->n_items >= MAX_ITEMS || p->total_items >= MAX_ITEMS_TOTAL)
        FAIL_TOK(p, at, "too many items (a step holds at most %d, a lesson %d)", MAX_ITEMS,
                 MAX_ITEMS_TOTAL);
    st->items = xrealloc(p, st->items, sizeof *st->items * (size_t)(st->n_items + 1));
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
        p->refs = xrealloc(p, p->refs, sizeof *p->refs * (size_t)cap);
        p->cap_refs = cap;
    }
    ref *r = &p->refs[p->n_refs++];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->loc = loc;
    r->dropout = dropout;
    r->what = what;
}

/* Appends s[0..n) to *dst with sep between (dst owned by the lesson). */
static void append_text(parser *p, char **dst, const char *sep, const char *s, size_t n)
{
    size_t old = *dst ? strlen(*dst) : 0;
    size_t sl = old ? strlen(sep) : 0;
    char *d = xrealloc(p, *dst, old + sl + n + 1);
    memcpy(d + old, sep, sl);
    memcpy(d + old + sl, s, n);
    d[old + sl + n] = '\0';
    *dst = d;
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

static void check_want(parser *p)
{
    if (p->want != B_NONE)
        FAIL_LOC(p, p->want_loc,
                 "expected the text of '%s': write it on the same line, or on '>' lines right below",
                 p->want_kw);
}

static void finish_question(parser *p)
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

static void text_line(parser *p, int gt)
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
            finish_question(p);
            p->blk = B_STEP;
            p->para_open = false;
        } else {
            fail_at(p, p->lineno, p->colmap[gt],
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
        it->u.text = xstrndup(p, p->line + a, (size_t)(b - a));
        p->para_open = true;
        return;
    }
    char **dst = block_target(p);
    append_text(p, dst, p->pending_break ? "\n\n" : " ", p->line + a, (size_t)(b - a));
    p->pending_break = false;
}

/* ------------------------------------------------------------------------------------ */
/* Sections */

static const char *const section_kws[] = {"title", "summary", "data", "model", "compile", "fit", "step", NULL};
enum { K_TITLE = 0, K_SUMMARY, K_DATA, K_MODEL, K_COMPILE, K_FIT, K_STEP };

static int section_kw(const parser *p, const tok *t)
{
    for (int i = 0; section_kws[i]; i++)
        if (is_kw(p, t, section_kws[i]))
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

static const char *const fashion_names[] = {"T-shirt/top", "trouser", "pullover", "dress", "coat",
                                            "sandal", "shirt", "sneaker", "bag", "ankle boot", NULL};

/* Lower-case letters and digits only: "Ankle boot" -> "ankleboot". */
static void squash(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        if (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]))
            out[k++] = (char)lower((unsigned char)s[i]);
    out[k] = '\0';
}

static int fashion_class(const char *s, size_t n)
{
    char a[48], b[48];
    squash(s, n, a, sizeof a);
    if (!strcmp(a, "tshirt") || !strcmp(a, "top"))
        return 0;
    if (!strcmp(a, "boot") || !strcmp(a, "ankleboots"))
        return 9;
    for (int i = 0; fashion_names[i]; i++) {
        squash(fashion_names[i], strlen(fashion_names[i]), b, sizeof b);
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
        return (int)read_int(p, "a class number", "in 'classes'", 0, 9);
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
        expected(p, &t, "a class name or number in 'classes'");
    }
    if (d->kind == LS_DATA_FOLDER)
        FAIL_TOK(p, &t, "classes of an image folder are given by number (0, 1, ...)");
    int c = fashion_class(s, (size_t)n);
    if (c < 0) {
        char sg[80];
        FAIL_TOK(p, &t,
                 "'%.*s' is not a Fashion-MNIST class%s (classes: 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot)",
                 n > 40 ? 40 : n, s, suggest(sg, sizeof sg, s, (size_t)n, fashion_names));
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
            if (d->classes[i] == c)
                FAIL_TOK(p, &t, "class %d (%s) is listed twice", c, fashion_names[c]);
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
            expected(p, &u, w);
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
    return read_int(p, what, ctx, 0, MAX_SPLIT);
}

static void data_key(parser *p, const tok *key, bool call)
{
    ls_data *d = &p->l->data;
    int k = -1;
    for (int i = 0; data_keys[i]; i++)
        if (is_kw(p, key, data_keys[i]))
            k = i;
    if (k < 0) {
        char sg[80];
        FAIL_TOK(p, key, "unknown data setting '%.*s'%s (known: classes, train, val, test, resize, dir)",
                 key->len > 40 ? 40 : key->len, ttext(p, key),
                 suggest(sg, sizeof sg, ttext(p, key), (size_t)key->len, data_keys));
    }
    if (k == 6)
        k = 2;
    key_once(p, key, k, "data");
    char ctx[64];
    snprintf(ctx, sizeof ctx, "after '%.*s'", key->len > 40 ? 40 : key->len, ttext(p, key));
    switch (k) {
    case 0: read_classes(p, call); break;
    case 1: d->train = (int)read_split(p, "the train size", ctx, "all"); break;
    case 2: d->val = (int)read_split(p, "the validation size", ctx, "none"); break;
    case 3: d->test = (int)read_split(p, "the test size", ctx, "all"); break;
    case 4: {
        tok t = peek(p);
        int v[3];
        int n = read_ints(p, "the resize shape", ctx, v, 3, 1, 1024);
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
            expected(p, &t, "a quoted folder, e.g. dir \"/usr/share/datasets/fashion-mnist\"");
        next(p);
        char *dir = xstrndup(p, tstr(p, &t), (size_t)t.slen);
        free(d->dir);
        d->dir = dir;
        break;
    }
    }
}

/* ---- compile ---- */

static const char *const opt_names[] = {"sgd", "rmsprop", "adam", NULL};
static const char *const opt_keras[] = {"SGD", "RMSprop", "Adam"};

typedef struct {
    nn_optimizer_cfg *o;
    unsigned seen;
} opt_ctx;

static void opt_arg(parser *p, void *vctx, const tok *key, int pos, const char *where)
{
    opt_ctx *oc = vctx;
    nn_optimizer_cfg *o = oc->o;
    /* arguments each optimizer accepts, as in Keras */
    static const char *const sgd[] = {"learning_rate", "lr", "momentum", "nesterov", NULL};
    static const char *const rms[] = {"learning_rate", "lr", "rho", "momentum", "epsilon", "centered", NULL};
    static const char *const adam[] = {"learning_rate", "lr", "beta_1", "beta_2", "epsilon", "amsgrad", NULL};
    static const char *const *per[] = {sgd, rms, adam};
    static const char *const pos0[] = {"learning_rate", NULL};
    const char *const *names = per[o->kind];
    const char *callee = opt_keras[o->kind];
    tok at = key ? *key : peek(p);
    const char *nm = names[arg_index(p, key, pos, callee, names, pos0, &oc->seen)];
    if (!strcmp(nm, "learning_rate") || !strcmp(nm, "lr")) {
        bool alias = !strcmp(nm, "lr");
        if (p->lr_given || p->learning_rate_given)
            FAIL_TOK(p, &at, "the learning rate is given twice; write learning_rate= (or the old lr=) once");
        p->lr_given = alias;
        p->learning_rate_given = !alias;
        tok t = peek(p);
        double v = read_number(p, where);
        if (!(v > 0 && v <= 1e6))
            FAIL_TOK(p, &t, "the learning rate must be above 0 (and at most 1e6), found '%.*s'", t.len,
                     ttext(p, &t));
        o->lr = (float)v;
        p->l->compile.lr_alias = alias;
    } else if (!strcmp(nm, "momentum")) {
        o->momentum = (float)read_real(p, "momentum", where, 0, 1);
    } else if (!strcmp(nm, "rho")) {
        o->rho = (float)read_real(p, "rho", where, 0, 1);
    } else if (!strcmp(nm, "epsilon")) {
        o->eps = (float)read_real(p, "epsilon", where, 0, 1);
    } else if (!strcmp(nm, "nesterov")) {
        o->nesterov = read_bool(p, where);
    } else if (!strcmp(nm, "beta_1")) {
        tok t = peek(p);
        o->beta1 = (float)read_real(p, "beta_1", where, 0, 1);
        if (o->beta1 >= 1)
            FAIL_TOK(p, &t, "beta_1 must be below 1");
    } else if (!strcmp(nm, "beta_2")) {
        tok t = peek(p);
        o->beta2 = (float)read_real(p, "beta_2", where, 0, 1);
        if (o->beta2 >= 1)
            FAIL_TOK(p, &t, "beta_2 must be below 1");
    } else { /* centered, amsgrad */
        tok t = peek(p);
        if (read_bool(p, where))
            FAIL_TOK(p, &t, "%s=True is not supported; dropscope implements %s=False", nm, nm);
    }
}

static void read_optimizer(parser *p, const char *ctx)
{
    tok t = peek(p);
    const char *s;
    int n;
    if (t.kind == T_STR) {
        s = tstr(p, &t);
        n = t.slen;
    } else if (t.kind == T_IDENT) {
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
                expected(p, &t, "an optimizer name after '.'");
        }
        s = ttext(p, &t);
        n = t.len;
    } else {
        char w[160];
        snprintf(w, sizeof w, "an optimizer (sgd, rmsprop, adam) %s", ctx);
        expected(p, &t, w);
    }
    int kind = -1;
    for (int i = 0; opt_names[i]; i++)
        if (eq_nocase(s, (size_t)n, opt_names[i]))
            kind = i;
    if (kind < 0) {
        char sg[80];
        FAIL_TOK(p, &t, "unknown optimizer '%.*s'%s (known: sgd, rmsprop, adam)", n > 40 ? 40 : n, s,
                 suggest(sg, sizeof sg, s, (size_t)n, opt_names));
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
        parse_call(p, opt_keras[kind], opt_arg, &oc);
    }
}

static const char *const loss_names[] = {"binary_crossentropy", "sparse_categorical_crossentropy", NULL};
static const char *const loss_classes[] = {"BinaryCrossentropy", "SparseCategoricalCrossentropy", NULL};

static void read_loss(parser *p, const char *ctx)
{
    tok t = peek(p);
    const char *s;
    int n;
    if (t.kind == T_STR) {
        s = tstr(p, &t);
        n = t.slen;
    } else if (t.kind == T_IDENT) {
        s = ttext(p, &t);
        n = t.len;
    } else {
        char w[160];
        snprintf(w, sizeof w, "a loss (binary_crossentropy, sparse_categorical_crossentropy) %s", ctx);
        expected(p, &t, w);
    }
    int k = -1;
    for (int i = 0; loss_names[i]; i++)
        if (eq_nocase(s, (size_t)n, loss_names[i]) || eq_nocase(s, (size_t)n, loss_classes[i]))
            k = i;
    if (k < 0) {
        char sg[80];
        FAIL_TOK(p, &t, "unknown loss '%.*s'%s (known: binary_crossentropy, sparse_categorical_crossentropy)",
                 n > 40 ? 40 : n, s, suggest(sg, sizeof sg, s, (size_t)n, loss_names));
    }
    next(p);
    tok u = peek(p);
    if (t.kind == T_IDENT && is_punct(&u, '(')) { /* BinaryCrossentropy() */
        next(p);
        expect_punct(p, ')', "')' (the loss takes no arguments here)");
    }
    p->l->compile.loss = (nn_loss_kind)k;
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
    int k = read_choice(p, "metric", ctx, metrics);
    if (k == 2 && br)
        FAIL_TOK(p, &m, "write 'metrics none' or 'metrics []' for no metrics");
    p->l->compile.accuracy = k != 2;
    if (br) {
        tok u = peek(p);
        if (is_punct(&u, ','))
            FAIL_TOK(p, &u, "only one metric is supported: accuracy");
        char w[40];
        snprintf(w, sizeof w, "'%c' after the metrics", close);
        expect_punct(p, close, w);
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
        snprintf(w, sizeof w, "a Keras version (2 or 2.11) %s", ctx);
        expected(p, &t, w);
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
    if (i != n || major != 2 || minor > 15)
        FAIL_TOK(p, &t, "unsupported Keras version '%.*s'; profiles: 2 (TF 2.4-2.10) and 2.11 (TF 2.11-2.15)%s",
                 n > 20 ? 20 : n, s, major == 3 ? "; Keras 3 is not supported" : "");
    p->l->compile.profile = (minor >= 11) ? LS_KERAS_TF211 : LS_KERAS_2;
}

static const char *const compile_keys[] = {"optimizer", "loss", "metrics", "keras", NULL};

static void compile_key(parser *p, const tok *key, bool call)
{
    (void)call;
    int k = -1;
    for (int i = 0; compile_keys[i]; i++)
        if (is_kw(p, key, compile_keys[i]))
            k = i;
    if (k < 0) {
        char sg[80];
        FAIL_TOK(p, key, "unknown compile setting '%.*s'%s (known: optimizer, loss, metrics, keras)",
                 key->len > 40 ? 40 : key->len, ttext(p, key),
                 suggest(sg, sizeof sg, ttext(p, key), (size_t)key->len, compile_keys));
    }
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

static void fit_key(parser *p, const tok *key, bool call)
{
    ls_fit *f = &p->l->fit;
    int k = -1;
    for (int i = 0; fit_keys[i]; i++)
        if (is_kw(p, key, fit_keys[i]))
            k = i;
    if (k < 0) {
        if (is_kw(p, key, "epochs"))
            FAIL_TOK(p, key, "lessons count steps, not epochs: use 'run N steps' in a step");
        char sg[80];
        FAIL_TOK(p, key, "unknown fit setting '%.*s'%s (known: batch_size, seed, validate_every)",
                 key->len > 40 ? 40 : key->len, ttext(p, key),
                 suggest(sg, sizeof sg, ttext(p, key), (size_t)key->len, fit_keys));
    }
    int slot = k == 1 ? 0 : k == 4 ? 3 : k;
    key_once(p, key, slot, "fit");
    char ctx[64];
    snprintf(ctx, sizeof ctx, "after '%s'", fit_keys[k]);
    switch (k) {
    case 0:
    case 1: f->batch = (int)read_int(p, "the batch size", ctx, 1, MAX_BATCH); break;
    case 2: {
        tok t = peek(p);
        if (t.kind != T_NUM || !t.is_int || t.neg || t.big)
            expected(p, &t, "a whole number from 0 to 18446744073709551615 after 'seed'");
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
        f->validate_every = (int)read_int(p, "steps between validations", ctx, 0, MAX_RUN);
        t = peek(p);
        if (k == 3 && !call && (is_kw(p, &t, "steps") || is_kw(p, &t, "step")))
            next(p);
        break;
    }
    }
}

/* ---- section in call form: data fashion_mnist(...), compile(...), fit(...) ---- */

typedef void (*key_fn)(parser *p, const tok *key, bool call);

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

static void section_call(parser *p, const char *callee, key_fn fn)
{
    tok t = peek(p);
    if (is_punct(&t, '(')) {
        next(p);
        parse_call(p, callee, section_arg, &fn);
    }
}

/* ---- model ---- */

typedef struct {
    const char *keras;
    nn_layer_type type;
    const char *const *args;
    const char *const *positional;
} layer_kind;

static const char *const a_input[] = {"shape", "name", NULL};
static const char *const p_input[] = {"shape", NULL};
static const char *const a_dense[] = {"units", "activation", "use_bias", "name", "trainable", "input_shape", NULL};
static const char *const p_dense[] = {"units", "activation", NULL};
static const char *const a_conv[] = {"filters", "kernel_size", "strides", "padding", "activation", "use_bias",
                                     "data_format", "name", "trainable", "input_shape", NULL};
static const char *const p_conv[] = {"filters", "kernel_size", "strides", "padding", NULL};
static const char *const a_pool[] = {"pool_size", "strides", "padding", "data_format", "name", "trainable",
                                     "input_shape", NULL};
static const char *const p_pool[] = {"pool_size", "strides", "padding", NULL};
static const char *const a_gap[] = {"data_format", "keepdims", "name", "trainable", NULL};
static const char *const p_none[] = {NULL};
static const char *const a_bn[] = {"axis", "momentum", "epsilon", "center", "scale", "name", "trainable", NULL};
static const char *const p_bn[] = {"axis", "momentum", "epsilon", "center", "scale", NULL};
static const char *const a_act[] = {"activation", "name", "trainable", NULL};
static const char *const p_act[] = {"activation", NULL};
static const char *const a_flat[] = {"data_format", "name", "trainable", "input_shape", NULL};
static const char *const a_drop[] = {"rate", "noise_shape", "seed", "name", "trainable", NULL};
static const char *const p_drop[] = {"rate", "noise_shape", "seed", NULL};
static const char *const a_cat[] = {"axis", "name", "trainable", NULL};
static const char *const p_cat[] = {"axis", NULL};

static const layer_kind layer_kinds[] = {
    {"Input", NN_INPUT, a_input, p_input},
    {"InputLayer", NN_INPUT, a_input, p_input},
    {"Dense", NN_DENSE, a_dense, p_dense},
    {"Conv2D", NN_CONV2D, a_conv, p_conv},
    {"Convolution2D", NN_CONV2D, a_conv, p_conv},
    {"MaxPooling2D", NN_MAXPOOL2D, a_pool, p_pool},
    {"MaxPool2D", NN_MAXPOOL2D, a_pool, p_pool},
    {"AveragePooling2D", NN_AVGPOOL2D, a_pool, p_pool},
    {"AvgPool2D", NN_AVGPOOL2D, a_pool, p_pool},
    {"GlobalAveragePooling2D", NN_GAP2D, a_gap, p_none},
    {"GlobalAvgPool2D", NN_GAP2D, a_gap, p_none},
    {"BatchNormalization", NN_BATCHNORM, a_bn, p_bn},
    {"Activation", NN_ACTIVATION, a_act, p_act},
    {"Flatten", NN_FLATTEN, a_flat, p_none},
    {"Dropout", NN_DROPOUT, a_drop, p_drop},
    {"Concatenate", NN_CONCAT, a_cat, p_cat},
    {NULL, 0, NULL, NULL},
};
static const char *const layer_words[] = {"Input", "Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D",
                                          "GlobalAveragePooling2D", "BatchNormalization", "Activation",
                                          "Flatten", "Dropout", "Concatenate", "base", NULL};

static const layer_kind *find_layer_kind(const char *s, size_t n)
{
    char a[48], b[48];
    squash(s, n, a, sizeof a);
    for (int i = 0; layer_kinds[i].keras; i++) {
        squash(layer_kinds[i].keras, strlen(layer_kinds[i].keras), b, sizeof b);
        if (!strcmp(a, b) && n < 40)
            return &layer_kinds[i];
    }
    return NULL;
}

typedef struct {
    ls_decl *d;
    const layer_kind *k;
    unsigned seen;
    tok name_tok;
    bool name_kw;
} layer_ctx;

static const char *const act_names[] = {"linear", "relu", "sigmoid", "softmax", "none", NULL};

static void layer_arg(parser *p, void *vctx, const tok *key, int pos, const char *where)
{
    layer_ctx *c = vctx;
    nn_layer_cfg *cfg = &c->d->cfg;
    const char *callee = c->k->keras;
    int idx = arg_index(p, key, pos, callee, c->k->args, c->k->positional, &c->seen);
    const char *nm = c->k->args[idx];
    tok t = peek(p);
    if (!strcmp(nm, "units")) {
        cfg->units = (int)read_int(p, "units", where, 1, MAX_UNITS);
    } else if (!strcmp(nm, "filters")) {
        cfg->filters = (int)read_int(p, "filters", where, 1, 65536);
    } else if (!strcmp(nm, "kernel_size")) {
        read_pair(p, "kernel_size", where, &cfg->kh, &cfg->kw, 1, 64);
    } else if (!strcmp(nm, "pool_size")) {
        read_pair(p, "pool_size", where, &cfg->kh, &cfg->kw, 1, 64);
    } else if (!strcmp(nm, "strides")) {
        if (is_kw(p, &t, "None") && cfg->type != NN_CONV2D) {
            next(p);
            cfg->sh = cfg->sw = 0;
        } else
            read_pair(p, "strides", where, &cfg->sh, &cfg->sw, 1, 64);
    } else if (!strcmp(nm, "padding")) {
        static const char *const pads[] = {"valid", "same", NULL};
        cfg->padding = read_choice(p, "padding", where, pads) ? NN_PAD_SAME : NN_PAD_VALID;
    } else if (!strcmp(nm, "activation")) {
        int a = read_choice(p, "activation", where, act_names);
        cfg->act = a == 4 ? NN_ACT_LINEAR : (nn_act)a;
    } else if (!strcmp(nm, "use_bias")) {
        cfg->use_bias = read_bool(p, where);
    } else if (!strcmp(nm, "rate")) {
        cfg->rate = (float)read_real(p, "the dropout rate", where, 0, 1);
    } else if (!strcmp(nm, "momentum")) {
        cfg->momentum = (float)read_real(p, "momentum", where, 0, 1);
    } else if (!strcmp(nm, "epsilon")) {
        double e = read_real(p, "epsilon", where, 0, 1);
        if (!(e > 0))
            FAIL_TOK(p, &t, "epsilon must be above 0");
        cfg->eps = (float)e;
    } else if (!strcmp(nm, "center")) {
        cfg->center = read_bool(p, where);
    } else if (!strcmp(nm, "scale")) {
        cfg->scale = read_bool(p, where);
    } else if (!strcmp(nm, "shape") || !strcmp(nm, "input_shape")) {
        if (!strcmp(nm, "input_shape") && p->l->n_decls > 0)
            FAIL_TOK(p, &t, "input_shape= belongs on the first layer only");
        cfg->shape = read_shape(p, nm, where);
    } else if (!strcmp(nm, "name")) {
        if (c->d->name[0])
            FAIL_TOK(p, &t, "this layer is already named '%s'", c->d->name);
        c->name_tok = read_name(p, "a layer name", where, c->d->name);
        c->name_kw = true;
    } else if (!strcmp(nm, "trainable")) {
        c->d->frozen = !read_bool(p, where);
    } else if (!strcmp(nm, "axis")) {
        long a = read_int(p, "axis", where, -4, 4);
        if (a != -1 && !(a == 3 && cfg->type == NN_BATCHNORM))
            FAIL_TOK(p, &t, "only axis=-1 (the channels) is supported");
    } else if (!strcmp(nm, "data_format")) {
        static const char *const fmts[] = {"channels_last", "channels_first", NULL};
        if (read_choice(p, "data_format", where, fmts) == 1)
            FAIL_TOK(p, &t, "dropscope is channels-last only: data_format='channels_last'");
    } else if (!strcmp(nm, "keepdims")) {
        if (read_bool(p, where))
            FAIL_TOK(p, &t, "keepdims=True is not supported");
    } else if (!strcmp(nm, "noise_shape") || !strcmp(nm, "seed")) {
        if (!is_kw(p, &t, "None"))
            FAIL_TOK(p, &t, "Dropout's %s is not supported%s", nm,
                     !strcmp(nm, "seed") ? "; the lesson's seed (fit: seed N) fixes every mask" : "");
        next(p);
    }
}

static ls_decl *add_decl(parser *p, const ls_decl *d, const tok *at)
{
    ls_lesson *l = p->l;
    if (l->n_decls >= MAX_DECLS)
        FAIL_TOK(p, at, "too many layers (at most %d)", MAX_DECLS);
    l->decls = xrealloc(p, l->decls, sizeof *l->decls * (size_t)(l->n_decls + 1));
    p->input_locs = xrealloc(p, p->input_locs, sizeof *p->input_locs * LS_MAX_INPUTS * (size_t)(l->n_decls + 1));
    l->decls[l->n_decls] = *d;
    return &l->decls[l->n_decls++];
}

/* Fails if name is already the name of one of the first n declarations. */
static void check_unique(parser *p, const char *name, const tok *at, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(p->l->decls[i].name, name))
            FAIL_TOK(p, at, "the name '%s' is already used at line %d; layer names must be unique", name,
                     p->l->decls[i].loc.line);
}

/* (x), ([a, b]) or (a, b) after a layer call: its inputs by name. */
static void read_inputs(parser *p, ls_decl *d, int di)
{
    next(p); /* '(' */
    tok t = peek(p);
    bool br = is_punct(&t, '[');
    if (br)
        next(p);
    for (;;) {
        tok u = peek(p);
        if (d->n_inputs == LS_MAX_INPUTS)
            FAIL_TOK(p, &u, "a layer takes at most %d inputs", LS_MAX_INPUTS);
        char nm[LS_NAME_MAX];
        u = read_name(p, "a layer name", d->n_inputs ? "after ','" : "as the layer's input", nm);
        memcpy(d->inputs[d->n_inputs], nm, sizeof nm);
        p->input_locs[di * LS_MAX_INPUTS + d->n_inputs] = tloc(p, &u);
        d->n_inputs++;
        /* an input must be defined above: nothing else can resolve it, so cycles are
         * impossible; names inside a base are checked when the model is built */
        tok c = peek(p);
        if (!is_punct(&c, ','))
            break;
        next(p);
    }
    if (br)
        expect_punct(p, ']', "',' or ']' in the list of inputs");
    expect_punct(p, ')', "')' after the layer's inputs");
}

static void base_arg(parser *p, void *vctx, const tok *key, int pos, const char *where)
{
    layer_ctx *c = vctx;
    static const char *const args[] = {"input_shape", "cut", "weights", "include_top", "trainable", "name", NULL};
    static const char *const posn[] = {NULL};
    int idx = arg_index(p, key, pos, c->d->base, args, posn, &c->seen);
    tok t = peek(p);
    switch (idx) {
    case 0: {
        c->d->cfg.shape = read_shape(p, "input_shape", where);
        if (c->d->cfg.shape.rank != 3)
            FAIL_TOK(p, &t, "a base's input_shape is (height, width, channels)");
        break;
    }
    case 1: read_name(p, "a layer name", where, c->d->cut); break;
    case 2:
        if (is_kw(p, &t, "None")) {
            next(p);
            break;
        }
        if (is_kw(p, &t, "imagenet") || (t.kind == T_STR && t.slen == 8 && !memcmp(tstr(p, &t), "imagenet", 8)))
            FAIL_TOK(p, &t, "weights='imagenet' cannot be downloaded here: give a weights folder or .h5 file, e.g. weights=\"assets/inception_v3.h5\"");
        if (t.kind != T_STR || t.slen == 0)
            expected(p, &t, "a quoted weights folder or .h5 file, e.g. weights=\"assets/fashion_cnn\"");
        next(p);
        char *w = xstrndup(p, tstr(p, &t), (size_t)t.slen);
        free(c->d->weights);
        c->d->weights = w;
        break;
    case 3:
        if (read_bool(p, where))
            FAIL_TOK(p, &t, "a base is always used without its top: include_top=False");
        break;
    case 4: c->d->frozen = !read_bool(p, where); break;
    case 5:
        if (c->name_tok.kind != T_EOL)
            FAIL_TOK(p, &t, "this base is already named '%s'", c->d->name);
        c->name_tok = read_name(p, "a name", where, c->d->name);
        break;
    }
}

static const char *const base_names[] = {"fashion_cnn", "inception_v3", NULL};

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
        c.name_tok = read_name(p, "a name", "after 'base'", d.name);
        next(p);
        t = peek(p);
    }
    if (t.kind != T_IDENT && t.kind != T_STR)
        expected(p, &t, "a base (fashion_cnn or inception_v3) after 'base'");
    const char *s = t.kind == T_STR ? tstr(p, &t) : ttext(p, &t);
    int n = t.kind == T_STR ? t.slen : t.len;
    int k = -1;
    for (int i = 0; base_names[i]; i++)
        if (eq_nocase(s, (size_t)n, base_names[i]))
            k = i;
    if (eq_nocase(s, (size_t)n, "InceptionV3"))
        k = 1;
    if (k < 0) {
        char sg[80];
        FAIL_TOK(p, &t, "unknown base '%.*s'%s (known: fashion_cnn, inception_v3)", n > 40 ? 40 : n, s,
                 suggest(sg, sizeof sg, s, (size_t)n, base_names));
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
        parse_call(p, callee, base_arg, &c);
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
    expect_eol(p, "the base");
    if (!dp->name[0])
        snprintf(dp->name, sizeof dp->name, "%s", base_names[k]);
    /* unique among what came before (the new decl is the last one) */
    check_unique(p, dp->name, c.name_tok.kind != T_EOL ? &c.name_tok : &t, di);
    dp->cfg.trainable = !dp->frozen;
}

static void model_line(parser *p)
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
            expected(p, &t, "a layer such as Dense(...) after '='");
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
            expected(p, &t, "a layer name after '.'");
    }
    const layer_kind *k = find_layer_kind(ttext(p, &t), (size_t)t.len);
    if (!k) {
        char sg[80];
        int sec = section_kw(p, &t);
        if (sec >= 0)
            FAIL_TOK(p, &t, "'%.*s' starts a section; write it on a line of its own", t.len, ttext(p, &t));
        FAIL_TOK(p, &t, "unknown layer '%.*s'%s (layers: Input, Dense, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, Activation, Flatten, Dropout, Concatenate; or 'base')",
                 t.len > 40 ? 40 : t.len, ttext(p, &t),
                 suggest(sg, sizeof sg, ttext(p, &t), (size_t)t.len, layer_words));
    }
    c.k = k;
    d.cfg = nn_layer_cfg_default(k->type);
    d.loc = loc;
    u = peek(p);
    if (!is_punct(&u, '(')) {
        char w[96];
        snprintf(w, sizeof w, "'(' after '%s' (write %s(...))", k->keras, k->keras);
        expected(p, &u, w);
    }
    next(p);
    parse_call(p, k->keras, layer_arg, &c);
    if (k->type == NN_DENSE && !(c.seen & 1u))
        FAIL_TOK(p, &t, "Dense needs its number of units, e.g. Dense(512)");
    if (k->type == NN_CONV2D && (c.seen & 3u) != 3u)
        FAIL_TOK(p, &t, "Conv2D needs filters and kernel_size, e.g. Conv2D(32, 3)");
    if (k->type == NN_INPUT && !(c.seen & 1u))
        FAIL_TOK(p, &t, "Input needs a shape, e.g. Input(shape=(28, 28, 1))");
    if (k->type == NN_DROPOUT && !(c.seen & 1u))
        FAIL_TOK(p, &t, "Dropout needs a rate, e.g. Dropout(0.2)");
    if (k->type == NN_ACTIVATION && !(c.seen & 1u))
        FAIL_TOK(p, &t, "Activation needs an activation, e.g. Activation(relu)");
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
        if (dp->n_inputs > 1 && k->type != NN_CONCAT)
            FAIL_TOK(p, &u, "%s takes one input; only Concatenate joins several", k->keras);
    }
    u = peek(p);
    if (is_kw(p, &u, "frozen")) {
        next(p);
        dp->frozen = true;
    }
    char after[64];
    snprintf(after, sizeof after, "'%s(...)'", k->keras);
    expect_eol(p, after);
    if (k->type == NN_CONCAT && dp->n_inputs < 2)
        FAIL_TOK(p, &t, "Concatenate joins layers: name them, e.g. Concatenate()([a, b])");
    dp->cfg.trainable = !dp->frozen;
}

/* ------------------------------------------------------------------------------------ */
/* Steps */

static const char *const step_kws[] = {"run", "play", "pause", "freeze", "unfreeze", "compile", "set", "mode",
                                       "show", "focus", "reset", "seed", "learning", "lr", "validate",
                                       "predict", "expect", "question", "choice", "answer", "explain", "step",
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
    tok t = read_name(p, "a layer name", ctx, out);
    add_ref(p, out, tloc(p, &t), dropout, what);
}

static void expect_word(parser *p, const char *w, const char *after)
{
    tok t = peek(p);
    if (!is_kw(p, &t, w)) {
        char m[128];
        snprintf(m, sizeof m, "'%s' after '%s'", w, after);
        expected(p, &t, m);
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
    double v = read_number(p, ctx);
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
    {"dropped unit change", LS_Q_DROPPED_UNIT_CHANGE, true, true, 0},
    {NULL, 0, false, false, 0},
};
static const char *const quantity_heads[] = {"loss", "accuracy", "val_loss", "val_accuracy", "dropped", "weight",
                                             "last", "total", "trainable", "non-trainable", "params",
                                             "learning", "lr", "mask", "kept", "mean", "dead", "steps", NULL};

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
            int end = lex_at(p, pos, &t);
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
            FAIL_TOK(p, &t, "unknown quantity '%.*s'%s (see docs/lesson-format.md: loss, accuracy, val_loss, val_accuracy, dropped fraction of L, weight change of L, last change of L, total/trainable/non-trainable params, params of L, learning rate, mask of L, kept scale of L, mean ratio of L, dead gradient of L, steps)",
                     t.len > 40 ? 40 : t.len, ttext(p, &t),
                     suggest(sg, sizeof sg, ttext(p, &t), (size_t)t.len, quantity_heads));
        FAIL_TOK(p, &t, "expected a quantity such as 'loss' after 'expect' but found %s", desc(p, &t, d, sizeof d));
    }
    p->pos = best_pos;
    p->have_cur = false;
    return best;
}

/* A value: a number, optionally followed by '%'. */
static double read_value(parser *p, const char *ctx, tok *at)
{
    *at = peek(p);
    double v = read_number(p, ctx);
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
    rest_of_line(p, &s, &n);
    e->text = xstrndup(p, s, (size_t)n);
    p->pos = save;
    p->have_cur = false;
    tok t = peek(p);
    if (t.kind == T_EOL)
        expected(p, &t, "a quantity such as 'loss' after 'expect'");
    const quantity_word *qw = read_quantity(p);
    e->q = qw->q;
    if (qw->layer) {
        char after[64];
        snprintf(after, sizeof after, "%s", qw->words);
        expect_word(p, "of", after);
        char ctx[96];
        snprintf(ctx, sizeof ctx, "after '%s of'", qw->words);
        tok nt = read_name(p, "a layer name", ctx, e->layer);
        add_ref(p, e->layer, tloc(p, &nt), qw->dropout, qw->words);
    }
    if (qw->q == LS_Q_MASK_ACTIVE) {
        tok u = peek(p);
        if (is_kw(p, &u, "active") || is_kw(p, &u, "inactive")) {
            next(p);
            e->cmp = LS_CMP_EQ;
            e->a = is_kw(p, &u, "active") ? 1 : 0;
            expect_eol(p, "'active' or 'inactive'");
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
            expected(p, &r, "'..' between the two bounds (e.g. within 0.15..0.25)");
        next(p);
        tok bt;
        e->b = read_value(p, "after '..'", &bt);
        check_value(p, qw, e->b, &bt);
        if (e->b < e->a)
            FAIL_TOK(p, &bt, "the upper bound %g is below the lower bound %g", e->b, e->a);
        expect_eol(p, "the range");
        return;
    }
    if (c.kind != T_PUNCT || !(c.punct == '<' || c.punct == '>' || c.punct == P_LE || c.punct == P_GE ||
                               c.punct == P_EQEQ)) {
        if (is_punct(&c, '='))
            FAIL_TOK(p, &c, "write '==' to compare, not '='");
        if (qw->q == LS_Q_MASK_ACTIVE)
            expected(p, &c, "'active', 'inactive' or a comparison after the layer name");
        char m[160];
        snprintf(m, sizeof m, "a comparison (<, <=, >, >=, ==, within) after '%s%s'", qw->words,
                 qw->layer ? " of ..." : "");
        expected(p, &c, m);
    }
    e->cmp = c.punct == '<' ? LS_CMP_LT : c.punct == P_LE ? LS_CMP_LE : c.punct == '>' ? LS_CMP_GT
           : c.punct == P_GE ? LS_CMP_GE : LS_CMP_EQ;
    snprintf(ctx, sizeof ctx, "after '%.*s'", c.len, ttext(p, &c));
    e->a = read_value(p, ctx, &at);
    check_value(p, qw, e->a, &at);
    if (qw->kind == 2 && e->cmp == LS_CMP_EQ && e->a != floor(e->a))
        FAIL_TOK(p, &at, "%s is a whole number; found '%.*s'", qw->words, at.len, ttext(p, &at));
    expect_eol(p, "the expected value");
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
    char *s = inline_text(p);
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
        char *s = inline_text(p);
        if (!s || !*s)
            FAIL_TOK(p, kw, "expected the choice's text after 'choice'");
        q->choices = xrealloc(p, q->choices, sizeof *q->choices * (size_t)(q->n_choices + 1));
        q->choices[q->n_choices++] = s;
        p->tmp = NULL;
    } else if (is_kw(p, kw, "answer")) {
        if (p->q_answer_set)
            FAIL_TOK(p, kw, "this question already has an answer");
        skip_sep(p);
        tok t = peek(p);
        if (t.kind == T_IDENT && t.len == 1 && is_alpha((unsigned char)ttext(p, &t)[0])) {
            q->answer = lower((unsigned char)ttext(p, &t)[0]) - 'a';
            next(p);
        } else if (t.kind == T_NUM) {
            q->answer = (int)read_int(p, "the answer", "after 'answer'", 1, MAX_CHOICES) - 1;
        } else {
            expected(p, &t, "the number (1, 2, ...) or letter (a, b, ...) of the right choice after 'answer'");
        }
        p->q_answer_set = true;
        p->answer_loc = tloc(p, &t);
        expect_eol(p, "the answer");
    } else { /* explain */
        if (p->q_explain_set)
            FAIL_TOK(p, kw, "this question already has an explanation");
        p->q_explain_set = true;
        char *s = inline_text(p);
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

static void step_line(parser *p)
{
    tok kw = next(p);
    if (is_kw(p, &kw, "choice") || is_kw(p, &kw, "answer") || is_kw(p, &kw, "explain")) {
        step_question_part(p, &kw);
        return;
    }
    finish_question(p);
    ls_action *a;
    if (is_kw(p, &kw, "run")) {
        a = new_action(p, LS_ACT_RUN, &kw);
        a->n = read_int(p, "the number of steps", "after 'run'", 1, MAX_RUN);
        if (!opt_word(p, "steps"))
            opt_word(p, "step");
        expect_eol(p, "'run N steps'");
    } else if (is_kw(p, &kw, "play")) {
        new_action(p, LS_ACT_PLAY, &kw);
        expect_eol(p, "'play'");
    } else if (is_kw(p, &kw, "pause")) {
        new_action(p, LS_ACT_PAUSE, &kw);
        expect_eol(p, "'pause'");
    } else if (is_kw(p, &kw, "freeze") || is_kw(p, &kw, "unfreeze")) {
        bool fr = is_kw(p, &kw, "freeze");
        a = new_action(p, fr ? LS_ACT_FREEZE : LS_ACT_UNFREEZE, &kw);
        a->flag = true;
        step_layer(p, a->layer, fr ? "after 'freeze'" : "after 'unfreeze'", false, fr ? "freeze" : "unfreeze");
        if (opt_word(p, "without")) {
            expect_word(p, "recompile", "without");
            a->flag = false;
        }
        expect_eol(p, "the layer name (or 'without recompile')");
    } else if (is_kw(p, &kw, "compile")) {
        new_action(p, LS_ACT_COMPILE, &kw);
        expect_eol(p, "'compile'");
    } else if (is_kw(p, &kw, "set")) {
        tok t = peek(p);
        if (is_kw(p, &t, "learning") || is_kw(p, &t, "lr")) {
            next(p);
            if (is_kw(p, &t, "learning"))
                expect_word(p, "rate", "learning");
            expect_word(p, "to", is_kw(p, &t, "lr") ? "lr" : "learning rate");
            a = new_action(p, LS_ACT_LR, &kw);
            a->value = read_lr(p, "after 'to'");
            expect_eol(p, "the learning rate");
        } else if (is_kw(p, &t, "seed")) {
            next(p);
            expect_word(p, "to", "seed");
            a = new_action(p, LS_ACT_SEED, &kw);
            tok v = peek(p);
            if (v.kind != T_NUM || !v.is_int || v.neg || v.big)
                expected(p, &v, "a whole number from 0 to 9223372036854775807 after 'to'");
            next(p);
            if (v.mag > (uint64_t)INT64_MAX)
                expected(p, &v, "a whole number from 0 to 9223372036854775807 after 'to'");
            a->n = (long)v.mag;
            expect_eol(p, "the seed");
        } else {
            opt_word(p, "dropout");
            t = peek(p);
            if (!is_kw(p, &t, "rate"))
                expected(p, &t, "'dropout rate of LAYER to X', 'learning rate to X' or 'seed to N' after 'set'");
            next(p);
            expect_word(p, "of", "rate");
            a = new_action(p, LS_ACT_RATE, &kw);
            step_layer(p, a->layer, "after 'rate of'", true, "set dropout rate");
            expect_word(p, "to", "the layer name");
            a->value = (float)read_real(p, "the dropout rate", "after 'to'", 0, 1);
            expect_eol(p, "the rate");
        }
    } else if (is_kw(p, &kw, "mode")) {
        static const char *const modes[] = {"training", "inference", NULL};
        a = new_action(p, LS_ACT_MODE, &kw);
        a->flag = read_choice(p, "mode", "after 'mode'", modes) == 0;
        expect_eol(p, "the mode");
    } else if (is_kw(p, &kw, "show")) {
        a = new_action(p, LS_ACT_EXAMPLE, &kw);
        tok t = peek(p);
        if (is_kw(p, &t, "example")) {
            next(p);
            int batch = p->l->fit.batch;
            a->n = read_int(p, "the example", "after 'show example'", 0, batch - 1);
        } else if (is_kw(p, &t, "whole") || is_kw(p, &t, "batch")) {
            next(p);
            if (is_kw(p, &t, "whole"))
                expect_word(p, "batch", "whole");
            a->n = -1;
        } else {
            expected(p, &t, "'example K' or 'whole batch' after 'show'");
        }
        expect_eol(p, "what to show");
    } else if (is_kw(p, &kw, "focus")) {
        tok t = peek(p);
        if (is_kw(p, &t, "view")) {
            next(p);
            a = new_action(p, LS_ACT_FOCUS_VIEW, &kw);
            int v = read_choice(p, "view", "after 'focus view'", views);
            snprintf(a->view, sizeof a->view, "%s", views[v]);
        } else if (is_kw(p, &t, "layer")) {
            next(p);
            a = new_action(p, LS_ACT_FOCUS_LAYER, &kw);
            step_layer(p, a->layer, "after 'focus layer'", false, "focus layer");
        } else {
            expected(p, &t, "'view NAME' or 'layer NAME' after 'focus'");
        }
        expect_eol(p, "what to focus");
    } else if (is_kw(p, &kw, "reset")) {
        new_action(p, LS_ACT_RESET, &kw);
        expect_eol(p, "'reset'");
    } else if (is_kw(p, &kw, "seed")) {
        a = new_action(p, LS_ACT_SEED, &kw);
        tok v = peek(p);
        if (v.kind != T_NUM || !v.is_int || v.neg || v.big || v.mag > (uint64_t)INT64_MAX)
            expected(p, &v, "a whole number from 0 to 9223372036854775807 after 'seed'");
        next(p);
        a->n = (long)v.mag;
        expect_eol(p, "the seed");
    } else if (is_kw(p, &kw, "learning") || is_kw(p, &kw, "lr")) {
        if (is_kw(p, &kw, "learning"))
            expect_word(p, "rate", "learning");
        skip_sep(p);
        a = new_action(p, LS_ACT_LR, &kw);
        a->value = read_lr(p, "after 'learning rate'");
        expect_eol(p, "the learning rate");
    } else if (is_kw(p, &kw, "validate")) {
        new_action(p, LS_ACT_VALIDATE, &kw);
        expect_eol(p, "'validate'");
    } else if (is_kw(p, &kw, "predict")) {
        new_action(p, LS_ACT_PREDICT, &kw);
        expect_eol(p, "'predict'");
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

/* ------------------------------------------------------------------------------------ */
/* Lines and sections */

static void require_before_steps(parser *p, const tok *at)
{
    static const int need[] = {K_TITLE, K_DATA, K_MODEL, K_COMPILE};
    for (int i = 0; i < 4; i++)
        if (!(p->seen & (1u << need[i])))
            FAIL_TOK(p, at, "expected a '%s' section before the first step (a lesson declares title, data, model and compile, then its steps)",
                     section_kws[need[i]]);
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
        FAIL_TOK(p, &kw, "'%s' must come before the first step", section_kws[k]);
    }
    if (k != K_STEP && (p->seen & (1u << k)))
        FAIL_TOK(p, &kw, "a second '%s' (the first is at line %d)", section_kws[k], p->sec_line[k]);
    leave_section(p);
    p->seen |= 1u << k;
    if (k != K_STEP)
        p->sec_line[k] = p->lineno;
    p->keys_seen = 0;
    ls_lesson *l = p->l;
    switch (k) {
    case K_TITLE: {
        char *s = inline_text(p);
        if (!s || !*s)
            FAIL_TOK(p, &kw, "expected the lesson's title after 'title'");
        l->title = s;
        p->tmp = NULL;
        p->sec = S_NONE;
        break;
    }
    case K_SUMMARY: {
        char *s = inline_text(p);
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
    case K_DATA: {
        l->data.loc = tloc(p, &kw);
        tok t = peek(p);
        static const char *const sets[] = {"fashion_mnist", "fashion-mnist", "folder", NULL};
        int s = read_choice(p, "data set", "after 'data' (fashion_mnist)", sets);
        if (s == 2) {
            l->data.kind = LS_DATA_FOLDER;
            tok u = peek(p);
            if (u.kind != T_STR || u.slen == 0)
                expected(p, &u, "a quoted folder after 'data folder'");
            next(p);
            l->data.dir = xstrndup(p, tstr(p, &u), (size_t)u.slen);
        }
        (void)t;
        section_call(p, "fashion_mnist", data_key);
        expect_eol(p, "the data set");
        p->sec = S_DATA;
        break;
    }
    case K_MODEL:
        expect_eol(p, "'model' (the layers go on the lines below)");
        p->model_loc = tloc(p, &kw);
        p->decls_before_model = l->n_decls;
        p->sec = S_MODEL;
        break;
    case K_COMPILE:
        l->compile.loc = tloc(p, &kw);
        p->loss_given = false;
        section_call(p, "compile", compile_key);
        expect_eol(p, "'compile'");
        p->sec = S_COMPILE;
        break;
    case K_FIT:
        section_call(p, "fit", fit_key);
        expect_eol(p, "'fit'");
        p->sec = S_FIT;
        break;
    case K_STEP: {
        require_before_steps(p, &kw);
        if (l->n_steps >= MAX_STEPS)
            FAIL_TOK(p, &kw, "too many steps (at most %d)", MAX_STEPS);
        finish_question(p);
        l->steps = xrealloc(p, l->steps, sizeof *l->steps * (size_t)(l->n_steps + 1));
        ls_step *st = &l->steps[l->n_steps++];
        memset(st, 0, sizeof *st);
        st->loc = tloc(p, &kw);
        char *s = inline_text(p);
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
    skip_sep(p);
    fn(p, &key, false);
    char after[64];
    snprintf(after, sizeof after, "'%.*s' and its value", key.len > 30 ? 30 : key.len, ttext(p, &key));
    expect_eol(p, after);
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
        text_line(p, a);
        return;
    }
    p->blk = B_NONE;
    check_want(p);
    tok t = peek(p);
    if (t.kind != T_IDENT) {
        char d[80];
        FAIL_TOK(p, &t, "expected a keyword at the start of the line but found %s", desc(p, &t, d, sizeof d));
    }
    tok t2 = peek2(p);
    bool named = p->sec == S_MODEL && (is_punct(&t2, '=') || is_punct(&t2, ':'));
    int k = named ? -1 : section_kw(p, &t);
    if (k >= 0 && !(p->sec == S_STEP && k == K_COMPILE)) {
        if (p->sec == S_STEP && k != K_STEP) {
            if (k == K_TITLE || k == K_SUMMARY || k == K_DATA || k == K_MODEL || k == K_FIT)
                FAIL_TOK(p, &t, "'%s' must come before the first step", section_kws[k]);
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
                     suggest(sg, sizeof sg, ttext(p, &t), (size_t)t.len, section_kws));
        FAIL_TOK(p, &t, "unknown keyword '%.*s'%s (expected a section: title, summary, data, model, compile, fit or step)",
                 t.len > 40 ? 40 : t.len, ttext(p, &t),
                 suggest(sg, sizeof sg, ttext(p, &t), (size_t)t.len, section_kws));
    case S_DATA: key_line(p, data_key); break;
    case S_COMPILE: key_line(p, compile_key); break;
    case S_FIT: key_line(p, fit_key); break;
    case S_MODEL: model_line(p); break;
    case S_STEP: step_line(p); break;
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
    int *first = xrealloc(p, NULL, sizeof(int) * 2 * (size_t)n);
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
        if (p->err && p->errlen)
            snprintf(p->err, p->errlen, "%s", msg);
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
        if (!ok) {
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
                int d = distance(rf->name, strlen(rf->name), m->layers[i]->name);
                if (d < bd) {
                    bd = d;
                    best = m->layers[i]->name;
                }
            }
            size_t len = strlen(rf->name);
            int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
            char sg[96] = "";
            if (best && bd <= limit)
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
        fail_at(p, at.line, at.col, "%s", e);
}

static void finish(parser *p)
{
    ls_lesson *l = p->l;
    p->blk = B_NONE;
    if (p->want != B_NONE)
        check_want(p);
    finish_question(p);
    if (!p->any_content)
        fail_at(p, 1, 1, "the file is empty: a lesson starts with 'title'");
    static const int need[] = {K_TITLE, K_DATA, K_MODEL, K_COMPILE};
    for (int i = 0; i < 4; i++)
        if (!(p->seen & (1u << need[i])))
            fail_at(p, p->eof_line, p->eof_col, "expected a '%s' section but found the end of the file",
                    section_kws[need[i]]);
    leave_section(p);
    for (int i = 0; i < l->n_decls; i++)
        l->decls[i].cfg.name = l->decls[i].name[0] && l->decls[i].kind == LS_DECL_LAYER ? l->decls[i].name : NULL;
    l->compile.opt.eps_inside_sqrt = l->compile.profile == LS_KERAS_TF211;
    check_model(p);
}

/* ------------------------------------------------------------------------------------ */
/* Entry points */

static int run(parser *p)
{
    if (setjmp(p->jb))
        return -1;
    if (p->len > FILE_MAX_BYTES)
        fail_at(p, 1, 1, "the file is %zu bytes; a lesson may be at most %u bytes", p->len, FILE_MAX_BYTES);
    if (p->len >= 3 && !memcmp(p->text, "\xEF\xBB\xBF", 3)) { /* a byte-order mark */
        p->text += 3;
        p->len -= 3;
    }
    check_bytes(p);
    const char *s = p->text, *end = s + p->len;
    int lineno = 0;
    while (s < end) {
        const char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e)
            e = end;
        lineno++;
        int n = (int)(e - s);
        if (n > 0 && s[n - 1] == '\r')
            n--;
        set_line(p, s, n, lineno);
        handle_line(p);
        p->eof_line = lineno;
        p->eof_col = p->colmap[n];
        if (e < end) {
            p->eof_line = lineno + 1;
            p->eof_col = 1;
        }
        s = e + 1;
    }
    if (p->eof_line == 0) {
        p->eof_line = 1;
        p->eof_col = 1;
    }
    p->lineno = p->eof_line;
    set_line(p, "", 0, p->eof_line);
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
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
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
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, buf ? (read_errno ? strerror(read_errno) : "read error") : "out of memory");
        free(buf);
        return NULL;
    }
    if (n > FILE_MAX_BYTES) {
        if (err && errlen)
            snprintf(err, errlen, "%s:1:1: the file is larger than %u bytes; is this a lesson?", path,
                     FILE_MAX_BYTES);
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
           q == LS_Q_LAYER_PARAMS || q == LS_Q_MASK_ACTIVE || q == LS_Q_STEPS;
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
