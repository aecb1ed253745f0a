/**
 * @file iterative.h
 * @brief Iterative reconstruction on the matched Joseph projector pair of
 * project.h, FFTW style: plan once (validate, split the views into ordered
 * subsets, compute the SART row and column weights), execute many times.
 *
 * Methods (docs/iterative.md):
 * - SART / OS-SART: x ← x + λ · C_s Aₛᵀ R_s (bₛ − Aₛ x) for each ordered
 *   subset s (interleaved views), R = 1 / (A·1) (ray lengths), C_s = 1 /
 *   (Aₛᵀ·1); subsets = 1 is SIRT, subsets = n_views the classical SART.
 * - CGLS: conjugate gradients on the normal equations AᵀA x = Aᵀb; the
 *   residual ‖b − Ax‖ decreases monotonically.
 * - TV: ASD-POCS (Sidky & Pan 2008; TIGRE's ASD_POCS): an OS-SART sweep
 *   with non-negativity, then `tv_steps` normalised steepest-descent steps
 *   on the total variation, each of length α·dp (dp: the size of this
 *   iteration's data step), α reduced when the TV steps outweigh the data.
 *
 * Units: projections are line integrals (volume unit × mm), as
 * carm_project_forward makes them; the volume receives the value unit
 * (e.g. mm⁻¹).
 *
 * Thread safety: execute on distinct plans is thread-safe (each uses OpenMP
 * inside through the projector); one plan must not be executed from two
 * threads at once.
 */
#ifndef CARM_ITERATIVE_H
#define CARM_ITERATIVE_H

#include "carm/geometry.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Iterative method. Append only. */
typedef enum carm_iter_method {
  CARM_ITER_SART = 0, /**< SART / OS-SART (subsets) */
  CARM_ITER_CGLS = 1, /**< conjugate gradients for least squares */
  CARM_ITER_TV = 2    /**< ASD-POCS: OS-SART + total-variation descent */
} carm_iter_method;

/** What one iteration did (passed to the iteration callback). */
typedef struct carm_iter_stats {
  int iteration;   /**< 1-based */
  double residual; /**< relative data residual ‖b − Ax‖ / ‖b‖: CGLS after the
                        iteration; SART/TV the root-sum of the subsets'
                        residuals met during the sweep (before each
                        subset's update) */
  double update;   /**< relative update ‖x_k − x_{k−1}‖ / ‖x_k‖ */
  double tv;       /**< total variation of x (TV method; 0 otherwise) */
  double seconds;  /**< wall time of the iteration */
} carm_iter_stats;

/** Called after each iteration with its statistics and the current
 * estimate (borrowed, read only). Return non-zero to stop early; execute
 * then succeeds with the current estimate. */
typedef int (*carm_iter_fn)(void *user, const carm_iter_stats *stats, const carm_volume *x);

/** Options; start with CARM_ITER_INIT. */
typedef struct carm_iter_opts {
  int version;             /**< must be 1 */
  carm_iter_method method; /**< default SART */
  int iterations;          /**< maximum number of iterations (default 10) */
  int subsets;             /**< SART/TV ordered subsets, 1..n_views
                                (clamped to n_views; default 8) */
  double relaxation;       /**< SART/TV λ in (0, 2) (default 1) */
  double tol_residual;     /**< stop when the relative residual falls below
                                (0: never) */
  double tol_update;       /**< stop when the relative update falls below
                                (0: never) */
  int nonneg;              /**< 1 (default): clamp to >= 0 after every
                                subset (SART/TV) or at the end (CGLS) */
  int warm_start;          /**< 0 (default): start from zero; 1: start from
                                the volume given to execute */
  /* TV (ASD-POCS) */
  double tv_alpha;           /**< TV step relative to the data step (default 0.2) */
  int tv_steps;              /**< TV descent steps per iteration (default 20) */
  double tv_alpha_red;       /**< step reduction when TV outweighs the data
                                  (default 0.95) */
  double tv_rmax;            /**< largest TV/data step ratio (default 0.95) */
  double relax_red;          /**< λ multiplied by this after each iteration
                                  (default 0.99) */
  size_t weight_cache_bytes; /**< memory allowed for the per-subset column
                                  weights; beyond it they are recomputed
                                  each sweep (one extra backprojection per
                                  subset); default 1 GiB */
  int threads;               /**< 0: OpenMP default */
  carm_progress progress;    /**< per iteration (fraction of the maximum),
                                  may cancel */
  carm_iter_fn on_iteration; /**< may be NULL */
  void *user;                /**< passed to on_iteration */
} carm_iter_opts;

