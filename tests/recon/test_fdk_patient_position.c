/* FDK with a head-first-supine C-arm geometry: an off-centre, elongated
 * object reconstructed from its exact HFS short-scan projections lands where
 * it is in patient coordinates (the geometry's patient position honoured). */
#include "carm/carm.h"
#include "check.h"

int main(void) {
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  double c[3] = {18.0, -12.0, 10.0};
  double axes[3] = {10.0, 7.0, 25.0};
  CHECK(carm_phantom_add_ellipsoid(ph, c, axes, NULL, 0.02) == CARM_OK);
  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  o.n_views = 133;
  o.arc_deg = 200;
  o.first_angle_deg = -10;
  o.patient = CARM_PATIENT_HFS;
  carm_geometry *g = NULL;
  CHECK(carm_geometry_short_scan(&g, &o) == CARM_OK);
  carm_volume *proj = NULL;
  CHECK(carm_projections_create(&proj, 200, 160, 133, 1.2, 1.2) == CARM_OK);
  CHECK(carm_phantom_project_analytic(ph, g, proj) == CARM_OK);
  carm_volume *vol = NULL;
  carm_volume *ref = NULL;
  int64_t dims[3] = {64, 64, 64};
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    vol->spacing[a] = 1.5;
    vol->origin[a] = -47.25;
  }
  CHECK(carm_volume_create_like(&ref, vol) == CARM_OK);
  CHECK(carm_phantom_voxelize(ph, ref, 2) == CARM_OK);
  carm_fdk_opts fo = CARM_FDK_INIT;
  carm_fdk_plan *plan = NULL;
  CHECK(carm_fdk_plan_create(&plan, g, proj, vol, &fo) == CARM_OK);
  CHECK(carm_fdk_execute(plan, proj, vol) == CARM_OK);
  carm_fdk_plan_destroy(plan);
  double se = 0.0;
  double sum_in = 0.0;
  double n_in = 0.0;
  for (int64_t i = 0; i < carm_volume_count(vol); i++) {
    double d = vol->data[i] - ref->data[i];
    se += d * d;
    if (ref->data[i] > 0.019f) {
      sum_in += vol->data[i];
      n_in += 1.0;
    }
  }
  double rmse = sqrt(se / (double)carm_volume_count(vol));
  CHECK_MSG(rmse < 0.002, "RMSE %g (1/mm)", rmse);
  CHECK_NEAR(sum_in / n_in, 0.02, 0.002);
  /* the same projections read as patient = world put the object elsewhere */
  g->patient = CARM_PATIENT_WORLD;
  CHECK(carm_fdk_plan_create(&plan, g, proj, vol, &fo) == CARM_OK);
  CHECK(carm_fdk_execute(plan, proj, vol) == CARM_OK);
  carm_fdk_plan_destroy(plan);
  double sum_wrong = 0.0;
  for (int64_t i = 0; i < carm_volume_count(vol); i++) {
    if (ref->data[i] > 0.019f) {
      sum_wrong += vol->data[i];
    }
  }
  CHECK(sum_wrong / n_in < 0.01);
  carm_volume_destroy(vol);
  carm_volume_destroy(ref);
  carm_volume_destroy(proj);
  carm_geometry_destroy(g);
  carm_phantom_destroy(ph);
  return check_done();
}
