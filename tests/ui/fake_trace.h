/* A stand-in backend for the window: a hand-made model description and traces filled
 * by hand (deterministic), so views can be drawn and checked without data or an
 * engine. Tests that claim the engine's numbers use the real session instead. */
#ifndef UI_FAKE_TRACE_H
#define UI_FAKE_TRACE_H

#include "ui/worker.h"

typedef struct {
    int batch;          /* default 20 */
    int units;          /* masked units, default 1024 */
    int base_layers;    /* frozen layers before flatten (>= 2), default 5 */
    float rate;         /* default 0.2 */
    unsigned long seed;
    int step_sleep_us;  /* simulated step time */
} fake_options;

/* A backend producing fake traces. NULL on allocation failure. */
ui_backend *fake_backend_create(const fake_options *o);
/* A standalone trace (as the backend's step would make), for drawing tests. */
nn_trace *fake_trace_make(int batch, int units, float rate, bool training, long step,
                          unsigned long seed);
void fake_trace_free(nn_trace *t);
/* Commands the fake backend received, for state checks. */
typedef struct {
    int freezes, rates, modes, lrs, resets, seeds, steps;
} fake_counts;
fake_counts fake_backend_counts(const ui_backend *b);

#endif
