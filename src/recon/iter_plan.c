/* Iterative reconstruction: planning (subsets, SART weights, buffers),
 * execute dispatch and the small vector helpers the solvers share. */
#include "iter_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double iter_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int iter_threads(const carm_iter_plan *plan) {
  return plan->opts.threads > 0 ? plan->opts.threads : omp_get_max_threads();
}

double iter_dot(const float *a, const float *b, int64_t n, int threads) {
  double s = 0.0;
#pragma omp parallel for num_threads(threads) reduction(+ : s) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    s += (double)a[i] * (double)b[i];
  }
  return s;
}

double iter_norm2(const float *a, int64_t n, int threads) { return iter_dot(a, a, n, threads); }

double iter_dist2(const float *a, const float *b, int64_t n, int threads) {
  double s = 0.0;
#pragma omp parallel for num_threads(threads) reduction(+ : s) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    double d = (double)a[i] - (double)b[i];
    s += d * d;
  }
  return s;
}

void iter_clamp_nonneg(float *a, int64_t n, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    a[i] = a[i] > 0.0f ? a[i] : 0.0f;
  }
}

carm_volume iter_proj_view(const carm_iter_plan *plan, float *data, int64_t n) {
  carm_volume v = plan->proj_grid;
  v.dims[2] = n;
  v.data = data;
  return v;
}

carm_volume iter_vol_view(const carm_iter_plan *plan, float *data) {
  carm_volume v = plan->vol_grid;
  v.data = data;
  return v;
}

static int forward_progress(void *user, double fraction, const char *stage) {
  (void)stage;
  carm_iter_plan *plan = user;
  double f = plan->prog_base + fraction * plan->prog_span;
  return carm_progress_report(&plan->opts.progress, f, plan->stage);
}

carm_project_opts iter_project_opts(carm_iter_plan *plan, double base, double span) {
  carm_project_opts po = CARM_PROJECT_INIT;
  po.threads = plan->opts.threads;
  plan->prog_base = base;
  plan->prog_span = span;
  if (plan->opts.progress.fn != NULL) {
    po.progress.fn = forward_progress;
    po.progress.user = plan;
  }
  return po;
}

carm_status iter_report(carm_iter_plan *plan, double fraction) {
  if (carm_progress_report(&plan->opts.progress, fraction, plan->stage)) {
    return carm_error(CARM_ERR_CANCELLED, "%s reconstruction cancelled",
                      carm_iter_method_name(plan->opts.method));
  }
  return CARM_OK;
}

int iter_after(carm_iter_plan *plan, carm_iter_stats *st, const carm_volume *x) {
  plan->info.iterations_run = st->iteration;
  plan->info.residual = st->residual;
  int stop = 0;
  if (plan->opts.on_iteration != NULL && plan->opts.on_iteration(plan->opts.user, st, x) != 0) {
    stop = 1;
  }
  if (plan->opts.tol_residual > 0.0 && st->residual < plan->opts.tol_residual) {
    stop = 1;
  }
  if (plan->opts.tol_update > 0.0 && st->update < plan->opts.tol_update) {
    stop = 1;
  }
  return stop;
}

static carm_status check_opts(const carm_iter_opts *o) {
  if (o->version != 1) {
    return carm_error(CARM_ERR_INVALID, "iterative: options version %d (expected 1)", o->version);
  }
  if (o->method != CARM_ITER_SART && o->method != CARM_ITER_CGLS && o->method != CARM_ITER_TV) {
    return carm_error(CARM_ERR_INVALID, "iterative: unknown method %d", (int)o->method);
  }
  if (o->iterations < 1 || o->iterations > 100000) {
    return carm_error(CARM_ERR_RANGE, "iterative: iterations must be in 1..100000 (got %d)",
                      o->iterations);
  }
  if (o->subsets < 1) {
    return carm_error(CARM_ERR_RANGE, "iterative: subsets must be >= 1 (got %d)", o->subsets);
  }
  if (!(o->relaxation > 0.0 && o->relaxation < 2.0)) {
    return carm_error(CARM_ERR_RANGE, "iterative: relaxation must be in (0, 2) (got %g)",
                      o->relaxation);
  }
  if (!(o->tol_residual >= 0.0) || !(o->tol_update >= 0.0) || !isfinite(o->tol_residual) ||
      !isfinite(o->tol_update)) {
    return carm_error(CARM_ERR_RANGE, "iterative: tolerances must be finite and >= 0");
  }
  if (o->method == CARM_ITER_TV) {
    if (!(o->tv_alpha >= 0.0) || !isfinite(o->tv_alpha) || o->tv_steps < 0 || o->tv_steps > 10000 ||
        !(o->tv_alpha_red > 0.0 && o->tv_alpha_red <= 1.0) || !(o->tv_rmax > 0.0) ||
        !isfinite(o->tv_rmax) || !(o->relax_red > 0.0 && o->relax_red <= 1.0)) {
      return carm_error(CARM_ERR_RANGE,
                        "iterative: TV options out of range (alpha %g >= 0, steps %d in "
                        "0..10000, alpha reduction %g and relaxation reduction %g in (0, 1], "
                        "rmax %g > 0)",
                        o->tv_alpha, o->tv_steps, o->tv_alpha_red, o->relax_red, o->tv_rmax);
    }
  }
  return CARM_OK;
}

