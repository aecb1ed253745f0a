/**
 * @file twin.h
 * @brief The digital twin: a seeded digital liver phantom (body, spine and
 * ribs, liver, hepatic arterial / portal / hepatic venous trees, tumours,
 * catheter), contrast dynamics (gamma-variate bolus curves per compartment)
 * and the C-arm acquisition model (sweeps with per-view time, Poisson noise).
 * Formulas, parameter values and the label table: docs/twin.md.
 *
 * Frame. Everything is in patient LPS millimetres (+x patient left, +y
 * posterior, +z superior), the physical space of every volume carm writes,
 * with the isocentre at the origin near the liver's centre. The patient
 * lies head first supine (CARM_PATIENT_HFS, docs/coordinates.md): the
 * C-arm turns about the patient's long axis and, at gantry angle 0, the
 * source is under the table. Sweeps from carm_acquire_sweep carry that
 * patient position in their geometry.
 *
 * Thread safety: a twin is immutable after carm_twin_create (except
 * carm_twin_set_protocol); voxelising distinct volumes from several threads
 * is safe. Functions use OpenMP inside. Results never depend on the number
 * of threads (bit for bit).
 */
#ifndef CARM_TWIN_H
#define CARM_TWIN_H

#include "carm/geometry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- labels (ground-truth label volume; docs/twin.md) ------------------ */

enum {
  CARM_TWIN_LABEL_BACKGROUND = 0,
  CARM_TWIN_LABEL_BODY = 1,   /**< soft tissue */
  CARM_TWIN_LABEL_BONE = 2,   /**< spine and ribs */
  CARM_TWIN_LABEL_LIVER = 3,  /**< parenchyma */
  CARM_TWIN_LABEL_ARTERY = 4, /**< common/proper hepatic artery, GDA, branches */
  CARM_TWIN_LABEL_PORTAL = 5,
  CARM_TWIN_LABEL_HEPATIC_VEIN = 6,
  CARM_TWIN_LABEL_IVC = 7,
  CARM_TWIN_LABEL_AORTA = 8,
  CARM_TWIN_LABEL_CATHETER = 9,
  CARM_TWIN_LABEL_TUMOUR = 10, /**< hypervascular tumour k has label 10 + k */
  CARM_TWIN_LABEL_HYPO = 20,   /**< hypovascular lesion */
  CARM_TWIN_LABEL_KIDNEY = 21,
  CARM_TWIN_LABEL_LUNG = 22,
  CARM_TWIN_LABEL_FAT = 23 /**< subcutaneous fat */
};

/** Most hypervascular tumours a twin may hold. */
#define CARM_TWIN_MAX_TUMOURS 8

/** Tissue compartments: each has a native HU and a contrast enhancement. */
typedef enum carm_twin_compartment {
  CARM_TWIN_C_BODY = 0,
  CARM_TWIN_C_FAT,
  CARM_TWIN_C_LUNG,
  CARM_TWIN_C_BONE,
  CARM_TWIN_C_LIVER,
  CARM_TWIN_C_KIDNEY,
  CARM_TWIN_C_ARTERY,
  CARM_TWIN_C_PORTAL,
  CARM_TWIN_C_HEPATIC_VEIN,
  CARM_TWIN_C_IVC,
  CARM_TWIN_C_AORTA,
  CARM_TWIN_C_CATHETER,
  CARM_TWIN_C_TUMOUR,
  CARM_TWIN_C_HYPO,
  CARM_TWIN_C_COUNT
} carm_twin_compartment;

/** Short name of a compartment ("liver", "artery", ...); NULL when out of
 * range. */
const char *carm_twin_compartment_name(int compartment);

/* ---- contrast dynamics (src/sim/contrast.c) ----------------------------- */

/** Most bolus curves a protocol may hold. */
#define CARM_CONTRAST_MAX_CURVES 8

/**
 * One gamma-variate bolus curve, in HU of enhancement versus time after the
 * start of injection (Madsen 1992 form with the peak as parameters):
 *   E(t) = peak_hu · (τ/tp)^α · exp(α (1 − τ/tp)),  τ = t − arrival_s > 0,
 *   E(t) = 0 for t <= arrival_s,  tp = time_to_peak_s.
 * The maximum is peak_hu at t = arrival_s + time_to_peak_s; smaller α gives a
 * wider, more dispersed bolus.
 */
typedef struct carm_contrast_curve {
  char name[32];         /**< "artery", "portal", ... */
  double arrival_s;      /**< bolus arrival after injection start */
  double time_to_peak_s; /**< > 0, from arrival to peak */
  double alpha;          /**< shape, > 0 */
  double peak_hu;        /**< peak enhancement (HU, may be 0) */
} carm_contrast_curve;

