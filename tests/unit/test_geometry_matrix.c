/* Geometry: GEOMETRY.md's check value, source/detector consistency,
 * trajectory builders and angular coverage. */
#include "carm/carm.h"
#include "check.h"

static void test_rtk_check_value(void) {
  carm_view v;
  CHECK(carm_view_set(&v, 1000, 1536, 271.847274780273, -117.056503295898, -1.01195001602173, 0, 0,
                      0, 0) == CARM_OK);
  CHECK_NEAR(v.matrix[0][0], -166.509307883, 1e-6);
  CHECK_NEAR(v.matrix[0][1], 0.0, 1e-6);
  CHECK_NEAR(v.matrix[0][2], -1531.42837748, 1e-6);
  CHECK_NEAR(v.matrix[0][3], -117056.503296, 1e-6);
  double s[3];
  double h[3];
  carm_view_source(&v, s);
  carm_mat34_apply(v.matrix, s, h);
  for (int i = 0; i < 3; i++) {
    CHECK_NEAR(h[i], 0.0, 1e-6);
  }
}

/* Every detector point projects to its own (u, v), and the source, the
 * world point and its detector image are collinear, on a pose with all nine
 * parameters non-zero. */
static void test_frame_consistency(void) {
  carm_view v;
  CHECK(carm_view_set(&v, 785, 1200, 37.5, 12.5, -7.25, 8.0, -3.0, 4.5, -2.5) == CARM_OK);
  double o[3];
  double eu[3];
  double ev[3];
  double src[3];
  carm_view_detector_frame(&v, o, eu, ev);
  carm_view_source(&v, src);
  for (double u = -100; u <= 100; u += 50) {
    for (double w = -80; w <= 80; w += 40) {
      double p[3];
      double uv[2];
      for (int i = 0; i < 3; i++) {
        p[i] = o[i] + u * eu[i] + w * ev[i];
      }
      CHECK(carm_view_project(&v, p, uv) == 1);
      CHECK_NEAR(uv[0], u, 1e-9);
      CHECK_NEAR(uv[1], w, 1e-9);
      /* midpoint between source and detector point projects the same */
      double m[3];
      for (int i = 0; i < 3; i++) {
        m[i] = 0.5 * (src[i] + p[i]);
      }
      CHECK(carm_view_project(&v, m, uv) == 1);
      CHECK_NEAR(uv[0], u, 1e-9);
      CHECK_NEAR(uv[1], w, 1e-9);
    }
  }
  /* The source distance to the isocentre's foot is SID-like. */
  CHECK_NEAR(carm_vec3_norm(src), sqrt(785.0 * 785.0 + 4.5 * 4.5 + 2.5 * 2.5), 1e-9);
  /* A point behind the source is rejected. */
  double behind[3] = {src[0] * 2, src[1] * 2, src[2] * 2};
  double uv[2];
  CHECK(carm_view_project(&v, behind, uv) == 0);
}

static void test_conventions(void) {
  /* Gantry 0: source on +z; gantry 90: source on +x. */
  carm_view v;
  double s[3];
  CHECK(carm_view_set(&v, 1000, 1500, 0, 0, 0, 0, 0, 0, 0) == CARM_OK);
  carm_view_source(&v, s);
  CHECK_NEAR(s[2], 1000.0, 1e-9);
  CHECK(carm_view_set(&v, 1000, 1500, 90, 0, 0, 0, 0, 0, 0) == CARM_OK);
  carm_view_source(&v, s);
  CHECK_NEAR(s[0], 1000.0, 1e-9);
  CHECK_NEAR(s[2], 0.0, 1e-9);
  CHECK(carm_view_set(&v, 1000, 1500, -90, 0, 0, 0, 0, 0, 0) == CARM_OK);
  CHECK_NEAR(v.gantry_angle_rad, 1.5 * M_PI, 1e-12);
  CHECK(carm_view_set(&v, NAN, 1500, 0, 0, 0, 0, 0, 0, 0) == CARM_ERR_GEOMETRY);
  CHECK(carm_view_set(&v, 1000, -1, 0, 0, 0, 0, 0, 0, 0) == CARM_ERR_GEOMETRY);
  CHECK(carm_view_set(&v, 0, 1500, 0, 0, 0, 0, 0, 0, 0) == CARM_ERR_GEOMETRY);
}

