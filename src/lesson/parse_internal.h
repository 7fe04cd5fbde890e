/* Private to the lesson parser (lex.c, values.c, sections.c, steps.c, parse.c): the
 * parser's state, its tokens, and the functions one part calls in another. Every
 * function here fails by longjmp to the entry point in parse.c (lsp_fail_at), which
 * frees the partial lesson; nothing here returns an error. Not for other modules. */
#ifndef LS_PARSE_INTERNAL_H
#define LS_PARSE_INTERNAL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lesson/lesson.h"
#include "lesson/text.h"

#define LINE_MAX_BYTES 4096
#define FILE_MAX_BYTES (1u << 20)
#define MAX_DECLS 1024
#define MAX_STEPS 1024
#define MAX_ITEMS_TOTAL 16384
#define MAX_CHOICES 26
#define MAX_LIST 16             /* items in [a, b, ...] */
#define MAX_UNITS (1 << 20)
#define MAX_DIM 8192
#define MAX_RUN 10000000L
#define MAX_MC_PASSES 1000L
#define MAX_SPLIT 10000000L
#define MAX_BATCH 4096

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
typedef enum { B_NONE = 0, B_STEP, B_SUMMARY, B_PROMPT, B_EXPLAIN, B_NOTES } block;

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
    char *app_buf;              /* the text last appended to, its length and capacity */
    size_t app_len, app_cap;

    /* the open question: the last item of the last step */
    bool q_open;
    bool q_answer_set, q_explain_set;
    ls_loc answer_loc;

    /* side tables */
    ls_loc *input_locs;         /* n_decls * LS_MAX_INPUTS */
    ref *refs;
    int n_refs, cap_refs;
} parser;

/* Section keywords, in the order of lsp_section_kws. */
enum { K_TITLE = 0, K_SUMMARY, K_DATA, K_MODEL, K_COMPILE, K_FIT, K_STEP, K_NOTES };

/* A call's argument: key is the keyword token (NULL for the pos-th positional one);
 * where says where it stands, for messages. */
typedef void (*arg_fn)(parser *p, void *ctx, const tok *key, int pos, const char *where);
/* A data/compile/fit key, on a line of its own or (call) inside section(...). */
typedef void (*key_fn)(parser *p, const tok *key, bool call);

/* ------------------------------------------------------------------------------------ */
/* Errors (lex.c) */

#if defined(__GNUC__)
#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTF(a, b)
#define NORETURN
#endif

/* "name:line:col: message" into the caller's buffer, then longjmp. */
NORETURN PRINTF(4, 5) void lsp_fail_at(parser *p, int line, int col, const char *fmt, ...);
#define FAIL_TOK(p, t, ...) lsp_fail_at((p), (p)->lineno, (t)->col, __VA_ARGS__)
#define FAIL_LOC(p, lc, ...) lsp_fail_at((p), (lc).line, (lc).col, __VA_ARGS__)
/* Allocation that fails the parse ("out of memory") instead of returning NULL. */
void *lsp_xrealloc(parser *p, void *ptr, size_t n);
char *lsp_xstrndup(parser *p, const char *s, size_t n);
/* ptr (n elements of size bytes) with room for one more: the capacity doubles (it is the
 * next power of two, so it needs no field of its own), so n appends cost linear time. */
void *lsp_grow(parser *p, void *ptr, int n, size_t size);

/* ------------------------------------------------------------------------------------ */
/* Characters (ASCII only; never the C library's locale-dependent classes) */

