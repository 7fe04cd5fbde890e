/* dropscope open: the window. init -> create -> loop -> destroy, one exit path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "ui/app.h"
#include "ui/course.h"
#include "ui/launch.h"
#include "session/paths.h"

#define OPEN_HELP "[LESSON] [--presenter] [--seed N] [--speed STEPS_PER_S]"

static void no_display(const char *why)
{
    fprintf(stderr,
            "dropscope: no display available (%s).\n"
            "  Render the window to a PNG instead:  dropscope shot LESSON --steps 50 --out window.png\n"
            "  Or train without a window:           dropscope train LESSON --steps 200\n",
            why);
}

/* A frame that says what is loading (reading Fashion-MNIST and a base's weights takes
 * seconds), and for how long so far: the window is alive. t may be NULL. */
static void loading_frame(SDL_Renderer *ren, ui_text *t, const char *path, double secs)
{
    ui_theme th;
    int w, h;
    SDL_GetRendererOutputSize(ren, &w, &h);
    ui_theme_make(&th, false, h);
    SDL_SetRenderDrawColor(ren, th.bg.r, th.bg.g, th.bg.b, 255);
    SDL_RenderClear(ren);
    if (t) {
        char msg[4200];
        snprintf(msg, sizeof msg, "Loading %s ...", path);
        ui_text_draw(t, UI_FONT_SANS, th.font_title, th.text, msg, w / 2, h / 2,
                     UI_ALIGN_CENTER | UI_ALIGN_MIDDLE, 0);
        snprintf(msg, sizeof msg, "reading the data, building the model, loading weights: %.0f s",
                 secs);
        ui_text_draw(t, UI_FONT_SANS, th.font_normal, th.text_dim, msg, w / 2,
                     h / 2 + 2 * th.font_title, UI_ALIGN_CENTER | UI_ALIGN_MIDDLE, 0);
        ui_text_end_frame(t);
    }
    SDL_RenderPresent(ren);
}

/* Loads the lesson on a thread while the window says so and answers its events: the
 * first frame is drawn before any heavy work. NULL with the reason in err. */
static ui_worker *launch_showing(SDL_Renderer *ren, const char *path, bool seed_set,
                                 uint64_t seed, const ls_lesson **lesson, bool *quit,
                                 char *err, size_t errlen)
{
    ui_launch_job *j = ui_launch_start(path, seed_set, seed);
    if (!j)
        return ui_launch(path, seed_set, seed, lesson, err, errlen);
    ui_text *t = ui_text_create(ren, err, errlen);
    Uint32 t0 = SDL_GetTicks();
    while (!ui_launch_done(j)) {
        SDL_Event e;
        while (SDL_PollEvent(&e))
            *quit |= e.type == SDL_QUIT;
        loading_frame(ren, t, path, (SDL_GetTicks() - t0) / 1000.0);
        SDL_Delay(50);
    }
    ui_text_destroy(t);
    return ui_launch_finish(j, lesson, err, errlen);
}

typedef struct {
    const char *lesson;     /* as given; NULL: the default lesson */
    bool seed_set;
    uint64_t seed;
    ui_app_options app;
} open_args;

/* 0: go on; 2: a one-line message was printed. */
static int parse_args(int argc, char **argv, open_args *a)
{
    *a = (open_args){.app = {.example = 0, .speed = 5}};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--presenter")) {
            a->app.presenter = true;
        } else if (!strcmp(o, "--seed")) {
            if (!cli_arg_seed("open", o, v, &a->seed))
                return 2;
            a->seed_set = true;
            i++;
        } else if (!strcmp(o, "--speed")) {
            /* the window's fastest offered speed is 100; 0 is "as fast as possible" */
            long speed;
            if (!cli_arg_long("open", o, v, 0, 100, " of steps per second",
                              " (0: as fast as possible)", &speed))
                return 2;
            a->app.speed = (double)speed;
            i++;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "dropscope open: unknown option '%s'\n", o);
            return cli_usage("open", OPEN_HELP);
        } else if (!a->lesson) {
            a->lesson = o;
        } else {
            fprintf(stderr, "dropscope open: one lesson at a time ('%s' and '%s')\n", a->lesson, o);
            return 2;
        }
    }
    return 0;
}

/* SDL, SDL_ttf, the window and its renderer, each released by window_close. */
typedef struct {
    bool sdl, ttf, vsync;
    SDL_Window *win;
    SDL_Renderer *ren;
} open_window;

/* Opens the window (fullscreen for a presenter). 0, or the exit status after printing
 * why: 2 when there is no display to show it on, 1 otherwise. */
