/* The status line's behaviour-bearing parts (issue 11), for the bar view: which step is
 * shown against the live one, the mode of the pass shown, and what training is doing. */
#include <stdio.h>

#include "ui/state.h"

void ui_status_step(const ui_app *a, char *out, size_t n)
{
    const nn_trace *cur = a->cur;
    long live = a->status.steps;
    if (cur && (a->history_back > 0 || cur->step != live))
        snprintf(out, n, "viewing step %ld (live: %ld)", cur->step, live);
    else
        snprintf(out, n, "step %ld", cur ? cur->step : 0L);
}

void ui_status_mode(const ui_app *a, char *out, size_t n)
{
    /* The mode of the snapshot every panel shows; the next step's when it differs (e.g.
     * after a lesson's predict, which ends in training mode). */
    bool next = a->graph.training;
    bool shown = a->cur ? a->cur->training : next;
    snprintf(out, n, "%s%s", shown ? "TRAINING" : "INFERENCE",
             shown == next ? "" : next ? " (next: training)" : " (next: inference)");
}

void ui_status_state(const ui_app *a, char *out, size_t n)
{
    /* Running: the rate measured (a lesson run goes at 20 steps/s or more whatever the
     * setting); paused: no rate at all. Then the setting. */
    char state[64];
    if (a->status.pending > 0 || a->playing) {
        if (a->status.steps_per_sec > 0)
            snprintf(state, sizeof state, "running at %.1f steps/s", a->status.steps_per_sec);
        else
            snprintf(state, sizeof state, "running");
    } else if (a->status.run_left > 0) {   /* a lesson run Space paused */
        snprintf(state, sizeof state, "paused, %ld steps of the run left", a->status.run_left);
    } else {
        snprintf(state, sizeof state, "paused");
    }
    double sp = ui_speed_value(a->speed_idx);
    if (sp > 0)
        snprintf(out, n, "%s, set to %g steps/s", state, sp);
    else
        snprintf(out, n, "%s, set to max speed", state);
}
