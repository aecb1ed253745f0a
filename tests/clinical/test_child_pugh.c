/* Child–Pugh vignettes, worked by hand from ../shared/CLINICAL.md
 * (Pugh 1973 table): bilirubin < 2 | 2–3 | > 3 mg/dL (< 34 | 34–51 | > 51
 * µmol/L); albumin > 3.5 | 2.8–3.5 | < 2.8 g/dL; INR < 1.7 | 1.7–2.3 | > 2.3;
 * class A 5–6, B 7–9, C 10–15. Cut-off values belong to the middle band. */
#include "clin_test.h"

static carm_child_pugh_input base(void) {
  /* A normal liver: every parameter 1 point, score 5. */
  carm_child_pugh_input in = {L(1.0, MG), L(4.0, GDL), L(1.0, RATIO), CARM_ASCITES_NONE,
                              CARM_HE_NONE};
  return in;
}

/* Points of parameter `idx` for the input. */
static int pts(const carm_child_pugh_input *in, const carm_child_pugh_options *opt, int idx) {
  carm_child_pugh_result r;
  if (carm_clinical_child_pugh(&r, in, opt) != CARM_OK) {
    return -1;
  }
  return r.points[idx];
}

static int bili_pts(double v, carm_clinical_unit u, const carm_child_pugh_options *opt) {
  carm_child_pugh_input in = base();
  in.bilirubin = L(v, u);
  return pts(&in, opt, 0);
}

static int alb_pts(double v, carm_clinical_unit u, const carm_child_pugh_options *opt) {
  carm_child_pugh_input in = base();
  in.albumin = L(v, u);
  return pts(&in, opt, 1);
}

static int inr_pts(double v) {
  carm_child_pugh_input in = base();
  in.inr = L(v, RATIO);
  return pts(&in, NULL, 2);
}

