/* Sharing from the window (issue 13's keys): W saves the state as a lesson file, M
 * records the next steps into a GIF clip. The file names are chosen here (in the
 * current directory, never over an existing file) and shown in the status line. */
#ifndef UI_SHARE_H
#define UI_SHARE_H

#include "ui/state.h"

/* Steps T records. */
#define UI_CLIP_STEPS 30

/* W: queues the save (the worker writes it: ls_session_save_lesson) and says the name;
 * the worker's notice or error says how it went. */
void ui_share_save_lesson(ui_app *a);
/* M: starts a clip of the next UI_CLIP_STEPS steps (training pauses; the clip steps
 * once per frame, so every step is in it); M while recording ends it early. */
void ui_share_record(ui_app *a);
/* After each drawn frame: a new snapshot becomes a frame; the next step is asked for;
 * the clip is written when complete. */
void ui_share_frame(ui_app *a);
/* Ends a recording with what it has (the app is going away). NULL rec is fine. */
void ui_share_forget(ui_app *a);

#endif
