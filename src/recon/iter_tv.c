/* ASD-POCS (Sidky & Pan, Phys. Med. Biol. 53:4777, 2008; the variant of
 * TIGRE's ASD_POCS): each iteration an OS-SART sweep with non-negativity
 * (the data and positivity projections), then `tv_steps` normalised
 * steepest-descent steps on the smoothed isotropic total variation whose
 * length dtvg starts at α·dp (dp: size of the first data step) and shrinks
 * by α_red whenever the TV steps move the image more than r_max·dp. */
#include "iter_internal.h"

#include <math.h>
#include <string.h>

static inline double bdiff_norm(const float *x, const int64_t n[3], int64_t i, int64_t j, int64_t k,
                                double eps, double *bx, double *by, double *bz) {
  const int64_t sy = n[0];
  const int64_t sz = n[0] * n[1];
  const int64_t o = k * sz + j * sy + i;
  const double c = x[o];
  *bx = i > 0 ? c - x[o - 1] : 0.0;
  *by = j > 0 ? c - x[o - sy] : 0.0;
  *bz = k > 0 ? c - x[o - sz] : 0.0;
  return sqrt(*bx * *bx + *by * *by + *bz * *bz + eps);
}

double iter_tv_gradient(const float *x, const int64_t dims[3], double eps, float *g, int threads) {
  const int64_t nx = dims[0];
  const int64_t ny = dims[1];
  const int64_t nz = dims[2];
  double norm2 = 0.0;
#pragma omp parallel for num_threads(threads) reduction(+ : norm2) schedule(static)
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        double bx;
        double by;
        double bz;
        double d = bdiff_norm(x, dims, i, j, k, eps, &bx, &by, &bz);
        double v = (bx + by + bz) / d;
        if (i + 1 < nx) {
          double d1 = bdiff_norm(x, dims, i + 1, j, k, eps, &bx, &by, &bz);
          v -= bx / d1;
        }
        if (j + 1 < ny) {
          double d1 = bdiff_norm(x, dims, i, j + 1, k, eps, &bx, &by, &bz);
          v -= by / d1;
        }
        if (k + 1 < nz) {
          double d1 = bdiff_norm(x, dims, i, j, k + 1, eps, &bx, &by, &bz);
          v -= bz / d1;
        }
        g[(k * ny + j) * nx + i] = (float)v;
        norm2 += v * v;
      }
    }
  }
  return sqrt(norm2);
}

double carm_volume_total_variation(const carm_volume *vol) {
  if (vol == NULL || vol->data == NULL) {
    return 0.0;
  }
  double tv = 0.0;
  const int64_t *n = vol->dims;
#pragma omp parallel for reduction(+ : tv) schedule(static)
  for (int64_t k = 0; k < n[2]; k++) {
    for (int64_t j = 0; j < n[1]; j++) {
      for (int64_t i = 0; i < n[0]; i++) {
        double bx;
        double by;
        double bz;
        tv += bdiff_norm(vol->data, n, i, j, k, 0.0, &bx, &by, &bz);
      }
    }
  }
  return tv;
}

carm_status iter_tv_run(carm_iter_plan *plan, const carm_volume *proj, carm_volume *vol) {
  const int threads = iter_threads(plan);
  const int n_it = plan->opts.iterations;
  const int64_t nvox = plan->n_vox;
  const carm_iter_opts *o = &plan->opts;
  float *x = vol->data;
  float *prev = plan->v2;  /* x_{k−1} */
  float *xdata = plan->v3; /* after the data step */
  float *g = plan->v1;
  const double bnorm = sqrt(iter_norm2(proj->data, plan->n_pix * plan->geo->n_views, threads));
  double lambda = o->relaxation;
  double alpha = o->tv_alpha;
  if (o->nonneg) {
    iter_clamp_nonneg(x, nvox, threads);
  }
  for (int it = 0; it < n_it; it++) {
    double t0 = iter_now();
    memcpy(prev, x, (size_t)nvox * sizeof(float));
    double res2 = 0.0;
    /* the sweep gets 90 % of the iteration's progress span */
    carm_status st = iter_sart_sweep(plan, proj, x, lambda, &res2, (double)it / n_it, 0.9 / n_it);
    if (st != CARM_OK) {
      return st;
    }
    memcpy(xdata, x, (size_t)nvox * sizeof(float));
    const double dp = sqrt(iter_dist2(x, prev, nvox, threads));
    const double dtvg = alpha * dp;
    /* smoothing of the TV's gradient, relative to the image's scale */
    double xmax = 0.0;
    for (int64_t i = 0; i < nvox; i++) {
      xmax = fmax(xmax, fabs((double)x[i]));
    }
    const double eps = 1e-8 * xmax * xmax + 1e-30;
    for (int t = 0; t < o->tv_steps && dtvg > 0.0; t++) {
      double gn = iter_tv_gradient(x, plan->vol_grid.dims, eps, g, threads);
      if (!(gn > 0.0)) {
        break;
      }
      const float f = (float)(dtvg / gn);
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t i = 0; i < nvox; i++) {
        x[i] -= f * g[i];
      }
    }
    const double dg = sqrt(iter_dist2(x, xdata, nvox, threads));
    const double residual = bnorm > 0.0 ? sqrt(res2) / bnorm : 0.0;
    if (dg > o->tv_rmax * dp && !(o->tol_residual > 0.0 && residual < o->tol_residual)) {
      alpha *= o->tv_alpha_red;
    }
    lambda *= o->relax_red;
    double xn = sqrt(iter_norm2(x, nvox, threads));
    double dx = sqrt(iter_dist2(x, prev, nvox, threads));
    carm_iter_stats stats = {it + 1, residual, xn > 0.0 ? dx / xn : 0.0,
                             carm_volume_total_variation(vol), iter_now() - t0};
    if (iter_after(plan, &stats, vol)) {
      break;
    }
    st = iter_report(plan, (double)(it + 1) / n_it);
    if (st != CARM_OK) {
      return st;
    }
  }
  if (o->nonneg) {
    iter_clamp_nonneg(x, nvox, threads);
  }
  return CARM_OK;
}
