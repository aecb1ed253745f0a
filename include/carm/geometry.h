/**
 * @file geometry.h
 * @brief Projection geometry, compatible with RTK's circular-geometry XML.
 * The contract is ../shared/GEOMETRY.md (copied in docs/coordinates.md).
 *
 * Thread safety: functions on distinct geometries are thread-safe; a
 * geometry may be read from several threads at once.
 */
#ifndef CARM_GEOMETRY_H
#define CARM_GEOMETRY_H

#include "carm/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One view: the nine RTK parameters (mm and radians; angles wrapped to
 * [0, 2π)), its 3×4 matrix and an optional time stamp. */
typedef struct carm_view {
  double sid_mm;             /**< source to isocentre */
  double sdd_mm;             /**< source to detector; 0 = parallel beam */
  double source_offset_x_mm; /**< sx */
  double source_offset_y_mm; /**< sy */
  double proj_offset_x_mm;   /**< px */
  double proj_offset_y_mm;   /**< py */
  double gantry_angle_rad;   /**< ga */
  double out_of_plane_rad;   /**< oop */
  double in_plane_rad;       /**< ip */
  double matrix[3][4];       /**< P, kept equal to the parameters */
  double time_s;             /**< acquisition time (NaN when unknown) */
} carm_view;

/** How the patient lies in the gantry's world frame (the frame of the nine
 * parameters, rotation axis +y). */
typedef enum carm_patient_position {
  /** Patient coordinates are world coordinates (RTK's convention; the
   * default, and what a plain RTK file means). */
  CARM_PATIENT_WORLD = 0,
  /** Head first supine on a C-arm table, the gantry turning about the
   * patient's long axis: world x = patient left (L), world y = inferior
   * (−S), world z = posterior (P). Gantry 0 puts the source under the table
   * (an AP view); gantry +90° puts the source on the patient's left (RAO 90);
   * LAO θ is gantry −θ. See docs/coordinates.md. */
  CARM_PATIENT_HFS = 1
} carm_patient_position;

/** A trajectory: n_views views, and where the patient lies. */
typedef struct carm_geometry {
  int64_t n_views;
  carm_view *views;              /**< n_views entries, owned */
  carm_patient_position patient; /**< default CARM_PATIENT_WORLD */
} carm_geometry;

/** The rotation W taking patient LPS coordinates to world coordinates
 * (X_world = W · X_patient) for a patient position. */
void carm_patient_to_world(carm_patient_position pos, double w[3][3]);

/** The grid of `vol` (patient LPS) expressed in the geometry's world frame:
 * origin_w = W·origin, direction_w = W·direction. Projectors and
 * reconstructors use these instead of vol->origin / vol->direction, so
 * every geometry-aware kernel honours the patient position. */
void carm_geometry_world_grid(const carm_geometry *geo, const carm_volume *vol, double origin_w[3],
                              double direction_w[3][3]);

/** Largest number of views a geometry may hold. */
#define CARM_GEOMETRY_MAX_VIEWS 1000000

/** Allocate a geometry with `n_views` zeroed views (time NaN). */
carm_status carm_geometry_create(carm_geometry **out, int64_t n_views);
void carm_geometry_destroy(carm_geometry *geo);
carm_status carm_geometry_clone(carm_geometry **out, const carm_geometry *src);

/** Wrap an angle in radians to [0, 2π). */
double carm_angle_wrap(double angle_rad);

/**
 * Set a view from the nine parameters (angles in degrees, as in RTK's
 * AddProjection) and compute its matrix. Refuses non-finite values,
 * SID <= 0 and SDD < 0 (SDD == 0 is a parallel beam).
 */
carm_status carm_view_set(carm_view *view, double sid_mm, double sdd_mm, double gantry_deg,
                          double proj_offset_x_mm, double proj_offset_y_mm, double out_of_plane_deg,
                          double in_plane_deg, double source_offset_x_mm,
                          double source_offset_y_mm);

/** Recompute view->matrix from the nine parameters (GEOMETRY.md). */
void carm_view_update_matrix(carm_view *view);

/** The rotation R = Rz(−ip)·Rx(−oop)·Ry(−ga) of a view (world → rotated). */
void carm_view_rotation(const carm_view *view, double r[3][3]);

/** Source position in world mm: R⁻¹·(sx, sy, SID). For a parallel beam it
 * is the unit direction towards the source, times SID. */
void carm_view_source(const carm_view *view, double src[3]);

/** Detector frame in world mm: the point of detector coordinates (0, 0) and
 * the unit vectors along u and v. Detector point (u, v) is
 * origin + u·u_dir + v·v_dir. */
void carm_view_detector_frame(const carm_view *view, double origin[3], double u_dir[3],
                              double v_dir[3]);

/** Project a world point: detector (u, v) in mm. Returns 0 when the point is
 * behind the source (w <= 0), 1 otherwise. */
int carm_view_project(const carm_view *view, const double xyz[3], double uv[2]);

