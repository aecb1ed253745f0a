/**
 * @file guide.h
 * @brief Guiding the procedure: tumour feeders from a catheter tip and the
 * virtual injection (perfused territory), needle trajectories for thermal
 * ablation, Couinaud segments from the portal and hepatic veins. Rules and
 * sources: docs/planning.md (from ../shared/CLINICAL.md).
 *
 * Thread safety: every function acts on caller-owned objects only.
 */
#ifndef CARM_GUIDE_H
#define CARM_GUIDE_H

#include "carm/plan.h"
#include "carm/render.h"
#include "carm/seg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- label lists --------------------------------------------------------- */

/** A set of integer labels 0..255 (a bitmap). */
typedef struct carm_label_set {
  uint8_t has[256];
} carm_label_set;

/** Parse "3,10-20" into a set (values 0..255). CARM_ERR_INVALID on a bad
 * list. */
carm_status carm_label_set_parse(carm_label_set *set, const char *text);

/* ---- tumour feeders ------------------------------------------------------ */

/** Options of carm_feeders_find; start with CARM_FEEDERS_INIT. */
typedef struct carm_feeders_opts {
  int version;      /**< must be 1 */
  double margin_mm; /**< a vessel wall within this distance of the tumour
                         surface touches it (default 1 mm) */
} carm_feeders_opts;

#define CARM_FEEDERS_INIT                                                                          \
  { 1, 1.0 }

/** One feeder: a downstream terminal segment (a leaf of the tree, where
 * its blood is delivered) whose lumen at its end (centreline distance
 * minus radius) reaches within margin of the tumour's voxels. */
typedef struct carm_feeder {
  int64_t segment;    /**< segment id in the tree */
  double inside_mm;   /**< centreline length within tumour + margin */
  double distance_mm; /**< closest wall-to-tumour-surface distance (<= 0: enters) */
  double radius_mm;   /**< mean radius of the segment */
  double path_mm;     /**< centreline length from the tip to the segment's end */
  int enters;         /**< 1 when the centreline reaches a tumour voxel */
  int64_t n_path;     /**< segments from the tip's segment to this one */
  int64_t *path;      /**< their ids, tip first */
} carm_feeder;

/** The feeders of one tumour, ranked (best first: longest reach into the
 * tumour, then largest radius, then shortest path). */
typedef struct carm_tumour_feeders {
  int label;
  double volume_ml;
  double centre_mm[3]; /**< centroid of the tumour's voxels */
  int64_t n_feeders;
  carm_feeder *feeders;
  int64_t n_passing; /**< downstream segments that touch the tumour but
                          end elsewhere (en passant; non-target risk) */
  int64_t *passing;
} carm_tumour_feeders;

/** Result of carm_feeders_find. */
typedef struct carm_feeders {
  int64_t tip_segment; /**< segment holding the point nearest to the tip */
  int64_t tip_point;   /**< index of that point */
  double tip_distance_mm;
  uint8_t *downstream; /**< per segment: 1 when downstream of the tip */
  int n_tumours;
  carm_tumour_feeders *tumours;
} carm_feeders;

/**
 * Find, for each tumour label present in `labels` and in `tumour_labels`,
 * the arterial segments downstream of the catheter tip (the tree point
 * nearest to `tip_mm`, then every descendant) whose wall comes within
 * margin of the tumour's voxels (distance maps on the label grid,
 * centrelines sampled every quarter voxel). A terminal segment whose end
 * point lies within its radius + margin of a tumour voxel centre is a
 * feeder (a label map paints an artery over the tumour it runs in); a
 * segment that touches the tumour but is not a feeder, with no touching
 * child, is listed as passing (it carries blood on, through or by the
 * tumour: a non-target risk). Free with
 * carm_feeders_destroy.
 */
carm_status carm_feeders_find(carm_feeders **out, const carm_seg_tree *tree, const double tip_mm[3],
                              const carm_volume *labels, const carm_label_set *tumour_labels,
                              const carm_feeders_opts *opts);

/** Free a result. NULL-safe. */
void carm_feeders_destroy(carm_feeders *f);

/** The centreline from the tip to the end of `feeder` (points and radii,
 * malloc'ed, free()). */
carm_status carm_feeder_path_points(const carm_seg_tree *tree, const carm_feeders *f,
                                    const carm_feeder *feeder, double (**points)[3],
                                    double **radius_mm, int64_t *n);

/**
 * Virtual injection: the liver voxels (labels in `liver_labels`) nearest to
 * a point of a terminal segment downstream of the tip (vs terminal points
 * elsewhere in the tree). `perfused` (may be NULL) shares labels' grid and
 * receives 1 there, 0 elsewhere. Volumes in mL.
 */
carm_status carm_feeders_territory(const carm_seg_tree *tree, const carm_feeders *f,
                                   const carm_volume *labels, const carm_label_set *liver_labels,
                                   carm_volume *perfused, double *perfused_ml, double *liver_ml);

/* ---- working-view map picture ------------------------------------------- */

/** A heat map of a working-view grid (LAO columns left to right, CRA rows
 * bottom to top; blue = good, red = poor), `cell_px` pixels per cell, the
 * best cell outlined in white, axes ticks every 30°. */
carm_status carm_views_map_picture(carm_picture **out, const carm_view_score *cells, int rows,
                                   int cols, int cell_px);

/* ---- ablation needle ----------------------------------------------------- */

/** One row of an ablation device chart. */
typedef struct carm_ablation_chart_row {
  double power_w;
  double time_min;
  double long_mm;  /**< full length of the zone along the needle */
  double short_mm; /**< full width across the needle */
} carm_ablation_chart_row;

