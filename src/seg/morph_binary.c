/* Binary morphology with a Euclidean ball, exact through the distance
 * transform: a voxel survives erosion when no background voxel lies within
 * the radius; dilation adds every voxel within the radius of the
 * foreground. Cost is independent of the radius. */
#include "seg/seg_internal.h"

#include <math.h>

/* One erosion (erode = 1) or dilation of `in` into `out` (distinct). */
static carm_status morph_once(carm_volume *out, const carm_volume *in, int erode, double r2) {
  carm_status st = seg_edt_squared(out, in, erode ? 0 : 1);
  if (st != CARM_OK) {
    return st;
  }
  int64_t n = carm_volume_count(in);
  double lim = r2 * (1.0 + SEG_BALL_SLACK) + 1e-12;
#pragma omp parallel for schedule(static)
  for (int64_t idx = 0; idx < n; idx++) {
    double d2 = out->data[idx];
    if (erode) {
      out->data[idx] = (seg_fg(in->data[idx]) && d2 > lim) ? 1.0f : 0.0f;
    } else {
      out->data[idx] = d2 <= lim ? 1.0f : 0.0f;
    }
  }
  return CARM_OK;
}

carm_status carm_seg_morph_binary(carm_volume *out, const carm_volume *mask, carm_seg_morph_op op,
                                  double radius_mm) {
  carm_status st = seg_check_pair(out, mask, "binary morphology");
  if (st != CARM_OK) {
    return st;
  }
  if (out == mask) {
    return carm_error(CARM_ERR_INVALID, "binary morphology: output aliases the input");
  }
  if (!(radius_mm >= 0.0) || !isfinite(radius_mm)) {
    return carm_error(CARM_ERR_INVALID, "binary morphology: radius %g mm", radius_mm);
  }
  double r2 = radius_mm * radius_mm;
  switch (op) {
  case CARM_SEG_ERODE:
  case CARM_SEG_DILATE: st = morph_once(out, mask, op == CARM_SEG_ERODE, r2); break;
  case CARM_SEG_OPEN:
  case CARM_SEG_CLOSE: {
    carm_volume *tmp = NULL;
    st = carm_volume_create_like(&tmp, mask);
    if (st != CARM_OK) {
      return st;
    }
    st = morph_once(tmp, mask, op == CARM_SEG_OPEN, r2);
    if (st == CARM_OK) {
      st = morph_once(out, tmp, op != CARM_SEG_OPEN, r2);
    }
    carm_volume_destroy(tmp);
    break;
  }
  default: return carm_error(CARM_ERR_INVALID, "binary morphology: unknown operation %d", (int)op);
  }
  if (st == CARM_OK) {
    carm_volume_copy_grid(out, mask);
  }
  return st;
}
