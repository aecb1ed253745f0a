/* Transplant and tumour-burden criteria.
 *
 * Sources (../shared/CLINICAL.md "Transplant and tumour-burden criteria"):
 * - Milan: Mazzaferro V et al. N Engl J Med 1996;334:693–699. One nodule
 *   ≤ 5 cm, or ≤ 3 nodules each ≤ 3 cm; no macrovascular invasion; no
 *   extrahepatic spread.
 * - UCSF: Yao FY et al. Hepatology 2001;33:1394–1403. One nodule ≤ 6.5 cm,
 *   or ≤ 3 nodules, largest ≤ 4.5 cm, total diameter ≤ 8 cm.
 * - Up-to-seven: Mazzaferro V et al. Lancet Oncol 2009;10:35–43. Largest
 *   diameter (cm) + number of nodules ≤ 7.
 * - TTV/AFP: Toso C et al. Hepatology 2015;62:158–165. Total tumour volume
 *   ≤ 115 cm³ and AFP ≤ 400 ng/mL.
 * Macrovascular invasion and extrahepatic spread exclude every criterion
 * (CLINICAL.md states it for Milan; the UCSF, up-to-seven and TTV/AFP
 * cohorts were transplant candidates without them, so carm applies the
 * same exclusions and says so in the notes). Limits are inclusive. When no
 * volumes are given, TTV uses spheres: V = π/6 · d³. */
#include "clinical/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char milan_rule[] = "Milan criteria (Mazzaferro 1996), carm rule v1";
static const char milan_src[] = "Mazzaferro V et al. N Engl J Med 1996;334:693-699; "
                                "../shared/CLINICAL.md";
static const char ucsf_rule[] = "UCSF criteria (Yao 2001), carm rule v1";
static const char ucsf_src[] = "Yao FY et al. Hepatology 2001;33:1394-1403; ../shared/CLINICAL.md";
static const char u7_rule[] = "Up-to-seven (Mazzaferro 2009), carm rule v1";
static const char u7_src[] = "Mazzaferro V et al. Lancet Oncol 2009;10:35-43; "
                             "../shared/CLINICAL.md";
static const char ttv_rule[] = "TTV/AFP (Toso 2015), carm rule v1";
static const char ttv_src[] = "Toso C et al. Hepatology 2015;62:158-165; ../shared/CLINICAL.md";

const char *carm_clinical_criterion_name(carm_criterion criterion) {
  switch (criterion) {
  case CARM_CRITERION_MILAN: return "milan";
  case CARM_CRITERION_UCSF: return "ucsf";
  case CARM_CRITERION_UP_TO_SEVEN: return "up-to-seven";
  case CARM_CRITERION_TTV_AFP: return "ttv-afp";
  }
  return "?";
}

