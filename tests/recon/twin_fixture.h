/* Shared fixture for the tests on the digital liver twin (docs/twin.md):
 * a seeded twin, C-arm sweeps of it on a reduced detector (the clinical
 * 616 × 480 detector binned 4 × 4: 154 × 120 pixels of 2.464 mm, the same
 * field of view), the dose kept per detector area (I0 = 1e5 photons per
 * 0.616 mm pixel, so 1.6e6 per binned pixel), the protocol's timing of the
 * CLI (`carm sim sweep --dual-phase --mask`), reconstruction on the twin's
 * field-of-view grid and region helpers built from the truth labels. */
#ifndef CARM_TEST_TWIN_FIXTURE_H
#define CARM_TEST_TWIN_FIXTURE_H

#include "carm/carm.h"
#include "carm/dsa.h"
#include "carm/iterative.h"
#include "carm/recon.h"
#include "carm/twin.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* binned detector: 4 × 4 clinical pixels */
#define TWIN_NU 154
#define TWIN_NV 120
#define TWIN_PIXEL_MM 2.464
/* clinical dose per 0.616 mm pixel, scaled to the binned pixel's area */
#define TWIN_I0 (1e5 * 16.0)

typedef enum twin_phase { TWIN_ARTERIAL = 0, TWIN_DELAYED = 1, TWIN_MASK = 2 } twin_phase;

typedef struct twin_case {
  carm_twin *twin;
  carm_acquire_plan *plan;
  carm_acquire_opts ao;
  uint64_t seed;
} twin_case;

/* Build the twin of `seed` (default options: 1..3 tumours, hypovascular
 * lesion, catheter) and its acquisition plan: `n_views` over the default
 * 200° arc in 5 s, the scene painted at `scene_voxel_mm`. 0 on success. */
static inline int twin_case_make(twin_case *c, uint64_t seed, int64_t n_views,
                                 double scene_voxel_mm) {
  *c = (twin_case){0};
  c->seed = seed;
  carm_twin_opts to = CARM_TWIN_INIT;
  to.seed = seed;
  if (carm_twin_create(&c->twin, &to) != CARM_OK) {
    return -1;
  }
  carm_acquire_opts ao = CARM_ACQUIRE_INIT;
  ao.n_views = n_views;
  ao.nu = TWIN_NU;
  ao.nv = TWIN_NV;
  ao.pixel_mm = TWIN_PIXEL_MM;
  ao.voxel_mm = scene_voxel_mm;
  c->ao = ao;
  if (carm_acquire_plan_create(&c->plan, c->twin, &ao) != CARM_OK) {
    return -1;
  }
  return 0;
}

static inline void twin_case_free(twin_case *c) {
  carm_acquire_plan_destroy(c->plan);
  carm_twin_destroy(c->twin);
  *c = (twin_case){0};
}

/* Start time of a phase, as `carm sim sweep` sets it: arterial 4 s after
 * the injection, delayed (reverse) 11 s after the arterial sweep ends,
 * mask before the injection. */
static inline double twin_phase_start(const twin_case *c, twin_phase ph) {
  switch (ph) {
  case TWIN_ARTERIAL: return 4.0;
  case TWIN_DELAYED: return 4.0 + c->ao.duration_s + 11.0;
  default: return -c->ao.duration_s - 15.0;
  }
}

/* Mid-time of a phase's sweep (s after injection). */
static inline double twin_phase_mid(const twin_case *c, twin_phase ph) {
  return twin_phase_start(c, ph) + 0.5 * c->ao.duration_s;
}

/* One sweep of a phase with Poisson noise at `i0` (0: noiseless); the noise
 * seed derives from the twin's seed and the phase. */
static inline int twin_sweep(const twin_case *c, twin_phase ph, double i0, carm_volume **proj,
                             carm_geometry **geo) {
  carm_sweep_opts so = CARM_SWEEP_INIT;
  so.start_s = twin_phase_start(c, ph);
  so.reverse = ph == TWIN_DELAYED;
  so.contrast = ph == TWIN_MASK ? 0.0 : 1.0;
  so.i0 = i0;
  so.seed = c->seed * 1000003u + (uint64_t)ph + 1u;
  return carm_acquire_sweep(c->plan, &so, proj, geo) == CARM_OK ? 0 : -1;
}

