/* SART / OS-SART (Andersen & Kak 1984; ordered subsets as in TIGRE's
 * OS-SART): x ← x + λ · Cₛ Aₛᵀ Rₛ (bₛ − Aₛ x), R = 1/(A·1), Cₛ = 1/(Aₛᵀ·1). */
#include "iter_internal.h"

#include <math.h>
#include <string.h>

carm_status iter_sart_sweep(carm_iter_plan *plan, const carm_volume *proj, float *x, double lambda,
                            double *res2, double base, double span) {
  const int threads = iter_threads(plan);
  const int64_t np = plan->n_pix;
  const float lam = (float)lambda;
  const double step = span / (double)plan->n_sub;
  carm_volume xv = iter_vol_view(plan, x);
  carm_volume bp = iter_vol_view(plan, plan->v1);
  for (int s = 0; s < plan->n_sub; s++) {
    const int64_t ns = iter_subset_count(plan, s);
    const double b0 = base + step * (double)s;
    carm_volume pv = iter_proj_view(plan, plan->sub_data, ns);
    /* with recomputed weights: forward, back and the weights' back */
    const double part = plan->inv_col != NULL ? 0.5 : 1.0 / 3.0;
    carm_project_opts po = iter_project_opts(plan, b0, step * part);
    carm_status st = carm_project_forward(&xv, plan->sub_geo[s], &pv, &po);
    if (st != CARM_OK) {
      return st;
    }
    double r2 = 0.0;
    for (int64_t k = 0; k < ns; k++) {
      const int64_t view = s + k * plan->n_sub;
      const float *b = proj->data + view * np;
      const float *w = plan->inv_row + view * np;
      float *a = plan->sub_data + k * np;
#pragma omp parallel for num_threads(threads) reduction(+ : r2) schedule(static)
      for (int64_t i = 0; i < np; i++) {
        float d = w[i] > 0.0f ? b[i] - a[i] : 0.0f;
        r2 += (double)d * (double)d;
        a[i] = d * w[i];
      }
    }
    *res2 += r2;
    po = iter_project_opts(plan, b0 + step * part, step * part);
    st = carm_project_back(&pv, plan->sub_geo[s], &bp, &po);
    if (st != CARM_OK) {
      return st;
    }
    const float *c = NULL;
    if (plan->inv_col != NULL) {
      c = plan->inv_col[s];
    } else {
      /* not cached: recompute this subset's weights (one more backprojection) */
      st = iter_column_weights(plan, s, plan->vcol, b0 + 2.0 * step * part, step * part);
      if (st != CARM_OK) {
        return st;
      }
      c = plan->vcol;
    }
    const float *corr = plan->v1;
    const int nonneg = plan->opts.nonneg;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < plan->n_vox; i++) {
      float v = x[i] + lam * c[i] * corr[i];
      x[i] = nonneg && v < 0.0f ? 0.0f : v;
    }
  }
  return CARM_OK;
}

carm_status iter_sart_run(carm_iter_plan *plan, const carm_volume *proj, carm_volume *vol) {
  const int threads = iter_threads(plan);
  const int n_it = plan->opts.iterations;
  const double bnorm = sqrt(iter_norm2(proj->data, plan->n_pix * plan->geo->n_views, threads));
  if (plan->opts.nonneg) {
    iter_clamp_nonneg(vol->data, plan->n_vox, threads);
  }
  for (int it = 0; it < n_it; it++) {
    double t0 = iter_now();
    memcpy(plan->v2, vol->data, (size_t)plan->n_vox * sizeof(float));
    double res2 = 0.0;
    carm_status st = iter_sart_sweep(plan, proj, vol->data, plan->opts.relaxation, &res2,
                                     (double)it / n_it, 1.0 / n_it);
    if (st != CARM_OK) {
      return st;
    }
    double xn = sqrt(iter_norm2(vol->data, plan->n_vox, threads));
    double dx = sqrt(iter_dist2(vol->data, plan->v2, plan->n_vox, threads));
    carm_iter_stats stats = {it + 1, bnorm > 0.0 ? sqrt(res2) / bnorm : 0.0,
                             xn > 0.0 ? dx / xn : 0.0, 0.0, iter_now() - t0};
    if (iter_after(plan, &stats, vol)) {
      break;
    }
    st = iter_report(plan, (double)(it + 1) / n_it);
    if (st != CARM_OK) {
      return st;
    }
  }
  return CARM_OK;
}
