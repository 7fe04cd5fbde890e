/* What several commands share: usage lines, the clock, the progress bar, and the
 * options and session of the headless commands (train, summary, check). */
#ifndef DS_CLI_COMMON_H
#define DS_CLI_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "session/session.h"

/* Prints "usage: dropscope CMD TEXT" on stderr; returns 2 (bad usage). */
int cli_usage(const char *cmd, const char *text);

/* Prints "usage: dropscope CMD TEXT" on stdout (asked for with -h); returns 0. */
int cli_help(const char *cmd, const char *text);

/* Seconds on the monotonic clock, for rates and durations. */
double cli_now_sec(void);

/* Redraws a one-line progress bar "[###...] done/total  R steps/s" on stderr. */
void cli_progress(long done, long total, double steps_per_s);

/* SEED-MERGE: ls_options.seed and ui_launch still take a long (-1: the lesson's own seed).
 * Until they take a uint64_t, a seed above LONG_MAX cannot be passed and the lesson's
 * own seed is used. After the merge this goes: the seed passes through as it is. */
long cli_seed_option(bool seed_set, uint64_t seed);

/* The options of train, summary and check (-1 or 0: not given, the lesson decides). */
typedef struct {
    const char *lesson;     /* the lesson or .py; the default lesson when not given */
    long steps, every, batch;
    bool seed_set;          /* --seed given: seed overrides the lesson's */
    uint64_t seed;
    long memory_mib;        /* --memory-budget; 0: the session's default */
    const char *record;
    const char *data;
} cli_run_args;

/* The options of a run with nothing given. */
cli_run_args cli_run_args_default(void);

/* Reads [LESSON] --steps --seed --every --batch --memory-budget --record --data -h into
 * *a (strings point into argv). 0: go on; -1: help was printed (exit 0); 2: a one-line
 * message was printed (exit 2). */
int cli_parse_run_args(int argc, char **argv, cli_run_args *a, const char *cmd,
                       const char *help);

/* Loads a's lesson and creates its session with a's overrides; prints the session's notes
 * (e.g. a base on random weights) on stderr. The caller destroys the session. NULL after
 * printing "dropscope CMD: reason". */
ls_session *cli_open_session(const cli_run_args *a, const char *cmd, bool quiet);

#endif
