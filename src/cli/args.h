/* The one argument reader of the commands: whole numbers, seeds, sizes and option values,
 * each with the one-line message the commands print when a value is refused.
 * Messages read "dropscope CMD: OPT needs ..., got 'V'" ('nothing' when the value is
 * missing); docs/errors.md lists them and tests/robust/test_cli_errors.sh checks them. */
#ifndef DS_CLI_ARGS_H
#define DS_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/* Parses a whole number in lo..hi: decimal digits, a leading '-' allowed, nothing else.
 * False (out untouched) for NULL, "", "abc", "1.5", "1e3", " 5", "+5", overflow or out
 * of range. */
bool cli_parse_long(const char *s, long lo, long hi, long *out);

/* Parses "WxH" with W in min_w..max and H in min_h..max, nothing else. False (w, h
 * untouched) otherwise. */
bool cli_parse_size(const char *s, int min_w, int min_h, int max, int *w, int *h);

/* Option opt's value v as a whole number in lo..hi. On refusal prints
 * "dropscope CMD: OPT needs a whole numberUNIT in LO..HINOTE, got 'V'" and returns false;
 * unit (" of MiB") and note (" (0: ...)") may be NULL. */
bool cli_arg_long(const char *cmd, const char *opt, const char *v, long lo, long hi,
                  const char *unit, const char *note, long *out);

/* Option opt's value v as a seed: any whole number in 0..2^64-1, decimal digits only.
 * On refusal (negative, beyond 2^64-1, not a number) prints one line like cli_arg_long's
 * and returns false. */
bool cli_arg_seed(const char *cmd, const char *opt, const char *v, uint64_t *seed);

/* Option opt's value v as a non-empty text (a directory, a file name). On refusal (NULL
 * or "") prints "dropscope CMD: OPT needs WHAT" and returns false. */
bool cli_arg_text(const char *cmd, const char *opt, const char *v, const char *what);

#endif
