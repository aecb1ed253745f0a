/* A synthetic abdomen for the organ tests: body with fat and muscle, a
 * liver-like blob on the patient's right with arteries and three tumours
 * (one with a necrotic cap), spleen, right kidney, spine; delayed and
 * arterial phases in HU with partial volume (2x2x2 supersampling) and
 * Gaussian noise; truth labels at voxel centres. LPS, 1.5 mm voxels. */
#ifndef CARM_TEST_ORGAN_PHANTOM_H
#define CARM_TEST_ORGAN_PHANTOM_H

#include "carm/carm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  PH_BG = 0,
  PH_BODY = 1,
  PH_LIVER = 3,
  PH_ARTERY = 4,
  PH_SPLEEN = 5,
  PH_KIDNEY = 6,
  PH_BONE = 7,
  PH_FAT = 8,
  PH_VFAT = 9,
  PH_TUMOUR = 10
};

#define PH_N_TUMOURS 3
static const double ph_tumour_c[PH_N_TUMOURS][3] = {
    {-75.0, -20.0, 110.0}, {-30.0, 15.0, 80.0}, {-80.0, 15.0, 80.0}};
static const double ph_tumour_r[PH_N_TUMOURS] = {12.0, 8.0, 18.0};
/* tumour 3 has a necrotic (not enhancing) core: a ball of radius 9 mm
 * centred 4 mm off the tumour's centre along +x (an enhancing rim 5 to 13 mm
 * thick around it) */
#define PH_NECROSIS_R 9.0
#define PH_NECROSIS_OFF 4.0

static double ph_ell(double x, double y, double z, double cx, double cy, double cz, double rx,
                     double ry, double rz) {
  double a = (x - cx) / rx;
  double b = (y - cy) / ry;
  double c = (z - cz) / rz;
  return a * a + b * b + c * c;
}

/* distance from p to segment a-b */
static double ph_seg_dist(double x, double y, double z, const double a[3], const double b[3]) {
  double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  double ap[3] = {x - a[0], y - a[1], z - a[2]};
  double t = (ab[0] * ap[0] + ab[1] * ap[1] + ab[2] * ap[2]) /
             (ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2]);
  t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
  double d[3] = {ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]};
  return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
}

static const double ph_art[4][2][3] = {{{-20.0, 10.0, 95.0}, {-60.0, 0.0, 110.0}},
                                       {{-60.0, 0.0, 110.0}, {-95.0, -20.0, 120.0}},
                                       {{-60.0, 0.0, 110.0}, {-70.0, 20.0, 70.0}},
                                       {{-20.0, 10.0, 95.0}, {-25.0, -30.0, 85.0}}};

/* Tissue at a point: label, and (via *necrotic) whether in the necrotic cap. */
static int ph_tissue(double x, double y, double z, int *tumour, int *necrotic) {
  *tumour = -1;
  *necrotic = 0;
  if (ph_ell(x, y, z, 0, 0, 75, 140, 100, 1e9) > 1.0) {
    return PH_BG;
  }
  if (ph_ell(x, y, z, 0, 0, 75, 130, 90, 1e9) > 1.0) {
    return PH_FAT;
  }
  if (ph_ell(x, y, z, 0, 0, 75, 120, 80, 1e9) > 1.0) {
    return PH_BODY; /* abdominal wall muscle */
  }
  if (ph_ell(x, y, z, 0, 55, 0, 18, 18, 1e9) <= 1.0) {
    return PH_BONE;
  }
  if (ph_ell(x, y, z, -35, 55, 0, 14, 14, 1e9) <= 1.0 ||
      ph_ell(x, y, z, 35, 55, 0, 14, 14, 1e9) <= 1.0) {
    return PH_BODY; /* psoas */
  }
  /* liver: ellipsoid cut by a plane (medial, inferior bevel) */
  int liver = ph_ell(x, y, z, -60, 0, 95, 72, 62, 50) <= 1.0 && (x - 0.5 * (z - 95)) < 5.0;
  if (liver) {
    for (int t = 0; t < PH_N_TUMOURS; t++) {
      double d =
          sqrt(ph_ell(x, y, z, ph_tumour_c[t][0], ph_tumour_c[t][1], ph_tumour_c[t][2], 1, 1, 1));
      if (d <= ph_tumour_r[t]) {
        *tumour = t;
        *necrotic =
            t == 2 && ph_ell(x, y, z, ph_tumour_c[t][0] + PH_NECROSIS_OFF, ph_tumour_c[t][1],
                             ph_tumour_c[t][2], PH_NECROSIS_R, PH_NECROSIS_R, PH_NECROSIS_R) <= 1.0;
        return PH_TUMOUR + t + 1;
      }
    }
    for (int s = 0; s < 4; s++) {
      if (ph_seg_dist(x, y, z, ph_art[s][0], ph_art[s][1]) <= 1.5) {
        return PH_ARTERY;
      }
    }
    return PH_LIVER;
  }
  if (ph_ell(x, y, z, 85, 35, 100, 25, 38, 40) <= 1.0) {
    return PH_SPLEEN;
  }
  if (ph_ell(x, y, z, -55, 55, 35, 25, 22, 40) <= 1.0) {
    return PH_KIDNEY;
  }
  if (ph_ell(x, y, z, 40, -30, 40, 30, 25, 30) <= 1.0 ||
      ph_ell(x, y, z, 15, -40, 110, 25, 20, 25) <= 1.0) {
    return PH_BODY; /* bowel */
  }
  return PH_VFAT;
}

