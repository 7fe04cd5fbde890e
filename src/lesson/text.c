/* The UTF-8 check and the "did you mean" helper, one copy for the lesson parser and the
 * Keras importer. The two callers differ only in their rules: the lesson language is
 * case-insensitive and strict on short words, Python is neither. */
#include "lesson/text.h"

#include <stdio.h>
#include <string.h>

int ls_utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

int ls_utf8_valid(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    /* the second byte's range rules out overlong forms, surrogates and > U+10FFFF */
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
        return 0;
    if ((size_t)len > n)
        return 0;
    for (int k = 1; k < len; k++) {
        unsigned b = s[k];
        if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            return 0;
    }
    return len;
}

void ls_squash(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            out[k++] = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[k++] = c;
    }
    out[k] = '\0';
}

static int fold(int c, ls_word_rules rules)
{
    return rules == LS_WORDS_LESSON && c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int ls_edit_distance(const char *a, size_t na, const char *b, size_t nb, ls_word_rules rules)
{
    size_t max = rules == LS_WORDS_LESSON ? 40 : 63;
    if (na > max || nb > max)
        return 99;
    int row[64];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int v = diag + (fold((unsigned char)a[i - 1], rules) != fold((unsigned char)b[j - 1], rules));
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

int ls_word_limit(size_t len, ls_word_rules rules)
{
    return len <= 3 && rules == LS_WORDS_LESSON ? 1 : len <= 6 ? 2 : 3;
}

const char *ls_closest(const char *s, size_t len, const char *const *words, int count, ls_word_rules rules)
{
    const char *best = NULL;
    int bd = 99;
    for (int i = 0; count < 0 ? words[i] != NULL : i < count; i++) {
        if (!words[i])
            continue;
        int d = ls_edit_distance(s, len, words[i], strlen(words[i]), rules);
        if (d < bd) {
            bd = d;
            best = words[i];
        }
    }
    return bd <= ls_word_limit(len, rules) ? best : NULL;
}

const char *ls_suggest(char *buf, size_t n, const char *s, size_t len, const char *const *words, int count,
                       ls_word_rules rules)
{
    const char *c = ls_closest(s, len, words, count, rules);
    if (c)
        snprintf(buf, n, "; did you mean '%s'?", c);
    else
        buf[0] = '\0';
    return buf;
}
