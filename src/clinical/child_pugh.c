/* Child–Pugh score and class.
 *
 * Source: Pugh RNH, Murray-Lyon IM, Dawson JL, Pietroni MC, Williams R.
 * Transection of the oesophagus for bleeding oesophageal varices. Br J Surg
 * 1973;60:646–649 (Child–Turcotte classification with points), INR in place
 * of the prothrombin time as in current practice; tables as given in
 * ../shared/CLINICAL.md "Child–Pugh":
 *   bilirubin  < 2 mg/dL (< 34 µmol/L) | 2–3 (34–51) | > 3 (> 51)
 *   albumin    > 3.5 g/dL | 2.8–3.5 | < 2.8       (option: 3.0–3.5 | < 3.0)
 *   INR        < 1.7 | 1.7–2.3 | > 2.3
 *   ascites    none | mild (controlled) | moderate–severe
 *   encephalopathy none | grade 1–2 | grade 3–4
 *   class A 5–6, B 7–9, C 10–15.
 * Cholestatic option (PBC/PSC): bilirubin < 68 | 68–171 | > 171 µmol/L,
 * i.e. < 4 | 4–10 | > 10 mg/dL (CLINICAL.md). Values exactly on a cut-off
 * belong to the middle band ("2–3" includes 2 and 3). */
#include "clinical/internal.h"

#include <stdio.h>
#include <string.h>

static const char cp_rule[] = "Child-Pugh (Pugh 1973, INR variant), carm rule v1";
static const char cp_source[] = "Pugh RNH et al. Br J Surg 1973;60:646-649; ../shared/CLINICAL.md";

/* 1 below lo, 2 from lo to hi inclusive, 3 above hi. */
static int band_rising(double v, double lo, double hi) {
  if (clin_cmp(v, lo) < 0) {
    return 1;
  }
  if (clin_cmp(v, hi) > 0) {
    return 3;
  }
  return 2;
}

/* Albumin: 1 above hi, 2 from lo to hi inclusive, 3 below lo. */
static int band_falling(double v, double lo, double hi) {
  if (clin_cmp(v, hi) > 0) {
    return 1;
  }
  if (clin_cmp(v, lo) < 0) {
    return 3;
  }
  return 2;
}

static const char *ascites_name(carm_ascites a) {
  switch (a) {
  case CARM_ASCITES_NONE: return "none";
  case CARM_ASCITES_MILD: return "mild";
  case CARM_ASCITES_MODERATE: return "moderate";
  case CARM_ASCITES_UNSET: break;
  }
  return "";
}

static const char *he_name(carm_encephalopathy e) {
  switch (e) {
  case CARM_HE_NONE: return "none";
  case CARM_HE_GRADE_1_2: return "grade1-2";
  case CARM_HE_GRADE_3_4: return "grade3-4";
  case CARM_HE_UNSET: break;
  }
  return "";
}

