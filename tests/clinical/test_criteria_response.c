/* Transplant criteria (Milan, UCSF, up-to-seven, TTV/AFP) and response
 * (RECIST 1.1, mRECIST) vignettes, worked by hand from
 * ../shared/CLINICAL.md. All limits are inclusive. */
#include "clin_test.h"

/* within (1/0) or -1 on error; no invasion, no spread unless given. */
static int crit(carm_criterion c, const double *sizes, int n, int vi, int ehs) {
  carm_tumour_burden b;
  memset(&b, 0, sizeof b);
  b.sizes_cm = sizes;
  b.n_nodules = n;
  b.vascular_invasion = vi ? CARM_FLAG_YES : CARM_FLAG_NO;
  b.extrahepatic = ehs ? CARM_FLAG_YES : CARM_FLAG_NO;
  carm_criterion_result r;
  return carm_clinical_criterion(&r, c, &b) == CARM_OK ? r.within : -1;
}

static int ttv(const double *sizes, const double *volumes, int n, double afp) {
  carm_tumour_burden b;
  memset(&b, 0, sizeof b);
  b.sizes_cm = sizes;
  b.volumes_cm3 = volumes;
  b.n_nodules = n;
  b.vascular_invasion = CARM_FLAG_NO;
  b.extrahepatic = CARM_FLAG_NO;
  b.afp = L(afp, CARM_UNIT_NG_ML);
  carm_criterion_result r;
  return carm_clinical_criterion(&r, CARM_CRITERION_TTV_AFP, &b) == CARM_OK ? r.within : -1;
}

/* the error sentinel, compared by address (GCC 12 -O2 flags a strcmp of
 * the 3-byte response array with a longer string) */
static const char resp_error[] = "error";

static const char *resp(int mrecist, double base, double nadir, double cur, int newl, int enh) {
  carm_response_input in = CARM_RESPONSE_INPUT_INIT;
  in.baseline_mm = base;
  in.nadir_mm = nadir;
  in.current_mm = cur;
  in.new_lesion = newl ? CARM_FLAG_YES : CARM_FLAG_NO;
  in.enhancing = enh ? CARM_FLAG_YES : CARM_FLAG_NO;
  static carm_response_result r;
  carm_status st = mrecist ? carm_clinical_mrecist(&r, &in) : carm_clinical_recist(&r, &in);
  return st == CARM_OK ? r.response : resp_error;
}

#define M CARM_CRITERION_MILAN
#define U CARM_CRITERION_UCSF
#define S CARM_CRITERION_UP_TO_SEVEN

