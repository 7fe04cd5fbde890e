/* The window drawn into a surface, shared by shot and film. */
#include "cli/render.h"

#include <stdio.h>
#include <string.h>

#include <SDL_ttf.h>

#include "cli/common.h"

int cli_render_open(cli_render *r, const char *cmd, const cli_render_opts *o)
{
    memset(r, 0, sizeof *r);
    char err[1024];
    /* No window at all: the software renderer draws into a surface. */
    SDL_SetHint(SDL_HINT_VIDEODRIVER, "dummy");
    if (TTF_Init() != 0) {
        fprintf(stderr, "dropscope: SDL_ttf: %s\n", TTF_GetError());
        return 1;
    }
    r->ttf = true;
    r->surf = SDL_CreateRGBSurfaceWithFormat(0, o->w, o->h, 32, SDL_PIXELFORMAT_ARGB8888);
    r->ren = r->surf ? SDL_CreateSoftwareRenderer(r->surf) : NULL;
    if (!r->ren) {
        fprintf(stderr, "dropscope: software renderer: %s\n", SDL_GetError());
        return 1;
    }
    r->worker = cli_launch(o->path, o->seed_set, o->seed, &r->lesson);
    if (!r->worker)
        return 2;
    /* The session's batch (src/session/session.c: the lesson's, 20 by default). */
    int batch = r->lesson && r->lesson->fit.batch > 0 ? r->lesson->fit.batch : 20;
    if (o->example_given && o->example >= batch) {
        fprintf(stderr, "dropscope %s: --example %ld is beyond the batch: the batch has %d "
                        "examples, 0..%d\n", cmd, o->example, batch, batch - 1);
        return 2;
    }
    ui_app_options ao = o->app;
    ao.lesson_path = o->path;
    r->app = ui_app_create(NULL, r->ren, r->worker, r->lesson, &ao, err, sizeof err);
    if (!r->app) {
        fprintf(stderr, "dropscope: %s\n", err);
        return 1;
    }
    ui_worker_set_speed(r->worker, 0);
    ui_app_enter_step(r->app, 0);
    r->app->playing = false;   /* a picture is of a paused window */
    ui_worker_set_playing(r->worker, false);
    if (o->example_given)
        r->app->example = (int)o->example;
    return 0;
}

ui_worker_status cli_render_steps(cli_render *r, long n)
{
    if (n > 0) {
        ui_cmd c = {.kind = UI_CMD_STEP, .n = n};
        ui_worker_push(r->worker, &c);
    }
    ui_worker_wait_idle(r->worker);
    return ui_worker_get_status(r->worker);
}

void cli_render_draw(cli_render *r)
{
    ui_app_update(r->app);
    /* The rate is wall-clock time, which a picture of a paused window would not show
     * after two seconds either (ui/worker.c); left at 0 the same lesson, seed and size
     * give the same pixels every time, so a frame of film equals shot at its step. */
    r->app->status.steps_per_sec = 0;
    ui_app_draw(r->app);   /* twice: the first frame measures the lesson text */
    ui_app_draw(r->app);
    SDL_RenderPresent(r->ren);
}

void cli_render_close(cli_render *r)
{
    ui_app_destroy(r->app);
    ui_worker_stop(r->worker);
    if (r->ren)
        SDL_DestroyRenderer(r->ren);
    SDL_FreeSurface(r->surf);
    if (r->ttf)
        TTF_Quit();
    memset(r, 0, sizeof *r);
}
