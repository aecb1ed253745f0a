/* Properties of the calculators over sweeps and random inputs:
 * - a worse lab (higher bilirubin, INR, creatinine; lower albumin, sodium)
 *   never lowers Child–Pugh, MELD, MELD-Na, MELD 3.0 or ALBI;
 * - a lab in µmol/L or g/L gives the same MELD/ALBI as the same value in
 *   mg/dL or g/dL;
 * - a bigger or extra nodule never brings a tumour within Milan, UCSF or
 *   up-to-seven;
 * - RECIST: a smaller current sum never gives a worse response. */
#include "clin_test.h"

typedef struct lab_set {
  double bili_mg, alb_g_dl, inr, cr_mg, na;
  carm_sex sex;
} lab_set;

static int cp_score(lab_set x) {
  carm_child_pugh_input in = {L(x.bili_mg, MG), L(x.alb_g_dl, GDL), L(x.inr, RATIO),
                              CARM_ASCITES_MILD, CARM_HE_NONE};
  carm_child_pugh_result r;
  return carm_clinical_child_pugh(&r, &in, NULL) == CARM_OK ? r.score : -1000;
}

static carm_meld_input meld_in(lab_set x) {
  carm_meld_input in;
  memset(&in, 0, sizeof in);
  in.bilirubin = L(x.bili_mg, MG);
  in.inr = L(x.inr, RATIO);
  in.creatinine = L(x.cr_mg, MG);
  in.sodium = L(x.na, MMOL);
  in.albumin = L(x.alb_g_dl, GDL);
  in.sex = x.sex;
  in.dialysis = CARM_FLAG_NO;
  return in;
}

static int meld_k(lab_set x, int kind) {
  carm_meld_input in = meld_in(x);
  carm_meld_result r;
  carm_status st = kind == 0   ? carm_clinical_meld(&r, &in)
                   : kind == 1 ? carm_clinical_meld_na(&r, &in)
                               : carm_clinical_meld3(&r, &in, 0);
  return st == CARM_OK ? r.score : -1000;
}

static double albi(lab_set x) {
  carm_clinical_lab b = L(x.bili_mg, MG);
  carm_clinical_lab a = L(x.alb_g_dl, GDL);
  carm_albi_result r;
  return carm_clinical_albi(&r, &b, &a) == CARM_OK ? r.score : NAN;
}

static lab_set random_labs(carm_rng *rng) {
  lab_set x;
  x.bili_mg = 0.2 + 20.0 * carm_rng_uniform(rng);
  x.alb_g_dl = 1.0 + 4.0 * carm_rng_uniform(rng);
  x.inr = 0.8 + 3.5 * carm_rng_uniform(rng);
  x.cr_mg = 0.4 + 6.0 * carm_rng_uniform(rng);
  x.na = 115.0 + 30.0 * carm_rng_uniform(rng);
  x.sex = carm_rng_uniform(rng) < 0.5 ? CARM_SEX_FEMALE : CARM_SEX_MALE;
  return x;
}

/* Count of violations of "worse never scores lower" when `step` worsens x.
 * `meld3` 0 leaves MELD 3.0 out (see the albumin note in main). */
static int monotone_violations(lab_set x, void (*worsen)(lab_set *), int steps, int meld3) {
  int bad = 0;
  lab_set prev = x;
  for (int i = 0; i < steps; i++) {
    lab_set next = prev;
    worsen(&next);
    if (cp_score(next) < cp_score(prev)) {
      bad++;
    }
    for (int k = 0; k < (meld3 ? 3 : 2); k++) {
      if (meld_k(next, k) < meld_k(prev, k)) {
        bad++;
      }
    }
    if (!(albi(next) >= albi(prev) - 1e-12)) {
      bad++;
    }
    prev = next;
  }
  return bad;
}

static void more_bili(lab_set *x) { x->bili_mg = fmin(x->bili_mg + 0.05, 99.0); }
static void less_alb(lab_set *x) { x->alb_g_dl = fmax(x->alb_g_dl - 0.02, 0.5); }
static void more_inr(lab_set *x) { x->inr = fmin(x->inr + 0.02, 19.0); }
static void more_cr(lab_set *x) { x->cr_mg = fmin(x->cr_mg + 0.03, 29.0); }
static void less_na(lab_set *x) { x->na = fmax(x->na - 0.2, 100.0); }

