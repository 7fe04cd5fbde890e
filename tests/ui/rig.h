/* Helpers the window's tests share: a session's steps, and freeing what a test opened. */
#ifndef UI_TEST_RIG_H
#define UI_TEST_RIG_H

#include <SDL.h>

#include "ui/app.h"

/* n training steps in the worker, waited for. */
static inline void rig_run_steps(ui_worker *w, long n)
{
    ui_cmd c = {.kind = UI_CMD_STEP, .n = n};
    ui_worker_push(w, &c);
    ui_worker_wait_idle(w);
}

/* Frees the app, stops the worker, frees the renderer and its surface (any may be NULL). */
static inline void rig_close_all(ui_app *a, ui_worker *w, SDL_Renderer *ren, SDL_Surface *surf)
{
    ui_app_destroy(a);
    ui_worker_stop(w);
    if (ren)
        SDL_DestroyRenderer(ren);
    if (surf)
        SDL_FreeSurface(surf);
}

#endif
