/* BCLC 2022 staging and treatment recommendation.
 *
 * Source: Reig M, Forner A, Rimola J, et al. BCLC strategy for prognosis
 * prediction and treatment recommendation: the 2022 update. J Hepatol
 * 2022;76:681–693; rules as given in ../shared/CLINICAL.md "BCLC 2022":
 * - 0 very early: single nodule ≤ 2 cm, preserved liver function, PS 0 →
 *   ablation (resection an alternative; TACE/TARE/SBRT if neither feasible)
 * - A early: single nodule > 2 cm, or 2–3 nodules each ≤ 3 cm; preserved
 *   liver function; PS 0 → single: resection if no portal hypertension and
 *   normal bilirubin, else transplant if candidate, else ablation;
 *   2–3 nodules: transplant if candidate, else ablation
 * - B intermediate: multinodular beyond A, preserved liver function, PS 0 →
 *   within extended transplant criteria: transplant; well-defined nodules
 *   with preserved portal flow and selective access: TACE; diffuse /
 *   infiltrative / extensive bilobar: systemic therapy
 * - C advanced: portal invasion and/or extrahepatic spread, or
 *   cancer-related PS 1–2, with preserved liver function → systemic therapy
 *   (1st line atezolizumab–bevacizumab or durvalumab–tremelimumab;
 *   alternatives sorafenib, lenvatinib, durvalumab)
 * - D terminal: end-stage liver function not eligible for transplant, or
 *   PS 3–4 → best supportive care
 * - "treatment stage migration": the option is a starting point; the
 *   board's decision and reason are recorded, never overwritten.
 *
 * carm's documented choices (named options, defaults in clinical.h):
 * - liver function: Child–Pugh A preserved, C end-stage; B preserved by
 *   default with a caution note (option: end-stage);
 * - end-stage liver function in a transplant candidate within Milan: the
 *   2022 figure sends it to transplantation rather than to stage D; carm
 *   stages it by tumour burden (0 or A, as Milan implies) with the single
 *   option "liver transplantation" and liver_function "end-stage";
 * - ECOG PS 1–2 is taken as cancer-related unless ps_cancer_related=no,
 *   which then stages by tumour burden with a note;
 * - "normal bilirubin": ≤ the upper limit of normal, default 1.2 mg/dL;
 * - "extended transplant criteria" for stage B: up-to-seven by default. */
#include "clinical/internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char bclc_rule[] = "BCLC 2022 (Reig et al.), carm rule v1";
static const char bclc_source[] = "Reig M et al. J Hepatol 2022;76:681-693; ../shared/CLINICAL.md";

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
add_option(carm_bclc_result *r, const char *name, const char *role, const char *fmt, ...) {
  if (r->n_options >= CARM_BCLC_MAX_OPTIONS) {
    return;
  }
  carm_bclc_option *o = &r->options[r->n_options++];
  clin_copy(o->name, sizeof o->name, name);
  clin_copy(o->role, sizeof o->role, role);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->reason, sizeof o->reason, fmt, ap);
  va_end(ap);
}

static int has_all_cp_inputs(const carm_child_pugh_input *l) {
  return l->bilirubin.unit != CARM_UNIT_NONE && l->albumin.unit != CARM_UNIT_NONE &&
         l->inr.unit != CARM_UNIT_NONE && l->ascites != CARM_ASCITES_UNSET &&
         l->encephalopathy != CARM_HE_UNSET;
}

static const char *flag_text(carm_clinical_flag f) {
  return f == CARM_FLAG_YES ? "yes" : f == CARM_FLAG_NO ? "no" : "not given";
}

