/**
 * @file seg.h
 * @brief carm segmentation: image filters (Gaussian, gradient, Hessian,
 * vesselness, thresholds, morphology, labelling, region growing, distance
 * transform, resampling) and the vessel tree (thinning, skeleton graph,
 * centrelines, JSON/VTK export).
 *
 * Conventions shared by every call here:
 * - Images, masks and label maps are all `carm_volume` (float32, x fastest).
 *   A mask holds 0/1; a voxel is foreground when its value is > 0.5. A label
 *   map holds integer ids (0 = background) stored as floats, exact up to
 *   2^24 labels. One type keeps the API small; masks cost 4 bytes a voxel,
 *   which is acceptable next to the float images they come from.
 * - Filters write into a caller-allocated `out` with the same dims as the
 *   input (see carm_volume_create_like); unless a function says otherwise,
 *   `out` may not alias the input. The output's grid (spacing, origin,
 *   direction) is copied from the input.
 * - Lengths are millimetres and use each axis's spacing (anisotropic grids
 *   are handled exactly); derivatives are per millimetre along the index
 *   axes.
 * - Connectivity is 6 (faces) or 26 (faces, edges, corners).
 * - Whole-volume temporaries are allocated once per call; inner loops never
 *   allocate. Loops run on OpenMP threads.
 *
 * Thread safety: every function is safe to call concurrently on distinct
 * output volumes and trees.
 */
#ifndef CARM_SEG_H
#define CARM_SEG_H

#include "carm/core.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- smoothing and derivatives ------------------------------------------ */

/**
 * Separable Gaussian smoothing. `sigma_mm[a]` is the standard deviation
 * along index axis a in millimetres (0 = no smoothing along that axis). The
 * sampled kernel is truncated at 4 sigma and normalised to sum 1, so the
 * sum of an image is preserved away from the borders; borders replicate the
 * edge voxel. `out` may equal `in` (in-place). Errors: CARM_ERR_INVALID for
 * NULL, mismatched dims or negative/non-finite sigma; CARM_ERR_NOMEM.
 */
carm_status carm_seg_gaussian(carm_volume *out, const carm_volume *in, const double sigma_mm[3]);

/**
 * Gradient by central differences (one-sided at the borders) along the
 * index axes, in intensity per millimetre. Any of `gx`, `gy`, `gz`,
 * `magnitude` may be NULL (at least one must be given); none may alias
 * `in`.
 */
carm_status carm_seg_gradient(carm_volume *gx, carm_volume *gy, carm_volume *gz,
                              carm_volume *magnitude, const carm_volume *in);

/**
 * Eigenvalues of the symmetric 3x3 matrix h = (xx, yy, zz, xy, xz, yz),
 * computed analytically (trigonometric solution of the characteristic
 * cubic), sorted by magnitude: |lambda[0]| <= |lambda[1]| <= |lambda[2]|.
 */
void carm_seg_eigen_sym3(const double h[6], double lambda[3]);

/**
 * Hessian eigenvalues at every voxel after Gaussian smoothing with
 * `sigma_mm` (isotropic in millimetres; 0 = no smoothing). Second
 * derivatives are central differences in mm^-2 (not scale-normalised).
 * `l1`, `l2`, `l3` receive the eigenvalues sorted by magnitude
 * (|l1| <= |l2| <= |l3|). Border voxels take the Hessian of the nearest
 * interior voxel (a clamped stencil would turn gradients into spurious
 * curvature); axes with fewer than 3 voxels contribute no derivatives.
 */
carm_status carm_seg_hessian_eigen(carm_volume *l1, carm_volume *l2, carm_volume *l3,
                                   const carm_volume *in, double sigma_mm);

/** Largest number of scales one vesselness call accepts. */
#define CARM_SEG_MAX_SCALES 16

/** Options of carm_seg_vesselness (versioned: start from
 * CARM_SEG_VESSELNESS_OPTS_INIT and change fields). */
