/* Key map; see input.h. */
#include "ui/input.h"

static const ui_key keys[] = {
    {SDLK_SPACE, 0, UI_ACT_PLAY, 0, "Space", "play / pause training"},
    {SDLK_s, 0, UI_ACT_STEP, 0, "S", "one training step"},
    {SDLK_MINUS, 0, UI_ACT_SLOWER, 0, "-", "slower (down to 0.5 steps/s)"},
    {SDLK_KP_MINUS, 0, UI_ACT_SLOWER, 0, "Keypad -", "slower"},
    {SDLK_EQUALS, 0, UI_ACT_FASTER, 0, "+", "faster (up to as fast as possible)"},
    {SDLK_PLUS, 0, UI_ACT_FASTER, 0, "+", "faster"},
    {SDLK_KP_PLUS, 0, UI_ACT_FASTER, 0, "Keypad +", "faster"},
    {SDLK_LEFT, 0, UI_ACT_HIST_BACK, 0, "Left", "step back: show an earlier snapshot"},
    {SDLK_RIGHT, 0, UI_ACT_HIST_FWD, 0, "Right", "step forward through snapshots"},
    {SDLK_END, 0, UI_ACT_HIST_LIVE, 0, "End", "back to the live step"},
    {SDLK_UP, 0, UI_ACT_LAYER_PREV, 0, "Up", "select the previous layer"},
    {SDLK_DOWN, 0, UI_ACT_LAYER_NEXT, 0, "Down", "select the next layer"},
    {SDLK_e, 0, UI_ACT_EXPAND, 0, "E", "open / close the collapsed frozen base"},
    {SDLK_RETURN, 0, UI_ACT_EXPAND, 0, "Enter", "open / close the collapsed frozen base"},
    {SDLK_f, 0, UI_ACT_FREEZE, 0, "F", "freeze / unfreeze the selected layer"},
    {SDLK_i, 0, UI_ACT_MODE, 0, "I", "training / inference mode"},
    {SDLK_LEFTBRACKET, 0, UI_ACT_RATE_DOWN, 0, "[", "dropout rate - 0.05"},
    {SDLK_RIGHTBRACKET, 0, UI_ACT_RATE_UP, 0, "]", "dropout rate + 0.05"},
    {SDLK_DOWN, KMOD_SHIFT, UI_ACT_LR_DOWN, 0, "Shift+Down", "learning rate down (1-2-5 steps)"},
    {SDLK_UP, KMOD_SHIFT, UI_ACT_LR_UP, 0, "Shift+Up", "learning rate up (1-2-5 steps)"},
    {SDLK_l, 0, UI_ACT_MESSAGE_LOG, 0, "L", "show / hide the notes and recent messages"},
    {SDLK_TAB, 0, UI_ACT_NEXT_PANEL, 0, "Tab", "next of the panels sharing a place"},
    {SDLK_r, 0, UI_ACT_RESET, 0, "R", "reset: re-initialise the weights (R again or Y confirms)"},
    {SDLK_y, 0, UI_ACT_CONFIRM, 0, "Y", "yes: confirm the reset R asked about"},
    {SDLK_g, 0, UI_ACT_SEED, 0, "G", "next seed (new masks and batches)"},
    {SDLK_COMMA, 0, UI_ACT_EXAMPLE_PREV, 0, ",", "previous example of the batch"},
    {SDLK_PERIOD, 0, UI_ACT_EXAMPLE_NEXT, 0, ".", "next example of the batch"},
    {SDLK_a, 0, UI_ACT_WHOLE_BATCH, 0, "A", "whole batch / one example"},
    {SDLK_d, 0, UI_ACT_NEXT_DROPOUT, 0, "D", "mask view: next Dropout layer"},
    {SDLK_m, 0, UI_ACT_MASK_VIEW, 0, "M", "mask view: mask / gradients / keep frequency"},
    {SDLK_x, 0, UI_ACT_CLEAR_GHOSTS, 0, "X", "metrics: clear the earlier runs' curves"},
    {SDLK_v, 0, UI_ACT_VALIDATE, 0, "V", "validate now"},
    {SDLK_n, 0, UI_ACT_LESSON_NEXT, 0, "N", "next lesson step"},
    {SDLK_b, 0, UI_ACT_LESSON_BACK, 0, "B", "previous lesson step"},
    {SDLK_1, 0, UI_ACT_ANSWER, 0, "1..9", "answer the question"},
    {SDLK_2, 0, UI_ACT_ANSWER, 1, "", ""},
    {SDLK_3, 0, UI_ACT_ANSWER, 2, "", ""},
    {SDLK_4, 0, UI_ACT_ANSWER, 3, "", ""},
    {SDLK_5, 0, UI_ACT_ANSWER, 4, "", ""},
    {SDLK_6, 0, UI_ACT_ANSWER, 5, "", ""},
    {SDLK_7, 0, UI_ACT_ANSWER, 6, "", ""},
    {SDLK_8, 0, UI_ACT_ANSWER, 7, "", ""},
    {SDLK_9, 0, UI_ACT_ANSWER, 8, "", ""},
    {SDLK_PAGEUP, 0, UI_ACT_SCROLL, -5, "PgUp", "scroll the layer graph up"},
    {SDLK_PAGEDOWN, 0, UI_ACT_SCROLL, 5, "PgDn", "scroll the layer graph down"},
    {SDLK_j, 0, UI_ACT_LESSON_SCROLL, 60, "J", "scroll the lesson text down"},
    {SDLK_k, 0, UI_ACT_LESSON_SCROLL, -60, "K", "scroll the lesson text up"},
    {SDLK_c, 0, UI_ACT_COURSE, 0, "C", "the course: lessons, questions, your answers"},
    {SDLK_w, 0, UI_ACT_SAVE_LESSON, 0, "W", "save the state as a lesson (the name is shown)"},
    {SDLK_t, 0, UI_ACT_RECORD, 0, "T", "record the next 30 steps as a GIF clip (tape)"},
    {SDLK_p, 0, UI_ACT_PRESENTER, 0, "P", "presenter mode (fullscreen, large type)"},
    {SDLK_F5, 0, UI_ACT_PRESENTER, 0, "F5", "presenter mode"},
    {SDLK_F1, 0, UI_ACT_HELP, 0, "F1", "show / hide this help"},
    {SDLK_h, 0, UI_ACT_HELP, 0, "H", "show / hide this help"},
    {SDLK_ESCAPE, 0, UI_ACT_HELP, -1, "Esc", "close help; leave presenter mode"},
    {SDLK_q, 0, UI_ACT_QUIT, 0, "Q", "quit"},
};

const ui_key *ui_keys(int *n)
{
    *n = (int)(sizeof keys / sizeof keys[0]);
    return keys;
}

ui_action_id ui_key_action(SDL_Keycode key, Uint16 mod, int *arg)
{
    bool shift = (mod & KMOD_SHIFT) != 0;
    bool ctrl = (mod & KMOD_CTRL) != 0;
    if (ctrl && key == SDLK_q) {
        *arg = 0;
        return UI_ACT_QUIT;
    }
    if (ctrl)
        return UI_ACT_NONE;
    /* '+' is Shift+'=' on most layouts: treat both as "faster". */
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const ui_key *k = &keys[i];
        if (k->key != key)
            continue;
        bool want_shift = (k->mod & KMOD_SHIFT) != 0;
        if (want_shift != shift && k->key != SDLK_EQUALS && k->key != SDLK_PLUS &&
            !(k->key >= SDLK_1 && k->key <= SDLK_9))
            continue;
        *arg = k->arg;
        return k->act;
    }
    return UI_ACT_NONE;
}

const char *ui_key_label(ui_action_id act)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].act == act && keys[i].label[0])
            return keys[i].label;
    return "";
}
