/* Synthetic volumes for the segmentation tests. */
#ifndef CARM_TEST_SEG_UTIL_H
#define CARM_TEST_SEG_UTIL_H

#include "carm/carm.h"

#include <math.h>
#include <stdlib.h>

static inline carm_volume *make_vol(int64_t nx, int64_t ny, int64_t nz, double sx, double sy,
                                    double sz) {
  int64_t dims[3] = {nx, ny, nz};
  carm_volume *v = NULL;
  if (carm_volume_create(&v, dims) != CARM_OK) {
    fprintf(stderr, "cannot allocate a test volume\n");
    exit(1);
  }
  v->spacing[0] = sx;
  v->spacing[1] = sy;
  v->spacing[2] = sz;
  return v;
}

static inline carm_volume *make_like(const carm_volume *like) {
  carm_volume *v = NULL;
  if (carm_volume_create_like(&v, like) != CARM_OK) {
    fprintf(stderr, "cannot allocate a test volume\n");
    exit(1);
  }
  return v;
}

static inline float *at(carm_volume *v, int64_t i, int64_t j, int64_t k) {
  return &v->data[(k * v->dims[1] + j) * v->dims[0] + i];
}

/* Distance from p to the segment [a, b] (3D, any units). */
static inline double dist_to_segment(const double p[3], const double a[3], const double b[3]) {
  double ab[3], ap[3], l2 = 0.0, t = 0.0;
  for (int c = 0; c < 3; c++) {
    ab[c] = b[c] - a[c];
    ap[c] = p[c] - a[c];
    l2 += ab[c] * ab[c];
    t += ab[c] * ap[c];
  }
  t = l2 > 0.0 ? t / l2 : 0.0;
  t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
  double d2 = 0.0;
  for (int c = 0; c < 3; c++) {
    double d = ap[c] - t * ab[c];
    d2 += d * d;
  }
  return sqrt(d2);
}

/* Set to `value` every voxel whose centre (physical mm) lies within
 * `radius` of the segment [a, b] (mm). */
static inline void draw_capsule(carm_volume *v, const double a[3], const double b[3], double radius,
                                float value) {
  for (int64_t k = 0; k < v->dims[2]; k++) {
    for (int64_t j = 0; j < v->dims[1]; j++) {
      for (int64_t i = 0; i < v->dims[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k}, p[3];
        carm_volume_index_to_point(v, ijk, p);
        if (dist_to_segment(p, a, b) <= radius) {
          *at(v, i, j, k) = value;
        }
      }
    }
  }
}

static inline int64_t count_fg(const carm_volume *v) {
  int64_t n = 0;
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    n += v->data[i] > 0.5f;
  }
  return n;
}

static inline int64_t count_diff(const carm_volume *a, const carm_volume *b) {
  int64_t n = 0;
  for (int64_t i = 0; i < carm_volume_count(a); i++) {
    n += (a->data[i] > 0.5f) != (b->data[i] > 0.5f);
  }
  return n;
}

#endif
