/* Lab values with units, explicit conversions, plausibility checks, and the
 * report helpers shared by the calculators.
 *
 * Conversion factors (../shared/CLINICAL.md, "Units"): bilirubin
 * 1 mg/dL = 17.1 µmol/L; creatinine 1 mg/dL = 88.4 µmol/L; albumin
 * 1 g/dL = 10 g/L; sodium mmol/L = mEq/L (monovalent); AFP ng/mL = µg/L. */
#include "clinical/internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int clin_cmp(double value, double cut) {
  double tol = 1e-9 * fmax(1.0, fabs(cut));
  if (value < cut - tol) {
    return -1;
  }
  if (value > cut + tol) {
    return 1;
  }
  return 0;
}

void clin_copy(char *dst, size_t size, const char *src) {
  if (size == 0) {
    return;
  }
  if (src == NULL) {
    src = "";
  }
  size_t n = strlen(src);
  if (n >= size) {
    n = size - 1;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

void clin_report_init(carm_clinical_report *rep, const char *rule, const char *source) {
  memset(rep, 0, sizeof *rep);
  rep->rule = rule;
  rep->source = source;
}

carm_clinical_term *clin_term_add(carm_clinical_report *rep, const char *name, double value,
                                  const char *unit, double used, const char *used_unit,
                                  const char *text, double points) {
  if (rep->n_terms < CARM_CLINICAL_MAX_TERMS) {
    rep->n_terms++;
  }
  carm_clinical_term *t = &rep->terms[rep->n_terms - 1];
  clin_copy(t->name, sizeof t->name, name);
  t->value = value;
  clin_copy(t->unit, sizeof t->unit, unit);
  t->used = used;
  clin_copy(t->used_unit, sizeof t->used_unit, used_unit);
  clin_copy(t->text, sizeof t->text, text);
  t->points = points;
  return t;
}

carm_clinical_term *clin_term_lab(carm_clinical_report *rep, const char *name,
                                  const carm_clinical_lab *lab, double used,
                                  carm_clinical_unit used_unit, double points) {
  return clin_term_add(rep, name, lab->value, carm_clinical_unit_name(lab->unit), used,
                       carm_clinical_unit_name(used_unit), NULL, points);
}

static void append_v(char *buf, size_t size, const char *sep, const char *fmt, va_list ap) {
  size_t len = strlen(buf);
  if (len > 0 && sep != NULL && len + strlen(sep) < size) {
    memcpy(buf + len, sep, strlen(sep) + 1);
    len += strlen(sep);
  }
  if (len < size) {
    vsnprintf(buf + len, size - len, fmt, ap);
  }
}

void clin_note(carm_clinical_report *rep, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  append_v(rep->notes, sizeof rep->notes, "; ", fmt, ap);
  va_end(ap);
}

void clin_driver(carm_clinical_report *rep, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rep->driver[0] = '\0';
  append_v(rep->driver, sizeof rep->driver, NULL, fmt, ap);
  va_end(ap);
}

carm_status clin_need_flag(carm_clinical_flag flag, const char *calc, const char *name) {
  if (flag != CARM_FLAG_YES && flag != CARM_FLAG_NO) {
    return carm_error(CARM_ERR_INVALID, "%s: missing input %s (yes or no)", calc, name);
  }
  return CARM_OK;
}

carm_status clin_need_lab(const char *calc, carm_clinical_analyte analyte,
                          const carm_clinical_lab *lab) {
  carm_status st = carm_clinical_lab_check(analyte, lab);
  if (st != CARM_OK) {
    char detail[400];
    clin_copy(detail, sizeof detail, carm_last_error());
    return carm_error(st, "%s: %s", calc, detail);
  }
  return CARM_OK;
}

carm_status clin_burden_sizes(const carm_tumour_burden *b, const char *calc, int *n,
                              double *largest_cm, double *total_cm) {
  if (b->sizes_cm == NULL || b->n_nodules < 1) {
    return carm_error(CARM_ERR_INVALID,
                      "%s: missing input sizes (diameter of each nodule in cm, e.g. 2.1,3.0)",
                      calc);
  }
  if (b->n_nodules > CARM_CLINICAL_MAX_NODULES) {
    return carm_error(CARM_ERR_RANGE, "%s: %d nodules (at most %d)", calc, b->n_nodules,
                      CARM_CLINICAL_MAX_NODULES);
  }
  double largest = 0.0;
  double total = 0.0;
  for (int i = 0; i < b->n_nodules; i++) {
    double d = b->sizes_cm[i];
    if (!isfinite(d) || d <= 0.0 || d > 30.0) {
      return carm_error(CARM_ERR_RANGE,
                        "%s: nodule %d diameter %g cm is impossible (0 < d <= 30 cm)", calc, i + 1,
                        d);
    }
    largest = fmax(largest, d);
    total += d;
  }
  *n = b->n_nodules;
  *largest_cm = largest;
  *total_cm = total;
  return CARM_OK;
}

/* ---- units ---------------------------------------------------------------- */

const char *carm_clinical_unit_name(carm_clinical_unit unit) {
  switch (unit) {
  case CARM_UNIT_NONE: return "";
  case CARM_UNIT_MG_DL: return "mg/dL";
  case CARM_UNIT_UMOL_L: return "umol/L";
  case CARM_UNIT_G_DL: return "g/dL";
  case CARM_UNIT_G_L: return "g/L";
  case CARM_UNIT_MMOL_L: return "mmol/L";
  case CARM_UNIT_NG_ML: return "ng/mL";
  case CARM_UNIT_RATIO: return "ratio";
  }
  return "";
}

const char *carm_clinical_analyte_name(carm_clinical_analyte analyte) {
  switch (analyte) {
  case CARM_LAB_BILIRUBIN: return "bilirubin";
  case CARM_LAB_ALBUMIN: return "albumin";
  case CARM_LAB_CREATININE: return "creatinine";
  case CARM_LAB_SODIUM: return "sodium";
  case CARM_LAB_INR: return "inr";
  case CARM_LAB_AFP: return "afp";
  }
  return "?";
}

static const char *accepted_units(carm_clinical_analyte a) {
  switch (a) {
  case CARM_LAB_BILIRUBIN: return "mg/dL or umol/L";
  case CARM_LAB_ALBUMIN: return "g/dL or g/L";
  case CARM_LAB_CREATININE: return "mg/dL or umol/L";
  case CARM_LAB_SODIUM: return "mmol/L (= mEq/L)";
  case CARM_LAB_INR: return "no unit";
  case CARM_LAB_AFP: return "ng/mL (= ug/L)";
  }
  return "?";
}

/* The canonical unit of each analyte (the one the plausibility range and
 * most formulas use). */
static carm_clinical_unit canonical(carm_clinical_analyte a) {
  switch (a) {
  case CARM_LAB_BILIRUBIN: return CARM_UNIT_MG_DL;
  case CARM_LAB_ALBUMIN: return CARM_UNIT_G_DL;
  case CARM_LAB_CREATININE: return CARM_UNIT_MG_DL;
  case CARM_LAB_SODIUM: return CARM_UNIT_MMOL_L;
  case CARM_LAB_INR: return CARM_UNIT_RATIO;
  case CARM_LAB_AFP: return CARM_UNIT_NG_ML;
  }
  return CARM_UNIT_NONE;
}

/* Factor f such that value_in_unit = f · value_in_canonical; 0 when the unit
 * is not accepted for the analyte. */
static double factor(carm_clinical_analyte a, carm_clinical_unit u) {
  if (u == canonical(a)) {
    return 1.0;
  }
  if (a == CARM_LAB_BILIRUBIN && u == CARM_UNIT_UMOL_L) {
    return CARM_BILIRUBIN_UMOL_PER_MG_DL;
  }
  if (a == CARM_LAB_CREATININE && u == CARM_UNIT_UMOL_L) {
    return CARM_CREATININE_UMOL_PER_MG_DL;
  }
  if (a == CARM_LAB_ALBUMIN && u == CARM_UNIT_G_L) {
    return 10.0;
  }
  return 0.0;
}

carm_status carm_clinical_lab_check(carm_clinical_analyte analyte, const carm_clinical_lab *lab) {
  const char *name = carm_clinical_analyte_name(analyte);
  if (lab == NULL || lab->unit == CARM_UNIT_NONE) {
    return carm_error(CARM_ERR_INVALID, "missing input %s (%s)", name, accepted_units(analyte));
  }
  double f = factor(analyte, lab->unit);
  if (f == 0.0) {
    return carm_error(CARM_ERR_INVALID, "%s in %s: expected %s", name,
                      carm_clinical_unit_name(lab->unit), accepted_units(analyte));
  }
  double v = lab->value / f;
  double lo = 0.0;
  double hi = 0.0;
  int lo_inclusive = 0;
  switch (analyte) {
  case CARM_LAB_BILIRUBIN: hi = 100.0; break;
  case CARM_LAB_ALBUMIN: hi = 10.0; break;
  case CARM_LAB_CREATININE: hi = 30.0; break;
  case CARM_LAB_SODIUM:
    lo = 80.0;
    hi = 200.0;
    lo_inclusive = 1;
    break;
  case CARM_LAB_INR: hi = 20.0; break;
  case CARM_LAB_AFP:
    hi = 1e7;
    lo_inclusive = 1;
    break;
  }
  int low_ok = lo_inclusive ? v >= lo : v > lo;
  if (!isfinite(v) || !low_ok || v > hi) {
    return carm_error(CARM_ERR_RANGE, "%s %g %s is impossible (expected %s%g to %g %s)", name,
                      lab->value, carm_clinical_unit_name(lab->unit), lo_inclusive ? "" : "above ",
                      lo * f, hi * f, carm_clinical_unit_name(lab->unit));
  }
  return CARM_OK;
}

carm_status carm_clinical_lab_convert(double *out, carm_clinical_analyte analyte,
                                      const carm_clinical_lab *lab, carm_clinical_unit to) {
  carm_status st = carm_clinical_lab_check(analyte, lab);
  if (st != CARM_OK) {
    return st;
  }
  double f_to = factor(analyte, to);
  if (f_to == 0.0) {
    return carm_error(CARM_ERR_INVALID, "cannot express %s in %s",
                      carm_clinical_analyte_name(analyte), carm_clinical_unit_name(to));
  }
  *out = lab->value / factor(analyte, lab->unit) * f_to;
  return CARM_OK;
}

typedef struct unit_word {
  const char *text;
  carm_clinical_unit unit;
} unit_word;

static const unit_word unit_words[] = {{"mg/dL", CARM_UNIT_MG_DL},
                                       {"umol/L", CARM_UNIT_UMOL_L},
                                       {"\xC2\xB5mol/L", CARM_UNIT_UMOL_L},
                                       {"\xCE\xBCmol/L", CARM_UNIT_UMOL_L},
                                       {"g/dL", CARM_UNIT_G_DL},
                                       {"g/L", CARM_UNIT_G_L},
                                       {"mmol/L", CARM_UNIT_MMOL_L},
                                       {"mEq/L", CARM_UNIT_MMOL_L},
                                       {"ng/mL", CARM_UNIT_NG_ML},
                                       {"ug/L", CARM_UNIT_NG_ML},
                                       {"\xC2\xB5g/L", CARM_UNIT_NG_ML}};

carm_status carm_clinical_lab_parse(carm_clinical_lab *out, carm_clinical_analyte analyte,
                                    const char *text) {
  const char *name = carm_clinical_analyte_name(analyte);
  if (out == NULL || text == NULL || text[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "missing input %s (%s)", name, accepted_units(analyte));
  }
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || errno != 0 || !isfinite(v)) {
    return carm_error(CARM_ERR_INVALID, "%s '%s': not a number (expected e.g. %s)", name, text,
                      analyte == CARM_LAB_INR ? "1.4" : "2.5mg/dL");
  }
  while (*end == ' ') {
    end++;
  }
  carm_clinical_lab lab = {v, CARM_UNIT_NONE};
  if (*end == '\0') {
    if (analyte != CARM_LAB_INR) {
      return carm_error(CARM_ERR_INVALID, "%s '%s': a unit is required (%s)", name, text,
                        accepted_units(analyte));
    }
    lab.unit = CARM_UNIT_RATIO;
  } else {
    for (size_t i = 0; i < sizeof unit_words / sizeof unit_words[0]; i++) {
      if (strcasecmp(end, unit_words[i].text) == 0) {
        lab.unit = unit_words[i].unit;
        break;
      }
    }
    if (lab.unit == CARM_UNIT_NONE || factor(analyte, lab.unit) == 0.0) {
      return carm_error(CARM_ERR_INVALID, "%s '%s': unit '%s' not accepted (expected %s)", name,
                        text, end, accepted_units(analyte));
    }
  }
  carm_status st = carm_clinical_lab_check(analyte, &lab);
  if (st != CARM_OK) {
    return st;
  }
  *out = lab;
  return CARM_OK;
}
