/* Actions and the key map. Every action has a key; F1 shows the table. Mouse clicks
 * map to the same actions through the hit regions the views register while drawing. */
#ifndef UI_INPUT_H
#define UI_INPUT_H

#include <stdbool.h>
#include <SDL.h>

typedef enum {
    UI_ACT_NONE = 0,
    UI_ACT_QUIT,
    UI_ACT_HELP,
    UI_ACT_PLAY,            /* play / pause */
    UI_ACT_STEP,            /* one step (pauses) */
    UI_ACT_SLOWER,
    UI_ACT_FASTER,
    UI_ACT_HIST_BACK,       /* show an older snapshot */
    UI_ACT_HIST_FWD,
    UI_ACT_HIST_LIVE,       /* back to the newest */
    UI_ACT_LAYER_PREV,
    UI_ACT_LAYER_NEXT,
    UI_ACT_EXPAND,          /* open / close the collapsed frozen base */
    UI_ACT_FREEZE,          /* freeze / unfreeze the selected layer */
    UI_ACT_MODE,            /* training / inference */
    UI_ACT_RATE_DOWN,
    UI_ACT_RATE_UP,
    UI_ACT_LR_DOWN,
    UI_ACT_LR_UP,
    UI_ACT_RESET,
    UI_ACT_SEED,
    UI_ACT_EXAMPLE_PREV,
    UI_ACT_EXAMPLE_NEXT,
    UI_ACT_WHOLE_BATCH,
    UI_ACT_VALIDATE,
    UI_ACT_LESSON_NEXT,
    UI_ACT_LESSON_BACK,
    UI_ACT_ANSWER,          /* arg: choice 0.. */
    UI_ACT_PRESENTER,
    UI_ACT_SCROLL,          /* arg: graph rows (mouse wheel, PageUp/PageDown) */
    UI_ACT_LESSON_SCROLL,   /* arg: pixels (J/K, mouse wheel over the lesson) */
    UI_ACT_NEXT_DROPOUT,    /* the mask view shows the next Dropout layer (D) */
    /* mouse only */
    UI_ACT_SELECT_LAYER,    /* arg: layer index */
    UI_ACT_TOGGLE_GROUP,    /* arg: first layer of the group */
    UI_ACT_SELECT_EXAMPLE,  /* arg: example (-1: whole batch) */
    UI_ACT_SHOW_DROPOUT,    /* arg: a Dropout layer for the mask view */
    UI_ACT_CONFIRM,         /* Y: yes to the question asked (R's reset) */
    UI_ACT_COURSE,          /* the course menu (C) */
    UI_ACT_OPEN_LESSON,     /* arg: a lesson of the course menu */
    UI_ACT_SAVE_LESSON,     /* W: the state as a lesson file */
    UI_ACT_RECORD,          /* T: the next steps into a GIF clip */
    UI_ACT_MASK_VIEW,       /* mask view: mask / gradients / keep frequency (M) */
    UI_ACT_CLEAR_GHOSTS,    /* metrics: drop the earlier runs' ghost curves (X) */
    /* panels sharing a place, messages */
    UI_ACT_NEXT_PANEL,      /* Tab: the next of the panels sharing one place */
    UI_ACT_MESSAGE_LOG,     /* L: show / hide the recent messages */
    UI_ACT_SHOW_PANEL,      /* mouse, arg: a ui_tab */
    UI_ACT_COUNT
} ui_action_id;

typedef struct {
    SDL_Keycode key;
    Uint16 mod;             /* KMOD_SHIFT / KMOD_CTRL required, 0: none of them */
    ui_action_id act;
    int arg;
    const char *label;      /* "Space" */
    const char *what;       /* "play / pause" */
} ui_key;

/* The key table (also what F1 shows), n entries in *n. */
const ui_key *ui_keys(int *n);
/* Action for a key press; UI_ACT_NONE if unbound. *arg receives the argument. */
ui_action_id ui_key_action(SDL_Keycode key, Uint16 mod, int *arg);
/* First key label bound to act ("Space"), or "". */
const char *ui_key_label(ui_action_id act);

#endif
