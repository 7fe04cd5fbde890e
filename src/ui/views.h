/* The views, one file each. Each draws the state into r with a->ren and records what it
 * drew where into a->layout; none changes the rest of the state or calls the app. The
 * app calls them in its draw phase. */
#ifndef UI_VIEWS_H
#define UI_VIEWS_H

#include <SDL.h>

#include "ui/state.h"

void ui_bar_view_draw(ui_app *a, SDL_Rect r);
void ui_help_view_draw(ui_app *a, SDL_Rect r);
void ui_graph_view_draw(ui_app *a, SDL_Rect r);
void ui_mask_view_draw(ui_app *a, SDL_Rect r);
void ui_metrics_view_draw(ui_app *a, SDL_Rect r);
void ui_weights_view_draw(ui_app *a, SDL_Rect r);
void ui_batch_view_draw(ui_app *a, SDL_Rect r);
void ui_lesson_view_draw(ui_app *a, SDL_Rect r);
/* The course menu over the window (course_view.c). */
void ui_course_view_draw(ui_app *a, SDL_Rect r);

/* One row of the weight panel (graph box `box` of a->layout, for a->cur): the largest
 * |dw| this step (nn_trace_change over the box's layers, the lesson's `last change`),
 * the relative change ||dw|| / ||w||, and what is known of it. */
typedef struct {
    size_t params;
    bool frozen, known;
    double dw, rel;
} ui_weights_row;
ui_weights_row ui_weights_view_row(const ui_app *a, int box);

/* One box's gradient flow in row (grad_view.c), drawn by the graph on each box with
 * weights and by the mask view's strip: a bar of ||dL/dw|| this step on a log scale
 * (1e-7 to 10) and its value, or why there is none ("frozen: no gradient computed",
 * "inference: no gradient"). Writes what it said (value or words) to said and returns it. */
const char *ui_grad_flow_row(ui_app *a, SDL_Rect row, const nn_trace *tr, const ui_box *b,
                             char *said, size_t n);

/* The batch and mask views keep textures built from the snapshot (a->batch_cache,
 * a->mask_cache, created on their first draw; out of memory: drawn without). These free
 * them: when the renderer changes (the next draw rebuilds them) and with the app. */
void ui_batch_view_forget(ui_app *a);
void ui_mask_view_forget(ui_app *a);
/* The mask view's mode as drawn (mask_internal.h's UI_MASK_*: a->mask_mode, or for auto
 * the gradients beside the mask at batch size 1), and the one M moves to. */
int ui_mask_view_mode(const ui_app *a);
int ui_mask_view_next_mode(const ui_app *a);
/* The metrics view keeps earlier runs (ended by a reset) as labelled ghost curves in
 * a->metrics_cache: forget frees them (with the app), clear drops them (X); ghosts gives
 * their labels ("rate 0.50"), oldest first, and returns how many. */
void ui_metrics_view_forget(ui_app *a);
/* Frozen BatchNormalization (bn_view.c, drawn by the metrics view when the model has
 * one): the BN layer shown (the selected one if it is a BN, else the first; -1 none),
 * its moving statistics over the snapshots held (oldest first, at most max points,
 * returns how many), and the plot. */
typedef struct {
    long step;
    float mean, var;        /* channel means of moving_mean and moving_variance */
    bool frozen, batch_stats;
} ui_bn_point;
int ui_bn_view_layer(const ui_app *a);
int ui_bn_view_series(ui_app *a, int layer, ui_bn_point *out, int max);
void ui_bn_view_draw(ui_app *a, SDL_Rect r);
/* Where the batch view draws example img's MC dropout bar (over the thumbnail's foot,
 * scale_px high: 10 * theme scale); x = bar.x + p * (bar.w - 1) marks probability p. */
SDL_Rect ui_batch_view_mc_bar(SDL_Rect img, int scale_px);
/* The images the batch view draws for snapshot t: the model's view after its random
 * augmentation layers in a training step, else the batch as it is. */
const float *ui_batch_view_images(const nn_trace *t);
/* The batch view's augmentation caption for example k ("example 3 augmented: flipped
 * left-right, rotated 12° anticlockwise" / "inference: augmentation off, images as they
 * are"); "" without augmentation layers. */
void ui_batch_view_aug_caption(const nn_trace *t, int k, char *buf, size_t n);
void ui_metrics_view_clear(ui_app *a);
/* A finished run drawn as a ghost beside the live one (a compare's first twin): after
 * the runs the live metrics' generations already ended. Takes r->m. */
void ui_metrics_view_add_run(ui_app *a, ui_run *r);
int ui_metrics_view_ghosts(const ui_app *a, const char **labels, int max);
/* Ghost g's curves (oldest first) and their length in *n; NULL when there is no such. */
const ui_metric *ui_metrics_view_ghost(const ui_app *a, int g, size_t *n);
/* The training batches' loss (acc: accuracy) with Dropout off over the snapshots held,
 * oldest first, at most max; returns how many (nn_trace.loss_off). */
int ui_metrics_view_off(ui_app *a, long *steps, float *vals, bool acc, int max);

#endif
