/**
 * @file clinical.h
 * @brief carm clinical calculators for the tumour board: liver function
 * (Child–Pugh, MELD, MELD-Na, MELD 3.0, ALBI), tumour burden and transplant
 * criteria (Milan, UCSF, up-to-seven, TTV/AFP), BCLC 2022 staging with the
 * recommended options, and RECIST 1.1 / mRECIST response.
 *
 * Every rule is taken from ../shared/CLINICAL.md; each implementation cites
 * its primary source next to the code (src/clinical/ (one file per calculator)) and
 * docs/clinical.md lists them. Every calculator fills a carm_clinical_report: the inputs as given
 * and as used (after unit conversion and clamping), the rule and its version, and which input drove
 * the result.
 *
 * Missing inputs fail with CARM_ERR_INVALID, impossible ones with
 * CARM_ERR_RANGE; the detail (carm_last_error) names the input and what is
 * expected. Nothing is ever silently defaulted: the defaults that exist are
 * named options, and the report's notes say which were applied.
 *
 * Units: a lab value carries its unit (carm_clinical_lab). Bilirubin in
 * mg/dL or µmol/L (1 mg/dL = 17.1 µmol/L), albumin in g/dL or g/L,
 * creatinine in mg/dL or µmol/L (1 mg/dL = 88.4 µmol/L), sodium in mmol/L
 * (= mEq/L), AFP in ng/mL (= µg/L). Conversions are explicit calls.
 *
 * Thread safety: every function is pure apart from the thread-local error
 * detail; all may be called concurrently.
 */
#ifndef CARM_CLINICAL_H
#define CARM_CLINICAL_H

#include "carm/core.h"

#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- units and lab values ---------------------------------------------- */

/** Units of clinical quantities. CARM_UNIT_NONE (0) marks a value that was
 * not given. */
typedef enum carm_clinical_unit {
  CARM_UNIT_NONE = 0,
  CARM_UNIT_MG_DL,  /**< mg/dL (bilirubin, creatinine) */
  CARM_UNIT_UMOL_L, /**< µmol/L (bilirubin, creatinine) */
  CARM_UNIT_G_DL,   /**< g/dL (albumin) */
  CARM_UNIT_G_L,    /**< g/L (albumin) */
  CARM_UNIT_MMOL_L, /**< mmol/L = mEq/L (sodium) */
  CARM_UNIT_NG_ML,  /**< ng/mL = µg/L (AFP) */
  CARM_UNIT_RATIO   /**< dimensionless (INR) */
} carm_clinical_unit;

/** The analytes the calculators use. */
typedef enum carm_clinical_analyte {
  CARM_LAB_BILIRUBIN = 0,
  CARM_LAB_ALBUMIN,
  CARM_LAB_CREATININE,
  CARM_LAB_SODIUM,
  CARM_LAB_INR,
  CARM_LAB_AFP
} carm_clinical_analyte;

/** A lab value with its unit. unit == CARM_UNIT_NONE means "not given"
 * (so a zero-initialised lab is missing). */
typedef struct carm_clinical_lab {
  double value;
  carm_clinical_unit unit;
} carm_clinical_lab;

/** Conversion factors (CLINICAL.md "Units"). */
#define CARM_BILIRUBIN_UMOL_PER_MG_DL 17.1
#define CARM_CREATININE_UMOL_PER_MG_DL 88.4

/** Short unit label ("mg/dL", "umol/L", ...; "" for NONE). Never NULL. */
const char *carm_clinical_unit_name(carm_clinical_unit unit);

/** Analyte name ("bilirubin", ...). Never NULL. */
const char *carm_clinical_analyte_name(carm_clinical_analyte analyte);

/** Parse "2.5mg/dL", "43 umol/L", "30g/L", "130mmol/L", "1.4" (INR only) into
 * `*out`. The unit is required for every analyte except INR and must be one
 * accepted for that analyte (case-insensitive; "µmol/L" and "umol/L",
 * "mEq/L" for sodium, "ug/L" for AFP). The value must be plausible (see
 * carm_clinical_lab_check). `*out` is written only on success. */
