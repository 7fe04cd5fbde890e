/* dropscope shot: the window rendered without a display, into a surface with the
 * software renderer, saved as PNG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "ui/app.h"
#include "ui/launch.h"

#define SHOT_HELP "LESSON --steps N --out FILE.png [--size WxH] " \
                  "[--example K|all] [--presenter] [--inference] [--seed N]"

/* The largest batch a session takes (train's --batch). */
#define SHOT_MAX_BATCH 4096

typedef struct {
    const char *lesson, *out;
    long steps;
    bool seed_set;
    uint64_t seed;
    bool example_given;
    long example;           /* -1: the whole batch */
    int w, h;
    bool inference;         /* train, then one inference forward (no mask) */
    ui_app_options app;
} shot_args;

/* 0: go on; 2: a one-line message (and maybe the usage) was printed. */
static int parse_args(int argc, char **argv, shot_args *a)
{
    *a = (shot_args){.w = 1280, .h = 800, .app = {.example = 0, .speed = 0}};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--steps")) {
            if (!cli_arg_long("shot", o, v, 0, 100000000, NULL, NULL, &a->steps))
                return 2;
            i++;
        } else if (!strcmp(o, "--seed")) {
            if (!cli_arg_seed("shot", o, v, &a->seed))
                return 2;
            a->seed_set = true;
            i++;
        } else if (!strcmp(o, "--example")) {
            if (v && !strcmp(v, "all")) {
                a->example = -1;
            } else if (!cli_parse_long(v, 0, SHOT_MAX_BATCH - 1, &a->example)) {
                fprintf(stderr, "dropscope shot: --example needs an example of the batch, a whole "
                                "number in 0..%d (or 'all'), got '%s'\n",
                        SHOT_MAX_BATCH - 1, v ? v : "nothing");
                return 2;
            }
            a->example_given = true;
            i++;
        } else if (!strcmp(o, "--size")) {
            if (!cli_parse_size(v, 320, 240, 8192, &a->w, &a->h)) {
                fprintf(stderr, "dropscope shot: --size wants WxH, e.g. 1280x800 (320x240 to "
                                "8192x8192), got '%s'\n", v ? v : "nothing");
                return 2;
            }
            i++;
        } else if (!strcmp(o, "--out")) {
            if (!cli_arg_text("shot", o, v, "a file name"))
                return 2;
            a->out = v;
            i++;
        } else if (!strcmp(o, "--presenter")) {
            a->app.presenter = true;
        } else if (!strcmp(o, "--inference")) {
            a->inference = true;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "dropscope shot: unknown option '%s'\n", o);
            return cli_usage("shot", SHOT_HELP);
        } else if (!a->lesson) {
            a->lesson = o;
        } else {
            fprintf(stderr, "dropscope shot: one lesson at a time ('%s' and '%s')\n", a->lesson, o);
            return 2;
        }
    }
    if (!a->out) {
        fprintf(stderr, "dropscope shot: --out FILE.png is missing: where should the picture go?\n");
        return cli_usage("shot", SHOT_HELP);
    }
    return 0;
}

/* Brings the app to the picture asked for: the lesson's first step (its actions and
 * checks, as the window shows on open), paused, then a->steps steps and, for
 * --inference, one inference forward. Returns the worker's status after it is idle. */
static ui_worker_status run_to_picture(ui_app *app, ui_worker *worker, const shot_args *a)
{
    ui_worker_set_speed(worker, 0);
    ui_app_enter_step(app, 0);
    app->playing = false;   /* a picture is of a paused window */
    ui_worker_set_playing(worker, false);
    if (a->example_given)
        app->example = (int)a->example;
    if (a->steps > 0) {
        ui_cmd c = {.kind = UI_CMD_STEP, .n = a->steps};
        ui_worker_push(worker, &c);
    }
    if (a->inference) {
        /* Train first, then one inference forward: the grid then shows no mask. (A mode
         * change takes effect at the next step boundary, so wait for the training.) */
        ui_worker_wait_idle(worker);
        ui_cmd m = {.kind = UI_CMD_MODE, .flag = false};
        ui_worker_push(worker, &m);
        ui_cmd s = {.kind = UI_CMD_STEP, .n = 1};
        ui_worker_push(worker, &s);
    }
    ui_worker_wait_idle(worker);
    return ui_worker_get_status(worker);
}

int ds_cmd_shot(int argc, char **argv)
{
    shot_args a;
    if (parse_args(argc, argv, &a))
        return 2;
    char path[4096], err[1024];
    if (cli_resolve_lesson(a.lesson, path, sizeof path))
        return 2;
    /* Said now, not after minutes of loading and training. */
    if (ui_png_writable(a.out, err, sizeof err) < 0) {
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
    surf = SDL_CreateRGBSurfaceWithFormat(0, a.w, a.h, 32, SDL_PIXELFORMAT_ARGB8888);
    ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
    if (!ren) {
        fprintf(stderr, "dropscope: software renderer: %s\n", SDL_GetError());
        goto done;
    }
    const ls_lesson *lesson = NULL;
    worker = cli_launch(path, a.seed_set, a.seed, &lesson);
    if (!worker) {
        rc = 2;
        goto done;
    }
    /* The session's batch (src/session/session.c: the lesson's, 20 by default). */
    int batch = lesson && lesson->fit.batch > 0 ? lesson->fit.batch : 20;
    if (a.example_given && a.example >= batch) {
        fprintf(stderr, "dropscope shot: --example %ld is beyond the batch: the batch has %d "
                        "examples, 0..%d\n", a.example, batch, batch - 1);
        rc = 2;
        goto done;
    }
    a.app.lesson_path = path;
    app = ui_app_create(NULL, ren, worker, lesson, &a.app, err, sizeof err);
    if (!app) {
        fprintf(stderr, "dropscope: %s\n", err);
        goto done;
    }
    ui_worker_status st = run_to_picture(app, worker, &a);
    if (st.error[0])
        fprintf(stderr, "dropscope: %s\n", st.error);
    ui_app_update(app);
    ui_app_draw(app);   /* twice: the first frame measures the lesson text */
    ui_app_draw(app);
    SDL_RenderPresent(ren);
    if (ui_save_png(surf, a.out, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope shot: %s\n", err);
        rc = 2;
        goto done;
    }
    printf("%s: %dx%d, step %ld\n", a.out, a.w, a.h, app->cur ? app->cur->step : 0L);
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
