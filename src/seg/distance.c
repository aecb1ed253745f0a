/* Exact Euclidean distance transform: Felzenszwalb and Huttenlocher,
 * "Distance transforms of sampled functions", Theory of Computing 8, 2012.
 * One lower envelope of parabolas per line and axis, with the axis spacing
 * as the sample pitch (anisotropic grids are exact). */
#include "seg/seg_internal.h"

#include <math.h>
#include <stdlib.h>

/* d[p] = min_q (h (p - q))^2 + f[q] over the n samples; INFINITY entries
 * of f are no sites. v (n ints) and z (n + 1 doubles) are scratch. */
static void edt_line(const double *f, double *d, int64_t n, double h, int64_t *v, double *z) {
  int64_t k = -1;
  for (int64_t q = 0; q < n; q++) {
    if (f[q] == INFINITY) {
      continue;
    }
    double xq = h * (double)q;
    double fq = f[q] + xq * xq;
    while (k >= 0) {
      double xv = h * (double)v[k];
      double s = (fq - (f[v[k]] + xv * xv)) / (2.0 * (xq - xv));
      if (s <= z[k]) {
        k--;
      } else {
        k++;
        v[k] = q;
        z[k] = s;
        z[k + 1] = INFINITY;
        break;
      }
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -INFINITY;
      z[1] = INFINITY;
    }
  }
  if (k < 0) {
    for (int64_t p = 0; p < n; p++) {
      d[p] = INFINITY;
    }
    return;
  }
  int64_t j = 0;
  for (int64_t p = 0; p < n; p++) {
    double xp = h * (double)p;
    while (z[j + 1] < xp) {
      j++;
    }
    double dx = xp - h * (double)v[j];
    d[p] = dx * dx + f[v[j]];
  }
}

carm_status seg_edt_squared(carm_volume *out, const carm_volume *mask, int sites_are_fg) {
  const int64_t nx = mask->dims[0], ny = mask->dims[1], nz = mask->dims[2];
  int64_t n = nx * ny * nz;
  for (int64_t idx = 0; idx < n; idx++) {
    int fg = seg_fg(mask->data[idx]);
    out->data[idx] = (fg == sites_are_fg) ? 0.0f : INFINITY;
  }
  int64_t maxlen = nx > ny ? nx : ny;
  maxlen = nz > maxlen ? nz : maxlen;
  int failed = 0;
  float *o = out->data;
  for (int axis = 0; axis < 3; axis++) {
    const int64_t len = mask->dims[axis];
    const int64_t stride = axis == 0 ? 1 : (axis == 1 ? nx : nx * ny);
    const int64_t nlines = n / len;
    const double h = mask->spacing[axis];
#pragma omp parallel
    {
      double *f = malloc((size_t)maxlen * sizeof *f);
      double *d = malloc((size_t)maxlen * sizeof *d);
      double *z = malloc((size_t)(maxlen + 1) * sizeof *z);
      int64_t *v = malloc((size_t)maxlen * sizeof *v);
      int ok = f != NULL && d != NULL && z != NULL && v != NULL;
      if (!ok) {
#pragma omp atomic write
        failed = 1;
      }
#pragma omp for schedule(static)
      for (int64_t line = 0; line < nlines; line++) {
        if (!ok) {
          continue;
        }
        /* first voxel of the line */
        int64_t base;
        if (axis == 0) {
          base = line * nx;
        } else if (axis == 1) {
          base = (line / nx) * nx * ny + line % nx;
        } else {
          base = line;
        }
        for (int64_t p = 0; p < len; p++) {
          f[p] = o[base + p * stride];
        }
        edt_line(f, d, len, h, v, z);
        for (int64_t p = 0; p < len; p++) {
          o[base + p * stride] = (float)d[p];
        }
      }
      free(f);
      free(d);
      free(z);
      free(v);
    }
    if (failed) {
      return carm_error(CARM_ERR_NOMEM, "distance transform: cannot allocate line buffers");
    }
  }
  return CARM_OK;
}

carm_status carm_seg_distance(carm_volume *out, const carm_volume *mask, carm_seg_distance_to to) {
  carm_status st = seg_check_pair(out, mask, "distance");
  if (st != CARM_OK) {
    return st;
  }
  if (to != CARM_SEG_TO_BACKGROUND && to != CARM_SEG_TO_FOREGROUND) {
    return carm_error(CARM_ERR_INVALID, "distance: unknown target %d", (int)to);
  }
  /* out may equal mask: the mask is read once, before the passes */
  st = seg_edt_squared(out, mask, to == CARM_SEG_TO_FOREGROUND);
  if (st != CARM_OK) {
    return st;
  }
  int64_t n = carm_volume_count(out);
#pragma omp parallel for schedule(static)
  for (int64_t idx = 0; idx < n; idx++) {
    out->data[idx] = sqrtf(out->data[idx]);
  }
  carm_volume_copy_grid(out, mask);
  return CARM_OK;
}
