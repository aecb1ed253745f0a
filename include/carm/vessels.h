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
  carm_progress progress;
} carm_vessels_opts;

#define CARM_VESSELS_INIT                                                                          \
  {                                                                                                \
    1, NAN, 0.15, 0.7, 6.0, 0, {0, 0, 0}, 1, 2.0, { NULL, NULL }                                   \
  }

/** What the pipeline decided, for reports. */
typedef struct carm_vessels_info {
  double threshold; /**< the intensity threshold used */
  int dsa_like;     /**< 1: the volume looked vessel-only (mostly near 0) */
  int64_t mask_voxels;
  double mask_ml;
} carm_vessels_info;

/**
 * Vessel mask and centreline tree from a contrast volume:
 *  1. intensity threshold T: given, or Otsu; when more than 5 % of the
 *     volume lies above the first Otsu threshold (soft tissue present, not a
 *     DSA), a second Otsu on the voxels above it separates contrast and bone
 *     from tissue; then, automatic only, T is lowered to the half-maximum
 *     between the background class mean and the median of the tubular seeds
 *     (the vessel boundary);
 *  2. multi-scale vesselness (Frangi) at sigmas from min/√2 to max/√2 mm;
 *  3. mask = voxels >= T connected (26) to a seed voxel >= T whose
 *     vesselness is >= seed_vesselness (bright blobs and plates without a
 *     tube in them are dropped);
 *  4. the component nearest the root (or the largest components);
 *  5. carm_seg_tree_build rooted at the root or the widest end.
 * `mask_out` receives a 0/1 volume on the input grid, `tree_out` the tree;
 * `info` may be NULL.
 */
carm_status carm_vessels_extract(carm_volume **mask_out, carm_seg_tree **tree_out,
                                 carm_vessels_info *info, const carm_volume *vol,
                                 const carm_vessels_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
