/* The window's application: state, the frame (update, then draw) and the layout each
 * frame leaves behind. The layout records what was drawn where (boxes, padlocks, mask
 * cells, thumbnails, buttons) so mouse clicks and tests can find it again.
 *
 * The app draws with any SDL_Renderer: a window's, or a software renderer over a
 * surface (shot, tests, bench). It never touches the model: training state arrives as
 * snapshots from the worker, changes leave as queued commands. */
#ifndef UI_APP_H
#define UI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <SDL.h>

#include "ui/input.h"
#include "ui/text.h"
#include "ui/theme.h"
#include "ui/worker.h"

#define UI_MAX_HITS 512
#define UI_MAX_THUMBS 64
#define UI_STRIP_STEPS 120

typedef enum { UI_FOCUS_NONE = 0, UI_FOCUS_GRAPH, UI_FOCUS_MASK, UI_FOCUS_METRICS,
               UI_FOCUS_WEIGHTS, UI_FOCUS_BATCH, UI_FOCUS_LESSON } ui_focus;

/* One box of the layer graph: a layer, or a collapsed run of frozen layers. */
typedef struct {
    SDL_Rect rect;
    int first, last;        /* layer indices (equal for a single layer) */
    bool group;             /* collapsed frozen base */
    bool frozen;
    bool selected;
    int opened;             /* > 0: first box of an opened base of this many layers */
    SDL_Rect padlock;       /* w == 0: none drawn */
} ui_box;

/* Runs of at least this many consecutive frozen layers collapse into one box. */
#define UI_GROUP_MIN 4
/* A declared base this large stays collapsed even when it trains. */
#define UI_GROUP_LARGE 200

typedef struct {
    SDL_Rect rect;
    ui_action_id act;
    int arg;
} ui_hit;

typedef struct {
    /* panels */
    SDL_Rect bar, graph, mask, metrics, weights, batch, lesson;
    /* graph */
    int n_boxes, cap_boxes;
    ui_box *boxes;
    int dropout_box, source_box;    /* boxes joined by the "masks" arrow, -1 */
    /* mask grid: cell i is at grid.x + (i % cols) * pitch, grid.y + (i / cols) * pitch,
     * size cell x cell */
    SDL_Rect grid;
    int cols, rows, units, pitch, cell;
    bool mask_drawn;        /* dropped cells were marked (training, one example) */
    bool batch_counts;      /* whole batch: brightness = examples that dropped the unit */
    int example;            /* example shown, -1 whole batch */
    long step;              /* step of the snapshot drawn, 0 none */
    /* batch thumbnails */
    int n_thumbs;
    SDL_Rect thumbs[UI_MAX_THUMBS];
    /* weight bars, one per graph box with weights */
    int n_bars;
    SDL_Rect bars[UI_MAX_HITS];
    int bar_box[UI_MAX_HITS];
    /* clickable regions, registered while drawing */
    int n_hits;
    ui_hit hits[UI_MAX_HITS];
} ui_layout;

typedef struct {
    const char *lesson_path;
    bool presenter;
    bool inference;          /* start in inference mode */
    int example;             /* shown example, -1 whole batch */
    double speed;            /* steps per second, 0 = as fast as possible */
} ui_app_options;

typedef struct ui_app {
    SDL_Window *win;         /* NULL when drawing into a surface */
    SDL_Renderer *ren;
    ui_theme theme;
    ui_text *text;
    ui_worker *worker;
    const ls_lesson *lesson;
    int w, h;

    /* what the student chose */
    bool playing;
    int speed_idx;
    int example;             /* -1 whole batch */
    int mask_dropout;        /* Dropout layer chosen with D for the mask view, -1: first */
    int history_back;        /* 0 live */
    int selected;            /* layer index, -1 none */
    bool presenter, help, quit;
    bool *open_group;        /* per layer: the group starting here is opened */
    int n_open;
    int graph_scroll;        /* boxes scrolled off the top */
    ui_focus focus;
    SDL_Point mouse;         /* last pointer position (-1,-1: none) */

    /* lesson */
    int lesson_step;
    int lesson_scroll;       /* pixels scrolled in the lesson panel */
    int lesson_need;         /* panel height the step's text needed when last drawn */
    int *answers;            /* per lesson step: chosen choice of its first question, -1 */
    int n_results;
    ui_expect_result results[64];
    int result_base_tag;     /* tags are step * 256 + item */

    /* copies of the worker's state */
    ui_graph graph;
    unsigned graph_ver;
    ui_metric *metrics;
    size_t n_metrics, cap_metrics;
    unsigned metrics_gen;
    ui_worker_status status;
    ui_snap *snap;           /* the snapshot drawn */
    const nn_trace *cur;     /* its trace */
    char message[256];       /* status line message (errors, confirmations) */
    Uint32 message_until;
    unsigned long seen_error;

    /* batch thumbnails: one texture per snapshot shown */
    SDL_Texture *thumb_tex;
    long thumb_step;
    const nn_trace *thumb_trace;
    int thumb_tw, thumb_th;

    /* the mask grid, painted into pixels and copied as one texture */
    SDL_Texture *grid_tex;
    Uint32 *grid_px;
    int grid_w, grid_h, grid_pitch, grid_cols;
    Uint32 grid_bg;

    unsigned long long signature;   /* of what the last update saw */

    /* frame timing */
    double frame_ms;
    unsigned long frames;
    ui_layout layout;
} ui_app;

