/* Hysteresis threshold: voxels >= low connected to a voxel >= high. */
#include "seg/seg_internal.h"

#include <math.h>
#include <string.h>

carm_status carm_seg_hysteresis(carm_volume *out, const carm_volume *in, double low, double high,
                                int connectivity) {
  carm_status st = seg_check_pair(out, in, "hysteresis");
  if (st != CARM_OK) {
    return st;
  }
  st = seg_check_connectivity(connectivity);
  if (st != CARM_OK) {
    return st;
  }
  if (out == in) {
    return carm_error(CARM_ERR_INVALID, "hysteresis: output aliases the input");
  }
  if (isnan(low) || isnan(high) || low > high) {
    return carm_error(CARM_ERR_INVALID, "hysteresis: need low <= high (got %g, %g)", low, high);
  }
  seg_stack stack = {0};
  int64_t n = carm_volume_count(in);
  for (int64_t idx = 0; idx < n; idx++) {
    if ((double)in->data[idx] >= high) {
      st = seg_stack_push(&stack, idx);
      if (st != CARM_OK) {
        seg_stack_free(&stack);
        return st;
      }
    }
  }
  memset(out->data, 0, (size_t)n * sizeof(float));
  carm_volume_copy_grid(out, in);
  return seg_flood(out, in, low, INFINITY, connectivity, &stack);
}