carm_status carm_clinical_lab_parse(carm_clinical_lab *out, carm_clinical_analyte analyte,
                                    const char *text);

/** Check that `lab` is given (CARM_ERR_INVALID otherwise), in a unit
 * accepted for `analyte` (CARM_ERR_INVALID) and physiologically possible
 * (CARM_ERR_RANGE): bilirubin 0 < x ≤ 100 mg/dL, albumin 0 < x ≤ 10 g/dL,
 * creatinine 0 < x ≤ 30 mg/dL, sodium 80–200 mmol/L, INR 0 < x ≤ 20,
 * AFP 0 ≤ x ≤ 10^7 ng/mL. */
carm_status carm_clinical_lab_check(carm_clinical_analyte analyte, const carm_clinical_lab *lab);

/** Convert a checked lab value to unit `to` (one accepted for `analyte`)
 * and store it in `*out`. Fails like carm_clinical_lab_check. */
carm_status carm_clinical_lab_convert(double *out, carm_clinical_analyte analyte,
                                      const carm_clinical_lab *lab, carm_clinical_unit to);

/** Yes/no inputs; UNSET (0) means "not given". */
typedef enum carm_clinical_flag {
  CARM_FLAG_UNSET = 0,
  CARM_FLAG_NO = 1,
  CARM_FLAG_YES = 2
} carm_clinical_flag;

/* ---- the report every calculator fills ---------------------------------- */

#define CARM_CLINICAL_MAX_TERMS 12

/** One input as given and as used, with its contribution to the result. */
typedef struct carm_clinical_term {
  char name[32];      /**< "bilirubin", "ascites", "sizes", ... */
  double value;       /**< as given (NaN for categorical inputs) */
  char unit[16];      /**< unit as given ("" when none) */
  double used;        /**< after conversion and clamping, in used_unit */
  char used_unit[16]; /**< the unit the rule works in */
  char text[48];      /**< categorical value or a description ("moderate") */
  double points;      /**< contribution to the score (NaN when none) */
} carm_clinical_term;

/** What a calculator reports besides its result. */
typedef struct carm_clinical_report {
  const char *rule;   /**< rule and version, static string */
  const char *source; /**< citation, static string */
  int n_terms;
  carm_clinical_term terms[CARM_CLINICAL_MAX_TERMS];
  char driver[192]; /**< the input(s) that drove the result, in words */
  char notes[512];  /**< options and assumptions applied ("" when none) */
} carm_clinical_report;

/* ---- Child–Pugh --------------------------------------------------------- */

typedef enum carm_ascites {
  CARM_ASCITES_UNSET = 0,
  CARM_ASCITES_NONE,
  CARM_ASCITES_MILD,    /**< mild / controlled */
  CARM_ASCITES_MODERATE /**< moderate–severe */
} carm_ascites;

typedef enum carm_encephalopathy {
  CARM_HE_UNSET = 0,
  CARM_HE_NONE,
  CARM_HE_GRADE_1_2,
  CARM_HE_GRADE_3_4
} carm_encephalopathy;

typedef struct carm_child_pugh_input {
  carm_clinical_lab bilirubin;
  carm_clinical_lab albumin;
  carm_clinical_lab inr;
  carm_ascites ascites;
  carm_encephalopathy encephalopathy;
} carm_child_pugh_input;

/** Albumin cut-offs: default > 3.5 / 2.8–3.5 / < 2.8 g/dL; the alternative
 * some texts use is > 3.5 / 3.0–3.5 / < 3.0 g/dL. */
typedef enum carm_child_pugh_albumin {
  CARM_CP_ALBUMIN_28_35 = 0,
  CARM_CP_ALBUMIN_30_35 = 1
} carm_child_pugh_albumin;