/**
 * Decompose an arbitrary 3×4 projection matrix into the nine parameters
 * (RQ decomposition, as RTK's AddProjection(matrix); docs/coordinates.md).
 * The matrix is kept in view->matrix as given up to its projective scale,
 * normalised so that the left 3×3 block has a unit third row and a positive
 * determinant (then w = z′ − SID as for parametric matrices). `residual`
 * (may be NULL) receives the largest element difference between that
 * normalised matrix and the one recomputed from the parameters (0 up to
 * rounding for a matrix of the nine-parameter model; > 0 for skew or
 * unequal pixel scales). A parallel beam (zero third row in the left block)
 * gets SID 1000, as in RTK. view->time_s is left unchanged; *view is
 * written only on success. Refuses non-finite and degenerate matrices and
 * a source on the wrong side of the isocentre (CARM_ERR_GEOMETRY).
 */
carm_status carm_view_from_matrix(carm_view *view, const double p[3][4], double *residual);

/* ---- trajectories ------------------------------------------------------- */

/** Options for the trajectory builders; start with CARM_TRAJECTORY_INIT. */
typedef struct carm_trajectory_opts {
  int version;            /**< must be 1 */
  double sid_mm;          /**< default 785 (C-arm) */
  double sdd_mm;          /**< default 1200 */
  double first_angle_deg; /**< gantry angle of the first view */
  double arc_deg;         /**< covered arc, first to last view */
  int64_t n_views;
  double jitter_deg; /**< uniform random ± jitter on each angle, 0 off */
  uint64_t seed;     /**< jitter seed */
  double proj_offset_x_mm;
  double proj_offset_y_mm;
  double source_offset_x_mm;
  double source_offset_y_mm;
  double out_of_plane_deg;
  double in_plane_deg;
  double duration_s;             /**< sweep time; views are time-stamped 0..duration
                                      when > 0 */
  carm_patient_position patient; /**< stored in the geometry */
} carm_trajectory_opts;

#define CARM_TRAJECTORY_INIT                                                                       \
  {                                                                                                \
    1, 785.0, 1200.0, 0.0, 360.0, 360, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,                  \
        CARM_PATIENT_WORLD                                                                         \
  }

/** Circular full scan: n views equally spaced over 360° (the last view is
 * one step short of the first; `arc_deg` is ignored). */
carm_status carm_geometry_circular(carm_geometry **out, const carm_trajectory_opts *opts);

/** C-arm short scan: n views from first_angle over arc_deg, first and last
 * view included, with optional jitter. */
carm_status carm_geometry_short_scan(carm_geometry **out, const carm_trajectory_opts *opts);

/** Angular coverage of a trajectory about the rotation axis (radians,
 * in [0, 2π]): 2π minus the largest gap between consecutive sorted gantry
 * angles, plus one typical step. Full-scan detection: coverage >= 2π − 1.5
 * steps. */
double carm_geometry_angular_coverage(const carm_geometry *geo);

/** Read an RTK geometry XML file (RTKThreeDCircularGeometry versions 2
 * and 3; element names case-insensitive) with RTK's semantics: every
 * parameter keeps the last value read, at top level or in an earlier
 * <Projection>, starting from 0 (so a missing SDD means a parallel beam);
 * <GantryAngle> (legacy <Angle>) is required in each <Projection>. Refuses
 * (with a message naming the view) a <Matrix> that differs from the
 * recomputed matrix by more than 0.001 in any element, non-finite or
 * malformed numbers, a missing or non-positive SID, mixed parallel and
 * cone-beam views, cylindrical detectors, entity references, malformed XML
 * and more than CARM_GEOMETRY_MAX_VIEWS views. Reads carm's extensions
 * <Time> and <RawMatrix> (per view) and <PatientPosition> (top level);
 * other unknown elements are ignored, as RTK does. Never prints.
 * docs/coordinates.md. */
carm_status carm_geometry_read_rtk(carm_geometry **out, const char *path);

/** Read an RTK geometry XML document held in memory (`size` bytes), with
 * the same checks as carm_geometry_read_rtk. Used by the fuzz harness. */
carm_status carm_geometry_read_rtk_memory(carm_geometry **out, const void *data, size_t size);

/** Write an RTK geometry XML file (version 3, 15 significant digits),
 * atomically (temporary file in the same folder, then rename; nothing is
 * left behind on failure). As RTK's writer: a parameter equal in all views
 * is written once at top level (omitted when 0), otherwise in every
 * <Projection>; GantryAngle and <Matrix> always per view. Views with a time
 * get <Time>; a view whose matrix is not the parametric one (from
 * carm_view_from_matrix) also gets <RawMatrix>; HFS geometries get
 * <PatientPosition>. Refuses empty geometries, invalid parameters and a
 * matrix that no longer matches its parameters. */
carm_status carm_geometry_write_rtk(const carm_geometry *geo, const char *path);

#ifdef __cplusplus
}
#endif
#endif