carm_status carm_clinical_child_pugh(carm_child_pugh_result *out, const carm_child_pugh_input *in,
                                     const carm_child_pugh_options *options) {
  static const char calc[] = "child-pugh";
  if (out == NULL || in == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  carm_child_pugh_options opt = CARM_CHILD_PUGH_OPTIONS_INIT;
  if (options != NULL) {
    opt = *options;
  }
  if (opt.albumin_table != CARM_CP_ALBUMIN_28_35 && opt.albumin_table != CARM_CP_ALBUMIN_30_35) {
    return carm_error(CARM_ERR_INVALID, "%s: unknown albumin table option", calc);
  }
  if (opt.bilirubin_table != CARM_CP_BILIRUBIN_STANDARD &&
      opt.bilirubin_table != CARM_CP_BILIRUBIN_CHOLESTATIC) {
    return carm_error(CARM_ERR_INVALID, "%s: unknown bilirubin table option", calc);
  }
  carm_status st = clin_need_lab(calc, CARM_LAB_BILIRUBIN, &in->bilirubin);
  if (st == CARM_OK) {
    st = clin_need_lab(calc, CARM_LAB_ALBUMIN, &in->albumin);
  }
  if (st == CARM_OK) {
    st = clin_need_lab(calc, CARM_LAB_INR, &in->inr);
  }
  if (st != CARM_OK) {
    return st;
  }
  if (in->ascites < CARM_ASCITES_NONE || in->ascites > CARM_ASCITES_MODERATE) {
    return carm_error(CARM_ERR_INVALID, "%s: missing input ascites (none, mild or moderate)", calc);
  }
  if (in->encephalopathy < CARM_HE_NONE || in->encephalopathy > CARM_HE_GRADE_3_4) {
    return carm_error(CARM_ERR_INVALID,
                      "%s: missing input encephalopathy (none, grade1-2 or grade3-4)", calc);
  }

  carm_child_pugh_result r;
  memset(&r, 0, sizeof r);
  clin_report_init(&r.report, cp_rule, cp_source);

  /* Bilirubin: scored in the unit it was reported in (see clinical.h). */
  double bili_used = in->bilirubin.value;
  carm_clinical_unit bili_unit = in->bilirubin.unit;
  int cholestatic = opt.bilirubin_table == CARM_CP_BILIRUBIN_CHOLESTATIC;
  if (bili_unit == CARM_UNIT_UMOL_L) {
    r.points[0] =
        cholestatic ? band_rising(bili_used, 68.0, 171.0) : band_rising(bili_used, 34.0, 51.0);
  } else {
    r.points[0] =
        cholestatic ? band_rising(bili_used, 4.0, 10.0) : band_rising(bili_used, 2.0, 3.0);
  }

  double alb_g_dl = 0.0;
  (void)carm_clinical_lab_convert(&alb_g_dl, CARM_LAB_ALBUMIN, &in->albumin, CARM_UNIT_G_DL);
  double alb_lo = opt.albumin_table == CARM_CP_ALBUMIN_30_35 ? 3.0 : 2.8;
  r.points[1] = band_falling(alb_g_dl, alb_lo, 3.5);

  r.points[2] = band_rising(in->inr.value, 1.7, 2.3);

  r.points[3] = in->ascites == CARM_ASCITES_NONE ? 1 : in->ascites == CARM_ASCITES_MILD ? 2 : 3;
  r.points[4] = in->encephalopathy == CARM_HE_NONE        ? 1
                : in->encephalopathy == CARM_HE_GRADE_1_2 ? 2
                                                          : 3;

  clin_term_lab(&r.report, "bilirubin", &in->bilirubin, bili_used, bili_unit, r.points[0]);
  clin_term_lab(&r.report, "albumin", &in->albumin, alb_g_dl, CARM_UNIT_G_DL, r.points[1]);
  clin_term_lab(&r.report, "inr", &in->inr, in->inr.value, CARM_UNIT_RATIO, r.points[2]);
  clin_term_add(&r.report, "ascites", NAN, NULL, NAN, NULL, ascites_name(in->ascites), r.points[3]);
  clin_term_add(&r.report, "encephalopathy", NAN, NULL, NAN, NULL, he_name(in->encephalopathy),
                r.points[4]);

  r.score = r.points[0] + r.points[1] + r.points[2] + r.points[3] + r.points[4];
  r.cls = r.score <= 6 ? 'A' : r.score <= 9 ? 'B' : 'C';

  int worst = 1;
  for (int i = 0; i < 5; i++) {
    worst = r.points[i] > worst ? r.points[i] : worst;
  }
  if (worst == 1) {
    clin_driver(&r.report, "no parameter above 1 point (score %d, class %c)", r.score, r.cls);
  } else {
    char list[160] = "";
    for (int i = 0; i < 5; i++) {
      if (r.points[i] == worst) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", len > 0 ? ", " : "",
                 r.report.terms[i].name);
      }
    }
    clin_driver(&r.report, "%s (%d points each; score %d, class %c)", list, worst, r.score, r.cls);
  }
  clin_note(&r.report, "bilirubin table %s in %s", cholestatic ? "cholestatic" : "standard",
            carm_clinical_unit_name(bili_unit));
  clin_note(&r.report, "albumin cut-offs %.1f/3.5 g/dL", alb_lo);
  *out = r;
  return CARM_OK;
}
