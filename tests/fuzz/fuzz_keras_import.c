/* libFuzzer harness for the Keras importer (src/lesson/keras_*.c, with the lesson
 * parser and the model building it calls). Checks, besides the sanitizers:
 * - a failure always reads "fuzz.py:LINE:COL: message", LINE and COL >= 1, LINE at
 *   most one past the input's last line, and gives no notes;
 * - a tiny error buffer gives the same verdict and is never overrun;
 * - an imported lesson parses again (the importer checked it), its model builds, and
 *   the notes are lines "fuzz.py:LINE: note: ...".
 * Build: see tests/fuzz/meson.build. Run:
 *   build-fuzz/tests/fuzz/fuzz_keras_import -dict=tests/fuzz/corpus/keras_import/keywords.dict \
 *     -max_total_time=60 findings/ tests/fuzz/corpus/keras_import */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keras/keras.h"
#include "lesson/lesson.h"
#include "session/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    char *notes = NULL;
    char *lesson = ls_keras_import_ex("fuzz.py", (const char *)data, size, &notes, err, sizeof err);
    int lines = 1;
    for (size_t i = 0; i < size; i++) /* \n, \r\n and a lone \r end lines, as in Python */
        lines += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
    if (!lesson) {
        int line = 0, col = 0, n = 0;
        if (!memchr(err, '\0', sizeof err) || sscanf(err, "fuzz.py:%d:%d: %n", &line, &col, &n) != 2 || line < 1 ||
            col < 1 || n == 0 || !err[n] || line > lines + 1 || notes) {
            fprintf(stderr, "bad error message: %s\n", err);
            abort();
        }
    }

    char small[12];
    memset(small, 'x', sizeof small);
    char *lesson2 = ls_keras_import("fuzz.py", (const char *)data, size, small, sizeof small);
    if (!lesson != !lesson2 || (!lesson2 && !memchr(small, '\0', sizeof small)))
        abort();
    if (lesson && strcmp(lesson, lesson2))
        abort(); /* deterministic */
    free(lesson2);

    if (lesson) {
        if (!notes)
            abort();
        for (const char *s = notes; *s;) {
            int line = 0, n = 0;
            if (sscanf(s, "fuzz.py:%d: note: %n", &line, &n) != 1 || n == 0 || line < 1 || line > lines + 1)
                abort();
            const char *e = strchr(s, '\n');
            if (!e)
                abort();
            s = e + 1;
        }
        ls_lesson *l = ls_lesson_parse("fuzz.lesson", lesson, strlen(lesson), err, sizeof err);
        if (!l) {
            fprintf(stderr, "the imported lesson does not parse: %s\n", err);
            abort();
        }
        nn_model *m = ls_lesson_build_model(l, err, sizeof err);
        if (!m) {
            fprintf(stderr, "the imported lesson's model does not build: %s\n", err);
            abort();
        }
        nn_model_destroy(m);
        ls_lesson_destroy(l);
    }
    free(notes);
    free(lesson);
    return 0;
}
