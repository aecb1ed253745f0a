/* Multi-scale Hessian vesselness (Frangi et al., MICCAI 1998). */
#include "seg/seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Extra memory the automatic-c path may use to keep smoothed scales. */
#define SEG_VESSELNESS_CACHE_BYTES (1024.0 * 1024.0 * 1024.0)

/* Largest scale-normalised Hessian norm S over the volume `sm` (smoothed). */
static double max_hessian_norm(const carm_volume *sm, double s2) {
  double inv2[3], invx[3];
  seg_hessian_constants(sm, inv2, invx);
  const int64_t nx = sm->dims[0], ny = sm->dims[1], nz = sm->dims[2];
  double best = 0.0;
#pragma omp parallel for schedule(static) reduction(max : best)
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        double h[6];
        seg_hessian_at(sm, i, j, k, inv2, invx, h);
        /* Frobenius norm of the Hessian = sqrt(sum lambda^2) */
        double f = h[0] * h[0] + h[1] * h[1] + h[2] * h[2] +
                   2.0 * (h[3] * h[3] + h[4] * h[4] + h[5] * h[5]);
        double s = sqrt(f) * s2;
        if (s > best) {
          best = s;
        }
      }
    }
  }
  return best;
}

/* Update out/scale_out with the response of one scale. */
static void accumulate_scale(carm_volume *out, carm_volume *scale_out, const carm_volume *sm,
                             double sigma, double s2, const carm_seg_vesselness_opts *o, double c) {
  double inv2[3], invx[3];
  seg_hessian_constants(sm, inv2, invx);
  const int64_t nx = sm->dims[0], ny = sm->dims[1], nz = sm->dims[2];
  const double ka = -1.0 / (2.0 * o->alpha * o->alpha);
  const double kb = -1.0 / (2.0 * o->beta * o->beta);
  const double kc = -1.0 / (2.0 * c * c);
  const double sign = o->bright ? 1.0 : -1.0;
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        double h[6], lam[3];
        seg_hessian_at(sm, i, j, k, inv2, invx, h);
        /* l2, l3 of the vessel sign with |l1| <= |l2| imply a trace of that
         * sign: skip the eigen-solver elsewhere (exact, about half the
         * voxels) */
        if (sign * (h[0] + h[1] + h[2]) >= 0.0) {
          continue;
        }
        carm_seg_eigen_sym3(h, lam);
        double l1 = lam[0] * s2, l2 = lam[1] * s2, l3 = lam[2] * s2;
        double v = 0.0;
        if (sign * l2 < 0.0 && sign * l3 < 0.0) {
          double ra = fabs(l2) / fabs(l3);
          double rb = fabs(l1) / sqrt(fabs(l2 * l3));
          double s = l1 * l1 + l2 * l2 + l3 * l3;
          v = (1.0 - exp(ka * ra * ra)) * exp(kb * rb * rb) * (1.0 - exp(kc * s));
        }
        int64_t idx = (k * ny + j) * nx + i;
        if ((float)v > out->data[idx]) {
          out->data[idx] = (float)v;
          if (scale_out != NULL) {
            scale_out->data[idx] = (float)sigma;
          }
        }
      }
    }
  }
}

