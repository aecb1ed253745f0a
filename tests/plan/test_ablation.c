/* Ablation: zone depth against brute force on the ellipse; coverage and
 * minimal margin on analytic spheres against closed forms. */
#include "carm/plan.h"
#include "check.h"

/* brute force: smallest distance from p to densely sampled surface points */
static double brute_depth(const carm_ablation_zone *z, const double p[3]) {
  double a = z->long_mm / 2;
  double b = z->short_mm / 2;
  double best = INFINITY;
  for (int i = 0; i <= 20000; i++) {
    double t = M_PI * i / 20000.0;
    /* zone axis along x in this test */
    double q[2] = {a * cos(t), b * sin(t)};
    double rho = hypot(p[1], p[2]);
    double d = hypot(p[0] - z->centre_mm[0] - q[0], rho - q[1]);
    best = d < best ? d : best;
  }
  return best;
}

static carm_volume *sphere_labels(double r_mm, double voxel) {
  carm_volume *v = NULL;
  int64_t n = (int64_t)(80.0 / voxel);
  int64_t dims[3] = {n, n, n};
  if (carm_volume_create(&v, dims) != CARM_OK) {
    return NULL;
  }
  for (int a = 0; a < 3; a++) {
    v->spacing[a] = voxel;
    v->origin[a] = -0.5 * (double)(n - 1) * voxel;
  }
  for (int64_t k = 0; k < n; k++) {
    for (int64_t j = 0; j < n; j++) {
      for (int64_t i = 0; i < n; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double p[3];
        carm_volume_index_to_point(v, ijk, p);
        if (carm_vec3_dot(p, p) <= r_mm * r_mm) {
          v->data[(k * n + j) * n + i] = 12.0f;
        }
      }
    }
  }
  return v;
}

int main(void) {
  carm_ablation_zone z = {{0, 0, 0}, {1, 0, 0}, 40.0, 20.0};
  const double pts[][3] = {{0, 0, 0},  {15, 0, 0}, {5, 3, 2}, {19, 1, 0},
                           {25, 0, 0}, {0, 12, 0}, {10, 0, 9}};
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    double d = carm_ablation_zone_depth(&z, pts[i]);
    CHECK_NEAR(fabs(d), brute_depth(&z, pts[i]), 1e-3);
  }
  CHECK_NEAR(carm_ablation_zone_depth(&z, pts[0]), 10.0, 1e-9);
  CHECK(carm_ablation_zone_depth(&z, pts[4]) < 0);
  /* oblate zone (short > long) and a tilted axis */
  carm_ablation_zone o = {{1, 2, 3}, {0, 1, 1}, 10.0, 30.0};
  const double c[3] = {1, 2, 3};
  CHECK_NEAR(carm_ablation_zone_depth(&o, c), 5.0, 1e-9);

  /* tumour sphere r = 10 mm at 1 mm voxels, HCC margin 5 mm */
  carm_volume *lab = sphere_labels(10.0, 1.0);
  CHECK(lab != NULL);
  carm_ablation_coverage cov;
  /* a centred spherical zone of radius 20: full coverage, margin 20 − 10 = 10 */
  carm_ablation_zone s = {{0, 0, 0}, {0, 0, 1}, 40.0, 40.0};
  CHECK(carm_ablation_coverage_compute(lab, 12, 5.0, &s, &cov) == CARM_OK);
  CHECK_NEAR(cov.coverage, 1.0, 1e-12);
  CHECK_NEAR(cov.tumour_coverage, 1.0, 1e-12);
  CHECK_NEAR(cov.min_margin_mm, 10.0, 1.0); /* voxel centres lie inside r */
  CHECK_NEAR(cov.target_ml, 4.0 / 3.0 * M_PI * 1000.0 / 1000.0, 0.1);
  /* the zone shifted by d = 8 mm: minimal margin R − d − r = 2 mm; coverage of
   * the margin sphere (radius 15) = lens volume / sphere volume:
   * V = π(R + r − d)²(d² + 2dr − 3r² + 2dR + 6rR − 3R²)/(12d)
   *   = π·729·549/96 = 13097.1 mm³; 4/3·π·15³ = 14137.2 mm³ → 0.9264 */
  s.centre_mm[0] = 8.0;
  CHECK(carm_ablation_coverage_compute(lab, 12, 5.0, &s, &cov) == CARM_OK);
  CHECK_NEAR(cov.min_margin_mm, 2.0, 1.0);
  CHECK_NEAR(cov.coverage, 0.9264, 0.03);
  CHECK_NEAR(cov.tumour_coverage, 1.0, 1e-12);
  /* a zone too small: part of the tumour outside, negative margin */
  carm_ablation_zone small = {{0, 0, 0}, {0, 0, 1}, 16.0, 16.0};
  CHECK(carm_ablation_coverage_compute(lab, 12, 5.0, &small, &cov) == CARM_OK);
  CHECK(cov.min_margin_mm < 0.0);
  /* tumour share inside radius 8 of radius 10: (8/10)³ = 0.512 */
  CHECK_NEAR(cov.tumour_coverage, 0.512, 0.04);
  CHECK(carm_ablation_coverage_compute(lab, 99, 5.0, &s, &cov) == CARM_ERR_NOTFOUND);
  CHECK(carm_ablation_coverage_compute(lab, 12, -1.0, &s, &cov) == CARM_ERR_RANGE);
  carm_volume_destroy(lab);
  return check_done();
}
