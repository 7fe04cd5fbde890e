/* Save as lesson and GIF clips from the window; see share.h. */
#include "ui/share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/gif.h"
#include "ui/palette.h"

struct ui_recording {
    ds_gif *gif;
    char path[512];
    int w, h, frames, want;
    unsigned long seen;     /* snapshots published when the last frame was taken */
    bool waiting;           /* a step was asked for and has not been drawn yet */
    Uint32 *pixels;
};

static void say(ui_app *a, const char *msg)
{
    size_t n = strlen(msg);
    if (n >= sizeof a->message)
        n = sizeof a->message - 1;   /* cut, not a format: the file name comes first */
    memcpy(a->message, msg, n);
    a->message[n] = 0;
    a->message_until = SDL_GetTicks() + 6000;
}

/* "STEM-stepN.EXT" in the current directory, or with -2, -3, ... when taken. */
static void fresh_name(const ui_app *a, const char *ext, char *out, size_t n)
{
    const char *path = a->lesson && a->lesson->path ? a->lesson->path : "dropscope";
    const char *base = strrchr(path, '/');
    char stem[128];
    snprintf(stem, sizeof stem, "%s", base ? base + 1 : path);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem)
        *dot = 0;
    long step = a->status.steps;
    struct stat st;
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(out, n, "%s-step%ld.%s", stem, step, ext);
        else
            snprintf(out, n, "%s-step%ld-%d.%s", stem, step, k, ext);
        if (stat(out, &st) != 0)
            return;
    }
}

void ui_share_save_lesson(ui_app *a)
{
    ui_cmd c = {.kind = UI_CMD_SAVE_LESSON, .n = a->example};
    fresh_name(a, "lesson", c.path, sizeof c.path);
    int d = ui_dropout_index(a);
    if (d >= 0)
        snprintf(c.layer, sizeof c.layer, "%s", a->graph.layers[d].name);
    ui_worker_push(a->worker, &c);
    char msg[640];
    snprintf(msg, sizeof msg, "Saving the state as a lesson: %s", c.path);
    say(a, msg);
}

static void finish(ui_app *a)
{
    struct ui_recording *r = a->rec;
    char err[600], msg[700];
    if (r->frames == 0) {
        ds_gif_abort(r->gif);
        say(a, "Recording stopped: no step recorded, no clip written");
    } else if (ds_gif_close(r->gif, err, sizeof err) < 0) {
        snprintf(msg, sizeof msg, "Clip not written: %s", err);
        say(a, msg);
    } else {
        snprintf(msg, sizeof msg, "Clip saved: %s (%d steps, one frame each)", r->path, r->frames);
        say(a, msg);
    }
    free(r->pixels);
    free(r);
    a->rec = NULL;
}

void ui_share_record(ui_app *a)
{
    if (a->rec) {
        finish(a);
        return;
    }
    struct ui_recording *r = calloc(1, sizeof *r);
    Uint32 *px = r ? malloc((size_t)a->w * (size_t)a->h * 4) : NULL;
    if (!px) {
        free(r);
        say(a, "Cannot record: out of memory");
        return;
    }
    r->pixels = px;
    r->w = a->w;
    r->h = a->h;
    r->want = UI_CLIP_STEPS;
    r->seen = a->status.published;
    fresh_name(a, "gif", r->path, sizeof r->path);
    uint32_t pal[UI_PALETTE_MAX];
    int n = ui_palette_from_theme(&a->theme, pal);
    char err[600], msg[700];
    r->gif = ds_gif_open(r->path, r->w, r->h, pal, n, 20, err, sizeof err);
    if (!r->gif) {
        snprintf(msg, sizeof msg, "Cannot record: %s", err);
        say(a, msg);
        free(px);
        free(r);
        return;
    }
    a->rec = r;
    a->playing = false;   /* the clip steps itself, one step per frame */
    ui_worker_set_playing(a->worker, false);
    a->history_back = 0;
    snprintf(msg, sizeof msg, "Recording the next %d steps into %s (M: stop)", r->want, r->path);
    say(a, msg);
}

void ui_share_frame(ui_app *a)
{
    struct ui_recording *r = a->rec;
    if (!r)
        return;
    if (a->w != r->w || a->h != r->h) {
        finish(a);   /* the clip keeps one size */
        return;
    }
    if (a->status.published != r->seen && a->history_back == 0 && a->status.pending == 0) {
        char err[600];
        if (SDL_RenderReadPixels(a->ren, NULL, SDL_PIXELFORMAT_ARGB8888, r->pixels, r->w * 4) != 0 ||
            ds_gif_add_frame(r->gif, r->pixels, r->w * 4, err, sizeof err) < 0) {
            r->frames = 0;
            finish(a);
            return;
        }
        r->frames++;
        r->seen = a->status.published;
        r->waiting = false;
    }
    if (r->frames >= r->want) {
        finish(a);
        return;
    }
    if (!r->waiting) {
        ui_cmd c = {.kind = UI_CMD_STEP, .n = 1};
        ui_worker_push(a->worker, &c);
        r->waiting = true;
    }
}

void ui_share_forget(ui_app *a)
{
    if (a->rec)
        finish(a);
}
