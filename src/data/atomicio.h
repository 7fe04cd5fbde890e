/* Crash-safe file writing: everything dropscope saves goes through here, so a file the
 * user had is either the old version or the complete new one, never half-written.
 *
 * How: the data goes to a temp file `.NAME.tmp.XXXXXX` in the target's directory; commit
 * flushes and fsyncs it, renames it over the target and fsyncs the directory. On any
 * failure (or abort) the temp file is removed and the old file is left untouched. A process
 * killed mid-write leaves only a stray temp file behind, never a partial target. NAME is
 * cut to its first NAME_MAX - 12 bytes when longer, so any legal target name works.
 *
 * Only a regular file (or nothing) is ever replaced: a target that exists as a directory,
 * a device node, a named pipe or a socket (through a symbolic link too) is refused, both
 * at open and again just before the rename.
 *
 * Errors: int functions return 0 or -1, pointer functions NULL; the reason, naming the
 * file, goes into the caller's err buffer (errlen bytes, may be NULL/0). Never prints. */
#ifndef DS_ATOMICIO_H
#define DS_ATOMICIO_H

#include <stddef.h>
#include <stdio.h>

typedef struct ds_atomic ds_atomic;

/* Starts writing path (the temp file is created now, the target is not touched).
 * The new file gets the old file's permission bits, or 0644 when there was none.
 * Caller owns the result: finish it with exactly one of commit or abort. NULL on error. */
ds_atomic *ds_atomic_open(const char *path, char *err, size_t errlen);
/* The stream to write to (owned by a; do not fclose it). Seeking is allowed. */
FILE *ds_atomic_file(ds_atomic *a);
/* The target path given to open (owned by a). */
const char *ds_atomic_path(const ds_atomic *a);
/* Flushes, fsyncs, renames into place, fsyncs the directory; frees a in every case.
 * Any earlier write error on the stream makes it fail. -1 on error (old file intact). */
int ds_atomic_commit(ds_atomic *a, char *err, size_t errlen);
/* Discards the temp file and frees a; the target is untouched. NULL is fine. */
void ds_atomic_abort(ds_atomic *a);

/* Writes n bytes to path atomically (open + write + commit). 0 or -1. */
int ds_write_file_atomic(const char *path, const void *data, size_t n, char *err,
                         size_t errlen);

/* Creates directory path and its missing parents (mode 0755), like `mkdir -p`.
 * An existing directory is fine; an existing non-directory is an error. 0 or -1. */
int ds_mkdirs(const char *path, char *err, size_t errlen);

#endif
