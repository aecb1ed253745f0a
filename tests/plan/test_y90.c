/* Y-90: every number against a hand calculation from CLINICAL.md's formulas
 * (worked in the comments), units included. */
#include "carm/plan.h"
#include "check.h"

static void test_formulas(void) {
  /* MIRD: A = 120 Gy · 1.545 kg / (49.67 · 0.95) = 185.4 / 47.1865 = 3.929090 GBq */
  CHECK_NEAR(carm_y90_mird_activity(120.0, 0.05, 1.545), 3.929090, 1e-5);
  /* and back: 49.67 · 3.929090 · 0.95 / 1.545 = 120 Gy */
  CHECK_NEAR(carm_y90_mird_dose(3.929090, 0.05, 1.545), 120.0, 1e-4);
  /* lung: 49.67 · 3.92909 · 0.05 / 1 kg = 9.75789 Gy */
  CHECK_NEAR(carm_y90_lung_dose(3.92909, 0.05, 1.0), 9.75789, 1e-4);
  /* partition: M_T = 0.103 kg, M_NL = 0.721 kg, TNR 3, LSF 0.1, D_NL 75 Gy:
   * A = 75 · (3·0.103 + 0.721) / (49.67 · 0.9) = 77.25 / 44.703 = 1.728072 GBq */
  CHECK_NEAR(carm_y90_partition_activity(75.0, 0.1, 3.0, 0.103, 0.721), 1.728072, 1e-5);
  /* D_T = 49.67 · 1.728072 · 0.9 · 3 / 1.03 = 225 Gy */
  CHECK_NEAR(carm_y90_partition_tumour_dose(1.728072, 0.1, 3.0, 0.103, 0.721), 225.0, 1e-3);
  /* BSA: 0.20247 · 1.75^0.725 · 80^0.425 = 0.20247 · 1.500385 · 6.438923 = 1.956035 m² */
  CHECK_NEAR(carm_y90_bsa(1.75, 80.0), 1.956035, 1e-5);
  /* resin BSA activity: (1.956035 − 0.2) + 200/1700 = 1.756035 + 0.117647 = 1.873682 GBq */
  CHECK_NEAR(carm_y90_bsa_activity(1.956035, 200.0, 1500.0), 1.873682, 1e-5);
}

static void test_plans(void) {
  carm_y90_result r;
  /* glass, no TNR: MIRD at 120 Gy to the whole liver (1500 mL · 1.03 = 1.545 kg) */
  carm_y90_input in = CARM_Y90_INIT;
  in.lsf = 0.05;
  in.liver_ml = 1500.0;
  CHECK(carm_y90_plan(&in, &r) == CARM_OK);
  CHECK_NEAR(r.perfused_mass_kg, 1.545, 1e-12);
  CHECK_NEAR(r.activity_gbq, 3.929090, 1e-5);
  CHECK_NEAR(r.perfused_dose_gy, 120.0, 1e-9);
  CHECK_NEAR(r.lung_dose_gy, 9.75789, 1e-4);
  CHECK(r.lung_ok);

  /* glass with TNR 3: partition model, normal liver at 75 Gy, tumour 225 Gy */
  in.lsf = 0.10;
  in.liver_ml = 1600.0;
  in.perfused_ml = 800.0;
  in.tumour_ml = 100.0;
  in.tnr = 3.0;
  CHECK(carm_y90_plan(&in, &r) == CARM_OK);
  CHECK_NEAR(r.tumour_mass_kg, 0.103, 1e-12);
  CHECK_NEAR(r.normal_mass_kg, 0.721, 1e-12);
  CHECK_NEAR(r.activity_gbq, 1.728072, 1e-5);
  CHECK_NEAR(r.normal_dose_gy, 75.0, 1e-6);
  CHECK_NEAR(r.tumour_dose_gy, 225.0, 1e-3);
  CHECK(r.tumour_ok && r.normal_ok);
  /* lung: 49.67 · 1.728072 · 0.1 = 8.58333 Gy */
  CHECK_NEAR(r.lung_dose_gy, 8.58333, 1e-4);

  /* resin, BSA: 1.873682 GBq */
  carm_y90_input rs = CARM_Y90_INIT;
  rs.device = CARM_Y90_RESIN;
  rs.lsf = 0.08;
  rs.liver_ml = 1500.0;
  rs.perfused_ml = 1500.0;
  rs.tumour_ml = 200.0;
  rs.height_m = 1.75;
  rs.weight_kg = 80.0;
  CHECK(carm_y90_plan(&rs, &r) == CARM_OK);
  CHECK_NEAR(r.activity_gbq, 1.873682, 1e-5);
  CHECK_NEAR(r.normal_limit_gy, 40.0, 0);

  /* lung limit: glass, LSF 0.2, 2000 mL: MIRD 120·2.06/(49.67·0.8) = 6.221060
   * would give 61.8 Gy to the lung; capped at 30·1/(49.67·0.2) = 3.019932 GBq */
  carm_y90_input lg = CARM_Y90_INIT;
  lg.lsf = 0.2;
  lg.liver_ml = 2000.0;
  CHECK(carm_y90_plan(&lg, &r) == CARM_OK);
  CHECK_NEAR(r.mird_activity_gbq, 6.221060, 1e-5);
  CHECK_NEAR(r.activity_gbq, 3.019932, 1e-5);
  CHECK_NEAR(r.lung_dose_gy, 30.0, 1e-9);
  CHECK(r.lung_ok);
  /* with 40 Gy already received, 10 Gy remain: 10/(49.67·0.2) = 1.006644 GBq */
  lg.prior_lung_gy = 40.0;
  CHECK(carm_y90_plan(&lg, &r) == CARM_OK);
  CHECK_NEAR(r.activity_gbq, 1.006644, 1e-5);
  CHECK_NEAR(r.lung_cumulative_gy, 50.0, 1e-9);
  /* a given activity above the limit is reported, not changed */
  lg.prior_lung_gy = 0.0;
  lg.activity_gbq = 5.0;
  CHECK(carm_y90_plan(&lg, &r) == CARM_OK);
  CHECK_NEAR(r.activity_gbq, 5.0, 0);
  CHECK(!r.lung_ok); /* 49.67·5·0.2 = 49.67 Gy */

  /* bad inputs: clear errors */
  carm_y90_input bad = CARM_Y90_INIT;
  CHECK(carm_y90_plan(&bad, &r) == CARM_ERR_RANGE); /* no LSF */
  bad.lsf = 1.2;
  bad.liver_ml = 1500;
  CHECK(carm_y90_plan(&bad, &r) == CARM_ERR_RANGE);
  bad.lsf = 0.1;
  bad.tumour_ml = 2000;
  CHECK(carm_y90_plan(&bad, &r) == CARM_ERR_RANGE);
  bad.tumour_ml = 10;
  bad.device = CARM_Y90_RESIN; /* no TNR, no height/weight */
  CHECK(carm_y90_plan(&bad, &r) == CARM_ERR_INVALID);
  bad.liver_ml = NAN;
  CHECK(carm_y90_plan(&bad, &r) == CARM_ERR_RANGE);
}

int main(void) {
  test_formulas();
  test_plans();
  return check_done();
}
