/* 3D roadmap: vessel centrelines projected onto the detector of a C-arm
 * pose, the overlay a hybrid room puts on live fluoroscopy. */
#include "carm/render.h"

#include <math.h>

int64_t carm_roadmap_project(const carm_geometry *geo, int64_t view, const carm_volume *grid,
                             const double (*points)[3], int64_t n, double (*uv_px)[2]) {
  if (geo == NULL || grid == NULL || view < 0 || view >= geo->n_views || n < 0) {
    return 0;
  }
  double w[3][3];
  carm_patient_to_world(geo->patient, w);
  const carm_view *v = &geo->views[view];
  int64_t front = 0;
  for (int64_t i = 0; i < n; i++) {
    double xw[3];
    double uv[2];
    carm_mat3_apply(w, points[i], xw);
    if (carm_view_project(v, xw, uv)) {
      uv_px[i][0] = (uv[0] - grid->origin[0]) / grid->spacing[0];
      uv_px[i][1] = (uv[1] - grid->origin[1]) / grid->spacing[1];
      front++;
    } else {
      uv_px[i][0] = NAN;
      uv_px[i][1] = NAN;
    }
  }
  return front;
}