static inline bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static inline bool is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool is_word(int c) { return is_alpha(c) || is_digit(c) || c == '_'; }
static inline bool is_blank(int c) { return c == ' ' || c == '\t' || c == '\r'; }
static inline int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static inline bool eq_nocase(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

/* "; did you mean 'x'?" or "" into buf: the lesson language ignores case. */
static inline const char *suggest(char *buf, size_t n, const char *s, size_t len, const char *const *words)
{
    return ls_suggest(buf, n, s, len, words, -1, LS_WORDS_LESSON);
}

/* ------------------------------------------------------------------------------------ */
/* Lexer (lex.c): the buffer's bytes are checked once, then each line is lexed on demand. */

/* Bytes of the line at s (text up to end) before its line end: LF, CRLF or a lone CR, as
 * Python reads scripts (a file saved with CR-only line ends is not one long line); *next
 * is where the next line starts (end after the last). */
size_t lsp_line_len(const char *s, const char *end, const char **next);
/* Fails at the first NUL, control character, invalid UTF-8 or over-long line of the buffer. */
void lsp_check_bytes(parser *p);
/* Makes s (n bytes, line lineno) the line the lexer reads. */
void lsp_set_line(parser *p, const char *s, int n, int lineno);
/* Lexes the token at byte pos of the line into *t; returns the byte after it. */
int lsp_lex_at(parser *p, int pos, tok *t);
/* A description of t for "but found ..." into buf (n bytes); returns buf. */
const char *lsp_desc(const parser *p, const tok *t, char *buf, size_t n);
/* Fails with "expected WHAT but found T". */
NORETURN void lsp_expected(parser *p, const tok *t, const char *what);
/* Consumes punctuation c or fails with "expected WHAT". */
void lsp_expect_punct(parser *p, int c, const char *what);
/* Fails unless the line ends here ("... after AFTER"). */
void lsp_expect_eol(parser *p, const char *after);
/* Skips an optional '=' or ':' after a key. */
void lsp_skip_sep(parser *p);

static inline tok peek(parser *p)
{
    if (!p->have_cur) {
        p->cur_end = lsp_lex_at(p, p->pos, &p->cur);
        p->have_cur = true;
    }
    return p->cur;
}

static inline tok peek2(parser *p)
{
    peek(p);
    tok t;
    lsp_lex_at(p, p->cur_end, &t);
    return t;
}

static inline tok next(parser *p)
{
    tok t = peek(p);
    p->pos = p->cur_end;
    p->have_cur = false;
    return t;
}

static inline const char *ttext(const parser *p, const tok *t) { return p->line + t->off; }

static inline const char *tstr(const parser *p, const tok *t) { return p->sbuf + t->soff; }

static inline bool is_kw(const parser *p, const tok *t, const char *kw)
{
    return t->kind == T_IDENT && eq_nocase(ttext(p, t), (size_t)t->len, kw);
}

static inline bool is_punct(const tok *t, int c) { return t->kind == T_PUNCT && t->punct == c; }

/* The text of a word token (an identifier or a string) into *s and *n; false for others. */
static inline bool tword(const parser *p, const tok *t, const char **s, int *n)
{
    if (t->kind != T_IDENT && t->kind != T_STR)
        return false;
    *s = t->kind == T_STR ? tstr(p, t) : ttext(p, t);
    *n = t->kind == T_STR ? t->slen : t->len;
    return true;
}

static inline ls_loc tloc(const parser *p, const tok *t) { return (ls_loc){p->lineno, t->col}; }

/* ------------------------------------------------------------------------------------ */
/* Values and calls (values.c) */

/* The rest of the line, trimmed, consumed: *s and *n point into the line. */
void lsp_rest_of_line(parser *p, const char **s, int *n);
/* The rest of the line (or one string filling it) as a new string held in p->tmp until
 * the caller attaches it to the lesson; NULL when the line is empty. */
char *lsp_inline_text(parser *p);
/* A number (ctx says where, for messages). */
double lsp_read_number(parser *p, const char *ctx);
/* A whole number in lo..hi. */
long lsp_read_int(parser *p, const char *what, const char *ctx, long lo, long hi);
/* A number in lo..hi. */
double lsp_read_real(parser *p, const char *what, const char *ctx, double lo, double hi);
/* True/False (any case). */
bool lsp_read_bool(parser *p, const char *ctx);
/* A name (identifier or string) of at most LS_NAME_MAX - 1 bytes into out; returns its token. */
tok lsp_read_name(parser *p, const char *what, const char *ctx, char *out);
/* Index of the word among words (NULL-terminated), case-insensitive. */
int lsp_read_choice(parser *p, const char *what, const char *ctx, const char *const *words);
/* "a, b, ..." or "[a, b]" (at most max numbers in lo..hi) into out; returns how many. */
int lsp_read_ints(parser *p, const char *what, const char *ctx, int *out, int max, long lo, long hi);
/* A shape such as (28, 28, 1). */
nn_shape lsp_read_shape(parser *p, const char *what, const char *ctx);
/* 3, (3, 3) or 3x3 into *a and *b, each in lo..hi. */
void lsp_read_pair(parser *p, const char *what, const char *ctx, int *a, int *b, long lo, long hi);
/* The arguments after '(' (consumed) up to ')', each handed to fn. */
void lsp_parse_call(parser *p, const char *callee, arg_fn fn, void *ctx);
/* "a, b, c" into buf (n bytes, cut to fit): count words, or up to NULL when count < 0. */
const char *lsp_join(char *buf, size_t n, const char *const *words, int count);
/* Index in names of the argument key (NULL: the pos-th positional one; the first np of
 * names may be positional); fails if it is unknown or given twice. */
int lsp_arg_index(parser *p, const tok *key, int pos, const char *callee, const char *const *names, int np,
                  unsigned *seen);

/* ------------------------------------------------------------------------------------ */
/* The random augmentation layers' arguments (augment_args.c) */

/* Reads argument nm of a RandomFlip/Rotation/Zoom/Translation into cfg; false when cfg is
 * not one of them or nm is not an augmentation argument. */
bool lsp_augment_arg(parser *p, nn_layer_cfg *cfg, const char *callee, const char *nm, const char *where);
/* Fails at at when a required factor is missing (seen: the arguments given, by index). */
void lsp_augment_finish(parser *p, const nn_layer_cfg *cfg, const char *callee, unsigned seen, const tok *at);

/* ------------------------------------------------------------------------------------ */
/* Sections (sections.c) */

extern const char *const lsp_section_kws[];
/* Index of t in lsp_section_kws, or -1. */
int lsp_section_kw(const parser *p, const tok *t);
/* One key of the data section (or of data fashion_mnist(...)). */
void lsp_data_key(parser *p, const tok *key, bool call);
/* One key of the compile section. */
void lsp_compile_key(parser *p, const tok *key, bool call);
/* One key of the fit section. */
void lsp_fit_key(parser *p, const tok *key, bool call);
void lsp_model_key(parser *p, const tok *key, bool call);
/* The optional "(key=value, ...)" after a section keyword, each key handed to fn. */
void lsp_section_call(parser *p, const char *callee, key_fn fn);
/* One line of the model section: a layer or a base. */
void lsp_model_line(parser *p);

/* ------------------------------------------------------------------------------------ */
/* Text blocks, questions and steps (steps.c) */

/* Fails when a keyword still waits for its '>' lines. */
void lsp_check_want(parser *p);
/* Checks the open question (answer and explanation) and closes it. */
void lsp_finish_question(parser *p);
/* A '>' line (gt: the byte after '>'), appended to the open text block. */
void lsp_text_line(parser *p, int gt);
/* One statement of a step. */
void lsp_step_line(parser *p);

#endif
