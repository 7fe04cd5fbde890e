/* The course as the window's menu shows it (key C): the shipped lessons in order, each
 * with its title and questions and what the student answered in this window (answers
 * survive opening another lesson: the course outlives the apps that record into it).
 * Built from the lesson files (parsed only, no session). */
#ifndef UI_COURSE_H
#define UI_COURSE_H

#include <stdbool.h>

#include "lesson/lesson.h"

#define UI_COURSE_MAX_Q 16

typedef struct {
    int step;               /* lesson step (0-based) the question is in */
    char prompt[160];
    char chosen_text[120];  /* the answer chosen, "" none yet */
    int chosen;             /* 0-based, -1 none yet */
    bool right;
} ui_course_q;

typedef struct {
    char path[4096];
    char title[160];
    int n_q;
    ui_course_q q[UI_COURSE_MAX_Q];
} ui_course_lesson;

typedef struct ui_course {
    int n;
    ui_course_lesson *lessons;
    int selected;           /* row the menu's Up/Down/Enter act on */
} ui_course;

/* The lessons (*.lesson, by name) of directory dir. A lesson that does not parse is
 * listed by its file name without questions. NULL only when out of memory. */
ui_course *ui_course_create(const char *dir);
void ui_course_destroy(ui_course *c);   /* NULL is fine */
/* Index of the lesson at path (the same file), or -1. */
int ui_course_find(const ui_course *c, const char *path);
/* Records choice (0-based) for the question of step `step` of lesson l. */
void ui_course_answer(ui_course *c, const ls_lesson *l, int step, int choice);
/* The lesson after the one at path, or NULL (the last, or not in the course). */
const ui_course_lesson *ui_course_next(const ui_course *c, const char *path);

#endif
