/**
 * @file vessels.h
 * @brief The vessel pipeline: from a contrast volume (arterial phase or
 * 3D-DSA) to a binary vessel mask and its centreline tree, in one call
 * built from the filters of seg.h.
 *
 * Thread safety: distinct calls are independent.
 */
#ifndef CARM_VESSELS_H
#define CARM_VESSELS_H

#include "carm/seg.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options; start with CARM_VESSELS_INIT. */
typedef struct carm_vessels_opts {
  int version;            /**< must be 1 */
  double threshold;       /**< intensity threshold; NaN = automatic (Otsu) */
  double seed_vesselness; /**< vesselness a seed voxel needs (0..1), default 0.15 */
  double min_radius_mm;   /**< smallest vessel scale looked for, default 0.7 */
  double max_radius_mm;   /**< largest, default 6 */
  int has_root;           /**< 1: keep the component nearest root_mm, root the tree there */
  double root_mm[3];      /**< catheter tip or inflow (patient LPS mm) */
  int64_t keep;           /**< without a root: keep this many largest components (1) */
  double min_spur_mm;     /**< prune terminal spurs shorter than this, default 2 */
  int global_threshold;   /**< 1: one threshold only (no local half-maximum refinement) */
  carm_progress progress;
} carm_vessels_opts;

#define CARM_VESSELS_INIT                                                                          \
  {                                                                                                \
    1, NAN, 0.15, 0.7, 6.0, 0, {0, 0, 0}, 1, 2.0, 0, { NULL, NULL }                                \
  }

/** What the pipeline decided, for reports. */
typedef struct carm_vessels_info {
  double threshold; /**< the intensity threshold used */
  int dsa_like;     /**< 1: the volume looked vessel-only (mostly near 0) */
  int64_t mask_voxels;
  double mask_ml;
} carm_vessels_info;

/**
 * Vessel mask and centreline tree from a contrast volume (everything on
 * the volume smoothed with σ = 0.6 mm):
 *  1. intensity threshold T: given, or automatic. A vessel-only volume
 *     (3D-DSA: the median within the noise of 0) seeds above median +
 *     max(4 σ_noise, 5 % of the bright tail). Otherwise Otsu on the volume
 *     (air vs body), then Otsu above it, again while more than half of the
 *     body lies above the split (it separated fat from muscle and organs,
 *     not contrast and bone from tissue). Automatic T is then lowered to
 *     the half-maximum between the background level and the median of the
 *     tubular seeds;
 *  2. multi-scale vesselness (Frangi) at sigmas from min/√2 to max/√2 mm;
 *  3. mask = voxels >= T connected (26) to a seed voxel >= T whose
 *     vesselness is >= seed_vesselness (bright blobs and plates without a
 *     tube in them are dropped);
 *  4. the component nearest the root (or the largest components);
 *  5. unless global_threshold: local half-maximum. For the voxels within
 *     1 mm of the mask, background B = Gaussian-weighted mean (σ 3 mm) of
 *     the voxels more than 2 mm outside it, peak P = the largest mask value
 *     within 2 mm; vessel where v >= (B + P) / 2 and v >= B + 2.5 σ_noise,
 *     connected to the mask voxels that pass; parts of the mask thicker
 *     than max_radius_mm (an opening) keep step 3's decision. Then step 4
 *     again (if the root loses its vessel, step 4's mask is kept);
 *  6. carm_seg_tree_build rooted at the root or the widest end, then
 *     carm_seg_tree_refine_bifurcations.
 * `mask_out` receives a 0/1 volume on the input grid, `tree_out` the tree;
 * `info` may be NULL.
 */
carm_status carm_vessels_extract(carm_volume **mask_out, carm_seg_tree **tree_out,
                                 carm_vessels_info *info, const carm_volume *vol,
                                 const carm_vessels_opts *opts);

/* ---- accuracy against a known tree -------------------------------------- */

/** Options of carm_vessels_evaluate; start with CARM_VESSELS_EVAL_INIT. */
typedef struct carm_vessels_eval_opts {
  int version;          /**< must be 1 */
  double min_radius_mm; /**< the truth branches evaluated: mean radius >= this (1 mm) */
  double margin_mm;     /**< neighbourhood beyond their wall for the restricted Dice (2 mm) */
  double bif_tol_mm;    /**< a bifurcation is found within max(this, parent radius) (2 mm) */
} carm_vessels_eval_opts;

