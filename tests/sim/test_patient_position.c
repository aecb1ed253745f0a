/* Patient position: with a head-first-supine C-arm geometry, the numerical
 * projection of a voxelised (off-centre, elongated) phantom agrees with its
 * exact projection, and differs from the patient = world geometry; a point
 * on the patient's left projects where the matrix of the HFS world says. */
#include "carm/carm.h"
#include "carm/phantom.h"
#include "check.h"

int main(void) {
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  double c[3] = {20.0, -10.0, 15.0};
  double axes[3] = {12.0, 8.0, 30.0}; /* long along the patient's z */
  double rot[3][3];
  carm_mat3_identity(rot);
  CHECK(carm_phantom_add_ellipsoid(ph, c, axes, rot, 0.02) == CARM_OK);
  carm_volume *vol = NULL;
  int64_t dims[3] = {96, 96, 96};
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    vol->origin[a] = -47.5;
  }
  CHECK(carm_phantom_voxelize(ph, vol, 3) == CARM_OK);

  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  o.n_views = 6;
  o.arc_deg = 200;
  o.first_angle_deg = -100;
  o.patient = CARM_PATIENT_HFS;
  carm_geometry *g = NULL;
  CHECK(carm_geometry_short_scan(&g, &o) == CARM_OK);
  carm_volume *num = NULL;
  carm_volume *ref = NULL;
  CHECK(carm_projections_create(&num, 96, 80, 6, 2.0, 2.0) == CARM_OK);
  CHECK(carm_projections_create(&ref, 96, 80, 6, 2.0, 2.0) == CARM_OK);
  carm_project_opts po = CARM_PROJECT_INIT;
  CHECK(carm_project_forward(vol, g, num, &po) == CARM_OK);
  CHECK(carm_phantom_project_analytic(ph, g, ref) == CARM_OK);
  double err = 0.0;
  double norm = 0.0;
  for (int64_t i = 0; i < carm_volume_count(ref); i++) {
    err += fabs(num->data[i] - ref->data[i]);
    norm += fabs(ref->data[i]);
  }
  CHECK(norm > 0.0);
  CHECK_MSG(err / norm < 0.02, "relative L1 error %g", err / norm);
  /* the same volume under patient = world projects differently */
  g->patient = CARM_PATIENT_WORLD;
  CHECK(carm_project_forward(vol, g, num, &po) == CARM_OK);
  double diff = 0.0;
  for (int64_t i = 0; i < carm_volume_count(ref); i++) {
    diff += fabs(num->data[i] - ref->data[i]);
  }
  CHECK(diff / norm > 0.3);
  carm_volume_destroy(num);
  carm_volume_destroy(ref);
  carm_volume_destroy(vol);
  carm_geometry_destroy(g);
  carm_phantom_destroy(ph);
  return check_done();
}