static void test_trajectories(void) {
  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  carm_geometry *g = NULL;
  o.n_views = 360;
  CHECK(carm_geometry_circular(&g, &o) == CARM_OK);
  CHECK(g->n_views == 360);
  CHECK_NEAR(carm_geometry_angular_coverage(g), 2 * M_PI, 1e-9);
  carm_geometry_destroy(g);

  o.n_views = 133;
  o.arc_deg = 200;
  o.first_angle_deg = -100;
  o.duration_s = 5.0;
  CHECK(carm_geometry_short_scan(&g, &o) == CARM_OK);
  CHECK_NEAR(g->views[0].gantry_angle_rad, carm_angle_wrap(-100 * M_PI / 180), 1e-12);
  CHECK_NEAR(g->views[132].gantry_angle_rad, 100 * M_PI / 180, 1e-12);
  CHECK_NEAR(g->views[132].time_s, 5.0, 1e-12);
  double cov = carm_geometry_angular_coverage(g);
  CHECK_NEAR(cov, (200.0 + 200.0 / 132.0) * M_PI / 180, 1e-9);
  carm_geometry_destroy(g);

  o.jitter_deg = 0.3;
  o.seed = 7;
  carm_geometry *g2 = NULL;
  CHECK(carm_geometry_short_scan(&g, &o) == CARM_OK);
  CHECK(carm_geometry_short_scan(&g2, &o) == CARM_OK);
  int same = 1;
  double maxdev = 0;
  for (int64_t k = 0; k < g->n_views; k++) {
    same &= g->views[k].gantry_angle_rad == g2->views[k].gantry_angle_rad;
    double nominal = carm_angle_wrap((-100.0 + 200.0 * (double)k / 132.0) * M_PI / 180);
    double d = fabs(carm_angle_wrap(g->views[k].gantry_angle_rad - nominal + M_PI) - M_PI);
    maxdev = d > maxdev ? d : maxdev;
  }
  CHECK(same);
  CHECK(maxdev <= 0.3 * M_PI / 180 + 1e-12);
  CHECK(maxdev > 0.1 * M_PI / 180);
  carm_geometry_destroy(g);
  carm_geometry_destroy(g2);

  o.n_views = 0;
  CHECK(carm_geometry_short_scan(&g, &o) == CARM_ERR_RANGE);
  o.n_views = 10;
  o.arc_deg = NAN;
  CHECK(carm_geometry_short_scan(&g, &o) == CARM_ERR_RANGE);
}

/* HFS patient position: gantry 0 is an AP view (source posterior), gantry
 * 90 puts the source on the patient's left, the rotation axis is the
 * patient's long axis; the world grid of a volume follows. */
static void test_patient_position(void) {
  double w[3][3];
  carm_patient_to_world(CARM_PATIENT_HFS, w);
  CHECK_NEAR(carm_mat3_det(w), 1.0, 1e-15);
  carm_view v;
  CHECK(carm_view_set(&v, 785, 1200, 0, 0, 0, 0, 0, 0, 0) == CARM_OK);
  double s[3];
  double wt[3][3];
  double sp[3];
  carm_mat3_transpose(w, wt);
  carm_view_source(&v, s);
  carm_mat3_apply(wt, s, sp);     /* source in patient LPS */
  CHECK_NEAR(sp[1], 785.0, 1e-9); /* posterior */
  CHECK(carm_view_set(&v, 785, 1200, 90, 0, 0, 0, 0, 0, 0) == CARM_OK);
  carm_view_source(&v, s);
  carm_mat3_apply(wt, s, sp);
  CHECK_NEAR(sp[0], 785.0, 1e-9); /* patient left */
  /* the patient's long axis (z) is the rotation axis (world y) */
  double up[3] = {0, 0, 1};
  double uw[3];
  carm_mat3_apply(w, up, uw);
  CHECK_NEAR(fabs(uw[1]), 1.0, 1e-15);
  carm_geometry *g = NULL;
  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  o.n_views = 4;
  o.patient = CARM_PATIENT_HFS;
  CHECK(carm_geometry_circular(&g, &o) == CARM_OK);
  CHECK(g->patient == CARM_PATIENT_HFS);
  carm_volume *vol = NULL;
  int64_t dims[3] = {2, 2, 2};
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  vol->origin[2] = 10.0;
  double ow[3];
  double dw[3][3];
  carm_geometry_world_grid(g, vol, ow, dw);
  CHECK_NEAR(ow[1], -10.0, 1e-15);
  CHECK_NEAR(dw[2][1], 1.0, 1e-15);
  carm_volume_destroy(vol);
  carm_geometry_destroy(g);
}

int main(void) {
  test_patient_position();
  test_rtk_check_value();
  test_frame_consistency();
  test_conventions();
  test_trajectories();
  return check_done();
}