/* `n` views of a sweep spread over its whole arc (view round(k·(N − 1)/(n −
 * 1)), k = 0..n − 1): e.g. 33 of 133, about every 4th. */
static inline int twin_subsample(const carm_volume *proj, const carm_geometry *geo, int64_t n,
                                 carm_volume **sub_proj, carm_geometry **sub_geo) {
  if (n < 2 || n > geo->n_views || carm_geometry_create(sub_geo, n) != CARM_OK) {
    return -1;
  }
  (*sub_geo)->patient = geo->patient;
  if (carm_projections_create(sub_proj, proj->dims[0], proj->dims[1], n, proj->spacing[0],
                              proj->spacing[1]) != CARM_OK) {
    return -1;
  }
  carm_volume_copy_grid(*sub_proj, proj);
  (*sub_proj)->dims[2] = n;
  int64_t np = proj->dims[0] * proj->dims[1];
  for (int64_t k = 0; k < n; k++) {
    int64_t src = (int64_t)llround((double)k * (double)(geo->n_views - 1) / (double)(n - 1));
    (*sub_geo)->views[k] = geo->views[src];
    memcpy((*sub_proj)->data + k * np, proj->data + src * np, (size_t)np * sizeof(float));
  }
  return 0;
}

/* The twin's field-of-view grid (250 × 250 × 200 mm about the isocentre)
 * at `voxel_mm`, zero-filled. */
static inline carm_volume *twin_grid(double voxel_mm) {
  carm_volume *v = NULL;
  return carm_twin_fov_grid(voxel_mm, &v) == CARM_OK ? v : NULL;
}

/* FDK (Parker weights from the arc, `window` apodisation) on `grid`'s grid;
 * NULL on failure. */
static inline carm_volume *twin_fdk(const carm_geometry *geo, const carm_volume *proj,
                                    const carm_volume *grid, carm_filter_window window) {
  carm_volume *x = NULL;
  if (carm_volume_create_like(&x, grid) != CARM_OK) {
    return NULL;
  }
  carm_fdk_opts o = CARM_FDK_INIT;
  o.window = window;
  carm_fdk_plan *plan = NULL;
  if (carm_fdk_plan_create(&plan, geo, proj, x, &o) != CARM_OK ||
      carm_fdk_execute(plan, proj, x) != CARM_OK) {
    carm_fdk_plan_destroy(plan);
    carm_volume_destroy(x);
    return NULL;
  }
  carm_fdk_plan_destroy(plan);
  return x;
}

/* Truth on a grid: labels (as float) or attenuation at t_s (NaN: without
 * contrast). NULL on failure. */
static inline carm_volume *twin_labels(const twin_case *c, const carm_volume *grid) {
  carm_volume *l = NULL;
  if (carm_volume_create_like(&l, grid) != CARM_OK || carm_twin_labels(c->twin, l) != CARM_OK) {
    carm_volume_destroy(l);
    return NULL;
  }
  return l;
}

static inline carm_volume *twin_truth(const twin_case *c, const carm_volume *grid, double t_s) {
  carm_volume *v = NULL;
  if (carm_volume_create_like(&v, grid) != CARM_OK) {
    return NULL;
  }
  carm_status st;
  if (isnan(t_s)) {
    carm_contrast_protocol p = c->twin->protocol;
    double values[CARM_TWIN_C_COUNT];
    for (int k = 0; k < CARM_TWIN_C_COUNT; k++) {
      values[k] = fmax(p.mu_water_per_mm * (1.0 + p.base_hu[k] / 1000.0), 0.0);
    }
    st = carm_twin_paint(c->twin, values, 0, v, NULL);
  } else {
    st = carm_twin_voxelize(c->twin, t_s, v);
  }
  if (st != CARM_OK) {
    carm_volume_destroy(v);
    return NULL;
  }
  return v;
}

static inline int twin_label_at(const carm_volume *labels, int64_t i) {
  return (int)lrintf(labels->data[i]);
}

/* A mask (1/0 floats on labels' grid) of the voxels whose label satisfies
 * `pred`, dilated by `radius_mm` (a ball; 0: none). */
