/* Hessian: the analytic 3x3 eigen-solver on random and degenerate
 * matrices, and eigenvalue signs/values on analytic Gaussian tube, blob and
 * plate profiles (the smoothed profile has a closed form). */
#include "check.h"
#include "seg_util.h"

static double det_shift(const double h[6], double l) {
  double a = h[0] - l, b = h[1] - l, c = h[2] - l, xy = h[3], xz = h[4], yz = h[5];
  return a * (b * c - yz * yz) - xy * (xy * c - yz * xz) + xz * (xy * yz - b * xz);
}

static void test_eigen_solver(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 42);
  double worst = 0.0;
  int sorted = 1, traces = 1;
  for (int t = 0; t < 2000; t++) {
    double h[6], l[3];
    for (int c = 0; c < 6; c++) {
      h[c] = 10.0 * (carm_rng_uniform(&rng) - 0.5);
    }
    carm_seg_eigen_sym3(h, l);
    double scale = fabs(h[0]) + fabs(h[1]) + fabs(h[2]) + fabs(h[3]) + fabs(h[4]) + fabs(h[5]);
    for (int c = 0; c < 3; c++) {
      worst = fmax(worst, fabs(det_shift(h, l[c])) / (scale * scale * scale));
    }
    if (!(fabs(l[0]) <= fabs(l[1]) && fabs(l[1]) <= fabs(l[2]))) {
      sorted = 0;
    }
    if (fabs(l[0] + l[1] + l[2] - (h[0] + h[1] + h[2])) > 1e-9 * scale) {
      traces = 0;
    }
  }
  CHECK_MSG(worst < 1e-9, "worst relative det %g", worst);
  CHECK(sorted);
  CHECK(traces);
  double d[6] = {3.0, -1.0, 2.0, 0.0, 0.0, 0.0}, l[3];
  carm_seg_eigen_sym3(d, l);
  CHECK_NEAR(l[0], -1.0, 1e-12);
  CHECK_NEAR(l[1], 2.0, 1e-12);
  CHECK_NEAR(l[2], 3.0, 1e-12);
  double iso[6] = {2.0, 2.0, 2.0, 0.0, 0.0, 0.0};
  carm_seg_eigen_sym3(iso, l);
  CHECK_NEAR(l[0], 2.0, 1e-12);
  CHECK_NEAR(l[2], 2.0, 1e-12);
  /* a repeated pair with off-diagonal terms: eigenvalues 0, 2 (twice)? use
   * [[1,1,0],[1,1,0],[0,0,2]] -> 0, 2, 2 */
  double rep[6] = {1.0, 1.0, 2.0, 1.0, 0.0, 0.0};
  carm_seg_eigen_sym3(rep, l);
  CHECK_NEAR(l[0], 0.0, 1e-9);
  CHECK_NEAR(l[1], 2.0, 1e-9);
  CHECK_NEAR(l[2], 2.0, 1e-9);
  double zero[6] = {0, 0, 0, 0, 0, 0};
  carm_seg_eigen_sym3(zero, l);
  CHECK(l[0] == 0.0 && l[1] == 0.0 && l[2] == 0.0);
}

/* Gaussian profile of std s0 (mm) in `dims` dimensions (1 plate along x,
 * 2 tube along z, 3 blob) centred in the volume. */
static carm_volume *profile(int dims, double s0, double sz) {
  carm_volume *v = make_vol(33, 33, 33, 1.0, 1.0, sz);
  for (int k = 0; k < 33; k++) {
    for (int j = 0; j < 33; j++) {
      for (int i = 0; i < 33; i++) {
        double x = i - 16.0, y = j - 16.0, z = (k - 16.0) * sz;
        double r2 = x * x + (dims >= 2 ? y * y : 0.0) + (dims >= 3 ? z * z : 0.0);
        *at(v, i, j, k) = (float)exp(-r2 / (2.0 * s0 * s0));
      }
    }
  }
  return v;
}

static void test_profiles(void) {
  const double s0 = 3.0, sigma = 1.0;
  const char *names[3] = {"plate", "tube", "blob"};
  for (int dims = 1; dims <= 3; dims++) {
    carm_volume *v = profile(dims, s0, dims == 2 ? 1.5 : 1.0);
    carm_volume *l1 = make_like(v), *l2 = make_like(v), *l3 = make_like(v);
    CHECK(carm_seg_hessian_eigen(l1, l2, l3, v, sigma) == CARM_OK);
    double a = *at(l1, 16, 16, 16), b = *at(l2, 16, 16, 16), c = *at(l3, 16, 16, 16);
    /* smoothed profile: amplitude (s0^2/(s0^2+sigma^2))^(dims/2), variance
     * s0^2 + sigma^2, so the curvature across is -amplitude / variance */
    double var = s0 * s0 + sigma * sigma;
    double expect = -pow(s0 * s0 / var, dims / 2.0) / var;
    printf("%s: eigenvalues %.5f %.5f %.5f (expected across %.5f)\n", names[dims - 1], a, b, c,
           expect);
    CHECK_NEAR(c, expect, 0.05 * fabs(expect));
    if (dims == 1) {
      CHECK(fabs(a) < 0.02 * fabs(expect) && fabs(b) < 0.02 * fabs(expect));
    } else if (dims == 2) {
      CHECK(fabs(a) < 0.02 * fabs(expect));
      CHECK(b < 0.0);
      CHECK_NEAR(b, expect, 0.05 * fabs(expect));
    } else {
      CHECK(a < 0.0 && b < 0.0 && c < 0.0);
      CHECK_NEAR(a, expect, 0.05 * fabs(expect));
    }
    carm_volume_destroy(v);
    carm_volume_destroy(l1);
    carm_volume_destroy(l2);
    carm_volume_destroy(l3);
  }
  carm_volume *v = make_vol(4, 4, 4, 1, 1, 1);
  carm_volume *w = make_like(v);
  CHECK(carm_seg_hessian_eigen(w, w, v, v, 1.0) == CARM_ERR_INVALID);
  CHECK(carm_seg_hessian_eigen(w, w, w, v, -1.0) == CARM_ERR_INVALID);
  carm_volume_destroy(v);
  carm_volume_destroy(w);
}

/* A linear ramp has no curvature anywhere, borders included (a clamped
 * stencil used to report gradient / spacing there). Only without
 * smoothing: the Gaussian's replicated borders do bend a ramp. */
static void test_ramp_borders(void) {
  carm_volume *v = make_vol(9, 8, 7, 0.5, 1.0, 2.0);
  for (int k = 0; k < 7; k++) {
    for (int j = 0; j < 8; j++) {
      for (int i = 0; i < 9; i++) {
        *at(v, i, j, k) = (float)(2.0 * i * 0.5 + 3.0 * j - 1.0 * k * 2.0);
      }
    }
  }
  carm_volume *l1 = make_like(v), *l2 = make_like(v), *l3 = make_like(v);
  CHECK(carm_seg_hessian_eigen(l1, l2, l3, v, 0.0) == CARM_OK);
  double worst = 0.0;
  for (int64_t n = 0; n < carm_volume_count(v); n++) {
    worst = fmax(worst, fabs(l3->data[n]));
  }
  CHECK_MSG(worst < 1e-4, "largest |eigenvalue| on a ramp %g", worst);
  carm_volume_destroy(v);
  carm_volume_destroy(l1);
  carm_volume_destroy(l2);
  carm_volume_destroy(l3);
}

int main(void) {
  test_eigen_solver();
  test_ramp_borders();
  test_profiles();
  return check_done();
}
