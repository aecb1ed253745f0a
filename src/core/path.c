/* Output paths: what an atomic write may replace, and the atomic write
 * itself (unique temporary file in the same folder, then rename). */
#include "carm/core.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

carm_status carm_output_check(const char *path) {
  if (path == NULL || path[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "empty output path");
  }
  struct stat st;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) {
      return CARM_OK;
    }
    return carm_error(CARM_ERR_IO, "cannot write %s: %s", path, strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return carm_error(CARM_ERR_IO, "cannot write %s: it is a folder", path);
  }
  if (!S_ISREG(st.st_mode)) {
    return carm_error(CARM_ERR_IO,
                      "cannot write %s: it exists and is not a regular file (a device, FIFO or "
                      "socket), which an atomic write would replace",
                      path);
  }
  return CARM_OK;
}

struct carm_output {
  FILE *file;
  char *path;
  char *tmp;
};

carm_status carm_output_open(carm_output **out, const char *path) {
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "output: missing argument");
  }
  *out = NULL;
  carm_status st = carm_output_check(path);
  if (st != CARM_OK) {
    return st;
  }
  /* <path>.tmp-XXXXXX; a file name near NAME_MAX is shortened so that the
   * temporary name stays valid (it stays in the same folder) */
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash != NULL ? (size_t)(slash - path) + 1 : 0;
  size_t base_len = strlen(path) - dir_len;
  if (base_len > NAME_MAX - 16) {
    base_len = NAME_MAX - 16;
  }
  carm_output *o = calloc(1, sizeof *o);
  size_t cap = dir_len + base_len + 16;
  if (o != NULL) {
    o->path = strdup(path);
    o->tmp = malloc(cap);
  }
  if (o == NULL || o->path == NULL || o->tmp == NULL) {
    if (o != NULL) {
      free(o->path);
      free(o->tmp);
      free(o);
    }
    return carm_error(CARM_ERR_NOMEM, "cannot allocate an output for %s", path);
  }
  snprintf(o->tmp, cap, "%.*s%.*s.tmp-XXXXXX", (int)dir_len, path, (int)base_len, path + dir_len);
  int fd = mkstemp(o->tmp);
  if (fd < 0) {
    int e = errno;
    free(o->path);
    free(o->tmp);
    free(o);
    return carm_error(CARM_ERR_IO, "cannot create a temporary file next to %s: %s", path,
                      strerror(e));
  }
  (void)fchmod(fd, 0644); /* mkstemp makes 0600; outputs are ordinary files */
  o->file = fdopen(fd, "wb");
  if (o->file == NULL) {
    int e = errno;
    close(fd);
    unlink(o->tmp);
    free(o->path);
    free(o->tmp);
    free(o);
    return carm_error(CARM_ERR_NOMEM, "cannot open a stream on %s: %s", path, strerror(e));
  }
  *out = o;
  return CARM_OK;
}

FILE *carm_output_file(carm_output *out) { return out != NULL ? out->file : NULL; }

const char *carm_output_temp_path(const carm_output *out) { return out != NULL ? out->tmp : NULL; }

static void output_free(carm_output *o) {
  free(o->path);
  free(o->tmp);
  free(o);
}

carm_status carm_output_commit(carm_output *out) {
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "output: missing argument");
  }
  carm_status st = CARM_OK;
  /* flushed and on disk before the rename, so that a crash leaves the old
   * file or the whole new one */
  errno = 0;
  int bad = fflush(out->file) != 0 || ferror(out->file) != 0 || fsync(fileno(out->file)) != 0;
  int e = errno;
  if (fclose(out->file) != 0 || bad) {
    e = errno != 0 ? errno : e;
    st = carm_error(CARM_ERR_IO, "cannot write %s: %s", out->path,
                    e != 0 ? strerror(e) : "write error");
  } else if (rename(out->tmp, out->path) != 0) {
    e = errno;
    st = carm_error(CARM_ERR_IO, "cannot rename %s to %s: %s", out->tmp, out->path, strerror(e));
  }
  if (st != CARM_OK) {
    unlink(out->tmp);
  }
  output_free(out);
  return st;
}

void carm_output_discard(carm_output *out) {
  if (out == NULL) {
    return;
  }
  int e = errno;
  fclose(out->file);
  unlink(out->tmp);
  output_free(out);
  errno = e;
}
