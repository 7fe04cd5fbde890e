/* The window without a display, shared by the UI tests: a software renderer drawing
 * the app into a surface, over a real session (ui_launch) or the fake backend
 * (fake_trace.h). The helpers fail the running cmocka test on errors. */
#ifndef DS_TEST_UI_UI_RIG_H
#define DS_TEST_UI_UI_RIG_H

#include <stdbool.h>

#include <SDL.h>

#include "fake_trace.h"
#include "ui/app.h"

typedef struct {
    SDL_Surface *surf;
    SDL_Renderer *ren;
    ui_worker *w;
    ui_app *a;
    const ls_lesson *lesson;
    ui_backend *fake;   /* the fake backend (owned by w), or NULL */
} rig;

void rig_surface(rig *r, int w, int h);
/* The app over r->w (o NULL: example 0, fastest speed). */
void rig_app(rig *r, const ui_app_options *o);
/* A real session of the lesson at path, drawn at w x h. */
void rig_real_lesson(rig *r, const char *path, int w, int h);
void rig_fake(rig *r, int w, int h, const fake_options *fo);
void rig_free(rig *r);
/* With DS_UI_SHOTS=DIR, a test leaves the frame it checked there as NAME.png. */
void keep_frame(rig *r, const char *name);
/* n single steps, waited for. */
void steps(rig *r, long n);
/* One frame: update, then draw. */
void frame(rig *r);
SDL_Color px(SDL_Surface *s, int x, int y);
bool same(SDL_Color a, SDL_Color b);
/* A key press through the window's event path. */
void key(rig *r, SDL_Keycode k, Uint16 mod);

/* Index of the layer named name in the app's graph (fails the test when none). */
int layer_index(rig *r, const char *name);
/* Hit regions the last frame registered for act (arg < 0: any arg); the last one's rect
 * in *where (may be NULL). */
int hits_of(rig *r, ui_action_id act, int arg, SDL_Rect *where);

#endif
