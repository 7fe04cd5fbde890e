/* dropscope open: the window. init -> create -> loop -> destroy, one exit path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "ui/app.h"
#include "ui/launch.h"
#include "ui/ui.h"

static int usage(void)
{
    fprintf(stderr, "usage: dropscope open [LESSON] [--presenter] [--seed N] [--speed STEPS_PER_S]\n");
    return 2;
}

static void no_display(const char *why)
{
    fprintf(stderr,
            "dropscope: no display available (%s).\n"
            "  Render the window to a PNG instead:  dropscope shot LESSON --steps 50 --out window.png\n"
            "  Or train without a window:           dropscope train LESSON --steps 200\n",
            why);
}

/* A frame that says what is loading: reading Fashion-MNIST takes a moment. */
static void loading_frame(SDL_Renderer *ren, const char *path)
{
    char err[256];
    ui_text *t = ui_text_create(ren, err, sizeof err);
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
    }
    SDL_RenderPresent(ren);
    ui_text_destroy(t);
}

/* A number option's value; one line naming the option and its range. */
static bool number(const char *o, const char *v, long lo, long hi, const char *unit,
                   const char *note, long *out)
{
    if (ui_parse_long(v, lo, hi, out))
        return true;
    fprintf(stderr, "dropscope open: %s needs a whole number%s in %ld..%ld%s, got '%s'\n", o, unit,
            lo, hi, note, v ? v : "nothing");
    return false;
}

int ui_cmd_open(int argc, char **argv)
{
    const char *arg = NULL;
    ui_app_options opt = {.example = 0, .speed = 5};
    long seed = -1, speed = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--presenter")) {
            opt.presenter = true;
        } else if (!strcmp(a, "--seed")) {
            if (!number(a, v, 0, 2147483647, "", "", &seed))
                return 2;
            i++;
        } else if (!strcmp(a, "--speed")) {
            /* the window's fastest offered speed is 100; 0 is "as fast as possible" */
            if (!number(a, v, 0, 100, " of steps per second", " (0: as fast as possible)", &speed))
                return 2;
            opt.speed = (double)speed;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "dropscope open: unknown option '%s'\n", a);
            return usage();
        } else if (!arg) {
            arg = a;
        } else {
            fprintf(stderr, "dropscope open: one lesson at a time ('%s' and '%s')\n", arg, a);
            return 2;
        }
    }
    char path[4096], err[1024];
    if (ui_resolve_lesson(arg, path, sizeof path, err, sizeof err) < 0) {
        fprintf(stderr, "dropscope: %s\n", err);
        return 2;
    }

    int rc = 1;
    SDL_Window *win = NULL;
    SDL_Renderer *ren = NULL;
    ui_worker *worker = NULL;
    ui_app *app = NULL;
    bool ttf = false, sdl = false;
    const char *quit_after_s = getenv("DROPSCOPE_QUIT_AFTER_FRAMES");
    long quit_after = quit_after_s ? strtol(quit_after_s, NULL, 10) : 0;

    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY"), *drv_env = getenv("SDL_VIDEODRIVER");
    if ((!x || !*x) && (!wl || !*wl) && (!drv_env || !*drv_env)) {
        /* Probing for a display here only prints SDL's own noise. */
        no_display("neither DISPLAY nor WAYLAND_DISPLAY is set");
        rc = 2;
        goto out;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        no_display(SDL_GetError());
        rc = 2;
        goto out;
    }
    sdl = true;
    const char *drv = SDL_GetCurrentVideoDriver();
    if (drv && (!strcmp(drv, "dummy") || !strcmp(drv, "offscreen")) &&
        !getenv("DROPSCOPE_ALLOW_HEADLESS")) {
        char why[128];
        snprintf(why, sizeof why, "SDL video driver '%s' shows nothing", drv);
        no_display(why);
        rc = 2;
        goto out;
    }
    if (TTF_Init() != 0) {
        fprintf(stderr, "dropscope: SDL_ttf: %s\n", TTF_GetError());
        goto out;
    }
    ttf = true;
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    int ww = 1280, wh = 800, wx = SDL_WINDOWPOS_CENTERED, wy = SDL_WINDOWPOS_CENTERED;
    SDL_DisplayMode dm;
    if (opt.presenter) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        /* Created at the display's size too, so it fills the screen even where no
         * window manager honours the fullscreen request. */
        if (SDL_GetDesktopDisplayMode(0, &dm) == 0) {
            ww = dm.w;
            wh = dm.h;
            wx = wy = 0;
        }
    }
    win = SDL_CreateWindow("dropscope", wx, wy, ww, wh, flags);
    if (!win) {
        no_display(SDL_GetError());
        rc = 2;
        goto out;
    }
    SDL_SetWindowMinimumSize(win, 800, 560);
    ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!ren)
        ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!ren) {
        fprintf(stderr, "dropscope: no renderer: %s\n", SDL_GetError());
        goto out;
    }
    SDL_RendererInfo info;
    bool vsync = SDL_GetRendererInfo(ren, &info) == 0 && (info.flags & SDL_RENDERER_PRESENTVSYNC);
    loading_frame(ren, path);

    const ls_lesson *lesson = NULL;
    worker = ui_launch(path, seed >= 0, (uint64_t)seed, &lesson, err, sizeof err);
    if (!worker) {
        fprintf(stderr, "dropscope: %s\n", err);
        rc = 2;
        goto out;
    }
    opt.lesson_path = path;
    app = ui_app_create(win, ren, worker, lesson, &opt, err, sizeof err);
    if (!app) {
        fprintf(stderr, "dropscope: %s\n", err);
        goto out;
    }
    ui_app_enter_step(app, 0);

    long frames = 0;
    Uint32 last_draw = 0;
    while (!app->quit) {
        Uint64 t0 = SDL_GetPerformanceCounter();
        SDL_Event e;
        bool events = false;
        while (SDL_PollEvent(&e)) {
            ui_app_event(app, &e);
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
        SDL_RenderPresent(ren);
        last_draw = SDL_GetTicks();
        if (quit_after > 0 && ++frames >= quit_after)
            break;
        double ms = (double)(SDL_GetPerformanceCounter() - t0) * 1000.0 /
                    (double)SDL_GetPerformanceFrequency();
        app->frame_ms = ms;
        if (!vsync && ms < 16.0)
            SDL_Delay((Uint32)(16.0 - ms));
    }
    rc = 0;
out:
    ui_app_destroy(app);
    ui_worker_stop(worker);
    if (ren)
        SDL_DestroyRenderer(ren);
    if (win)
        SDL_DestroyWindow(win);
    if (ttf)
        TTF_Quit();
    if (sdl)
        SDL_Quit();
    return rc;
}