#define CARM_VESSELS_EVAL_INIT                                                                     \
  { 1, 1.0, 2.0, 2.0 }

/** Accuracy of a vessel mask and tree against a truth tree; NaN where a
 * measure has nothing to measure (no mask, no tree, no matched point). */
typedef struct carm_vessels_eval {
  /* masks: truth voxels are those whose centre lies inside a truth capsule */
  int64_t truth_voxels;           /**< inside any truth vessel */
  int64_t truth_big_voxels;       /**< inside a branch of radius >= min_radius_mm */
  int64_t domain_voxels;          /**< the restricted domain (see carm_vessels_evaluate) */
  int64_t mask_voxels;            /**< segmented, whole grid */
  double dice, precision, recall; /**< mask vs every truth vessel, whole grid */
  double dice_big, precision_big, recall_big; /**< mask vs the big branches, in the domain */
  /* centrelines: detected points on matched segments nearest a big branch */
  int64_t n_points;                                 /**< points evaluated */
  int64_t n_segments_matched;                       /**< detected segments matched */
  double centreline_mean_mm, centreline_median_mm;  /**< distance to the true centreline */
  double centreline_p95_mm, centreline_max_mm;      /**< 95th percentile, largest */
  double inside_fraction;                           /**< detected points inside a truth vessel */
  double coverage_big;                              /**< big truth centreline length found */
  double radius_error_mean_mm, radius_error_abs_mm; /**< detected - true: mean, mean |.| */
  double radius_error_rms_mm, radius_error_rel;     /**< RMS, mean (detected - true) / true */
  /* bifurcations (nodes where >= 3 segment ends meet) */
  int64_t n_bif_truth;         /**< truth bifurcations whose every branch is big */
  int64_t n_bif_found;         /**< ... matched by a detected bifurcation */
  double bif_sensitivity;      /**< found / truth */
  double bif_error_mm;         /**< mean distance of the matched pairs */
  int64_t n_bif_detected;      /**< detected bifurcations inside the big-branch domain */
  int64_t n_bif_detected_true; /**< ... within tolerance of any truth bifurcation */
  double bif_precision;        /**< detected_true / detected */
} carm_vessels_eval;

/**
 * Accuracy of a segmentation (`mask`, 0/1 on any grid; may be NULL) and
 * its centreline tree (`tree`; may be NULL) against a truth tree (e.g. the
 * digital twin's arteries, carm_seg_tree_read_json(..., "artery")) whose
 * segments are chains of capsules (radius interpolated along each piece).
 * "Big" truth segments have a mean radius >= opts->min_radius_mm.
 *  - Dice (whole grid): the mask against the voxels whose centre lies in any
 *    truth capsule.
 *  - Restricted Dice: truth T = voxels inside a big segment; domain D = T
 *    plus every voxel whose distance to the wall of a big segment is at most
 *    margin_mm and not larger than its distance to the wall of any smaller
 *    segment; dice_big = 2 |S∩T| / (|S∩D| + |T|), S the mask. Small
 *    branches leaving a big one are neither rewarded nor penalised.
 *  - Centrelines: every detected point is assigned to the nearest truth
 *    centreline (any radius); a detected segment is matched when at least
 *    half of its points lie inside a big truth segment; the distances of
 *    the points of matched segments whose nearest truth segment is big are
 *    summarised, and so is their radius error. coverage_big: fraction of
 *    the big truth centreline (sampled every 0.25 mm) within the vessel's
 *    radius (at least 1 mm) of a detected centreline.
 *  - Bifurcations: truth nodes where >= 3 segment ends meet and every
 *    segment there is big; each is matched, one to one and nearest first,
 *    to a detected node of degree >= 3 within max(bif_tol_mm, radius of the
 *    parent); a detected node of degree k may match k - 2 truth nodes.
 *    Precision counts the detected nodes inside the domain (within
 *    margin_mm of a big wall) that lie within tolerance of any truth node.
 * CARM_ERR_INVALID for a missing truth or out, a mask without grid, bad
 * options; CARM_ERR_NOMEM. `*out` is written only on success.
 */
carm_status carm_vessels_evaluate(carm_vessels_eval *out, const carm_seg_tree *truth,
                                  const carm_volume *mask, const carm_seg_tree *tree,
                                  const carm_vessels_eval_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
