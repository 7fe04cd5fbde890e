/* Frame report; see report.h. */
#include "ui/report.h"

#include <string.h>

void ui_report_reset(ui_report *r)
{
    if (r)
        memset(r, 0, sizeof *r);
}

void ui_report_panel(ui_report *r, const char *name, SDL_Rect rect, long step)
{
    if (!r)
        return;
    snprintf(r->cur_panel, sizeof r->cur_panel, "%s", name);
    for (int i = 0; i < r->n_panels; i++)
        if (strcmp(r->panels[i].name, name) == 0) {   /* drawn again: the last draw counts */
            r->panels[i].rect = rect;
            r->panels[i].step = step;
            return;
        }
    if (r->n_panels >= UI_REPORT_PANELS)
        return;
    ui_report_panel_rec *p = &r->panels[r->n_panels++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->rect = rect;
    p->step = step;
}

void ui_report_text(ui_report *r, int px)
{
    if (r && px > 0 && (r->min_text_px == 0 || px < r->min_text_px))
        r->min_text_px = px;
}

void ui_report_clip(ui_report *r, const char *text)
{
    if (!r)
        return;
    r->clipped_total++;
    if (r->n_clipped >= UI_REPORT_CLIPS)
        return;
    ui_report_clip_rec *c = &r->clipped[r->n_clipped++];
    snprintf(c->panel, sizeof c->panel, "%s", r->cur_panel);
    snprintf(c->text, sizeof c->text, "%s", text ? text : "");
}

void ui_report_mask(ui_report *r, const char *layer, long units, long crossed, long step)
{
    if (!r)
        return;
    r->mask_drawn = true;
    snprintf(r->mask_layer, sizeof r->mask_layer, "%s", layer ? layer : "");
    r->mask_units = units;
    r->mask_crossed = crossed;
    r->mask_step = step;
}

void ui_report_mask_caption(ui_report *r, const char *line, const char *sub)
{
    if (r)
        snprintf(r->mask_caption, sizeof r->mask_caption, "%s%s%s", line ? line : "", sub ? " | " : "",
                 sub ? sub : "");
}

void ui_report_grad(ui_report *r, const char *box, const char *says)
{
    if (!r || r->n_grads >= UI_REPORT_GRADS)
        return;
    snprintf(r->grads[r->n_grads].box, sizeof r->grads[0].box, "%s", box ? box : "");
    snprintf(r->grads[r->n_grads].says, sizeof r->grads[0].says, "%s", says ? says : "");
    r->n_grads++;
}

void ui_report_box(ui_report *r, const char *name)
{
    if (!r || r->n_boxes >= (int)(sizeof r->boxes / sizeof r->boxes[0]))
        return;
    snprintf(r->boxes[r->n_boxes++], sizeof r->boxes[0], "%s", name ? name : "");
}

void ui_report_bn_state(ui_report *r, const char *text)
{
    if (r)
        snprintf(r->bn_state, sizeof r->bn_state, "%s", text ? text : "");
}

void ui_report_status(ui_report *r, const char *text)
{
    if (r)
        snprintf(r->status, sizeof r->status, "%s", text ? text : "");
}

void ui_report_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void ui_report_write_members(const ui_report *r, FILE *f)
{
    fputs("\"status\":", f);
    ui_report_json_string(f, r->status);
    fputs(",\"panels\":[", f);
    for (int i = 0; i < r->n_panels; i++) {
        const ui_report_panel_rec *p = &r->panels[i];
        fprintf(f, "%s{\"name\":", i ? "," : "");
        ui_report_json_string(f, p->name);
        fprintf(f, ",\"rect\":[%d,%d,%d,%d],\"step\":%ld}", p->rect.x, p->rect.y, p->rect.w,
                p->rect.h, p->step);
    }
    fputs("],\"mask\":", f);
    if (r->mask_drawn) {
        fputs("{\"layer\":", f);
        ui_report_json_string(f, r->mask_layer);
        fprintf(f, ",\"units\":%ld,\"crossed\":%ld,\"step\":%ld,\"caption\":", r->mask_units,
                r->mask_crossed, r->mask_step);
        ui_report_json_string(f, r->mask_caption);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs(",\"clipped\":[", f);
    for (int i = 0; i < r->n_clipped; i++) {
        fprintf(f, "%s{\"panel\":", i ? "," : "");
        ui_report_json_string(f, r->clipped[i].panel);
        fputs(",\"text\":", f);
        ui_report_json_string(f, r->clipped[i].text);
        fputc('}', f);
    }
    fprintf(f, "],\"clipped_total\":%ld,\"min_text_px\":%d", r->clipped_total, r->min_text_px);
    fputs(",\"grad_flow\":[", f);
    for (int i = 0; i < r->n_grads; i++) {
        fprintf(f, "%s{\"box\":", i ? "," : "");
        ui_report_json_string(f, r->grads[i].box);
        fputs(",\"says\":", f);
        ui_report_json_string(f, r->grads[i].says);
        fputc('}', f);
    }
    fputs("],\"bn_state\":", f);
    if (r->bn_state[0])
        ui_report_json_string(f, r->bn_state);
    else
        fputs("null", f);
    fputs(",\"graph_boxes\":[", f);
    for (int i = 0; i < r->n_boxes; i++) {
        if (i)
            fputc(',', f);
        ui_report_json_string(f, r->boxes[i]);
    }
    fputc(']', f);
}
