/* Lesion measurements on exact shapes: volume, centroid, RECIST of a bar
 * and a sphere, mRECIST of a sphere whose enhancing part is a cap, the
 * axial axis in another frame, hole filling and Dice. */
#include "carm/carm.h"
#include "carm/organ.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static carm_volume *grid(int64_t n, double h) {
  int64_t d[3] = {n, n, n};
  carm_volume *v = NULL;
  if (carm_volume_create(&v, d) != CARM_OK) {
    exit(1);
  }
  for (int a = 0; a < 3; a++) {
    v->spacing[a] = h;
    v->origin[a] = -0.5 * h * (double)(n - 1);
  }
  return v;
}

static float *at(carm_volume *v, int64_t i, int64_t j, int64_t k) {
  return &v->data[(k * v->dims[1] + j) * v->dims[0] + i];
}

int main(void) {
  const double h = 1.0;
  carm_volume *lab = grid(61, h);
  carm_volume *img = grid(61, h);
  /* label 1: a sphere r = 15 mm at the centre; intensities 100 HU in the
   * cap x <= -9 mm, 0 elsewhere */
  for (int64_t k = 0; k < 61; k++) {
    for (int64_t j = 0; j < 61; j++) {
      for (int64_t i = 0; i < 61; i++) {
        double x = (double)i - 30.0;
        double y = (double)j - 30.0;
        double z = (double)k - 30.0;
        if (x * x + y * y + z * z <= 225.0) {
          *at(lab, i, j, k) = 1.0f;
          *at(img, i, j, k) = x <= -9.0 ? 100.0f : 0.0f;
        }
      }
    }
  }
  /* label 2: a bar along x of 20 voxels, one voxel thick, in slice k = 5 */
  for (int64_t i = 5; i < 25; i++) {
    *at(lab, i, 5, 5) = 2.0f;
  }
  carm_organ_tumour_opts o = CARM_ORGAN_TUMOUR_OPTS_INIT;
  o.units = CARM_ORGAN_UNITS_HU;
  o.smooth_sigma_mm = 0.0;
  carm_organ_lesion m[2];
  CHECK(carm_organ_measure(m, 2, lab, img, 50.0, &o) == CARM_OK);
  double vs = 0.0;
  for (int64_t i = 0; i < carm_volume_count(lab); i++) {
    vs += lab->data[i] == 1.0f;
  }
  printf("sphere: %.3f mL, RECIST %.2f mm, mRECIST %.2f mm, enhancing %.3f; bar RECIST %.2f\n",
         m[0].volume_ml, m[0].recist_mm, m[0].mrecist_mm, m[0].enhancing_fraction, m[1].recist_mm);
  CHECK_NEAR(m[0].volume_ml, vs / 1000.0, 1e-9);
  CHECK_NEAR(m[0].volume_ml, 4.0 / 3.0 * M_PI * 3375.0 / 1000.0, 0.1);
  for (int a = 0; a < 3; a++) {
    CHECK_NEAR(m[0].centroid_mm[a], 0.0, 1e-9);
  }
  /* digitised disc of diameter 30 through the centre: 31 voxels wide */
  CHECK(fabs(m[0].recist_mm - 30.0) <= 1.0);
  CHECK_NEAR(m[0].recist_slice_mm, 0.0, 1e-9);
  /* the cap's base: 2 sqrt(15^2 - 9^2) = 24 */
  CHECK(fabs(m[0].mrecist_mm - 24.0) <= 1.5);
  CHECK(m[0].enhancing_fraction > 0.05 && m[0].enhancing_fraction < 0.2);
  CHECK_NEAR(m[1].recist_mm, 20.0, 1e-9); /* edge midpoint to edge midpoint */
  CHECK_NEAR(m[1].volume_ml, 0.020, 1e-12);
  CHECK(isnan(m[1].mrecist_mm) == 0 && m[1].mrecist_mm == 0.0);
  /* no intensities: mRECIST NaN */
  CHECK(carm_organ_measure(m, 2, lab, NULL, 0.0, &o) == CARM_OK);
  CHECK(isnan(m[0].mrecist_mm) && isnan(m[0].mean_hu));

  /* frames: a cylinder along y (radius 10, 41 mm long). In LPS the axial
   * slices are k: longest in-plane diameter ~ sqrt(20^2 + 41^2); in a frame
   * whose +y is superior (LPS = (-x, z, y)) the slices are j: a 20 mm disc. */
  memset(lab->data, 0, (size_t)carm_volume_count(lab) * sizeof(float));
  for (int64_t k = 0; k < 61; k++) {
    for (int64_t j = 10; j <= 50; j++) {
      for (int64_t i = 0; i < 61; i++) {
        double x = (double)i - 30.0;
        double z = (double)k - 30.0;
        if (x * x + z * z <= 100.0) {
          *at(lab, i, j, k) = 1.0f;
        }
      }
    }
  }
  CHECK(carm_organ_measure(m, 1, lab, NULL, 0.0, &o) == CARM_OK);
  double lps_d = m[0].recist_mm;
  static const double tw[3][3] = {{-1, 0, 0}, {0, 0, 1}, {0, 1, 0}};
  memcpy(o.lps_from_physical, tw, sizeof tw);
  CHECK(carm_organ_measure(m, 1, lab, NULL, 0.0, &o) == CARM_OK);
  printf("cylinder: RECIST %.2f mm in LPS, %.2f mm with +y superior\n", lps_d, m[0].recist_mm);
  CHECK(fabs(lps_d - sqrt(21.0 * 21.0 + 41.0 * 41.0)) <= 1.5);
  CHECK(fabs(m[0].recist_mm - 20.0) <= 1.0);
  /* centroid in LPS: (x, y, z) -> (-x, z, y) */
  CHECK_NEAR(m[0].centroid_lps_mm[0], -m[0].centroid_mm[0], 1e-9);
  CHECK_NEAR(m[0].centroid_lps_mm[2], m[0].centroid_mm[1], 1e-9);
  o.lps_from_physical[0][0] = 2.0;
  CHECK(carm_organ_measure(m, 1, lab, NULL, 0.0, &o) == CARM_ERR_INVALID);

  /* hole filling: a hollow ball is filled in 3D; a tube open at both ends
   * is filled only slice by slice across its axis */
  carm_volume *f = grid(61, h);
  memset(lab->data, 0, (size_t)carm_volume_count(lab) * sizeof(float));
  for (int64_t k = 0; k < 61; k++) {
    for (int64_t j = 0; j < 61; j++) {
      for (int64_t i = 0; i < 61; i++) {
        double x = (double)i - 30.0;
        double y = (double)j - 30.0;
        double r = sqrt(x * x + y * y);
        if (r >= 5.0 && r <= 9.0) {
          *at(lab, i, j, k) = 1.0f; /* tube along z */
        }
      }
    }
  }
  CHECK(carm_organ_fill_holes(f, lab, -1) == CARM_OK);
  CHECK(*at(f, 30, 30, 30) == 0.0f);
  CHECK(carm_organ_fill_holes(f, lab, 2) == CARM_OK);
  CHECK(*at(f, 30, 30, 30) == 1.0f && *at(f, 30, 30, 0) == 1.0f && *at(f, 0, 0, 30) == 0.0f);
  CHECK(carm_organ_fill_holes(f, lab, 3) == CARM_ERR_INVALID);
  double dice = 0.0;
  CHECK(carm_organ_dice(&dice, f, f) == CARM_OK && dice == 1.0);
  CHECK(carm_organ_dice(&dice, f, lab) == CARM_OK && dice > 0.5 && dice < 1.0);
  carm_volume_destroy(f);
  carm_volume_destroy(lab);
  carm_volume_destroy(img);
  return check_done();
}
