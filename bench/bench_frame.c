/* Frame time of the window while training runs at full speed (1920x1080 in presenter
 * mode by default; software renderer into a surface, as `dropscope shot` draws), and
 * training speed with the window open vs headless.
 *
 *   bench_frame [LESSON] [--seconds S] [--size WxH] [--desk]
 *
 * Headless: the worker trains as fast as it can for S seconds, nothing draws.
 * Reference: the same, while this thread only clears and presents an empty frame at
 * 60 Hz: what any frame costs on this machine at this moment (the machine is shared:
 * its load is printed with the numbers).
 * Window: the same, drawing the app's frames at 60 Hz (update + draw + present timed
 * per frame, as CPU time of this thread and as wall time; the wait for the next tick
 * is not).
 * Targets: CPU time per frame p95 <= 8 ms, wall p95 <= 16.7 ms, training with the window
 * at least 90% of headless. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_ttf.h>

#include "ui/app.h"
#include "ui/launch.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef enum { DRAW_NONE, DRAW_CLEAR, DRAW_APP } draw_kind;

/* Frame times of one run: wall and CPU milliseconds, n of them (at most cap). */
typedef struct {
    double *wall, *cpu;
    int n, cap;
} frame_times;

static void one_frame(draw_kind k, ui_app *app, SDL_Renderer *ren)
{
    if (k == DRAW_APP) {
        ui_app_update(app);
        ui_app_draw(app);
    } else {
        SDL_SetRenderDrawColor(ren, 0, 0, 0, 255);
        SDL_RenderClear(ren);
    }
    SDL_RenderPresent(ren);
}

/* Steps per second of the worker over `seconds`, drawing frames of kind k at 60 Hz
 * (timed into ft). *cpu_per_step receives the worker thread's CPU ms per step. */
static double run(ui_worker *w, draw_kind k, ui_app *app, SDL_Renderer *ren, double seconds,
                  frame_times *ft, double *cpu_per_step)
{
    ui_worker_wait_idle(w);
    long s0 = ui_worker_get_status(w).steps;
    double wc0 = ui_worker_cpu_seconds(w);
    double t0 = now_ms(), next = t0;
    ui_worker_set_playing(w, true);
    if (ft)
        ft->n = 0;
    while (now_ms() - t0 < seconds * 1000) {
        if (k == DRAW_NONE) {
            SDL_Delay(20);
            continue;
        }
        double f0 = now_ms(), c0 = cpu_ms();
        one_frame(k, app, ren);
        double f1 = now_ms();
        if (ft && ft->n < ft->cap) {
            ft->cpu[ft->n] = cpu_ms() - c0;
            ft->wall[ft->n++] = f1 - f0;
        }
        next += 1000.0 / 60.0;
        if (next < f1)
            next = f1;
        SDL_Delay((Uint32)(next - f1));
    }
    ui_worker_set_playing(w, false);
    double t1 = now_ms();
    ui_worker_wait_idle(w);
    long s1 = ui_worker_get_status(w).steps;
    double wc1 = ui_worker_cpu_seconds(w);
    if (cpu_per_step)
        *cpu_per_step = s1 > s0 && wc0 >= 0 ? (wc1 - wc0) * 1e3 / (double)(s1 - s0) : 0;
    return (double)(s1 - s0) / ((t1 - t0) / 1000.0);
}

static double pct(double *v, int n, double p)
{
    if (n <= 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int i = (int)(n * p);
    return v[i < n ? i : n - 1];
}

static double loadavg1(void)
{
    double l = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = 0;
        fclose(f);
    }
    return l;
}

static bool frames_alloc(frame_times *ft, int cap)
{
    ft->cap = cap;
    ft->n = 0;
    ft->wall = malloc((size_t)cap * sizeof *ft->wall);
    ft->cpu = malloc((size_t)cap * sizeof *ft->cpu);
    return ft->wall && ft->cpu;
}

static void frames_print(const char *what, frame_times *ft)
{
    int n = ft->n;
    double c50 = pct(ft->cpu, n, 0.5), c95 = pct(ft->cpu, n, 0.95);
    double w50 = pct(ft->wall, n, 0.5), w95 = pct(ft->wall, n, 0.95), wmax = pct(ft->wall, n, 1.0);
    printf("  %-26s CPU p50 %6.2f p95 %6.2f ms | wall p50 %6.2f p95 %6.2f max %6.2f ms (%d frames)\n",
           what, c50, c95, w50, w95, wmax, n);
}

