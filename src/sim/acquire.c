/* The C-arm acquisition model: the twin's scene projected once along the
 * sweep's angles, split by linearity into a static part and one part per
 * bolus curve; each sweep recombines them with the contrast at each view's
 * own time, then draws Poisson counts (docs/twin.md). */
#include "carm/project.h"
#include "carm/twin.h"
#include "sim/twin_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct carm_acquire_plan {
  carm_acquire_opts opts;
  carm_contrast_protocol prot;
  carm_geometry *geo; /* the angles, first to last */
  carm_volume *stat;  /* static line integrals (native attenuation) */
  int n_curves;
  /* per curve, on the box of everything that enhances: the attenuation per
   * HU of E_k, μ_w/1000 · Σ_c weight[c][k] · share_c */
  carm_volume *enh[CARM_CONTRAST_MAX_CURVES];
};

/* ---- Poisson ------------------------------------------------------------ */

/* log(k!) : a table below 10, Stirling's series above (error < 1e-12). */
static double log_factorial(double k) {
  static const double table[10] = {0.0,
                                   0.0,
                                   0.69314718055994531,
                                   1.79175946922805500,
                                   3.17805383034794562,
                                   4.78749174278204599,
                                   6.57925121201010100,
                                   8.52516136106541430,
                                   10.60460290274525023,
                                   12.80182748008146961};
  if (k < 10.0) {
    return table[(int)k];
  }
  double x = k + 1.0, x2 = x * x;
  return (x - 0.5) * log(x) - x + 0.91893853320467274 +
         (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * x2)) / x2) / x;
}

double carm_rng_poisson(carm_rng *rng, double lambda) {
  if (!(lambda > 0.0)) {
    return 0.0;
  }
  if (lambda < 10.0) {
    /* inversion */
    double p = exp(-lambda), cdf = p, u = carm_rng_uniform(rng);
    double k = 0.0;
    while (u > cdf && k < 1000.0) {
      k += 1.0;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  }
  /* PTRS, W. Hörmann, Insurance: Mathematics and Economics 12 (1993) 39-45 */
  double slam = sqrt(lambda), loglam = log(lambda);
  double b = 0.931 + 2.53 * slam;
  double a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    double u = carm_rng_uniform(rng) - 0.5;
    double v = carm_rng_uniform(rng);
    double us = 0.5 - fabs(u);
    double k = floor((2.0 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) {
      return k;
    }
    if (k < 0.0 || (us < 0.013 && v > us)) {
      continue;
    }
    if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
        -lambda + k * loglam - log_factorial(k)) {
      return k;
    }
  }
}

carm_status carm_acquire_noise(carm_volume *proj, double i0, uint64_t seed) {
  if (proj == NULL || proj->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "acquire noise: NULL projections");
  }
  if (!(i0 > 0.0) || !isfinite(i0) || i0 > 1e12) {
    return carm_error(CARM_ERR_INVALID, "acquire noise: I0 %g not in (0, 1e12]", i0);
  }
  const int64_t n_views = proj->dims[2], per = proj->dims[0] * proj->dims[1];
  const double log_i0 = log(i0);
#pragma omp parallel for schedule(static)
  for (int64_t z = 0; z < n_views; z++) {
    carm_rng rng;
    carm_rng_seed(&rng, seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(z + 1)));
    float *p = proj->data + z * per;
    for (int64_t i = 0; i < per; i++) {
      double lam = i0 * exp(-(double)p[i]);
      double n = carm_rng_poisson(&rng, lam);
      p[i] = (float)(log_i0 - log(n < 1.0 ? 1.0 : n));
    }
  }
  return CARM_OK;
}

/* ---- the plan -------------------------------------------------------------- */

typedef struct stage_progress {
  const carm_progress *outer;
  double offset, scale;
  const char *stage;
} stage_progress;

static int stage_cb(void *user, double fraction, const char *stage) {
  const stage_progress *s = user;
  (void)stage;
  return carm_progress_report(s->outer, s->offset + s->scale * fraction, s->stage);
}