/** Bilirubin cut-offs: default < 2 / 2–3 / > 3 mg/dL (< 34 / 34–51 / > 51
 * µmol/L); cholestatic disease (PBC/PSC) < 68 / 68–171 / > 171 µmol/L
 * (< 4 / 4–10 / > 10 mg/dL). */
typedef enum carm_child_pugh_bilirubin {
  CARM_CP_BILIRUBIN_STANDARD = 0,
  CARM_CP_BILIRUBIN_CHOLESTATIC = 1
} carm_child_pugh_bilirubin;

typedef struct carm_child_pugh_options {
  carm_child_pugh_albumin albumin_table;
  carm_child_pugh_bilirubin bilirubin_table;
} carm_child_pugh_options;

#define CARM_CHILD_PUGH_OPTIONS_INIT                                                               \
  { CARM_CP_ALBUMIN_28_35, CARM_CP_BILIRUBIN_STANDARD }

typedef struct carm_child_pugh_result {
  int score;     /**< 5–15 */
  char cls;      /**< 'A' (5–6), 'B' (7–9), 'C' (10–15) */
  int points[5]; /**< bilirubin, albumin, INR, ascites, encephalopathy */
  carm_clinical_report report;
} carm_child_pugh_result;

/** Child–Pugh score and class. Bilirubin is scored with the table of the
 * unit it was reported in (the µmol/L and mg/dL tables of CLINICAL.md are
 * rounded conversions of each other and differ between 34 and 34.2 µmol/L).
 * Values exactly at a cut-off belong to the middle band. `options` NULL =
 * defaults. `*out` written only on success. */
carm_status carm_clinical_child_pugh(carm_child_pugh_result *out, const carm_child_pugh_input *in,
                                     const carm_child_pugh_options *options);

/* ---- MELD family -------------------------------------------------------- */

typedef enum carm_sex { CARM_SEX_UNSET = 0, CARM_SEX_FEMALE, CARM_SEX_MALE } carm_sex;

typedef struct carm_meld_input {
  carm_clinical_lab bilirubin;
  carm_clinical_lab inr;
  carm_clinical_lab creatinine;
  carm_clinical_lab sodium;    /**< MELD-Na and MELD 3.0 */
  carm_clinical_lab albumin;   /**< MELD 3.0 */
  carm_sex sex;                /**< MELD 3.0 */
  carm_clinical_flag dialysis; /**< dialysis twice in the last week or 24 h CVVHD */
} carm_meld_input;

typedef struct carm_meld_result {
  double meld_i; /**< unrounded linear predictor (for MELD 3.0: unrounded score) */
  int score;     /**< the integer score */
  carm_clinical_report report;
} carm_meld_result;

/** MELD (OPTN, before MELD 3.0): needs bilirubin, INR, creatinine,
 * dialysis. */
carm_status carm_clinical_meld(carm_meld_result *out, const carm_meld_input *in);

/** MELD-Na (OPTN 2016): MELD plus sodium. */
carm_status carm_clinical_meld_na(carm_meld_result *out, const carm_meld_input *in);

/** MELD 3.0 (Kim 2021, OPTN policy 9.1.D): needs every field.
 * `age_12_17` non-zero selects the form for candidates aged 12–17 (no
 * female term, constant 7.33); 0 the adult form. */
carm_status carm_clinical_meld3(carm_meld_result *out, const carm_meld_input *in, int age_12_17);

/* ---- ALBI --------------------------------------------------------------- */

typedef struct carm_albi_result {
  double score; /**< ALBI, unrounded */
  int grade;    /**< 1, 2, 3 */
  carm_clinical_report report;
} carm_albi_result;

/** ALBI score and grade (Johnson 2015). */
carm_status carm_clinical_albi(carm_albi_result *out, const carm_clinical_lab *bilirubin,
                               const carm_clinical_lab *albumin);

/* ---- tumour burden and transplant criteria ------------------------------ */

#define CARM_CLINICAL_MAX_NODULES 64