static int window_open(open_window *w, bool presenter)
{
    *w = (open_window){0};
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY"), *drv_env = getenv("SDL_VIDEODRIVER");
    if ((!x || !*x) && (!wl || !*wl) && (!drv_env || !*drv_env)) {
        /* Probing for a display here only prints SDL's own noise. */
        no_display("neither DISPLAY nor WAYLAND_DISPLAY is set");
        return 2;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        no_display(SDL_GetError());
        return 2;
    }
    w->sdl = true;
    const char *drv = SDL_GetCurrentVideoDriver();
    if (drv && (!strcmp(drv, "dummy") || !strcmp(drv, "offscreen")) &&
        !getenv("DROPSCOPE_ALLOW_HEADLESS")) {
        char why[128];
        snprintf(why, sizeof why, "SDL video driver '%s' shows nothing", drv);
        no_display(why);
        return 2;
    }
    if (TTF_Init() != 0) {
        fprintf(stderr, "dropscope: SDL_ttf: %s\n", TTF_GetError());
        return 1;
    }
    w->ttf = true;
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    int ww = 1280, wh = 800, wx = SDL_WINDOWPOS_CENTERED, wy = SDL_WINDOWPOS_CENTERED;
    SDL_DisplayMode dm;
    if (presenter) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        /* Created at the display's size too, so it fills the screen even where no
         * window manager honours the fullscreen request. */
        if (SDL_GetDesktopDisplayMode(0, &dm) == 0) {
            ww = dm.w;
            wh = dm.h;
            wx = wy = 0;
        }
    }
    w->win = SDL_CreateWindow("dropscope", wx, wy, ww, wh, flags);
    if (!w->win) {
        no_display(SDL_GetError());
        return 2;
    }
    SDL_SetWindowMinimumSize(w->win, 800, 560);
    w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!w->ren)
        w->ren = SDL_CreateRenderer(w->win, -1, SDL_RENDERER_SOFTWARE);
    if (!w->ren) {
        fprintf(stderr, "dropscope: no renderer: %s\n", SDL_GetError());
        return 1;
    }
    SDL_RendererInfo info;
    w->vsync = SDL_GetRendererInfo(w->ren, &info) == 0 && (info.flags & SDL_RENDERER_PRESENTVSYNC);
    return 0;
}

static void window_close(open_window *w)
{
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    if (w->ttf)
        TTF_Quit();
    if (w->sdl)
        SDL_Quit();
}

/* The frame loop, until the window is closed (or, for tests, after
 * DROPSCOPE_QUIT_AFTER_FRAMES frames). */
static void run_frames(ui_app *app, const open_window *w)
{
    const char *quit_after_s = getenv("DROPSCOPE_QUIT_AFTER_FRAMES");
    long quit_after = quit_after_s ? strtol(quit_after_s, NULL, 10) : 0;
    long frames = 0;
    Uint32 last_draw = 0;
    while (!app->quit && !app->open_request[0]) {
        Uint64 t0 = SDL_GetPerformanceCounter();
        SDL_Event e;
        bool events = false;
        while (SDL_PollEvent(&e)) {
            ui_app_event(app, &e);
            if (e.type == SDL_DROPFILE)
                SDL_free(e.drop.file);
            events = true;
        }
        bool changed = ui_app_update(app);
        /* Nothing new to show: wait for an event instead of redrawing the same frame
         * (the CPU goes to training). Redraw at least twice a second anyway. */
        if (!events && !changed && !SDL_TICKS_PASSED(SDL_GetTicks(), last_draw + 500) &&
            quit_after <= 0) {
            SDL_WaitEventTimeout(NULL, 15);
            continue;
        }
        ui_app_draw(app);
        SDL_RenderPresent(w->ren);
        last_draw = SDL_GetTicks();
        if (quit_after > 0 && ++frames >= quit_after)
            break;
        double ms = (double)(SDL_GetPerformanceCounter() - t0) * 1000.0 /
                    (double)SDL_GetPerformanceFrequency();
        app->frame_ms = ms;
        if (!w->vsync && ms < 16.0)
            SDL_Delay((Uint32)(16.0 - ms));
    }
}

int ds_cmd_open(int argc, char **argv)
{
    open_args a;
    if (parse_args(argc, argv, &a))
        return 2;
    char path[4096], err[1024];
    if (cli_resolve_lesson(a.lesson, path, sizeof path))
        return 2;
    open_window w;
    ui_worker *worker = NULL;
    ui_app *app = NULL;
    int rc = window_open(&w, a.app.presenter);
    if (rc)
        goto out;
    /* The course menu's answers outlive each lesson the window opens. */
    char dir[4200], prev[4096] = "", failed[1024] = "";
    snprintf(dir, sizeof dir, "%s/lessons", ls_data_dir());
    a.app.course = ui_course_create(dir);
    for (;;) {
        const ls_lesson *lesson = NULL;
        bool quit = false;
        worker = launch_showing(w.ren, path, a.seed_set, a.seed, &lesson, &quit, err, sizeof err);
        if (!worker && prev[0]) {   /* a lesson asked for from the window: back to the last */
            snprintf(failed, sizeof failed, "%s", err);
            snprintf(path, sizeof path, "%s", prev);
            worker = launch_showing(w.ren, path, a.seed_set, a.seed, &lesson, &quit, err, sizeof err);
        }
        if (!worker) {
            fprintf(stderr, "dropscope: %s\n", err);
            rc = 2;
            goto out;
        }
        a.app.lesson_path = path;
        app = ui_app_create(w.win, w.ren, worker, lesson, &a.app, err, sizeof err);
        if (!app) {
            fprintf(stderr, "dropscope: %s\n", err);
            rc = 1;
            goto out;
        }
        ui_app_enter_step(app, 0);
        app->quit = quit;   /* closed while loading */
        if (failed[0]) {
            snprintf(app->message, sizeof app->message, "%s", failed);
            app->message_until = SDL_GetTicks() + 8000;
            failed[0] = 0;
        }
        run_frames(app, &w);
        if (app->quit || !app->open_request[0])
            break;
        snprintf(prev, sizeof prev, "%s", path);
        snprintf(path, sizeof path, "%s", app->open_request);
        a.app.presenter = app->presenter;
        ui_app_destroy(app);
        ui_worker_stop(worker);
        app = NULL;
        worker = NULL;
    }
out:
    ui_app_destroy(app);
    ui_worker_stop(worker);
    ui_course_destroy(a.app.course);
    window_close(&w);
    return rc;
}