static inline carm_volume *twin_mask(const carm_volume *labels, int (*pred)(int label),
                                     double radius_mm) {
  carm_volume *m = NULL;
  if (carm_volume_create_like(&m, labels) != CARM_OK) {
    return NULL;
  }
  const int64_t nx = labels->dims[0], ny = labels->dims[1], nz = labels->dims[2];
  int r[3];
  for (int a = 0; a < 3; a++) {
    r[a] = (int)floor(radius_mm / labels->spacing[a]);
  }
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        if (!pred(twin_label_at(labels, (k * ny + j) * nx + i))) {
          continue;
        }
        for (int dk = -r[2]; dk <= r[2]; dk++) {
          for (int dj = -r[1]; dj <= r[1]; dj++) {
            for (int di = -r[0]; di <= r[0]; di++) {
              double dx = di * labels->spacing[0], dy = dj * labels->spacing[1],
                     dz = dk * labels->spacing[2];
              int64_t ii = i + di, jj = j + dj, kk = k + dk;
              if (dx * dx + dy * dy + dz * dz > radius_mm * radius_mm + 1e-9 || ii < 0 || jj < 0 ||
                  kk < 0 || ii >= nx || jj >= ny || kk >= nz) {
                continue;
              }
              m->data[(kk * ny + jj) * nx + ii] = 1.0f;
            }
          }
        }
      }
    }
  }
  return m;
}

/* Trilinear sample of `v` at a physical point; NaN outside the grid. */
static inline double twin_sample(const carm_volume *v, const double xyz[3]) {
  double ijk[3];
  carm_volume_point_to_index(v, xyz, ijk);
  int64_t i0[3];
  double f[3];
  for (int a = 0; a < 3; a++) {
    if (ijk[a] < 0.0 || ijk[a] > (double)(v->dims[a] - 1)) {
      return NAN;
    }
    i0[a] = (int64_t)floor(ijk[a]);
    if (i0[a] == v->dims[a] - 1 && i0[a] > 0) {
      i0[a]--;
    }
    f[a] = ijk[a] - (double)i0[a];
  }
  double s = 0.0;
  for (int c = 0; c < 8; c++) {
    int64_t ii = i0[0] + (c & 1), jj = i0[1] + ((c >> 1) & 1), kk = i0[2] + ((c >> 2) & 1);
    if (ii >= v->dims[0] || jj >= v->dims[1] || kk >= v->dims[2]) {
      continue;
    }
    double w = ((c & 1) ? f[0] : 1.0 - f[0]) * (((c >> 1) & 1) ? f[1] : 1.0 - f[1]) *
               (((c >> 2) & 1) ? f[2] : 1.0 - f[2]);
    s += w * carm_volume_at(v, ii, jj, kk);
  }
  return s;
}

/* Whether voxel i of `grid` lies well inside the field of view that every
 * view sees: within 115 mm of the rotation axis (z, through the isocentre)
 * and 80 mm of the central plane (the cone reaches about ±83 mm there). */
static inline int twin_in_fov(const carm_volume *grid, int64_t i) {
  int64_t nx = grid->dims[0], ny = grid->dims[1];
  double ijk[3] = {(double)(i % nx), (double)((i / nx) % ny), (double)(i / (nx * ny))};
  double p[3];
  carm_volume_index_to_point(grid, ijk, p);
  return p[0] * p[0] + p[1] * p[1] < 115.0 * 115.0 && fabs(p[2]) < 80.0;
}

/* Mean and standard deviation of `v` over the voxels where `in` says so. */
typedef struct twin_stats {
  double mean, sd;
  int64_t n;
} twin_stats;

static inline twin_stats twin_region(const carm_volume *v, const uint8_t *in) {
  double s = 0.0, s2 = 0.0;
  int64_t n = 0;
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    if (in[i]) {
      s += v->data[i];
      s2 += (double)v->data[i] * v->data[i];
      n++;
    }
  }
  twin_stats t = {NAN, NAN, n};
  if (n > 0) {
    t.mean = s / (double)n;
    t.sd = sqrt(fmax(s2 / (double)n - t.mean * t.mean, 0.0));
  }
  return t;
}

#endif
