/* ALBI score and grade.
 *
 * Source: Johnson PJ, Berhane S, Kagebayashi C, et al. Assessment of liver
 * function in patients with hepatocellular carcinoma: a new evidence-based
 * approach — the ALBI grade. J Clin Oncol 2015;33:550–558; as given in
 * ../shared/CLINICAL.md:
 *   ALBI = 0.66·log10(bilirubin µmol/L) − 0.085·(albumin g/L)
 *   grade 1 ≤ −2.60; grade 2 > −2.60 and ≤ −1.39; grade 3 > −1.39.
 *
 * Driver (carm's choice, not from the source): each input's term is
 * compared with its value at a normal reference (bilirubin 10 µmol/L,
 * albumin 45 g/L); the input that raises the score most above that
 * reference drove the grade. */
#include "clinical/internal.h"

#include <math.h>
#include <string.h>

static const char albi_rule[] = "ALBI (Johnson 2015), carm rule v1";
static const char albi_source[] = "Johnson PJ et al. J Clin Oncol 2015;33:550-558; "
                                  "../shared/CLINICAL.md";

carm_status carm_clinical_albi(carm_albi_result *out, const carm_clinical_lab *bilirubin,
                               const carm_clinical_lab *albumin) {
  static const char calc[] = "albi";
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  carm_status st = clin_need_lab(calc, CARM_LAB_BILIRUBIN, bilirubin);
  if (st == CARM_OK) {
    st = clin_need_lab(calc, CARM_LAB_ALBUMIN, albumin);
  }
  if (st != CARM_OK) {
    return st;
  }
  carm_albi_result r;
  memset(&r, 0, sizeof r);
  clin_report_init(&r.report, albi_rule, albi_source);
  double b = 0.0;
  double a = 0.0;
  (void)carm_clinical_lab_convert(&b, CARM_LAB_BILIRUBIN, bilirubin, CARM_UNIT_UMOL_L);
  (void)carm_clinical_lab_convert(&a, CARM_LAB_ALBUMIN, albumin, CARM_UNIT_G_L);
  double tb = 0.66 * log10(b);
  double ta = -0.085 * a;
  clin_term_lab(&r.report, "bilirubin", bilirubin, b, CARM_UNIT_UMOL_L, tb);
  clin_term_lab(&r.report, "albumin", albumin, a, CARM_UNIT_G_L, ta);
  r.score = tb + ta;
  if (clin_cmp(r.score, -2.60) <= 0) {
    r.grade = 1;
  } else if (clin_cmp(r.score, -1.39) <= 0) {
    r.grade = 2;
  } else {
    r.grade = 3;
  }
  double db = tb - 0.66 * log10(10.0);
  double da = ta - (-0.085 * 45.0);
  if (db <= 0.0 && da <= 0.0) {
    clin_driver(&r.report, "neither input worse than normal (ALBI %.2f, grade %d)", r.score,
                r.grade);
  } else if (db >= da) {
    clin_driver(&r.report, "bilirubin (+%.2f vs 10 umol/L; ALBI %.2f, grade %d)", db, r.score,
                r.grade);
  } else {
    clin_driver(&r.report, "albumin (+%.2f vs 45 g/L; ALBI %.2f, grade %d)", da, r.score, r.grade);
  }
  *out = r;
  return CARM_OK;
}
