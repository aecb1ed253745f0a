/**
 * @file phantom.h
 * @brief Analytic phantoms: scenes of ellipsoids and finite cylinders whose
 * values add up where they overlap (like the Shepp–Logan phantom), with
 * exact line integrals, exact projections and supersampled voxelisation.
 *
 * Units: millimetres, world frame of GEOMETRY.md (LPS, isocentre at 0).
 * Densities are in any unit (e.g. mm⁻¹); line integrals and projections are
 * density × mm, the unit of carm_project_forward.
 *
 * Thread safety: a scene may be read from several threads at once; adding
 * shapes is not thread-safe. The projection and voxelisation functions use
 * OpenMP inside.
 */
#ifndef CARM_PHANTOM_H
#define CARM_PHANTOM_H

#include "carm/geometry.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kind of a shape. Append only. */
typedef enum carm_shape_kind {
  CARM_SHAPE_ELLIPSOID = 1, /**< solid ellipsoid */
  CARM_SHAPE_CYLINDER = 2   /**< solid finite circular cylinder */
} carm_shape_kind;

/** One shape; its density is added to every point inside it (the surface
 * counts as inside). */
typedef struct carm_shape {
  carm_shape_kind kind;
  double centre_mm[3];
  double density; /**< added inside */
  /* ellipsoid */
  double semi_axes_mm[3]; /**< along the local x, y, z axes */
  double rotation[3][3];  /**< columns: local x, y, z axes in world (orthonormal) */
  /* cylinder */
  double axis[3]; /**< unit direction of the cylinder's axis */
  double radius_mm;
  double length_mm; /**< full length, centred on centre_mm */
} carm_shape;

/** A scene: shapes whose densities add. */
typedef struct carm_phantom {
  int64_t n_shapes;
  int64_t capacity;
  carm_shape *shapes; /**< n_shapes entries, owned */
} carm_phantom;

/** Most shapes a scene may hold. */
#define CARM_PHANTOM_MAX_SHAPES 100000

/** An empty scene. */
carm_status carm_phantom_create(carm_phantom **out);

/** Free a scene. NULL-safe. */
void carm_phantom_destroy(carm_phantom *ph);

/** Add an ellipsoid. `rotation` (may be NULL: identity) has the local axes
 * as columns and must be orthonormal (to 1e-6); semi-axes > 0, all values
 * finite. */
carm_status carm_phantom_add_ellipsoid(carm_phantom *ph, const double centre_mm[3],
                                       const double semi_axes_mm[3], const double rotation[3][3],
                                       double density);

/** Add a finite cylinder of radius `radius_mm` and full length `length_mm`
 * along `axis` (any non-zero vector; normalised), centred on `centre_mm`. */
carm_status carm_phantom_add_cylinder(carm_phantom *ph, const double centre_mm[3],
                                      const double axis[3], double radius_mm, double length_mm,
                                      double density);

/**
 * Append the 3D Shepp–Logan phantom exactly as RTK defines it
 * (rtk::SheppLoganPhantom: ten ellipsoids, densities 2, −0.98, −0.02, −0.02,
 * 0.02, 0.02, 0.01, 0.01, 0.02, −0.02, rotations about y), every length
 * multiplied by `scale_mm` (RTK's PhantomScale; its default and the scale of
 * its FDK tests is 128). y is the long (cranio-caudal) axis of the head.
 */
carm_status carm_phantom_add_shepp_logan(carm_phantom *ph, double scale_mm);

/** Value of the scene at a world point (sum of the densities of the shapes
 * that contain it). */
double carm_phantom_value(const carm_phantom *ph, const double p_mm[3]);

/**
 * Exact line integral of the scene along p + t·d for t in [t_min, t_max]
 * (t_min may be -HUGE_VAL and t_max HUGE_VAL for a whole line): the sum over
 * shapes of density × chord length in mm (|d| scales t to mm). 0 when d is
 * the zero vector.
 */
double carm_phantom_line_integral(const carm_phantom *ph, const double p_mm[3], const double d[3],
                                  double t_min, double t_max);

/**
 * Exact projections: `proj` (grid set, dims[2] == geo->n_views, see
 * project.h) receives, for each pixel, the line integral along the same ray
 * carm_project_forward uses (cone beam: source to pixel centre; parallel
 * beam: the whole line through the pixel centre).
 */
carm_status carm_phantom_project_analytic(const carm_phantom *ph, const carm_geometry *geo,
                                          carm_volume *proj);

/**
 * Voxelise the scene into `vol` (grid set; its data is overwritten): each
 * voxel receives the mean of the scene's value at supersample³ points on a
 * regular sub-grid of the voxel (1: the voxel centre only; at most 16).
 */
carm_status carm_phantom_voxelize(const carm_phantom *ph, carm_volume *vol, int supersample);

/**
 * Read a scene from a JSON file:
 * `{"shapes": [ ... ]}` where each shape is one of
 * - `{"type": "ellipsoid", "centre_mm": [x,y,z], "semi_axes_mm": [a,b,c],
 *    "rotation_deg": [rx,ry,rz], "density": d}` (rotation optional: local
 *    axes = Rz(rz)·Ry(ry)·Rx(rx), right-handed, degrees);
 * - `{"type": "cylinder", "centre_mm": [x,y,z], "axis": [ax,ay,az],
 *    "radius_mm": r, "length_mm": l, "density": d}`;
 * - `{"type": "shepp-logan", "scale_mm": s}` (the ten ellipsoids above;
 *    scale optional, default 128).
 * Unknown keys and types are refused with the shape's index in the message.
 */
carm_status carm_phantom_read_json(carm_phantom **out, const char *path);

/** The same from `size` bytes of JSON text in memory (not NUL-terminated);
 * messages name the input "scene". */
carm_status carm_phantom_read_json_memory(carm_phantom **out, const void *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif
