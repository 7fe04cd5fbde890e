/* The course menu: the course (course.h) and its overlay, drawn over the window as the
 * key help is. A row per lesson (clicked or Enter: open it), under it its questions and
 * what the student answered. */
#include "ui/course.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ui/draw.h"
#include "ui/report.h"
#include "ui/views.h"

static int by_path(const void *x, const void *y)
{
    return strcmp(((const ui_course_lesson *)x)->path, ((const ui_course_lesson *)y)->path);
}

static void read_lesson(ui_course_lesson *cl)
{
    char err[512];
    ls_lesson *l = ls_lesson_load(cl->path, err, sizeof err);
    const char *base = strrchr(cl->path, '/');
    snprintf(cl->title, sizeof cl->title, "%.150s", base ? base + 1 : cl->path);
    if (!l)
        return;
    if (l->title)
        snprintf(cl->title, sizeof cl->title, "%s", l->title);
    for (int k = 0; k < l->n_steps && cl->n_q < UI_COURSE_MAX_Q; k++)
        for (int i = 0; i < l->steps[k].n_items; i++)
            if (l->steps[k].items[i].kind == LS_ITEM_QUESTION) {
                ui_course_q *q = &cl->q[cl->n_q++];
                q->step = k;
                q->chosen = -1;
                snprintf(q->prompt, sizeof q->prompt, "%s", l->steps[k].items[i].u.question.prompt);
                break;   /* the window answers a step's first question */
            }
    ls_lesson_destroy(l);
}

ui_course *ui_course_create(const char *dir)
{
    ui_course *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 8 || strcmp(e->d_name + n - 7, ".lesson"))
            continue;
        ui_course_lesson *more = realloc(c->lessons, (size_t)(c->n + 1) * sizeof *more);
        if (!more)
            break;
        c->lessons = more;
        ui_course_lesson *cl = &c->lessons[c->n++];
        memset(cl, 0, sizeof *cl);
        snprintf(cl->path, sizeof cl->path, "%s/%s", dir, e->d_name);
    }
    if (d)
        closedir(d);
    if (c->n > 1)
        qsort(c->lessons, (size_t)c->n, sizeof *c->lessons, by_path);
    for (int i = 0; i < c->n; i++)
        read_lesson(&c->lessons[i]);
    return c;
}

void ui_course_destroy(ui_course *c)
{
    if (!c)
        return;
    free(c->lessons);
    free(c);
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int ui_course_find(const ui_course *c, const char *path)
{
    for (int i = 0; c && path && i < c->n; i++)
        if (same_file(c->lessons[i].path, path))
            return i;
    return -1;
}

void ui_course_answer(ui_course *c, const ls_lesson *l, int step, int choice)
{
    int k = l ? ui_course_find(c, l->path) : -1;
    if (k < 0 || step < 0 || step >= l->n_steps)
        return;
    ui_course_lesson *cl = &c->lessons[k];
    for (int i = 0; i < cl->n_q; i++) {
        if (cl->q[i].step != step)
            continue;
        for (int j = 0; j < l->steps[step].n_items; j++) {
            const ls_item *it = &l->steps[step].items[j];
            if (it->kind != LS_ITEM_QUESTION || choice >= it->u.question.n_choices)
                continue;
            cl->q[i].chosen = choice;
            cl->q[i].right = choice == it->u.question.answer;
            snprintf(cl->q[i].chosen_text, sizeof cl->q[i].chosen_text, "%s",
                     it->u.question.choices[choice]);
            return;
        }
    }
}

const ui_course_lesson *ui_course_next(const ui_course *c, const char *path)
{
    int k = ui_course_find(c, path);
    return k >= 0 && k + 1 < c->n ? &c->lessons[k + 1] : NULL;
}

/* One lesson's row and its questions; returns the height used. */
static int draw_lesson(ui_app *a, const ui_course_lesson *cl, int i, SDL_Rect row, bool current)
{
    const ui_theme *t = &a->theme;
    const ui_course *c = a->course;
    char buf[400], fit[400];
    int lh = t->font_normal + t->font_normal / 3;
    int y = row.y;
    SDL_Rect hit = {row.x, y, row.w, lh};
    if (i == c->selected)
        ui_fill(a->ren, hit, t->button);
    snprintf(buf, sizeof buf, "%d  %s%s", i + 1, cl->title, current ? "  (open now)" : "");
    ui_text_fit(a->text, UI_FONT_BOLD, t->font_normal, buf, row.w, fit, sizeof fit);
    ui_text_draw(a->text, UI_FONT_BOLD, t->font_normal, current ? t->accent : t->text, fit, row.x,
                 y, 0, 0);
    ui_hit_add(a, hit, UI_ACT_OPEN_LESSON, i);
    y += lh;
    for (int q = 0; q < cl->n_q; q++) {
        const ui_course_q *Q = &cl->q[q];
        if (Q->chosen >= 0)
            snprintf(buf, sizeof buf, "%s  -  you: %s %s", Q->prompt, Q->chosen_text,
                     Q->right ? "\xe2\x9c\x93" : "\xe2\x9c\x97");
        else
            snprintf(buf, sizeof buf, "%s  -  not answered", Q->prompt);
        ui_text_fit(a->text, UI_FONT_SANS, t->font_small, buf, row.w - 2 * t->pad, fit, sizeof fit);
        ui_text_draw(a->text, UI_FONT_SANS, t->font_small,
                     Q->chosen < 0 ? t->text_dim : Q->right ? t->good : t->bad, fit,
                     row.x + 2 * t->pad, y, 0, 0);
        y += t->font_small + t->font_small / 3;
    }
    return y - row.y + t->pad / 2;
}

void ui_course_view_draw(ui_app *a, SDL_Rect r)
{
    const ui_theme *t = &a->theme;
    const ui_course *c = a->course;
    SDL_SetRenderDrawBlendMode(a->ren, SDL_BLENDMODE_BLEND);
    SDL_Color shade = t->bg;
    shade.a = 225;
    ui_fill(a->ren, r, shade);
    SDL_Rect p = {r.x + r.w / 10, r.y + r.h / 14, r.w * 8 / 10, r.h * 12 / 14};
    ui_fill(a->ren, p, t->panel);
    ui_frame(a->ren, p, t->accent, 2);
    ui_report_panel(a->report, "course", p, 0);
    ui_text_draw(a->text, UI_FONT_BOLD, t->font_title, t->text,
                 "The course (click or Enter: open; C or Esc: close)", p.x + p.w / 2, p.y + t->pad,
                 UI_ALIGN_CENTER, 0);
    SDL_Rect row = {p.x + t->pad, p.y + t->pad + 2 * t->font_title, p.w - 2 * t->pad, 0};
    if (!c || c->n == 0) {
        ui_text_draw(a->text, UI_FONT_SANS, t->font_normal, t->text_dim,
                     "No lessons found in the course directory.", row.x, row.y, 0, 0);
        return;
    }
    int cur = ui_course_find(c, a->lesson ? a->lesson->path : NULL);
    for (int i = 0; i < c->n && row.y < p.y + p.h - t->font_normal; i++)
        row.y += draw_lesson(a, &c->lessons[i], i, row, i == cur);
}
