/* Separable Gaussian smoothing with sigma in millimetres per axis. */
#include "seg/seg_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sampled Gaussian of `sigma_vox` voxels truncated at 4 sigma, sum 1.
 * Returns the radius; `*w` (2 radius + 1 taps) is malloc'ed. */
static carm_status gauss_kernel(double sigma_vox, int64_t *radius, float **w) {
  int64_t r = (int64_t)ceil(4.0 * sigma_vox);
  if (r < 1) {
    r = 1;
  }
  float *k = malloc((size_t)(2 * r + 1) * sizeof *k);
  if (k == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a Gaussian kernel of %lld taps",
                      (long long)(2 * r + 1));
  }
  double sum = 0.0;
  for (int64_t t = -r; t <= r; t++) {
    sum += exp(-0.5 * (double)(t * t) / (sigma_vox * sigma_vox));
  }
  for (int64_t t = -r; t <= r; t++) {
    k[t + r] = (float)(exp(-0.5 * (double)(t * t) / (sigma_vox * sigma_vox)) / sum);
  }
  *radius = r;
  *w = k;
  return CARM_OK;
}

static inline int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/* In-place convolution of every line along `axis` of `v`. */
static carm_status smooth_axis(carm_volume *v, int axis, const float *w, int64_t r) {
  const int64_t nx = v->dims[0], ny = v->dims[1], nz = v->dims[2];
  float *data = v->data;
  int failed = 0;
  int64_t len = v->dims[axis];
  /* per-thread scratch: a padded line (x) or a whole plane (y, z) */
  int64_t scratch = axis == 0 ? nx + 2 * r : (axis == 1 ? nx * ny : nx * nz);
#pragma omp parallel
  {
    float *buf = malloc((size_t)scratch * sizeof *buf);
    if (buf == NULL) {
#pragma omp atomic write
      failed = 1;
    }
    if (axis == 0) {
#pragma omp for schedule(static)
      for (int64_t row = 0; row < ny * nz; row++) {
        if (buf == NULL) {
          continue;
        }
        float *line = data + row * nx;
        for (int64_t t = 0; t < nx + 2 * r; t++) {
          buf[t] = line[clamp64(t - r, 0, nx - 1)];
        }
        /* taps outermost so that the loop over i vectorises */
        for (int64_t i = 0; i < nx; i++) {
          line[i] = 0.0f;
        }
        for (int64_t t = 0; t <= 2 * r; t++) {
          const float wt = w[t];
          const float *src = buf + t;
          for (int64_t i = 0; i < nx; i++) {
            line[i] += wt * src[i];
          }
        }
      }
    } else if (axis == 1) {
#pragma omp for schedule(static)
      for (int64_t k = 0; k < nz; k++) {
        if (buf == NULL) {
          continue;
        }
        float *plane = data + k * nx * ny;
        memcpy(buf, plane, (size_t)(nx * ny) * sizeof *buf);
        for (int64_t j = 0; j < ny; j++) {
          float *dst = plane + j * nx;
          for (int64_t i = 0; i < nx; i++) {
            dst[i] = 0.0f;
          }
          for (int64_t t = -r; t <= r; t++) {
            const float *src = buf + clamp64(j + t, 0, len - 1) * nx;
            float wt = w[t + r];
            for (int64_t i = 0; i < nx; i++) {
              dst[i] += wt * src[i];
            }
          }
        }
      }
    } else {
#pragma omp for schedule(static)
      for (int64_t j = 0; j < ny; j++) {
        if (buf == NULL) {
          continue;
        }
        for (int64_t k = 0; k < nz; k++) {
          memcpy(buf + k * nx, data + (k * ny + j) * nx, (size_t)nx * sizeof *buf);
        }
        for (int64_t k = 0; k < nz; k++) {
          float *dst = data + (k * ny + j) * nx;
          for (int64_t i = 0; i < nx; i++) {
            dst[i] = 0.0f;
          }
          for (int64_t t = -r; t <= r; t++) {
            const float *src = buf + clamp64(k + t, 0, len - 1) * nx;
            float wt = w[t + r];
            for (int64_t i = 0; i < nx; i++) {
              dst[i] += wt * src[i];
            }
          }
        }
      }
    }
    free(buf);
  }
  if (failed) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate Gaussian scratch buffers");
  }
  return CARM_OK;
}

carm_status carm_seg_gaussian(carm_volume *out, const carm_volume *in, const double sigma_mm[3]) {
  carm_status st = seg_check_pair(out, in, "gaussian");
  if (st != CARM_OK) {
    return st;
  }
  if (sigma_mm == NULL) {
    return carm_error(CARM_ERR_INVALID, "gaussian: sigma is NULL");
  }
  for (int a = 0; a < 3; a++) {
    if (!(sigma_mm[a] >= 0.0) || !isfinite(sigma_mm[a])) {
      return carm_error(CARM_ERR_INVALID, "gaussian: sigma %d is %g mm (must be >= 0)", a,
                        sigma_mm[a]);
    }
  }
  if (out != in) {
    memcpy(out->data, in->data, (size_t)carm_volume_count(in) * sizeof(float));
    carm_volume_copy_grid(out, in);
  }
  for (int a = 0; a < 3; a++) {
    double sigma_vox = sigma_mm[a] / in->spacing[a];
    if (sigma_vox <= 1e-3 || in->dims[a] == 1) {
      continue;
    }
    int64_t r = 0;
    float *w = NULL;
    st = gauss_kernel(sigma_vox, &r, &w);
    if (st != CARM_OK) {
      return st;
    }
    st = smooth_axis(out, a, w, r);
    free(w);
    if (st != CARM_OK) {
      return st;
    }
  }
  return CARM_OK;
}
