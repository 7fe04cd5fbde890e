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

static int usage(void)
{
    fprintf(stderr, "usage: dropscope shot LESSON --steps N --out FILE.png [--size WxH] "
                    "[--example K] [--presenter] [--inference] [--seed N]\n");
    return 2;
}

int ui_cmd_shot(int argc, char **argv)
{
    const char *arg = NULL, *out = NULL;
    long steps = 0, seed = -1;
    int w = 1280, h = 800;
    bool example_given = false;
    ui_app_options opt = {.example = 0, .speed = 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--steps") && has) {
            char *end;
            steps = strtol(argv[++i], &end, 10);
            if (*end || steps < 0)
                return usage();
        } else if (!strcmp(a, "--out") && has) {
            out = argv[++i];
        } else if (!strcmp(a, "--size") && has) {
            if (sscanf(argv[++i], "%dx%d", &w, &h) != 2 || w < 320 || h < 240 || w > 8192 || h > 8192) {
                fprintf(stderr, "dropscope shot: --size wants WxH, e.g. 1280x800 (320x240 to 8192x8192)\n");
                return 2;
            }
        } else if (!strcmp(a, "--example") && has) {
            opt.example = atoi(argv[++i]);
            example_given = true;
        } else if (!strcmp(a, "--seed") && has) {
            seed = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--presenter")) {
            opt.presenter = true;
        } else if (!strcmp(a, "--inference")) {
            opt.inference = true;
        } else if (a[0] == '-' && a[1]) {
            return usage();
        } else if (!arg) {
            arg = a;
        } else {
            return usage();
        }
    }
    if (!out)
        return usage();
    char path[4096], err[1024];
    if (ui_resolve_lesson(arg, path, sizeof path, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope: %s\n", err);
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
    worker = ui_launch(path, seed, &lesson, err, sizeof err);
    if (!worker) {
        fprintf(stderr, "dropscope: %s\n", err);
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
        app->example = opt.example;
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
        fprintf(stderr, "dropscope: %s\n", err);
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
