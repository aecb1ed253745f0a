/* Seeded region growing (flood fill through an intensity interval). */
#include "seg/seg_internal.h"

#include <math.h>
#include <string.h>

carm_status seg_flood(carm_volume *out, const carm_volume *in, double lo, double hi,
                      int connectivity, seg_stack *stack) {
  int off[26][3];
  int nn = seg_neighbour_offsets(connectivity, off);
  const int64_t nx = in->dims[0], ny = in->dims[1], nz = in->dims[2];
  const float *d = in->data;
  float *o = out->data;
  /* mark the seeds first; the stack then only holds marked voxels */
  int64_t kept = 0;
  for (int64_t s = 0; s < stack->n; s++) {
    int64_t idx = stack->items[s];
    double v = d[idx];
    if (v >= lo && v <= hi && o[idx] == 0.0f) {
      o[idx] = 1.0f;
      stack->items[kept++] = idx;
    }
  }
  stack->n = kept;
  carm_status st = CARM_OK;
  while (stack->n > 0) {
    int64_t idx = stack->items[--stack->n];
    int64_t i = idx % nx, j = (idx / nx) % ny, k = idx / (nx * ny);
    for (int t = 0; t < nn; t++) {
      int64_t a = i + off[t][0], b = j + off[t][1], c = k + off[t][2];
      if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) {
        continue;
      }
      int64_t q = (c * ny + b) * nx + a;
      double v = d[q];
      if (o[q] == 0.0f && v >= lo && v <= hi) {
        o[q] = 1.0f;
        st = seg_stack_push(stack, q);
        if (st != CARM_OK) {
          seg_stack_free(stack);
          return st;
        }
      }
    }
  }
  seg_stack_free(stack);
  return CARM_OK;
}

carm_status carm_seg_region_grow(carm_volume *out, const carm_volume *in, const int64_t (*seeds)[3],
                                 size_t n_seeds, double lo, double hi, int connectivity) {
  carm_status st = seg_check_pair(out, in, "region growing");
  if (st != CARM_OK) {
    return st;
  }
  st = seg_check_connectivity(connectivity);
  if (st != CARM_OK) {
    return st;
  }
  if (out == in) {
    return carm_error(CARM_ERR_INVALID, "region growing: output aliases the input");
  }
  if (n_seeds > 0 && seeds == NULL) {
    return carm_error(CARM_ERR_INVALID, "region growing: seeds is NULL");
  }
  if (isnan(lo) || isnan(hi) || lo > hi) {
    return carm_error(CARM_ERR_INVALID, "region growing: bad interval [%g, %g]", lo, hi);
  }
  for (size_t s = 0; s < n_seeds; s++) {
    for (int a = 0; a < 3; a++) {
      if (seeds[s][a] < 0 || seeds[s][a] >= in->dims[a]) {
        return carm_error(CARM_ERR_INVALID,
                          "region growing: seed %zu (%lld, %lld, %lld) is outside the volume", s,
                          (long long)seeds[s][0], (long long)seeds[s][1], (long long)seeds[s][2]);
      }
    }
  }
  seg_stack stack = {0};
  for (size_t s = 0; s < n_seeds; s++) {
    st = seg_stack_push(&stack,
                        (seeds[s][2] * in->dims[1] + seeds[s][1]) * in->dims[0] + seeds[s][0]);
    if (st != CARM_OK) {
      seg_stack_free(&stack);
      return st;
    }
  }
  memset(out->data, 0, (size_t)carm_volume_count(out) * sizeof(float));
  carm_volume_copy_grid(out, in);
  return seg_flood(out, in, lo, hi, connectivity, &stack);
}
