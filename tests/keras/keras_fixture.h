/* The Keras importer's tests: reading a fixture script of tests/fixtures/keras/ (under
 * $DROPSCOPE_SOURCE_DIR, else the current directory). Shared by tests/keras/ and
 * tests/lesson/test_keras_import.c; include after <cmocka.h>. */
#ifndef DS_TEST_KERAS_FIXTURE_H
#define DS_TEST_KERAS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

/* The fixture's text, NUL-terminated (caller frees); fails the test when unreadable. */
static inline char *keras_fixture_read(const char *name, size_t *len)
{
    const char *d = getenv("DROPSCOPE_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/keras/%s", d && *d ? d : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        print_error("cannot open %s\n", path);
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

#endif
