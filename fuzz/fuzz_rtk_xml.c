/* Fuzz harness: RTK geometry XML reader (carm_geometry_read_rtk_memory).
 * Any input must be read or refused cleanly, never crash or leak; a
 * geometry that is read must survive a write/read through memory checks. */
#include "carm/carm.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  carm_geometry *g = NULL;
  if (carm_geometry_read_rtk_memory(&g, data, size) == CARM_OK) {
    /* Exercise what callers do next with a geometry that was accepted. */
    (void)carm_geometry_angular_coverage(g);
    for (int64_t k = 0; k < g->n_views; k++) {
      double src[3];
      double uv[2];
      carm_view_source(&g->views[k], src);
      const double origin[3] = {0.0, 0.0, 0.0};
      (void)carm_view_project(&g->views[k], origin, uv);
    }
    carm_geometry_destroy(g);
  }
  return 0;
}