void carm_iter_plan_destroy(carm_iter_plan *plan) {
  if (plan == NULL) {
    return;
  }
  if (plan->sub_geo != NULL) {
    for (int s = 0; s < plan->n_sub; s++) {
      carm_geometry_destroy(plan->sub_geo[s]);
    }
  }
  free(plan->sub_geo);
  if (plan->inv_col != NULL) {
    for (int s = 0; s < plan->n_sub; s++) {
      free(plan->inv_col[s]);
    }
  }
  free(plan->inv_col);
  carm_geometry_destroy(plan->geo);
  free(plan->inv_row);
  free(plan->sub_data);
  free(plan->vcol);
  free(plan->v1);
  free(plan->v2);
  free(plan->v3);
  free(plan->r);
  free(plan->q);
  free(plan->p);
  free(plan);
}

static float *alloc_floats(carm_iter_plan *plan, int64_t n) {
  float *p = calloc((size_t)n, sizeof(float));
  if (p != NULL) {
    plan->bytes += (size_t)n * sizeof(float);
  }
  return p;
}

int64_t iter_subset_count(const carm_iter_plan *plan, int s) {
  return (plan->geo->n_views - s + plan->n_sub - 1) / plan->n_sub;
}

/* Inverse column sums of subset s (Aₛᵀ·1) into `out`, using sub_data as
 * scratch. */
static carm_status column_weights(carm_iter_plan *plan, int s, float *out, double base,
                                  double span) {
  const int threads = iter_threads(plan);
  int64_t n = iter_subset_count(plan, s) * plan->n_pix;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    plan->sub_data[i] = 1.0f;
  }
  carm_volume pv = iter_proj_view(plan, plan->sub_data, iter_subset_count(plan, s));
  carm_volume vv = iter_vol_view(plan, out);
  carm_project_opts po = iter_project_opts(plan, base, span);
  carm_status st = carm_project_back(&pv, plan->sub_geo[s], &vv, &po);
  if (st != CARM_OK) {
    return st;
  }
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < plan->n_vox; i++) {
    out[i] = out[i] > 1e-6f ? 1.0f / out[i] : 0.0f;
  }
  return CARM_OK;
}

carm_status iter_column_weights(carm_iter_plan *plan, int s, float *out, double base, double span) {
  return column_weights(plan, s, out, base, span);
}

/* SART weights: inverse ray lengths of all views, and the per-subset
 * inverse column sums when they fit the cache. */
static carm_status sart_weights(carm_iter_plan *plan) {
  const int threads = iter_threads(plan);
  /* ray lengths: forward projection of a volume of ones */
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < plan->n_vox; i++) {
    plan->v1[i] = 1.0f;
  }
  carm_volume ones = iter_vol_view(plan, plan->v1);
  int64_t seen = 0;
  const double n_steps = (double)plan->n_sub * (plan->inv_col != NULL ? 2.0 : 1.0);
  for (int s = 0; s < plan->n_sub; s++) {
    int64_t ns = iter_subset_count(plan, s);
    carm_volume pv = iter_proj_view(plan, plan->sub_data, ns);
    carm_project_opts po = iter_project_opts(plan, (double)s / n_steps, 1.0 / n_steps);
    carm_status st = carm_project_forward(&ones, plan->sub_geo[s], &pv, &po);
    if (st != CARM_OK) {
      return st;
    }
    for (int64_t k = 0; k < ns; k++) {
      int64_t view = s + k * plan->n_sub;
      const float *src = plan->sub_data + k * plan->n_pix;
      float *dst = plan->inv_row + view * plan->n_pix;
      for (int64_t i = 0; i < plan->n_pix; i++) {
        /* rays shorter than a hundredth of a voxel carry no information */
        if (src[i] > 1e-2f * (float)plan->vol_grid.spacing[0]) {
          dst[i] = 1.0f / src[i];
          seen++;
        } else {
          dst[i] = 0.0f;
        }
      }
    }
  }
  if (seen == 0) {
    return carm_error(CARM_ERR_GEOMETRY, "iterative: no ray of the geometry meets the volume");
  }
  if (plan->inv_col != NULL) {
    for (int s = 0; s < plan->n_sub; s++) {
      double base = (double)(plan->n_sub + s) / n_steps;
      carm_status st = column_weights(plan, s, plan->inv_col[s], base, 1.0 / n_steps);
      if (st != CARM_OK) {
        return st;
      }
    }
  }
  return CARM_OK;
}

