/* Atomic writes: a commit replaces the file whole, an abort or a failure leaves the old
 * one, and a writer SIGKILLed in the middle of a large write leaves the old file intact
 * with no partial file in its place. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "data/atomicio.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp("atomic");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir);
    return 0;
}

static void assert_file(const char *p, const char *content)
{
    size_t n;
    unsigned char *b = tu_slurp(p, &n);
    assert_non_null(b);
    assert_int_equal(n, strlen(content));
    assert_memory_equal(b, content, n);
    free(b);
}

static void test_commit_replaces(void **state)
{
    (void)state;
    char *p = tu_join(dir, "a.txt");
    char err[512] = "";
    assert_int_equal(ds_write_file_atomic(p, "first", 5, err, sizeof err), 0);
    assert_file(p, "first");
    ds_atomic *a = ds_atomic_open(p, err, sizeof err);
    assert_non_null(a);
    assert_string_equal(ds_atomic_path(a), p);
    fputs("second version", ds_atomic_file(a));
    /* Until commit the old content is what readers see. */
    assert_file(p, "first");
    assert_int_equal(ds_atomic_commit(a, err, sizeof err), 0);
    assert_file(p, "second version");
    /* Only the file itself is left: no temp file. */
    assert_int_equal(tu_count_entries(dir), 1);
    unlink(p);
    free(p);
}

static void test_abort_keeps_old(void **state)
{
    (void)state;
    char *p = tu_join(dir, "b.txt");
    char err[512] = "";
    assert_int_equal(ds_write_file_atomic(p, "keep me", 7, err, sizeof err), 0);
    ds_atomic *a = ds_atomic_open(p, err, sizeof err);
    fputs("never seen", ds_atomic_file(a));
    ds_atomic_abort(a);
    ds_atomic_abort(NULL);
    assert_file(p, "keep me");
    assert_int_equal(tu_count_entries(dir), 1);
    unlink(p);
    free(p);
}

