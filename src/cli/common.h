/* What several commands share: usage lines, the clock, the progress bar, the options
 * and session of the headless commands (train, summary, check), and the lesson and
 * worker of the window's (open, shot). */
#ifndef DS_CLI_COMMON_H
#define DS_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/session.h"
#include "ui/worker.h"

/* Prints "usage: dropscope CMD TEXT" on stderr; returns 2 (bad usage). */
int cli_usage(const char *cmd, const char *text);

/* Prints "usage: dropscope CMD TEXT" on stdout (asked for with -h); returns 0. */
int cli_help(const char *cmd, const char *text);

/* Seconds on the monotonic clock, for rates and durations. */
double cli_now_sec(void);

/* Redraws a one-line progress bar "[###...] done/total  R steps/s" on stderr. */
void cli_progress(long done, long total, double steps_per_s);

/* The options of train, summary and check (-1 or 0: not given, the lesson decides). */
typedef struct {
    const char *lesson;     /* the lesson or .py; the default lesson when not given */
    long steps, every, batch;
    bool seed_set;          /* --seed given: seed overrides the lesson's */
    uint64_t seed;
    long memory_mib;        /* --memory-budget; 0: the session's default */
    const char *record;
    const char *data;
    const char *save_lesson; /* train: --save-lesson FILE, the state at the end as a lesson */
    bool verbose;           /* train: --verbose, every frozen layer in the closing lines */
    bool expand_nested;     /* summary: --expand-nested, the layers of models inside the model */
    char found[4096];       /* the course lesson a bare name ("02-frozen-base") names */
} cli_run_args;

/* The lesson arg names: an existing file as given, else a course lesson by name
 * ("02-frozen-base", in buf[n]), else arg itself (its reader then says what is wrong). */
const char *cli_lesson_path(const char *arg, char *buf, size_t n);

/* The options of a run with nothing given. */
cli_run_args cli_run_args_default(void);

/* Reads [LESSON] --steps --seed --every --batch --memory-budget --record --data -h (and,
 * for train, --save-lesson FILE --verbose) into *a (strings point into argv). 0: go on; -1: help was printed (exit 0); 2: a one-line
 * message was printed (exit 2). */
int cli_parse_run_args(int argc, char **argv, cli_run_args *a, const char *cmd,
                       const char *help);

/* Loads a's lesson and creates its session with a's overrides; prints the session's notes
 * (e.g. a base on random weights) on stderr. The caller destroys the session. NULL after
 * printing "dropscope CMD: reason". */
ls_session *cli_open_session(const cli_run_args *a, const char *cmd, bool quiet);

/* Resolves the window's lesson argument (NULL: the default lesson) to a path in
 * path[n] (ls_find_lesson: a file, or a course lesson by name). 0, or 2 after printing "dropscope: reason". */
int cli_resolve_lesson(const char *arg, char *path, size_t n);

/* Loads the lesson at path and starts its session (seed_set: seed overrides the
 * lesson's) in a worker, for the window; *lesson is the session's. The caller stops the
 * worker. NULL after printing "dropscope: reason". */
ui_worker *cli_launch(const char *path, bool seed_set, uint64_t seed, const ls_lesson **lesson);

#endif
