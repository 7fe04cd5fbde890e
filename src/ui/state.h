/* The window's state and layout, below both the app (app.c changes the state: events,
 * actions, update) and the views (they read it and record what they drew where). A view
 * includes this, draw.h and views.h, never app.h.
 *
 * ui_app is the state: what the student chose, copies of the worker's published state,
 * and the layout the last frame left behind (boxes, padlocks, mask cells, thumbnails,
 * buttons) so mouse clicks and tests can find it again. Functions here only read the
 * state or fill a->layout; none of them fails or allocates except ui_graph_group. */
#ifndef UI_STATE_H
#define UI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <SDL.h>

#include "ui/input.h"
#include "ui/text.h"
#include "ui/theme.h"
#include "ui/worker.h"

#define UI_MAX_HITS 512
#define UI_MAX_THUMBS 64

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

/* Panels that share one place when the window is small or presenting: a row of tabs
 * over it, Tab (or a click) shows the next. */
typedef enum { UI_TAB_LESSON = 0, UI_TAB_METRICS, UI_TAB_WEIGHTS, UI_TAB_BATCH, UI_TABS } ui_tab;

/* Recent messages of the status line, kept for the message log (L). */
#define UI_LOG_MAX 32
#define UI_NOTES_MAX 48
typedef struct {
    char text[256];
    long step;               /* live step when it was said */
    Uint32 ticks;            /* SDL_GetTicks() then */
} ui_log_entry;

typedef struct {
    /* panels */
    SDL_Rect bar, graph, mask, metrics, weights, batch, lesson;
    /* graph */
    int n_boxes, cap_boxes;
    ui_box *boxes;
    int dropout_box, source_box;    /* boxes joined by the "masks" arrow, -1 */
    bool grad_strip;        /* boxes with weights carry a gradient-flow line (when the
                               graph has room for it: the layout decides) */
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
    /* the graph's miniature of the mask (on the box of the layer the Dropout masks):
     * unit i at mini.x + (i % mini_cols) * mini_pitch, mini.y + (i / mini_cols) *
     * mini_pitch; mini.w == 0: none drawn */
    SDL_Rect mini;
    int mini_cols, mini_pitch;
    /* panels sharing one place: the tab row, what it offers and which one shows */
    bool tabbed;             /* metrics, weights and batch (and in presenter mode the
                                lesson) share one place */
    SDL_Rect tabs;           /* the row of tabs; w == 0: none */
    int n_tabs;
    ui_tab tab_list[UI_TABS];
    SDL_Rect tab_rects[UI_TABS];
    ui_tab tab_shown;
    ui_focus seen_focus;     /* a lesson's focus, once seen, brings its tab forward */
    SDL_Rect message;        /* the message box drawn this frame; w == 0: none */
    /* clickable regions, registered while drawing */
    int n_hits;
    ui_hit hits[UI_MAX_HITS];
} ui_layout;

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
    int mask_mode;           /* mask view: 0 auto, else mask / gradients / keep frequency (M) */
    int history_back;        /* 0 live */
    int selected;            /* layer index, -1 none */
    bool presenter, help, quit;
    bool show_log;           /* the message log (L) is open */
    int help_page;           /* page of the key list shown (F1) when it takes several */
    ui_tab tab;              /* the panel chosen to show where panels share a place */
    bool *open_group;        /* per layer: the group starting here is opened */
    int n_open;
    int graph_scroll;        /* boxes scrolled off the top */
    bool graph_user_scroll;  /* graph_scroll is the student's (PgUp/PgDn, wheel) */
    int graph_sel_seen;      /* the selection graph_user_scroll was for */
    ui_focus focus;
    SDL_Point mouse;         /* last pointer position (-1,-1: none) */

    /* lesson */
    int lesson_step;
    int lesson_scroll;       /* pixels scrolled in the lesson panel */
    bool lesson_reveal;      /* an answer was just given: scroll its feedback into view */
    int lesson_need;         /* panel height the step's text needed when last drawn */
    int *answers;            /* per lesson step: chosen choice of its first question, -1 */
    int n_results;
    ui_expect_result results[64];

    /* copies of the worker's state */
    ui_graph graph;
    unsigned graph_ver;
    struct ui_course *course;/* the course menu's lessons and answers (course.h), or NULL */
    bool course_owned;       /* created by the app (else its owner's, kept across lessons) */
    bool course_open;        /* the menu is shown */
    char open_request[4096]; /* a lesson the student asked for (menu, next, dropped file):
                              * the window's owner opens it; "" none */
    bool reset_asked;
    struct ui_recording *rec;/* M: a GIF clip being recorded (app.c), or NULL */
    unsigned long notice_seq;        /* R asked "reset?": R again or Y confirms, anything else cancels */
    bool graph_overlaid;     /* graph's frozen flags are those of the snapshot looked back at */
    ui_metric *metrics;
    size_t n_metrics, cap_metrics;
    unsigned metrics_gen;
    unsigned ghost_seq;      /* the worker's finished runs (a compare's first twin) taken */
    ui_worker_status status;
    ui_snap *snap;           /* the snapshot drawn */
    const nn_trace *cur;     /* its trace */
    char message[256];       /* status line message (errors, confirmations) */
    char notes_seen[1024];   /* the session's notes already kept in notes[] */
    bool lesson_notes_said;  /* the lesson's import notes (its `notes` block) kept there */
    /* Notes, kept for the whole session at the head of the message log (L), never
     * pushed out by messages: the import's, then the session's (weights, cache). */
    ui_log_entry notes[UI_NOTES_MAX];
    int n_notes;
    Uint32 message_until;
    ui_log_entry log[UI_LOG_MAX];   /* ring of recent messages, newest at log_head - 1 */
    int n_log, log_head;
    unsigned long seen_error;

    /* Each view's cache, owned by the view (views.h): created on its first draw, freed
     * by its _forget function. NULL until then. */
    struct ui_batch_cache *batch_cache;
    struct ui_mask_cache *mask_cache;
    struct ui_metrics_cache *metrics_cache;

    unsigned long long signature;   /* of what the last update saw */

    /* When set (shot --describe, tests): what each frame drew is recorded here
     * (report.h). ui_app_draw resets it at the start of a frame. NULL normally. */
    struct ui_report *report;

    /* frame timing */
    double frame_ms;
    unsigned long frames;
    ui_layout layout;
} ui_app;

