/* The window's state: the speeds offered, which Dropout the mask view shows, the graph's
 * boxes and where the panels go. Read by the app and the views alike. */
#include "ui/state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"

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

/* ---- messages ---- */

void ui_log_add(ui_app *a, const char *msg)
{
    if (!msg || !msg[0])
        return;
    ui_log_entry *e = &a->log[a->log_head];
    snprintf(e->text, sizeof e->text, "%s", msg);
    e->step = a->status.steps;
    e->ticks = SDL_GetTicks();
    a->log_head = (a->log_head + 1) % UI_LOG_MAX;
    if (a->n_log < UI_LOG_MAX)
        a->n_log++;
}

void ui_show_message(ui_app *a, const char *msg)
{
    snprintf(a->message, sizeof a->message, "%s", msg ? msg : "");
    a->message_until = SDL_GetTicks() + 4000;
}

void ui_say(ui_app *a, const char *msg)
{
    ui_show_message(a, msg);
    ui_log_add(a, a->message);
}

const ui_log_entry *ui_log_get(const ui_app *a, int k)
{
    if (k < 0 || k >= a->n_log)
        return NULL;
    return &a->log[(a->log_head - 1 - k + 2 * UI_LOG_MAX) % UI_LOG_MAX];
}

bool ui_state_action(ui_app *a, ui_action_id act, int arg)
{
    const ui_layout *L = &a->layout;
    switch (act) {
    case UI_ACT_NEXT_PANEL: {
        if (L->n_tabs == 0) {
            ui_say(a, "Every panel is on screen: Tab switches panels when they share a place "
                      "(a small window, presenter mode).");
            break;
        }
        int i = 0;
        while (i < L->n_tabs && L->tab_list[i] != L->tab_shown)
            i++;
        a->tab = L->tab_list[(i + 1) % L->n_tabs];
        a->layout.tab_shown = a->tab;
        break;
    }
    case UI_ACT_SHOW_PANEL:
        if (arg >= 0 && arg < UI_TABS)
            a->tab = a->layout.tab_shown = (ui_tab)arg;
        break;
    case UI_ACT_MESSAGE_LOG:
        a->show_log = !a->show_log;
        break;
    case UI_ACT_HIST_BACK:   /* with the keys shown: their pages */
    case UI_ACT_HIST_FWD:
        if (!a->help)
            return false;
        a->help_page += act == UI_ACT_HIST_FWD ? 1 : -1;
        if (a->help_page < 0)
            a->help_page = 0;
        break;
    case UI_ACT_HELP:   /* Esc closes the log first */
        if (arg < 0 && a->show_log) {
            a->show_log = false;
            break;
        }
        return false;
    default:
        return false;
    }
    return true;
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

/* ---- box geometry ---- */

int ui_box_line(const ui_theme *t)
{
    return t->font_small * 6 / 5 + 2;
}

int ui_box_head(const ui_theme *t)
{
    return t->font_normal * 6 / 5 + 2;
}

const char *ui_box_shape(const ui_app *a, const ui_box *b)
{
    return a->graph.layers[b->group ? b->last : b->first].shape;
}

void ui_box_right_text(const ui_app *a, const ui_box *b, char *buf, size_t n)
{
    const ui_graph_layer *L = &a->graph.layers[b->first];
    char num[32];
    size_t p = 0;
    for (int k = b->first; k <= b->last; k++)
        p += a->graph.layers[k].params;
    if (!b->group && L->masks >= 0)
        snprintf(buf, n, "rate %.2f", (double)L->rate);
    else
        snprintf(buf, n, "%s params", ui_fmt_count(p, num, sizeof num));
}

int ui_box_inner(const ui_app *a, const ui_box *b, int w)
{
    const ui_theme *t = &a->theme;
    int inner = w - 2 * t->pad;
    if (b->frozen)
        inner -= (int)(t->font_normal * 1.1f) + t->pad;   /* the padlock */
    return inner;
}

bool ui_box_split(ui_app *a, const ui_box *b, int w)
{
    const ui_theme *t = &a->theme;
    char right[64];
    ui_box_right_text(a, b, right, sizeof right);
    int need = ui_text_size(a->text, UI_FONT_MONO, t->font_small, ui_box_shape(a, b), 0).x + t->pad +
               ui_text_size(a->text, UI_FONT_SANS, t->font_small, right, 0).x;
    return need > w - 2 * t->pad;
}

void ui_box_count_text(const ui_box *b, char *buf, size_t n)
{
    snprintf(buf, n, "%d layers", b->last - b->first + 1);
}

bool ui_box_count_inline(ui_app *a, const ui_box *b, int w)
{
    const ui_theme *t = &a->theme;
    const ui_graph_layer *L = &a->graph.layers[b->first];
    char cnt[32];
    ui_box_count_text(b, cnt, sizeof cnt);
    return ui_text_size(a->text, UI_FONT_BOLD, t->font_normal, L->base_name[0] ? L->base_name : "frozen base", 0).x +
               t->pad + ui_text_size(a->text, UI_FONT_SANS, t->font_small, cnt, 0).x <=
           ui_box_inner(a, b, w);
}

const char *ui_box_training(const ui_app *a, const ui_box *b)
{
    const ui_graph_layer *L = &a->graph.layers[b->first];
    if (b->group) {   /* a base called with training=False gives it to every layer */
        for (int k = b->first; k <= b->last; k++)
            if (a->graph.layers[k].train_mode != NN_TRAIN_NEVER)
                return NULL;
        return "BN in inference mode (training=False)";
    }
    /* only BatchNormalization and the dropout family act on training= */
    if (L->train_mode == NN_TRAIN_FOLLOW || (strcmp(L->type, "BatchNormalization") && L->masks < 0))
        return NULL;
    if (L->masks >= 0)
        return L->train_mode == NN_TRAIN_ALWAYS ? "training=True: masks at predict too" : "training=False: never masks";
    return L->train_mode == NN_TRAIN_ALWAYS ? "training=True" : "training=False: inference mode";
}

bool ui_box_is_source(const ui_app *a, const ui_box *b)
{
    int d = ui_dropout_index(a);
    if (d < 0 || b->group)
        return false;
    int m = a->graph.layers[d].masks;
    return m >= b->first && m <= b->last && m != d;
}

int ui_mask_units(const ui_app *a)
{
    int d = ui_dropout_index(a);
    if (d < 0)
        return 0;
    size_t n = nn_shape_size(a->graph.layers[d].out_shape);
    return n > 0 && n < (1u << 24) ? (int)n : 0;
}

int ui_box_mini_height(const ui_app *a, int units, int *pitch, int *cols)
{
    /* A near-square grid as the mask view draws it, as tall as two lines of text (at
     * least a pixel a unit). */
    int c = (int)ceil(sqrt((double)(units > 0 ? units : 1)));
    int rows = (units + c - 1) / c;
    int two = 2 * ui_box_line(&a->theme);
    int p = two / (rows > 0 ? rows : 1);
    if (p < 1)
        p = 1;
    if (p > 4)
        p = 4;
    *pitch = p;
    *cols = c;
    return rows * p > two ? rows * p : two;
}

int ui_box_name_height(ui_app *a, const ui_box *b, int w)
{
    const ui_theme *t = &a->theme;
    const char *name = a->graph.layers[b->first].name;
    int inner = ui_box_inner(a, b, w);
    if (b->group || ui_text_size(a->text, UI_FONT_BOLD, t->font_normal, name, 0).x <= inner)
        return ui_box_head(t);
    return ui_text_size(a->text, UI_FONT_BOLD, t->font_normal, name, inner).y + 2;
}

bool ui_box_has_weights(const ui_app *a, const ui_box *b)
{
    for (int k = b->first; k <= b->last; k++)
        if (a->graph.layers[k].params > 0)
            return true;
    return false;
}

int ui_boxes_with_weights(const ui_app *a)
{
    int n = 0;
    for (int i = 0; i < a->layout.n_boxes; i++)
        n += ui_box_has_weights(a, &a->layout.boxes[i]);
    return n;
}

const char *ui_box_row_name(const ui_app *a, const ui_box *b)
{
    const ui_graph_layer *G = &a->graph.layers[b->first];
    return !b->group ? G->name : G->base_name[0] ? G->base_name : "base";
}

int ui_box_row_names_width(ui_app *a, int lo, int hi)
{
    int w = lo;
    for (int i = 0; i < a->layout.n_boxes; i++) {
        const ui_box *b = &a->layout.boxes[i];
        if (!ui_box_has_weights(a, b))
            continue;
        int nw = ui_text_size(a->text, UI_FONT_SANS, a->theme.font_small, ui_box_row_name(a, b), 0).x + 4;
        w = nw > w ? nw : w;
    }
    return w < hi ? w : hi;
}

int ui_box_height(ui_app *a, const ui_box *b, int w)
{
    const ui_theme *t = &a->theme;
    int line = ui_box_line(t);
    /* name line; shape and parameters (a line each when split); then the group's layer
     * count when the name line cannot hold it, trainable=False, RANDOM weights */
    int lines = 1 + ui_box_split(a, b, w);
    if (b->group)
        lines += !ui_box_count_inline(a, b, w) + 1 + a->graph.layers[b->first].random_weights;
    else
        lines += b->frozen;
    lines += ui_box_training(a, b) != NULL;
    lines += a->layout.grad_strip && ui_box_has_weights(a, b);
    int h = ui_box_name_height(a, b, w) + lines * line + t->pad;
    if (!b->group && ui_box_is_source(a, b)) {
        int p, c;
        h += ui_box_mini_height(a, ui_mask_units(a), &p, &c) + t->pad / 2;
    }
    if (b->opened)
        h += line + t->pad / 2;   /* the "close base" header above it */
    return h;
}

int ui_graph_margin(ui_app *a)
{
    if (ui_dropout_index(a) < 0)
        return 0;
    return ui_text_size(a->text, UI_FONT_SANS, a->theme.font_small, "outputs", 0).x +
           (int)(16 * a->theme.scale);
}

/* ---- panels ---- */

/* Gap between graph boxes. */
static int box_gap(const ui_theme *t)
{
    return (int)(t->pad * 1.3f);
}

/* Height the graph panel needs to show every box gw wide (its totals line aside: the
 * view leaves it out when short of room). */
static int graph_need(ui_app *a, int gw)
{
    const ui_theme *t = &a->theme;
    int th = ui_text_size(a->text, UI_FONT_BOLD, t->font_normal, "Layer graph", 0).y;
    int need = t->pad / 2 + th + t->pad / 2 + t->pad / 2;
    int bw = gw - 2 * t->pad - ui_graph_margin(a);
    for (int i = 0; i < a->layout.n_boxes; i++)
        need += ui_box_height(a, &a->layout.boxes[i], bw) + box_gap(t);
    return need;
}

/* The graph width every layer's name needs on its box's first line (at most hi). */
static int names_width(ui_app *a, int hi)
{
    const ui_theme *t = &a->theme;
    const ui_layout *L = &a->layout;
    int need = 0;
    for (int i = 0; i < L->n_boxes; i++) {
        const ui_box *b = &L->boxes[i];
        if (b->group)
            continue;
        int w = ui_text_size(a->text, UI_FONT_BOLD, t->font_normal, a->graph.layers[b->first].name, 0).x;
        int box = w + 2 * t->pad + (b->frozen ? (int)(t->font_normal * 1.1f) + t->pad : 0);
        if (box > need)
            need = box;
    }
    need += 2 * t->pad + ui_graph_margin(a) + 2;
    return need < hi ? need : hi;
}

/* The narrowest graph width in lo..hi whose boxes fit in height h (hi when none). */
static int graph_width(ui_app *a, int lo, int hi, int h)
{
    int step = a->w / 100 > 4 ? a->w / 100 : 4;
    int names = names_width(a, hi);
    if (lo < names)
        lo = names;
    for (int gw = lo; gw < hi; gw += step)
        if (graph_need(a, gw) <= h)
            return gw;
    return hi;
}

/* Weight change needs a row per box with weights. */
static int weights_need(const ui_app *a)
{
    const ui_theme *t = &a->theme;
    int rows = ui_boxes_with_weights(a);
    return 2 * t->font_normal + 3 * t->pad + t->font_small + rows * (t->font_normal + t->pad);
}

/* The tab row over place r offers list[0..n); the panel shown gets r less the row. */
static SDL_Rect place_tabs(ui_app *a, SDL_Rect r, const ui_tab *list, int n)
{
    const ui_theme *t = &a->theme;
    ui_layout *L = &a->layout;
    L->n_tabs = n;
    memcpy(L->tab_list, list, (size_t)n * sizeof *list);
    L->tab_shown = list[0];
    for (int i = 0; i < n; i++)
        if (list[i] == a->tab)
            L->tab_shown = a->tab;
    int th = t->font_normal * 6 / 5 + t->pad;
    L->tabs = (SDL_Rect){r.x, r.y, r.w, th};
    SDL_Rect *dst[UI_TABS] = {&L->lesson, &L->metrics, &L->weights, &L->batch};
    *dst[L->tab_shown] = (SDL_Rect){r.x, r.y + th, r.w, r.h - th};
    return *dst[L->tab_shown];
}

/* A lesson step pointing at a panel that shares a place brings it forward (once: Tab
 * still moves on from it). */
static void follow_focus(ui_app *a)
{
    ui_layout *L = &a->layout;
    if (a->focus == L->seen_focus)
        return;
    L->seen_focus = a->focus;
    static const int tab_of[] = {-1, -1, -1, UI_TAB_METRICS, UI_TAB_WEIGHTS, UI_TAB_BATCH,
                                 UI_TAB_LESSON};
    if (a->focus > UI_FOCUS_NONE && a->focus <= UI_FOCUS_LESSON && tab_of[a->focus] >= 0)
        a->tab = (ui_tab)tab_of[a->focus];
}

/* Presenter mode: graph, mask, and one place for the lesson or one other panel. The
 * graph is as wide as its boxes need to show whole (30 to 42% of the width). */
static void layout_presenter(ui_app *a, int bar_h)
{
    ui_layout *L = &a->layout;
    int W = a->w, body = a->h - bar_h;
    int rw = W * 32 / 100;
    int gw = graph_width(a, W * 30 / 100, W * 42 / 100, body);
    int cw = W - gw - rw;
    L->graph = (SDL_Rect){0, bar_h, gw, body};
    L->mask = (SDL_Rect){gw, bar_h, cw, body};
    static const ui_tab list[] = {UI_TAB_LESSON, UI_TAB_METRICS, UI_TAB_WEIGHTS, UI_TAB_BATCH};
    place_tabs(a, (SDL_Rect){gw + cw, bar_h, rw, body}, list, 4);
}

/* The desk: graph over weight change on the left, the mask in the centre, lesson,
 * metrics and batch on the right. When that leaves the graph too little room: weights
 * joins metrics and batch in one tabbed place under the lesson, the graph takes the
 * whole left and, if it needs to, width from the mask (up to 36% of the window). */
static bool layout_desk(ui_app *a, int bar_h, bool tabbed)
{
    const ui_theme *t = &a->theme;
    ui_layout *L = &a->layout;
    int W = a->w, body = a->h - bar_h;
    int gw = W * 24 / 100, cw = W * 37 / 100;
    int min_g = (int)(260 * t->scale);
    if (gw < min_g)
        gw = min_g;
    if (gw > W / 3)
        gw = W / 3;
    int rw = W - gw - cw;
    int gh = body;
    int names = names_width(a, W * 36 / 100);
    if (gw < names) {   /* every name whole: the mask gives the width */
        cw -= names - gw;
        gw = names;
    }
    if (!tabbed) {
        int wh = weights_need(a);
        if (wh < body * 22 / 100)
            wh = body * 22 / 100;
        if (wh > body * 42 / 100)
            wh = body * 42 / 100;
        gh = body - wh;
        if (graph_need(a, gw) > gh)
            return false;
        L->weights = (SDL_Rect){0, bar_h + gh, gw, body - gh};
    } else {
        gw = graph_width(a, gw, gw > W * 36 / 100 ? gw : W * 36 / 100, body);
        cw = W - gw - rw;
    }
    L->graph = (SDL_Rect){0, bar_h, gw, gh};
    L->mask = (SDL_Rect){gw, bar_h, cw, body};
    /* The lesson takes the height its step needs (within limits); the rest below. */
    int lh = a->lesson_need > 0 ? a->lesson_need : body * 50 / 100;
    if (lh < body * 36 / 100)
        lh = body * 36 / 100;
    if (lh > body * 62 / 100)
        lh = body * 62 / 100;
    L->lesson = (SDL_Rect){gw + cw, bar_h, rw, lh};
    if (tabbed) {
        static const ui_tab list[] = {UI_TAB_METRICS, UI_TAB_WEIGHTS, UI_TAB_BATCH};
        place_tabs(a, (SDL_Rect){gw + cw, bar_h + lh, rw, body - lh}, list, 3);
        return true;
    }
    int meh = (body - lh) / 2;
    L->metrics = (SDL_Rect){gw + cw, bar_h + lh, rw, meh};
    L->batch = (SDL_Rect){gw + cw, bar_h + lh + meh, rw, body - lh - meh};
    return true;
}

int ui_bar_height(const ui_theme *t)
{
    /* Desk: title and status over a row of buttons. Presenter: one row. */
    int row = t->font_normal * 6 / 5 + 2 * t->pad;
    return t->presenter ? row : 2 * row + t->pad / 2;
}

void ui_layout_compute(ui_app *a)
{
    ui_layout *L = &a->layout;
    int bar_h = ui_bar_height(&a->theme);
    SDL_Rect none = {0, 0, 0, 0};
    L->graph = L->weights = L->mask = L->lesson = L->metrics = L->batch = L->tabs = none;
    L->n_tabs = 0;
    L->bar = (SDL_Rect){0, 0, a->w, bar_h};
    follow_focus(a);
    L->grad_strip = false;   /* the panels are placed for the boxes without it */
    if (a->presenter) {
        L->tabbed = true;
        layout_presenter(a, bar_h);
    } else if (!layout_desk(a, bar_h, false)) {
        L->tabbed = true;
        layout_desk(a, bar_h, true);
    } else {
        L->tabbed = false;
    }
    /* The gradient-flow line on each box with weights, where every box still fits:
     * it never costs a box its place. */
    const ui_theme *t = &a->theme;
    int totals = t->font_small * 6 / 5 + t->pad / 2;   /* the params line under the boxes */
    L->grad_strip = true;
    if (graph_need(a, L->graph.w) + totals > L->graph.h)
        L->grad_strip = false;
}
