/**
 * @file project.h
 * @brief Forward and back projection (Joseph ray-driven, trilinear), shared
 * by simulation and iterative reconstruction.
 *
 * A projection stack is a carm_volume: x = detector u, y = detector v,
 * z = view; its origin and spacing (direction identity) map pixel indices to
 * detector millimetres (u, v) of GEOMETRY.md. Values are line integrals of
 * the volume's values along each ray (value unit × mm).
 *
 * Thread safety: execute on distinct outputs is thread-safe; the functions
 * use OpenMP inside.
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
