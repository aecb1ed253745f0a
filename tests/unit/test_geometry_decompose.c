/* carm_view_from_matrix: matrix -> nine parameters -> matrix on random
 * C-arm poses (all nine parameters non-zero, arbitrary projective scale and
 * sign), parallel beams, non-model matrices (residual) and refusals. */
#include "carm/carm.h"
#include "check.h"

#include <string.h>

static double uni(carm_rng *r, double lo, double hi) {
  return lo + (hi - lo) * carm_rng_uniform(r);
}

static double rel_diff(const double a[3][4], const double b[3][4]) {
  double d = 0.0;
  double s = 0.0;
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      d = fmax(d, fabs(a[i][j] - b[i][j]));
      s = fmax(s, fabs(b[i][j]));
    }
  }
  return d / s;
}

/* Difference of two angles modulo 2π, in [0, π]. */
static double angle_diff(double a, double b) {
  double d = fmod(fabs(a - b), 2.0 * M_PI);
  return d > M_PI ? 2.0 * M_PI - d : d;
}

static void test_random_poses(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 20261126);
  double worst_matrix = 0.0;
  double worst_param = 0.0;
  int n_ok = 0;
  for (int k = 0; k < 500; k++) {
    carm_view v;
    memset(&v, 0, sizeof v);
    /* oop/ip non-zero, both signs, away from the gimbal lock at ±90° */
    double oop = uni(&rng, 1.0, 75.0) * (k % 2 ? 1.0 : -1.0);
    double ip = uni(&rng, -179.0, 179.0);
    if (fabs(ip) < 0.5) {
      ip = 3.0;
    }
    CHECK(carm_view_set(&v, uni(&rng, 500, 1100), uni(&rng, 900, 1600), uni(&rng, 0, 360),
                        uni(&rng, -80, 80), uni(&rng, -60, 60), oop, ip, uni(&rng, -30, 30),
                        uni(&rng, -30, 30)) == CARM_OK);
    v.time_s = 1.5;
    /* arbitrary projective scale, including a negative one */
    double s = uni(&rng, 0.01, 100.0) * (k % 3 == 0 ? -1.0 : 1.0);
    double p[3][4];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 4; j++) {
        p[i][j] = s * v.matrix[i][j];
      }
    }
    carm_view d;
    memset(&d, 0, sizeof d);
    d.time_s = 7.0;
    double res = -1.0;
    carm_status st = carm_view_from_matrix(&d, p, &res);
    CHECK_MSG(st == CARM_OK, "pose %d: %s", k, carm_last_error());
    if (st != CARM_OK) {
      continue;
    }
    n_ok++;
    /* the kept matrix is the given one, normalised: equal to the original */
    double e = rel_diff(d.matrix, v.matrix);
    worst_matrix = fmax(worst_matrix, e);
    CHECK_MSG(e <= 1e-9, "pose %d: kept matrix differs by %g", k, e);
    /* matrix recomputed from the recovered parameters */
    carm_view r = d;
    carm_view_update_matrix(&r);
    e = rel_diff(r.matrix, v.matrix);
    worst_matrix = fmax(worst_matrix, e);
    CHECK_MSG(e <= 1e-9, "pose %d: recomputed matrix differs by %g", k, e);
    CHECK(res >= 0.0 && res <= 1e-9 * 1e6);
    /* the parameters themselves */
    double pe = fmax(fabs(d.sid_mm - v.sid_mm), fabs(d.sdd_mm - v.sdd_mm));
    pe = fmax(pe, fabs(d.source_offset_x_mm - v.source_offset_x_mm));
    pe = fmax(pe, fabs(d.source_offset_y_mm - v.source_offset_y_mm));
    pe = fmax(pe, fabs(d.proj_offset_x_mm - v.proj_offset_x_mm));
    pe = fmax(pe, fabs(d.proj_offset_y_mm - v.proj_offset_y_mm));
    pe /= v.sdd_mm;
    pe = fmax(pe, angle_diff(d.gantry_angle_rad, v.gantry_angle_rad));
    pe = fmax(pe, angle_diff(d.out_of_plane_rad, v.out_of_plane_rad));
    pe = fmax(pe, angle_diff(d.in_plane_rad, v.in_plane_rad));
    worst_param = fmax(worst_param, pe);
    CHECK_MSG(pe <= 1e-9, "pose %d: parameters differ by %g", k, pe);
    CHECK(d.time_s == 7.0); /* left unchanged */
  }
  CHECK(n_ok == 500);
  printf("decompose: 500 poses, worst matrix relative error %.3g, worst parameter error %.3g\n",
         worst_matrix, worst_param);
}

