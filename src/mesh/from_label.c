/* Surface of one label of a label map: crop, (blur), marching cubes at 0.5,
 * Taubin smoothing. */
#include "carm/seg.h"
#include "mesh/mesh_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

carm_status carm_mesh_from_label(carm_mesh **out, const carm_volume *labels, int64_t label,
                                 const carm_mesh_label_opts *opts) {
  carm_mesh_label_opts o = CARM_MESH_LABEL_OPTS_INIT;
  if (opts != NULL) {
    if (opts->version != 1) {
      return carm_error(CARM_ERR_INVALID, "mesh from label: options version %d (want 1)",
                        opts->version);
    }
    o = *opts;
  }
  if (out == NULL || labels == NULL || labels->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "mesh from label: NULL argument");
  }
  if (label < 1 || label > (1 << 24)) {
    return carm_error(CARM_ERR_INVALID, "mesh from label: label %lld out of range 1..2^24",
                      (long long)label);
  }
  if (!(o.presmooth_sigma_mm >= 0.0) || !isfinite(o.presmooth_sigma_mm)) {
    return carm_error(CARM_ERR_INVALID, "mesh from label: bad pre-smoothing sigma");
  }
  carm_status st = carm_volume_check_grid(labels);
  if (st != CARM_OK) {
    return st;
  }
  const int64_t *d = labels->dims;
  int64_t lo[3] = {d[0], d[1], d[2]};
  int64_t hi[3] = {-1, -1, -1};
  const float fl = (float)label;
  for (int64_t k = 0; k < d[2]; k++) {
    for (int64_t j = 0; j < d[1]; j++) {
      const float *row = &labels->data[(k * d[1] + j) * d[0]];
      for (int64_t i = 0; i < d[0]; i++) {
        if (fabsf(row[i] - fl) < 0.5f) {
          int64_t ijk[3] = {i, j, k};
          for (int a = 0; a < 3; a++) {
            lo[a] = ijk[a] < lo[a] ? ijk[a] : lo[a];
            hi[a] = ijk[a] > hi[a] ? ijk[a] : hi[a];
          }
        }
      }
    }
  }
  if (hi[0] < 0) {
    return carm_error(CARM_ERR_NOTFOUND, "mesh from label: label %lld is absent", (long long)label);
  }
  /* crop with a margin that holds the blur */
  int64_t cd[3];
  int64_t c0[3];
  for (int a = 0; a < 3; a++) {
    int64_t margin = 1 + (int64_t)ceil(4.0 * o.presmooth_sigma_mm / labels->spacing[a]);
    c0[a] = lo[a] - margin;
    cd[a] = hi[a] - lo[a] + 1 + 2 * margin;
  }
  carm_volume *mask = NULL;
  carm_mesh *m = NULL;
  st = carm_volume_create(&mask, cd);
  if (st != CARM_OK) {
    return st;
  }
  memcpy(mask->spacing, labels->spacing, sizeof mask->spacing);
  memcpy(mask->direction, labels->direction, sizeof mask->direction);
  double ijk0[3] = {(double)c0[0], (double)c0[1], (double)c0[2]};
  carm_volume_index_to_point(labels, ijk0, mask->origin);
  for (int64_t k = 0; k < cd[2]; k++) {
    int64_t sk = c0[2] + k;
    for (int64_t j = 0; j < cd[1]; j++) {
      int64_t sj = c0[1] + j;
      float *row = &mask->data[(k * cd[1] + j) * cd[0]];
      if (sk < 0 || sk >= d[2] || sj < 0 || sj >= d[1]) {
        continue;
      }
      for (int64_t i = 0; i < cd[0]; i++) {
        int64_t si = c0[0] + i;
        if (si >= 0 && si < d[0] && fabsf(carm_volume_at(labels, si, sj, sk) - fl) < 0.5f) {
          row[i] = 1.0f;
        }
      }
    }
  }
  if (o.presmooth_sigma_mm > 0.0) {
    double s[3] = {o.presmooth_sigma_mm, o.presmooth_sigma_mm, o.presmooth_sigma_mm};
    st = carm_seg_gaussian(mask, mask, s);
    if (st != CARM_OK) {
      goto cleanup;
    }
  }
  st = carm_mesh_marching_cubes(&m, mask, 0.5, &o.progress);
  if (st != CARM_OK) {
    goto cleanup;
  }
  if (m->n_triangles == 0) {
    st = carm_error(CARM_ERR_NOTFOUND,
                    "mesh from label: label %lld vanished after pre-smoothing (too thin?)",
                    (long long)label);
    goto cleanup;
  }
  st = carm_mesh_smooth_taubin(m, o.smooth_iterations, o.smooth_lambda, o.smooth_mu);
  if (st != CARM_OK) {
    goto cleanup;
  }
  *out = m;
  m = NULL;
cleanup:
  carm_mesh_destroy(m);
  carm_volume_destroy(mask);
  return st;
}
