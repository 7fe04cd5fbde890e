/* The window without a display, for shot and film: the software renderer drawing the
 * app into an ARGB8888 surface, with the lesson's session in a worker thread. */
#ifndef DS_CLI_RENDER_H
#define DS_CLI_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

#include "ui/app.h"
#include "ui/worker.h"

typedef struct {
    SDL_Surface *surf;      /* w x h ARGB8888: what the window shows after cli_render_draw */
    SDL_Renderer *ren;
    ui_worker *worker;
    ui_app *app;
    const ls_lesson *lesson;/* the session's */
    bool ttf;
} cli_render;

/* What a rendering command was asked for (shot's and film's common options). */
typedef struct {
    const char *path;       /* the lesson, resolved (cli_resolve_lesson) */
    int w, h;
    bool seed_set;
    uint64_t seed;
    bool example_given;
    long example;           /* -1: the whole batch */
    ui_app_options app;
} cli_render_opts;

/* Sets up the surface, renderer, session (worker) and app, then brings the app to the
 * lesson's first step (its actions run, as the window does on open), paused, with the
 * example asked for. 0; 1 after printing a failure; 2 after printing a bad input (an
 * example beyond the batch, a lesson that does not load). Call cli_render_close in
 * every case. */
int cli_render_open(cli_render *r, const char *cmd, const cli_render_opts *o);
/* Runs n training steps (n may be 0), waits for the worker; the worker's status. */
ui_worker_status cli_render_steps(cli_render *r, long n);
/* Draws the app into r->surf (twice: the first frame measures the lesson text), with
 * the measured steps/s left at 0 so that the pixels are reproducible. */
void cli_render_draw(cli_render *r);
/* The most keys one --keys replays. */
#define CLI_MAX_KEYS 256

typedef struct {
    SDL_Keycode key;
    Uint16 mod;
} cli_key;

/* Parses --keys: SDL key names (SDL_GetKeyFromName: "N", "Space", "Left", "[") separated
 * by spaces, each optionally after "Shift+" or "Ctrl+". Returns how many (<= max), or -1
 * with err naming the key that is not one. */
int cli_parse_keys(const char *s, cli_key *out, int max, char *err, size_t errlen);
/* Presses the keys in order through the window's own event path, each taking effect
 * before the next: the worker finishes what the key asked for (a lesson run to its end,
 * a step, Space's one step) and a frame is drawn, as the window would between two
 * presses. Returns the worker's status after the last. */
ui_worker_status cli_render_keys(cli_render *r, const cli_key *keys, int n);
/* Writes the JSON description of the last frame (r->app->report must have been set
 * when it was drawn) to path atomically. -1 with err naming path. */
int cli_render_describe(const cli_render *r, const char *path, char *err, size_t errlen);
/* Frees everything open; r may be partly set up. */
void cli_render_close(cli_render *r);

#endif
