/**
 * @file project.h
 * @brief Forward and back projection (Joseph ray-driven, bilinear in each
 * voxel plane), shared by simulation and iterative reconstruction.
 *
 * A projection stack is a carm_volume: x = detector u, y = detector v,
 * z = view; its origin and spacing (direction ignored: identity) map pixel
 * indices to detector millimetres (u, v) of GEOMETRY.md. Values are line
 * integrals of the volume's values along each ray (value unit × mm).
 *
 * The ray of pixel (i, j) runs from the source (carm_view_source) to the
 * pixel centre (carm_view_detector_frame); for a parallel beam (SDD 0) it is
 * the whole line through the pixel centre towards the source direction. It is
 * mapped into the volume's index space (any spacing and direction matrix) and
 * sampled once per voxel plane along its dominant index axis, bilinearly in
 * the plane, weighted by the ray length per plane. The volume is the bilinear
 * interpolant of its voxel centres, 0 outside their bounding box (an axis of
 * one voxel counts as one voxel thick).
 *
 * carm_project_back is the exact adjoint (the same weights, scattered): the
 * pair passes <Ax, y> = <x, Aᵀy> to float rounding. Both give the same result
 * whatever the number of threads (the back projector partitions voxel planes
 * among threads instead of using atomics).
 *
 * Memory: the forward projector holds a temporary pair-interleaved copy of
 * the volume (2× its size) when it has at most 2^28 voxels; the back
 * projector holds one ray record (40 bytes) per detector pixel.
 *
 * Thread safety: execute on distinct outputs is thread-safe; the functions
 * use OpenMP inside. Progress is reported once per view from the calling
 * thread; returning non-zero cancels (CARM_ERR_CANCELLED; the output is then
 * incomplete).
 */
#ifndef CARM_PROJECT_H
#define CARM_PROJECT_H

#include "carm/geometry.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options; start with CARM_PROJECT_INIT. */
typedef struct carm_project_opts {
  int version;            /**< must be 1 */
  int threads;            /**< 0: OpenMP default */
  carm_progress progress; /**< per-view progress, may cancel */
} carm_project_opts;

#define CARM_PROJECT_INIT                                                                          \
  {                                                                                                \
    1, 0, { NULL, NULL }                                                                           \
  }

/** Create an empty projection stack of nu × nv pixels × n_views views with
 * pixel pitch (du, dv) mm, centred on detector (0, 0). */
carm_status carm_projections_create(carm_volume **out, int64_t nu, int64_t nv, int64_t n_views,
                                    double du_mm, double dv_mm);

/** Forward project `vol` into `proj` (whose grid is set and whose dims[2]
 * equals geo->n_views), overwriting it. */
carm_status carm_project_forward(const carm_volume *vol, const carm_geometry *geo,
                                 carm_volume *proj, const carm_project_opts *opts);

/** The exact adjoint of carm_project_forward: `vol` (grid set) receives Aᵀ
 * proj, overwriting it. */
carm_status carm_project_back(const carm_volume *proj, const carm_geometry *geo, carm_volume *vol,
                              const carm_project_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
