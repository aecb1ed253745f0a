/* BCLC 2022 vignettes: at least one per stage and sub-branch of
 * ../shared/CLINICAL.md "BCLC 2022" (Reig et al. 2022), plus carm's named
 * options and the errors for missing inputs. */
#include "clin_test.h"

static double g_sizes[8];

/* A patient with preserved liver function (Child–Pugh A), PS 0, no
 * invasion or spread, the given nodules; other inputs not given. */
static carm_bclc_input patient(const double *sizes, int n) {
  carm_bclc_input in = CARM_BCLC_INPUT_INIT;
  for (int i = 0; i < n; i++) {
    g_sizes[i] = sizes[i];
  }
  in.burden.sizes_cm = g_sizes;
  in.burden.n_nodules = n;
  in.burden.vascular_invasion = CARM_FLAG_NO;
  in.burden.extrahepatic = CARM_FLAG_NO;
  in.ecog_ps = 0;
  in.child_pugh_class = 'A';
  return in;
}

static carm_bclc_result g_r;

static char stage(const carm_bclc_input *in, const carm_bclc_options *opt) {
  if (carm_clinical_bclc(&g_r, in, opt) != CARM_OK) {
    return 'E';
  }
  return g_r.stage;
}

/* Whether option i has this name and role. */
static int opt_is(int i, const char *name, const char *role) {
  return i < g_r.n_options && strcmp(g_r.options[i].name, name) == 0 &&
         strcmp(g_r.options[i].role, role) == 0;
}