/**
 * A contrast protocol: the bolus curves and, per compartment, a native HU
 * and a linear mix of curves: HU_c(t) = base_hu[c] + Σ_k weight[c][k]·E_k(t).
 * Attenuation: μ = mu_water_per_mm · (1 + HU/1000), clamped at >= 0.
 */
typedef struct carm_contrast_protocol {
  int version;                 /**< must be 1 */
  double mu_water_per_mm;      /**< default 0.0206 (about 60 keV) */
  char injection_site[64];     /**< informative */
  double injection_rate_ml_s;  /**< informative */
  double injection_duration_s; /**< informative */
  int n_curves;
  carm_contrast_curve curves[CARM_CONTRAST_MAX_CURVES];
  double base_hu[CARM_TWIN_C_COUNT];
  double weight[CARM_TWIN_C_COUNT][CARM_CONTRAST_MAX_CURVES];
} carm_contrast_protocol;

/** Fill `p` with the default protocol (docs/twin.md). */
void carm_contrast_default(carm_contrast_protocol *p);

/** Validate a protocol: finite values, time_to_peak in [0.01, 1e4] s,
 * alpha in [0.1, 100], |arrival| <= 1e5 s, mu_water in (0, 1],
 * 1 <= n_curves <= CARM_CONTRAST_MAX_CURVES, unique curve names. */
carm_status carm_contrast_check(const carm_contrast_protocol *p);

/** One curve's enhancement (HU) at time t_s (seconds after injection). */
double carm_contrast_curve_hu(const carm_contrast_curve *curve, double t_s);

/** A compartment's HU at time t_s: base plus the weighted curves; NaN for a
 * bad compartment. */
double carm_contrast_hu(const carm_contrast_protocol *p, int compartment, double t_s);

/** Index of a curve by name, or -1. */
int carm_contrast_find_curve(const carm_contrast_protocol *p, const char *name);

/** Read a protocol from JSON (format in docs/twin.md): values missing from
 * the file keep their defaults; unknown keys, wrong types and invalid values
 * are refused with a message naming the key. `*p` is written only on
 * success. */
carm_status carm_contrast_read(carm_contrast_protocol *p, const char *path);

/** The same, from `size` bytes of JSON in memory. */
carm_status carm_contrast_read_memory(carm_contrast_protocol *p, const void *data, size_t size);

/** The protocol as a JSON text (the file format); the caller frees it with
 * free(). NULL when out of memory. */
char *carm_contrast_to_string(const carm_contrast_protocol *p);

/** Write a protocol as JSON, atomically. */
carm_status carm_contrast_write(const carm_contrast_protocol *p, const char *path);

/* ---- the phantom (src/sim/twin*.c) ------------------------------------- */

/** Vessel kinds of tree segments. */
typedef enum carm_twin_vessel {
  CARM_TWIN_VESSEL_ARTERY = 0,
  CARM_TWIN_VESSEL_PORTAL,
  CARM_TWIN_VESSEL_HEPATIC_VEIN,
  CARM_TWIN_VESSEL_IVC,
  CARM_TWIN_VESSEL_AORTA,
  CARM_TWIN_VESSEL_CATHETER,
  CARM_TWIN_VESSEL_COUNT
} carm_twin_vessel;

/** Name of a vessel kind ("artery", "portal_vein", ...); NULL out of range. */
const char *carm_twin_vessel_name(int kind);

/** One vessel segment: a centreline (tubes between consecutive points, the
 * radius interpolated linearly) from its parent's end to a branch point or
 * a terminal end. Flow-wise, the parent of a venous segment is downstream. */
typedef struct carm_twin_segment {
  int id;                 /**< index in twin->segments */
  int parent;             /**< -1 for a root */
  carm_twin_vessel kind;  /**< artery, portal vein, ... */
  int generation;         /**< 0 for a root, parent's + 1 otherwise */
  int intrahepatic;       /**< 1 when the whole segment lies in the liver */
  int tumour;             /**< index of the tumour it feeds, -1 none */
  int n_children;         /**< number of segments whose parent is this */
  int n_points;           /**< >= 2 */
  double (*points_mm)[3]; /**< centreline, LPS mm */
  double *radius_mm;      /**< per point */
} carm_twin_segment;

/** A lesion (sphere). */
typedef struct carm_twin_tumour {
  int label;           /**< 10 + k, or 20 for the hypovascular lesion */
  int hypervascular;   /**< 1 for HCC-like tumours */
  double centre_mm[3]; /**< LPS */
  double diameter_mm;
  char couinaud[4]; /**< "1".."8", "4a" or "4b" (rule: docs/twin.md) */
  int n_feeders;    /**< arterial segments ending in it */
  int feeders[4];   /**< their ids */
} carm_twin_tumour;

