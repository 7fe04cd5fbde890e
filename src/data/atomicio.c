#include "atomicio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "util.h"

struct ds_atomic {
    char *path;     /* target */
    char *tmp;      /* temp file in the same directory */
    char *dir;      /* directory to fsync after the rename */
    FILE *f;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void atomic_free(ds_atomic *a)
{
    free(a->path);
    free(a->tmp);
    free(a->dir);
    free(a);
}

ds_atomic *ds_atomic_open(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        ds_seterr(err, errlen, "cannot write a file with an empty name");
        return NULL;
    }
    size_t len = strlen(path);
    if (path[len - 1] == '/') {
        ds_seterr(err, errlen, "%s: is a directory name, not a file name", path);
        return NULL;
    }
    ds_atomic *a = calloc(1, sizeof *a);
    if (!a) {
        ds_seterr(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dirlen = slash ? (size_t)(slash - path) : 0;
    a->path = dup_str(path);
    a->dir = malloc(dirlen + 2);
    a->tmp = malloc(len + 16);
    /* .NAME.tmp.XXXXXX adds 12 bytes: cut NAME so the temp name stays within NAME_MAX */
    size_t blen = strlen(base), bmax = NAME_MAX - 12;
    if (!a->path || !a->dir || !a->tmp) {
        atomic_free(a);
        ds_seterr(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (slash == path) {
        strcpy(a->dir, "/");
    } else if (slash) {
        memcpy(a->dir, path, dirlen);
        a->dir[dirlen] = '\0';
    } else {
        strcpy(a->dir, ".");
    }
    sprintf(a->tmp, "%.*s.%.*s.tmp.XXXXXX", (int)(base - path), path, (int)(blen < bmax ? blen : bmax), base);

    /* rename would replace a device node or a pipe with a regular file (-o /dev/null, as
     * root, would destroy the system's node): only a regular file is ever replaced. */
    struct stat st;
    mode_t mode = 0644;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            if (S_ISDIR(st.st_mode))
                ds_seterr(err, errlen, "%s: is a directory", path);
            else
                ds_seterr(err, errlen, "%s: exists and is %s, not a regular file; dropscope replaces only "
                          "regular files", path, ds_file_kind(&st));
            atomic_free(a);
            return NULL;
        }
        mode = st.st_mode & 07777;
    }
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        int e = errno;
        ds_seterr(err, errlen, "%s: cannot create a temporary file in %s: %s", path, a->dir,
                  strerror(e));
        atomic_free(a);
        return NULL;
    }
    /* mkstemp makes 0600; a saved file should look like any other file the user has. */
    (void)fchmod(fd, mode);
    a->f = fdopen(fd, "w+b");
    if (!a->f) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        ds_seterr(err, errlen, "%s: cannot open temporary file: %s", path, strerror(e));
        atomic_free(a);
        return NULL;
    }
    return a;
}

FILE *ds_atomic_file(ds_atomic *a) { return a ? a->f : NULL; }

const char *ds_atomic_path(const ds_atomic *a) { return a ? a->path : NULL; }

void ds_atomic_abort(ds_atomic *a)
{
    if (!a)
        return;
    if (a->f)
        fclose(a->f);
    unlink(a->tmp);
    atomic_free(a);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    /* Some file systems cannot fsync a directory; the rename itself already happened. */
    if (rc != 0 && (errno == EINVAL || errno == EBADF || errno == ENOTSUP))
        rc = 0;
    close(fd);
    return rc;
}

int ds_atomic_commit(ds_atomic *a, char *err, size_t errlen)
{
    if (!a)
        return ds_seterr(err, errlen, "internal error: commit of a NULL file");
    const char *what = NULL;
    int e = 0;
    if (ferror(a->f)) {
        what = "write failed";   /* errno of that write is gone; say what is likely */
    } else if (fflush(a->f) != 0) {
        what = "write failed";
        e = errno;
    } else if (fsync(fileno(a->f)) != 0) {
        what = "fsync failed";
        e = errno;
    }
    int rc = fclose(a->f);
    a->f = NULL;
    if (!what && rc != 0) {
        what = "close failed";
        e = errno;
    }
    struct stat st;
    if (!what && stat(a->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        unlink(a->tmp);
        ds_seterr(err, errlen, "%s: is now %s, not a regular file; it was not replaced", a->path, ds_file_kind(&st));
        atomic_free(a);
        return -1;
    }
    if (!what && rename(a->tmp, a->path) != 0) {
        what = "rename into place failed";
        e = errno;
    }
    if (what) {
        unlink(a->tmp);
        ds_seterr(err, errlen, "%s: %s (%s); the previous file, if any, is unchanged",
                  a->path, what, e ? strerror(e) : "disk full or I/O error");
        atomic_free(a);
        return -1;
    }
    if (fsync_dir(a->dir) != 0) {
        e = errno;
        ds_seterr(err, errlen, "%s: written, but syncing directory %s failed: %s", a->path,
                  a->dir, strerror(e));
        atomic_free(a);
        return -1;
    }
    atomic_free(a);
    return 0;
}

int ds_write_file_atomic(const char *path, const void *data, size_t n, char *err,
                         size_t errlen)
{
    ds_atomic *a = ds_atomic_open(path, err, errlen);
    if (!a)
        return -1;
    if (n && fwrite(data, 1, n, ds_atomic_file(a)) != n) {
        int e = errno;
        ds_atomic_abort(a);
        return ds_seterr(err, errlen, "%s: write failed: %s", path, strerror(e));
    }
    return ds_atomic_commit(a, err, errlen);
}

int ds_mkdirs(const char *path, char *err, size_t errlen)
{
    if (!path || !*path)
        return ds_seterr(err, errlen, "cannot create a directory with an empty name");
    size_t len = strlen(path);
    char *p = malloc(len + 1);
    if (!p)
        return ds_seterr(err, errlen, "%s: out of memory", path);
    memcpy(p, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            ds_seterr(err, errlen, "%s: cannot create directory %s: %s", path, p, strerror(e));
            free(p);
            return -1;
        }
        p[i] = c;
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0)
        return ds_seterr(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ds_seterr(err, errlen, "%s: exists and is not a directory", path);
    return 0;
}