typedef struct carm_seg_vesselness_opts {
  int version;                           /**< 1 */
  int n_sigmas;                          /**< number of scales, 1..CARM_SEG_MAX_SCALES */
  double sigmas_mm[CARM_SEG_MAX_SCALES]; /**< Gaussian scales (mm) */
  double alpha;                          /**< plate vs line sensitivity (Frangi: 0.5) */
  double beta;                           /**< blob vs line sensitivity (Frangi: 0.5) */
  double c;                              /**< structure sensitivity; <= 0: half the largest
                                              scale-normalised Hessian norm over all scales */
  int bright;                            /**< 1: bright vessels on dark; 0: dark on bright */
  carm_progress progress;                /**< optional progress / cancel */
} carm_seg_vesselness_opts;

#define CARM_SEG_VESSELNESS_OPTS_INIT                                                              \
  {                                                                                                \
    1, 3, {1.0, 2.0, 3.0}, 0.5, 0.5, 0.0, 1, { NULL, NULL }                                        \
  }

/**
 * Multi-scale vesselness (Frangi et al., MICCAI 1998, "Multiscale vessel
 * enhancement filtering"). At each scale s the Hessian of the image smoothed
 * with sigma s is multiplied by s^2 (scale normalisation, gamma = 1); with
 * eigenvalues |l1| <= |l2| <= |l3|, Ra = |l2|/|l3|, Rb = |l1|/sqrt(|l2 l3|),
 * S = sqrt(l1^2 + l2^2 + l3^2):
 *   V = (1 - exp(-Ra^2 / 2 alpha^2)) exp(-Rb^2 / 2 beta^2) (1 - exp(-S^2 / 2 c^2))
 * and V = 0 unless l2 and l3 are negative (bright) or positive (dark). The
 * output is the maximum of V over the scales, in [0, 1). `scale_out` (may be
 * NULL) receives the sigma (mm) that gave the maximum (0 where V = 0). When
 * c is automatic a first pass finds max S: the smoothed scales are kept for
 * the second pass when they fit in 1 GiB, else smoothed again.
 * For a solid tube of radius r the response on its axis peaks near
 * sigma = r / sqrt(2).
 */
carm_status carm_seg_vesselness(carm_volume *out, carm_volume *scale_out, const carm_volume *in,
                                const carm_seg_vesselness_opts *opts);

/* ---- thresholds ---------------------------------------------------------- */

/**
 * Otsu's threshold (IEEE SMC 1979): the value maximising the between-class
 * variance of a histogram of `n_bins` (2..65536) bins spanning the finite
 * values of `in` (inside `mask` when not NULL). Voxels > threshold form the
 * upper class. CARM_ERR_INVALID when there are no finite values.
 */
carm_status carm_seg_otsu(double *threshold, const carm_volume *in, const carm_volume *mask,
                          int n_bins);

/** Binary mask: 1 where lo <= in <= hi, 0 elsewhere (NaN gives 0). */
carm_status carm_seg_threshold(carm_volume *out, const carm_volume *in, double lo, double hi);

/**
 * Hysteresis threshold: 1 at voxels >= `low` that are connected (through
 * voxels >= `low`, with `connectivity` 6 or 26) to a voxel >= `high`.
 * Requires low <= high.
 */
carm_status carm_seg_hysteresis(carm_volume *out, const carm_volume *in, double low, double high,
                                int connectivity);

/* ---- morphology ---------------------------------------------------------- */

typedef enum carm_seg_morph_op {
  CARM_SEG_ERODE = 0,
  CARM_SEG_DILATE = 1,
  CARM_SEG_OPEN = 2, /**< erode then dilate */
  CARM_SEG_CLOSE = 3 /**< dilate then erode */
} carm_seg_morph_op;