/* Liver transplantation decision for an end-stage liver (see above). */
static carm_status end_stage(carm_bclc_result *r, const carm_bclc_input *in, const char *cp_why,
                             int n, double largest) {
  carm_clinical_report *rep = &r->report;
  carm_status st = clin_need_flag(in->transplant_candidate, "bclc (end-stage liver function)",
                                  "transplant_candidate");
  if (st != CARM_OK) {
    return st;
  }
  carm_criterion_result milan;
  st = carm_clinical_criterion(&milan, CARM_CRITERION_MILAN, &in->burden);
  if (st != CARM_OK) {
    return st;
  }
  if (in->transplant_candidate == CARM_FLAG_YES && milan.within) {
    r->stage = (n == 1 && clin_cmp(largest, 2.0) <= 0) ? '0' : 'A';
    add_option(r, "liver transplantation", "recommended",
               "end-stage liver function (%s) in a transplant candidate within Milan (%s)", cp_why,
               milan.report.driver);
    clin_driver(rep, "%s, transplant candidate within Milan", cp_why);
    clin_note(rep, "end-stage liver function: staged by tumour burden because the patient is a "
                   "transplant candidate within Milan (BCLC 2022 figure)");
    return CARM_OK;
  }
  r->stage = 'D';
  add_option(r, "best supportive care", "recommended", "BCLC D: end-stage liver function (%s), %s",
             cp_why,
             in->transplant_candidate == CARM_FLAG_YES ? "tumour beyond Milan"
                                                       : "not a transplant candidate");
  clin_driver(rep, "%s (end-stage liver function), %s", cp_why,
              in->transplant_candidate == CARM_FLAG_YES ? "beyond Milan"
                                                        : "not a transplant candidate");
  return CARM_OK;
}

static void stage_c(carm_bclc_result *r, const char *why) {
  r->stage = 'C';
  add_option(r, "atezolizumab-bevacizumab", "recommended",
             "BCLC C (%s): systemic therapy, first line", why);
  add_option(r, "durvalumab-tremelimumab", "recommended",
             "BCLC C (%s): systemic therapy, first line", why);
  add_option(r, "sorafenib", "alternative", "BCLC C: systemic alternative to first line");
  add_option(r, "lenvatinib", "alternative", "BCLC C: systemic alternative to first line");
  add_option(r, "durvalumab", "alternative", "BCLC C: systemic alternative to first line");
}

