/* The window's application: the frame (update, then draw), events and actions. The
 * state it changes, and the layout each frame leaves behind, are in state.h.
 *
 * The app draws with any SDL_Renderer: a window's, or a software renderer over a
 * surface (shot, tests, bench). It never touches the model: training state arrives as
 * snapshots from the worker, changes leave as queued commands. */
#ifndef UI_APP_H
#define UI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <SDL.h>

#include "ui/state.h"

typedef struct {
    const char *lesson_path;
    bool presenter;
    bool inference;          /* start in inference mode */
    int example;             /* shown example, -1 whole batch */
    double speed;            /* steps per second, 0 = as fast as possible */
    struct ui_course *course;/* kept across lessons by the caller; NULL: the app makes one */
} ui_app_options;

/* Sets up the app on ren (and win, may be NULL) for the worker's session.
 * Does not take ownership of ren/win/worker. NULL with err. */
ui_app *ui_app_create(SDL_Window *win, SDL_Renderer *ren, ui_worker *worker,
                      const ls_lesson *lesson, const ui_app_options *opt, char *err,
                      size_t errlen);
void ui_app_destroy(ui_app *a);          /* NULL is fine */
/* Draws with another renderer from now on (e.g. a new surface after a resize);
 * textures are rebuilt. 0 or -1 with err. */
int ui_app_set_renderer(ui_app *a, SDL_Renderer *ren, char *err, size_t errlen);
/* Handles one SDL event (keys, mouse, resize, quit). */
void ui_app_event(ui_app *a, const SDL_Event *e);
/* Runs an action as a key or click would. */
void ui_app_do(ui_app *a, ui_action_id act, int arg);
/* Update phase: takes the newest snapshot, worker state and results. Returns true
 * when anything drawn may have changed since the last call (the window skips frames
 * otherwise, leaving the CPU to training). */
bool ui_app_update(ui_app *a);
/* Draw phase: draws everything at the renderer's output size, fills a->layout. */
void ui_app_draw(ui_app *a);
/* Enters lesson step k (runs its actions). */
void ui_app_enter_step(ui_app *a, int k);

#endif
