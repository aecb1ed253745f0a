/* Gaussian smoothing and gradient: impulse response against the analytic
 * kernel (anisotropic spacing), sum preservation, in-place use, errors. */
#include "check.h"
#include "seg_util.h"

static void test_impulse(void) {
  carm_volume *v = make_vol(41, 33, 29, 0.5, 0.8, 1.25);
  *at(v, 20, 16, 14) = 1000.0f;
  carm_volume *o = make_like(v);
  double sigma[3] = {1.5, 1.6, 2.5}; /* mm: 3, 2, 2 voxels */
  CHECK(carm_seg_gaussian(o, v, sigma) == CARM_OK);
  double sum = 0.0, maxerr = 0.0;
  /* the sampled kernel normalised to sum 1 per axis */
  double norm[3] = {0, 0, 0};
  for (int a = 0; a < 3; a++) {
    double sv = sigma[a] / v->spacing[a];
    int r = (int)ceil(4.0 * sv);
    for (int t = -r; t <= r; t++) {
      norm[a] += exp(-0.5 * t * t / (sv * sv));
    }
  }
  for (int64_t k = 0; k < v->dims[2]; k++) {
    for (int64_t j = 0; j < v->dims[1]; j++) {
      for (int64_t i = 0; i < v->dims[0]; i++) {
        double d[3] = {(double)(i - 20), (double)(j - 16), (double)(k - 14)};
        double expect = 1000.0;
        for (int a = 0; a < 3; a++) {
          double sv = sigma[a] / v->spacing[a];
          expect *=
              fabs(d[a]) <= ceil(4.0 * sv) ? exp(-0.5 * d[a] * d[a] / (sv * sv)) / norm[a] : 0.0;
        }
        double got = *at(o, i, j, k);
        sum += got;
        maxerr = fmax(maxerr, fabs(got - expect));
      }
    }
  }
  CHECK_NEAR(sum, 1000.0, 1e-2);
  CHECK_MSG(maxerr < 1e-4, "max error %g", maxerr);
  /* continuous check: the centre value is close to the continuous Gaussian
   * density times the voxel volume */
  double dens = 1000.0;
  for (int a = 0; a < 3; a++) {
    dens *= v->spacing[a] / (sqrt(2.0 * M_PI) * sigma[a]);
  }
  CHECK_NEAR(*at(o, 20, 16, 14), dens, 0.01 * dens);
  /* in place gives the same result */
  CHECK(carm_seg_gaussian(v, v, sigma) == CARM_OK);
  double diff = 0.0;
  for (int64_t n = 0; n < carm_volume_count(v); n++) {
    diff = fmax(diff, fabs(v->data[n] - o->data[n]));
  }
  CHECK(diff < 1e-6);
  /* sigma 0 copies */
  double zero[3] = {0, 0, 0};
  CHECK(carm_seg_gaussian(o, v, zero) == CARM_OK);
  CHECK(o->data[123] == v->data[123]);
  carm_volume_destroy(v);
  carm_volume_destroy(o);
}

static void test_constant_and_errors(void) {
  carm_volume *v = make_vol(10, 9, 8, 1, 1, 1);
  for (int64_t n = 0; n < carm_volume_count(v); n++) {
    v->data[n] = 3.0f;
  }
  carm_volume *o = make_like(v);
  double s[3] = {2.0, 2.0, 2.0};
  CHECK(carm_seg_gaussian(o, v, s) == CARM_OK);
  CHECK_NEAR(*at(o, 0, 0, 0), 3.0, 1e-5); /* replicated borders keep constants */
  double bad[3] = {1.0, -1.0, 1.0};
  CHECK(carm_seg_gaussian(o, v, bad) == CARM_ERR_INVALID);
  double nan3[3] = {1.0, NAN, 1.0};
  CHECK(carm_seg_gaussian(o, v, nan3) == CARM_ERR_INVALID);
  CHECK(carm_seg_gaussian(o, v, NULL) == CARM_ERR_INVALID);
  CHECK(carm_seg_gaussian(NULL, v, s) == CARM_ERR_INVALID);
  carm_volume *w = make_vol(10, 9, 7, 1, 1, 1);
  CHECK(carm_seg_gaussian(w, v, s) == CARM_ERR_INVALID);
  carm_volume_destroy(w);
  carm_volume_destroy(v);
  carm_volume_destroy(o);
}

static void test_gradient(void) {
  carm_volume *v = make_vol(12, 10, 8, 0.5, 2.0, 1.0);
  for (int k = 0; k < 8; k++) {
    for (int j = 0; j < 10; j++) {
      for (int i = 0; i < 12; i++) {
        /* f = 2 x - 3 y + 0.5 z in mm */
        *at(v, i, j, k) = (float)(2.0 * i * 0.5 - 3.0 * j * 2.0 + 0.5 * k * 1.0);
      }
    }
  }
  carm_volume *gx = make_like(v), *gy = make_like(v), *gz = make_like(v), *gm = make_like(v);
  CHECK(carm_seg_gradient(gx, gy, gz, gm, v) == CARM_OK);
  double err = 0.0;
  for (int64_t n = 0; n < carm_volume_count(v); n++) {
    err = fmax(err, fabs(gx->data[n] - 2.0));
    err = fmax(err, fabs(gy->data[n] + 3.0));
    err = fmax(err, fabs(gz->data[n] - 0.5));
    err = fmax(err, fabs(gm->data[n] - sqrt(4.0 + 9.0 + 0.25)));
  }
  CHECK_MSG(err < 1e-4, "gradient error %g", err);
  CHECK(carm_seg_gradient(NULL, NULL, NULL, NULL, v) == CARM_ERR_INVALID);
  CHECK(carm_seg_gradient(v, NULL, NULL, NULL, v) == CARM_ERR_INVALID);
  CHECK(carm_seg_gradient(NULL, gy, NULL, NULL, v) == CARM_OK);
  carm_volume_destroy(v);
  carm_volume_destroy(gx);
  carm_volume_destroy(gy);
  carm_volume_destroy(gz);
  carm_volume_destroy(gm);
}

int main(void) {
  test_impulse();
  test_constant_and_errors();
  test_gradient();
  return check_done();
}
