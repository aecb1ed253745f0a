/* Tumour response from two time points: RECIST 1.1 and mRECIST.
 *
 * RECIST 1.1: Eisenhauer EA et al. Eur J Cancer 2009;45:228–247; as given
 * in ../shared/CLINICAL.md: CR all target lesions gone; PR ≥ 30 % decrease
 * of the sum vs baseline; PD ≥ 20 % increase vs nadir and ≥ 5 mm absolute,
 * or a new lesion; SD otherwise. From sums of diameters carm sees CR as a
 * current sum of 0 mm (the "nodes < 10 mm short axis" part of CR is for
 * the reader, who then enters 0 for the nodes) — stated in the notes.
 *
 * mRECIST: Lencioni R, Llovet JM. Semin Liver Dis 2010;30:52–60: only the
 * longest diameter of the arterially enhancing (viable) part. CR no
 * intratumoural arterial enhancement; PR ≥ 30 % decrease of the summed
 * viable diameters; PD ≥ 20 % increase vs nadir or a new typical lesion
 * ≥ 1 cm (new_lesion=yes means such a lesion); SD otherwise.
 *
 * Order of evaluation (both): PD first (a new lesion or growth makes PD
 * whatever else), then CR, PR, SD. Thresholds are inclusive. */
#include "clinical/internal.h"

#include <math.h>
#include <string.h>

static const char recist_rule[] = "RECIST 1.1 (Eisenhauer 2009), carm rule v1";
static const char recist_src[] = "Eisenhauer EA et al. Eur J Cancer 2009;45:228-247; "
                                 "../shared/CLINICAL.md";
static const char mrecist_rule[] = "mRECIST (Lencioni & Llovet 2010), carm rule v1";
static const char mrecist_src[] = "Lencioni R, Llovet JM. Semin Liver Dis 2010;30:52-60; "
                                  "../shared/CLINICAL.md";

carm_status carm_clinical_recist_sum(double *sum_mm, carm_clinical_flag *all_gone,
                                     const carm_recist_lesion *lesions, int n, int baseline) {
  static const char calc[] = "recist targets";
  if (sum_mm == NULL || (n > 0 && lesions == NULL)) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  if (n < 1 || n > 5) {
    return carm_error(CARM_ERR_RANGE, "%s: %d target lesions (RECIST 1.1: 1 to 5)", calc, n);
  }
  double sum = 0.0;
  int gone = 1;
  for (int i = 0; i < n; i++) {
    const carm_recist_lesion *l = &lesions[i];
    if (!isfinite(l->diameter_mm) || l->diameter_mm < 0.0 || l->diameter_mm > 500.0) {
      return carm_error(CARM_ERR_RANGE, "%s: lesion %d diameter %g mm is impossible", calc, i + 1,
                        l->diameter_mm);
    }
    int same_organ = 0;
    for (int j = 0; j < n; j++) {
      same_organ += lesions[j].organ == l->organ;
    }
    if (same_organ > 2) {
      return carm_error(CARM_ERR_RANGE, "%s: %d targets in organ %d (RECIST 1.1: at most 2)", calc,
                        same_organ, l->organ);
    }
    if (baseline && l->is_node && clin_cmp(l->diameter_mm, 15.0) < 0) {
      return carm_error(CARM_ERR_RANGE,
                        "%s: nodal lesion %d short axis %g mm is not measurable (>= 15 mm)", calc,
                        i + 1, l->diameter_mm);
    }
    if (baseline && !l->is_node && clin_cmp(l->diameter_mm, 10.0) < 0) {
      return carm_error(CARM_ERR_RANGE, "%s: lesion %d %g mm is not measurable (>= 10 mm)", calc,
                        i + 1, l->diameter_mm);
    }
    if (l->is_node ? clin_cmp(l->diameter_mm, 10.0) >= 0 : l->diameter_mm > 0.0) {
      gone = 0;
    }
    sum += l->diameter_mm;
  }
  *sum_mm = sum;
  if (all_gone != NULL) {
    *all_gone = gone ? CARM_FLAG_YES : CARM_FLAG_NO;
  }
  return CARM_OK;
}

