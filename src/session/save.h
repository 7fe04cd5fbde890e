/* Save as lesson: the session's state written as a lesson file that reopens at the same
 * step with the same masks, bit for bit.
 *
 * How: the session keeps a history of what changed between its steps (save.c diffs the
 * live settings before each step: Dropout rates, trainable flags, the flags as of the
 * last compile, learning rate, training/inference mode; seed changes and resets are
 * logged as they happen). The saved lesson is the original lesson's declarations (its
 * `fit` section rewritten with the seed and batch the session started with) followed by
 * one step whose actions replay that history in order: `run K steps`, `set dropout rate
 * of ...`, `freeze ... without recompile`, `compile`, `mode ...`, `learning rate ...`,
 * `seed ...`, `reset`, then the view (`show example`, `focus layer`) and
 * `expect steps == N`. Never includes SDL. */
#ifndef LS_SAVE_H
#define LS_SAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/session.h"

/* What the window shows, saved with the state (the session does not know it). */
typedef struct {
    bool has_example;       /* write a `show example` line */
    int example;            /* the example shown; -1: the whole batch */
    const char *layer;      /* the Dropout layer (or any layer) in focus; NULL: none */
} ls_save_view;

/* Writes s's state as a lesson at path, atomically (src/data/atomicio.h): the old file
 * stays whole on any failure. view may be NULL. 0, or -1 with a one-line reason naming
 * the file in err (the lesson's source cannot be read, out of memory while keeping the
 * history, the file cannot be written). */
int ls_session_save_lesson(ls_session *s, const char *path, const ls_save_view *view,
                           char *err, size_t errlen);

/* ---- The session's hooks (called by session.c only) ---- */
/* Takes the state at creation as the history's start; on failure the history is marked
 * lost and saving says so later (the session runs on). */
void ls_history_start(ls_session *s);
/* Before each step: logs what changed since the last step, then one more step. */
void ls_history_step(ls_session *s);
/* Before a reset / a new seed takes effect. */
void ls_history_reset(ls_session *s);
void ls_history_seed(ls_session *s, uint64_t seed);
/* Frees the history (NULL session fine). */
void ls_history_free(ls_session *s);

#endif
