/* The random augmentation layers' arguments in a lesson's model block: RandomFlip(mode),
 * RandomRotation(factor), RandomZoom(height_factor, width_factor), RandomTranslation(
 * height_factor, width_factor), with fill_mode, interpolation, fill_value and seed, as
 * Keras spells them. A factor is a number f, meaning (-f, f), or a pair (lower, upper). */
#include <string.h>

#include "lesson/parse_internal.h"

static const char *const flip_modes[] = {"horizontal", "vertical", "horizontal_and_vertical", NULL};
static const char *const fill_modes[] = {"reflect", "wrap", "constant", "nearest", NULL};
static const char *const interps[] = {"bilinear", "nearest", NULL};

/* f or (lower, upper) into lo, hi; a single f must be >= 0 as Keras requires. */
static void read_factor(parser *p, const char *nm, const char *where, float *lo, float *hi)
{
    tok t = peek(p);
    if (is_punct(&t, '(') || is_punct(&t, '[')) {
        int close = is_punct(&t, '(') ? ')' : ']';
        next(p);
        *lo = (float)lsp_read_number(p, where);
        lsp_expect_punct(p, ',', "',' between the lower and upper bound");
        *hi = (float)lsp_read_number(p, "as the upper bound");
        lsp_expect_punct(p, close, close == ')' ? "')' after the upper bound" : "']' after the upper bound");
        if (!(*lo <= *hi))
            FAIL_TOK(p, &t, "%s (%g, %g): the lower bound is above the upper bound", nm, *lo, *hi);
        return;
    }
    double f = lsp_read_number(p, where);
    if (!(f >= 0))
        FAIL_TOK(p, &t, "%s %g: a single number f means (-f, f) and must be >= 0; give (lower, upper) for a one-sided range", nm, f);
    *lo = (float)-f;
    *hi = (float)f;
}

bool lsp_augment_arg(parser *p, nn_layer_cfg *cfg, const char *callee, const char *nm, const char *where)
{
    if (cfg->type != NN_AUGMENT)
        return false;
    tok t = peek(p);
    if (!strcmp(nm, "mode")) {
        cfg->aug_flip = lsp_read_choice(p, "mode", where, flip_modes) + 1; /* bits 1, 2, 3 */
    } else if (!strcmp(nm, "factor") || !strcmp(nm, "height_factor")) {
        read_factor(p, nm, where, &cfg->aug_lo[0], &cfg->aug_hi[0]);
    } else if (!strcmp(nm, "width_factor")) {
        if (is_kw(p, &t, "None") && cfg->aug_kind == NN_AUG_ZOOM) {
            next(p);
            cfg->aug_width_same = true;
            return true;
        }
        read_factor(p, nm, where, &cfg->aug_lo[1], &cfg->aug_hi[1]);
        cfg->aug_width_same = false;
    } else if (!strcmp(nm, "fill_mode")) {
        cfg->fill_mode = (nn_fill_mode)lsp_read_choice(p, "fill_mode", where, fill_modes);
    } else if (!strcmp(nm, "interpolation")) {
        cfg->interp = (nn_interp)lsp_read_choice(p, "interpolation", where, interps);
    } else if (!strcmp(nm, "fill_value")) {
        cfg->fill_value = (float)lsp_read_real(p, "fill_value", where, -1e30, 1e30);
    } else if (!strcmp(nm, "seed")) {
        if (!is_kw(p, &t, "None"))
            FAIL_TOK(p, &t, "%s's seed is not supported; the lesson's seed (fit: seed N) fixes every draw", callee);
        next(p);
    } else {
        return false;
    }
    return true;
}

void lsp_augment_finish(parser *p, const nn_layer_cfg *cfg, const char *callee, unsigned seen, const tok *at)
{
    if (cfg->aug_kind == NN_AUG_ROTATION && !(seen & 1u))
        FAIL_TOK(p, at, "RandomRotation needs a factor (a fraction of a full turn), e.g. RandomRotation(0.1)");
    if (cfg->aug_kind == NN_AUG_ZOOM && !(seen & 1u))
        FAIL_TOK(p, at, "RandomZoom needs a height_factor, e.g. RandomZoom(0.2) (negative zooms in)");
    if (cfg->aug_kind == NN_AUG_TRANSLATION && (seen & 3u) != 3u)
        FAIL_TOK(p, at, "%s needs height_factor and width_factor (fractions of the image), e.g. RandomTranslation(0.1, 0.1)",
                 callee);
}