/* Speeds offered, steps per second (0: as fast as possible); idx is clamped. */
double ui_speed_value(int idx);
/* The offered speed closest to sps (<= 0: as fast as possible). */
int ui_speed_index(double sps);
/* The speed index dir (+1 faster, -1 slower) steps from idx, kept within the offers. */
int ui_speed_step(int idx, int dir);

/* Layer k of a->graph is a Dropout (it masks another layer). */
bool ui_is_dropout(const ui_app *a, int k);
/* The Dropout layer the mask view shows: the selected layer if it is a Dropout, else
 * the one chosen with D, else the first; -1 none. */
int ui_dropout_index(const ui_app *a);
/* Dropout layers of the model: how many, and the position of layer d among them
 * (pos may be NULL; -1 when d is not one). */
int ui_dropout_count(const ui_app *a, int d, int *pos);

/* The status line's parts (status.c): "step N" or "viewing step K (live: N)"; the mode
 * of the pass shown ("INFERENCE (next: training)"); what training does ("running at
 * 23.4 steps/s, set to 5 steps/s", "paused, 120 steps of the run left, ..."). */
void ui_status_step(const ui_app *a, char *out, size_t n);
void ui_status_mode(const ui_app *a, char *out, size_t n);
void ui_status_state(const ui_app *a, char *out, size_t n);
/* Sets the status line's message (shown whole for a few seconds) and keeps it in the
 * message log. */
