/* CGLS (Hestenes & Stiefel 1952; Björck, Numerical Methods for Least
 * Squares Problems, 1996, alg. 7.4.1): conjugate gradients on AᵀA x = Aᵀb.
 * Vectors: x, p, s (volumes; s lives in v1), r, q (projections). */
#include "iter_internal.h"

#include <math.h>
#include <string.h>

carm_status iter_cgls_run(carm_iter_plan *plan, const carm_volume *proj, carm_volume *vol) {
  const int threads = iter_threads(plan);
  const int n_it = plan->opts.iterations;
  const int64_t nproj = plan->n_pix * plan->geo->n_views;
  const int64_t nvox = plan->n_vox;
  float *x = vol->data;
  float *r = plan->r;
  float *q = plan->q;
  float *p = plan->p;
  float *s = plan->v1;
  carm_volume rv = iter_proj_view(plan, r, plan->geo->n_views);
  carm_volume qv = iter_proj_view(plan, q, plan->geo->n_views);
  carm_volume pv = iter_vol_view(plan, p);
  carm_volume sv = iter_vol_view(plan, s);
  const double bnorm = sqrt(iter_norm2(proj->data, nproj, threads));
  const double span = 1.0 / (n_it + 1);
  carm_status st = CARM_OK;
  /* r = b − A x0 */
  if (plan->opts.warm_start) {
    carm_project_opts po = iter_project_opts(plan, 0.0, 0.5 * span);
    st = carm_project_forward(vol, plan->geo, &qv, &po);
    if (st != CARM_OK) {
      return st;
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < nproj; i++) {
      r[i] = proj->data[i] - q[i];
    }
  } else {
    memcpy(r, proj->data, (size_t)nproj * sizeof(float));
  }
  /* s = Aᵀ r, p = s */
  carm_project_opts po = iter_project_opts(plan, 0.5 * span, 0.5 * span);
  st = carm_project_back(&rv, plan->geo, &sv, &po);
  if (st != CARM_OK) {
    return st;
  }
  memcpy(p, s, (size_t)nvox * sizeof(float));
  double gamma = iter_norm2(s, nvox, threads);
  for (int it = 0; it < n_it; it++) {
    double t0 = iter_now();
    double base = span * (it + 1);
    if (!(gamma > 0.0)) {
      /* Aᵀr = 0: x is a least-squares solution already */
      carm_iter_stats stats = {it + 1,
                               bnorm > 0.0 ? sqrt(iter_norm2(r, nproj, threads)) / bnorm : 0.0, 0.0,
                               0.0, iter_now() - t0};
      iter_after(plan, &stats, vol);
      break;
    }
    po = iter_project_opts(plan, base, 0.5 * span);
    st = carm_project_forward(&pv, plan->geo, &qv, &po);
    if (st != CARM_OK) {
      return st;
    }
    double qq = iter_norm2(q, nproj, threads);
    if (!(qq > 0.0)) {
      break;
    }
    const double alpha = gamma / qq;
    const float af = (float)alpha;
    double pp = 0.0;
#pragma omp parallel for num_threads(threads) reduction(+ : pp) schedule(static)
    for (int64_t i = 0; i < nvox; i++) {
      x[i] += af * p[i];
      pp += (double)p[i] * (double)p[i];
    }
    double rr = 0.0;
#pragma omp parallel for num_threads(threads) reduction(+ : rr) schedule(static)
    for (int64_t i = 0; i < nproj; i++) {
      r[i] -= af * q[i];
      rr += (double)r[i] * (double)r[i];
    }
    po = iter_project_opts(plan, base + 0.5 * span, 0.5 * span);
    st = carm_project_back(&rv, plan->geo, &sv, &po);
    if (st != CARM_OK) {
      return st;
    }
    double gamma_new = iter_norm2(s, nvox, threads);
    const float beta = (float)(gamma_new / gamma);
    gamma = gamma_new;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < nvox; i++) {
      p[i] = s[i] + beta * p[i];
    }
    double xn = sqrt(iter_norm2(x, nvox, threads));
    double dx = alpha * sqrt(pp);
    carm_iter_stats stats = {it + 1, bnorm > 0.0 ? sqrt(rr) / bnorm : 0.0, xn > 0.0 ? dx / xn : 0.0,
                             0.0, iter_now() - t0};
    if (iter_after(plan, &stats, vol)) {
      break;
    }
    st = iter_report(plan, base + span);
    if (st != CARM_OK) {
      return st;
    }
  }
  if (plan->opts.nonneg) {
    iter_clamp_nonneg(x, nvox, threads);
  }
  return CARM_OK;
}
