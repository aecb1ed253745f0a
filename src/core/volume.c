/* carm_volume: allocation, grid checks, index/point mapping. */
#include "carm/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static carm_status volume_bytes(const int64_t dims[3], int64_t *bytes) {
  int64_t n = 1;
  for (int a = 0; a < 3; a++) {
    if (dims[a] < 1) {
      return carm_error(CARM_ERR_RANGE, "volume dimension %d is %lld (must be >= 1)", a,
                        (long long)dims[a]);
    }
    if (dims[a] > CARM_VOLUME_MAX_BYTES / 4 / n) {
      return carm_error(CARM_ERR_RANGE,
                        "volume of %lld x %lld x %lld voxels exceeds the %lld GiB limit",
                        (long long)dims[0], (long long)dims[1], (long long)dims[2],
                        (long long)(CARM_VOLUME_MAX_BYTES >> 30));
    }
    n *= dims[a];
  }
  *bytes = n * 4;
  return CARM_OK;
}

carm_status carm_volume_create(carm_volume **out, const int64_t dims[3]) {
  int64_t bytes = 0;
  carm_status st = volume_bytes(dims, &bytes);
  if (st != CARM_OK) {
    return st;
  }
  carm_volume *v = calloc(1, sizeof *v);
  if (v == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a volume header");
  }
  v->data = calloc((size_t)bytes / 4, sizeof(float));
  if (v->data == NULL) {
    free(v);
    return carm_error(CARM_ERR_NOMEM, "cannot allocate %lld MiB for a volume",
                      (long long)(bytes >> 20));
  }
  for (int a = 0; a < 3; a++) {
    v->dims[a] = dims[a];
    v->spacing[a] = 1.0;
  }
  carm_mat3_identity(v->direction);
  *out = v;
  return CARM_OK;
}

carm_status carm_volume_create_like(carm_volume **out, const carm_volume *like) {
  carm_volume *v = NULL;
  carm_status st = carm_volume_create(&v, like->dims);
  if (st != CARM_OK) {
    return st;
  }
  carm_volume_copy_grid(v, like);
  *out = v;
  return CARM_OK;
}

carm_status carm_volume_clone(carm_volume **out, const carm_volume *src) {
  carm_volume *v = NULL;
  carm_status st = carm_volume_create_like(&v, src);
  if (st != CARM_OK) {
    return st;
  }
  memcpy(v->data, src->data, (size_t)carm_volume_count(src) * sizeof(float));
  *out = v;
  return CARM_OK;
}

void carm_volume_destroy(carm_volume *vol) {
  if (vol == NULL) {
    return;
  }
  free(vol->data);
  free(vol);
}

int64_t carm_volume_count(const carm_volume *vol) {
  return vol->dims[0] * vol->dims[1] * vol->dims[2];
}

carm_status carm_volume_check_grid(const carm_volume *vol) {
  int64_t bytes = 0;
  carm_status st = volume_bytes(vol->dims, &bytes);
  if (st != CARM_OK) {
    return st;
  }
  for (int a = 0; a < 3; a++) {
    if (!isfinite(vol->spacing[a]) || vol->spacing[a] <= 0.0) {
      return carm_error(CARM_ERR_RANGE, "spacing along axis %d is %g (must be finite and > 0)", a,
                        vol->spacing[a]);
    }
    if (!isfinite(vol->origin[a])) {
      return carm_error(CARM_ERR_RANGE, "origin along axis %d is not finite", a);
    }
    for (int b = 0; b < 3; b++) {
      if (!isfinite(vol->direction[a][b])) {
        return carm_error(CARM_ERR_RANGE, "direction matrix has a non-finite element");
      }
    }
  }
  if (fabs(carm_mat3_det(vol->direction)) < 1e-6) {
    return carm_error(CARM_ERR_RANGE, "direction matrix is singular");
  }
  return CARM_OK;
}

void carm_volume_copy_grid(carm_volume *dst, const carm_volume *src) {
  memcpy(dst->dims, src->dims, sizeof dst->dims);
  memcpy(dst->spacing, src->spacing, sizeof dst->spacing);
  memcpy(dst->origin, src->origin, sizeof dst->origin);
  memcpy(dst->direction, src->direction, sizeof dst->direction);
}

int carm_volume_same_grid(const carm_volume *a, const carm_volume *b, double tol_mm) {
  for (int i = 0; i < 3; i++) {
    if (a->dims[i] != b->dims[i] || fabs(a->spacing[i] - b->spacing[i]) > tol_mm ||
        fabs(a->origin[i] - b->origin[i]) > tol_mm) {
      return 0;
    }
    for (int j = 0; j < 3; j++) {
      if (fabs(a->direction[i][j] - b->direction[i][j]) > 1e-6) {
        return 0;
      }
    }
  }
  return 1;
}

void carm_volume_index_to_point(const carm_volume *vol, const double ijk[3], double xyz[3]) {
  for (int r = 0; r < 3; r++) {
    double s = vol->origin[r];
    for (int c = 0; c < 3; c++) {
      s += vol->direction[r][c] * vol->spacing[c] * ijk[c];
    }
    xyz[r] = s;
  }
}

void carm_volume_point_to_index(const carm_volume *vol, const double xyz[3], double ijk[3]) {
  double inv[3][3];
  if (carm_mat3_inverse(vol->direction, inv) != CARM_OK) {
    carm_mat3_identity(inv);
  }
  double d[3] = {xyz[0] - vol->origin[0], xyz[1] - vol->origin[1], xyz[2] - vol->origin[2]};
  double t[3];
  carm_mat3_apply(inv, d, t);
  for (int c = 0; c < 3; c++) {
    ijk[c] = t[c] / vol->spacing[c];
  }
}

void carm_volume_range(const carm_volume *vol, double *min, double *max) {
  float lo = INFINITY;
  float hi = -INFINITY;
  int64_t n = carm_volume_count(vol);
  for (int64_t i = 0; i < n; i++) {
    float x = vol->data[i];
    if (isfinite(x)) {
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
    }
  }
  *min = isfinite(lo) ? (double)lo : NAN;
  *max = isfinite(hi) ? (double)hi : NAN;
}