carm_status carm_clinical_bclc(carm_bclc_result *out, const carm_bclc_input *in,
                               const carm_bclc_options *options) {
  static const char calc[] = "bclc";
  if (out == NULL || in == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  carm_bclc_options opt = CARM_BCLC_OPTIONS_INIT;
  if (options != NULL) {
    opt = *options;
  }
  if (opt.child_pugh_b != CARM_BCLC_B_PRESERVED && opt.child_pugh_b != CARM_BCLC_B_END_STAGE) {
    return carm_error(CARM_ERR_INVALID, "%s: unknown child_pugh_b option", calc);
  }
  if (opt.extended_criteria < CARM_CRITERION_MILAN ||
      opt.extended_criteria > CARM_CRITERION_TTV_AFP) {
    return carm_error(CARM_ERR_INVALID, "%s: unknown extended_criteria option", calc);
  }
  if (!isfinite(opt.bilirubin_uln_mg_dl) || opt.bilirubin_uln_mg_dl <= 0.0 ||
      opt.bilirubin_uln_mg_dl > 5.0) {
    return carm_error(CARM_ERR_RANGE, "%s: bilirubin upper limit of normal %g mg/dL is impossible",
                      calc, opt.bilirubin_uln_mg_dl);
  }
  int n = 0;
  double largest = 0.0;
  double total = 0.0;
  carm_status st = clin_burden_sizes(&in->burden, calc, &n, &largest, &total);
  if (st == CARM_OK) {
    st = clin_need_flag(in->burden.vascular_invasion, calc, "vascular_invasion");
  }
  if (st == CARM_OK) {
    st = clin_need_flag(in->burden.extrahepatic, calc, "extrahepatic");
  }
  if (st != CARM_OK) {
    return st;
  }
  if (in->ecog_ps == -1) {
    return carm_error(CARM_ERR_INVALID, "%s: missing input ecog (ECOG performance status 0-4)",
                      calc);
  }
  if (in->ecog_ps < 0 || in->ecog_ps > 4) {
    return carm_error(CARM_ERR_RANGE, "%s: ecog %d is impossible (0-4)", calc, in->ecog_ps);
  }

  carm_bclc_result r;
  memset(&r, 0, sizeof r);
  carm_clinical_report *rep = &r.report;
  clin_report_init(rep, bclc_rule, bclc_source);

  /* Liver function. */
  char cls = 0;
  char cp_why[64];
  if (in->child_pugh_class != 0) {
    cls = (char)toupper((unsigned char)in->child_pugh_class);
    if (cls != 'A' && cls != 'B' && cls != 'C') {
      return carm_error(CARM_ERR_INVALID, "%s: child_pugh class '%c': expected A, B or C", calc,
                        in->child_pugh_class);
    }
    snprintf(cp_why, sizeof cp_why, "Child-Pugh %c", cls);
    if (has_all_cp_inputs(&in->liver)) {
      carm_child_pugh_result cp;
      st = carm_clinical_child_pugh(&cp, &in->liver, NULL);
      if (st != CARM_OK) {
        return st;
      }
      if (cp.cls != cls) {
        return carm_error(CARM_ERR_INVALID,
                          "%s: child_pugh class %c contradicts the labs given (class %c, score "
                          "%d): give one or the other",
                          calc, cls, cp.cls, cp.score);
      }
    }
    clin_term_add(rep, "child_pugh", NAN, NULL, NAN, NULL, cp_why + 11, NAN);
  } else {
    carm_child_pugh_result cp;
    st = carm_clinical_child_pugh(&cp, &in->liver, NULL);
    if (st != CARM_OK) {
      char detail[400];
      clin_copy(detail, sizeof detail, carm_last_error());
      return carm_error(st, "bclc: give child_pugh=A|B|C or the five Child-Pugh inputs (%s)",
                        detail);
    }
    cls = cp.cls;
    snprintf(cp_why, sizeof cp_why, "Child-Pugh %c (score %d)", cls, cp.score);
    clin_term_add(rep, "child_pugh", NAN, NULL, cp.score, "points", cp_why + 11, NAN);
  }
  r.child_pugh_class = cls;
  int preserved = cls == 'A' || (cls == 'B' && opt.child_pugh_b == CARM_BCLC_B_PRESERVED);
  clin_copy(r.liver_function, sizeof r.liver_function, preserved ? "preserved" : "end-stage");
  if (cls == 'B') {
    clin_note(rep, opt.child_pugh_b == CARM_BCLC_B_PRESERVED
                       ? "Child-Pugh B counted as preserved liver function (option child_pugh_b="
                         "preserved): BCLC 2022 asks the board to judge liver function beyond "
                         "Child-Pugh (ALBI, MELD)"
                       : "Child-Pugh B counted as end-stage liver function (option child_pugh_b="
                         "end-stage)");
  }

  clin_term_add(rep, "nodules", n, NULL, n, NULL, NULL, NAN);
  clin_term_add(rep, "largest", largest, "cm", largest, "cm", NULL, NAN);
  clin_term_add(rep, "ecog", in->ecog_ps, NULL, in->ecog_ps, NULL, NULL, NAN);
  clin_term_add(rep, "vascular_invasion", NAN, NULL, NAN, NULL,
                flag_text(in->burden.vascular_invasion), NAN);
  clin_term_add(rep, "extrahepatic", NAN, NULL, NAN, NULL, flag_text(in->burden.extrahepatic), NAN);
  clin_term_add(rep, "portal_hypertension", NAN, NULL, NAN, NULL,
                flag_text(in->portal_hypertension), NAN);
  clin_term_add(rep, "transplant_candidate", NAN, NULL, NAN, NULL,
                flag_text(in->transplant_candidate), NAN);

  clin_note(rep, "BCLC 2022 treatment stage migration: the recommended option is a starting "
                 "point, and the board records its decision and reason");

  /* D: PS 3-4. */
  if (in->ecog_ps >= 3) {
    r.stage = 'D';
    add_option(&r, "best supportive care", "recommended", "BCLC D: ECOG PS %d (3-4)", in->ecog_ps);
    clin_driver(rep, "ECOG PS %d", in->ecog_ps);
    *out = r;
    return CARM_OK;
  }
  /* End-stage liver function: transplant or D. */
  if (!preserved) {
    st = end_stage(&r, in, cp_why, n, largest);
    if (st != CARM_OK) {
      return st;
    }
    *out = r;
    return CARM_OK;
  }
  /* C: invasion, spread, cancer-related PS 1-2. */
  if (in->burden.vascular_invasion == CARM_FLAG_YES || in->burden.extrahepatic == CARM_FLAG_YES) {
    const char *why =
        in->burden.vascular_invasion == CARM_FLAG_YES
            ? (in->burden.extrahepatic == CARM_FLAG_YES ? "portal invasion and extrahepatic spread"
                                                        : "portal (macrovascular) invasion")
            : "extrahepatic spread";
    stage_c(&r, why);
    clin_driver(rep, "%s", why);
    *out = r;
    return CARM_OK;
  }
  if (in->ecog_ps >= 1) {
    if (in->ps_cancer_related != CARM_FLAG_NO) {
      char why[64];
      snprintf(why, sizeof why, "cancer-related ECOG PS %d", in->ecog_ps);
      if (in->ps_cancer_related == CARM_FLAG_UNSET) {
        clin_note(rep,
                  "ECOG PS %d taken as cancer-related (give ps_cancer_related=no "
                  "otherwise)",
                  in->ecog_ps);
      }
      stage_c(&r, why);
      clin_driver(rep, "%s", why);
      *out = r;
      return CARM_OK;
    }
    clin_note(rep, "ECOG PS %d not cancer-related: staged by tumour burden", in->ecog_ps);
  }

  /* 0 / A / B by tumour burden. */
  if (n == 1 && clin_cmp(largest, 2.0) <= 0) {
    r.stage = '0';
    clin_driver(rep, "single nodule %.2f cm <= 2 cm", largest);
    add_option(&r, "ablation", "recommended",
               "BCLC 0: single nodule %.2f cm <= 2 cm, preserved liver function, PS 0", largest);
    add_option(&r, "resection", "alternative", "BCLC 0: resection is the alternative to ablation");
    add_option(&r, "TACE/TARE/SBRT", "conditional",
               "BCLC 0: if neither ablation nor resection is feasible");
    *out = r;
    return CARM_OK;
  }
  if (n == 1) {
    r.stage = 'A';
    clin_driver(rep, "single nodule %.2f cm > 2 cm", largest);
    st = clin_need_flag(in->portal_hypertension, "bclc (stage A, single nodule: resection?)",
                        "portal_hypertension");
    if (st != CARM_OK) {
      return st;
    }
    int bili_normal = 0;
    double bili = NAN;
    if (in->portal_hypertension == CARM_FLAG_NO) {
      st = clin_need_lab("bclc (stage A, single nodule: resection needs normal bilirubin)",
                         CARM_LAB_BILIRUBIN, &in->liver.bilirubin);
      if (st != CARM_OK) {
        return st;
      }
      (void)carm_clinical_lab_convert(&bili, CARM_LAB_BILIRUBIN, &in->liver.bilirubin,
                                      CARM_UNIT_MG_DL);
      bili_normal = clin_cmp(bili, opt.bilirubin_uln_mg_dl) <= 0;
      clin_term_lab(rep, "bilirubin", &in->liver.bilirubin, bili, CARM_UNIT_MG_DL, NAN);
    }
    if (in->portal_hypertension == CARM_FLAG_NO && bili_normal) {
      add_option(&r, "resection", "recommended",
                 "BCLC A, single nodule: no portal hypertension and normal bilirubin (%.2f "
                 "<= %.2f mg/dL)",
                 bili, opt.bilirubin_uln_mg_dl);
      *out = r;
      return CARM_OK;
    }
    char why_not[128];
    if (in->portal_hypertension == CARM_FLAG_YES) {
      snprintf(why_not, sizeof why_not, "portal hypertension");
    } else {
      snprintf(why_not, sizeof why_not, "bilirubin %.2f > %.2f mg/dL", bili,
               opt.bilirubin_uln_mg_dl);
    }
    st = clin_need_flag(in->transplant_candidate, "bclc (stage A, single nodule, not resectable)",
                        "transplant_candidate");
    if (st != CARM_OK) {
      return st;
    }
    if (in->transplant_candidate == CARM_FLAG_YES) {
      add_option(&r, "liver transplantation", "recommended",
                 "BCLC A, single nodule, not for resection (%s): transplant candidate", why_not);
    } else {
      add_option(&r, "ablation", "recommended",
                 "BCLC A, single nodule, not for resection (%s), not a transplant candidate",
                 why_not);
    }
    *out = r;
    return CARM_OK;
  }
  if (n <= 3 && clin_cmp(largest, 3.0) <= 0) {
    r.stage = 'A';
    clin_driver(rep, "%d nodules, each <= 3 cm (largest %.2f cm)", n, largest);
    st = clin_need_flag(in->transplant_candidate, "bclc (stage A, 2-3 nodules)",
                        "transplant_candidate");
    if (st != CARM_OK) {
      return st;
    }
    if (in->transplant_candidate == CARM_FLAG_YES) {
      add_option(&r, "liver transplantation", "recommended",
                 "BCLC A, %d nodules <= 3 cm: transplant candidate", n);
    } else {
      add_option(&r, "ablation", "recommended",
                 "BCLC A, %d nodules <= 3 cm: not a transplant candidate", n);
    }
    *out = r;
    return CARM_OK;
  }

  /* B: multinodular beyond A. */
  r.stage = 'B';
  if (n <= 3) {
    clin_driver(rep, "%d nodules, largest %.2f cm > 3 cm (beyond A)", n, largest);
  } else {
    clin_driver(rep, "%d nodules (more than 3: beyond A)", n);
  }
  st = clin_need_flag(in->transplant_candidate, "bclc (stage B)", "transplant_candidate");
  if (st != CARM_OK) {
    return st;
  }
  int transplant = 0;
  if (in->transplant_candidate == CARM_FLAG_YES) {
    carm_criterion_result ext;
    st = carm_clinical_criterion(&ext, opt.extended_criteria, &in->burden);
    if (st != CARM_OK) {
      return st;
    }
    clin_note(rep, "extended transplant criteria: %s",
              carm_clinical_criterion_name(opt.extended_criteria));
    if (ext.within) {
      transplant = 1;
      add_option(&r, "liver transplantation", "recommended",
                 "BCLC B within extended transplant criteria (%s: %s)",
                 carm_clinical_criterion_name(opt.extended_criteria), ext.report.driver);
    } else {
      clin_note(rep, "beyond extended criteria (%s): no transplantation", ext.report.driver);
    }
  }
  const char *role = transplant ? "alternative" : "recommended";
  if (in->pattern == CARM_PATTERN_WELL_DEFINED) {
    add_option(&r, "TACE", role,
               "BCLC B: well-defined nodules, preserved portal flow, selective access");
  } else if (in->pattern == CARM_PATTERN_INFILTRATIVE) {
    add_option(&r, "systemic therapy", role, "BCLC B: diffuse, infiltrative or extensive bilobar");
  } else {
    add_option(&r, "TACE", "conditional",
               "BCLC B: if well-defined nodules with preserved portal flow and selective "
               "access (pattern not given)");
    add_option(&r, "systemic therapy", "conditional",
               "BCLC B: if diffuse, infiltrative or extensive bilobar (pattern not given)");
  }
  *out = r;
  return CARM_OK;
}