/* Sets up the app on ren (and win, may be NULL) for the worker's session.
 * Does not take ownership of ren/win/worker. NULL with err. */
ui_app *ui_app_create(SDL_Window *win, SDL_Renderer *ren, ui_worker *worker,
                      const ls_lesson *lesson, const ui_app_options *opt, char *err,
                      size_t errlen);
void ui_app_destroy(ui_app *a);          /* NULL is fine */
/* Draws with another renderer from now on (e.g. a new surface after a resize);
 * textures are rebuilt. 0 or -1 with err. */
int ui_app_set_renderer(ui_app *a, SDL_Renderer *ren, char *err, size_t errlen);
/* Handles one SDL event (keys, mouse, resize, quit). */
void ui_app_event(ui_app *a, const SDL_Event *e);
/* Runs an action as a key or click would. */
void ui_app_do(ui_app *a, ui_action_id act, int arg);
/* Update phase: takes the newest snapshot, worker state and results. Returns true
 * when anything drawn may have changed since the last call (the window skips frames
 * otherwise, leaving the CPU to training). */
bool ui_app_update(ui_app *a);
/* Draw phase: draws everything at the renderer's output size, fills a->layout. */
void ui_app_draw(ui_app *a);
/* Enters lesson step k (runs its actions). */
void ui_app_enter_step(ui_app *a, int k);

/* Speeds offered, steps per second (0: as fast as possible). */
double ui_speed_value(int idx);
int ui_speed_count(void);
int ui_speed_index(double sps);

/* ---- views (one file each); each draws into r and records into a->layout ---- */
void ui_bar_view_draw(ui_app *a, SDL_Rect r);
void ui_graph_view_draw(ui_app *a, SDL_Rect r);
void ui_mask_view_draw(ui_app *a, SDL_Rect r);
void ui_metrics_view_draw(ui_app *a, SDL_Rect r);
void ui_weights_view_draw(ui_app *a, SDL_Rect r);
void ui_batch_view_draw(ui_app *a, SDL_Rect r);
void ui_lesson_view_draw(ui_app *a, SDL_Rect r);
void ui_help_view_draw(ui_app *a, SDL_Rect r);

/* Graph grouping shared by the graph and weights views: fills a->layout.boxes
 * (rects empty) from a->graph, honouring opened groups. */
void ui_graph_group(ui_app *a);
/* The Dropout layer the mask view shows: the selected layer if it is a Dropout, else
 * the one chosen with D, else the first; -1 none. */
int ui_app_dropout_index(const ui_app *a);
/* Dropout layers of the model: how many, and the position of layer d among them. */
int ui_app_dropout_count(const ui_app *a, int d, int *pos);

/* ---- drawing helpers (draw.c) ---- */
void ui_hit_add(ui_app *a, SDL_Rect r, ui_action_id act, int arg);
void ui_color(SDL_Renderer *ren, SDL_Color c);
void ui_fill(SDL_Renderer *ren, SDL_Rect r, SDL_Color c);
void ui_frame(SDL_Renderer *ren, SDL_Rect r, SDL_Color c, int thick);
void ui_line(SDL_Renderer *ren, int x0, int y0, int x1, int y1, SDL_Color c, int thick);
void ui_hatch(SDL_Renderer *ren, SDL_Rect r, SDL_Color c, int spacing);
void ui_padlock(SDL_Renderer *ren, SDL_Rect r, SDL_Color body, SDL_Color hole);
void ui_arrow(SDL_Renderer *ren, int x0, int y0, int x1, int y1, SDL_Color c, int thick,
              int head);
/* Draws a panel with a title; returns the content rect below the title. */
SDL_Rect ui_panel(ui_app *a, SDL_Rect r, const char *title);
/* The width ui_button would take. */
int ui_button_width(ui_app *a, const char *label, const char *key);
/* A button: draws, registers the hit, returns its width. */
int ui_button(ui_app *a, int x, int y, int h, const char *label, const char *key,
              ui_action_id act, int arg, bool on);
/* Formats n with thousands separators ("19,268,096"). */
char *ui_fmt_count(size_t n, char *buf, size_t len);

#endif
