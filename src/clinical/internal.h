/* Helpers shared by the clinical calculators (not public API). */
#ifndef CARM_CLINICAL_INTERNAL_H
#define CARM_CLINICAL_INTERNAL_H

#include "carm/clinical.h"

/* Compare a value with a cut-off. Lab values and diameters are reported
 * with a few decimals; a value within 1e-9 (relative) of the cut-off is the
 * cut-off itself, so that 28 g/L / 10 lands exactly on 2.8 g/dL whatever
 * the binary rounding. Returns -1 below, 0 at, +1 above. */
int clin_cmp(double value, double cut);

/* Start a report (zeroes it). */
void clin_report_init(carm_clinical_report *rep, const char *rule, const char *source);

/* Append a term; returns the term (never NULL: the last slot is reused when
 * the table is full, which the calculators never reach). NULL strings = "". */
carm_clinical_term *clin_term_add(carm_clinical_report *rep, const char *name, double value,
                                  const char *unit, double used, const char *used_unit,
                                  const char *text, double points);

/* Append a lab value as a term (value and unit as given, used in used_unit). */
carm_clinical_term *clin_term_lab(carm_clinical_report *rep, const char *name,
                                  const carm_clinical_lab *lab, double used,
                                  carm_clinical_unit used_unit, double points);

/* Append "; "-separated text to the notes / set the driver (printf). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void clin_note(carm_clinical_report *rep, const char *fmt, ...);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void clin_driver(carm_clinical_report *rep, const char *fmt, ...);

/* Copy a string into a fixed buffer, truncating. */
void clin_copy(char *dst, size_t size, const char *src);

/* Check a flag input is given: CARM_ERR_INVALID naming it otherwise. */
carm_status clin_need_flag(carm_clinical_flag flag, const char *calc, const char *name);

/* carm_clinical_lab_check with the calculator's name in front of the
 * detail ("meld: missing input creatinine (mg/dL or umol/L)"). */
carm_status clin_need_lab(const char *calc, carm_clinical_analyte analyte,
                          const carm_clinical_lab *lab);

/* Validate a tumour burden's sizes (1..MAX nodules, each finite > 0 and
 * ≤ 30 cm); fills count, largest and total. */
carm_status clin_burden_sizes(const carm_tumour_burden *b, const char *calc, int *n,
                              double *largest_cm, double *total_cm);

#endif
