/**
 * @file mesh.h
 * @brief Triangle meshes from volumes: marching cubes, Taubin smoothing,
 * normals, topology and volume checks, and writers for binary STL, OBJ,
 * binary PLY and glTF binary (.glb). Coordinates are patient millimetres
 * (LPS, the physical space of the volume); docs/meshes.md.
 *
 * Thread safety: every function is safe to call concurrently on distinct
 * meshes; a mesh is not locked.
 */
#ifndef CARM_MESH_H
#define CARM_MESH_H

#include "carm/core.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * An indexed triangle mesh. Triangles are counter-clockwise seen from
 * outside (right-hand normal points out of the enclosed region). Vertices
 * are shared between triangles (welded): an edge used by two triangles
 * refers to the same two vertex indices.
 */
typedef struct carm_mesh {
  int64_t n_vertices;
  float *vertices_mm; /**< 3 per vertex: x, y, z in patient mm (LPS), owned */
  float *normals;     /**< 3 per vertex (unit, outward) or NULL, owned */
  int64_t n_triangles;
  uint32_t *triangles; /**< 3 vertex indices per triangle, owned */
} carm_mesh;

/** Largest number of vertices or triangles a mesh may hold (indices are
 * 32-bit, as in glTF and PLY). */
#define CARM_MESH_MAX_ELEMENTS ((int64_t)UINT32_MAX - 1)

/** Allocate a mesh with room for the given counts (arrays uninitialised,
 * normals NULL). CARM_ERR_RANGE over CARM_MESH_MAX_ELEMENTS. */
carm_status carm_mesh_create(carm_mesh **out, int64_t n_vertices, int64_t n_triangles);

/** Free a mesh. NULL-safe. */
void carm_mesh_destroy(carm_mesh *mesh);

/**
 * Marching cubes iso-surface of `vol` at `iso`: the surface separates voxels
 * with value > iso ("inside") from the others; NaN counts as outside, and
 * so does everything beyond the volume, so the surface of an object is
 * closed even where it touches the border. Vertices lie on grid edges,
 * placed by linear interpolation, one vertex per crossed edge (welded);
 * triangles are oriented with outward normals (pointing to lower values),
 * also for direction matrices with a negative determinant.
 *
 * The case table is built once from the cube faces: on a face whose
 * corners alternate (the ambiguous face), the two inside corners are kept
 * apart. The decision depends only on the face, so the two cubes sharing it
 * agree and the surface of any finite object is a closed, consistently
 * oriented 2-manifold (every edge in exactly two triangles). Polygons of
 * more than four vertices are fanned around an added centre vertex.
 * Normals are computed (carm_mesh_normals). An empty surface gives a mesh
 * with zero vertices and triangles. `progress` may be NULL.
 */
carm_status carm_mesh_marching_cubes(carm_mesh **out, const carm_volume *vol, double iso,
                                     const carm_progress *progress);

/** Options of carm_mesh_from_labels (start from CARM_MESH_LABEL_OPTS_INIT). */
typedef struct carm_mesh_label_opts {
  int version;               /**< 1 */
  double presmooth_sigma_mm; /**< Gaussian blur of the 0/1 mask before the
                                  0.5 iso-surface (0: none, default) */
  int smooth_iterations;     /**< Taubin lambda/mu pairs after extraction (default 10) */
  double smooth_lambda;      /**< default 0.5 */
  double smooth_mu;          /**< default -0.53 */
  carm_progress progress;    /**< optional */
} carm_mesh_label_opts;

#define CARM_MESH_LABEL_OPTS_INIT                                                                  \
  {                                                                                                \
    1, 0.0, 10, 0.5, -0.53, { NULL, NULL }                                                         \
  }

/**
 * Surface of one label of a label map (voxels whose value rounds to
 * `label`; `label` >= 1): the 0/1 mask is cropped to the label's bounding
 * box plus a margin, optionally blurred, meshed at 0.5 by
 * carm_mesh_marching_cubes, then smoothed (carm_mesh_smooth_taubin) and
 * given normals. A label absent from the map is CARM_ERR_NOTFOUND.
 * `opts` may be NULL (defaults).
 */
carm_status carm_mesh_from_label(carm_mesh **out, const carm_volume *labels, int64_t label,
                                 const carm_mesh_label_opts *opts);