/** Tumour burden: nodule diameters (cm), invasion, spread, and for TTV/AFP
 * the volumes and AFP. */
typedef struct carm_tumour_burden {
  const double *sizes_cm;               /**< longest diameter of each nodule, cm, > 0 */
  int n_nodules;                        /**< 1 .. CARM_CLINICAL_MAX_NODULES */
  carm_clinical_flag vascular_invasion; /**< macrovascular (portal) invasion */
  carm_clinical_flag extrahepatic;      /**< extrahepatic spread */
  const double *volumes_cm3;            /**< TTV only; NULL: spheres from sizes_cm */
  carm_clinical_lab afp;                /**< TTV/AFP only */
} carm_tumour_burden;

typedef enum carm_criterion {
  CARM_CRITERION_MILAN = 0,
  CARM_CRITERION_UCSF,
  CARM_CRITERION_UP_TO_SEVEN,
  CARM_CRITERION_TTV_AFP
} carm_criterion;

typedef struct carm_criterion_result {
  int within; /**< 1 within the criterion, 0 beyond */
  int n_nodules;
  double largest_cm;
  double total_cm; /**< sum of diameters */
  double value;    /**< up-to-seven: largest + count; TTV: total volume cm³ */
  carm_clinical_report report;
} carm_criterion_result;

/** Name of a criterion ("milan", "ucsf", "up-to-seven", "ttv-afp"). */
const char *carm_clinical_criterion_name(carm_criterion criterion);

/** Evaluate one criterion. Milan, UCSF and up-to-seven need sizes,
 * vascular_invasion and extrahepatic (both exclude every criterion);
 * TTV/AFP needs sizes (or volumes) and AFP. */
carm_status carm_clinical_criterion(carm_criterion_result *out, carm_criterion criterion,
                                    const carm_tumour_burden *burden);

/* ---- BCLC 2022 ---------------------------------------------------------- */

typedef enum carm_bclc_pattern {
  CARM_PATTERN_UNSET = 0,
  CARM_PATTERN_WELL_DEFINED, /**< well-defined nodules, preserved portal flow, selective access */
  CARM_PATTERN_INFILTRATIVE  /**< diffuse / infiltrative / extensive bilobar */
} carm_bclc_pattern;

typedef struct carm_bclc_input {
  carm_tumour_burden burden;
  int ecog_ps;                          /**< 0–4; -1 = not given */
  carm_clinical_flag ps_cancer_related; /**< UNSET: taken as cancer-related (noted) */
  char child_pugh_class;                /**< 'A', 'B', 'C'; 0: compute from `liver` */
  carm_child_pugh_input liver;          /**< labs; bilirubin also for "normal bilirubin" */
  carm_clinical_flag portal_hypertension;
  carm_clinical_flag transplant_candidate;
  carm_bclc_pattern pattern; /**< stage B only; UNSET lists both TACE and systemic */
} carm_bclc_input;

#define CARM_BCLC_INPUT_INIT                                                                       \
  { .ecog_ps = -1 }

/** How Child–Pugh B counts: BCLC 2022 speaks of "preserved" and "end-stage"
 * liver function. Default: B is preserved (with a caution in the notes);
 * the strict option counts B as end-stage. C is always end-stage. */
typedef enum carm_bclc_child_pugh_b {
  CARM_BCLC_B_PRESERVED = 0,
  CARM_BCLC_B_END_STAGE = 1
} carm_bclc_child_pugh_b;

typedef struct carm_bclc_options {
  carm_bclc_child_pugh_b child_pugh_b;
  carm_criterion extended_criteria; /**< stage B transplant: default up-to-seven */
  double bilirubin_uln_mg_dl;       /**< "normal bilirubin" for resection: default 1.2 */
} carm_bclc_options;

#define CARM_BCLC_OPTIONS_INIT                                                                     \
  { CARM_BCLC_B_PRESERVED, CARM_CRITERION_UP_TO_SEVEN, 1.2 }

