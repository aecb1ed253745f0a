/* Output paths: what an atomic write may replace. */
#include "carm/core.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

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
