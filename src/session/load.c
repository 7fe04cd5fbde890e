/* "Open a lesson or a .py": the one entry the commands and the window use, so neither
 * needs to know that Keras scripts are imported (src/keras) before they are parsed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/util.h"
#include "keras/keras.h"
#include "session/load.h"

bool ls_is_python_path(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    return n >= 3 && !strcasecmp(path + n - 3, ".py");
}

ls_lesson *ls_lesson_load_any(const char *path, char *err, size_t errlen)
{
    if (!ls_is_python_path(path))
        return ls_lesson_load(path, err, errlen);
    /* a named pipe would block a plain fopen until a writer comes: refused unopened */
    FILE *f = ds_fopen_regular(path, NULL, err, errlen);
    if (!f)
        return NULL;
    size_t cap = LS_KERAS_MAX_FILE + 1;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        ds_seterr(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, cap, f);
    bool bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        ds_seterr(err, errlen, "%s: read error: %s", path, strerror(e));
        return NULL;
    }
    char *text = ls_keras_import(path, buf, n, err, errlen);
    free(buf);
    if (!text)
        return NULL;
    ls_lesson *l = ls_lesson_parse(path, text, strlen(text), err, errlen);
    free(text);
    return l;
}