int main(int argc, char **argv)
{
    const char *arg = NULL;
    double seconds = 8;
    int W = 1920, H = 1080;
    bool presenter = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            sscanf(argv[++i], "%dx%d", &W, &H);
        else if (!strcmp(argv[i], "--desk"))
            presenter = false;
        else
            arg = argv[i];
    }
    char path[4096], err[1024];
    if (ui_resolve_lesson(arg, path, sizeof path, err, sizeof err) < 0 &&
        ui_resolve_lesson("tests/ui/ui.lesson", path, sizeof path, err, sizeof err) < 0) {
        fprintf(stderr, "bench_frame: %s\n", err);
        return 2;
    }
    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1);
    if (TTF_Init() != 0)
        return 1;
    const ls_lesson *lesson = NULL;
    ui_worker *w = ui_launch(path, false, 0, &lesson, err, sizeof err);
    if (!w) {
        fprintf(stderr, "bench_frame: %s\n", err);
        return 2;
    }
    ui_worker_set_speed(w, 0);
    /* Warm up (data caches, first allocations). */
    ui_cmd c = {.kind = UI_CMD_STEP, .n = 20};
    ui_worker_push(w, &c);
    ui_worker_wait_idle(w);

    double load0 = loadavg1();
    double cps_headless = 0, cps_window = 0, cps_ref = 0;
    double headless = run(w, DRAW_NONE, NULL, NULL, seconds, NULL, &cps_headless);

    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
    ui_app_options opt = {.example = 0, .speed = 0, .presenter = presenter};
    ui_app *app = ren ? ui_app_create(NULL, ren, w, lesson, &opt, err, sizeof err) : NULL;
    int cap = (int)(seconds * 70) + 16;
    frame_times ref, one, batch;
    if (!app || !frames_alloc(&ref, cap) || !frames_alloc(&one, cap) || !frames_alloc(&batch, cap)) {
        fprintf(stderr, "bench_frame: %s\n", app ? "out of memory" : ren ? err : SDL_GetError());
        return 1;
    }
    double reference = run(w, DRAW_CLEAR, NULL, ren, seconds / 2, &ref, &cps_ref);
    double windowed = run(w, DRAW_APP, app, ren, seconds, &one, &cps_window);
    /* The whole-batch view does the most per-frame work: measure it too. */
    app->example = -1;
    run(w, DRAW_APP, app, ren, seconds / 2, &batch, NULL);
    double load1 = loadavg1();

    double ratio = headless > 0 ? windowed / headless : 0;
    printf("lesson: %s\n", path);
    printf("frames at %dx%d%s, software renderer, training at full speed, 60 Hz:\n", W, H,
           presenter ? " presenter" : "");
    frames_print("reference (clear, present)", &ref);
    frames_print("app, one example", &one);
    frames_print("app, whole batch", &batch);
    double c95 = pct(one.cpu, one.n, 0.95), c95b = pct(batch.cpu, batch.n, 0.95);
    double w95 = pct(one.wall, one.n, 0.95), w95b = pct(batch.wall, batch.n, 0.95);
    double r95 = pct(ref.wall, ref.n, 0.95);
    printf("  app wall p95 over the reference's: %.1fx (one example), %.1fx (whole batch)\n",
           r95 > 0 ? w95 / r95 : 0.0, r95 > 0 ? w95b / r95 : 0.0);
    printf("  load average (1 min) %.2f before, %.2f after, on %ld cores\n", load0, load1,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("training: headless %.1f steps/s, with the reference frames %.1f, with the window %.1f "
           "steps/s (%.1f%% of headless)\n", headless, reference, windowed, 100 * ratio);
    printf("  worker CPU per step: headless %.2f ms, with the window %.2f ms (%.1f%% speed at "
           "equal CPU: what an idle 2-core machine gives)\n",
           cps_headless, cps_window, cps_window > 0 ? 100 * cps_headless / cps_window : 0.0);
    bool cpu_ok = c95 <= 8 && c95b <= 8, wall_ok = w95 <= 16.7 && w95b <= 16.7, train_ok = ratio >= 0.90;
    printf("targets: CPU p95 <= 8 ms %s, wall p95 <= 16.7 ms %s, training >= 90%% of headless %s\n",
           cpu_ok ? "met" : "NOT met", wall_ok ? "met" : "NOT met", train_ok ? "met" : "NOT met");
    free(ref.wall);
    free(ref.cpu);
    free(one.wall);
    free(one.cpu);
    free(batch.wall);
    free(batch.cpu);
    ui_app_destroy(app);
    ui_worker_stop(w);
    SDL_DestroyRenderer(ren);
    SDL_FreeSurface(surf);
    TTF_Quit();
    return 0;
}
