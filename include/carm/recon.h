/**
 * @file recon.h
 * @brief FDK cone-beam reconstruction, FFTW style: plan once (validate the
 * geometry, compute the weights, the filter spectrum, the FFT plans and the
 * buffers), execute many times on new projections.
 *
 * Conventions: geometry per GEOMETRY.md; a projection stack is a carm_volume
 * with x = detector u, y = detector v, z = view, pixel (i, j) at detector
 * u = origin[0] + i·spacing[0], v = origin[1] + j·spacing[1] (mm). Values are
 * line integrals of the attenuation (mm⁻¹ · mm), or raw intensities when
 * `i0` is set. The output is attenuation in mm⁻¹, or HU with `hu`.
 *
 * Thread safety: execute on distinct plans is thread-safe (each uses OpenMP
 * inside); create and destroy are not (FFTW's planner is global).
 */
#ifndef CARM_RECON_H
#define CARM_RECON_H

#include "carm/geometry.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Apodisation window multiplied onto the ramp filter. */
typedef enum carm_filter_window {
  CARM_FILTER_RAM_LAK = 0,     /**< plain ramp */
  CARM_FILTER_SHEPP_LOGAN = 1, /**< ramp · sinc */
  CARM_FILTER_COSINE = 2,      /**< ramp · cos */
  CARM_FILTER_HAMMING = 3,     /**< ramp · (0.54 + 0.46 cos) */
  CARM_FILTER_HANN = 4         /**< ramp · (0.5 + 0.5 cos) */
} carm_filter_window;

/** Three-way switch for short-scan (Parker) and displaced-detector (Wang)
 * weighting. */
typedef enum carm_switch {
  CARM_AUTO = 0, /**< decided from the geometry */
  CARM_ON = 1,
  CARM_OFF = 2
} carm_switch;

/** FDK options; start with CARM_FDK_INIT. */
typedef struct carm_fdk_opts {
  int version;               /**< must be 1 */
  carm_filter_window window; /**< default Ram-Lak */
  double cutoff;             /**< window cut-off as a fraction of Nyquist,
                                  (0, 1], default 1 */
  carm_switch short_scan;    /**< Parker weights; AUTO: when the angular
                                  coverage shows a gap (geometry.h rule) */
  carm_switch displaced;     /**< Wang weights on full scans; AUTO: when one
                                  side of the detector reaches less than half
                                  as far from the central ray as the other */
  int zero_pad;              /**< 1 (default): zero-pad rows to twice their
                                  length before the FFT (no wrap-around, no
                                  DC bias); 0: shortest FFT (for comparison) */
  double extrapolate;        /**< lateral truncation extrapolation: room
                                  for the extension on each side as a
                                  fraction of the detector width; each row
                                  is continued by the water cylinder that
                                  matches its edge value and slope (cut at
                                  this width); 0 off; default 0.5 */
  double i0;                 /**< > 0: the input holds raw intensities and is
                                  converted to line integrals log(i0 / I);
                                  0 (default): input is already line integrals */
  int hu;                    /**< 1: output Hounsfield units */
  double water_mu_per_mm;    /**< water attenuation for HU (default
                                  CARM_MU_WATER_PER_MM) */
  int threads;               /**< 0: OpenMP default */
  int batch_views;           /**< views filtered and backprojected per pass
                                  over the volume; 0: default (8, measured
                                  fastest here: fewer views keep each
                                  tile's detector patches in cache) */
  carm_progress progress;    /**< per batch, may cancel */
} carm_fdk_opts;

#define CARM_FDK_INIT                                                                              \
  {                                                                                                \
    1, CARM_FILTER_RAM_LAK, 1.0, CARM_AUTO, CARM_AUTO, 1, 0.5, 0.0, 0, CARM_MU_WATER_PER_MM, 0, 0, \
    {                                                                                              \
      NULL, NULL                                                                                   \
    }                                                                                              \
  }

/** What a plan decided from the geometry (for logs and tests). */
typedef struct carm_fdk_info {
  int short_scan;       /**< Parker weights in use */
  int displaced;        /**< Wang weights in use */
  double coverage_rad;  /**< angular coverage (geometry.h) */
  double arc_rad;       /**< first to last view about the arc (short scan) */
  double fan_angle_rad; /**< full fan angle of the detector */
  int64_t fft_length;   /**< padded row length */
  int64_t batch_views;  /**< views per pass */
  size_t buffer_bytes;  /**< memory the plan holds for filtered views */
} carm_fdk_info;

typedef struct carm_fdk_plan carm_fdk_plan;

/**
 * Plan an FDK reconstruction.
 * @param out       receives the plan (caller destroys), written on success only
 * @param geo       the views (copied; cone beam only: SDD > 0)
 * @param proj_grid grid of the projection stacks execute will get (dims,
 *                  spacing, origin; dims[2] == geo->n_views; data ignored)
 * @param vol_grid  grid of the output volume (dims, spacing, origin,
 *                  direction; data ignored)
 * @param opts      options, or NULL for the defaults
 * Fails with CARM_ERR_GEOMETRY when the views cannot be reconstructed, in
 * particular a short scan whose arc is shorter than 180° plus the fan angle
 * (the message gives both), CARM_ERR_INVALID / CARM_ERR_RANGE on bad grids
 * or options.
 */
carm_status carm_fdk_plan_create(carm_fdk_plan **out, const carm_geometry *geo,
                                 const carm_volume *proj_grid, const carm_volume *vol_grid,
                                 const carm_fdk_opts *opts);

/** Reconstruct `proj` (its grid equal to the planned one) into `vol` (its
 * grid equal to the planned one; data overwritten). `proj` is not modified.
 * Allocates nothing. Fails with CARM_ERR_CANCELLED when the progress callback
 * asks to stop (vol then holds a partial sum). */
carm_status carm_fdk_execute(carm_fdk_plan *plan, const carm_volume *proj, carm_volume *vol);

/** What the plan decided. */
void carm_fdk_plan_info(const carm_fdk_plan *plan, carm_fdk_info *info);

/** Seconds spent in the last execute: filtering and backprojection. */
void carm_fdk_plan_timing(const carm_fdk_plan *plan, double *filter_s, double *backproject_s);

/** Processor seconds (all threads, from the process CPU clock) spent in the
 * last execute: filtering and backprojection. On a shared machine the ratio
 * to the wall time shows how much of the processors the run really had. */
void carm_fdk_plan_cpu_timing(const carm_fdk_plan *plan, double *filter_cpu_s,
                              double *backproject_cpu_s);

/** Free a plan. NULL-safe. */
void carm_fdk_plan_destroy(carm_fdk_plan *plan);

/** Parse a window name ("ram-lak", "shepp-logan", "cosine", "hamming",
 * "hann"); CARM_ERR_INVALID when unknown. */
carm_status carm_filter_window_parse(const char *name, carm_filter_window *out);

/** Name of a window. */
const char *carm_filter_window_name(carm_filter_window window);

#ifdef __cplusplus
}
#endif
#endif