void ui_say(ui_app *a, const char *msg);
/* Shows msg as the message for 4 s without putting it in the log. */
void ui_show_message(ui_app *a, const char *msg);
/* Puts msg in the message log (L) without showing it as the message. */
void ui_log_add(ui_app *a, const char *msg);
/* The k-th most recent message (0: newest), NULL past the last kept. */
const ui_log_entry *ui_log_get(const ui_app *a, int k);
/* Tab, the message log and clicks on tabs; false for any other action. */
bool ui_state_action(ui_app *a, ui_action_id act, int arg);

/* Graph box geometry, shared by the layout (how tall the graph must be) and the graph
 * view (which draws it). Line pitch of a box's small and first lines: */
int ui_box_line(const ui_theme *t);
int ui_box_head(const ui_theme *t);
/* The output shape a box shows (a group's: its last layer's). */
const char *ui_box_shape(const ui_app *a, const ui_box *b);
/* The text right of the shape ("rate 0.20" for a Dropout, else "1,049,600 params"). */
void ui_box_right_text(const ui_app *a, const ui_box *b, char *buf, size_t n);
/* Width of a box's first line beside its padlock, for a box w wide. */
int ui_box_inner(const ui_app *a, const ui_box *b, int w);
/* The shape and that text need a line each in a box w wide. */
bool ui_box_split(ui_app *a, const ui_box *b, int w);
/* A group's layer count ("4 layers"), and whether it fits on the name line. */
void ui_box_count_text(const ui_box *b, char *buf, size_t n);
bool ui_box_count_inline(ui_app *a, const ui_box *b, int w);
/* What a box says of its training= (a base called with training=False, a Dropout with
 * training=True, ...), or NULL when it follows the pass. */
const char *ui_box_training(const ui_app *a, const ui_box *b);
/* b holds the layer the shown Dropout masks (it carries the mask in miniature). */
bool ui_box_is_source(const ui_app *a, const ui_box *b);
/* Height of the miniature's area, units cells of the shown Dropout; pitch in *pitch. */
int ui_box_mini_height(const ui_app *a, int units, int *pitch, int *cols);
/* Height of a box's name line: one, or the lines a name wider than the box wraps to. */
int ui_box_name_height(ui_app *a, const ui_box *b, int w);
/* b holds weights (its gradient-flow line shows when the layout has room). */
bool ui_box_has_weights(const ui_app *a, const ui_box *b);
/* How many boxes hold weights: the rows of the weight panel and the gradient strip. */
int ui_boxes_with_weights(const ui_app *a);
/* The name a row of the weight and gradient panels gives box b (a base: its name). */
const char *ui_box_row_name(const ui_app *a, const ui_box *b);
/* The width those rows' names need (small font), between lo and hi pixels. */
int ui_box_row_names_width(ui_app *a, int lo, int hi);
/* Height of box b drawn w wide. */
int ui_box_height(ui_app *a, const ui_box *b, int w);
/* Width right of the boxes kept for the Dropout's "masks" bracket (0: no Dropout). */
int ui_graph_margin(ui_app *a);
/* Units the shown Dropout masks (its output size), 0 when none. */
int ui_mask_units(const ui_app *a);

/* Graph grouping shared by the graph and weights views: fills a->layout.boxes
 * (rects empty) from a->graph, honouring opened groups. Out of memory: fewer boxes. */
void ui_graph_group(ui_app *a);
/* Height of the top bar for theme t. */
int ui_bar_height(const ui_theme *t);
/* Places the panels (a->layout.bar, graph, weights, mask, lesson, metrics, batch) for
 * a->w x a->h, the theme and the boxes ui_graph_group left. Every box of the graph gets
 * its room before anything else: when the weights panel under the graph would leave it
 * too little, metrics, weights and batch share one tabbed place (a->tab chooses); in
 * presenter mode the graph, the mask and one tabbed place (lesson first) share the
 * screen. A panel not shown gets an empty rect. */
void ui_layout_compute(ui_app *a);

#endif