/**
 * Binary morphology with a ball of radius `radius_mm`: the structuring
 * element is every voxel offset d with |spacing * d| <= radius_mm. Exact
 * and independent of the radius in cost (through the distance transform).
 * Voxels outside the volume are ignored (neither foreground nor
 * background), so erosion does not eat from the volume border.
 */
carm_status carm_seg_morph_binary(carm_volume *out, const carm_volume *mask, carm_seg_morph_op op,
                                  double radius_mm);

/**
 * Grey-level morphology (minimum / maximum over the same ball as
 * carm_seg_morph_binary, out-of-volume voxels ignored). Cost grows with
 * the number of x-runs in the ball (about radius^2 in voxels). On a 0/1
 * mask it equals carm_seg_morph_binary.
 */
carm_status carm_seg_morph_grey(carm_volume *out, const carm_volume *in, carm_seg_morph_op op,
                                double radius_mm);

/* ---- labelling and region growing --------------------------------------- */

/**
 * Connected components of the foreground of `mask`. `labels` receives ids
 * 1..n ordered by decreasing size (ties: first voxel in memory order), 0 on
 * background. `n_labels` (may be NULL) receives n; `sizes` (may be NULL)
 * receives a malloc'ed array of n + 1 voxel counts (sizes[0] = background),
 * to be released with free(). CARM_ERR_RANGE over 2^24 components.
 */
carm_status carm_seg_label(carm_volume *labels, int64_t *n_labels, int64_t **sizes,
                           const carm_volume *mask, int connectivity);

/** Keep the `n_keep` (>= 1) largest components of `mask` (0/1 output). */
carm_status carm_seg_keep_largest(carm_volume *out, const carm_volume *mask, int connectivity,
                                  int64_t n_keep);

/** Remove components smaller than `min_voxels` from `mask` (0/1 output). */
carm_status carm_seg_remove_small(carm_volume *out, const carm_volume *mask, int connectivity,
                                  int64_t min_voxels);

/**
 * Seeded region growing: 1 at every voxel whose value lies in [lo, hi] and
 * that is connected (through such voxels) to one of the `n_seeds` seeds
 * (voxel indices i, j, k). Seeds outside the interval grow nothing; a seed
 * outside the volume is CARM_ERR_INVALID.
 */
carm_status carm_seg_region_grow(carm_volume *out, const carm_volume *in, const int64_t (*seeds)[3],
                                 size_t n_seeds, double lo, double hi, int connectivity);

/* ---- distance transform and resampling ---------------------------------- */

typedef enum carm_seg_distance_to {
  CARM_SEG_TO_BACKGROUND = 0, /**< inside objects: distance to the nearest background voxel */
  CARM_SEG_TO_FOREGROUND = 1  /**< outside objects: distance to the nearest foreground voxel */
} carm_seg_distance_to;

/**
 * Exact Euclidean distance transform (Felzenszwalb and Huttenlocher, Theory
 * of Computing 8, 2012: separable lower envelopes of parabolas) between
 * voxel centres in millimetres, with the grid's anisotropic spacing. Voxels
 * of the target set get 0; when the target set is empty every voxel gets
 * +INFINITY.
 */
carm_status carm_seg_distance(carm_volume *out, const carm_volume *mask, carm_seg_distance_to to);

typedef enum carm_seg_interp {
  CARM_SEG_LINEAR = 0, /**< trilinear */
  CARM_SEG_NEAREST = 1 /**< nearest neighbour (labels) */
} carm_seg_interp;

/**
 * Resample `in` onto the grid of `out` (dims, spacing, origin and direction
 * set by the caller; any direction matrices). Points outside the input
 * (beyond its first/last voxel centres by more than 1e-6 voxel) get
 * `outside`. `out` is not allowed to alias `in`.
 */
carm_status carm_seg_resample(carm_volume *out, const carm_volume *in, carm_seg_interp interp,
                              float outside);

/* ---- skeleton and vessel tree ------------------------------------------- */

