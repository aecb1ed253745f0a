/* MELD, MELD-Na and MELD 3.0 vignettes, worked by hand from
 * ../shared/CLINICAL.md (OPTN policy 9.1.D; Kim 2021). ln values to 6
 * decimals: ln 1.2 = 0.182322, ln 1.45 = 0.371564, ln 1.55 = 0.438255,
 * ln 1.6 = 0.470004, ln 2.5 = 0.916291, ln 3 = 1.098612, ln 4 = 1.386294,
 * ln 10 = 2.302585. */
#include "clin_test.h"

static carm_meld_input meld_in(double bili_mg, double inr, double cr_mg, int dialysis) {
  carm_meld_input in;
  memset(&in, 0, sizeof in);
  in.bilirubin = L(bili_mg, MG);
  in.inr = L(inr, RATIO);
  in.creatinine = L(cr_mg, MG);
  in.dialysis = dialysis ? CARM_FLAG_YES : CARM_FLAG_NO;
  return in;
}

static int meld(carm_meld_input in) {
  carm_meld_result r;
  return carm_clinical_meld(&r, &in) == CARM_OK ? r.score : -1;
}

static int meld_na(carm_meld_input in, double na) {
  carm_meld_result r;
  in.sodium = L(na, MMOL);
  return carm_clinical_meld_na(&r, &in) == CARM_OK ? r.score : -1;
}

static int meld3(carm_meld_input in, double na, double alb_g_dl, carm_sex sex, int young) {
  carm_meld_result r;
  in.sodium = L(na, MMOL);
  in.albumin = L(alb_g_dl, GDL);
  in.sex = sex;
  return carm_clinical_meld3(&r, &in, young) == CARM_OK ? r.score : -1;
}