int main(void) {
  carm_bclc_input in;

  /* ---- 0: single ≤ 2 cm, preserved, PS 0 → ablation; resection
   * alternative; TACE/TARE/SBRT if neither. ---- */
  in = patient((double[]){1.8}, 1);
  CHECK(stage(&in, NULL) == '0');
  CHECK(g_r.n_options == 3);
  CHECK(opt_is(0, "ablation", "recommended"));
  CHECK(opt_is(1, "resection", "alternative"));
  CHECK(opt_is(2, "TACE/TARE/SBRT", "conditional"));
  CHECK(strstr(g_r.report.driver, "single nodule 1.80 cm <= 2 cm") != NULL);
  CHECK(strstr(g_r.report.notes, "stage migration") != NULL);
  in = patient((double[]){2.0}, 1); /* boundary: 2.0 cm is still 0 */
  CHECK(stage(&in, NULL) == '0');

  /* ---- A, single > 2 cm ---- */
  /* Resection: no portal hypertension and normal bilirubin (0.9 ≤ 1.2). */
  in = patient((double[]){2.01}, 1);
  in.portal_hypertension = CARM_FLAG_NO;
  in.liver.bilirubin = L(0.9, MG);
  CHECK(stage(&in, NULL) == 'A');
  CHECK(g_r.n_options == 1 && opt_is(0, "resection", "recommended"));
  /* Bilirubin exactly at the upper limit (1.2 mg/dL) is normal; in SI
   * 20.52 µmol/L = 1.2 mg/dL. */
  in.liver.bilirubin = L(1.2, MG);
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "resection", "recommended"));
  in.liver.bilirubin = L(20.52, UMOL);
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "resection", "recommended"));
  /* Raised bilirubin 1.5 > 1.2: transplant if candidate, else ablation. */
  in.liver.bilirubin = L(1.5, MG);
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "ablation", "recommended"));
  CHECK(strstr(g_r.options[0].reason, "bilirubin 1.50 > 1.20") != NULL);
  in.transplant_candidate = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "liver transplantation", "recommended"));
  /* Option: a laboratory ULN of 1.5 mg/dL makes 1.5 normal → resection. */
  carm_bclc_options uln = CARM_BCLC_OPTIONS_INIT;
  uln.bilirubin_uln_mg_dl = 1.5;
  CHECK(stage(&in, &uln) == 'A' && opt_is(0, "resection", "recommended"));
  /* Portal hypertension: no resection (bilirubin not needed). */
  in = patient((double[]){4.0}, 1);
  in.portal_hypertension = CARM_FLAG_YES;
  in.transplant_candidate = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "liver transplantation", "recommended"));
  CHECK(strstr(g_r.options[0].reason, "portal hypertension") != NULL);
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "ablation", "recommended"));
  /* A single nodule of any size is A (BCLC 2022): 8 cm, resectable. */
  in = patient((double[]){8.0}, 1);
  in.portal_hypertension = CARM_FLAG_NO;
  in.liver.bilirubin = L(0.8, MG);
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "resection", "recommended"));
  /* Missing inputs on this branch are named. */
  in = patient((double[]){3.0}, 1);
  CHECK(stage(&in, NULL) == 'E' && detail_has("portal_hypertension"));
  in.portal_hypertension = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'E' && detail_has("bilirubin"));
  in.liver.bilirubin = L(2.0, MG);
  CHECK(stage(&in, NULL) == 'E' && detail_has("transplant_candidate"));

  /* ---- A, 2–3 nodules each ≤ 3 cm ---- */
  in = patient((double[]){2.5, 1.8, 3.0}, 3);
  in.transplant_candidate = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "liver transplantation", "recommended"));
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "ablation", "recommended"));
  in.transplant_candidate = CARM_FLAG_UNSET;
  CHECK(stage(&in, NULL) == 'E' && detail_has("transplant_candidate"));
  /* Boundaries of A: 3 nodules of exactly 3.0 cm are A; 3.01 cm is B; 4
   * nodules of 1 cm are B (more than 3). */
  in = patient((double[]){3.0, 3.0, 3.0}, 3);
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'A');
  in = patient((double[]){3.01, 1.0}, 2);
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'B');
  in = patient((double[]){1.0, 1.0, 1.0, 1.0}, 4);
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'B');

  /* ---- B: multinodular beyond A ---- */
  /* 2 nodules, one 4 cm > 3 → B. Not a candidate, well-defined → TACE. */
  in = patient((double[]){4.0, 2.0}, 2);
  in.transplant_candidate = CARM_FLAG_NO;
  in.pattern = CARM_PATTERN_WELL_DEFINED;
  CHECK(stage(&in, NULL) == 'B');
  CHECK(g_r.n_options == 1 && opt_is(0, "TACE", "recommended"));
  /* 4 nodules, infiltrative → systemic therapy. */
  in = patient((double[]){5.0, 3.0, 2.0, 1.0}, 4);
  in.transplant_candidate = CARM_FLAG_NO;
  in.pattern = CARM_PATTERN_INFILTRATIVE;
  CHECK(stage(&in, NULL) == 'B' && opt_is(0, "systemic therapy", "recommended"));
  /* Pattern not given: both, each with its condition. */
  in.pattern = CARM_PATTERN_UNSET;
  CHECK(stage(&in, NULL) == 'B' && g_r.n_options == 2);
  CHECK(opt_is(0, "TACE", "conditional") && opt_is(1, "systemic therapy", "conditional"));
  /* Candidate within the extended criteria (up-to-seven: 3.5 + 2 = 5.5 ≤ 7)
   * → transplantation, TACE the alternative. */
  in = patient((double[]){3.5, 2.0}, 2);
  in.transplant_candidate = CARM_FLAG_YES;
  in.pattern = CARM_PATTERN_WELL_DEFINED;
  CHECK(stage(&in, NULL) == 'B');
  CHECK(opt_is(0, "liver transplantation", "recommended") && opt_is(1, "TACE", "alternative"));
  /* Candidate beyond up-to-seven (6 + 3 = 9 > 7) → no transplantation. */
  in = patient((double[]){6.0, 3.0, 2.0}, 3);
  in.transplant_candidate = CARM_FLAG_YES;
  in.pattern = CARM_PATTERN_WELL_DEFINED;
  CHECK(stage(&in, NULL) == 'B' && g_r.n_options == 1 && opt_is(0, "TACE", "recommended"));
  /* Option: UCSF instead of up-to-seven as the extended criteria. */
  carm_bclc_options ucsf = CARM_BCLC_OPTIONS_INIT;
  ucsf.extended_criteria = CARM_CRITERION_UCSF;
  in = patient((double[]){4.5, 3.4}, 2); /* UCSF within (7.9), u7 4.5+2 = 6.5 within */
  in.transplant_candidate = CARM_FLAG_YES;
  CHECK(stage(&in, &ucsf) == 'B' && opt_is(0, "liver transplantation", "recommended"));
  in = patient((double[]){5.5, 1.0}, 2); /* u7 5.5+2 = 7.5 beyond; UCSF 5.5 > 4.5 beyond */
  in.transplant_candidate = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'B' && !opt_is(0, "liver transplantation", "recommended"));
  in = patient((double[]){2, 2, 2, 2, 2}, 5); /* u7 2+5 = 7 within; UCSF 5 nodules beyond */
  in.transplant_candidate = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'B' && opt_is(0, "liver transplantation", "recommended"));
  CHECK(stage(&in, &ucsf) == 'B' && !opt_is(0, "liver transplantation", "recommended"));

  /* ---- C: invasion, spread, cancer-related PS 1–2 ---- */
  in = patient((double[]){3.0}, 1);
  in.burden.vascular_invasion = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'C');
  CHECK(g_r.n_options == 5);
  CHECK(opt_is(0, "atezolizumab-bevacizumab", "recommended"));
  CHECK(opt_is(1, "durvalumab-tremelimumab", "recommended"));
  CHECK(opt_is(2, "sorafenib", "alternative") && opt_is(3, "lenvatinib", "alternative"));
  CHECK(opt_is(4, "durvalumab", "alternative"));
  CHECK(strstr(g_r.report.driver, "portal") != NULL);
  in.burden.vascular_invasion = CARM_FLAG_NO;
  in.burden.extrahepatic = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'C' && strstr(g_r.report.driver, "extrahepatic") != NULL);
  in = patient((double[]){1.5}, 1);
  in.ecog_ps = 1;
  CHECK(stage(&in, NULL) == 'C');
  CHECK(strstr(g_r.report.notes, "taken as cancer-related") != NULL);
  in.ecog_ps = 2;
  in.ps_cancer_related = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'C' && strstr(g_r.report.notes, "taken as") == NULL);
  /* PS 2 from another cause: staged by tumour burden (1.5 cm → 0). */
  in.ps_cancer_related = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == '0' && strstr(g_r.report.notes, "not cancer-related") != NULL);

  /* ---- D: PS 3–4, or end-stage liver not for transplant ---- */
  in = patient((double[]){1.5}, 1);
  in.ecog_ps = 3;
  CHECK(stage(&in, NULL) == 'D' && opt_is(0, "best supportive care", "recommended"));
  in.ecog_ps = 4;
  in.burden.extrahepatic = CARM_FLAG_YES; /* PS 3-4 wins over spread */
  CHECK(stage(&in, NULL) == 'D');
  in = patient((double[]){3.0}, 1);
  in.child_pugh_class = 'C';
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'D' && strcmp(g_r.liver_function, "end-stage") == 0);
  /* End-stage, candidate within Milan (3.0 ≤ 5): transplantation, staged A. */
  in.transplant_candidate = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'A' && opt_is(0, "liver transplantation", "recommended"));
  CHECK(strcmp(g_r.liver_function, "end-stage") == 0);
  /* End-stage, candidate beyond Milan (6.0 > 5) → D. */
  in = patient((double[]){6.0}, 1);
  in.child_pugh_class = 'C';
  in.transplant_candidate = CARM_FLAG_YES;
  CHECK(stage(&in, NULL) == 'D');
  in.transplant_candidate = CARM_FLAG_UNSET;
  CHECK(stage(&in, NULL) == 'E' && detail_has("transplant_candidate"));

  /* ---- Child–Pugh B: preserved by default (caution), end-stage option ---- */
  in = patient((double[]){1.5}, 1);
  in.child_pugh_class = 'B';
  CHECK(stage(&in, NULL) == '0' && strstr(g_r.report.notes, "Child-Pugh B") != NULL);
  carm_bclc_options strict = CARM_BCLC_OPTIONS_INIT;
  strict.child_pugh_b = CARM_BCLC_B_END_STAGE;
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, &strict) == 'D');

  /* ---- liver function from the labs ---- */
  /* bili 1.0, alb 4.0, INR 1.0, none, none → 5 points, A → 0. */
  in = patient((double[]){1.5}, 1);
  in.child_pugh_class = 0;
  carm_child_pugh_input labs = {L(1.0, MG), L(4.0, GDL), L(1.0, RATIO), CARM_ASCITES_NONE,
                                CARM_HE_NONE};
  in.liver = labs;
  CHECK(stage(&in, NULL) == '0' && g_r.child_pugh_class == 'A');
  /* bili 4 (3) + alb 2.5 (3) + INR 2.0 (2) + moderate (3) + none (1) = 12
   * → C, not a candidate → D. */
  in.liver.bilirubin = L(4.0, MG);
  in.liver.albumin = L(25.0, GL);
  in.liver.inr = L(2.0, RATIO);
  in.liver.ascites = CARM_ASCITES_MODERATE;
  in.transplant_candidate = CARM_FLAG_NO;
  CHECK(stage(&in, NULL) == 'D' && g_r.child_pugh_class == 'C');
  /* A class that contradicts the labs is refused. */
  in.child_pugh_class = 'A';
  CHECK(stage(&in, NULL) == 'E' && detail_has("contradicts"));
  /* Neither class nor labs. */
  in = patient((double[]){1.5}, 1);
  in.child_pugh_class = 0;
  CHECK(stage(&in, NULL) == 'E' && detail_has("child_pugh"));

  /* ---- other errors ---- */
  in = patient((double[]){1.5}, 1);
  in.ecog_ps = -1;
  CHECK(stage(&in, NULL) == 'E' && detail_has("ecog"));
  in.ecog_ps = 5;
  CHECK(stage(&in, NULL) == 'E');
  in.ecog_ps = 0;
  in.child_pugh_class = 'X';
  CHECK(stage(&in, NULL) == 'E');
  in.child_pugh_class = 'a'; /* lower case accepted */
  CHECK(stage(&in, NULL) == '0');
  in.burden.extrahepatic = CARM_FLAG_UNSET;
  CHECK(stage(&in, NULL) == 'E' && detail_has("extrahepatic"));
  in = patient((double[]){1.5}, 1);
  in.burden.n_nodules = 0;
  CHECK(stage(&in, NULL) == 'E' && detail_has("sizes"));
  carm_bclc_options bad = CARM_BCLC_OPTIONS_INIT;
  bad.bilirubin_uln_mg_dl = 0.0;
  in = patient((double[]){1.5}, 1);
  CHECK(stage(&in, &bad) == 'E');
  return check_done();
}