int main(void) {
  carm_child_pugh_result r;

  /* Vignette 1: compensated cirrhosis. bili 1.0 mg/dL (<2: 1) + alb 4.0 g/dL
   * (>3.5: 1) + INR 1.0 (<1.7: 1) + no ascites (1) + no HE (1) = 5 → A. */
  carm_child_pugh_input in = base();
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_OK);
  CHECK(r.score == 5);
  CHECK(r.cls == 'A');
  CHECK(strstr(r.report.driver, "no parameter above 1 point") != NULL);
  CHECK(r.report.n_terms == 5);
  CHECK(strstr(r.report.rule, "Child-Pugh") != NULL);

  /* Vignette 2 (SI units): bili 43 µmol/L (34–51: 2) + alb 30 g/L = 3.0
   * g/dL (2.8–3.5: 2) + INR 1.5 (<1.7: 1) + mild ascites (2) + no HE (1)
   * = 8 → B; drivers are the three 2-point parameters. */
  in = base();
  in.bilirubin = L(43.0, UMOL);
  in.albumin = L(30.0, GL);
  in.inr = L(1.5, RATIO);
  in.ascites = CARM_ASCITES_MILD;
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_OK);
  CHECK(r.score == 8);
  CHECK(r.cls == 'B');
  CHECK_NEAR(r.report.terms[1].used, 3.0, 1e-12); /* 30 g/L / 10 = 3.0 g/dL */
  CHECK(strstr(r.report.driver, "bilirubin, albumin, ascites") != NULL);

  /* Vignette 3: decompensated. bili 5 mg/dL (>3: 3) + alb 2.0 (<2.8: 3) +
   * INR 3.0 (>2.3: 3) + moderate ascites (3) + HE grade 3-4 (3) = 15 → C. */
  in.bilirubin = L(5.0, MG);
  in.albumin = L(2.0, GDL);
  in.inr = L(3.0, RATIO);
  in.ascites = CARM_ASCITES_MODERATE;
  in.encephalopathy = CARM_HE_GRADE_3_4;
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_OK);
  CHECK(r.score == 15);
  CHECK(r.cls == 'C');

  /* Class boundaries: 6 → A, 7 → B, 9 → B, 10 → C.
   * 6 = base + HE grade 1-2 (2). 7 = + mild ascites (2). 9 = + INR 2.0 (2)
   * + bili 2.5 (2): 2+1+2+2+2 = 9. 10 = + albumin 3.0 (2): 2+2+2+2+2. */
  in = base();
  in.encephalopathy = CARM_HE_GRADE_1_2;
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_OK && r.score == 6 && r.cls == 'A');
  in.ascites = CARM_ASCITES_MILD;
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_OK && r.score == 7 && r.cls == 'B');
  in.inr = L(2.0, RATIO);
  in.bilirubin = L(2.5, MG);
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_OK && r.score == 9 && r.cls == 'B');
  in.albumin = L(3.0, GDL);
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_OK && r.score == 10 && r.cls == 'C');

  /* Bilirubin cut-offs, mg/dL table: 1.99 → 1; 2.0 → 2 (2–3 inclusive);
   * 3.0 → 2; 3.01 → 3. */
  CHECK(bili_pts(1.99, MG, NULL) == 1);
  CHECK(bili_pts(2.0, MG, NULL) == 2);
  CHECK(bili_pts(3.0, MG, NULL) == 2);
  CHECK(bili_pts(3.01, MG, NULL) == 3);
  /* µmol/L table: 33.9 → 1; 34 → 2; 51 → 2; 51.1 → 3. Note 34 µmol/L is
   * 34 / 17.1 = 1.988 mg/dL, which the mg/dL table would score 1: carm
   * scores in the reported unit, as the source gives both tables. */
  CHECK(bili_pts(33.9, UMOL, NULL) == 1);
  CHECK(bili_pts(34.0, UMOL, NULL) == 2);
  CHECK(bili_pts(51.0, UMOL, NULL) == 2);
  CHECK(bili_pts(51.1, UMOL, NULL) == 3);
  /* Same patient either unit away from the cut-offs: 2.5 mg/dL = 42.75
   * µmol/L → 2; 5 mg/dL = 85.5 µmol/L → 3. */
  CHECK(bili_pts(42.75, UMOL, NULL) == bili_pts(2.5, MG, NULL));
  CHECK(bili_pts(85.5, UMOL, NULL) == 3);

  /* Cholestatic option: < 68 | 68–171 | > 171 µmol/L (< 4 | 4–10 | > 10
   * mg/dL). 67 → 1, 68 → 2, 171 → 2, 172 → 3; 3.9 mg/dL → 1, 4.0 → 2,
   * 10.0 → 2, 10.1 → 3. Default table for 67 µmol/L would give 3. */
  carm_child_pugh_options chol = CARM_CHILD_PUGH_OPTIONS_INIT;
  chol.bilirubin_table = CARM_CP_BILIRUBIN_CHOLESTATIC;
  CHECK(bili_pts(67.0, UMOL, &chol) == 1);
  CHECK(bili_pts(67.0, UMOL, NULL) == 3);
  CHECK(bili_pts(68.0, UMOL, &chol) == 2);
  CHECK(bili_pts(171.0, UMOL, &chol) == 2);
  CHECK(bili_pts(172.0, UMOL, &chol) == 3);
  CHECK(bili_pts(3.9, MG, &chol) == 1);
  CHECK(bili_pts(4.0, MG, &chol) == 2);
  CHECK(bili_pts(10.0, MG, &chol) == 2);
  CHECK(bili_pts(10.1, MG, &chol) == 3);

  /* Albumin, default table: 3.51 → 1; 3.5 → 2; 2.8 → 2; 2.79 → 3; in g/L:
   * 35 → 3.5 g/dL → 2; 28 → 2.8 → 2; 27.9 → 2.79 → 3; 35.1 → 1. */
  CHECK(alb_pts(3.51, GDL, NULL) == 1);
  CHECK(alb_pts(3.5, GDL, NULL) == 2);
  CHECK(alb_pts(2.8, GDL, NULL) == 2);
  CHECK(alb_pts(2.79, GDL, NULL) == 3);
  CHECK(alb_pts(35.0, GL, NULL) == 2);
  CHECK(alb_pts(35.1, GL, NULL) == 1);
  CHECK(alb_pts(28.0, GL, NULL) == 2);
  CHECK(alb_pts(27.9, GL, NULL) == 3);
  /* Alternative 3.0/3.5 table: 3.0 → 2, 2.9 → 3 (default: 2). */
  carm_child_pugh_options alt = CARM_CHILD_PUGH_OPTIONS_INIT;
  alt.albumin_table = CARM_CP_ALBUMIN_30_35;
  CHECK(alb_pts(3.0, GDL, &alt) == 2);
  CHECK(alb_pts(2.9, GDL, &alt) == 3);
  CHECK(alb_pts(2.9, GDL, NULL) == 2);
  CHECK(alb_pts(30.0, GL, &alt) == 2);

  /* INR: 1.69 → 1; 1.7 → 2; 2.3 → 2; 2.31 → 3. */
  CHECK(inr_pts(1.69) == 1);
  CHECK(inr_pts(1.7) == 2);
  CHECK(inr_pts(2.3) == 2);
  CHECK(inr_pts(2.31) == 3);

  /* Errors: every missing input, wrong units, impossible values; `out`
   * untouched on failure. */
  carm_child_pugh_result keep;
  memset(&keep, 0x5a, sizeof keep);
  in = base();
  in.bilirubin.unit = CARM_UNIT_NONE;
  CHECK(carm_clinical_child_pugh(&keep, &in, NULL) == CARM_ERR_INVALID);
  CHECK(detail_has("bilirubin"));
  CHECK(keep.score == 0x5a5a5a5a);
  in = base();
  in.albumin.unit = CARM_UNIT_NONE;
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_ERR_INVALID && detail_has("albumin"));
  in = base();
  in.inr.unit = CARM_UNIT_NONE;
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_ERR_INVALID && detail_has("inr"));
  in = base();
  in.ascites = CARM_ASCITES_UNSET;
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_ERR_INVALID && detail_has("ascites"));
  in = base();
  in.encephalopathy = CARM_HE_UNSET;
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_ERR_INVALID &&
        detail_has("encephalopathy"));
  in = base();
  in.bilirubin = L(1.0, GL); /* bilirubin in g/L: not accepted */
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_ERR_INVALID);
  in = base();
  in.bilirubin = L(-1.0, MG);
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_ERR_RANGE);
  in = base();
  in.albumin = L(0.0, GDL);
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_ERR_RANGE);
  in = base();
  in.inr = L(NAN, RATIO);
  CHECK(carm_clinical_child_pugh(&r, &in, NULL) == CARM_ERR_RANGE);
  carm_child_pugh_options bad = {(carm_child_pugh_albumin)7, CARM_CP_BILIRUBIN_STANDARD};
  in = base();
  CHECK(carm_clinical_child_pugh(&r, &in, &bad) == CARM_ERR_INVALID);
  CHECK(carm_clinical_child_pugh(NULL, &in, NULL) == CARM_ERR_INVALID);
  CHECK(carm_clinical_child_pugh(&r, NULL, NULL) == CARM_ERR_INVALID);
  return check_done();
}
