/* Frame time of the window while training runs at full speed (1280x800, software
 * renderer into a surface, as `dropscope shot` draws), and training speed with the
 * window open vs headless.
 *
 *   bench_frame [LESSON] [--seconds S] [--size WxH]
 *
 * Headless: the worker trains as fast as it can for S seconds, nothing draws.
 * Window: the same, while this thread draws frames paced at 60 Hz like a display
 * would (update + draw timed per frame; the wait for the next tick is not).
 * Targets: 95th percentile frame time under 16.7 ms; training with the window at least
 * 90% of headless. */
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

/* Steps per second of the worker over `seconds`, drawing frames if app is given.
 * *cpu_per_step receives the worker thread's CPU milliseconds per step. */
static double run(ui_worker *w, ui_app *app, SDL_Renderer *ren, double seconds, double *frames,
                  double *cpu, int *n_frames, int cap, double *cpu_per_step)
{
    ui_worker_wait_idle(w);
    long s0 = ui_worker_get_status(w).steps;
    double wc0 = ui_worker_cpu_seconds(w);
    double t0 = now_ms(), next = t0;
    ui_worker_set_playing(w, true);
    int n = 0;
    while (now_ms() - t0 < seconds * 1000) {
        if (app) {
            double f0 = now_ms(), c0 = cpu_ms();
            ui_app_update(app);
            ui_app_draw(app);
            SDL_RenderPresent(ren);
            double f1 = now_ms();
            if (n < cap) {
                cpu[n] = cpu_ms() - c0;
                frames[n++] = f1 - f0;
            }
            next += 1000.0 / 60.0;
            if (next < f1)
                next = f1;
            SDL_Delay((Uint32)(next - f1));
        } else {
            SDL_Delay(20);
        }
    }
    ui_worker_set_playing(w, false);
    double t1 = now_ms();
    ui_worker_wait_idle(w);
    long s1 = ui_worker_get_status(w).steps;
    double wc1 = ui_worker_cpu_seconds(w);
    if (cpu_per_step)
        *cpu_per_step = s1 > s0 && wc0 >= 0 ? (wc1 - wc0) * 1e3 / (double)(s1 - s0) : 0;
    if (n_frames)
        *n_frames = n;
    return (double)(s1 - s0) / ((t1 - t0) / 1000.0);
}

int main(int argc, char **argv)
{
    const char *arg = NULL;
    double seconds = 8;
    int W = 1280, H = 800;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            sscanf(argv[++i], "%dx%d", &W, &H);
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

    double cps_headless = 0, cps_window = 0;
    double headless = run(w, NULL, NULL, seconds, NULL, NULL, NULL, 0, &cps_headless);

    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
    ui_app_options opt = {.example = 0, .speed = 0};
    ui_app *app = ren ? ui_app_create(NULL, ren, w, lesson, &opt, err, sizeof err) : NULL;
    if (!app) {
        fprintf(stderr, "bench_frame: %s\n", ren ? err : SDL_GetError());
        return 1;
    }
    int cap = (int)(seconds * 70) + 16, n = 0;
    double *frames = malloc((size_t)cap * sizeof *frames);
    double *cpu = malloc((size_t)cap * sizeof *cpu);
    double windowed = run(w, app, ren, seconds, frames, cpu, &n, cap, &cps_window);
    /* The whole-batch view does the most per-frame work: measure it too. */
    app->example = -1;
    int nb = 0;
    double *frames_b = malloc((size_t)cap * sizeof *frames_b);
    double *cpu_b = malloc((size_t)cap * sizeof *cpu_b);
    run(w, app, ren, seconds / 2, frames_b, cpu_b, &nb, cap, NULL);

    qsort(frames, (size_t)n, sizeof *frames, cmp_double);
    qsort(frames_b, (size_t)nb, sizeof *frames_b, cmp_double);
    qsort(cpu, (size_t)n, sizeof *cpu, cmp_double);
    qsort(cpu_b, (size_t)nb, sizeof *cpu_b, cmp_double);
    double loadavg = 0;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &loadavg) != 1)
            loadavg = 0;
        fclose(la);
    }
    double med = frames[n / 2], p95 = frames[(int)(n * 0.95)], mx = frames[n - 1];
    double medb = frames_b[nb / 2], p95b = frames_b[(int)(nb * 0.95)];
    double ratio = headless > 0 ? windowed / headless : 0;
    printf("lesson: %s\n", path);
    printf("frame time %dx%d, software renderer, training at full speed (%d frames):\n", W, H, n);
    printf("  one example:  median %.2f ms, p95 %.2f ms, max %.2f ms\n", med, p95, mx);
    printf("  whole batch:  median %.2f ms, p95 %.2f ms (%d frames)\n", medb, p95b, nb);
    printf("  CPU time of the drawing thread: one example median %.2f p95 %.2f ms, whole batch "
           "median %.2f p95 %.2f ms\n",
           cpu[n / 2], cpu[(int)(n * 0.95)], cpu_b[nb / 2], cpu_b[(int)(nb * 0.95)]);
    printf("  machine load average during the run: %.2f on %ld cores\n", loadavg,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("training: headless %.1f steps/s, with the window %.1f steps/s (%.1f%%)\n", headless,
           windowed, 100 * ratio);
    printf("  worker CPU per step: headless %.2f ms, with the window %.2f ms (%.1f%% speed at "
           "equal CPU: what an idle 2-core machine gives)\n",
           cps_headless, cps_window, cps_window > 0 ? 100 * cps_headless / cps_window : 0.0);
    bool ok = p95 < 16.7 && p95b < 16.7 && ratio >= 0.90;
    printf("targets (p95 < 16.7 ms, window >= 90%% of headless): %s\n", ok ? "met" : "NOT met");
    free(frames);
    free(frames_b);
    free(cpu);
    free(cpu_b);
    ui_app_destroy(app);
    ui_worker_stop(w);
    SDL_DestroyRenderer(ren);
    SDL_FreeSurface(surf);
    TTF_Quit();
    return 0;
}
