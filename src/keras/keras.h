/* Importing a student's Keras Python file as a lesson (docs/keras-import.md).
 *
 * The importer reads the subset of Python that builds a Keras model (imports,
 * InceptionV3, load_weights, trainable loops and assignments, get_layer, the functional
 * API, Sequential/add, the layers dropscope has, Model, compile) and writes a lesson in
 * the format of docs/lesson-format.md, with Fashion-MNIST standing in for the student's
 * images and a few steps (the model, training, inference). Statements outside the model
 * (fit, plots, data generators, prints ...) are noted ("line N: ... is not imported:
 * why"), never dropped silently; anything that would change the model and that the
 * lesson cannot express fails with "path:line:col: message". The written lesson is
 * checked by the lesson parser before it is returned.
 * Never includes SDL. */
#ifndef LS_KERAS_IMPORT_H
#define LS_KERAS_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "lesson/lesson.h"

/* The most bytes of Python read, as for lessons. */
#define LS_KERAS_MAX_FILE (1u << 20)

/* Imports text (len bytes of Python; path names it in messages). Returns the lesson
 * text (NUL-terminated; the caller frees it), or NULL with "path:line:col: message" in
 * err. The notes are also written into the lesson, as comments and in its first step. */
char *ls_keras_import(const char *path, const char *text, size_t len, char *err, size_t errlen);

/* Same; when notes is not NULL, *notes receives the notes, one per line as
 * "path:LINE: note: text\n" (caller frees; an empty string when there are none;
 * NULL on failure). */
char *ls_keras_import_ex(const char *path, const char *text, size_t len, char **notes, char *err,
                         size_t errlen);

#endif