/**
 * Topology-preserving thinning of a binary mask to a curve skeleton (Lee,
 * Kashyap and Chu, CVGIP: Graphical Models and Image Processing 56(6),
 * 1994, medial-axis variant: end points are kept). The result is a 0/1
 * mask, 26-connected, with the same number of components, cavities and
 * tunnels as the input. `progress` may be NULL. `out` may equal `mask`.
 */
carm_status carm_seg_thin(carm_volume *out, const carm_volume *mask, const carm_progress *progress);

/** Kind of a tree segment. */
typedef enum carm_seg_segment_kind {
  CARM_SEG_SEGMENT_ROOT = 0,    /**< starts at the root */
  CARM_SEG_SEGMENT_BRANCH = 1,  /**< between two bifurcations */
  CARM_SEG_SEGMENT_TERMINAL = 2 /**< ends at an end point */
} carm_seg_segment_kind;

/** One centreline segment between two graph nodes, oriented away from the root. */
typedef struct carm_seg_segment {
  int64_t id;                 /**< index in the tree's segment array (0..) */
  int64_t parent;             /**< id of the parent segment, -1 when it starts at a root */
  carm_seg_segment_kind kind; /**< see carm_seg_segment_kind */
  int64_t n_points;           /**< >= 2 */
  double (*points_mm)[3];     /**< centreline points (patient mm, LPS), start to end */
  double *radius_mm;          /**< radius at each point (mm) */
} carm_seg_segment;

/** A vessel tree (a forest when the mask has several components). */
typedef struct carm_seg_tree {
  int64_t n_segments;
  carm_seg_segment *segments; /**< n_segments entries, parents before children */
  int64_t n_bifurcations;     /**< nodes of degree >= 3 */
  int64_t n_endpoints;        /**< nodes of degree 1 (roots included) */
  int64_t n_roots;            /**< number of trees */
  char kind[32];              /**< vessel kind written to JSON ("vessel" by default;
                                   set e.g. "artery" when the input phase is known) */
} carm_seg_tree;

/** Options of carm_seg_tree_build (start from CARM_SEG_TREE_OPTS_INIT). */
typedef struct carm_seg_tree_opts {
  int version;               /**< 1 */
  int has_root;              /**< 1: root at the graph node nearest to root_mm */
  double root_mm[3];         /**< catheter tip or inflow point (patient mm) */
  double min_spur_mm;        /**< terminal segments shorter than this are pruned */
  double spur_radius_factor; /**< ... and those shorter than factor x the
                                  radius at their bifurcation */
  int smooth_iterations;     /**< (1/4, 1/2, 1/4) passes over each polyline */
} carm_seg_tree_opts;

#define CARM_SEG_TREE_OPTS_INIT                                                                    \
  { 1, 0, {0.0, 0.0, 0.0}, 0.0, 1.5, 2 }

/**
 * Vessel tree from a binary vessel mask: thinning (carm_seg_thin), the
 * skeleton graph (end points, bifurcations as clusters of voxels with >= 3
 * skeleton neighbours), spur pruning, merging of degree-2 nodes, one
 * polyline per segment, re-centring of every interior point on its vessel
 * cross-section (the hat-weighted slab of mask voxels perpendicular to the
 * local tangent) with the radius sqrt(area / pi) of that cross-section,
 * light smoothing, and orientation away from the root (opts->root_mm, else
 * the widest end point of each component). Node points (bifurcations, end
 * points) keep the skeleton position and the distance-map radius (distance
 * from the voxel centre to the nearest background centre minus half the
 * smallest spacing). Components without a branch or end point (closed
 * loops, single voxels) are skipped. `opts` may be NULL (defaults).
 * CARM_ERR_INVALID when the mask has no background voxel (the distance map,
 * hence every radius, would be infinite).
 */
carm_status carm_seg_tree_build(carm_seg_tree **out, const carm_volume *mask,
                                const carm_seg_tree_opts *opts, const carm_progress *progress);