carm_status carm_iter_plan_create(carm_iter_plan **out, const carm_geometry *geo,
                                  const carm_volume *proj_grid, const carm_volume *vol_grid,
                                  const carm_iter_opts *opts) {
  if (out == NULL || geo == NULL || proj_grid == NULL || vol_grid == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_iter_plan_create: NULL argument");
  }
  carm_iter_opts o = CARM_ITER_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  carm_status st = check_opts(&o);
  if (st != CARM_OK) {
    return st;
  }
  if (geo->n_views < 1 || geo->views == NULL) {
    return carm_error(CARM_ERR_GEOMETRY, "iterative: geometry has no views");
  }
  st = carm_volume_check_grid(proj_grid);
  if (st == CARM_OK) {
    st = carm_volume_check_grid(vol_grid);
  }
  if (st != CARM_OK) {
    return st;
  }
  if (proj_grid->dims[2] != geo->n_views) {
    return carm_error(CARM_ERR_INVALID,
                      "iterative: projection stack has %lld views but the geometry %lld",
                      (long long)proj_grid->dims[2], (long long)geo->n_views);
  }
  carm_iter_plan *plan = calloc(1, sizeof *plan);
  if (plan == NULL) {
    return carm_error(CARM_ERR_NOMEM, "iterative: cannot allocate a plan");
  }
  double t0 = iter_now();
  plan->opts = o;
  plan->stage = "weights";
  carm_volume_copy_grid(&plan->proj_grid, proj_grid);
  carm_volume_copy_grid(&plan->vol_grid, vol_grid);
  plan->proj_grid.data = NULL;
  plan->vol_grid.data = NULL;
  plan->n_pix = proj_grid->dims[0] * proj_grid->dims[1];
  plan->n_vox = carm_volume_count(vol_grid);
  const int sart = o.method != CARM_ITER_CGLS;
  plan->n_sub = sart ? (o.subsets > geo->n_views ? (int)geo->n_views : o.subsets) : 1;
  st = carm_geometry_clone(&plan->geo, geo);
  if (st != CARM_OK) {
    goto fail;
  }
  plan->sub_geo = calloc((size_t)plan->n_sub, sizeof *plan->sub_geo);
  if (plan->sub_geo == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "iterative: cannot allocate subsets");
    goto fail;
  }
  for (int s = 0; s < plan->n_sub; s++) {
    int64_t ns = iter_subset_count(plan, s);
    st = carm_geometry_create(&plan->sub_geo[s], ns);
    if (st != CARM_OK) {
      goto fail;
    }
    plan->sub_geo[s]->patient = geo->patient;
    for (int64_t k = 0; k < ns; k++) {
      plan->sub_geo[s]->views[k] = geo->views[s + k * plan->n_sub];
    }
  }
  const int64_t n_proj = plan->n_pix * geo->n_views;
  const int64_t max_sub = iter_subset_count(plan, 0) * plan->n_pix;
  plan->v1 = alloc_floats(plan, plan->n_vox);
  plan->v2 = alloc_floats(plan, plan->n_vox);
  if (plan->v1 == NULL || plan->v2 == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "iterative: cannot allocate volume buffers");
    goto fail;
  }
  if (sart) {
    plan->inv_row = alloc_floats(plan, n_proj);
    plan->sub_data = alloc_floats(plan, max_sub);
    if (o.method == CARM_ITER_TV) {
      plan->v3 = alloc_floats(plan, plan->n_vox);
    }
    if (plan->inv_row == NULL || plan->sub_data == NULL ||
        (o.method == CARM_ITER_TV && plan->v3 == NULL)) {
      st = carm_error(CARM_ERR_NOMEM, "iterative: cannot allocate SART buffers");
      goto fail;
    }
    size_t cache = (size_t)plan->n_sub * (size_t)plan->n_vox * sizeof(float);
    if (cache <= o.weight_cache_bytes) {
      plan->inv_col = calloc((size_t)plan->n_sub, sizeof *plan->inv_col);
      if (plan->inv_col == NULL) {
        st = carm_error(CARM_ERR_NOMEM, "iterative: cannot allocate weights");
        goto fail;
      }
      for (int s = 0; s < plan->n_sub; s++) {
        plan->inv_col[s] = alloc_floats(plan, plan->n_vox);
        if (plan->inv_col[s] == NULL) {
          st = carm_error(CARM_ERR_NOMEM, "iterative: cannot allocate %d column weights",
                          plan->n_sub);
          goto fail;
        }
      }
    } else {
      plan->vcol = alloc_floats(plan, plan->n_vox);
      if (plan->vcol == NULL) {
        st = carm_error(CARM_ERR_NOMEM, "iterative: cannot allocate column weights");
        goto fail;
      }
    }
    st = sart_weights(plan);
    if (st != CARM_OK) {
      goto fail;
    }
  } else {
    plan->r = alloc_floats(plan, n_proj);
    plan->q = alloc_floats(plan, n_proj);
    plan->p = alloc_floats(plan, plan->n_vox);
    if (plan->r == NULL || plan->q == NULL || plan->p == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "iterative: cannot allocate CGLS buffers");
      goto fail;
    }
  }
  plan->info.method = o.method;
  plan->info.subsets = plan->n_sub;
  plan->info.cached_weights = plan->inv_col != NULL;
  plan->info.buffer_bytes = plan->bytes;
  plan->info.plan_seconds = iter_now() - t0;
  *out = plan;
  return CARM_OK;
