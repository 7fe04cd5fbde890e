/* libFuzzer harness for the lesson parser (src/lesson/parse.c, build.c and the engine's
 * model building it calls). Checks, besides the sanitizers:
 * - a failure always reads "fuzz.lesson:LINE:COL: message" with LINE, COL >= 1;
 * - a tiny error buffer gives the same verdict and is never overrun;
 * - a parsed lesson is consistent (names terminated, answers in range, bounds ordered,
 *   items of known kinds), and ls_lesson_build_model rebuilds the very model the
 *   parser checked the names against (same layer ranges).
 * Build: see tests/fuzz/meson.build, or directly with clang:
 *   clang -fsanitize=fuzzer,address,undefined -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L \
 *     -D_DEFAULT_SOURCE -I src -I BUILD tests/fuzz/fuzz_lesson.c src/lesson/parse.c \
 *     src/lesson/build.c src/engine/[a-z]*.c -lopenblas -lm -o fuzz_lesson
 *   ./fuzz_lesson -dict=tests/fuzz/corpus/lesson/keywords.dict corpus-copy/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/lesson.h"
#include "session/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap))
        abort();
}

static void check_lesson(const ls_lesson *l)
{
    if (!l->title || !l->path || l->n_decls < 1 || !l->decls)
        abort();
    if (l->data.n_classes < 2 || l->data.n_classes > LS_MAX_CLASSES)
        abort();
    for (int i = 0; i < l->data.n_classes; i++)
        if (l->data.classes[i] < 0 || l->data.classes[i] > 9)
            abort();
    if (l->fit.batch < 1)
        abort();
    for (int i = 0; i < l->n_decls; i++) {
        const ls_decl *d = &l->decls[i];
        check_name(d->name, sizeof d->name);
        check_name(d->cut, sizeof d->cut);
        check_name(d->base, sizeof d->base);
        if (d->n_inputs < 0 || d->n_inputs > LS_MAX_INPUTS)
            abort();
        for (int k = 0; k < d->n_inputs; k++)
            check_name(d->inputs[k], sizeof d->inputs[k]);
        if (d->kind == LS_DECL_LAYER && d->name[0] && d->cfg.name != d->name)
            abort();
    }
    for (int s = 0; s < l->n_steps; s++) {
        const ls_step *st = &l->steps[s];
        if (!st->title)
            abort();
        for (int i = 0; i < st->n_items; i++) {
            const ls_item *it = &st->items[i];
            switch (it->kind) {
            case LS_ITEM_TEXT:
                if (!it->u.text || !it->u.text[0])
                    abort();
                break;
            case LS_ITEM_ACTION:
                check_name(it->u.action.layer, sizeof it->u.action.layer);
                check_name(it->u.action.view, sizeof it->u.action.view);
                if (it->u.action.kind == LS_ACT_RATE && !(it->u.action.value >= 0 && it->u.action.value <= 1))
                    abort();
                if (it->u.action.kind == LS_ACT_EXAMPLE && (it->u.action.n < -1 || it->u.action.n >= l->fit.batch))
                    abort();
                break;
            case LS_ITEM_EXPECT:
                check_name(it->u.expect.layer, sizeof it->u.expect.layer);
                if (!it->u.expect.text)
                    abort();
                if (it->u.expect.cmp == LS_CMP_WITHIN && !(it->u.expect.a <= it->u.expect.b))
                    abort();
                break;
            case LS_ITEM_QUESTION: {
                const ls_question *q = &it->u.question;
                if (!q->prompt || q->n_choices < 2 || q->answer < 0 || q->answer >= q->n_choices)
                    abort();
                for (int c = 0; c < q->n_choices; c++)
                    if (!q->choices[c])
                        abort();
                break;
            }
            default:
                abort();
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    ls_lesson *l = ls_lesson_parse("fuzz.lesson", (const char *)data, size, err, sizeof err);
    if (!l) {
        int line = 0, col = 0, n = 0;
        if (!memchr(err, '\0', sizeof err) || sscanf(err, "fuzz.lesson:%d:%d: %n", &line, &col, &n) != 2 ||
            line < 1 || col < 1 || n == 0 || !err[n]) {
            fprintf(stderr, "bad error message: %s\n", err);
            abort();
        }
    }

    char small[12];
    memset(small, 'x', sizeof small);
    ls_lesson *l2 = ls_lesson_parse("fuzz.lesson", (const char *)data, size, small, sizeof small);
    if (!l != !l2 || (!l2 && !memchr(small, '\0', sizeof small)))
        abort();
    ls_lesson_destroy(l2);

    if (l) {
        check_lesson(l);
        if (l->decls[0].layer_first >= 0) { /* the parser built the model */
            nn_model *m = ls_lesson_build_model(l, err, sizeof err);
            if (!m) {
                fprintf(stderr, "parsed, but the model does not build: %s\n", err);
                abort();
            }
            for (int i = 0; i < l->n_decls; i++) {
                const ls_decl *d = &l->decls[i];
                if (d->layer_first < 0 || d->layer_first + d->layer_count > m->n_layers)
                    abort();
                if (d->kind == LS_DECL_LAYER && d->name[0] &&
                    strcmp(m->layers[d->layer_first]->name, d->name))
                    abort();
            }
            nn_model_destroy(m);
        }
        ls_lesson_destroy(l);
    }
    return 0;
}
