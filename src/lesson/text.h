/* Text helpers shared by the lesson parser and the Keras importer: the UTF-8 check and
 * the "did you mean" suggestion. No allocation, no state; never prints. */
#ifndef LS_TEXT_H
#define LS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of the UTF-8 sequence whose lead byte is c (the text already validated). */
int ls_utf8_len(unsigned char c);

/* Bytes of the valid UTF-8 sequence at s (n bytes available): shortest forms only, no
 * surrogates, nothing beyond U+10FFFF. 0 when the bytes at s are not one. */
int ls_utf8_valid(const unsigned char *s, size_t n);

/* Lower-case ASCII letters and digits of s (n bytes) into out (cap bytes, terminated),
 * dropping everything else: "Ankle boot" -> "ankleboot". */
void ls_squash(const char *s, size_t n, char *out, size_t cap);

/* How close two words must be to suggest one for the other. */
typedef enum {
    LS_WORDS_LESSON, /* letters in either case; words over 40 bytes are never close */
    LS_WORDS_PYTHON  /* case matters; words over 63 bytes are never close */
} ls_word_rules;

/* Levenshtein distance of a (na bytes) and b (nb bytes) under rules; 99 when either is
 * too long to compare. */
int ls_edit_distance(const char *a, size_t na, const char *b, size_t nb, ls_word_rules rules);

/* The largest distance at which a word is close to one typed with len bytes: two edits
 * up to 6 bytes, three beyond; LS_WORDS_LESSON allows one for 3 bytes or fewer. */
int ls_word_limit(size_t len, ls_word_rules rules);

/* The closest of words to s (len bytes), or NULL when none is close. count < 0: words
 * ends with NULL; else count entries, NULL ones skipped. Ties go to the first. */
const char *ls_closest(const char *s, size_t len, const char *const *words, int count, ls_word_rules rules);

/* "; did you mean 'x'?" for ls_closest, or "", written into buf (n bytes); returns buf. */
const char *ls_suggest(char *buf, size_t n, const char *s, size_t len, const char *const *words, int count,
                       ls_word_rules rules);

#endif
