/* ALBI vignettes (Johnson 2015 via ../shared/CLINICAL.md) and the lab-unit
 * parsing and conversion. log10 17.1 = 1.232996, log10 50 = 1.698970. */
#include "clin_test.h"

static int grade(double bili_umol, double alb_g_l) {
  carm_albi_result r;
  carm_clinical_lab b = L(bili_umol, UMOL);
  carm_clinical_lab a = L(alb_g_l, GL);
  return carm_clinical_albi(&r, &b, &a) == CARM_OK ? r.grade : -1;
}

int main(void) {
  carm_albi_result r;

  /* bili 17.1 µmol/L, alb 40 g/L: 0.66·1.232996 − 0.085·40 = 0.813777 − 3.4
   * = −2.586223 > −2.60 → grade 2 (just). */
  carm_clinical_lab b = L(17.1, UMOL);
  carm_clinical_lab a = L(40.0, GL);
  CHECK(carm_clinical_albi(&r, &b, &a) == CARM_OK);
  CHECK_NEAR(r.score, -2.586223, 1e-6);
  CHECK(r.grade == 2);
  /* Same in conventional units: 1.0 mg/dL (= 17.1 µmol/L), 4.0 g/dL. */
  carm_clinical_lab b2 = L(1.0, MG);
  carm_clinical_lab a2 = L(4.0, GDL);
  CHECK(carm_clinical_albi(&r, &b2, &a2) == CARM_OK);
  CHECK_NEAR(r.score, -2.586223, 1e-6);
  CHECK_NEAR(r.report.terms[0].used, 17.1, 1e-12);
  CHECK_NEAR(r.report.terms[1].used, 40.0, 1e-12);
  /* bili 10, alb 45: 0.66·1 − 3.825 = −3.165 → grade 1; driver: none worse
   * than the reference. */
  b = L(10.0, UMOL);
  a = L(45.0, GL);
  CHECK(carm_clinical_albi(&r, &b, &a) == CARM_OK);
  CHECK_NEAR(r.score, -3.165, 1e-9);
  CHECK(r.grade == 1);
  CHECK(strstr(r.report.driver, "neither") != NULL);
  /* bili 50, alb 25: 0.66·1.698970 − 2.125 = 1.121320 − 2.125 = −1.003680
   * → grade 3; albumin drove it (+1.70 vs 45 g/L, bilirubin +0.46). */
  b = L(50.0, UMOL);
  a = L(25.0, GL);
  CHECK(carm_clinical_albi(&r, &b, &a) == CARM_OK);
  CHECK_NEAR(r.score, -1.003680, 1e-6);
  CHECK(r.grade == 3);
  CHECK(strncmp(r.report.driver, "albumin", 7) == 0);
  /* Cut-offs are inclusive for the better grade: with bili 10 µmol/L
   * (term 0.66), ALBI = −2.60 exactly at alb = 3.26/0.085 g/L → grade 1;
   * 0.01 g/L less → grade 2. −1.39 at alb = 2.05/0.085 → grade 2; 0.01
   * g/L less → grade 3. */
  CHECK(grade(10.0, 3.26 / 0.085) == 1);
  CHECK(grade(10.0, 3.26 / 0.085 - 0.01) == 2);
  CHECK(grade(10.0, 2.05 / 0.085) == 2);
  CHECK(grade(10.0, 2.05 / 0.085 - 0.01) == 3);
  /* Errors. */
  CHECK(carm_clinical_albi(&r, NULL, &a) == CARM_ERR_INVALID && detail_has("bilirubin"));
  carm_clinical_lab none = {0.0, CARM_UNIT_NONE};
  CHECK(carm_clinical_albi(&r, &b, &none) == CARM_ERR_INVALID && detail_has("albumin"));

  /* ---- units ---- */
  carm_clinical_lab lab;
  double v = 0.0;
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "2.5mg/dL") == CARM_OK);
  CHECK(lab.unit == MG && lab.value == 2.5);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "43umol/L") == CARM_OK);
  CHECK(lab.unit == UMOL && lab.value == 43.0);
  /* 43 µmol/L / 17.1 = 2.514620 mg/dL. */
  CHECK(carm_clinical_lab_convert(&v, CARM_LAB_BILIRUBIN, &lab, MG) == CARM_OK);
  CHECK_NEAR(v, 2.514620, 1e-6);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "43 \xC2\xB5mol/L") == CARM_OK);
  CHECK(lab.unit == UMOL);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_ALBUMIN, "30g/L") == CARM_OK);
  CHECK(carm_clinical_lab_convert(&v, CARM_LAB_ALBUMIN, &lab, GDL) == CARM_OK);
  CHECK_NEAR(v, 3.0, 1e-12);                                                    /* 30 g/L / 10 */
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_ALBUMIN, "3.5G/DL") == CARM_OK); /* any case */
  CHECK(carm_clinical_lab_convert(&v, CARM_LAB_ALBUMIN, &lab, GL) == CARM_OK);
  CHECK_NEAR(v, 35.0, 1e-12);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_CREATININE, "1.2mg/dL") == CARM_OK);
  CHECK(carm_clinical_lab_convert(&v, CARM_LAB_CREATININE, &lab, UMOL) == CARM_OK);
  CHECK_NEAR(v, 106.08, 1e-9); /* 1.2 · 88.4 */
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_SODIUM, "130mmol/L") == CARM_OK);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_SODIUM, "130mEq/L") == CARM_OK);
  CHECK(lab.unit == MMOL && lab.value == 130.0);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_INR, "1.4") == CARM_OK);
  CHECK(lab.unit == RATIO);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_AFP, "250ng/mL") == CARM_OK);
  /* Refused: no unit, wrong unit for the analyte, garbage, impossible. */
  lab = L(-7.0, MG);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "2.5") == CARM_ERR_INVALID);
  CHECK(detail_has("unit is required"));
  CHECK(lab.value == -7.0); /* untouched on failure */
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "2.5g/L") == CARM_ERR_INVALID);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_ALBUMIN, "30mg/dL") == CARM_ERR_INVALID);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_SODIUM, "130") == CARM_ERR_INVALID);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_INR, "1.4mg/dL") == CARM_ERR_INVALID);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "abc") == CARM_ERR_INVALID);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "") == CARM_ERR_INVALID);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "nanmg/dL") == CARM_ERR_INVALID);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "0mg/dL") == CARM_ERR_RANGE);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "150mg/dL") == CARM_ERR_RANGE);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_BILIRUBIN, "2000umol/L") == CARM_ERR_RANGE);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_ALBUMIN, "120g/L") == CARM_ERR_RANGE);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_SODIUM, "250mmol/L") == CARM_ERR_RANGE);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_INR, "-1") == CARM_ERR_RANGE);
  CHECK(carm_clinical_lab_parse(&lab, CARM_LAB_AFP, "-5ng/mL") == CARM_ERR_RANGE);
  lab = L(1.0, MG);
  CHECK(carm_clinical_lab_convert(&v, CARM_LAB_BILIRUBIN, &lab, GL) == CARM_ERR_INVALID);
  return check_done();
}
