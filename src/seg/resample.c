/* Resampling onto another grid (trilinear or nearest), any directions. */
#include "seg/seg_internal.h"

#include <math.h>

carm_status carm_seg_resample(carm_volume *out, const carm_volume *in, carm_seg_interp interp,
                              float outside) {
  carm_status st = seg_check_volume(in, "resample");
  if (st != CARM_OK) {
    return st;
  }
  st = seg_check_volume(out, "resample output");
  if (st != CARM_OK) {
    return st;
  }
  if (out == in || out->data == in->data) {
    return carm_error(CARM_ERR_INVALID, "resample: output aliases the input");
  }
  if (interp != CARM_SEG_LINEAR && interp != CARM_SEG_NEAREST) {
    return carm_error(CARM_ERR_INVALID, "resample: unknown interpolation %d", (int)interp);
  }
  double dinv[3][3];
  if (carm_mat3_inverse(in->direction, dinv) != CARM_OK) {
    return carm_error(CARM_ERR_INVALID, "resample: input direction matrix is singular");
  }
  /* input index = A * output index + b */
  double m[3][3], a[3][3], b[3], dorig[3];
  carm_mat3_mul(dinv, out->direction, m);
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) {
      a[r][c] = m[r][c] * out->spacing[c] / in->spacing[r];
    }
    dorig[r] = out->origin[r] - in->origin[r];
  }
  carm_mat3_apply(dinv, dorig, b);
  for (int r = 0; r < 3; r++) {
    b[r] /= in->spacing[r];
  }
  const int64_t nx = out->dims[0], ny = out->dims[1], nz = out->dims[2];
  const int64_t mx = in->dims[0], my = in->dims[1], mz = in->dims[2];
  const double eps = 1e-6;
  const float *src = in->data;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        double u[3];
        for (int r = 0; r < 3; r++) {
          u[r] = a[r][0] * (double)i + a[r][1] * (double)j + a[r][2] * (double)k + b[r];
        }
        float val = outside;
        const int64_t lim[3] = {mx, my, mz};
        int inside = 1;
        for (int r = 0; r < 3; r++) {
          if (u[r] < -eps || u[r] > (double)(lim[r] - 1) + eps) {
            inside = 0;
          }
          u[r] = u[r] < 0.0 ? 0.0 : (u[r] > (double)(lim[r] - 1) ? (double)(lim[r] - 1) : u[r]);
        }
        if (inside) {
          if (interp == CARM_SEG_NEAREST) {
            int64_t p = (int64_t)floor(u[0] + 0.5), q = (int64_t)floor(u[1] + 0.5),
                    s = (int64_t)floor(u[2] + 0.5);
            val = src[(s * my + q) * mx + p];
          } else {
            int64_t p0 = (int64_t)floor(u[0]), q0 = (int64_t)floor(u[1]), s0 = (int64_t)floor(u[2]);
            int64_t p1 = p0 + 1 < mx ? p0 + 1 : p0, q1 = q0 + 1 < my ? q0 + 1 : q0,
                    s1 = s0 + 1 < mz ? s0 + 1 : s0;
            double fx = u[0] - (double)p0, fy = u[1] - (double)q0, fz = u[2] - (double)s0;
#define RS(p, q, s) ((double)src[((s)*my + (q)) * mx + (p)])
            double c00 = RS(p0, q0, s0) * (1 - fx) + RS(p1, q0, s0) * fx;
            double c10 = RS(p0, q1, s0) * (1 - fx) + RS(p1, q1, s0) * fx;
            double c01 = RS(p0, q0, s1) * (1 - fx) + RS(p1, q0, s1) * fx;
            double c11 = RS(p0, q1, s1) * (1 - fx) + RS(p1, q1, s1) * fx;
#undef RS
            double c0 = c00 * (1 - fy) + c10 * fy, c1 = c01 * (1 - fy) + c11 * fy;
            val = (float)(c0 * (1 - fz) + c1 * fz);
          }
        }
        out->data[(k * ny + j) * nx + i] = val;
      }
    }
  }
  return CARM_OK;
}