/* HU of a tissue in a phase (0 delayed, 1 arterial). */
static double ph_hu(int tissue, int necrotic, int phase) {
  switch (tissue) {
  case PH_BG: return -1000.0;
  case PH_FAT: return -100.0;
  case PH_VFAT: return -80.0;
  case PH_BONE: return 700.0;
  case PH_LIVER: return phase ? 70.0 : 110.0;
  case PH_ARTERY: return phase ? 300.0 : 130.0;
  case PH_SPLEEN: return phase ? 120.0 : 105.0;
  case PH_KIDNEY: return phase ? 200.0 : 160.0;
  case PH_BODY: return 45.0;
  default: /* tumours: arterial hyper-enhancement, delayed wash-out */
    if (necrotic) {
      return phase ? 30.0 : 30.0;
    }
    return phase ? 160.0 : 75.0;
  }
}

typedef struct ph_set {
  carm_volume *delayed;
  carm_volume *arterial;
  carm_volume *truth; /* labels at voxel centres */
} ph_set;

static void ph_destroy(ph_set *p) {
  carm_volume_destroy(p->delayed);
  carm_volume_destroy(p->arterial);
  carm_volume_destroy(p->truth);
}

static ph_set ph_make(double noise_hu, unsigned seed) {
  const double h = 1.5;
  int64_t dims[3] = {188, 134, 100};
  ph_set p = {NULL, NULL, NULL};
  if (carm_volume_create(&p.delayed, dims) != CARM_OK ||
      carm_volume_create(&p.arterial, dims) != CARM_OK ||
      carm_volume_create(&p.truth, dims) != CARM_OK) {
    fprintf(stderr, "cannot allocate the phantom\n");
    exit(1);
  }
  carm_volume *vs[3] = {p.delayed, p.arterial, p.truth};
  for (int v = 0; v < 3; v++) {
    for (int a = 0; a < 3; a++) {
      vs[v]->spacing[a] = h;
    }
    vs[v]->origin[0] = -140.0;
    vs[v]->origin[1] = -100.0;
    vs[v]->origin[2] = 0.0;
  }
  carm_rng rng;
  carm_rng_seed(&rng, seed);
  for (int64_t k = 0; k < dims[2]; k++) {
    for (int64_t j = 0; j < dims[1]; j++) {
      for (int64_t i = 0; i < dims[0]; i++) {
        double x = -140.0 + h * (double)i;
        double y = -100.0 + h * (double)j;
        double z = h * (double)k;
        int t;
        int nec;
        int lab = ph_tissue(x, y, z, &t, &nec);
        double sum[2] = {0.0, 0.0};
        for (int s = 0; s < 8; s++) {
          double xs = x + h * (((s & 1) ? 0.25 : -0.25));
          double ys = y + h * (((s >> 1) & 1 ? 0.25 : -0.25));
          double zs = z + h * (((s >> 2) & 1 ? 0.25 : -0.25));
          int t2;
          int n2;
          int l2 = ph_tissue(xs, ys, zs, &t2, &n2);
          sum[0] += ph_hu(l2, n2, 0) / 8.0;
          sum[1] += ph_hu(l2, n2, 1) / 8.0;
        }
        int64_t idx = (k * dims[1] + j) * dims[0] + i;
        p.truth->data[idx] = (float)lab;
        p.delayed->data[idx] = (float)(sum[0] + noise_hu * carm_rng_normal(&rng));
        p.arterial->data[idx] = (float)(sum[1] + noise_hu * carm_rng_normal(&rng));
      }
    }
  }
  return p;
}

#endif