/** A device chart (data/ablation_devices.json). */
typedef struct carm_ablation_device {
  char name[64];
  char modality[16];    /**< "MW" or "RF" */
  char source[256];     /**< where the numbers come from */
  int placeholder;      /**< 1: illustrative values, not a manufacturer chart */
  double tip_offset_mm; /**< zone centre behind the needle tip */
  int n_rows;
  carm_ablation_chart_row rows[32];
} carm_ablation_device;

/** Read device `name` from a chart file (NULL name: the first). */
carm_status carm_ablation_device_read(carm_ablation_device *dev, const char *path,
                                      const char *name);

/** Zone axes for a power and time: the rows of the nearest power,
 * interpolated linearly in time (clamped to the chart's range). */
carm_status carm_ablation_device_zone(const carm_ablation_device *dev, double power_w,
                                      double time_min, double *long_mm, double *short_mm);

/** Options of carm_needle_plan; start with carm_needle_opts_init. */
typedef struct carm_needle_opts {
  int version;   /**< must be 1 */
  int has_entry; /**< 1: evaluate the given entry only */
  double entry_mm[3];
  double needle_mm;             /**< usable needle length (default 200) */
  double clearance_mm;          /**< distance kept from vessels and bone (default 5) */
  carm_label_set avoid;         /**< labels to keep away from */
  double margin_mm;             /**< ablative margin (5 HCC, 10 metastases) */
  double long_mm, short_mm;     /**< zone axes */
  int n_directions;             /**< directions tried by --auto (default 2000) */
  carm_views_opts limits;       /**< C-arm angle limits for the views */
  const carm_seg_tree *vessels; /**< optional centrelines for the heat-sink check (radius
                                     from the tree); NULL: estimated from the labels */
  int zone_search;              /**< 1: slide the zone ±10 mm along the needle */
} carm_needle_opts;

/** Defaults: needle 200 mm, clearance 5 mm, avoid bone and vessels
 * (labels 2, 4-9 of docs/twin.md), margin 5 mm, zone 30 × 20 mm, 2000
 * directions, C-arm limits of CARM_VIEWS_INIT, zone search on. */
void carm_needle_opts_init(carm_needle_opts *o);

/** A planned needle. */
typedef struct carm_needle {
  double entry_mm[3];
  double target_mm[3];  /**< the tip (the target's centroid) */
  double surface_mm[3]; /**< where the needle meets the target */
  double axis[3];       /**< unit, entry to target */
  double length_mm;     /**< skin to target */
  double clearance_mm;  /**< lower bound of the distance from the path (skin to the target surface)
                           to avoided voxel centres */
  int valid;            /**< clearance and length respected */
  carm_ablation_zone zone; /**< placed along the needle */
  carm_ablation_coverage coverage;
  double heat_sink_diameter_mm; /**< largest vessel diameter touching the zone; 0 none */
  int heat_sink_label;          /**< that vessel's label (label method), -1 otherwise */
  int heat_sink;                /**< 1: a vessel >= 3 mm touches the zone */
  double bullseye_lao_deg, bullseye_cra_deg; /**< view along the needle */
  int bullseye_reachable;
  double progress_lao_deg[2], progress_cra_deg[2]; /**< perpendicular views */
  int n_progress;
} carm_needle;

/**
 * Plan straight needle trajectories from the skin (first voxel of label 0
 * met going outwards) to the centroid of `target_label`: with an entry,
 * that one; else the best `max_out` of `n_directions` directions that keep
 * `clearance_mm` from every avoided voxel outside the target and reach
 * within the needle length, ranked by clearance (capped at twice the
 * requirement) then length. For each, the zone is slid along the needle to
 * maximise the minimal margin, the coverage computed, heat-sink vessels
 * flagged and the bull's-eye and progress views given. `*n_out` may be 0
 * (no safe path). Free *out with free().
 */
carm_status carm_needle_plan(carm_needle **out, int *n_out, int max_out, const carm_volume *labels,
                             int target_label, const carm_needle_opts *opts);

/** Smallest distance (mm) from the segment a-b to a voxel centre whose
 * label is in `avoid` and not `target_label` (brute force on the grid;
 * for checks). INFINITY when there is none. */
double carm_needle_clearance_check(const carm_volume *labels, const carm_label_set *avoid,
                                   int target_label, const double a[3], const double b[3]);

/* ---- Couinaud segments --------------------------------------------------- */

/** The landmarks of the plane method. */
typedef struct carm_couinaud_landmarks {
  double confluence_mm[3];  /**< hepatic-vein confluence on the IVC axis */
  double bifurcation_mm[3]; /**< portal bifurcation (its z: transverse plane) */
  double hv_azimuth_deg[3]; /**< right, middle, left hepatic veins */
  double caudate_radius_mm; /**< 35 */
} carm_couinaud_landmarks;

/** Landmarks from the portal tree (the end of its widest root: the
 * bifurcation) and the hepatic-vein tree (its roots start at the
 * confluence; their directions in the axial plane, sorted by azimuth,
 * give the right, middle and left veins; needs 3 roots). */
carm_status carm_couinaud_landmarks_from_trees(carm_couinaud_landmarks *lm,
                                               const carm_seg_tree *portal,
                                               const carm_seg_tree *hepatic);

/** Plane method: the segment ("1".."8", "4a", "4b") of a point. */
void carm_couinaud_planes(const carm_couinaud_landmarks *lm, const double p[3], char out[4]);

/** Portal-territory method: the label of the nearest point of a labelled
 * portal segment (`segment_label[s]`, "" = unlabelled); "" when no segment
 * is labelled. */
void carm_couinaud_portal(const carm_seg_tree *portal, const char (*segment_label)[4],
                          const double p[3], char out[4]);

#ifdef __cplusplus
}
#endif
#endif
