/* Hessian eigenvalues: analytic 3x3 symmetric eigen-solver and the
 * per-voxel eigenvalue maps. */
#include "seg/seg_internal.h"

#include <math.h>
#include <stdlib.h>

void carm_seg_eigen_sym3(const double h[6], double lambda[3]) {
  /* Trigonometric solution (Smith, CACM 4(4), 1961): with q = tr/3,
   * p = sqrt(tr((A - qI)^2) / 6), B = (A - qI) / p, the eigenvalues are
   * q + 2 p cos(acos(det(B) / 2) / 3 + 2 pi m / 3). */
  double xx = h[0], yy = h[1], zz = h[2], xy = h[3], xz = h[4], yz = h[5];
  double q = (xx + yy + zz) / 3.0;
  double a = xx - q, b = yy - q, c = zz - q;
  double p1 = xy * xy + xz * xz + yz * yz;
  double p2 = a * a + b * b + c * c + 2.0 * p1;
  double e[3];
  double scale = fabs(xx) + fabs(yy) + fabs(zz) + fabs(xy) + fabs(xz) + fabs(yz);
  if (p2 <= 1e-30 * scale * scale || p2 == 0.0) {
    e[0] = xx;
    e[1] = yy;
    e[2] = zz;
    if (p1 != 0.0) {
      e[0] = e[1] = e[2] = q;
    }
  } else {
    double p = sqrt(p2 / 6.0);
    double detb =
        (a * (b * c - yz * yz) - xy * (xy * c - yz * xz) + xz * (xy * yz - b * xz)) / (p * p * p);
    double r = detb / 2.0;
    r = r < -1.0 ? -1.0 : (r > 1.0 ? 1.0 : r);
    double phi = acos(r) / 3.0;
    e[0] = q + 2.0 * p * cos(phi);
    e[2] = q + 2.0 * p * cos(phi + 2.0 * M_PI / 3.0);
    e[1] = 3.0 * q - e[0] - e[2];
  }
  /* sort by magnitude (three elements: insertion sort) */
  for (int s = 1; s < 3; s++) {
    double v = e[s];
    int t = s - 1;
    while (t >= 0 && fabs(e[t]) > fabs(v)) {
      e[t + 1] = e[t];
      t--;
    }
    e[t + 1] = v;
  }
  lambda[0] = e[0];
  lambda[1] = e[1];
  lambda[2] = e[2];
}

carm_status carm_seg_hessian_eigen(carm_volume *l1, carm_volume *l2, carm_volume *l3,
                                   const carm_volume *in, double sigma_mm) {
  carm_volume *outs[3] = {l1, l2, l3};
  for (int o = 0; o < 3; o++) {
    carm_status st = seg_check_pair(outs[o], in, "hessian");
    if (st != CARM_OK) {
      return st;
    }
    if (outs[o] == in) {
      return carm_error(CARM_ERR_INVALID, "hessian: an output aliases the input");
    }
  }
  if (!(sigma_mm >= 0.0) || !isfinite(sigma_mm)) {
    return carm_error(CARM_ERR_INVALID, "hessian: sigma is %g mm (must be >= 0)", sigma_mm);
  }
  const carm_volume *src = in;
  carm_volume *smooth = NULL;
  if (sigma_mm > 0.0) {
    carm_status st = carm_volume_create_like(&smooth, in);
    if (st != CARM_OK) {
      return st;
    }
    double s[3] = {sigma_mm, sigma_mm, sigma_mm};
    st = carm_seg_gaussian(smooth, in, s);
    if (st != CARM_OK) {
      carm_volume_destroy(smooth);
      return st;
    }
    src = smooth;
  }
  double inv2[3], invx[3];
  seg_hessian_constants(in, inv2, invx);
  const int64_t nx = in->dims[0], ny = in->dims[1], nz = in->dims[2];
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        double h[6], lam[3];
        seg_hessian_at(src, i, j, k, inv2, invx, h);
        carm_seg_eigen_sym3(h, lam);
        int64_t idx = (k * ny + j) * nx + i;
        l1->data[idx] = (float)lam[0];
        l2->data[idx] = (float)lam[1];
        l3->data[idx] = (float)lam[2];
      }
    }
  }
  for (int o = 0; o < 3; o++) {
    carm_volume_copy_grid(outs[o], in);
  }
  carm_volume_destroy(smooth);
  return CARM_OK;
}
