/* Analytic ellipsoid phantoms for the reconstruction tests: exact line
 * integrals (closed-form chord lengths) and voxelised references.
 * Ellipsoid axes are rotated about y (the rotation axis) by `angle_deg`. */
#ifndef CARM_TEST_ELLIPSOIDS_H
#define CARM_TEST_ELLIPSOIDS_H

#include "carm/carm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct ellipsoid {
  double axes[3];
  double centre[3];
  double angle_deg;
  double density;
} ellipsoid;

/* RTK's 3D Shepp–Logan (rtk::SheppLoganPhantom, current table), unit scale. */
static const ellipsoid shepp_logan[10] = {{{0.69, 0.90, 0.92}, {0., 0., 0.}, 0., 2.},
                                          {{0.6624, 0.880, 0.874}, {0., 0., 0.}, 0., -0.98},
                                          {{0.41, 0.21, 0.16}, {-0.22, -0.25, 0.}, 108., -0.02},
                                          {{0.31, 0.22, 0.11}, {0.22, -0.25, 0.}, 72., -0.02},
                                          {{0.21, 0.50, 0.25}, {0., -0.25, 0.35}, 0., 0.02},
                                          {{0.046, 0.046, 0.046}, {0., -0.25, 0.10}, 0., 0.02},
                                          {{0.046, 0.02, 0.023}, {-0.08, -0.25, -0.65}, 0., 0.01},
                                          {{0.046, 0.02, 0.023}, {0.06, -0.25, -0.65}, 90., 0.01},
                                          {{0.056, 0.1, 0.04}, {0.06, 0.625, -0.105}, 90., 0.02},
                                          {{0.056, 0.1, 0.056}, {0., 0.625, 0.1}, 0., -0.02}};

static inline ellipsoid ell_scaled(ellipsoid e, double scale, double density_scale) {
  for (int i = 0; i < 3; i++) {
    e.axes[i] *= scale;
    e.centre[i] *= scale;
  }
  e.density *= density_scale;
  return e;
}

/* The ellipsoids as a scene of the shared phantom module (phantom.h), so
 * the tests project and voxelise through the same exact code as `carm sim`
 * (patient position included). Aborts on an invalid table (a test bug). */
static inline carm_phantom *ell_scene(const ellipsoid *es, int n) {
  carm_phantom *ph = NULL;
  if (carm_phantom_create(&ph) != CARM_OK) {
    abort();
  }
  for (int k = 0; k < n; k++) {
    /* local axes in world: the ellipsoid turned about y by angle_deg */
    double a = es[k].angle_deg * M_PI / 180.0;
    double c = cos(a);
    double s = sin(a);
    double rot[3][3] = {{c, 0.0, -s}, {0.0, 1.0, 0.0}, {s, 0.0, c}};
    if (carm_phantom_add_ellipsoid(ph, es[k].centre, es[k].axes, rot, es[k].density) != CARM_OK) {
      abort();
    }
  }
  return ph;
}

/* Fill a projection stack (grid set) with exact line integrals. */
static inline void ell_project(const ellipsoid *es, int n, const carm_geometry *geo,
                               carm_volume *proj) {
  carm_phantom *ph = ell_scene(es, n);
  if (carm_phantom_project_analytic(ph, geo, proj) != CARM_OK) {
    abort();
  }
  carm_phantom_destroy(ph);
}

/* Voxelise (value at voxel centres, densities add). */
static inline void ell_draw(const ellipsoid *es, int n, carm_volume *vol) {
  carm_phantom *ph = ell_scene(es, n);
  if (carm_phantom_voxelize(ph, vol, 1) != CARM_OK) {
    abort();
  }
  carm_phantom_destroy(ph);
}

/* Mask of voxels seen by every view's detector (every `stride`-th view). */
static inline unsigned char *fov_mask(const carm_volume *vol, const carm_geometry *geo,
                                      const carm_volume *proj, int stride) {
  int64_t n = carm_volume_count(vol);
  unsigned char *m = malloc((size_t)n);
  if (m == NULL) {
    return NULL;
  }
  double umin = proj->origin[0];
  double umax = proj->origin[0] + (double)(proj->dims[0] - 1) * proj->spacing[0];
  double vmin = proj->origin[1];
  double vmax = proj->origin[1] + (double)(proj->dims[1] - 1) * proj->spacing[1];
#pragma omp parallel for
  for (int64_t k = 0; k < vol->dims[2]; k++) {
    for (int64_t j = 0; j < vol->dims[1]; j++) {
      for (int64_t i = 0; i < vol->dims[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double x[3];
        carm_volume_index_to_point(vol, ijk, x);
        unsigned char in = 1;
        for (int64_t v = 0; v < geo->n_views && in; v += stride) {
          double uv[2];
          if (!carm_view_project(&geo->views[v], x, uv) || uv[0] < umin || uv[0] > umax ||
              uv[1] < vmin || uv[1] > vmax) {
            in = 0;
          }
        }
        m[(k * vol->dims[1] + j) * vol->dims[0] + i] = in;
      }
    }
  }
  return m;
}

/* Error statistics over the mask (NULL: all voxels). */
typedef struct err_stats {
  double mae, rmse, psnr;
  int64_t n;
} err_stats;

static inline err_stats compare(const carm_volume *a, const carm_volume *ref,
                                const unsigned char *mask) {
  err_stats s = {0, 0, 0, 0};
  double sa = 0.0;
  double s2 = 0.0;
  int64_t n = carm_volume_count(ref);
  for (int64_t i = 0; i < n; i++) {
    if (mask != NULL && !mask[i]) {
      continue;
    }
    double d = (double)a->data[i] - (double)ref->data[i];
    sa += fabs(d);
    s2 += d * d;
    s.n++;
  }
  s.mae = s.n > 0 ? sa / (double)s.n : NAN;
  s.rmse = s.n > 0 ? sqrt(s2 / (double)s.n) : NAN;
  s.psnr = 20.0 * log10(2.0) - 10.0 * log10(s.rmse * s.rmse);
  return s;
}

static inline double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