carm_status carm_clinical_criterion(carm_criterion_result *out, carm_criterion criterion,
                                    const carm_tumour_burden *burden) {
  const char *calc = carm_clinical_criterion_name(criterion);
  if (out == NULL || burden == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  if (criterion < CARM_CRITERION_MILAN || criterion > CARM_CRITERION_TTV_AFP) {
    return carm_error(CARM_ERR_INVALID, "unknown criterion %d", (int)criterion);
  }
  int n = 0;
  double largest = 0.0;
  double total = 0.0;
  carm_status st = clin_burden_sizes(burden, calc, &n, &largest, &total);
  if (st == CARM_OK) {
    st = clin_need_flag(burden->vascular_invasion, calc, "vascular_invasion");
  }
  if (st == CARM_OK) {
    st = clin_need_flag(burden->extrahepatic, calc, "extrahepatic");
  }
  if (st == CARM_OK && criterion == CARM_CRITERION_TTV_AFP) {
    st = clin_need_lab(calc, CARM_LAB_AFP, &burden->afp);
  }
  if (st != CARM_OK) {
    return st;
  }
  carm_criterion_result r;
  memset(&r, 0, sizeof r);
  carm_clinical_report *rep = &r.report;
  r.n_nodules = n;
  r.largest_cm = largest;
  r.total_cm = total;
  r.value = NAN;
  switch (criterion) {
  case CARM_CRITERION_MILAN: clin_report_init(rep, milan_rule, milan_src); break;
  case CARM_CRITERION_UCSF: clin_report_init(rep, ucsf_rule, ucsf_src); break;
  case CARM_CRITERION_UP_TO_SEVEN: clin_report_init(rep, u7_rule, u7_src); break;
  case CARM_CRITERION_TTV_AFP: clin_report_init(rep, ttv_rule, ttv_src); break;
  }
  clin_term_add(rep, "nodules", n, NULL, n, NULL, NULL, NAN);
  clin_term_add(rep, "largest", largest, "cm", largest, "cm", NULL, NAN);
  clin_term_add(rep, "total diameter", total, "cm", total, "cm", NULL, NAN);
  clin_term_add(rep, "vascular_invasion", NAN, NULL, NAN, NULL,
                burden->vascular_invasion == CARM_FLAG_YES ? "yes" : "no", NAN);
  clin_term_add(rep, "extrahepatic", NAN, NULL, NAN, NULL,
                burden->extrahepatic == CARM_FLAG_YES ? "yes" : "no", NAN);

  int within = 1;
  char why[160] = "";
  switch (criterion) {
  case CARM_CRITERION_MILAN:
    if (n == 1) {
      within = clin_cmp(largest, 5.0) <= 0;
      snprintf(why, sizeof why, "single nodule %.2f cm %s 5 cm", largest, within ? "<=" : ">");
    } else if (n <= 3) {
      within = clin_cmp(largest, 3.0) <= 0;
      snprintf(why, sizeof why, "%d nodules, largest %.2f cm %s 3 cm", n, largest,
               within ? "<=" : ">");
    } else {
      within = 0;
      snprintf(why, sizeof why, "%d nodules (more than 3)", n);
    }
    break;
  case CARM_CRITERION_UCSF:
    if (n == 1) {
      within = clin_cmp(largest, 6.5) <= 0;
      snprintf(why, sizeof why, "single nodule %.2f cm %s 6.5 cm", largest, within ? "<=" : ">");
    } else if (n <= 3) {
      int big_ok = clin_cmp(largest, 4.5) <= 0;
      int total_ok = clin_cmp(total, 8.0) <= 0;
      within = big_ok && total_ok;
      if (!big_ok) {
        snprintf(why, sizeof why, "%d nodules, largest %.2f cm > 4.5 cm", n, largest);
      } else {
        snprintf(why, sizeof why, "%d nodules, largest %.2f cm <= 4.5 cm, total %.2f cm %s 8 cm", n,
                 largest, total, total_ok ? "<=" : ">");
      }
    } else {
      within = 0;
      snprintf(why, sizeof why, "%d nodules (more than 3)", n);
    }
    break;
  case CARM_CRITERION_UP_TO_SEVEN:
    r.value = largest + n;
    within = clin_cmp(r.value, 7.0) <= 0;
    snprintf(why, sizeof why, "largest %.2f cm + %d nodules = %.2f %s 7", largest, n, r.value,
             within ? "<=" : ">");
    break;
  case CARM_CRITERION_TTV_AFP: {
    double ttv = 0.0;
    for (int i = 0; i < n; i++) {
      if (burden->volumes_cm3 != NULL) {
        double v = burden->volumes_cm3[i];
        if (!isfinite(v) || v <= 0.0 || v > 15000.0) {
          return carm_error(CARM_ERR_RANGE, "%s: nodule %d volume %g cm3 is impossible", calc,
                            i + 1, v);
        }
        ttv += v;
      } else {
        double d = burden->sizes_cm[i];
        ttv += M_PI / 6.0 * d * d * d;
      }
    }
    if (burden->volumes_cm3 == NULL) {
      clin_note(rep, "volumes from diameters as spheres (pi/6 d^3)");
    }
    r.value = ttv;
    double afp = burden->afp.value;
    clin_term_add(rep, "total tumour volume", ttv, "cm3", ttv, "cm3", NULL, NAN);
    clin_term_lab(rep, "afp", &burden->afp, afp, CARM_UNIT_NG_ML, NAN);
    int ttv_ok = clin_cmp(ttv, 115.0) <= 0;
    int afp_ok = clin_cmp(afp, 400.0) <= 0;
    within = ttv_ok && afp_ok;
    if (!ttv_ok) {
      snprintf(why, sizeof why, "total tumour volume %.1f cm3 > 115 cm3", ttv);
    } else if (!afp_ok) {
      snprintf(why, sizeof why, "AFP %.4g ng/mL > 400 ng/mL", afp);
    } else {
      snprintf(why, sizeof why, "TTV %.1f cm3 <= 115 and AFP %.4g ng/mL <= 400", ttv, afp);
    }
    break;
  }
  }
  if (criterion != CARM_CRITERION_MILAN) {
    clin_note(rep, "macrovascular invasion and extrahepatic spread exclude (as for Milan)");
  }
  if (burden->vascular_invasion == CARM_FLAG_YES) {
    within = 0;
    clin_driver(rep, "macrovascular invasion (beyond; burden: %s)", why);
  } else if (burden->extrahepatic == CARM_FLAG_YES) {
    within = 0;
    clin_driver(rep, "extrahepatic spread (beyond; burden: %s)", why);
  } else {
    clin_driver(rep, "%s (%s)", why, within ? "within" : "beyond");
  }
  r.within = within;
  *out = r;
  return CARM_OK;
}