static carm_status check_acquire_opts(const carm_acquire_opts *o) {
  if (o == NULL || o->version != 1) {
    return carm_error(CARM_ERR_INVALID, "acquire: options NULL or version != 1");
  }
  if (o->n_views < 2 || o->n_views > 100000) {
    return carm_error(CARM_ERR_INVALID, "acquire: %lld views (2..100000)", (long long)o->n_views);
  }
  if (!(o->arc_deg > 0.0 && o->arc_deg <= 360.0) || !isfinite(o->first_angle_deg)) {
    return carm_error(CARM_ERR_INVALID, "acquire: arc %g deg not in (0, 360]", o->arc_deg);
  }
  if (!(o->duration_s >= 0.0 && o->duration_s <= 3600.0)) {
    return carm_error(CARM_ERR_INVALID, "acquire: duration %g s not in [0, 3600]", o->duration_s);
  }
  if (!(o->sid_mm > 0.0) || !(o->sdd_mm > o->sid_mm) || o->sdd_mm > 1e5) {
    return carm_error(CARM_ERR_INVALID, "acquire: need 0 < SID (%g) < SDD (%g)", o->sid_mm,
                      o->sdd_mm);
  }
  if (o->nu < 1 || o->nv < 1 || o->nu > 8192 || o->nv > 8192) {
    return carm_error(CARM_ERR_INVALID, "acquire: detector %lld x %lld not in 1..8192",
                      (long long)o->nu, (long long)o->nv);
  }
  if (!(o->pixel_mm > 0.0 && o->pixel_mm <= 10.0)) {
    return carm_error(CARM_ERR_INVALID, "acquire: pixel %g mm not in (0, 10]", o->pixel_mm);
  }
  if (!(o->voxel_mm >= 0.25 && o->voxel_mm <= 10.0)) {
    return carm_error(CARM_ERR_INVALID, "acquire: voxel %g mm not in [0.25, 10]", o->voxel_mm);
  }
  if (o->supersample < 0 || o->supersample > 8) {
    return carm_error(CARM_ERR_INVALID, "acquire: supersample %d not in 0..8", o->supersample);
  }
  return CARM_OK;
}

void carm_acquire_plan_destroy(carm_acquire_plan *plan) {
  if (plan == NULL) {
    return;
  }
  carm_geometry_destroy(plan->geo);
  carm_volume_destroy(plan->stat);
  for (int k = 0; k < CARM_CONTRAST_MAX_CURVES; k++) {
    carm_volume_destroy(plan->enh[k]);
  }
  free(plan);
}

/* The box (LPS) of everything that enhances, cut to the scene grid. */
static carm_status enhancing_grid(const carm_twin *twin, const carm_volume *scene,
                                  carm_volume **out) {
  const carm_twin_private *pv = twin->priv;
  const carm_contrast_protocol *p = &twin->protocol;
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int i = 0; i < pv->n_prims; i++) {
    const twin_prim *pr = &pv->prims[i];
    int comp = pv->layer_compartment[pr->layer], any = 0;
    for (int k = 0; k < p->n_curves; k++) {
      any |= p->weight[comp][k] != 0.0;
    }
    if (!any) {
      continue;
    }
    for (int k = 0; k < 3; k++) {
      lo[k] = fmin(lo[k], pr->lo[k]);
      hi[k] = fmax(hi[k], pr->hi[k]);
    }
  }
  int64_t dims[3];
  double origin[3];
  for (int k = 0; k < 3; k++) {
    double s = scene->spacing[k];
    double smin = scene->origin[k], smax = scene->origin[k] + (double)(scene->dims[k] - 1) * s;
    double a = fmax(lo[k], smin), b = fmin(hi[k], smax);
    if (!(a <= b)) {
      a = smin;
      b = smin;
    }
    /* align to the scene's lattice */
    int64_t i0 = (int64_t)floor((a - smin) / s), i1 = (int64_t)ceil((b - smin) / s);
    if (i1 > scene->dims[k] - 1) {
      i1 = scene->dims[k] - 1;
    }
    dims[k] = i1 - i0 + 1;
    origin[k] = smin + (double)i0 * s;
  }
  carm_volume *v = NULL;
  carm_status st = carm_volume_create(&v, dims);
  if (st != CARM_OK) {
    return st;
  }
  for (int k = 0; k < 3; k++) {
    v->spacing[k] = scene->spacing[k];
    v->origin[k] = origin[k];
  }
  *out = v;
  return CARM_OK;
}