static carm_status check_sums(const char *calc, const carm_response_input *in) {
  if (in == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL input", calc);
  }
  const char *names[3] = {"baseline", "nadir", "current"};
  double v[3] = {in->baseline_mm, in->nadir_mm, in->current_mm};
  for (int i = 0; i < 3; i++) {
    if (isnan(v[i])) {
      return carm_error(CARM_ERR_INVALID, "%s: missing input %s (sum of diameters in mm)", calc,
                        names[i]);
    }
    if (!isfinite(v[i]) || v[i] < 0.0 || v[i] > 2000.0) {
      return carm_error(CARM_ERR_RANGE, "%s: %s %g mm is impossible (0 to 2000 mm)", calc, names[i],
                        v[i]);
    }
  }
  if (in->baseline_mm <= 0.0) {
    return carm_error(CARM_ERR_RANGE, "%s: baseline sum must be above 0 mm", calc);
  }
  if (clin_cmp(in->nadir_mm, in->baseline_mm) > 0) {
    return carm_error(CARM_ERR_RANGE,
                      "%s: nadir %g mm above baseline %g mm (the nadir includes the baseline)",
                      calc, in->nadir_mm, in->baseline_mm);
  }
  return clin_need_flag(in->new_lesion, calc, "new_lesion");
}

static void fill_changes(carm_response_result *r, const carm_response_input *in) {
  r->change_baseline_pct = (in->current_mm - in->baseline_mm) / in->baseline_mm * 100.0;
  r->change_nadir_mm = in->current_mm - in->nadir_mm;
  r->change_nadir_pct =
      in->nadir_mm > 0.0 ? (in->current_mm - in->nadir_mm) / in->nadir_mm * 100.0 : NAN;
  carm_clinical_report *rep = &r->report;
  clin_term_add(rep, "baseline", in->baseline_mm, "mm", in->baseline_mm, "mm", NULL, NAN);
  clin_term_add(rep, "nadir", in->nadir_mm, "mm", in->nadir_mm, "mm", NULL, NAN);
  clin_term_add(rep, "current", in->current_mm, "mm", in->current_mm, "mm", NULL, NAN);
  clin_term_add(rep, "new_lesion", NAN, NULL, NAN, NULL,
                in->new_lesion == CARM_FLAG_YES ? "yes" : "no", NAN);
}

/* current ≥ 1.2 · nadir (exact at the threshold counts). */
static int grew_20pct(const carm_response_input *in) {
  return clin_cmp(in->current_mm, 1.2 * in->nadir_mm) >= 0;
}

/* current ≤ 0.7 · baseline. */
static int shrank_30pct(const carm_response_input *in) {
  return clin_cmp(in->current_mm, 0.7 * in->baseline_mm) <= 0;
}

