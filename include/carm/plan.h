/**
 * @file plan.h
 * @brief Procedure planning: Y-90 activity and doses, ablation zones and
 * margins, C-arm working views. Every formula cites ../shared/CLINICAL.md
 * (reproduced in docs/clinical.md) next to its code.
 *
 * Thread safety: all functions are pure or act on caller-owned objects.
 */
#ifndef CARM_PLAN_H
#define CARM_PLAN_H

#include "carm/geometry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Y-90 radioembolisation ------------------------------------------- */

/** Lung dose (Gy): 49.67·A·LSF / M_lung. */
double carm_y90_lung_dose(double activity_gbq, double lsf, double lung_mass_kg);
/** MIRD single compartment dose (Gy): 49.67·A·(1 − LSF) / M. */
double carm_y90_mird_dose(double activity_gbq, double lsf, double mass_kg);
/** Activity (GBq) that gives `dose_gy` by the MIRD single compartment model. */
double carm_y90_mird_activity(double dose_gy, double lsf, double mass_kg);
/** Partition model tumour dose (Gy): 49.67·A·(1 − LSF)·TNR / (TNR·M_T + M_NL);
 * the normal-liver dose is D_T / TNR. */
double carm_y90_partition_tumour_dose(double activity_gbq, double lsf, double tnr,
                                      double tumour_mass_kg, double normal_mass_kg);
/** Partition model activity (GBq) that gives normal liver `dose_nl_gy`. */
double carm_y90_partition_activity(double dose_nl_gy, double lsf, double tnr, double tumour_mass_kg,
                                   double normal_mass_kg);
/** Body surface area (m², resin BSA method): 0.20247·h^0.725·w^0.425. */
double carm_y90_bsa(double height_m, double weight_kg);
/** Resin BSA activity (GBq): (BSA − 0.2) + V_T / (V_T + V_liver). */
double carm_y90_bsa_activity(double bsa_m2, double tumour_ml, double liver_ml);

typedef enum carm_y90_device { CARM_Y90_GLASS = 0, CARM_Y90_RESIN = 1 } carm_y90_device;

/** Inputs of a Y-90 plan; start with CARM_Y90_INIT. NaN = not given. */
typedef struct carm_y90_input {
  int version; /**< must be 1 */
  carm_y90_device device;
  double lsf;           /**< lung shunt fraction, 0..1 (required) */
  double lung_mass_kg;  /**< default 1 kg */
  double liver_ml;      /**< whole liver volume (required) */
  double tumour_ml;     /**< tumour volume in the perfused territory */
  double perfused_ml;   /**< perfused volume (incl. tumour); NaN = liver */
  double tnr;           /**< tumour-to-normal uptake ratio; NaN = none */
  double density_g_ml;  /**< tissue density, default 1.03 g/mL */
  double height_m;      /**< for BSA (resin) */
  double weight_kg;     /**< for BSA (resin) */
  double prior_lung_gy; /**< lung dose already received (cumulative) */
  double activity_gbq;  /**< planned activity; NaN = propose one */
} carm_y90_input;

#define CARM_Y90_INIT                                                                              \
  { 1, CARM_Y90_GLASS, NAN, 1.0, NAN, 0.0, NAN, NAN, 1.03, NAN, NAN, 0.0, NAN }

/** Result of a Y-90 plan. Doses in Gy, activities in GBq, masses in kg. */
typedef struct carm_y90_result {
  double activity_gbq;           /**< the planned (given or proposed) activity */
  const char *method;            /**< how the activity was obtained */
  double mird_activity_gbq;      /**< activity for the MIRD target dose */
  double partition_activity_gbq; /**< NaN without TNR */
  double bsa_activity_gbq;       /**< resin only, NaN otherwise */
  double perfused_mass_kg;
  double tumour_mass_kg;
  double normal_mass_kg;   /**< perfused non-tumour */
  double perfused_dose_gy; /**< MIRD dose to the perfused volume */
  double tumour_dose_gy;   /**< partition model (NaN without TNR) */
  double normal_dose_gy;   /**< partition model (NaN without TNR) */
  double lung_dose_gy;
  double lung_cumulative_gy;
  int lung_ok;                /**< ≤ 30 Gy this treatment and ≤ 50 Gy cumulative */
  int tumour_ok;              /**< reaches the EANM 2022 tumour threshold */
  int normal_ok;              /**< stays under the EANM 2022 normal-liver limit */
  double tumour_threshold_gy; /**< glass 205, resin 100 */
  double normal_limit_gy;     /**< glass 75, resin 40 */
  double mird_target_gy;      /**< glass 120 Gy perfused (lobar), resin 50 */
} carm_y90_result;

