/* --record DIR: what a notebook user wants from a run (docs/record-format.md).
 * Arrays grow step by step in temporary files and are renamed into place when the
 * recorder closes, so an interrupted run never leaves a half-written file behind. */
#ifndef LS_RECORD_H
#define LS_RECORD_H

#include <stddef.h>

#include "engine/model.h"
#include "engine/trace.h"

typedef struct ls_recorder ls_recorder;

/* Creates DIR (and masks/, activations/) and keeps a copy of the initial weights. batch
 * is the fixed row width of the per-step arrays (short batches are padded: index -1,
 * mask 0). Nothing in DIR is replaced before ls_recorder_close. */
ls_recorder *ls_recorder_open(const char *dir, const nn_model *m, int batch, char *err, size_t errlen);
/* Appends one step's snapshot. 0 or -1. */
int ls_recorder_add(ls_recorder *r, const nn_trace *t, char *err, size_t errlen);
/* Writes weights_final/, weights_initial/ and metrics.csv, renames every array into
 * place, frees r. */
int ls_recorder_close(ls_recorder *r, nn_model *m, char *err, size_t errlen);
/* Drops the temporary files (nothing half-written stays), frees r. NULL is fine. */
void ls_recorder_abort(ls_recorder *r);

#endif