/** Same as carm_seg_tree_build from a skeleton (0/1) and a distance map
 * (mm, CARM_SEG_TO_BACKGROUND of the mask) on the same grid; the mask is
 * taken as the voxels of positive distance. */
carm_status carm_seg_tree_from_skeleton(carm_seg_tree **out, const carm_volume *skeleton,
                                        const carm_volume *distance_mm,
                                        const carm_seg_tree_opts *opts);

/**
 * Move each bifurcation (a segment with exactly two children) to where the
 * children's axes meet. A skeleton joins two branches where their lumens
 * separate (the carina), which for an acute angle lies far downstream of
 * the point where their centrelines split: about (r1 + r2) / (2 tan(θ/2)),
 * 19 mm for two 2 mm branches at 12°. Each child's axis is fitted as a line
 * on its points from r1 + r2 to r1 + r2 + 10 mm from the junction; when the
 * two lines meet (closest approach <= half the smaller radius + 0.25 mm)
 * behind both windows, inside the parent (within half its radius + 0.5 mm
 * of its centreline, at most 4 (r1 + r2) + 5 mm upstream), the parent is cut
 * there and each child starts there with a straight run to its window.
 * Curved or short children, and nodes with other than two children, are
 * left alone by this first pass. A second pass handles clusters: when the
 * next branching follows within a few mm, the skeleton ends a segment P in
 * short segments (< 2 r_P + 4 mm) that branch again. Each branch E leaving
 * such a cluster (through at least one short segment) has its axis fitted
 * (from 2 r_E to 2 r_E + 10 mm); the first point of P, from upstream, that
 * lies within half E's radius + 0.25 mm of that axis, between 2 r_P + 2 mm
 * and 4 (r_P + r_E) + 5 mm before P's end, with P 6 mm further up off the
 * axis by more than r_E (E leaves P there), is where E splits off; the
 * point is moved to where E's axis meets P's own axis fitted just upstream
 * when the two lines meet within 3 mm of it. P is cut there, the rest of P
 * becomes a new segment (inserted after P, ids and parents renumbered)
 * that keeps P's children, and E hangs from P with a straight run to its
 * window. Of several such branches the one splitting furthest upstream is
 * taken, and the new segment is examined again. `n_moved` (may be NULL)
 * receives the number of nodes moved or split off.
 */
carm_status carm_seg_tree_refine_bifurcations(carm_seg_tree *tree, int64_t *n_moved);

/** Free a tree. NULL-safe. */
void carm_seg_tree_destroy(carm_seg_tree *tree);

/** Total centreline length (mm) of a tree. */
double carm_seg_tree_length_mm(const carm_seg_tree *tree);

/**
 * Write the tree as JSON (atomic: temporary file, then rename). The layout
 * follows the twin's ground truth (carm_twin_write_tree) so that the two
 * compare directly:
 * {"format": "carm-vessel-tree", "version": 1, "units": "mm",
 *  "frame": "patient LPS mm (the volumes' physical space)",
 *  "n_bifurcations": .., "n_endpoints": .., "n_roots": ..,
 *  "segments": [{"id": 0, "parent": null | id, "kind": tree->kind,
 *                "topology": "root" | "branch" | "terminal",
 *                "generation": 0 for roots, parent's + 1,
 *                "points": [[x, y, z], ...] (mm), "radius": [r, ...] (mm)}, ...]}
 * A point or radius that is not finite is refused (CARM_ERR_INVALID, the
 * message names the segment and point); nothing is written. The VTK writer
 * does the same.
 */
carm_status carm_seg_tree_write_json(const carm_seg_tree *tree, const char *path);

/** Write the tree as legacy ASCII VTK polydata (one polyline per segment,
 * point data "radius" in mm, cell data "segment_id" and "parent"); atomic. */
carm_status carm_seg_tree_write_vtk(const carm_seg_tree *tree, const char *path);

#ifdef __cplusplus
}
#endif
#endif