int main(void) {
  carm_meld_result r;

  /* ---- MELD ---- */
  /* All labs 1.0: MELD(i) = 0.643 → 0.6 → 6. */
  CHECK(meld(meld_in(1.0, 1.0, 1.0, 0)) == 6);
  /* Below 1.0 → 1.0: bili 0.5, INR 0.9, Cr 0.6 → same as all 1.0 → 6. */
  CHECK(meld(meld_in(0.5, 0.9, 0.6, 0)) == 6);
  /* bili 2.5, INR 1.6, Cr 1.2: 0.957·0.182322 + 0.378·0.916291 +
   * 1.120·0.470004 + 0.643 = 0.174482 + 0.346358 + 0.526404 + 0.643 =
   * 1.690244 → 1.7 → 17. */
  carm_meld_input v2 = meld_in(2.5, 1.6, 1.2, 0);
  CHECK(carm_clinical_meld(&r, &v2) == CARM_OK);
  CHECK(r.score == 17);
  CHECK_NEAR(r.meld_i, 1.690244, 1e-6);
  CHECK(strstr(r.report.driver, "inr") != NULL); /* INR term 5.26 is the largest */
  /* Same in SI: bili 2.5·17.1 = 42.75 µmol/L, Cr 1.2·88.4 = 106.08 µmol/L → 17. */
  carm_meld_input si = v2;
  si.bilirubin = L(42.75, UMOL);
  si.creatinine = L(106.08, UMOL);
  CHECK(meld(si) == 17);
  /* Cr 5.0 → capped at 4.0; bili 10, INR 3: 0.957·1.386294 + 0.378·2.302585
   * + 1.120·1.098612 + 0.643 = 1.326683 + 0.870377 + 1.230445 + 0.643 =
   * 4.070505 → 4.1 → 41 → capped at 40. */
  CHECK(meld(meld_in(10.0, 3.0, 5.0, 0)) == 40);
  /* Dialysis: Cr 1.0 counts as 4.0: 0.957·1.386294 + 0.643 = 1.969683 →
   * 2.0 → 20 (without dialysis: 6). Cr exactly 4.0 without dialysis: 20. */
  CHECK(meld(meld_in(1.0, 1.0, 1.0, 1)) == 20);
  CHECK(meld(meld_in(1.0, 1.0, 4.0, 0)) == 20);
  CHECK(meld(meld_in(1.0, 1.0, 4.5, 0)) == 20);

  /* ---- MELD-Na ---- */
  /* MELD(i) 17 > 11, Na 130: 17 + 1.32·7 − 0.033·17·7 = 17 + 9.24 − 3.927
   * = 22.313 → 22. */
  CHECK(meld_na(v2, 130.0) == 22);
  /* Na clamped: 120 → 125: 17 + 1.32·12 − 0.033·17·12 = 17 + 15.84 − 6.732
   * = 26.108 → 26; 140 → 137: 17. */
  CHECK(meld_na(v2, 120.0) == 26);
  CHECK(meld_na(v2, 125.0) == 26);
  CHECK(meld_na(v2, 140.0) == 17);
  CHECK(meld_na(v2, 137.0) == 17);
  /* Boundary MELD(i) = 11 (no sodium term): INR 1.45: 1.120·0.371564 +
   * 0.643 = 1.059151 → 1.1 → 11; INR 1.55: 1.120·0.438255 + 0.643 =
   * 1.133846 → 11. Both stay 11 even with Na 125. */
  CHECK(meld_na(meld_in(1.0, 1.45, 1.0, 0), 125.0) == 11);
  CHECK(meld_na(meld_in(1.0, 1.55, 1.0, 0), 125.0) == 11);
  /* MELD(i) = 12 (INR 1.6: 0.526404 + 0.643 = 1.169404 → 1.2 → 12) with
   * Na 125: 12 + 1.32·12 − 0.033·12·12 = 12 + 15.84 − 4.752 = 23.088 → 23. */
  CHECK(meld_na(meld_in(1.0, 1.6, 1.0, 0), 125.0) == 23);
  /* Cap: MELD(i) 41 (above) with Na 137 → 40. */
  CHECK(meld_na(meld_in(10.0, 3.0, 5.0, 0), 137.0) == 40);

  /* ---- MELD 3.0 ---- */
  /* Normal labs (bili 1, Na 137, INR 1, Cr 1, Alb 3.5): female 1.33 + 6 =
   * 7.33 → 7; male 6. */
  carm_meld_input n3 = meld_in(1.0, 1.0, 1.0, 0);
  CHECK(meld3(n3, 137.0, 3.5, CARM_SEX_FEMALE, 0) == 7);
  CHECK(meld3(n3, 137.0, 3.5, CARM_SEX_MALE, 0) == 6);
  /* Male, bili 2.5, INR 1.6, Cr 1.2, Na 130, Alb 2.8:
   *   4.56·0.916291 = 4.178287; 0.82·7 = 5.74; −0.24·7·0.916291 = −1.539369;
   *   9.09·0.470004 = 4.272336; 11.14·0.182322 = 2.031067; 1.85·0.7 = 1.295;
   *   −1.83·0.7·0.182322 = −0.233554; + 6 → 21.743767 → 22.
   * Female: + 1.33 = 23.07 → 23. Ages 12-17: no female term, 7.33 instead
   * of 6: 21.743767 − 6 + 7.33 = 23.07 → 23 whatever the sex. */
  CHECK(meld3(v2, 130.0, 2.8, CARM_SEX_MALE, 0) == 22);
  CHECK(meld3(v2, 130.0, 2.8, CARM_SEX_FEMALE, 0) == 23);
  CHECK(meld3(v2, 130.0, 2.8, CARM_SEX_MALE, 1) == 23);
  CHECK(meld3(v2, 130.0, 2.8, CARM_SEX_UNSET, 1) == 23); /* sex not needed for 12-17 */
  v2.sodium = L(130.0, MMOL);
  v2.albumin = L(28.0, GL); /* 28 g/L = 2.8 g/dL */
  v2.sex = CARM_SEX_MALE;
  CHECK(carm_clinical_meld3(&r, &v2, 0) == CARM_OK);
  CHECK(r.score == 22);
  CHECK_NEAR(r.meld_i, 21.743759, 1e-5);
  /* Clamps: bili 0.5 → 1, Cr 5 → 3, Na 120 → 125, Alb 1.0 → 1.5, INR 1,
   * male: 0.82·12 = 9.84; 11.14·1.098612 = 12.238538; 1.85·2.0 = 3.7;
   * −1.83·2.0·1.098612 = −4.020920; + 6 → 27.757618 → 28. Dialysis with Cr
   * 1.0 gives the same (Cr → 3.0). */
  CHECK(meld3(meld_in(0.5, 1.0, 5.0, 0), 120.0, 1.0, CARM_SEX_MALE, 0) == 28);
  CHECK(meld3(meld_in(0.5, 1.0, 1.0, 1), 120.0, 1.0, CARM_SEX_MALE, 0) == 28);
  /* Bound at 40: bili 30, INR 4, Cr 3, Na 125, Alb 1.5, female = 47.4 → 40. */
  CHECK(meld3(meld_in(30.0, 4.0, 3.0, 0), 125.0, 1.5, CARM_SEX_FEMALE, 0) == 40);

  /* ---- errors ---- */
  carm_meld_input e = meld_in(1.0, 1.0, 1.0, 0);
  e.dialysis = CARM_FLAG_UNSET;
  CHECK(carm_clinical_meld(&r, &e) == CARM_ERR_INVALID && detail_has("dialysis"));
  e = meld_in(1.0, 1.0, 1.0, 0);
  e.creatinine.unit = CARM_UNIT_NONE;
  CHECK(carm_clinical_meld(&r, &e) == CARM_ERR_INVALID && detail_has("creatinine"));
  CHECK(detail_has("meld:"));
  e = meld_in(1.0, 1.0, 1.0, 0);
  CHECK(carm_clinical_meld_na(&r, &e) == CARM_ERR_INVALID && detail_has("sodium"));
  e.sodium = L(130.0, MMOL);
  CHECK(carm_clinical_meld3(&r, &e, 0) == CARM_ERR_INVALID && detail_has("albumin"));
  e.albumin = L(3.0, GDL);
  CHECK(carm_clinical_meld3(&r, &e, 0) == CARM_ERR_INVALID && detail_has("sex"));
  e.sex = CARM_SEX_FEMALE;
  CHECK(carm_clinical_meld3(&r, &e, 0) == CARM_OK);
  e.sodium = L(30.0, MMOL); /* impossible */
  CHECK(carm_clinical_meld3(&r, &e, 0) == CARM_ERR_RANGE);
  e = meld_in(1.0, 1.0, 1.0, 0);
  e.creatinine = L(0.0, MG);
  CHECK(carm_clinical_meld(&r, &e) == CARM_ERR_RANGE);
  e.creatinine = L(1.0, GDL); /* wrong unit */
  CHECK(carm_clinical_meld(&r, &e) == CARM_ERR_INVALID);
  CHECK(carm_clinical_meld(NULL, &e) == CARM_ERR_INVALID);
  CHECK(carm_clinical_meld(&r, NULL) == CARM_ERR_INVALID);
  return check_done();
}