int main(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 20260101);

  /* Fixed sweep: bilirubin 0.1 → 40 mg/dL in 0.01 steps from a mid-range
   * patient; every score non-decreasing and every call succeeds. */
  lab_set x = {0.1, 3.0, 1.5, 1.3, 131.0, CARM_SEX_MALE};
  int fails = 0;
  int prev_cp = cp_score(x);
  int prev_m[3] = {meld_k(x, 0), meld_k(x, 1), meld_k(x, 2)};
  for (int i = 1; i <= 3990; i++) {
    x.bili_mg = 0.1 + 0.01 * i;
    int c = cp_score(x);
    fails += c < prev_cp || c < 0;
    prev_cp = c;
    for (int k = 0; k < 3; k++) {
      int m = meld_k(x, k);
      fails += m < prev_m[k] || m < 0;
      prev_m[k] = m;
    }
  }
  CHECK_MSG(fails == 0, "%d violations in the bilirubin sweep", fails);
  CHECK(prev_cp == 9);    /* bili 40 (3) + alb 3.0 (2) + INR 1.5 (1) + mild (2) + HE (1) */
  CHECK(prev_m[0] >= 25); /* MELD rose from 10-ish */

  /* Random starts, each parameter worsened in small steps (bilirubin stays
   * below 23 mg/dL here). */
  int violations = 0;
  for (int t = 0; t < 200; t++) {
    lab_set s = random_labs(&rng);
    violations += monotone_violations(s, more_bili, 40, 1);
    violations += monotone_violations(s, less_alb, 40, 0);
    violations += monotone_violations(s, more_inr, 40, 1);
    violations += monotone_violations(s, more_cr, 40, 1);
    violations += monotone_violations(s, less_na, 40, 1);
  }
  CHECK_MSG(violations == 0, "%d monotonicity violations", violations);

  /* MELD 3.0 is NOT monotone in albumin for creatinine above
   * e^(1.85/1.83) = 2.748 mg/dL: the albumin terms are
   * (3.5 − Alb)·(1.85 − 1.83·ln Cr), negative there (Kim 2021's published
   * coefficients; carm implements them as published). Likewise sodium for
   * bilirubin above e^(0.82/0.24) = 30.4 mg/dL. Hand check, male, bili 1,
   * INR 1, Na 137, Cr 3.0: Alb 3.5 → 11.14·1.098612 + 6 = 18.24 → 18;
   * Alb 1.5 → 18.238538 + 2·(1.85 − 1.83·1.098612) = 18.238538 − 0.321 =
   * 17.92 → 18; the unrounded value falls. Below 2.748 it rises. */
  lab_set q = {1.0, 3.5, 1.0, 3.0, 137.0, CARM_SEX_MALE};
  carm_meld_input qa = meld_in(q);
  carm_meld_result m_hi;
  carm_meld_result m_lo;
  CHECK(carm_clinical_meld3(&m_hi, &qa, 0) == CARM_OK);
  qa.albumin = L(1.5, GDL);
  CHECK(carm_clinical_meld3(&m_lo, &qa, 0) == CARM_OK);
  CHECK_NEAR(m_hi.meld_i, 18.238538, 1e-5);
  CHECK_NEAR(m_lo.meld_i, 17.917614, 1e-5);
  CHECK(m_hi.score == 18 && m_lo.score == 18);
  int alb_bad = 0;
  for (int t = 0; t < 200; t++) {
    lab_set s = random_labs(&rng);
    s.cr_mg = fmin(s.cr_mg, 2.7);
    lab_set prev = s;
    for (int i = 0; i < 40; i++) {
      lab_set next = prev;
      less_alb(&next);
      alb_bad += meld_k(next, 2) < meld_k(prev, 2);
      prev = next;
    }
  }
  CHECK_MSG(alb_bad == 0, "%d MELD 3.0 albumin violations below Cr 2.7", alb_bad);

  /* Unit equivalence: x mg/dL ≡ 17.1·x µmol/L (bilirubin), 88.4·x µmol/L
   * (creatinine), g/dL ≡ 10·g/L (albumin). */
  int mismatches = 0;
  for (int t = 0; t < 500; t++) {
    lab_set s = random_labs(&rng);
    carm_meld_input a = meld_in(s);
    carm_meld_input b = a;
    b.bilirubin = L(s.bili_mg * 17.1, UMOL);
    b.creatinine = L(s.cr_mg * 88.4, UMOL);
    b.albumin = L(s.alb_g_dl * 10.0, GL);
    carm_meld_result ra;
    carm_meld_result rb;
    CHECK(carm_clinical_meld3(&ra, &a, 0) == CARM_OK);
    CHECK(carm_clinical_meld3(&rb, &b, 0) == CARM_OK);
    mismatches += fabs(ra.meld_i - rb.meld_i) > 1e-9;
    CHECK(carm_clinical_meld_na(&ra, &a) == CARM_OK);
    CHECK(carm_clinical_meld_na(&rb, &b) == CARM_OK);
    mismatches += ra.score != rb.score;
    carm_albi_result aa;
    carm_albi_result ab;
    CHECK(carm_clinical_albi(&aa, &a.bilirubin, &a.albumin) == CARM_OK);
    CHECK(carm_clinical_albi(&ab, &b.bilirubin, &b.albumin) == CARM_OK);
    mismatches += fabs(aa.score - ab.score) > 1e-9;
  }
  CHECK_MSG(mismatches == 0, "%d unit mismatches", mismatches);

  /* Tumour burden: growing a nodule or adding one never makes "within". */
  int burden_bad = 0;
  for (int t = 0; t < 300; t++) {
    double sizes[6];
    int n = 1 + (int)(carm_rng_uniform(&rng) * 4.0);
    for (int i = 0; i < n; i++) {
      sizes[i] = 0.5 + 6.0 * carm_rng_uniform(&rng);
    }
    for (int c = 0; c < 3; c++) {
      carm_tumour_burden b;
      memset(&b, 0, sizeof b);
      b.sizes_cm = sizes;
      b.n_nodules = n;
      b.vascular_invasion = CARM_FLAG_NO;
      b.extrahepatic = CARM_FLAG_NO;
      carm_criterion_result before;
      carm_criterion_result after;
      CHECK(carm_clinical_criterion(&before, (carm_criterion)c, &b) == CARM_OK);
      double saved = sizes[0];
      sizes[0] += 0.3;
      CHECK(carm_clinical_criterion(&after, (carm_criterion)c, &b) == CARM_OK);
      burden_bad += after.within > before.within;
      sizes[0] = saved;
      sizes[n] = 1.0;
      b.n_nodules = n + 1;
      CHECK(carm_clinical_criterion(&after, (carm_criterion)c, &b) == CARM_OK);
      burden_bad += after.within > before.within;
    }
  }
  CHECK_MSG(burden_bad == 0, "%d burden violations", burden_bad);

  /* RECIST: rank CR < PR < SD < PD; a smaller current sum never ranks worse. */
  int recist_bad = 0;
  for (int t = 0; t < 300; t++) {
    carm_response_input in = CARM_RESPONSE_INPUT_INIT;
    in.baseline_mm = 20.0 + 150.0 * carm_rng_uniform(&rng);
    in.nadir_mm = in.baseline_mm * carm_rng_uniform(&rng);
    in.new_lesion = CARM_FLAG_NO;
    int prev_rank = -1;
    for (double cur = 0.0; cur <= 250.0; cur += 0.5) {
      in.current_mm = cur;
      carm_response_result r;
      CHECK(carm_clinical_recist(&r, &in) == CARM_OK);
      const char *ranks = "CRPRSDPD";
      int rank = (int)(strstr(ranks, r.response) - ranks) / 2;
      recist_bad += rank < prev_rank;
      prev_rank = rank;
    }
  }
  CHECK_MSG(recist_bad == 0, "%d RECIST violations", recist_bad);
  return check_done();
}
