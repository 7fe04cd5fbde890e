/* The window's state: the speeds offered, which Dropout the mask view shows, the graph's
 * boxes and where the panels go. Read by the app and the views alike. */
#include "ui/state.h"

#include <math.h>
#include <stdlib.h>

static const double speeds[] = {0.5, 1, 2, 5, 10, 20, 50, 100, 0 /* as fast as possible */};
#define N_SPEEDS ((int)(sizeof speeds / sizeof speeds[0]))

static int speed_clamp(int idx)
{
    return idx < 0 ? 0 : idx >= N_SPEEDS ? N_SPEEDS - 1 : idx;
}

double ui_speed_value(int idx)
{
    return speeds[speed_clamp(idx)];
}

int ui_speed_index(double sps)
{
    if (sps <= 0)
        return N_SPEEDS - 1;
    int best = 0;
    for (int i = 0; i < N_SPEEDS - 1; i++)
        if (fabs(log(speeds[i] / sps)) < fabs(log(speeds[best] / sps)))
            best = i;
    return best;
}

int ui_speed_step(int idx, int dir)
{
    return speed_clamp(idx + dir);
}

bool ui_is_dropout(const ui_app *a, int k)
{
    return k >= 0 && k < a->graph.n && a->graph.layers[k].masks >= 0;
}

int ui_dropout_index(const ui_app *a)
{
    if (ui_is_dropout(a, a->selected))
        return a->selected;
    if (ui_is_dropout(a, a->mask_dropout))
        return a->mask_dropout;
    for (int i = 0; i < a->graph.n; i++)
        if (ui_is_dropout(a, i))
            return i;
    return -1;
}

int ui_dropout_count(const ui_app *a, int d, int *pos)
{
    int n = 0;
    if (pos)
        *pos = -1;
    for (int i = 0; i < a->graph.n; i++)
        if (ui_is_dropout(a, i)) {
            if (i == d && pos)
                *pos = n;
            n++;
        }
    return n;
}

/* ---- graph boxes ---- */

static int push_box(ui_app *a, ui_box b)
{
    ui_layout *L = &a->layout;
    if (L->n_boxes == L->cap_boxes) {
        int cap = L->cap_boxes ? L->cap_boxes * 2 : 64;
        ui_box *nb = realloc(L->boxes, (size_t)cap * sizeof *nb);
        if (!nb)
            return -1;
        L->boxes = nb;
        L->cap_boxes = cap;
    }
    L->boxes[L->n_boxes++] = b;
    return 0;
}

static void push_run(ui_app *a, int first, int last, bool collapse)
{
    const ui_graph *g = &a->graph;
    bool open = first < a->n_open && a->open_group[first];
    bool all = true;
    for (int k = first; k <= last; k++)
        all &= g->layers[k].frozen;
    if (collapse && !open) {
        push_box(a, (ui_box){.first = first, .last = last, .group = true, .frozen = all});
        return;
    }
    for (int k = first; k <= last; k++)
        push_box(a, (ui_box){.first = k, .last = k, .frozen = g->layers[k].frozen,
                             .opened = collapse && k == first ? last - first + 1 : 0});
}

void ui_graph_group(ui_app *a)
{
    /* A declared base collapses when it is frozen or large (InceptionV3: 229 layers);
     * any other run of UI_GROUP_MIN+ frozen layers collapses too. */
    const ui_graph *g = &a->graph;
    a->layout.n_boxes = 0;
    for (int i = 0; i < g->n;) {
        const ui_graph_layer *L = &g->layers[i];
        if (L->base_count > 0 && L->base_first == i && i + L->base_count <= g->n) {
            int last = i + L->base_count - 1;
            bool all = true;
            for (int k = i; k <= last; k++)
                all &= g->layers[k].frozen;
            push_run(a, i, last, (all && L->base_count >= 2) || L->base_count >= UI_GROUP_LARGE);
            i = last + 1;
            continue;
        }
        int j = i;
        while (j < g->n && g->layers[j].frozen && !(j > i && g->layers[j].base_count > 0))
            j++;
        if (j - i >= UI_GROUP_MIN) {
            push_run(a, i, j - 1, true);
            i = j;
        } else {
            push_box(a, (ui_box){.first = i, .last = i, .frozen = L->frozen});
            i++;
        }
    }
}

/* ---- panels ---- */

void ui_layout_compute(ui_app *a)
{
    /* Left: graph over weight change (both list layers). Centre: the mask, as large as
     * it can be. Right: lesson, metrics, the batch. */
    const ui_theme *t = &a->theme;
    ui_layout *L = &a->layout;
    int W = a->w, H = a->h;
    int bar_h = 2 * (t->font_normal + 2 * t->pad) + t->pad / 2;
    int body = H - bar_h;
    int gw = W * 24 / 100, cw = W * 37 / 100;
    int min_g = (int)(260 * t->scale);
    if (gw < min_g)
        gw = min_g;
    if (gw > W / 3)
        gw = W / 3;
    int rw = W - gw - cw;
    L->bar = (SDL_Rect){0, 0, W, bar_h};
    /* Weight change needs a row per box with weights; the graph gets the rest. */
    int rows = 0;
    for (int i = 0; i < L->n_boxes; i++)
        for (int k = L->boxes[i].first; k <= L->boxes[i].last; k++)
            if (a->graph.layers[k].params > 0) {
                rows++;
                break;
            }
    int wh = 2 * t->font_normal + 3 * t->pad + t->font_small + rows * (t->font_normal + t->pad);
    if (wh < body * 22 / 100)
        wh = body * 22 / 100;
    if (wh > body * 42 / 100)
        wh = body * 42 / 100;
    int gh = body - wh;
    L->graph = (SDL_Rect){0, bar_h, gw, gh};
    L->weights = (SDL_Rect){0, bar_h + gh, gw, body - gh};
    L->mask = (SDL_Rect){gw, bar_h, cw, body};
    /* The lesson takes the height its step needs (within limits); metrics and the
     * batch share the rest. */
    int lh = a->lesson_need > 0 ? a->lesson_need : body * 50 / 100;
    if (lh < body * 36 / 100)
        lh = body * 36 / 100;
    if (lh > body * 62 / 100)
        lh = body * 62 / 100;
    int meh = (body - lh) / 2;
    L->lesson = (SDL_Rect){gw + cw, bar_h, rw, lh};
    L->metrics = (SDL_Rect){gw + cw, bar_h + lh, rw, meh};
    L->batch = (SDL_Rect){gw + cw, bar_h + lh + meh, rw, body - lh - meh};
}