static void test_check_value(void) {
  /* GEOMETRY.md's check value, given as a matrix */
  carm_view v;
  CHECK(carm_view_set(&v, 1000, 1536, 271.847274780273, -117.056503295898, -1.01195001602173, 0, 0,
                      0, 0) == CARM_OK);
  carm_view d;
  double res = 1.0;
  CHECK(carm_view_from_matrix(&d, (const double(*)[4])v.matrix, &res) == CARM_OK);
  CHECK_NEAR(d.sid_mm, 1000, 1e-9);
  CHECK_NEAR(d.sdd_mm, 1536, 1e-9);
  CHECK_NEAR(d.gantry_angle_rad * 180 / M_PI, 271.847274780273, 1e-9);
  CHECK_NEAR(d.proj_offset_x_mm, -117.056503295898, 1e-9);
  CHECK_NEAR(d.proj_offset_y_mm, -1.01195001602173, 1e-9);
  CHECK_NEAR(d.source_offset_x_mm, 0, 1e-9);
  CHECK_NEAR(angle_diff(d.out_of_plane_rad, 0), 0, 1e-12);
  CHECK_NEAR(angle_diff(d.in_plane_rad, 0), 0, 1e-12);
  CHECK(res < 1e-9);
}

static void test_parallel(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 7);
  for (int k = 0; k < 50; k++) {
    carm_view v;
    CHECK(carm_view_set(&v, 1000, 0, uni(&rng, 0, 360), uni(&rng, -50, 50), uni(&rng, -50, 50),
                        uni(&rng, -60, 60), uni(&rng, -170, 170), 0, 0) == CARM_OK);
    double p[3][4];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 4; j++) {
        p[i][j] = -2.5 * v.matrix[i][j];
      }
    }
    carm_view d;
    memset(&d, 0, sizeof d);
    double res = 1.0;
    CHECK(carm_view_from_matrix(&d, p, &res) == CARM_OK);
    CHECK(d.sdd_mm == 0.0);
    carm_view_update_matrix(&d);
    CHECK_MSG(rel_diff(d.matrix, v.matrix) <= 1e-12, "parallel %d", k);
    CHECK(res <= 1e-12);
  }
}

/* A matrix outside the model (skew, unequal pixel scales) is kept as given
 * and the residual says how far the parameters are from it. */
static void test_non_model_matrix(void) {
  carm_view v;
  CHECK(carm_view_set(&v, 785, 1200, 30, 5, -3, 4, 2, 1, -1) == CARM_OK);
  double p[3][4];
  memcpy(p, v.matrix, sizeof p);
  for (int j = 0; j < 4; j++) {
    p[0][j] *= 1.01; /* 1 % wider pixels along u */
  }
  carm_view d;
  memset(&d, 0, sizeof d);
  double res = 0.0;
  CHECK(carm_view_from_matrix(&d, p, &res) == CARM_OK);
  CHECK(res > 1.0);
  CHECK(rel_diff(d.matrix, p) <= 1e-12);
  /* the source (camera centre) is still exact: P·(source, 1) = 0 */
  double src[3];
  double h[3];
  carm_view_source(&d, src);
  carm_mat34_apply(p, src, h);
  CHECK(fabs(h[0]) + fabs(h[1]) + fabs(h[2]) < 1e-6);
  CHECK_NEAR(d.sdd_mm, 1206, 0.01);
}

static void test_refusals(void) {
  carm_view d;
  memset(&d, 0, sizeof d);
  d.sid_mm = 42.0;
  double zero[3][4] = {{0}};
  CHECK(carm_view_from_matrix(&d, zero, NULL) == CARM_ERR_GEOMETRY);
  double nan_m[3][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, NAN}};
  CHECK(carm_view_from_matrix(&d, nan_m, NULL) == CARM_ERR_GEOMETRY);
  /* rank 2 left block with a non-zero third row */
  double singular[3][4] = {{1, 0, 0, 0}, {2, 0, 0, 0}, {0, 0, 1, -100}};
  CHECK(carm_view_from_matrix(&d, singular, NULL) == CARM_ERR_GEOMETRY);
  /* isocentre behind the source: SID < 0 */
  carm_view v;
  CHECK(carm_view_set(&v, 785, 1200, 0, 0, 0, 0, 0, 0, 0) == CARM_OK);
  double p[3][4];
  memcpy(p, v.matrix, sizeof p);
  p[2][3] = -p[2][3];
  p[0][3] = -p[0][3];
  p[1][3] = -p[1][3];
  CHECK(carm_view_from_matrix(&d, p, NULL) == CARM_ERR_GEOMETRY);
  CHECK(strstr(carm_last_error(), "behind") != NULL);
  CHECK(d.sid_mm == 42.0); /* untouched on failure */
  CHECK(carm_view_from_matrix(NULL, p, NULL) == CARM_ERR_INVALID);
}

int main(void) {
  test_random_poses();
  test_check_value();
  test_parallel();
  test_non_model_matrix();
  test_refusals();
  return check_done();
}