/** Options; start with CARM_TWIN_INIT. */
typedef struct carm_twin_opts {
  int version;            /**< must be 1 */
  uint64_t seed;          /**< everything random derives from it */
  int n_tumours;          /**< hypervascular tumours, 0 = random 1..3 */
  int hypovascular;       /**< 1: add one hypovascular lesion */
  int catheter;           /**< 1: a catheter from the aorta into the PHA */
  double liver_volume_ml; /**< 0: random in 1500..1800 */
  int max_generations;    /**< intrahepatic arterial branch generations (1..10) */
  double min_radius_mm;   /**< smallest arterial radius (0.2..2) */
  int territory_points;   /**< liver samples that drive tree growth */
} carm_twin_opts;

#define CARM_TWIN_INIT                                                                             \
  { 1, 1, 0, 1, 1, 0.0, 7, 0.5, 3000 }

/** Private geometry: primitives for the voxeliser. */
typedef struct carm_twin_private carm_twin_private;

/** A digital liver phantom. Read the fields; change none (except through
 * carm_twin_set_protocol). */
typedef struct carm_twin {
  uint64_t seed;
  double liver_volume_ml;          /**< measured on a 1 mm grid */
  double portal_bifurcation_mm[3]; /**< its height (z) is the Couinaud
                                        transverse plane */
  double ivc_axis_mm[3];           /**< a point on the IVC axis (parallel to
                                        z) at the hepatic-vein confluence */
  double hv_direction[3][3];       /**< unit vectors (z = 0) of the right,
                                        middle, left hepatic vein planes */
  int n_segments;
  carm_twin_segment *segments;
  int n_tumours; /**< hypervascular */
  carm_twin_tumour tumours[CARM_TWIN_MAX_TUMOURS];
  int has_hypo;
  carm_twin_tumour hypo;
  int catheter_segment;            /**< segment id of the catheter, -1 none */
  carm_contrast_protocol protocol; /**< contrast for carm_twin_voxelize */
  carm_twin_private *priv;
} carm_twin;

/** Build a phantom. Same options (seed included) give the same twin, bit
 * for bit. Fails with CARM_ERR_INVALID on bad options. */
carm_status carm_twin_create(carm_twin **out, const carm_twin_opts *opts);

/** Free a twin. NULL-safe. */
void carm_twin_destroy(carm_twin *twin);

/** Replace the twin's contrast protocol (validated). */
carm_status carm_twin_set_protocol(carm_twin *twin, const carm_contrast_protocol *p);

/**
 * Paint the phantom on `vol`'s grid (physical space = world), with one value
 * per compartment: vol = Σ_c share_c · values[c]. Partial volume: voxels
 * cut by a boundary are supersampled (supersample^3 points, 1..8, 0 = 4);
 * compartments are composited in priority order (catheter, arteries,
 * lesions, veins, bone, liver, kidney, lung, body, fat) so that a higher one covers
 * the ones below; air (outside the body) is 0. When `labels` is not NULL it
 * must share vol's grid and receives the label with the largest share per
 * voxel.
 */
carm_status carm_twin_paint(const carm_twin *twin, const double values[CARM_TWIN_C_COUNT],
                            int supersample, carm_volume *vol, carm_volume *labels);

/** Attenuation (1/mm) at `t_s` seconds after injection start on vol's grid:
 * μ = μ_water·(1 + HU_c(t)/1000) per compartment, painted as above. */
carm_status carm_twin_voxelize(const carm_twin *twin, double t_s, carm_volume *vol);

/** The label volume (values as float) on labels' grid. */
carm_status carm_twin_labels(const carm_twin *twin, carm_volume *labels);

/** Couinaud segment ("1".."8", "4a", "4b") of a point, by the rule of
 * docs/twin.md; "" when the point is outside the liver. `out` holds 4. */
void carm_twin_couinaud(const carm_twin *twin, const double xyz_mm[3], char out[4]);

/** Whether a point lies in the liver (the smooth blob, vessels and
 * lesions included). */
int carm_twin_in_liver(const carm_twin *twin, const double xyz_mm[3]);

/** A grid (isotropic `voxel_mm`, identity direction) that holds everything
 * the default C-arm cone sees: the body cross-section (x, y) and ±130 mm
 * along the rotation axis (z). */
carm_status carm_twin_scene_grid(const carm_twin *twin, double voxel_mm, carm_volume **out);

