/* MELD, MELD-Na and MELD 3.0.
 *
 * MELD and MELD-Na: OPTN/UNOS policy 9.1.D as in force before MELD 3.0
 * (MELD-Na from January 2016; Kim WR et al., N Engl J Med 2008;359:1018 for
 * the sodium term), as given in ../shared/CLINICAL.md:
 *   every lab value < 1.0 is set to 1.0; creatinine > 4.0, or dialysis twice
 *   in the last week, or 24 h of CVVHD → creatinine = 4.0;
 *   MELD(i) = 0.957·ln(Cr) + 0.378·ln(bili) + 1.120·ln(INR) + 0.643,
 *   rounded to the tenth, × 10; capped at 40;
 *   if MELD(i) > 11: MELD-Na = MELD(i) + 1.32·(137 − Na)
 *                              − 0.033·MELD(i)·(137 − Na), Na in 125–137.
 *   carm rounds MELD-Na to the nearest integer (halves away from zero) and
 *   applies the cap of 40 to the final score.
 *
 * MELD 3.0: Kim WR et al., Gastroenterology 2021;161:1887–1895; OPTN policy
 * 9.1.D (2023), adult form:
 *   1.33·(female) + 4.56·ln(bili) + 0.82·(137 − Na) − 0.24·(137 − Na)·ln(bili)
 *   + 9.09·ln(INR) + 11.14·ln(Cr) + 1.85·(3.5 − Alb) − 1.83·(3.5 − Alb)·ln(Cr)
 *   + 6, rounded to an integer; bili, INR ≥ 1; Cr 1.0–3.0 (dialysis → 3.0);
 *   Na 125–137 mmol/L; albumin 1.5–3.5 g/dL; bounded 6–40. Ages 12–17: no
 *   female term, constant 7.33. */
#include "clinical/internal.h"

#include <math.h>
#include <string.h>

static const char meld_rule[] = "MELD (OPTN policy 9.1.D before MELD 3.0), carm rule v1";
static const char meld_na_rule[] = "MELD-Na (OPTN policy 9.1.D, 2016), carm rule v1";
static const char meld_source[] =
    "OPTN/UNOS policy 9.1.D; Kim WR et al. N Engl J Med 2008;359:1018-1026; "
    "../shared/CLINICAL.md";
static const char meld3_rule[] = "MELD 3.0 (adult form, OPTN policy 9.1.D 2023), carm rule v1";
static const char meld3_rule_young[] = "MELD 3.0 (ages 12-17 form, OPTN policy 9.1.D 2023), "
                                       "carm rule v1";
static const char meld3_source[] =
    "Kim WR et al. Gastroenterology 2021;161:1887-1895; OPTN policy 9.1.D (2023); "
    "../shared/CLINICAL.md";

/* Clamp to [lo, hi] and note the clamp. */
static double clamp_note(carm_clinical_report *rep, const char *name, double v, double lo,
                         double hi, const char *unit) {
  if (v < lo) {
    clin_note(rep, "%s %.4g %s raised to %.4g", name, v, unit, lo);
    return lo;
  }
  if (v > hi) {
    clin_note(rep, "%s %.4g %s lowered to %.4g", name, v, unit, hi);
    return hi;
  }
  return v;
}

/* Name of the largest positive term among the first n terms, or NULL. */
static const carm_clinical_term *largest_term(const carm_clinical_report *rep, int n) {
  const carm_clinical_term *best = NULL;
  for (int i = 0; i < n && i < rep->n_terms; i++) {
    const carm_clinical_term *t = &rep->terms[i];
    if (isfinite(t->points) && t->points > 1e-12 && (best == NULL || t->points > best->points)) {
      best = t;
    }
  }
  return best;
}

static carm_status need_common(const char *calc, const carm_meld_input *in) {
  if (in == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL input", calc);
  }
  carm_status st = clin_need_lab(calc, CARM_LAB_BILIRUBIN, &in->bilirubin);
  if (st == CARM_OK) {
    st = clin_need_lab(calc, CARM_LAB_INR, &in->inr);
  }
  if (st == CARM_OK) {
    st = clin_need_lab(calc, CARM_LAB_CREATININE, &in->creatinine);
  }
  if (st == CARM_OK) {
    st = clin_need_flag(in->dialysis, calc, "dialysis");
  }
  return st;
}

/* The MELD core shared by MELD and MELD-Na: fills the report's first three
 * terms (bilirubin, inr, creatinine, contributions × 10) and returns the
 * unrounded MELD(i) through *meld_i and the rounded, uncapped score × 10. */
