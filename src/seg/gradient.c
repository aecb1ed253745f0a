/* Gradient by central differences along the index axes (per mm). */
#include "seg/seg_internal.h"

#include <math.h>

carm_status carm_seg_gradient(carm_volume *gx, carm_volume *gy, carm_volume *gz,
                              carm_volume *magnitude, const carm_volume *in) {
  carm_status st = seg_check_volume(in, "gradient");
  if (st != CARM_OK) {
    return st;
  }
  carm_volume *outs[4] = {gx, gy, gz, magnitude};
  int any = 0;
  for (int o = 0; o < 4; o++) {
    if (outs[o] == NULL) {
      continue;
    }
    any = 1;
    if (outs[o] == in) {
      return carm_error(CARM_ERR_INVALID, "gradient: an output aliases the input");
    }
    st = seg_check_pair(outs[o], in, "gradient");
    if (st != CARM_OK) {
      return st;
    }
    carm_volume_copy_grid(outs[o], in);
  }
  if (!any) {
    return carm_error(CARM_ERR_INVALID, "gradient: no output given");
  }
  const int64_t nx = in->dims[0], ny = in->dims[1], nz = in->dims[2];
  const float *d = in->data;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        int64_t lo[3] = {i > 0 ? i - 1 : 0, j > 0 ? j - 1 : 0, k > 0 ? k - 1 : 0};
        int64_t hi[3] = {i < nx - 1 ? i + 1 : i, j < ny - 1 ? j + 1 : j, k < nz - 1 ? k + 1 : k};
        double g[3];
        g[0] = hi[0] > lo[0]
                   ? ((double)d[(k * ny + j) * nx + hi[0]] - (double)d[(k * ny + j) * nx + lo[0]]) /
                         ((double)(hi[0] - lo[0]) * in->spacing[0])
                   : 0.0;
        g[1] = hi[1] > lo[1]
                   ? ((double)d[(k * ny + hi[1]) * nx + i] - (double)d[(k * ny + lo[1]) * nx + i]) /
                         ((double)(hi[1] - lo[1]) * in->spacing[1])
                   : 0.0;
        g[2] = hi[2] > lo[2]
                   ? ((double)d[(hi[2] * ny + j) * nx + i] - (double)d[(lo[2] * ny + j) * nx + i]) /
                         ((double)(hi[2] - lo[2]) * in->spacing[2])
                   : 0.0;
        int64_t idx = (k * ny + j) * nx + i;
        for (int a = 0; a < 3; a++) {
          if (outs[a] != NULL) {
            outs[a]->data[idx] = (float)g[a];
          }
        }
        if (magnitude != NULL) {
          magnitude->data[idx] = (float)sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
        }
      }
    }
  }
  return CARM_OK;
}