carm_status carm_clinical_recist(carm_response_result *out, const carm_response_input *in) {
  static const char calc[] = "recist";
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  carm_status st = check_sums(calc, in);
  if (st != CARM_OK) {
    return st;
  }
  if (in->all_targets_gone == CARM_FLAG_NO && in->current_mm == 0.0) {
    return carm_error(CARM_ERR_INVALID,
                      "%s: all_targets_gone=no with a current sum of 0 mm is contradictory", calc);
  }
  carm_response_result r;
  memset(&r, 0, sizeof r);
  clin_report_init(&r.report, recist_rule, recist_src);
  fill_changes(&r, in);
  carm_clinical_report *rep = &r.report;
  int grew = grew_20pct(in) && clin_cmp(r.change_nadir_mm, 5.0) >= 0;
  if (in->new_lesion == CARM_FLAG_YES) {
    clin_copy(r.response, sizeof r.response, "PD");
    clin_driver(rep, "new lesion");
  } else if (grew) {
    clin_copy(r.response, sizeof r.response, "PD");
    clin_driver(rep, "sum %.1f mm is +%.1f mm over nadir %.1f mm (>= 20 %% and >= 5 mm)",
                in->current_mm, r.change_nadir_mm, in->nadir_mm);
  } else if (in->all_targets_gone == CARM_FLAG_YES ||
             (in->all_targets_gone == CARM_FLAG_UNSET && in->current_mm == 0.0)) {
    clin_copy(r.response, sizeof r.response, "CR");
    if (in->all_targets_gone == CARM_FLAG_YES) {
      clin_driver(rep, "all targets gone (nodes < 10 mm short axis; sum %.1f mm)", in->current_mm);
    } else {
      clin_driver(rep, "all target lesions gone (sum 0 mm)");
      clin_note(rep, "CR from sums: pathological nodes must be < 10 mm short axis (enter 0)");
    }
  } else if (shrank_30pct(in)) {
    clin_copy(r.response, sizeof r.response, "PR");
    clin_driver(rep, "sum %.1f mm is %.1f %% vs baseline %.1f mm (decrease >= 30 %%)",
                in->current_mm, r.change_baseline_pct, in->baseline_mm);
  } else {
    clin_copy(r.response, sizeof r.response, "SD");
    clin_driver(rep, "%.1f %% vs baseline, %+.1f mm vs nadir: neither PR nor PD",
                r.change_baseline_pct, r.change_nadir_mm);
  }
  *out = r;
  return CARM_OK;
}

carm_status carm_clinical_mrecist(carm_response_result *out, const carm_response_input *in) {
  static const char calc[] = "mrecist";
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: NULL argument", calc);
  }
  carm_status st = check_sums(calc, in);
  if (st == CARM_OK) {
    st = clin_need_flag(in->enhancing, calc, "enhancing");
  }
  if (st != CARM_OK) {
    return st;
  }
  if (in->enhancing == CARM_FLAG_YES && in->current_mm == 0.0) {
    return carm_error(CARM_ERR_INVALID,
                      "%s: enhancing=yes with a viable sum of 0 mm is contradictory", calc);
  }
  if (in->enhancing == CARM_FLAG_NO && in->current_mm > 0.0) {
    return carm_error(CARM_ERR_INVALID,
                      "%s: enhancing=no with a viable sum of %g mm is contradictory (the sum "
                      "measures the enhancing part)",
                      calc, in->current_mm);
  }
  carm_response_result r;
  memset(&r, 0, sizeof r);
  clin_report_init(&r.report, mrecist_rule, mrecist_src);
  fill_changes(&r, in);
  carm_clinical_report *rep = &r.report;
  clin_term_add(rep, "enhancing", NAN, NULL, NAN, NULL,
                in->enhancing == CARM_FLAG_YES ? "yes" : "no", NAN);
  if (in->new_lesion == CARM_FLAG_YES) {
    clin_copy(r.response, sizeof r.response, "PD");
    clin_driver(rep, "new typical lesion >= 1 cm");
  } else if (grew_20pct(in) && in->enhancing == CARM_FLAG_YES) {
    clin_copy(r.response, sizeof r.response, "PD");
    clin_driver(rep, "viable sum %.1f mm is >= 20 %% over nadir %.1f mm", in->current_mm,
                in->nadir_mm);
  } else if (in->enhancing == CARM_FLAG_NO) {
    clin_copy(r.response, sizeof r.response, "CR");
    clin_driver(rep, "no intratumoural arterial enhancement");
  } else if (shrank_30pct(in)) {
    clin_copy(r.response, sizeof r.response, "PR");
    clin_driver(rep, "viable sum %.1f mm is %.1f %% vs baseline %.1f mm (decrease >= 30 %%)",
                in->current_mm, r.change_baseline_pct, in->baseline_mm);
  } else {
    clin_copy(r.response, sizeof r.response, "SD");
    clin_driver(rep, "%.1f %% vs baseline, %+.1f mm vs nadir: neither PR nor PD",
                r.change_baseline_pct, r.change_nadir_mm);
  }
  *out = r;
  return CARM_OK;
}
