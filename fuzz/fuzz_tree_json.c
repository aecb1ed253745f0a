/* Fuzz harness: vessel-tree JSON (carm_seg_tree_read_json). Any input must
 * be read or refused cleanly; a tree that is read is walked as callers do. */
#include "carm/tree_io.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/carm_fuzz_tree_%ld.json", (long)getpid());
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    return 0;
  }
  fwrite(data, 1, size, f);
  fclose(f);
  for (int pass = 0; pass < 2; pass++) {
    carm_seg_tree *t = NULL;
    int64_t *src = NULL;
    if (carm_seg_tree_read_json(&t, &src, path, pass ? "artery" : NULL) == CARM_OK) {
      for (int64_t s = 0; s < t->n_segments; s++) {
        const carm_seg_segment *g = &t->segments[s];
        if (g->parent >= s || g->n_points < 2) {
          abort();
        }
        (void)g->points_mm[g->n_points - 1][2];
        (void)g->radius_mm[g->n_points - 1];
      }
      (void)carm_seg_tree_length_mm(t);
      carm_seg_tree_destroy(t);
      free(src);
    }
  }
  remove(path);
  return 0;
}