static double meld_core(carm_clinical_report *rep, const carm_meld_input *in, double *meld_i) {
  double bili = 0.0;
  double cr = 0.0;
  (void)carm_clinical_lab_convert(&bili, CARM_LAB_BILIRUBIN, &in->bilirubin, CARM_UNIT_MG_DL);
  (void)carm_clinical_lab_convert(&cr, CARM_LAB_CREATININE, &in->creatinine, CARM_UNIT_MG_DL);
  double inr = in->inr.value;
  double b = clamp_note(rep, "bilirubin", bili, 1.0, INFINITY, "mg/dL");
  double i = clamp_note(rep, "inr", inr, 1.0, INFINITY, "");
  double c;
  if (in->dialysis == CARM_FLAG_YES) {
    c = 4.0;
    clin_note(rep, "dialysis: creatinine set to 4.0 mg/dL");
  } else {
    c = clamp_note(rep, "creatinine", cr, 1.0, 4.0, "mg/dL");
  }
  double tb = 0.378 * log(b);
  double ti = 1.120 * log(i);
  double tc = 0.957 * log(c);
  clin_term_lab(rep, "bilirubin", &in->bilirubin, b, CARM_UNIT_MG_DL, 10.0 * tb);
  clin_term_lab(rep, "inr", &in->inr, i, CARM_UNIT_RATIO, 10.0 * ti);
  clin_term_lab(rep, "creatinine", &in->creatinine, c, CARM_UNIT_MG_DL, 10.0 * tc);
  double m = tc + tb + ti + 0.643;
  *meld_i = m;
  /* "round to the tenth, × 10": round(m · 10) / 10 · 10 = round(m · 10). */
  return round(m * 10.0);
}

static void meld_driver(carm_clinical_report *rep, int n_terms, int score) {
  const carm_clinical_term *t = largest_term(rep, n_terms);
  if (t == NULL) {
    clin_driver(rep, "no lab above its floor: score %d is the constant term", score);
  } else {
    clin_driver(rep, "%s (+%.1f points; score %d)", t->name, t->points, score);
  }
}

carm_status carm_clinical_meld(carm_meld_result *out, const carm_meld_input *in) {
  static const char calc[] = "meld";
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  carm_status st = need_common(calc, in);
  if (st != CARM_OK) {
    return st;
  }
  carm_meld_result r;
  memset(&r, 0, sizeof r);
  clin_report_init(&r.report, meld_rule, meld_source);
  double score = meld_core(&r.report, in, &r.meld_i);
  if (score > 40.0) {
    clin_note(&r.report, "score %.0f capped at 40", score);
    score = 40.0;
  }
  r.score = (int)score;
  clin_term_add(&r.report, "constant", 0.643, NULL, 0.643, NULL, NULL, 6.43);
  meld_driver(&r.report, 3, r.score);
  *out = r;
  return CARM_OK;
}

carm_status carm_clinical_meld_na(carm_meld_result *out, const carm_meld_input *in) {
  static const char calc[] = "meld-na";
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  carm_status st = need_common(calc, in);
  if (st == CARM_OK) {
    st = clin_need_lab(calc, CARM_LAB_SODIUM, &in->sodium);
  }
  if (st != CARM_OK) {
    return st;
  }
  carm_meld_result r;
  memset(&r, 0, sizeof r);
  clin_report_init(&r.report, meld_na_rule, meld_source);
  double m = meld_core(&r.report, in, &r.meld_i);
  double na = clamp_note(&r.report, "sodium", in->sodium.value, 125.0, 137.0, "mmol/L");
  double score = m;
  if (m > 11.0) {
    score = round(m + 1.32 * (137.0 - na) - 0.033 * m * (137.0 - na));
  } else {
    clin_note(&r.report, "MELD(i) %.0f <= 11: no sodium adjustment", m);
  }
  clin_term_lab(&r.report, "sodium", &in->sodium, na, CARM_UNIT_MMOL_L, score - m);
  if (score > 40.0) {
    clin_note(&r.report, "score %.0f capped at 40", score);
    score = 40.0;
  }
  r.score = (int)score;
  clin_term_add(&r.report, "constant", 0.643, NULL, 0.643, NULL, NULL, 6.43);
  meld_driver(&r.report, 4, r.score);
  *out = r;
  return CARM_OK;
}