/** A reconstruction-like grid centred on the isocentre: 250 × 250 × 200 mm
 * (x, y, z) at `voxel_mm`. */
carm_status carm_twin_fov_grid(double voxel_mm, carm_volume **out);

/** Write the vessel trees (segments, LPS mm) as JSON, atomically. */
carm_status carm_twin_write_tree(const carm_twin *twin, const char *path);

/** Write the ground truth (labels table, liver volume, tumours with
 * centres, diameters, Couinaud segment and feeders) as JSON,
 * atomically. */
carm_status carm_twin_write_truth(const carm_twin *twin, const char *path);

/* ---- acquisition (src/sim/acquire.c) ------------------------------------ */

/** Options of a C-arm sweep; start with CARM_ACQUIRE_INIT (CLINICAL.md:
 * 200° in 5 s, 133 views, 616 × 480 pixels of 0.616 mm, SID 785, SDD
 * 1200). */
typedef struct carm_acquire_opts {
  int version;            /**< must be 1 */
  int64_t n_views;        /**< >= 2 */
  double arc_deg;         /**< covered arc, first to last view */
  double first_angle_deg; /**< gantry angle of the first view */
  double duration_s;      /**< sweep time, first to last view */
  double sid_mm;
  double sdd_mm;
  int64_t nu;      /**< detector pixels along u */
  int64_t nv;      /**< detector pixels along v (rotation axis) */
  double pixel_mm; /**< detector pitch */
  double voxel_mm; /**< voxel size of the painted scene (projection input) */
  int supersample; /**< partial-volume supersampling of the scene, 0 = 2 */
  carm_progress progress;
} carm_acquire_opts;

#define CARM_ACQUIRE_INIT                                                                          \
  {                                                                                                \
    1, 133, 200.0, -10.0, 5.0, 785.0, 1200.0, 616, 480, 0.616, 1.0, 0, { NULL, NULL }              \
  }

/**
 * A plan: the static scene (native attenuation) projected once along the
 * sweep's angles, and the enhancing compartments painted once per bolus
 * curve on their own (smaller) box. By linearity a sweep's view at time t
 * is the static projection plus the projection of Σ_k E_k(t)·part_k, so
 * each sweep (arterial, delayed, mask, forward or reverse) costs one
 * projection of the small box, spread over its views.
 */
typedef struct carm_acquire_plan carm_acquire_plan;

/** Paint and project the twin (with its protocol) along the sweep's
 * angles. */
carm_status carm_acquire_plan_create(carm_acquire_plan **out, const carm_twin *twin,
                                     const carm_acquire_opts *opts);

/** NULL-safe. */
void carm_acquire_plan_destroy(carm_acquire_plan *plan);

/** One sweep: which way and when. */
typedef struct carm_sweep_opts {
  int version;            /**< must be 1 */
  double start_s;         /**< time of the first view after injection start */
  int reverse;            /**< 1: from the last angle back to the first */
  double contrast;        /**< scale of the enhancement (1; 0 = mask run) */
  double i0;              /**< photons per pixel without object; 0 = noiseless */
  uint64_t seed;          /**< noise seed */
  int64_t truncate_nu;    /**< 0: full detector; else keep the central nu
                               columns (lateral truncation) */
  carm_progress progress; /**< per view, may cancel */
} carm_sweep_opts;

#define CARM_SWEEP_INIT                                                                            \
  {                                                                                                \
    1, 4.0, 0, 1.0, 0.0, 1, 0, { NULL, NULL }                                                      \
  }

/**
 * Make one sweep: the line integrals (a projection stack, views in time
 * order) and its geometry (views time-stamped). Each view sees the contrast
 * at its own time. With i0 > 0, counts N ~ Poisson(i0·exp(−p)) per pixel
 * and p = −ln(max(N, 1)/i0).
 */
carm_status carm_acquire_sweep(const carm_acquire_plan *plan, const carm_sweep_opts *sweep,
                               carm_volume **proj_out, carm_geometry **geo_out);

/**
 * Replace line integrals by noisy ones, in place: N ~ Poisson(i0·exp(−p)),
 * p ← −ln(max(N, 1)/i0). View z uses its own stream seeded from (seed, z),
 * so the result does not depend on threads. i0 must be > 0.
 */
carm_status carm_acquire_noise(carm_volume *proj, double i0, uint64_t seed);

/** A Poisson deviate of mean `lambda` (>= 0; exact: inversion below 10,
 * Hörmann's PTRS above). */
double carm_rng_poisson(carm_rng *rng, double lambda);

#ifdef __cplusplus
}
#endif
#endif