/** Plan a Y-90 treatment: propose an activity (partition model for normal
 * liver at the limit when TNR is known, else MIRD for glass / BSA for resin)
 * unless one is given, then report every dose and check every limit. */
carm_status carm_y90_plan(const carm_y90_input *in, carm_y90_result *out);

/* ---- ablation ----------------------------------------------------------- */

/** An ablation zone: an ellipsoid centred at `centre_mm`, its long axis
 * along the needle `axis` (unit), with full lengths long_mm × short_mm. */
typedef struct carm_ablation_zone {
  double centre_mm[3];
  double axis[3];
  double long_mm;
  double short_mm;
} carm_ablation_zone;

/** Signed distance (mm) from a point to the zone's surface: positive
 * inside, negative outside (exact, Eberly's bisection on the ellipsoid). */
double carm_ablation_zone_depth(const carm_ablation_zone *zone, const double p[3]);

/** Coverage of a target mask by a zone. The target is the voxels of
 * `labels` equal to `label`; its margin region is the target dilated by
 * `margin_mm` (computed from distances in mm).
 *  - coverage: share of (target + margin) inside the zone (0..1);
 *  - tumour_coverage: share of the target inside the zone;
 *  - min_margin_mm: the smallest distance from the target's voxels to the
 *    zone's surface (negative when part of the target lies outside). */
typedef struct carm_ablation_coverage {
  double coverage;
  double tumour_coverage;
  double min_margin_mm;
  double target_ml;
  double zone_ml;
} carm_ablation_coverage;

carm_status carm_ablation_coverage_compute(const carm_volume *labels, int label, double margin_mm,
                                           const carm_ablation_zone *zone,
                                           carm_ablation_coverage *out);

/* ---- C-arm angles and working views ------------------------------------ */

/** Unit direction from the isocentre towards the detector, in patient LPS,
 * for a C-arm at LAO `lao_deg` (negative = RAO) and CRA `cra_deg` (negative
 * = CAU), patient head first supine: (sin a·cos b, −cos a·cos b, sin b). */
void carm_carm_view_direction(double lao_deg, double cra_deg, double d[3]);

/** Set a view for that C-arm pose in the HFS world frame
 * (CARM_PATIENT_HFS): gantry −LAO, out-of-plane −CRA. */
carm_status carm_view_set_carm(carm_view *view, double lao_deg, double cra_deg, double sid_mm,
                               double sdd_mm);

/** Foreshortening of a segment of direction v (unit) seen along d (unit):
 * 1 − sqrt(1 − (v·d)²) (CLINICAL.md). */
double carm_foreshortening(const double v[3], const double d[3]);

/** A vessel polyline with a radius per point (patient mm). */
typedef struct carm_polyline {
  int64_t n;
  const double (*points)[3];
  const double *radius_mm; /**< NULL: 0.5 mm */
} carm_polyline;

/** Options of the working-view search; start with CARM_VIEWS_INIT. */
typedef struct carm_views_opts {
  int version;
  double lao_min_deg, lao_max_deg; /**< default −120..120 */
  double cra_min_deg, cra_max_deg; /**< default −45..45 */
  double step_deg;                 /**< default 5 */
  double pixel_mm;                 /**< overlap raster, default 0.5 mm at isocentre */
} carm_views_opts;

#define CARM_VIEWS_INIT                                                                            \
  { 1, -120.0, 120.0, -45.0, 45.0, 5.0, 0.5 }

/** One grid cell of the working-view map. */
typedef struct carm_view_score {
  double lao_deg;
  double cra_deg;
  double foreshortening; /**< length-weighted mean over the target path */
  double overlap;        /**< share of the target's projected pixels covered by others */
  double score;          /**< lower is better: foreshortening + overlap */
} carm_view_score;

/** Score every (LAO, CRA) of the grid for the target path against the other
 * vessels (parallel projection at the isocentre; magnification does not
 * change either measure to first order). `*out` receives rows × cols cells
 * (CRA rows, LAO columns), row-major; free() it. */
carm_status carm_working_views(const carm_polyline *target, const carm_polyline *others,
                               int64_t n_others, const carm_views_opts *opts, carm_view_score **out,
                               int *rows, int *cols);

#ifdef __cplusplus
}
#endif
#endif