/**
 * Taubin smoothing (Taubin, SIGGRAPH 1995, "A signal processing approach to
 * fair surface design"): `iterations` pairs of a shrinking step (lambda > 0)
 * and an inflating step (mu < -lambda) of the uniform umbrella Laplacian,
 * which smooths the staircase of a voxel surface without the shrinkage of
 * plain Laplacian smoothing. Topology is unchanged; normals are
 * recomputed. Requires 0 < lambda < 1, mu < -lambda, |mu| < 1,
 * 0 <= iterations <= 10000.
 */
carm_status carm_mesh_smooth_taubin(carm_mesh *mesh, int iterations, double lambda, double mu);

/** Area-weighted vertex normals (unit; zero vector for isolated vertices);
 * allocates mesh->normals when NULL. */
carm_status carm_mesh_normals(carm_mesh *mesh);

/**
 * Merge vertices closer than `tol_mm` (grid hashing; each vertex is merged
 * into the first vertex of its cell neighbourhood within tol), then drop
 * triangles that became degenerate (two equal indices) and vertices no
 * longer used. Normals are dropped (NULL) when anything changed.
 * Marching cubes output is already welded; this is for meshes from
 * elsewhere (e.g. triangle soups).
 */
carm_status carm_mesh_weld(carm_mesh *mesh, double tol_mm);

/** Enclosed volume (mm^3) by the divergence theorem: sum over triangles of
 * det(a, b, c) / 6. Positive for a closed mesh with outward normals. */
double carm_mesh_volume_mm3(const carm_mesh *mesh);

/** Total surface area (mm^2). */
double carm_mesh_area_mm2(const carm_mesh *mesh);

/** Topology summary of a mesh (carm_mesh_topology_check). */
typedef struct carm_mesh_topology {
  int64_t n_vertices; /**< vertices used by at least one triangle */
  int64_t n_edges;    /**< distinct undirected edges */
  int64_t n_triangles;
  int64_t n_boundary_edges;    /**< edges in exactly one triangle */
  int64_t n_nonmanifold_edges; /**< edges in three or more triangles */
  int64_t n_misoriented_edges; /**< two-triangle edges traversed the same way by both */
  int64_t n_degenerate;        /**< triangles with a repeated vertex index */
  int64_t n_components;        /**< connected components (through shared edges) */
  int64_t euler;               /**< V - E + F (2 per sphere-like closed component) */
  int watertight;              /**< no boundary, non-manifold, misoriented or degenerate */
} carm_mesh_topology;

/** Count edges and check that the mesh is closed and consistently
 * oriented. */
carm_status carm_mesh_topology_check(const carm_mesh *mesh, carm_mesh_topology *out);

/** File formats of carm_mesh_write. */
typedef enum carm_mesh_format {
  CARM_MESH_FORMAT_UNKNOWN = 0,
  CARM_MESH_FORMAT_STL = 1, /**< binary STL */
  CARM_MESH_FORMAT_OBJ = 2, /**< Wavefront OBJ with vertex normals */
  CARM_MESH_FORMAT_PLY = 3, /**< PLY binary_little_endian, float x y z nx ny nz, int indices */
  CARM_MESH_FORMAT_GLB = 4  /**< glTF 2.0 binary */
} carm_mesh_format;

/** Format from a file name's suffix (.stl, .obj, .ply, .glb; any case). */
carm_mesh_format carm_mesh_format_from_path(const char *path);

/**
 * Write one mesh; the format follows the suffix (carm_mesh_format_from_path).
 * Atomic: a temporary file in the same folder, renamed at the end, removed
 * on failure. Normals are computed on a copy when the mesh has none. STL,
 * OBJ and PLY hold LPS millimetres as they are. The .glb holds the same LPS
 * millimetres in its buffer and a root node whose matrix maps them to
 * glTF's frame (metres, +Y up = patient superior, +Z = patient anterior,
 * +X = patient left): docs/meshes.md. `name` (may be NULL) names the
 * mesh where the format has a place for it.
 */
carm_status carm_mesh_write(const carm_mesh *mesh, const char *name, const char *path);

/**
 * Write several meshes into one .glb (one glTF mesh and node each, under
 * one root node holding the LPS-to-glTF matrix), atomically. `names[i]`
 * (may be NULL, or an entry NULL) become the meshes' and nodes' names; they
 * are JSON-escaped. `n` >= 1; empty meshes are skipped.
 */
carm_status carm_mesh_write_glb_multi(const carm_mesh *const *meshes, const char *const *names,
                                      size_t n, const char *path);

#ifdef __cplusplus
}
#endif
#endif