fail:
  carm_iter_plan_destroy(plan);
  return st;
}

carm_status carm_iter_execute(carm_iter_plan *plan, const carm_volume *proj, carm_volume *vol) {
  if (plan == NULL || proj == NULL || vol == NULL || proj->data == NULL || vol->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_iter_execute: NULL argument or data");
  }
  if (!carm_volume_same_grid(proj, &plan->proj_grid, 1e-6)) {
    return carm_error(CARM_ERR_INVALID,
                      "iterative: the projections' grid differs from the planned one");
  }
  if (!carm_volume_same_grid(vol, &plan->vol_grid, 1e-6)) {
    return carm_error(CARM_ERR_INVALID,
                      "iterative: the volume's grid differs from the planned one");
  }
  plan->info.iterations_run = 0;
  plan->info.residual = NAN;
  plan->stage = carm_iter_method_name(plan->opts.method);
  if (!plan->opts.warm_start) {
    memset(vol->data, 0, (size_t)plan->n_vox * sizeof(float));
  }
  switch (plan->opts.method) {
  case CARM_ITER_SART: return iter_sart_run(plan, proj, vol);
  case CARM_ITER_CGLS: return iter_cgls_run(plan, proj, vol);
  case CARM_ITER_TV: return iter_tv_run(plan, proj, vol);
  }
  return carm_error(CARM_ERR_INTERNAL, "iterative: unknown method");
}

void carm_iter_plan_info(const carm_iter_plan *plan, carm_iter_info *info) {
  if (plan == NULL || info == NULL) {
    return;
  }
  *info = plan->info;
}

carm_status carm_iter_method_parse(const char *name, carm_iter_method *out) {
  if (name == NULL || out == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_iter_method_parse: NULL argument");
  }
  if (strcmp(name, "sart") == 0 || strcmp(name, "os-sart") == 0) {
    *out = CARM_ITER_SART;
  } else if (strcmp(name, "cgls") == 0) {
    *out = CARM_ITER_CGLS;
  } else if (strcmp(name, "tv") == 0 || strcmp(name, "asd-pocs") == 0) {
    *out = CARM_ITER_TV;
  } else {
    return carm_error(CARM_ERR_INVALID, "unknown iterative method '%s' (sart, cgls, tv)", name);
  }
  return CARM_OK;
}

const char *carm_iter_method_name(carm_iter_method method) {
  switch (method) {
  case CARM_ITER_SART: return "sart";
  case CARM_ITER_CGLS: return "cgls";
  case CARM_ITER_TV: return "tv";
  }
  return "unknown";
}
