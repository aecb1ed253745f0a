/* Grey-level erosion / dilation with a Euclidean ball: the ball is a set of
 * x-runs (one per (dy, dz) chord); each run is a sliding minimum along x
 * (van Herk / Gil-Werman, O(1) per voxel), combined over the chords.
 * Voxels outside the volume are ignored. Dilation is -erosion(-f). */
#include "seg/seg_internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct chord {
  int dj, dk, w; /* source row offset and half width along x */
} chord;

/* Sliding minimum of half width w over row[0..nx) (sign-flipped by `sg`)
 * into res; pad (nx + 2w), g and h are scratch of the same size. */
static void sliding_min(const float *row, int64_t nx, int w, float sg, float *res, float *pad,
                        float *g, float *h) {
  int64_t L = 2 * (int64_t)w + 1, P = nx + 2 * (int64_t)w;
  for (int64_t p = 0; p < P; p++) {
    int64_t i = p - w;
    pad[p] = (i >= 0 && i < nx) ? sg * row[i] : INFINITY;
  }
  for (int64_t p = 0; p < P; p++) {
    g[p] = (p % L == 0) ? pad[p] : fminf(g[p - 1], pad[p]);
  }
  for (int64_t p = P - 1; p >= 0; p--) {
    h[p] = (p % L == L - 1 || p == P - 1) ? pad[p] : fminf(h[p + 1], pad[p]);
  }
  for (int64_t i = 0; i < nx; i++) {
    res[i] = fminf(h[i], g[i + L - 1]);
  }
}

/* out = erosion (sg = 1) or dilation (sg = -1) of in by the chords. */
static carm_status morph_once(carm_volume *out, const carm_volume *in, const chord *ch, int nch,
                              int wmax, float sg) {
  const int64_t nx = in->dims[0], ny = in->dims[1], nz = in->dims[2];
  int64_t P = nx + 2 * (int64_t)wmax;
  int failed = 0;
#pragma omp parallel
  {
    float *buf = malloc((size_t)(3 * P + 2 * nx) * sizeof *buf);
    if (buf == NULL) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(dynamic, 4)
    for (int64_t row = 0; row < ny * nz; row++) {
      if (buf == NULL) {
        continue;
      }
      int64_t j = row % ny, k = row / ny;
      float *acc = buf + 3 * P, *res = acc + nx;
      for (int64_t i = 0; i < nx; i++) {
        acc[i] = INFINITY;
      }
      for (int c = 0; c < nch; c++) {
        int64_t b = j + ch[c].dj, kk = k + ch[c].dk;
        if (b < 0 || b >= ny || kk < 0 || kk >= nz) {
          continue;
        }
        sliding_min(in->data + (kk * ny + b) * nx, nx, ch[c].w, sg, res, buf, buf + P, buf + 2 * P);
        for (int64_t i = 0; i < nx; i++) {
          acc[i] = fminf(acc[i], res[i]);
        }
      }
      float *dst = out->data + row * nx;
      for (int64_t i = 0; i < nx; i++) {
        dst[i] = sg * acc[i];
      }
    }
    free(buf);
  }
  if (failed) {
    return carm_error(CARM_ERR_NOMEM, "grey morphology: cannot allocate row buffers");
  }
  return CARM_OK;
}

carm_status carm_seg_morph_grey(carm_volume *out, const carm_volume *in, carm_seg_morph_op op,
                                double radius_mm) {
  carm_status st = seg_check_pair(out, in, "grey morphology");
  if (st != CARM_OK) {
    return st;
  }
  if (out == in) {
    return carm_error(CARM_ERR_INVALID, "grey morphology: output aliases the input");
  }
  if (!(radius_mm >= 0.0) || !isfinite(radius_mm)) {
    return carm_error(CARM_ERR_INVALID, "grey morphology: radius %g mm", radius_mm);
  }
  if (op < CARM_SEG_ERODE || op > CARM_SEG_CLOSE) {
    return carm_error(CARM_ERR_INVALID, "grey morphology: unknown operation %d", (int)op);
  }
  const double *sp = in->spacing;
  double lim = radius_mm * radius_mm * (1.0 + SEG_BALL_SLACK) + 1e-12;
  for (int a = 0; a < 3; a++) {
    if (sqrt(lim) / sp[a] > 1e4) {
      return carm_error(CARM_ERR_RANGE, "grey morphology: radius %g mm is over 10^4 voxels",
                        radius_mm);
    }
  }
  int rj = (int)floor(sqrt(lim) / sp[1]), rk = (int)floor(sqrt(lim) / sp[2]);
  chord *ch = malloc((size_t)(2 * rj + 1) * (size_t)(2 * rk + 1) * sizeof *ch);
  if (ch == NULL) {
    return carm_error(CARM_ERR_NOMEM, "grey morphology: cannot allocate the ball");
  }
  int nch = 0, wmax = 0;
  for (int dk = -rk; dk <= rk; dk++) {
    for (int dj = -rj; dj <= rj; dj++) {
      double rest = lim - (dj * sp[1]) * (dj * sp[1]) - (dk * sp[2]) * (dk * sp[2]);
      if (rest < 0.0) {
        continue;
      }
      int w = (int)floor(sqrt(rest) / sp[0]);
      if ((double)(w + 1) * sp[0] * (double)(w + 1) * sp[0] <= rest) {
        w++; /* guard against sqrt rounding down */
      }
      ch[nch].dj = dj;
      ch[nch].dk = dk;
      ch[nch].w = w;
      wmax = w > wmax ? w : wmax;
      nch++;
    }
  }
  float first = (op == CARM_SEG_ERODE || op == CARM_SEG_OPEN) ? 1.0f : -1.0f;
  if (op == CARM_SEG_ERODE || op == CARM_SEG_DILATE) {
    st = morph_once(out, in, ch, nch, wmax, first);
  } else {
    carm_volume *tmp = NULL;
    st = carm_volume_create_like(&tmp, in);
    if (st == CARM_OK) {
      st = morph_once(tmp, in, ch, nch, wmax, first);
    }
    if (st == CARM_OK) {
      st = morph_once(out, tmp, ch, nch, wmax, -first);
    }
    carm_volume_destroy(tmp);
  }
  free(ch);
  if (st == CARM_OK) {
    carm_volume_copy_grid(out, in);
  }
  return st;
}