#define CARM_ITER_INIT                                                                             \
  {                                                                                                \
    1, CARM_ITER_SART, 10, 8, 1.0, 0.0, 0.0, 1, 0, 0.03, 20, 0.95, 0.95, 0.99, (size_t)1 << 30, 0, \
        {NULL, NULL}, NULL, NULL                                                                   \
  }

/** What a plan decided and holds (for logs and tests). */
typedef struct carm_iter_info {
  carm_iter_method method;
  int subsets;         /**< ordered subsets in use */
  int cached_weights;  /**< per-subset column weights held in memory */
  size_t buffer_bytes; /**< memory the plan holds */
  int iterations_run;  /**< by the last execute */
  double residual;     /**< last relative residual */
  double plan_seconds; /**< time spent planning (weights) */
} carm_iter_info;

typedef struct carm_iter_plan carm_iter_plan;

/**
 * Plan an iterative reconstruction.
 * @param out       receives the plan (caller destroys), written on success only
 * @param geo       the views (copied)
 * @param proj_grid grid of the projection stacks execute will get (dims,
 *                  spacing, origin; dims[2] == geo->n_views; data ignored)
 * @param vol_grid  grid of the output volume (data ignored)
 * @param opts      options, or NULL for the defaults
 * Computes the SART weights (one forward and one backprojection of ones
 * per subset) for SART and TV. Fails with CARM_ERR_INVALID / CARM_ERR_RANGE
 * on bad grids or options, CARM_ERR_GEOMETRY when no ray meets the volume,
 * CARM_ERR_CANCELLED when the progress callback asks to stop.
 */
carm_status carm_iter_plan_create(carm_iter_plan **out, const carm_geometry *geo,
                                  const carm_volume *proj_grid, const carm_volume *vol_grid,
                                  const carm_iter_opts *opts);

/**
 * Reconstruct `proj` (its grid equal to the planned one; not modified) into
 * `vol` (its grid equal to the planned one; overwritten, or read first as
 * the initial estimate with warm_start). Runs until the maximum number of
 * iterations, a tolerance or the iteration callback stops it. Fails with
 * CARM_ERR_CANCELLED when the progress callback asks to stop (it is asked
 * within iterations too; vol then holds a partial estimate).
 */
carm_status carm_iter_execute(carm_iter_plan *plan, const carm_volume *proj, carm_volume *vol);

/** What the plan decided and what the last execute did. */
void carm_iter_plan_info(const carm_iter_plan *plan, carm_iter_info *info);

/** Free a plan. NULL-safe. */
void carm_iter_plan_destroy(carm_iter_plan *plan);

/** Parse a method name ("sart", "os-sart", "cgls", "tv", "asd-pocs");
 * CARM_ERR_INVALID when unknown. */
carm_status carm_iter_method_parse(const char *name, carm_iter_method *out);

/** Name of a method ("sart", "cgls", "tv"). */
const char *carm_iter_method_name(carm_iter_method method);

/** Total variation of a volume: Σ sqrt(dx² + dy² + dz²) over voxels,
 * forward differences in voxel units (the last plane repeats). */
double carm_volume_total_variation(const carm_volume *vol);

#ifdef __cplusplus
}
#endif
#endif