/* The new file keeps the old one's permissions; a new file gets 0644. */
static void test_mode(void **state)
{
    (void)state;
    char *p = tu_join(dir, "m.txt");
    char err[512] = "";
    assert_int_equal(ds_write_file_atomic(p, "x", 1, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    chmod(p, 0600);
    assert_int_equal(ds_write_file_atomic(p, "y", 1, err, sizeof err), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    unlink(p);
    free(p);
}

static void test_errors(void **state)
{
    (void)state;
    char err[512] = "";
    char *p = tu_join(dir, "missing-dir/c.txt");
    assert_null(ds_atomic_open(p, err, sizeof err));
    tu_assert_msg(err, p, "temporary file");
    assert_int_equal(ds_write_file_atomic(p, "x", 1, err, sizeof err), -1);
    tu_assert_msg(err, p);
    free(p);
    /* A directory is not replaced by a file. */
    char *d = tu_join(dir, "adir");
    assert_int_equal(mkdir(d, 0755), 0);
    assert_null(ds_atomic_open(d, err, sizeof err));
    tu_assert_msg(err, d, "directory");
    rmdir(d);
    free(d);
    assert_null(ds_atomic_open("", err, sizeof err));
    assert_null(ds_atomic_open("dir/", err, sizeof err));
    tu_assert_msg(err, "dir/", "directory");
    assert_int_equal(tu_count_entries(dir), 0);
}

/* A write error on the stream (here: writing to a stream we broke on purpose by closing
 * its descriptor) makes commit fail and leaves the old file. */
static void test_commit_fails_on_write_error(void **state)
{
    (void)state;
    char *p = tu_join(dir, "w.txt");
    char err[512] = "";
    assert_int_equal(ds_write_file_atomic(p, "old", 3, err, sizeof err), 0);
    ds_atomic *a = ds_atomic_open(p, err, sizeof err);
    FILE *f = ds_atomic_file(a);
    /* /dev/full: every write fails with ENOSPC, as on a full disk. */
    int full = open("/dev/full", O_WRONLY);
    if (full < 0) {
        ds_atomic_abort(a);
        free(p);
        skip();
    }
    fflush(f);
    dup2(full, fileno(f));
    close(full);
    for (int i = 0; i < 1000; i++)
        fputs("0123456789abcdef0123456789abcdef", f);
    assert_int_equal(ds_atomic_commit(a, err, sizeof err), -1);
    tu_assert_msg(err, p, "unchanged");
    assert_file(p, "old");
    assert_int_equal(tu_count_entries(dir), 1);
    unlink(p);
    free(p);
}

static void test_mkdirs(void **state)
{
    (void)state;
    char err[512] = "";
    char *p = tu_join(dir, "x/y//z/");
    assert_int_equal(ds_mkdirs(p, err, sizeof err), 0);
    assert_int_equal(ds_mkdirs(p, err, sizeof err), 0); /* existing is fine */
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    free(p);
    char *f = tu_join(dir, "x/file");
    tu_write(f, "x", 1);
    char *under = tu_join(dir, "x/file/sub");
    assert_int_equal(ds_mkdirs(f, err, sizeof err), -1);
    tu_assert_msg(err, f, "not a directory");
    assert_int_equal(ds_mkdirs(under, err, sizeof err), -1);
    tu_assert_msg(err, under);
    free(f);
    free(under);
    char *x = tu_join(dir, "x");
    tu_rmtree(x);
    free(x);
}

/* A child writes a large file through atomicio and is SIGKILLed mid-write: the old file
 * must be intact and nothing partial may have taken its place. */
static void test_sigkill_mid_write(void **state)
{
    (void)state;
    char *p = tu_join(dir, "big.bin");
    char err[512] = "";
    const char *old = "the previous, complete version";
    assert_int_equal(ds_write_file_atomic(p, old, strlen(old), err, sizeof err), 0);

    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        ds_atomic *a = ds_atomic_open(p, NULL, 0);
        if (!a)
            _exit(3);
        static char chunk[1 << 16];
        memset(chunk, 'x', sizeof chunk);
        FILE *f = ds_atomic_file(a);
        for (long i = 0;; i++) {
            if (fwrite(chunk, 1, sizeof chunk, f) != sizeof chunk)
                _exit(4);
            if (i == 64) { /* 4 MiB written: tell the parent, then keep writing */
                fflush(f);
                if (write(pipefd[1], "w", 1) != 1)
                    _exit(5);
            }
            if (i > (1L << 14)) /* 1 GiB without being killed: give up */
                _exit(6);
        }
    }
    close(pipefd[1]);
    char c;
    assert_int_equal(read(pipefd[0], &c, 1), 1);
    close(pipefd[0]);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    assert_file(p, old);
    /* The stray temp file is hidden (.big.bin.tmp.*), never the target. */
    DIR *d = opendir(dir);
    struct dirent *e;
    int temps = 0;
    while ((e = readdir(d))) {
        if (!strncmp(e->d_name, ".big.bin.tmp.", 13)) {
            temps++;
            char *t = tu_join(dir, e->d_name);
            struct stat st;
            assert_int_equal(stat(t, &st), 0);
            assert_true(st.st_size >= (64 << 16));
            unlink(t);
            free(t);
        }
    }
    closedir(d);
    assert_int_equal(temps, 1);
    /* A later write succeeds as usual. */
    assert_int_equal(ds_write_file_atomic(p, "new", 3, err, sizeof err), 0);
    assert_file(p, "new");
    unlink(p);
    free(p);
}

/* Issue 14: a device node or a named pipe in the target's place is never replaced (as
 * root, `-o /dev/null` would have turned the system's node into a file). */
static void test_refuses_special_targets(void **state)
{
    (void)state;
    char err[512] = "";
    int entries = tu_count_entries(dir);
    char *fifo = tu_mkfifo(dir, "pipe");
    assert_int_equal(ds_write_file_atomic(fifo, "x", 1, err, sizeof err), -1);
    tu_assert_msg(err, fifo, "is a named pipe, not a regular file");
    struct stat st;
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    /* a character device (the null device's numbers), where we may make one */
    char *node = tu_join(dir, "null");
    if (mknod(node, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        assert_int_equal(ds_write_file_atomic(node, "x", 1, err, sizeof err), -1);
        tu_assert_msg(err, node, "is a character device");
        assert_int_equal(stat(node, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        /* through a symbolic link too */
        char *link = tu_join(dir, "link");
        assert_int_equal(symlink(node, link), 0);
        assert_int_equal(ds_write_file_atomic(link, "x", 1, err, sizeof err), -1);
        assert_int_equal(lstat(link, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        unlink(link);
        free(link);
        unlink(node);
    }
    /* the node appearing between open and commit */
    char *late = tu_join(dir, "late");
    ds_atomic *a = ds_atomic_open(late, err, sizeof err);
    assert_non_null(a);
    assert_int_equal(mkfifo(late, 0644), 0);
    assert_int_equal(ds_atomic_commit(a, err, sizeof err), -1);
    tu_assert_msg(err, late, "is now a named pipe");
    assert_int_equal(stat(late, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(tu_count_entries(dir), entries + 2); /* pipe and late: no temp file left */
    unlink(late);
    unlink(fifo);
    free(late);
    free(node);
    free(fifo);
}

/* Issue 14: any legal name (up to NAME_MAX bytes) can be written: the temp name is cut to
 * fit, and still hidden and named after the target. */
static void test_long_names(void **state)
{
    (void)state;
    char err[512] = "";
    int entries = tu_count_entries(dir);
    for (int len = 240; len <= NAME_MAX; len += 5) {
        char name[NAME_MAX + 1];
        memset(name, 'a', (size_t)len);
        name[len] = '\0';
        char *p = tu_join(dir, name);
        ds_atomic *a = ds_atomic_open(p, err, sizeof err);
        if (!a)
            fail_msg("%d-byte name: %s", len, err);
        DIR *d = opendir(dir);
        struct dirent *e;
        int temps = 0;
        while ((e = readdir(d)))
            temps += e->d_name[0] == '.' && strstr(e->d_name, ".tmp.") && !strncmp(e->d_name + 1, name, 200);
        closedir(d);
        assert_int_equal(temps, 1);
        fputs("long", ds_atomic_file(a));
        assert_int_equal(ds_atomic_commit(a, err, sizeof err), 0);
        assert_file(p, "long");
        unlink(p);
        free(p);
    }
    assert_int_equal(tu_count_entries(dir), entries);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_replaces),
        cmocka_unit_test(test_abort_keeps_old),
        cmocka_unit_test(test_mode),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_commit_fails_on_write_error),
        cmocka_unit_test(test_mkdirs),
        cmocka_unit_test(test_sigkill_mid_write),
        cmocka_unit_test(test_refuses_special_targets),
        cmocka_unit_test(test_long_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