carm_status carm_clinical_meld3(carm_meld_result *out, const carm_meld_input *in, int age_12_17) {
  static const char calc[] = "meld3";
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  carm_status st = need_common(calc, in);
  if (st == CARM_OK) {
    st = clin_need_lab(calc, CARM_LAB_SODIUM, &in->sodium);
  }
  if (st == CARM_OK) {
    st = clin_need_lab(calc, CARM_LAB_ALBUMIN, &in->albumin);
  }
  if (st == CARM_OK && !age_12_17 && in->sex != CARM_SEX_FEMALE && in->sex != CARM_SEX_MALE) {
    st = carm_error(CARM_ERR_INVALID, "%s: missing input sex (female or male)", calc);
  }
  if (st != CARM_OK) {
    return st;
  }
  carm_meld_result r;
  memset(&r, 0, sizeof r);
  carm_clinical_report *rep = &r.report;
  clin_report_init(rep, age_12_17 ? meld3_rule_young : meld3_rule, meld3_source);

  double bili = 0.0;
  double cr = 0.0;
  double alb = 0.0;
  (void)carm_clinical_lab_convert(&bili, CARM_LAB_BILIRUBIN, &in->bilirubin, CARM_UNIT_MG_DL);
  (void)carm_clinical_lab_convert(&cr, CARM_LAB_CREATININE, &in->creatinine, CARM_UNIT_MG_DL);
  (void)carm_clinical_lab_convert(&alb, CARM_LAB_ALBUMIN, &in->albumin, CARM_UNIT_G_DL);
  double b = clamp_note(rep, "bilirubin", bili, 1.0, INFINITY, "mg/dL");
  double i = clamp_note(rep, "inr", in->inr.value, 1.0, INFINITY, "");
  double c;
  if (in->dialysis == CARM_FLAG_YES) {
    c = 3.0;
    clin_note(rep, "dialysis: creatinine set to 3.0 mg/dL");
  } else {
    c = clamp_note(rep, "creatinine", cr, 1.0, 3.0, "mg/dL");
  }
  double na = clamp_note(rep, "sodium", in->sodium.value, 125.0, 137.0, "mmol/L");
  double a = clamp_note(rep, "albumin", alb, 1.5, 3.5, "g/dL");

  double female = (!age_12_17 && in->sex == CARM_SEX_FEMALE) ? 1.0 : 0.0;
  double t_f = 1.33 * female;
  double t_b = 4.56 * log(b);
  double t_na = 0.82 * (137.0 - na);
  double t_nab = -0.24 * (137.0 - na) * log(b);
  double t_i = 9.09 * log(i);
  double t_c = 11.14 * log(c);
  double t_a = 1.85 * (3.5 - a);
  double t_ac = -1.83 * (3.5 - a) * log(c);
  double k = age_12_17 ? 7.33 : 6.0;

  clin_term_lab(rep, "bilirubin", &in->bilirubin, b, CARM_UNIT_MG_DL, t_b);
  clin_term_lab(rep, "inr", &in->inr, i, CARM_UNIT_RATIO, t_i);
  clin_term_lab(rep, "creatinine", &in->creatinine, c, CARM_UNIT_MG_DL, t_c);
  clin_term_lab(rep, "sodium", &in->sodium, na, CARM_UNIT_MMOL_L, t_na);
  clin_term_lab(rep, "albumin", &in->albumin, a, CARM_UNIT_G_DL, t_a);
  clin_term_add(rep, "sex", NAN, NULL, female, NULL,
                age_12_17                    ? "not used (ages 12-17)"
                : in->sex == CARM_SEX_FEMALE ? "female"
                                             : "male",
                t_f);
  clin_term_add(rep, "sodium x bilirubin", NAN, NULL, NAN, NULL, NULL, t_nab);
  clin_term_add(rep, "albumin x creatinine", NAN, NULL, NAN, NULL, NULL, t_ac);
  clin_term_add(rep, "constant", k, NULL, k, NULL, NULL, k);

  double s = t_f + t_b + t_na + t_nab + t_i + t_c + t_a + t_ac + k;
  r.meld_i = s;
  double score = round(s);
  if (score < 6.0) {
    clin_note(rep, "score %.0f raised to 6", score);
    score = 6.0;
  }
  if (score > 40.0) {
    clin_note(rep, "score %.0f capped at 40", score);
    score = 40.0;
  }
  r.score = (int)score;
  meld_driver(rep, 6, r.score);
  *out = r;
  return CARM_OK;
}
