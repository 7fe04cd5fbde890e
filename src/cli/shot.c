/* dropscope shot: the window rendered without a display, into a surface with the
 * software renderer, saved as PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>

#include "ui/app.h"
#include "ui/launch.h"
#include "ui/ui.h"

#define SHOT_USAGE "usage: dropscope shot LESSON --steps N --out FILE.png [--size WxH] " \
                   "[--example K|all] [--presenter] [--inference] [--seed N]\n"

static int usage(void)
{
    fprintf(stderr, SHOT_USAGE);
    return 2;
}

/* A number option's value; one line naming the option and its range. */
static bool number(const char *o, const char *v, long lo, long hi, long *out)
{
    if (ui_parse_long(v, lo, hi, out))
        return true;
    fprintf(stderr, "dropscope shot: %s needs a whole number in %ld..%ld, got '%s'\n", o, lo, hi,
            v ? v : "nothing");
    return false;
}

/* "WxH" with both in range, nothing else. */
static bool parse_size(const char *v, int *w, int *h)
{
    char ws[16];
    const char *x = v ? strchr(v, 'x') : NULL;
    long lw, lh;
    if (!x || x - v >= (long)sizeof ws)
        return false;
    memcpy(ws, v, (size_t)(x - v));
    ws[x - v] = 0;
    if (!ui_parse_long(ws, 320, 8192, &lw) || !ui_parse_long(x + 1, 240, 8192, &lh))
        return false;
    *w = (int)lw;
    *h = (int)lh;
    return true;
}

/* The largest batch a session takes (train's --batch). */
#define SHOT_MAX_BATCH 4096

int ui_cmd_shot(int argc, char **argv)
{
    const char *arg = NULL, *out = NULL;
    long steps = 0, seed = -1, example = 0;
    int w = 1280, h = 800;
    bool example_given = false;
    ui_app_options opt = {.example = 0, .speed = 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--steps")) {
            if (!number(a, v, 0, 100000000, &steps))
                return 2;
            i++;
        } else if (!strcmp(a, "--seed")) {
            if (!number(a, v, 0, 2147483647, &seed))
                return 2;
            i++;
        } else if (!strcmp(a, "--example")) {
            if (v && !strcmp(v, "all")) {
                example = -1;   /* the whole batch */
            } else if (!ui_parse_long(v, 0, SHOT_MAX_BATCH - 1, &example)) {
                fprintf(stderr, "dropscope shot: --example needs an example of the batch, a whole "
                                "number in 0..%d (or 'all'), got '%s'\n",
                        SHOT_MAX_BATCH - 1, v ? v : "nothing");
                return 2;
            }
            example_given = true;
            i++;
        } else if (!strcmp(a, "--size")) {
            if (!parse_size(v, &w, &h)) {
                fprintf(stderr, "dropscope shot: --size wants WxH, e.g. 1280x800 (320x240 to "
                                "8192x8192), got '%s'\n", v ? v : "nothing");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--out")) {
            if (!v || !*v) {
                fprintf(stderr, "dropscope shot: --out needs a file name\n");
                return 2;
            }
            out = v;
            i++;
        } else if (!strcmp(a, "--presenter")) {
            opt.presenter = true;
        } else if (!strcmp(a, "--inference")) {
            opt.inference = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "dropscope shot: unknown option '%s'\n", a);
            return usage();
        } else if (!arg) {
            arg = a;
        } else {
            fprintf(stderr, "dropscope shot: one lesson at a time ('%s' and '%s')\n", arg, a);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "dropscope shot: --out FILE.png is missing: where should the picture go?\n");
        return usage();
    }
    char path[4096], err[1024];
    if (ui_resolve_lesson(arg, path, sizeof path, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope: %s\n", err);
        return 2;
    }
    /* Said now, not after minutes of loading and training. */
    if (ui_png_writable(out, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope shot: %s\n", err);
        return 2;
    }

    int rc = 1;
    SDL_Surface *surf = NULL;
    SDL_Renderer *ren = NULL;
    ui_worker *worker = NULL;
    ui_app *app = NULL;
    bool ttf = false;
    /* No window at all: the software renderer draws into a surface. */
    SDL_SetHint(SDL_HINT_VIDEODRIVER, "dummy");
    if (TTF_Init() != 0) {
        fprintf(stderr, "dropscope: SDL_ttf: %s\n", TTF_GetError());
        goto done;
    }
    ttf = true;
    surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
    if (!ren) {
        fprintf(stderr, "dropscope: software renderer: %s\n", SDL_GetError());
        goto done;
    }
    const ls_lesson *lesson = NULL;
    worker = ui_launch(path, seed >= 0, (uint64_t)seed, &lesson, err, sizeof err);
    if (!worker) {
        fprintf(stderr, "dropscope: %s\n", err);
        rc = 2;
        goto done;
    }
    /* The session's batch (src/lesson/session.c: the lesson's, 20 by default). */
    int batch = lesson && lesson->fit.batch > 0 ? lesson->fit.batch : 20;
    if (example_given && example >= batch) {
        fprintf(stderr, "dropscope shot: --example %ld is beyond the batch: the batch has %d "
                        "examples, 0..%d\n", example, batch, batch - 1);
        rc = 2;
        goto done;
    }
    opt.lesson_path = path;
    bool inference = opt.inference;
    opt.inference = false;
    app = ui_app_create(NULL, ren, worker, lesson, &opt, err, sizeof err);
    if (!app) {
        fprintf(stderr, "dropscope: %s\n", err);
        goto done;
    }
    ui_worker_set_speed(worker, 0);
    /* What the window shows on open: the lesson's first step (its actions and checks),
     * then the steps asked for. */
    ui_app_enter_step(app, 0);
    app->playing = false;   /* a picture is of a paused window */
    ui_worker_set_playing(worker, false);
    if (example_given)
        app->example = (int)example;
    if (steps > 0) {
        ui_cmd c = {.kind = UI_CMD_STEP, .n = steps};
        ui_worker_push(worker, &c);
    }
    if (inference) {
        /* Train first, then one inference forward: the grid then shows no mask. (A mode
         * change takes effect at the next step boundary, so wait for the training.) */
        ui_worker_wait_idle(worker);
        ui_cmd m = {.kind = UI_CMD_MODE, .flag = false};
        ui_worker_push(worker, &m);
        ui_cmd s = {.kind = UI_CMD_STEP, .n = 1};
        ui_worker_push(worker, &s);
    }
    ui_worker_wait_idle(worker);
    ui_worker_status st = ui_worker_get_status(worker);
    if (st.error[0])
        fprintf(stderr, "dropscope: %s\n", st.error);
    ui_app_update(app);
    ui_app_draw(app);   /* twice: the first frame measures the lesson text */
    ui_app_draw(app);
    SDL_RenderPresent(ren);
    if (ui_save_png(surf, out, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope shot: %s\n", err);
        rc = 2;
        goto done;
    }
    printf("%s: %dx%d, step %ld\n", out, w, h, app->cur ? app->cur->step : 0L);
    rc = st.error[0] ? 1 : 0;
done:
    ui_app_destroy(app);
    ui_worker_stop(worker);
    if (ren)
        SDL_DestroyRenderer(ren);
    SDL_FreeSurface(surf);
    if (ttf)
        TTF_Quit();
    return rc;
}
