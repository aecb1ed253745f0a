/* Fuzz harness: the input bytes become a .mha file that carm_image_read must
 * read or refuse without crashing, leaking or returning a partial volume. */
#include "carm/carm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void remove_dir(void) { rmdir(dir); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (dir[0] == '\0') {
    snprintf(dir, sizeof dir, "/tmp/carm-fuzz-metaimage-XXXXXX");
    if (mkdtemp(dir) == NULL) {
      abort();
    }
    atexit(remove_dir);
  }
  char path[128];
  snprintf(path, sizeof path, "%s/input.mha", dir);
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
