/**
 * @file dsa.h
 * @brief 3D digital subtraction angiography (mask and contrast sweeps of
 * the same trajectory) and dual-phase fusion (arterial and delayed volumes
 * of one injection on one grid).
 *
 * Projection stacks follow project.h (x = u, y = v, z = view; line
 * integrals, or raw intensities when i0 > 0). Subtraction is done in the
 * line-integral domain: DSA = p_contrast − p_mask = log(I_mask / I_contrast),
 * which removes everything the two sweeps share (bone, soft tissue) exactly
 * when the views coincide; the result is then reconstructed by any method.
 *
 * Thread safety: every function here is safe on distinct outputs.
 */
#ifndef CARM_DSA_H
#define CARM_DSA_H

#include "carm/geometry.h"
#include "carm/render.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options; start with CARM_DSA_INIT. */
typedef struct carm_dsa_opts {
  int version;        /**< must be 1 */
  double tol_mm;      /**< largest allowed difference of a view's SID, SDD,
                           source and detector offsets (default 1 mm) */
  double tol_deg;     /**< largest allowed difference of a view's gantry,
                           out-of-plane and in-plane angles (default 0.2°) */
  double i0;          /**< > 0: both stacks hold raw intensities with this
                           unattenuated value; 0 (default): line integrals */
  int clamp_negative; /**< 1: negative differences (noise, motion) set to 0;
                           default 0 (keep them: they average out in the
                           reconstruction) */
} carm_dsa_opts;

#define CARM_DSA_INIT                                                                              \
  { 1, 1.0, 0.2, 0.0, 0 }

/**
 * Check that two geometries describe the same views: same number of views,
 * same patient position, and in each view the nine parameters within the
 * tolerances. Returns CARM_OK, or CARM_ERR_GEOMETRY with a message that
 * names the first view and parameter that differ and by how much.
 */
carm_status carm_geometry_match(const carm_geometry *a, const carm_geometry *b, double tol_mm,
                                double tol_deg);

/**
 * Subtract the mask sweep from the contrast sweep view by view, in the
 * line-integral domain. The stacks must share their grid (dims, spacing,
 * origin) and their geometries must match (carm_geometry_match with the
 * options' tolerances; `geo_mask` NULL: the mask was acquired with
 * `geo_contrast`). `*out` (line integrals, grid of the contrast stack)
 * belongs to the caller. Refuses non-positive intensities when i0 > 0.
 */
carm_status carm_dsa_subtract_projections(carm_volume **out, const carm_volume *contrast,
                                          const carm_geometry *geo_contrast,
                                          const carm_volume *mask, const carm_geometry *geo_mask,
                                          const carm_dsa_opts *opts);

/**
 * Volume-difference DSA: `*out` = contrast − mask, voxel by voxel. The two
 * volumes must share their grid (to 1e-3 mm).
 */
carm_status carm_dsa_subtract_volumes(carm_volume **out, const carm_volume *contrast,
                                      const carm_volume *mask);

/* ---- dual phase fusion -------------------------------------------------- */

/** Fusion options; start with CARM_FUSION_INIT. */
typedef struct carm_fusion_opts {
  int version;             /**< must be 1 */
  double threshold;        /**< arterial − delayed enhancement below this is
                                not shown (volume units; default 0: automatic,
                                a fifth of the 99.9th percentile of the
                                positive enhancement) */
  double vessel_window;    /**< enhancement shown fully red (default 0:
                                automatic, the 99.9th percentile) */
  carm_render_opts render; /**< plane, mode (MPR or MIP of the delayed
                                volume), window and level of the grey
                                parenchyma, pixel size */
} carm_fusion_opts;

#define CARM_FUSION_INIT                                                                           \
  { 1, 0.0, 0.0, CARM_RENDER_INIT }

/**
 * The arterial enhancement over the delayed phase: `*out` = arterial −
 * delayed where that exceeds the threshold, 0 elsewhere (vessels and
 * hypervascular lesions of the arterial phase). The volumes must share their
 * grid. `threshold_used` (may be NULL) receives the threshold applied.
 */
carm_status carm_fusion_enhancement(carm_volume **out, const carm_volume *arterial,
                                    const carm_volume *delayed, const carm_fusion_opts *opts,
                                    double *threshold_used);

/**
 * Colour fusion picture: the delayed volume in grey (MPR or MIP as the
 * render options say) with the MIP of the arterial enhancement over it in
 * red (opacity proportional to the enhancement up to vessel_window).
 */
carm_status carm_fusion_render(carm_picture **out, const carm_volume *arterial,
                               const carm_volume *delayed, const carm_fusion_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
