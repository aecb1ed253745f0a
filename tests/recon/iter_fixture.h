/* Shared fixture for the iterative-reconstruction tests: a scaled RTK
 * Shepp–Logan phantom, its voxelisation on a small grid, C-arm geometries
 * and exact (analytic) projections. */
#ifndef CARM_TEST_ITER_FIXTURE_H
#define CARM_TEST_ITER_FIXTURE_H

#include "carm/carm.h"
#include "carm/phantom.h"

#include <math.h>

/* The solvers run on one thread in the tests: the suite shares 2 cores
 * with other jobs, where a projector's per-view OpenMP barriers stall when
 * a thread is descheduled. test_iter_api compares threads against one. */
#define TEST_THREADS 1

typedef struct fixture {
  carm_phantom *ph;
  carm_volume *truth; /* voxelised phantom */
  carm_geometry *geo;
  carm_volume *proj; /* exact projections */
} fixture;

/* n³ voxels of `spacing` mm centred on the isocentre; Shepp–Logan scaled so
 * it fills ~85 % of the grid; `n_views` over `arc_deg` (360: full circle)
 * with `jitter_deg` seeded by `seed`; detector nu × nv of `du` mm. */
static inline int fixture_make(fixture *f, int64_t n, double spacing, int64_t n_views,
                               double arc_deg, double jitter_deg, uint64_t seed, int64_t nu,
                               int64_t nv, double du, carm_patient_position patient) {
  *f = (fixture){0};
  double half = 0.5 * (double)n * spacing;
  if (carm_phantom_create(&f->ph) != CARM_OK ||
      carm_phantom_add_shepp_logan(f->ph, 0.85 * half) != CARM_OK) {
    return -1;
  }
  /* seed > 0: four more random ellipsoids inside the head, so that each
   * seed is a different object (not only a different trajectory) */
  if (seed > 0) {
    carm_rng rng;
    carm_rng_seed(&rng, seed);
    for (int e = 0; e < 4; e++) {
      double c[3];
      double ax[3];
      for (int a = 0; a < 3; a++) {
        c[a] = (carm_rng_uniform(&rng) - 0.5) * 0.6 * half;
        ax[a] = (0.05 + 0.12 * carm_rng_uniform(&rng)) * half;
      }
      double rot[3][3];
      carm_mat3_rot_y(2.0 * M_PI * carm_rng_uniform(&rng), rot);
      double dens = 0.1 + 0.4 * carm_rng_uniform(&rng);
      if (carm_phantom_add_ellipsoid(f->ph, c, ax, rot, dens) != CARM_OK) {
        return -1;
      }
    }
  }
  int64_t dims[3] = {n, n, n};
  if (carm_volume_create(&f->truth, dims) != CARM_OK) {
    return -1;
  }
  for (int a = 0; a < 3; a++) {
    f->truth->spacing[a] = spacing;
    f->truth->origin[a] = -0.5 * (double)(n - 1) * spacing;
  }
  if (carm_phantom_voxelize(f->ph, f->truth, 2) != CARM_OK) {
    return -1;
  }
  carm_trajectory_opts o = CARM_TRAJECTORY_INIT;
  o.n_views = n_views;
  o.arc_deg = arc_deg;
  o.first_angle_deg = -0.5 * arc_deg;
  o.jitter_deg = jitter_deg;
  o.seed = seed;
  o.patient = patient;
  carm_status st = arc_deg >= 360.0 ? carm_geometry_circular(&f->geo, &o)
                                    : carm_geometry_short_scan(&f->geo, &o);
  if (st != CARM_OK) {
    return -1;
  }
  if (carm_projections_create(&f->proj, nu, nv, n_views, du, du) != CARM_OK) {
    return -1;
  }
  /* the phantom lives in patient coordinates; the analytic projector
   * honours the geometry's patient position */
  if (carm_phantom_project_analytic(f->ph, f->geo, f->proj) != CARM_OK) {
    return -1;
  }
  return 0;
}

static inline void fixture_free(fixture *f) {
  carm_phantom_destroy(f->ph);
  carm_volume_destroy(f->truth);
  carm_geometry_destroy(f->geo);
  carm_volume_destroy(f->proj);
  *f = (fixture){0};
}

/* RMSE of `vol` against the truth over voxels inside the central cylinder
 * of radius 0.45·n voxels (inside every view's field of view). */
static inline double fixture_rmse(const fixture *f, const carm_volume *vol) {
  const int64_t *d = vol->dims;
  double c = 0.5 * (double)(d[0] - 1);
  double r2max = (0.45 * (double)d[0]) * (0.45 * (double)d[0]);
  double s = 0.0;
  int64_t count = 0;
  for (int64_t k = 0; k < d[2]; k++) {
    for (int64_t j = 0; j < d[1]; j++) {
      for (int64_t i = 0; i < d[0]; i++) {
        double dx = (double)i - c;
        double dz = (double)k - c;
        if (dx * dx + dz * dz > r2max) {
          continue;
        }
        double e = (double)carm_volume_at(vol, i, j, k) - (double)carm_volume_at(f->truth, i, j, k);
        s += e * e;
        count++;
      }
    }
  }
  return count > 0 ? sqrt(s / (double)count) : NAN;
}

/* A geometry and projection stack holding `n` views of f spread evenly
 * from its first to its last view (view round(k·(N−1)/(n−1))), so the
 * sparse sweep keeps the whole arc. */
static inline int fixture_subsample(const fixture *f, int64_t n, carm_geometry **geo,
                                    carm_volume **proj) {
  if (carm_geometry_create(geo, n) != CARM_OK) {
    return -1;
  }
  (*geo)->patient = f->geo->patient;
  if (carm_projections_create(proj, f->proj->dims[0], f->proj->dims[1], n, f->proj->spacing[0],
                              f->proj->spacing[1]) != CARM_OK) {
    return -1;
  }
  int64_t np = f->proj->dims[0] * f->proj->dims[1];
  for (int64_t k = 0; k < n; k++) {
    int64_t src =
        n > 1 ? (int64_t)llround((double)k * (double)(f->geo->n_views - 1) / (double)(n - 1)) : 0;
    (*geo)->views[k] = f->geo->views[src];
    for (int64_t i = 0; i < np; i++) {
      (*proj)->data[k * np + i] = f->proj->data[src * np + i];
    }
  }
  return 0;
}

#endif