carm_status carm_acquire_plan_create(carm_acquire_plan **out, const carm_twin *twin,
                                     const carm_acquire_opts *opts) {
  if (out == NULL || twin == NULL) {
    return carm_error(CARM_ERR_INVALID, "acquire: NULL argument");
  }
  carm_status st = check_acquire_opts(opts);
  if (st != CARM_OK) {
    return st;
  }
  carm_acquire_plan *plan = calloc(1, sizeof *plan);
  if (plan == NULL) {
    return carm_error(CARM_ERR_NOMEM, "acquire: out of memory");
  }
  plan->opts = *opts;
  plan->prot = twin->protocol;
  plan->n_curves = twin->protocol.n_curves;
  carm_volume *scene = NULL;
  carm_trajectory_opts to = CARM_TRAJECTORY_INIT;
  to.sid_mm = opts->sid_mm;
  to.sdd_mm = opts->sdd_mm;
  to.first_angle_deg = opts->first_angle_deg;
  to.arc_deg = opts->arc_deg;
  to.n_views = opts->n_views;
  to.patient = CARM_PATIENT_HFS;
  st = carm_geometry_short_scan(&plan->geo, &to);
  if (st != CARM_OK) {
    goto fail;
  }
  const int ss = opts->supersample == 0 ? 2 : opts->supersample;
  const double mu_w = twin->protocol.mu_water_per_mm;
  const int nc = plan->n_curves;
  /* progress: painting the static scene, projecting it, painting the
   * enhancing parts */
  if (carm_progress_report(&opts->progress, 0.0, "painting the scene")) {
    st = carm_error(CARM_ERR_CANCELLED, "acquire: cancelled");
    goto fail;
  }
  st = carm_twin_scene_grid(twin, opts->voxel_mm, &scene);
  if (st != CARM_OK) {
    goto fail;
  }
  double values[CARM_CONTRAST_MAX_CURVES][CARM_TWIN_C_COUNT];
  for (int c = 0; c < CARM_TWIN_C_COUNT; c++) {
    double mu = mu_w * (1.0 + twin->protocol.base_hu[c] / 1000.0);
    values[0][c] = mu > 0.0 ? mu : 0.0;
  }
  st = twin_paint_multi(twin, 1, (const double(*)[CARM_TWIN_C_COUNT])values, ss, &scene, NULL);
  if (st != CARM_OK) {
    goto fail;
  }
  st = carm_projections_create(&plan->stat, opts->nu, opts->nv, opts->n_views, opts->pixel_mm,
                               opts->pixel_mm);
  if (st != CARM_OK) {
    goto fail;
  }
  stage_progress sp = {&opts->progress, 0.25, 0.6, "projecting the static scene"};
  carm_project_opts po = CARM_PROJECT_INIT;
  po.progress.fn = opts->progress.fn != NULL ? stage_cb : NULL;
  po.progress.user = &sp;
  st = carm_project_forward(scene, plan->geo, plan->stat, &po);
  if (st != CARM_OK) {
    goto fail;
  }
  if (carm_progress_report(&opts->progress, 0.85, "painting the contrast")) {
    st = carm_error(CARM_ERR_CANCELLED, "acquire: cancelled");
    goto fail;
  }
  carm_volume *grid = NULL;
  st = enhancing_grid(twin, scene, &grid);
  carm_volume_destroy(scene);
  scene = NULL;
  if (st != CARM_OK) {
    goto fail;
  }
  plan->enh[0] = grid;
  for (int k = 1; k < nc && st == CARM_OK; k++) {
    st = carm_volume_create_like(&plan->enh[k], grid);
  }
  if (st != CARM_OK) {
    goto fail;
  }
  for (int k = 0; k < nc; k++) {
    for (int c = 0; c < CARM_TWIN_C_COUNT; c++) {
      values[k][c] = mu_w / 1000.0 * twin->protocol.weight[c][k];
    }
  }
  st = twin_paint_multi(twin, nc, (const double(*)[CARM_TWIN_C_COUNT])values, ss, plan->enh, NULL);
  if (st != CARM_OK) {
    goto fail;
  }
  carm_progress_report(&opts->progress, 1.0, "planned");
  *out = plan;
  return CARM_OK;
fail:
  carm_volume_destroy(scene);
  carm_acquire_plan_destroy(plan);
  return st;
}