int main(void) {
  /* ---- Milan: 1 nodule ≤ 5 cm, or ≤ 3 nodules each ≤ 3 cm ---- */
  CHECK(crit(M, (double[]){5.0}, 1, 0, 0) == 1);            /* 5.0 ≤ 5 */
  CHECK(crit(M, (double[]){5.01}, 1, 0, 0) == 0);           /* 5.01 > 5 */
  CHECK(crit(M, (double[]){3.0, 3.0, 3.0}, 3, 0, 0) == 1);  /* 3 × 3.0 ≤ 3 */
  CHECK(crit(M, (double[]){3.0, 3.0, 3.01}, 3, 0, 0) == 0); /* 3.01 > 3 */
  CHECK(crit(M, (double[]){3.5, 1.0}, 2, 0, 0) == 0);       /* 2 nodules, 3.5 > 3 */
  CHECK(crit(M, (double[]){1, 1, 1, 1}, 4, 0, 0) == 0);     /* 4 nodules > 3 */
  CHECK(crit(M, (double[]){4.0}, 1, 1, 0) == 0);            /* macrovascular invasion */
  CHECK(crit(M, (double[]){4.0}, 1, 0, 1) == 0);            /* extrahepatic spread */
  /* ---- UCSF: 1 ≤ 6.5, or ≤ 3, largest ≤ 4.5, total ≤ 8 ---- */
  CHECK(crit(U, (double[]){6.5}, 1, 0, 0) == 1);
  CHECK(crit(U, (double[]){6.6}, 1, 0, 0) == 0);
  CHECK(crit(U, (double[]){4.5, 3.5}, 2, 0, 0) == 1);      /* total 8.0 ≤ 8 */
  CHECK(crit(U, (double[]){4.5, 3.4, 0.1}, 3, 0, 0) == 1); /* total 8.0 */
  CHECK(crit(U, (double[]){4.5, 3.5, 0.1}, 3, 0, 0) == 0); /* total 8.1 > 8 */
  CHECK(crit(U, (double[]){4.6, 1.0}, 2, 0, 0) == 0);      /* largest 4.6 > 4.5 */
  CHECK(crit(U, (double[]){1, 1, 1, 1}, 4, 0, 0) == 0);
  CHECK(crit(U, (double[]){5.5}, 1, 0, 0) == 1); /* beyond Milan, within UCSF */
  CHECK(crit(M, (double[]){5.5}, 1, 0, 0) == 0);
  CHECK(crit(U, (double[]){5.5}, 1, 1, 0) == 0);
  /* ---- Up-to-seven: largest + count ≤ 7 ---- */
  CHECK(crit(S, (double[]){6.0}, 1, 0, 0) == 1);           /* 6 + 1 = 7 */
  CHECK(crit(S, (double[]){6.01}, 1, 0, 0) == 0);          /* 7.01 */
  CHECK(crit(S, (double[]){4.0, 1.0, 1.0}, 3, 0, 0) == 1); /* 4 + 3 = 7 */
  CHECK(crit(S, (double[]){4.1, 1.0, 1.0}, 3, 0, 0) == 0); /* 7.1 */
  CHECK(crit(S, (double[]){2, 2, 2, 2, 2}, 5, 0, 0) == 1); /* 2 + 5 = 7; beyond Milan */
  CHECK(crit(M, (double[]){2, 2, 2, 2, 2}, 5, 0, 0) == 0);
  CHECK(crit(S, (double[]){3.0}, 1, 0, 1) == 0);
  /* ---- TTV/AFP: volume ≤ 115 cm³ and AFP ≤ 400 ng/mL ---- */
  CHECK(ttv((double[]){6.0}, (double[]){115.0}, 1, 400.0) == 1);
  CHECK(ttv((double[]){6.0}, (double[]){115.1}, 1, 400.0) == 0);
  CHECK(ttv((double[]){6.0}, (double[]){100.0}, 1, 401.0) == 0);
  CHECK(ttv((double[]){3.0, 3.0}, (double[]){60.0, 55.0}, 2, 10.0) == 1); /* 115 total */
  /* Spheres: 6.0 cm → π/6·216 = 113.10 cm³ ≤ 115; 6.1 cm → π/6·226.981 =
   * 118.85 > 115. */
  CHECK(ttv((double[]){6.0}, NULL, 1, 10.0) == 1);
  CHECK(ttv((double[]){6.1}, NULL, 1, 10.0) == 0);
  carm_tumour_burden b;
  memset(&b, 0, sizeof b);
  double six[] = {6.0};
  b.sizes_cm = six;
  b.n_nodules = 1;
  b.vascular_invasion = CARM_FLAG_NO;
  b.extrahepatic = CARM_FLAG_NO;
  carm_criterion_result cr;
  CHECK(carm_clinical_criterion(&cr, CARM_CRITERION_TTV_AFP, &b) == CARM_ERR_INVALID);
  CHECK(detail_has("afp"));
  b.afp = L(10.0, CARM_UNIT_NG_ML);
  CHECK(carm_clinical_criterion(&cr, CARM_CRITERION_TTV_AFP, &b) == CARM_OK);
  CHECK_NEAR(cr.value, 113.097336, 1e-5);
  /* Errors: no sizes, impossible sizes, flags missing. */
  CHECK(crit(M, (double[]){0.0}, 1, 0, 0) == -1);
  CHECK(crit(M, (double[]){-1.0}, 1, 0, 0) == -1);
  CHECK(crit(M, (double[]){31.0}, 1, 0, 0) == -1);
  CHECK(crit(M, (double[]){NAN}, 1, 0, 0) == -1);
  CHECK(crit(M, NULL, 0, 0, 0) == -1);
  b.vascular_invasion = CARM_FLAG_UNSET;
  CHECK(carm_clinical_criterion(&cr, M, &b) == CARM_ERR_INVALID && detail_has("vascular_invasion"));
  b.vascular_invasion = CARM_FLAG_NO;
  b.extrahepatic = CARM_FLAG_UNSET;
  CHECK(carm_clinical_criterion(&cr, M, &b) == CARM_ERR_INVALID && detail_has("extrahepatic"));

  /* ---- RECIST 1.1 ---- */
  /* PR: −30 % exactly (100 → 70) is PR; 71 (−29 %) is SD. */
  CHECK(strcmp(resp(0, 100, 100, 70, 0, 1), "PR") == 0);
  CHECK(strcmp(resp(0, 100, 100, 71, 0, 1), "SD") == 0);
  /* PD: nadir 50 → 60 is +20 % and +10 mm → PD; 59.9 is +19.8 % → not PD,
   * and −40.1 % vs baseline → PR. */
  CHECK(strcmp(resp(0, 100, 50, 60, 0, 1), "PD") == 0);
  CHECK(strcmp(resp(0, 100, 50, 59.9, 0, 1), "PR") == 0);
  /* The 5 mm rule: nadir 20 → 24 is +20 % but +4 mm → not PD (PR vs
   * baseline 100); nadir 25 → 30 is +20 % and +5 mm → PD. */
  CHECK(strcmp(resp(0, 100, 20, 24, 0, 1), "PR") == 0);
  CHECK(strcmp(resp(0, 100, 25, 30, 0, 1), "PD") == 0);
  /* SD growing from nadir but under 20 %: 100/80 → 90 (+12.5 %, −10 %). */
  CHECK(strcmp(resp(0, 100, 80, 90, 0, 1), "SD") == 0);
  /* CR: sum 0; a new lesion makes PD whatever the sums. */
  CHECK(strcmp(resp(0, 100, 40, 0, 0, 1), "CR") == 0);
  CHECK(strcmp(resp(0, 100, 40, 0, 1, 1), "PD") == 0);
  CHECK(strcmp(resp(0, 100, 100, 50, 1, 1), "PD") == 0);
  /* Errors: nadir above baseline, baseline 0, negative, missing. */
  CHECK(resp(0, 100, 120, 50, 0, 1) == resp_error);
  CHECK(resp(0, 0, 0, 0, 0, 1) == resp_error);
  CHECK(resp(0, 100, 50, -1, 0, 1) == resp_error);
  carm_response_input in = CARM_RESPONSE_INPUT_INIT;
  carm_response_result rr;
  in.baseline_mm = 100;
  in.nadir_mm = 100;
  CHECK(carm_clinical_recist(&rr, &in) == CARM_ERR_INVALID && detail_has("current"));
  in.current_mm = 50;
  CHECK(carm_clinical_recist(&rr, &in) == CARM_ERR_INVALID && detail_has("new_lesion"));
  in.new_lesion = CARM_FLAG_NO;
  CHECK(carm_clinical_recist(&rr, &in) == CARM_OK);
  CHECK_NEAR(rr.change_baseline_pct, -50.0, 1e-12);
  CHECK(rr.report.n_terms == 4);

  /* ---- RECIST 1.1 target lesions ---- */
  /* Baseline: liver 30 + liver 20 + lung 12 + node 18 (short axis) = 80 mm. */
  carm_recist_lesion base[4] = {{30, 0, 1}, {20, 0, 1}, {12, 0, 2}, {18, 1, 3}};
  double sum = 0.0;
  carm_clinical_flag gone = CARM_FLAG_UNSET;
  CHECK(carm_clinical_recist_sum(&sum, &gone, base, 4, 1) == CARM_OK);
  CHECK_NEAR(sum, 80.0, 1e-12);
  CHECK(gone == CARM_FLAG_NO);
  /* Measurability at baseline: 10 mm and a 15 mm node are measurable; 9.9
   * mm and a 14.9 mm node are not. */
  carm_recist_lesion edge[2] = {{10, 0, 1}, {15, 1, 2}};
  CHECK(carm_clinical_recist_sum(&sum, NULL, edge, 2, 1) == CARM_OK && sum == 25.0);
  edge[0].diameter_mm = 9.9;
  CHECK(carm_clinical_recist_sum(&sum, NULL, edge, 2, 1) == CARM_ERR_RANGE);
  edge[0].diameter_mm = 10.0;
  edge[1].diameter_mm = 14.9;
  CHECK(carm_clinical_recist_sum(&sum, NULL, edge, 2, 1) == CARM_ERR_RANGE);
  CHECK(carm_clinical_recist_sum(&sum, NULL, edge, 2, 0) == CARM_OK); /* follow-up */
  /* At most 2 per organ, at most 5 in all. */
  carm_recist_lesion three[3] = {{30, 0, 1}, {20, 0, 1}, {12, 0, 1}};
  CHECK(carm_clinical_recist_sum(&sum, NULL, three, 3, 1) == CARM_ERR_RANGE);
  carm_recist_lesion six_targets[6] = {{30, 0, 1}, {20, 0, 1}, {12, 0, 2},
                                       {12, 0, 2}, {12, 0, 3}, {12, 0, 3}};
  CHECK(carm_clinical_recist_sum(&sum, NULL, six_targets, 6, 1) == CARM_ERR_RANGE);
  CHECK(carm_clinical_recist_sum(&sum, NULL, six_targets, 0, 1) == CARM_ERR_RANGE);
  /* Follow-up: tumours gone, node 8 mm (< 10): sum 8 mm but all gone → CR
   * (from the sum alone, 8/80 = −90 % would be PR). Node 10 mm → not gone. */
  carm_recist_lesion fu[4] = {{0, 0, 1}, {0, 0, 1}, {0, 0, 2}, {8, 1, 3}};
  CHECK(carm_clinical_recist_sum(&sum, &gone, fu, 4, 0) == CARM_OK);
  CHECK(sum == 8.0 && gone == CARM_FLAG_YES);
  in = (carm_response_input)CARM_RESPONSE_INPUT_INIT;
  in.baseline_mm = 80;
  in.nadir_mm = 80;
  in.current_mm = sum;
  in.new_lesion = CARM_FLAG_NO;
  CHECK(carm_clinical_recist(&rr, &in) == CARM_OK && strcmp(rr.response, "PR") == 0);
  in.all_targets_gone = gone;
  CHECK(carm_clinical_recist(&rr, &in) == CARM_OK && strcmp(rr.response, "CR") == 0);
  fu[3].diameter_mm = 10.0;
  CHECK(carm_clinical_recist_sum(&sum, &gone, fu, 4, 0) == CARM_OK && gone == CARM_FLAG_NO);
  in.current_mm = 0.0;
  in.all_targets_gone = CARM_FLAG_NO; /* contradicts a sum of 0 */
  CHECK(carm_clinical_recist(&rr, &in) == CARM_ERR_INVALID);

  /* ---- mRECIST (viable = enhancing diameters) ---- */
  CHECK(strcmp(resp(1, 50, 50, 0, 0, 0), "CR") == 0);  /* no enhancement */
  CHECK(strcmp(resp(1, 50, 50, 35, 0, 1), "PR") == 0); /* 35/50 = −30 % */
  CHECK(strcmp(resp(1, 50, 50, 36, 0, 1), "SD") == 0); /* −28 % */
  /* No 5 mm rule in mRECIST: nadir 20 → 24 (+20 %) is PD (RECIST: PR). */
  CHECK(strcmp(resp(1, 100, 20, 24, 0, 1), "PD") == 0);
  CHECK(strcmp(resp(1, 100, 20, 23.9, 0, 1), "PR") == 0);
  CHECK(strcmp(resp(1, 50, 50, 0, 1, 0), "PD") == 0); /* new typical lesion ≥ 1 cm */
  /* Contradictions and missing enhancing are errors. */
  CHECK(resp(1, 50, 50, 10, 0, 0) == resp_error);
  CHECK(resp(1, 50, 50, 0, 0, 1) == resp_error);
  in.enhancing = CARM_FLAG_UNSET;
  CHECK(carm_clinical_mrecist(&rr, &in) == CARM_ERR_INVALID && detail_has("enhancing"));
  return check_done();
}
