/* Internals shared by the iterative solvers (src/recon/iter_*.c). */
#ifndef CARM_ITER_INTERNAL_H
#define CARM_ITER_INTERNAL_H

#include "carm/iterative.h"
#include "carm/project.h"

struct carm_iter_plan {
  carm_iter_opts opts;
  carm_geometry *geo;      /* all views */
  int n_sub;               /* ordered subsets */
  carm_geometry **sub_geo; /* views s, s + n_sub, s + 2 n_sub, ... */
  carm_volume proj_grid;   /* grid only */
  carm_volume vol_grid;    /* grid only */
  int64_t n_pix;           /* pixels per view */
  int64_t n_vox;           /* voxels */
  float *inv_row;          /* SART/TV: 1 / (A·1) per ray, 0 for missed rays,
                              all views in their original order */
  float **inv_col;         /* SART/TV: 1 / (Aₛᵀ·1) per subset, or NULL
                              when not cached */
  float *vcol;             /* column weights when not cached */
  float *sub_data;         /* projections of the largest subset */
  float *v1;               /* volume scratch (backprojection, gradient) */
  float *v2;               /* previous iterate */
  float *v3;               /* TV: estimate after the data step */
  float *r;                /* CGLS: residual (all views) */
  float *q;                /* CGLS: A p (all views) */
  float *p;                /* CGLS: search direction */
  size_t bytes;
  /* progress mapping: a projector's fraction f maps to base + f * span */
  double prog_base;
  double prog_span;
  const char *stage;
  carm_iter_info info;
};

/* A projection stack header (no ownership) over `data` for `n` views. */
carm_volume iter_proj_view(const carm_iter_plan *plan, float *data, int64_t n);
/* A volume header (no ownership) over `data`. */
carm_volume iter_vol_view(const carm_iter_plan *plan, float *data);
/* Projector options that forward progress and cancellation to the plan's
 * callback, mapped to [base, base + span). */
carm_project_opts iter_project_opts(carm_iter_plan *plan, double base, double span);

double iter_dot(const float *a, const float *b, int64_t n, int threads);
double iter_norm2(const float *a, int64_t n, int threads);
/* ‖a − b‖² */
double iter_dist2(const float *a, const float *b, int64_t n, int threads);
void iter_clamp_nonneg(float *a, int64_t n, int threads);

/* One OS-SART sweep over all subsets with relaxation `lambda`; adds the
 * squared residual met (before each subset's update) to *res2. `base` and
 * `span` map progress. */
carm_status iter_sart_sweep(carm_iter_plan *plan, const carm_volume *proj, float *x, double lambda,
                            double *res2, double base, double span);
carm_status iter_sart_run(carm_iter_plan *plan, const carm_volume *proj, carm_volume *vol);
carm_status iter_cgls_run(carm_iter_plan *plan, const carm_volume *proj, carm_volume *vol);
carm_status iter_tv_run(carm_iter_plan *plan, const carm_volume *proj, carm_volume *vol);

/* Gradient of the smoothed isotropic TV of x (dims) into g; returns ‖g‖. */
double iter_tv_gradient(const float *x, const int64_t dims[3], double eps, float *g, int threads);

/* Views in subset s (views s, s + n_sub, ...). */
int64_t iter_subset_count(const carm_iter_plan *plan, int s);
/* Inverse column sums 1 / (Aₛᵀ·1) of subset s into `out` (0 where no ray
 * of the subset passes); uses sub_data as scratch. */
carm_status iter_column_weights(carm_iter_plan *plan, int s, float *out, double base, double span);
/* Threads to use. */
int iter_threads(const carm_iter_plan *plan);

/* Wall clock in seconds. */
double iter_now(void);

/* Report progress at `fraction`; CARM_ERR_CANCELLED when asked to stop. */
carm_status iter_report(carm_iter_plan *plan, double fraction);

/* Fill stats and call the iteration callback; returns 1 when execution
 * should stop (callback or tolerances). */
int iter_after(carm_iter_plan *plan, carm_iter_stats *st, const carm_volume *x);

#endif
