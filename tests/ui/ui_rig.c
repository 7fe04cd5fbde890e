/* The window without a display, for the UI tests: see rig.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_rig.h"
#include "ui/launch.h"

void rig_surface(rig *r, int w, int h)
{
    r->surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(r->surf);
    r->ren = SDL_CreateSoftwareRenderer(r->surf);
    assert_non_null(r->ren);
}

void rig_app(rig *r, const ui_app_options *o)
{
    char err[256];
    ui_app_options d = {.example = 0, .speed = 0};
    r->a = ui_app_create(NULL, r->ren, r->w, r->lesson, o ? o : &d, err, sizeof err);
    if (!r->a)
        fail_msg("ui_app_create: %s", err);
    ui_worker_set_speed(r->w, 0);
}

void rig_real_lesson(rig *r, const char *path, int w, int h)
{
    memset(r, 0, sizeof *r);
    rig_surface(r, w, h);
    char err[1024];
    r->w = ui_launch(path, false, 0, &r->lesson, err, sizeof err);
    if (!r->w)
        fail_msg("ui_launch(%s): %s", path, err);
    rig_app(r, NULL);
}

/* With DS_UI_SHOTS=DIR, a test leaves the frame it checked there as NAME.png. */
void keep_frame(rig *r, const char *name)
{
    const char *dir = getenv("DS_UI_SHOTS");
    if (!dir || !*dir)
        return;
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    if (ui_save_png(r->surf, path, err, sizeof err) < 0)
        fail_msg("%s", err);
}

void rig_fake(rig *r, int w, int h, const fake_options *fo)
{
    memset(r, 0, sizeof *r);
    rig_surface(r, w, h);
    r->fake = fake_backend_create(fo);
    assert_non_null(r->fake);
    r->w = ui_worker_start(r->fake, 300);
    assert_non_null(r->w);
    rig_app(r, NULL);
}

void rig_free(rig *r)
{
    ui_app_destroy(r->a);
    ui_worker_stop(r->w);
    SDL_DestroyRenderer(r->ren);
    SDL_FreeSurface(r->surf);
}

void steps(rig *r, long n)
{
    ui_cmd c = {.kind = UI_CMD_STEP, .n = n};
    ui_worker_push(r->w, &c);
    ui_worker_wait_idle(r->w);
}

void frame(rig *r)
{
    ui_app_update(r->a);
    ui_app_draw(r->a);
    SDL_RenderPresent(r->ren);
}

SDL_Color px(SDL_Surface *s, int x, int y)
{
    assert_true(x >= 0 && y >= 0 && x < s->w && y < s->h);
    Uint32 v = ((Uint32 *)((Uint8 *)s->pixels + (size_t)y * s->pitch))[x];
    SDL_Color c;
    SDL_GetRGBA(v, s->format, &c.r, &c.g, &c.b, &c.a);
    return c;
}

bool same(SDL_Color a, SDL_Color b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

void key(rig *r, SDL_Keycode k, Uint16 mod)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = SDL_KEYDOWN;
    e.key.keysym.sym = k;
    e.key.keysym.mod = mod;
    ui_app_event(r->a, &e);
}

int layer_index(rig *r, const char *name)
{
    for (int i = 0; i < r->a->graph.n; i++)
        if (!strcmp(r->a->graph.layers[i].name, name))
            return i;
    fail_msg("no layer %s", name);
    return -1;
}

int hits_of(rig *r, ui_action_id act, int arg, SDL_Rect *where)
{
    int n = 0;
    for (int i = 0; i < r->a->layout.n_hits; i++)
        if (r->a->layout.hits[i].act == act && (arg < 0 || r->a->layout.hits[i].arg == arg)) {
            if (where)
                *where = r->a->layout.hits[i].rect;
            n++;
        }
    return n;
}
