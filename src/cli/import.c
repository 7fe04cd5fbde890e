/* dropscope import MODEL.py [-o OUT.lesson]: a student's Keras file as a lesson
 * (src/keras/keras.h, docs/keras-import.md). The lesson goes to OUT (written
 * atomically) or to stdout; the notes (what was not imported, and why) go to stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "data/atomicio.h"
#include "keras/keras.h"

#define IMPORT_USAGE "MODEL.py [-o OUT.lesson]"

/* The whole file (at most limit bytes plus one, so a longer file is seen as such). */
static char *read_file(const char *path, size_t limit, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(limit + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, limit + 1, f);
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

int ds_cmd_import(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "-o") || !strcmp(o, "--output")) {
            if (!cli_arg_text("import", o, i + 1 < argc ? argv[i + 1] : NULL, "a file name"))
                return 2;
            out = argv[++i];
        } else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            printf("usage: dropscope import " IMPORT_USAGE "\n"
                   "Reads the Keras Python that builds and compiles a model and writes it as a lesson\n"
                   "(to OUT.lesson, or to stdout). What is not imported is said on stderr.\n");
            return 0;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "dropscope import: unknown option '%s'\n", o);
            return cli_usage("import", IMPORT_USAGE);
        } else if (!in) {
            in = o;
        } else {
            fprintf(stderr, "dropscope import: one file at a time ('%s' and '%s')\n", in, o);
            return 2;
        }
    }
    if (!in)
        return cli_usage("import", IMPORT_USAGE);
    char err[2048];
    size_t len = 0;
    char *text = read_file(in, 1u << 20, &len, err, sizeof err);
    if (!text) {
        fprintf(stderr, "dropscope import: %s\n", err);
        return 2;
    }
    char *notes = NULL;
    char *lesson = ls_keras_import_ex(in, text, len, &notes, err, sizeof err);
    free(text);
    if (!lesson) {
        fprintf(stderr, "dropscope import: %s\n", err);
        return 2;
    }
    if (notes && notes[0])
        fputs(notes, stderr);
    free(notes);
    /* the importer has checked it already; this is the file as it will be read */
    const char *name = out ? out : "(stdout)";
    ls_lesson *l = ls_lesson_parse(name, lesson, strlen(lesson), err, sizeof err);
    if (!l) {
        fprintf(stderr, "dropscope import: the lesson written from %s does not parse: %s\n", in, err);
        free(lesson);
        return 2;
    }
    ls_lesson_destroy(l);
    int rc = 0;
    if (out) {
        if (ds_write_file_atomic(out, lesson, strlen(lesson), err, sizeof err) < 0) {
            fprintf(stderr, "dropscope import: %s\n", err);
            rc = 2;
        } else {
            fprintf(stderr, "dropscope import: wrote %s\n", out);
        }
    } else if (fputs(lesson, stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "dropscope import: cannot write the lesson: %s\n", strerror(errno));
        rc = 2;
    }
    free(lesson);
    return rc;
}