carm_status carm_seg_vesselness(carm_volume *out, carm_volume *scale_out, const carm_volume *in,
                                const carm_seg_vesselness_opts *opts) {
  carm_status st = seg_check_pair(out, in, "vesselness");
  if (st != CARM_OK) {
    return st;
  }
  if (out == in || (scale_out != NULL && (scale_out == in || scale_out == out))) {
    return carm_error(CARM_ERR_INVALID,
                      "vesselness: outputs may not alias each other or the input");
  }
  if (scale_out != NULL) {
    st = seg_check_pair(scale_out, in, "vesselness");
    if (st != CARM_OK) {
      return st;
    }
  }
  if (opts == NULL || opts->version != 1) {
    return carm_error(CARM_ERR_INVALID, "vesselness: options missing or of unknown version");
  }
  if (opts->n_sigmas < 1 || opts->n_sigmas > CARM_SEG_MAX_SCALES) {
    return carm_error(CARM_ERR_INVALID, "vesselness: %d scales (allowed 1..%d)", opts->n_sigmas,
                      CARM_SEG_MAX_SCALES);
  }
  for (int s = 0; s < opts->n_sigmas; s++) {
    if (!(opts->sigmas_mm[s] > 0.0) || !isfinite(opts->sigmas_mm[s])) {
      return carm_error(CARM_ERR_INVALID, "vesselness: sigma %d is %g mm (must be > 0)", s,
                        opts->sigmas_mm[s]);
    }
  }
  if (!(opts->alpha > 0.0) || !(opts->beta > 0.0) || !isfinite(opts->c)) {
    return carm_error(CARM_ERR_INVALID, "vesselness: alpha and beta must be > 0, c finite");
  }
  carm_volume *sm = NULL;
  carm_volume *cache[CARM_SEG_MAX_SCALES] = {NULL};
  st = carm_volume_create_like(&sm, in);
  if (st != CARM_OK) {
    return st;
  }
  const int n = opts->n_sigmas;
  double c = opts->c;
  int passes = c > 0.0 ? 1 : 2;
  int steps = (passes == 2 ? 2 * n : n), step = 0;
  /* with automatic c every scale is needed twice: keep the smoothed
   * volumes when they fit in SEG_VESSELNESS_CACHE_BYTES, else smooth twice */
  int cached = 0;
  if (passes == 2 && n > 1 &&
      (double)n * (double)carm_volume_count(in) * sizeof(float) <= SEG_VESSELNESS_CACHE_BYTES) {
    cached = 1;
    for (int s = 1; s < n && cached; s++) {
      if (carm_volume_create_like(&cache[s], in) != CARM_OK) {
        cached = 0;
      }
    }
    if (!cached) {
      for (int s = 1; s < n; s++) {
        carm_volume_destroy(cache[s]);
        cache[s] = NULL;
      }
      carm_error_clear();
    }
  }
  if (c <= 0.0) {
    double smax = 0.0;
    /* reverse order: the last smoothing left in `sm` is scale 0, which the
     * second pass uses first */
    for (int s = n - 1; s >= 0; s--) {
      double sig[3] = {opts->sigmas_mm[s], opts->sigmas_mm[s], opts->sigmas_mm[s]};
      carm_volume *dst = (cached && s > 0) ? cache[s] : sm;
      st = carm_seg_gaussian(dst, in, sig);
      if (st != CARM_OK) {
        goto cleanup;
      }
      double m = max_hessian_norm(dst, sig[0] * sig[0]);
      smax = m > smax ? m : smax;
      if (carm_progress_report(&opts->progress, (double)++step / steps, "vesselness")) {
        st = carm_error(CARM_ERR_CANCELLED, "vesselness cancelled");
        goto cleanup;
      }
    }
    c = 0.5 * smax;
    if (!(c > 0.0)) {
      c = 1.0; /* flat image: every response is 0 anyway */
    }
  }
  memset(out->data, 0, (size_t)carm_volume_count(out) * sizeof(float));
  if (scale_out != NULL) {
    memset(scale_out->data, 0, (size_t)carm_volume_count(out) * sizeof(float));
  }
  for (int s = 0; s < n; s++) {
    double sigma = opts->sigmas_mm[s];
    double sig[3] = {sigma, sigma, sigma};
    const carm_volume *src = sm;
    if (cached && s > 0) {
      src = cache[s];
    } else if (!(passes == 2 && s == 0)) {
      /* scale 0 is still in `sm` after the first pass */
      st = carm_seg_gaussian(sm, in, sig);
      if (st != CARM_OK) {
        goto cleanup;
      }
    }
    accumulate_scale(out, scale_out, src, sigma, sigma * sigma, opts, c);
    if (carm_progress_report(&opts->progress, (double)++step / steps, "vesselness")) {
      st = carm_error(CARM_ERR_CANCELLED, "vesselness cancelled");
      goto cleanup;
    }
  }
  carm_volume_copy_grid(out, in);
  if (scale_out != NULL) {
    carm_volume_copy_grid(scale_out, in);
  }
  st = CARM_OK;
cleanup:
  carm_volume_destroy(sm);
  for (int s = 0; s < CARM_SEG_MAX_SCALES; s++) {
    carm_volume_destroy(cache[s]);
  }
  return st;
}
