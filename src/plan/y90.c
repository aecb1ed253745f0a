/* Y-90 radioembolisation: activity and doses. Formulas and thresholds from
 * ../shared/CLINICAL.md, "Y-90 radioembolisation":
 *  - lung dose 49.67·A·LSF/M_lung, limits 30 Gy per treatment, 50 Gy cumulative;
 *  - MIRD single compartment D = 49.67·A·(1 − LSF)/M;
 *  - partition model D_T = 49.67·A·(1 − LSF)·TNR/(TNR·M_T + M_NL), D_NL = D_T/TNR;
 *  - BSA (resin) 0.20247·h^0.725·w^0.425, A = (BSA − 0.2) + V_T/(V_T + V_liver);
 *  - EANM 2022: glass tumour ≥ 205 Gy, normal liver < 75 Gy; resin tumour
 *    ≥ 100–120 Gy (100 used), normal perfused liver < 40 Gy;
 *  - liver density 1.03 g/cm³. */
#include "carm/plan.h"

#include <math.h>
#include <string.h>

#define Y90_GY_KG_PER_GBQ 49.67

double carm_y90_lung_dose(double activity_gbq, double lsf, double lung_mass_kg) {
  return Y90_GY_KG_PER_GBQ * activity_gbq * lsf / lung_mass_kg;
}

double carm_y90_mird_dose(double activity_gbq, double lsf, double mass_kg) {
  return Y90_GY_KG_PER_GBQ * activity_gbq * (1.0 - lsf) / mass_kg;
}

double carm_y90_mird_activity(double dose_gy, double lsf, double mass_kg) {
  return dose_gy * mass_kg / (Y90_GY_KG_PER_GBQ * (1.0 - lsf));
}

double carm_y90_partition_tumour_dose(double activity_gbq, double lsf, double tnr,
                                      double tumour_mass_kg, double normal_mass_kg) {
  return Y90_GY_KG_PER_GBQ * activity_gbq * (1.0 - lsf) * tnr /
         (tnr * tumour_mass_kg + normal_mass_kg);
}

double carm_y90_partition_activity(double dose_nl_gy, double lsf, double tnr, double tumour_mass_kg,
                                   double normal_mass_kg) {
  /* D_NL = D_T / TNR = 49.67·A·(1 − LSF)/(TNR·M_T + M_NL) */
  return dose_nl_gy * (tnr * tumour_mass_kg + normal_mass_kg) / (Y90_GY_KG_PER_GBQ * (1.0 - lsf));
}

double carm_y90_bsa(double height_m, double weight_kg) {
  return 0.20247 * pow(height_m, 0.725) * pow(weight_kg, 0.425);
}

double carm_y90_bsa_activity(double bsa_m2, double tumour_ml, double liver_ml) {
  return (bsa_m2 - 0.2) + tumour_ml / (tumour_ml + liver_ml);
}

static int given(double x) { return isfinite(x); }

