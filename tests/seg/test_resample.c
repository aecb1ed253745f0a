/* Resampling: identity, a known integer and half-voxel shift, exactness on
 * linear functions under a rotated and rescaled grid, nearest on labels. */
#include "check.h"
#include "seg_util.h"

static double lin_f(const double p[3]) { return 3.0 + 0.5 * p[0] - 0.25 * p[1] + 0.125 * p[2]; }

static void fill_linear(carm_volume *v) {
  for (int k = 0; k < v->dims[2]; k++) {
    for (int j = 0; j < v->dims[1]; j++) {
      for (int i = 0; i < v->dims[0]; i++) {
        double ijk[3] = {i, j, k}, p[3];
        carm_volume_index_to_point(v, ijk, p);
        *at(v, i, j, k) = (float)lin_f(p);
      }
    }
  }
}

static void test_identity_and_shift(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 5);
  carm_volume *in = make_vol(9, 8, 7, 0.9, 1.1, 1.7);
  in->origin[0] = -3.0;
  in->origin[1] = 2.0;
  in->origin[2] = 10.0;
  carm_mat3_rot_z(0.4, in->direction);
  for (int64_t n = 0; n < carm_volume_count(in); n++) {
    in->data[n] = (float)carm_rng_uniform(&rng);
  }
  carm_volume *out = make_like(in);
  for (int interp = 0; interp < 2; interp++) {
    CHECK(carm_seg_resample(out, in, (carm_seg_interp)interp, -1.0f) == CARM_OK);
    double d = 0.0;
    for (int64_t n = 0; n < carm_volume_count(in); n++) {
      d = fmax(d, fabs(out->data[n] - in->data[n]));
    }
    CHECK_MSG(d < 1e-5, "identity (interp %d) differs by %g", interp, d);
  }
  /* shift the output grid by two voxels along the (rotated) x axis */
  double shift[3] = {2.0 * 0.9, 0.0, 0.0}, world[3];
  carm_mat3_apply(in->direction, shift, world);
  for (int c = 0; c < 3; c++) {
    out->origin[c] = in->origin[c] + world[c];
  }
  CHECK(carm_seg_resample(out, in, CARM_SEG_LINEAR, -1.0f) == CARM_OK);
  double d = 0.0;
  int outside_ok = 1;
  for (int k = 0; k < 7; k++) {
    for (int j = 0; j < 8; j++) {
      for (int i = 0; i < 9; i++) {
        if (i + 2 < 9) {
          d = fmax(d, fabs(*at(out, i, j, k) - *at(in, i + 2, j, k)));
        } else {
          outside_ok = outside_ok && *at(out, i, j, k) == -1.0f;
        }
      }
    }
  }
  CHECK_MSG(d < 1e-5, "shift differs by %g", d);
  CHECK(outside_ok);
  /* half a voxel along y: the mean of two neighbours */
  double half[3] = {0.0, 0.5 * 1.1, 0.0};
  carm_mat3_apply(in->direction, half, world);
  for (int c = 0; c < 3; c++) {
    out->origin[c] = in->origin[c] + world[c];
  }
  CHECK(carm_seg_resample(out, in, CARM_SEG_LINEAR, -1.0f) == CARM_OK);
  CHECK_NEAR(*at(out, 4, 3, 2), 0.5 * (*at(in, 4, 3, 2) + *at(in, 4, 4, 2)), 1e-5);
  carm_volume_destroy(in);
  carm_volume_destroy(out);
}

static void test_linear_exact(void) {
  carm_volume *in = make_vol(20, 22, 18, 1.0, 0.9, 1.2);
  in->origin[0] = -10.0;
  in->origin[1] = -9.0;
  in->origin[2] = -10.0;
  fill_linear(in);
  int64_t dims[3] = {15, 13, 11};
  carm_volume *out = NULL;
  CHECK(carm_volume_create(&out, dims) == CARM_OK);
  out->spacing[0] = 0.7;
  out->spacing[1] = 0.8;
  out->spacing[2] = 0.6;
  double rx[3][3], rz[3][3];
  carm_mat3_rot_x(0.3, rx);
  carm_mat3_rot_z(-0.7, rz);
  carm_mat3_mul(rz, rx, out->direction);
  out->origin[0] = -4.0;
  out->origin[1] = -3.0;
  out->origin[2] = -2.0;
  CHECK(carm_seg_resample(out, in, CARM_SEG_LINEAR, NAN) == CARM_OK);
  double worst = 0.0;
  int64_t inside = 0, wrong_outside = 0;
  for (int k = 0; k < 11; k++) {
    for (int j = 0; j < 13; j++) {
      for (int i = 0; i < 15; i++) {
        double ijk[3] = {i, j, k}, p[3];
        carm_volume_index_to_point(out, ijk, p);
        float v = *at(out, i, j, k);
        double q[3];
        carm_volume_point_to_index(in, p, q);
        int in_box = 1;
        for (int c = 0; c < 3; c++) {
          in_box = in_box && q[c] >= -1e-9 && q[c] <= (double)(in->dims[c] - 1) + 1e-9;
        }
        if (!isnan(v)) {
          worst = fmax(worst, fabs(v - lin_f(p)));
          inside++;
        }
        wrong_outside += isnan(v) == in_box;
      }
    }
  }
  CHECK(inside > 15 * 13 * 11 / 2);
  CHECK(wrong_outside == 0);
  CHECK_MSG(worst < 1e-4, "linear function error %g", worst);
  /* nearest keeps label values */
  carm_volume *lab = make_like(in);
  for (int64_t n = 0; n < carm_volume_count(lab); n++) {
    lab->data[n] = (float)(n % 5);
  }
  CHECK(carm_seg_resample(out, lab, CARM_SEG_NEAREST, 0.0f) == CARM_OK);
  int labels_ok = 1;
  for (int64_t n = 0; n < carm_volume_count(out); n++) {
    float v = out->data[n];
    labels_ok = labels_ok && v == floorf(v) && v >= 0.0f && v <= 4.0f;
  }
  CHECK(labels_ok);
  CHECK(carm_seg_resample(out, out, CARM_SEG_LINEAR, 0.0f) == CARM_ERR_INVALID);
  CHECK(carm_seg_resample(out, in, (carm_seg_interp)3, 0.0f) == CARM_ERR_INVALID);
  carm_volume_destroy(in);
  carm_volume_destroy(out);
  carm_volume_destroy(lab);
}

int main(void) {
  test_identity_and_shift();
  test_linear_exact();
  return check_done();
}
