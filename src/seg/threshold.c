/* Interval threshold to a 0/1 mask. */
#include "seg/seg_internal.h"

#include <math.h>

carm_status carm_seg_threshold(carm_volume *out, const carm_volume *in, double lo, double hi) {
  carm_status st = seg_check_pair(out, in, "threshold");
  if (st != CARM_OK) {
    return st;
  }
  if (isnan(lo) || isnan(hi)) {
    return carm_error(CARM_ERR_INVALID, "threshold: bounds are NaN");
  }
  int64_t n = carm_volume_count(in);
#pragma omp parallel for schedule(static)
  for (int64_t idx = 0; idx < n; idx++) {
    double v = in->data[idx];
    out->data[idx] = (v >= lo && v <= hi) ? 1.0f : 0.0f;
  }
  carm_volume_copy_grid(out, in);
  return CARM_OK;
}