carm_status carm_y90_plan(const carm_y90_input *in, carm_y90_result *out) {
  if (in == NULL || out == NULL || in->version != 1) {
    return carm_error(CARM_ERR_INVALID, "y90: missing input");
  }
  if (!given(in->lsf) || in->lsf < 0.0 || in->lsf >= 1.0) {
    return carm_error(CARM_ERR_RANGE, "y90: lung shunt fraction must be given, in [0, 1)");
  }
  if (!given(in->liver_ml) || in->liver_ml <= 0.0 || in->liver_ml > 10000.0) {
    return carm_error(CARM_ERR_RANGE, "y90: liver volume must be given, in (0, 10000] mL");
  }
  double perfused = given(in->perfused_ml) ? in->perfused_ml : in->liver_ml;
  double tumour = given(in->tumour_ml) ? in->tumour_ml : 0.0;
  if (perfused <= 0.0 || perfused > in->liver_ml * 1.001) {
    return carm_error(CARM_ERR_RANGE, "y90: perfused volume %.1f mL outside (0, liver %.1f mL]",
                      perfused, in->liver_ml);
  }
  if (tumour < 0.0 || tumour >= perfused) {
    return carm_error(CARM_ERR_RANGE, "y90: tumour volume %.1f mL outside [0, perfused %.1f mL)",
                      tumour, perfused);
  }
  if (!(in->lung_mass_kg > 0.0) || !(in->density_g_ml > 0.5 && in->density_g_ml < 2.0)) {
    return carm_error(CARM_ERR_RANGE, "y90: lung mass must be > 0 and density in (0.5, 2) g/mL");
  }
  if (given(in->tnr) && !(in->tnr > 0.0 && in->tnr < 100.0)) {
    return carm_error(CARM_ERR_RANGE, "y90: tumour-to-normal ratio must be in (0, 100)");
  }
  if (!(in->prior_lung_gy >= 0.0)) {
    return carm_error(CARM_ERR_RANGE, "y90: prior lung dose must be >= 0 Gy");
  }
  memset(out, 0, sizeof *out);
  const int glass = in->device == CARM_Y90_GLASS;
  out->tumour_threshold_gy = glass ? 205.0 : 100.0;
  out->normal_limit_gy = glass ? 75.0 : 40.0;
  out->mird_target_gy = glass ? 120.0 : 50.0;
  out->perfused_mass_kg = perfused * in->density_g_ml / 1000.0;
  out->tumour_mass_kg = tumour * in->density_g_ml / 1000.0;
  out->normal_mass_kg = out->perfused_mass_kg - out->tumour_mass_kg;
  out->mird_activity_gbq =
      carm_y90_mird_activity(out->mird_target_gy, in->lsf, out->perfused_mass_kg);
  out->partition_activity_gbq =
      given(in->tnr) ? carm_y90_partition_activity(out->normal_limit_gy, in->lsf, in->tnr,
                                                   out->tumour_mass_kg, out->normal_mass_kg)
                     : NAN;
  out->bsa_activity_gbq = NAN;
  if (!glass && given(in->height_m) && given(in->weight_kg)) {
    if (!(in->height_m > 0.5 && in->height_m < 2.6 && in->weight_kg > 10 && in->weight_kg < 400)) {
      return carm_error(CARM_ERR_RANGE, "y90: height (m) or weight (kg) implausible");
    }
    out->bsa_activity_gbq =
        carm_y90_bsa_activity(carm_y90_bsa(in->height_m, in->weight_kg), tumour, in->liver_ml);
  }
  if (given(in->activity_gbq)) {
    if (!(in->activity_gbq > 0.0 && in->activity_gbq < 100.0)) {
      return carm_error(CARM_ERR_RANGE, "y90: activity must be in (0, 100) GBq");
    }
    out->activity_gbq = in->activity_gbq;
    out->method = "given";
  } else if (given(in->tnr)) {
    out->activity_gbq = out->partition_activity_gbq;
    out->method = "partition model, normal liver at its limit";
  } else if (!glass) {
    if (!given(out->bsa_activity_gbq)) {
      return carm_error(CARM_ERR_INVALID, "y90: resin without TNR needs height and weight (BSA)");
    }
    out->activity_gbq = out->bsa_activity_gbq;
    out->method = "BSA";
  } else {
    out->activity_gbq = out->mird_activity_gbq;
    out->method = "MIRD single compartment at 120 Gy";
  }
  /* a proposed activity never exceeds the lung limits */
  double lung_room = fmin(30.0, 50.0 - in->prior_lung_gy);
  if (!given(in->activity_gbq) && in->lsf > 0.0 && lung_room > 0.0) {
    double cap = lung_room * in->lung_mass_kg / (Y90_GY_KG_PER_GBQ * in->lsf);
    if (out->activity_gbq > cap) {
      out->activity_gbq = cap;
      out->method = "reduced to the lung dose limit";
    }
  }
  double a = out->activity_gbq;
  out->perfused_dose_gy = carm_y90_mird_dose(a, in->lsf, out->perfused_mass_kg);
  out->lung_dose_gy = carm_y90_lung_dose(a, in->lsf, in->lung_mass_kg);
  out->lung_cumulative_gy = out->lung_dose_gy + in->prior_lung_gy;
  out->lung_ok = out->lung_dose_gy <= 30.0 && out->lung_cumulative_gy <= 50.0;
  if (given(in->tnr) && out->tumour_mass_kg > 0.0) {
    out->tumour_dose_gy = carm_y90_partition_tumour_dose(a, in->lsf, in->tnr, out->tumour_mass_kg,
                                                         out->normal_mass_kg);
    out->normal_dose_gy = out->tumour_dose_gy / in->tnr;
  } else {
    out->tumour_dose_gy = NAN;
    out->normal_dose_gy = NAN;
  }
  out->tumour_ok = given(out->tumour_dose_gy) && out->tumour_dose_gy >= out->tumour_threshold_gy;
  out->normal_ok = given(out->normal_dose_gy) ? out->normal_dose_gy < out->normal_limit_gy + 1e-9
                                              : out->perfused_dose_gy < 1e9;
  return CARM_OK;
}
