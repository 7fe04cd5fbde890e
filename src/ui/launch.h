/* Shared by open and shot: finding a lesson, starting its session in a worker, saving
 * a surface as PNG atomically. */
#ifndef UI_LAUNCH_H
#define UI_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <SDL.h>

#include "ui/worker.h"

/* Snapshots the window keeps to look back through (Left/Right); the worker also caps
 * the ring at about 256 MB. */
#define UI_HISTORY_STEPS 300

/* Resolves a lesson argument (NULL: the default lesson) to an existing path: see
 * ls_find_lesson (an existing file, else a course lesson by name in the data directory).
 * -1 with the places tried in err. */
int ui_resolve_lesson(const char *arg, char *out, size_t n, char *err, size_t errlen);

/* Loads the lesson, creates its session (with seed_set, seed overrides the lesson's)
 * and starts a worker. *lesson receives the lesson (owned by the session). NULL with
 * err. */
ui_worker *ui_launch(const char *path, bool seed_set, uint64_t seed, const ls_lesson **lesson,
                     char *err, size_t errlen);

/* ui_launch on a thread, so that a window can draw (and answer its events) while the
 * lesson loads: the first frame comes at once, not after seconds of reading data and
 * weights. Start, poll done, then finish (always: it joins and frees the job). */
typedef struct ui_launch_job ui_launch_job;
/* NULL when no thread could start (then call ui_launch itself). */
ui_launch_job *ui_launch_start(const char *path, bool seed_set, uint64_t seed);
bool ui_launch_done(ui_launch_job *j);
/* Waits for the job; ui_launch's result (NULL with err). Frees j. */
ui_worker *ui_launch_finish(ui_launch_job *j, const ls_lesson **lesson, char *err, size_t errlen);

/* Parses a whole number in lo..hi (decimal digits, a leading '-' allowed, nothing
 * else): false for NULL, "", "abc", "1.5", "1e3", " 5", overflow or out of range. */
bool ui_parse_long(const char *s, long lo, long hi, long *out);

/* Checks, before any work, that a PNG could be written to path: its directory exists
 * and is writable, and path is not a directory. -1 with err naming the file. */
int ui_png_writable(const char *path, char *err, size_t errlen);

/* Writes s as PNG to path atomically (data/atomicio.h: the old file or the whole new
 * one, never half). -1 with err naming path. */
int ui_save_png(SDL_Surface *s, const char *path, char *err, size_t errlen);

#endif
