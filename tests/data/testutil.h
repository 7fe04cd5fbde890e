/* Helpers shared by the data tests: scratch directories, writing crafted files, checking
 * that error messages name what they must. Header-only so each test stays one file. */
#ifndef DS_TESTUTIL_H
#define DS_TESTUTIL_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string. */
static inline char *tu_mkdtemp(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *p = malloc(512);
    snprintf(p, 512, "%s/dsdata-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        abort();
    }
    return p;
}

static inline char *tu_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* rm -rf for the flat or nested scratch trees the tests make. */
static inline void tu_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *sub = tu_join(path, e->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                tu_rmtree(sub);
            else
                unlink(sub);
            free(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline void tu_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

static inline void tu_write_gz(const char *path, const void *data, size_t n)
{
    gzFile g = gzopen(path, "wb");
    if (!g || (n && gzwrite(g, data, (unsigned)n) != (int)n) || gzclose(g) != Z_OK) {
        fprintf(stderr, "%s: gz write failed\n", path);
        abort();
    }
}

/* Whole file into a malloc'd buffer; *n its size. NULL if unreadable. */
static inline unsigned char *tu_slurp(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

static inline int tu_count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* A named pipe at dir/name; caller frees the path. A reader that opens it the blocking
 * way waits for a writer forever: tu_hang_guard turns such a hang into a failed test. */
static inline char *tu_mkfifo(const char *dir, const char *name)
{
    char *p = tu_join(dir, name);
    unlink(p);
    if (mkfifo(p, 0644) != 0) {
        perror(p);
        abort();
    }
    return p;
}

/* Kills the test (SIGALRM) if it is still running in `seconds`; 0 cancels. */
static inline void tu_hang_guard(unsigned seconds)
{
    alarm(seconds);
}

/* Redirects stderr (fd 2) to a scratch file until tu_stderr_end, which returns what was
 * written there (caller frees). For single-threaded tests of "nothing printed". */
static int tu_saved_stderr = -1;
static FILE *tu_stderr_file;
static inline void tu_stderr_begin(void)
{
    fflush(stderr);
    tu_stderr_file = tmpfile();
    tu_saved_stderr = dup(2);
    dup2(fileno(tu_stderr_file), 2);
}

static inline char *tu_stderr_end(void)
{
    fflush(stderr);
    dup2(tu_saved_stderr, 2);
    close(tu_saved_stderr);
    int fd = fileno(tu_stderr_file);
    off_t n = lseek(fd, 0, SEEK_END);
    char *s = calloc((size_t)(n > 0 ? n : 0) + 1, 1);
    if (n > 0 && pread(fd, s, (size_t)n, 0) < 0)
        s[0] = '\0';
    fclose(tu_stderr_file);
    return s;
}

/* Fails the test if msg holds a control character (a message must stay one line). */
static inline void tu_assert_one_line(const char *msg)
{
    for (const char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            fail_msg("message holds control character 0x%02x: %s", (unsigned char)*c, msg);
}

/* Fails the test unless msg contains every one of the NULL-terminated needles. */
#define tu_assert_msg(msg, ...) tu_assert_msg_((msg), __FILE__, __LINE__, __VA_ARGS__, NULL)
static inline void tu_assert_msg_(const char *msg, const char *file, int line, ...)
{
    if (getenv("DS_TEST_SHOW"))
        fprintf(stderr, "  [msg] %s\n", msg);
    va_list ap;
    va_start(ap, line);
    const char *s;
    while ((s = va_arg(ap, const char *))) {
        if (!strstr(msg, s)) {
            va_end(ap);
            fail_msg("%s:%d: message \"%s\" lacks \"%s\"", file, line, msg, s);
        }
    }
    va_end(ap);
}

#endif
