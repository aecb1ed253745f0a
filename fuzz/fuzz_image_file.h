/* Shared body of the image-reader fuzz harnesses: the input bytes become a
 * file with the given suffix (the readers pick the format by suffix) that
 * carm_image_read must read or refuse without crashing, leaking or returning
 * a partial volume. */
#ifndef CARM_FUZZ_IMAGE_FILE_H
#define CARM_FUZZ_IMAGE_FILE_H

#include "carm/carm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[64];

static void fuzz_remove_dir(void) { rmdir(fuzz_dir); }

static int fuzz_image_file(const uint8_t *data, size_t size, const char *suffix) {
  if (fuzz_dir[0] == '\0') {
    snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/carm-fuzz-image-XXXXXX");
    if (mkdtemp(fuzz_dir) == NULL) {
      abort();
    }
    atexit(fuzz_remove_dir);
  }
  char path[128];
  snprintf(path, sizeof path, "%s/input%s", fuzz_dir, suffix);
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    abort();
  }
  if (size > 0 && fwrite(data, 1, size, f) != size) {
    abort();
  }
  fclose(f);
  carm_volume *v = NULL;
  carm_status st = carm_image_read(&v, NULL, path);
  if ((st == CARM_OK) != (v != NULL)) {
    abort(); /* a volume only on success */
  }
  if (v != NULL && carm_volume_check_grid(v) != CARM_OK) {
    abort(); /* a returned volume always has a valid grid */
  }
  carm_volume_destroy(v);
  unlink(path);
  return 0;
}

#endif