carm_status carm_acquire_sweep(const carm_acquire_plan *plan, const carm_sweep_opts *sweep,
                               carm_volume **proj_out, carm_geometry **geo_out) {
  if (plan == NULL || sweep == NULL || proj_out == NULL || geo_out == NULL) {
    return carm_error(CARM_ERR_INVALID, "acquire sweep: NULL argument");
  }
  if (sweep->version != 1 || !isfinite(sweep->start_s) || !isfinite(sweep->contrast) ||
      fabs(sweep->contrast) > 100.0) {
    return carm_error(CARM_ERR_INVALID, "acquire sweep: bad options (version, start, contrast)");
  }
  if (!(sweep->i0 >= 0.0) || !isfinite(sweep->i0) || sweep->i0 > 1e12) {
    return carm_error(CARM_ERR_INVALID, "acquire sweep: I0 %g not in [0, 1e12]", sweep->i0);
  }
  const carm_acquire_opts *o = &plan->opts;
  if (sweep->truncate_nu < 0 || sweep->truncate_nu > o->nu) {
    return carm_error(CARM_ERR_INVALID, "acquire sweep: truncate_nu %lld not in 0..%lld",
                      (long long)sweep->truncate_nu, (long long)o->nu);
  }
  const int64_t n = o->n_views;
  const int64_t nu = sweep->truncate_nu > 0 ? sweep->truncate_nu : o->nu, nv = o->nv;
  const int64_t off = (o->nu - nu) / 2;
  carm_geometry *geo = NULL;
  carm_volume *proj = NULL;
  carm_status st = carm_geometry_create(&geo, n);
  if (st == CARM_OK) {
    st = carm_projections_create(&proj, nu, nv, n, o->pixel_mm, o->pixel_mm);
  }
  if (st != CARM_OK) {
    carm_geometry_destroy(geo);
    return st;
  }
  geo->patient = plan->geo->patient;
  proj->origin[0] = plan->stat->origin[0] + (double)off * o->pixel_mm;
  double *times = malloc((size_t)n * sizeof *times);
  if (times == NULL) {
    carm_geometry_destroy(geo);
    carm_volume_destroy(proj);
    return carm_error(CARM_ERR_NOMEM, "acquire sweep: out of memory");
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t j = sweep->reverse ? n - 1 - i : i;
    geo->views[i] = plan->geo->views[j];
    times[i] = sweep->start_s + o->duration_s * (double)i / (double)(n - 1);
    geo->views[i].time_s = times[i];
  }
  const int nc = plan->n_curves;
  const int64_t nu_full = o->nu;
  /* static part */
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    int64_t j = sweep->reverse ? n - 1 - i : i;
    for (int64_t y = 0; y < nv; y++) {
      memcpy(proj->data + (i * nv + y) * nu, plan->stat->data + (j * nv + y) * nu_full + off,
             (size_t)nu * sizeof(float));
    }
  }
  /* the contrast: each view projects the enhancement at its own time */
  carm_volume *dyn = NULL, *one = NULL;
  carm_geometry *g1 = NULL;
  st = carm_volume_create_like(&dyn, plan->enh[0]);
  if (st == CARM_OK) {
    st = carm_projections_create(&one, nu_full, nv, 1, o->pixel_mm, o->pixel_mm);
  }
  if (st == CARM_OK) {
    st = carm_geometry_create(&g1, 1);
  }
  const int64_t nvox = carm_volume_count(plan->enh[0]);
  for (int64_t i = 0; i < n && st == CARM_OK; i++) {
    int64_t j = sweep->reverse ? n - 1 - i : i;
    float e[CARM_CONTRAST_MAX_CURVES];
    int any = 0;
    for (int k = 0; k < nc; k++) {
      e[k] = (float)(sweep->contrast * carm_contrast_curve_hu(&plan->prot.curves[k], times[i]));
      any |= e[k] != 0.0f;
    }
    if (any) {
#pragma omp parallel for schedule(static)
      for (int64_t v = 0; v < nvox; v++) {
        float d = 0.0f;
        for (int k = 0; k < nc; k++) {
          d += e[k] * plan->enh[k]->data[v];
        }
        dyn->data[v] = d;
      }
      g1->views[0] = plan->geo->views[j];
      g1->patient = plan->geo->patient;
      st = carm_project_forward(dyn, g1, one, NULL);
      if (st != CARM_OK) {
        break;
      }
#pragma omp parallel for schedule(static)
      for (int64_t y = 0; y < nv; y++) {
        float *dst = proj->data + (i * nv + y) * nu;
        const float *src = one->data + y * nu_full + off;
        for (int64_t x = 0; x < nu; x++) {
          dst[x] += src[x];
        }
      }
    }
    if (carm_progress_report(&sweep->progress, (double)(i + 1) / (double)n, "sweep")) {
      st = carm_error(CARM_ERR_CANCELLED, "acquire sweep: cancelled at view %lld", (long long)i);
    }
  }
  carm_volume_destroy(dyn);
  carm_volume_destroy(one);
  carm_geometry_destroy(g1);
  if (st != CARM_OK) {
    free(times);
    carm_geometry_destroy(geo);
    carm_volume_destroy(proj);
    return st;
  }
  free(times);
  if (sweep->i0 > 0.0) {
    st = carm_acquire_noise(proj, sweep->i0, sweep->seed);
    if (st != CARM_OK) {
      carm_geometry_destroy(geo);
      carm_volume_destroy(proj);
      return st;
    }
  }
  *proj_out = proj;
  *geo_out = geo;
  return CARM_OK;
}