#define CARM_BCLC_MAX_OPTIONS 8

typedef struct carm_bclc_option {
  char name[64];    /**< "ablation", "resection", "systemic therapy", ... */
  char role[16];    /**< "recommended", "alternative", "conditional" */
  char reason[256]; /**< why, from the BCLC 2022 rule */
} carm_bclc_option;

typedef struct carm_bclc_result {
  char stage;              /**< '0', 'A', 'B', 'C', 'D' */
  char liver_function[16]; /**< "preserved" or "end-stage" */
  char child_pugh_class;   /**< used */
  int n_options;
  carm_bclc_option options[CARM_BCLC_MAX_OPTIONS];
  carm_clinical_report report;
} carm_bclc_result;

/** BCLC 2022 stage and recommended options with their reasons. Needs burden
 * (sizes, vascular_invasion, extrahepatic), ecog_ps, and the Child–Pugh
 * class or its five inputs; portal_hypertension, bilirubin and
 * transplant_candidate only on the branches that use them (the error says
 * which). `options` NULL = defaults. */
carm_status carm_clinical_bclc(carm_bclc_result *out, const carm_bclc_input *in,
                               const carm_bclc_options *options);

/* ---- response: RECIST 1.1 and mRECIST ----------------------------------- */

typedef struct carm_response_input {
  double baseline_mm; /**< sum of target diameters at baseline, > 0 */
  double nadir_mm;    /**< smallest sum so far (baseline included), 0 ≤ nadir ≤ baseline */
  double current_mm;  /**< sum now, ≥ 0 */
  carm_clinical_flag new_lesion;
  carm_clinical_flag enhancing; /**< mRECIST: any intratumoural arterial enhancement left */
  /** RECIST: every non-nodal target gone and every nodal target < 10 mm
   * short axis (carm_clinical_recist_sum gives it). UNSET: a current sum
   * of 0 mm means all gone. */
  carm_clinical_flag all_targets_gone;
} carm_response_input;

#define CARM_RESPONSE_INPUT_INIT                                                                   \
  { NAN, NAN, NAN, CARM_FLAG_UNSET, CARM_FLAG_UNSET, CARM_FLAG_UNSET }

/** One RECIST 1.1 target lesion. */
typedef struct carm_recist_lesion {
  double diameter_mm; /**< longest diameter; short axis for a lymph node */
  int is_node;        /**< 1: pathological lymph node */
  int organ;          /**< any organ identifier (at most 2 targets per organ) */
} carm_recist_lesion;

/** Sum of target diameters with the RECIST 1.1 target rules (Eisenhauer
 * 2009): 1–5 targets, at most 2 per organ; at baseline each non-nodal
 * target ≥ 10 mm and each nodal target ≥ 15 mm short axis (measurable).
 * At follow-up any diameter ≥ 0 is accepted. *all_gone (may be NULL) is
 * CARM_FLAG_YES when every non-nodal target is 0 mm and every nodal target
 * < 10 mm (the CR condition). */
carm_status carm_clinical_recist_sum(double *sum_mm, carm_clinical_flag *all_gone,
                                     const carm_recist_lesion *lesions, int n, int baseline);

typedef struct carm_response_result {
  char response[3];           /**< "CR", "PR", "SD", "PD" */
  double change_baseline_pct; /**< (current − baseline) / baseline · 100 */
  double change_nadir_pct;    /**< (current − nadir) / nadir · 100; NaN when nadir is 0 */
  double change_nadir_mm;
  carm_clinical_report report;
} carm_response_result;

/** RECIST 1.1 response from sums of diameters (Eisenhauer 2009). */
carm_status carm_clinical_recist(carm_response_result *out, const carm_response_input *in);

/** mRECIST response from sums of viable (enhancing) diameters (Lencioni &
 * Llovet 2010); needs `enhancing`. */
carm_status carm_clinical_mrecist(carm_response_result *out, const carm_response_input *in);

#ifdef __cplusplus
}
#endif

#endif
