/* What one frame drew, for `dropscope shot --describe` and the UI tests: each panel's
 * rect and the step of the snapshot it drew, every text cut to fit (with the panel it
 * was in), the smallest text line drawn, and the mask view's counts.
 *
 * The app holds one only when asked (a->report != NULL, e.g. by shot); the views record
 * into it through these functions and the text cache records drawn line heights and
 * ellipsised text (ui_text_set_report). Every function accepts r == NULL and then does
 * nothing, so drawing code calls them unconditionally. Nothing here allocates. */
#ifndef UI_REPORT_H
#define UI_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <SDL.h>

#define UI_REPORT_PANELS 32
#define UI_REPORT_CLIPS 64
#define UI_REPORT_GRADS 32

typedef struct {
    char name[32];
    SDL_Rect rect;
    long step;              /* step of the snapshot the panel drew; 0: none */
} ui_report_panel_rec;

typedef struct {
    char panel[32];
    char text[160];         /* the text before it was cut */
} ui_report_clip_rec;

typedef struct ui_report {
    int n_panels;
    ui_report_panel_rec panels[UI_REPORT_PANELS];
    int n_clipped;          /* kept, at most UI_REPORT_CLIPS */
    long clipped_total;     /* all, including those not kept */
    ui_report_clip_rec clipped[UI_REPORT_CLIPS];
    int min_text_px;        /* smallest text line height drawn; 0: no text */
    char cur_panel[32];     /* panel being drawn (clip records name it) */
    bool mask_drawn;        /* the mask view drew a mask */
    char mask_layer[64];
    long mask_units, mask_crossed, mask_step;
    char status[256];       /* the status line as drawn (step, mode, state) */
    char mask_caption[256]; /* the mask view's caption: its count line, then its meaning */
    int n_boxes;            /* the graph's boxes drawn whole, top to bottom (their first
                               layer's name; a base's: its name) */
    char boxes[64][64];
    char bn_state[200];     /* the BN statistics plot's state line ("" when not drawn) */
    int feedback;           /* the lesson's answer feedback: 0 none drawn, 1 drawn but
                               (partly) scrolled out of the panel, 2 drawn whole in view */
    int n_grads;            /* the graph boxes' gradient-flow lines, in drawing order */
    struct {
        char box[64];
        char says[64];      /* "1.9e+00", "frozen: no gradient computed", ... */
    } grads[UI_REPORT_GRADS];
} ui_report;

/* Empties r for a new frame. */
void ui_report_reset(ui_report *r);
/* A panel starts drawing: records it and makes it the panel clips are charged to. */
void ui_report_panel(ui_report *r, const char *name, SDL_Rect rect, long step);
/* A line of text px pixels high was drawn. */
void ui_report_text(ui_report *r, int px);
/* text had to be cut to fit (ellipsised or left out) in the current panel. */
void ui_report_clip(ui_report *r, const char *text);
/* The mask view drew layer's mask: units cells, crossed of them marked dropped. */
void ui_report_mask(ui_report *r, const char *layer, long units, long crossed, long step);
/* The mask view's caption drew line (count) and sub (meaning; NULL: none). */
void ui_report_mask_caption(ui_report *r, const char *line, const char *sub);
/* The graph's box `box` drew its gradient-flow line saying `says`. */
void ui_report_grad(ui_report *r, const char *box, const char *says);
/* The graph drew the box of layer `name` whole. */
void ui_report_box(ui_report *r, const char *name);
/* The BatchNormalization statistics plot said what its layer does (its state line). */
void ui_report_bn_state(ui_report *r, const char *text);
/* The status line drew text. */
void ui_report_status(ui_report *r, const char *text);
/* Writes `"status":"...","panels":[...],"mask":{...}|null,"clipped":[...],"min_text_px":P,
 * "grad_flow":[{"box","says"}],"bn_state":"..."|null,"graph_boxes":[...]` (JSON
 * members, no braces around them) to f. */
void ui_report_write_members(const ui_report *r, FILE *f);
/* Writes s as a JSON string (quoted, escaped) to f. */
void ui_report_json_string(FILE *f, const char *s);

#endif
