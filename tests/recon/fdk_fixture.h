/* Shared set-up of the FDK geometry tests (test_fdk_geometry.c,
 * test_fdk_short_scan.c): centred detector stacks and cubic grids, one FDK
 * run with a short-scan switch and truncation extrapolation, and the error
 * inside a central sphere. */
#ifndef CARM_TEST_FDK_FIXTURE_H
#define CARM_TEST_FDK_FIXTURE_H

#include "carm/carm.h"
#include "ellipsoids.h"

#include <stdlib.h>

static inline carm_volume *make_proj(int64_t nu, int64_t nv, int64_t n, double pitch) {
  carm_volume *p = NULL;
  int64_t d[3] = {nu, nv, n};
  if (carm_volume_create(&p, d) != CARM_OK) {
    return NULL;
  }
  p->spacing[0] = pitch;
  p->spacing[1] = pitch;
  p->origin[0] = -0.5 * (double)(nu - 1) * pitch;
  p->origin[1] = -0.5 * (double)(nv - 1) * pitch;
  return p;
}

static inline carm_volume *make_vol(int64_t n, double sp) {
  carm_volume *v = NULL;
  int64_t d[3] = {n, n, n};
  if (carm_volume_create(&v, d) != CARM_OK) {
    return NULL;
  }
  for (int i = 0; i < 3; i++) {
    v->spacing[i] = sp;
    v->origin[i] = -0.5 * (double)(n - 1) * sp;
  }
  return v;
}

static inline carm_status recon(const carm_geometry *g, const carm_volume *proj, carm_volume *vol,
                                carm_switch ss, double extrap, carm_fdk_info *info) {
  carm_fdk_opts o = CARM_FDK_INIT;
  o.short_scan = ss;
  o.extrapolate = extrap;
  carm_fdk_plan *plan = NULL;
  carm_status st = carm_fdk_plan_create(&plan, g, proj, vol, &o);
  if (st != CARM_OK) {
    return st;
  }
  if (info != NULL) {
    carm_fdk_plan_info(plan, info);
  }
  st = carm_fdk_execute(plan, proj, vol);
  carm_fdk_plan_destroy(plan);
  return st;
}

/* error in the central sphere of radius r_mm (where the phantom lies) */
static inline err_stats central(const carm_volume *a, const carm_volume *ref, double r_mm) {
  int64_t n = carm_volume_count(ref);
  unsigned char *m = malloc((size_t)n);
  for (int64_t k = 0; k < ref->dims[2]; k++) {
    for (int64_t j = 0; j < ref->dims[1]; j++) {
      for (int64_t i = 0; i < ref->dims[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double x[3];
        carm_volume_index_to_point(ref, ijk, x);
        m[(k * ref->dims[1] + j) * ref->dims[0] + i] = carm_vec3_norm(x) < r_mm;
      }
    }
  }
  err_stats e = compare(a, ref, m);
  free(m);
  return e;
}

#endif
