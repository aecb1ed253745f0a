/* Small helpers shared by the clinical tests. */
#ifndef CARM_TEST_CLIN_H
#define CARM_TEST_CLIN_H

#include "carm/clinical.h"
#include "check.h"

#include <string.h>

static inline carm_clinical_lab L(double value, carm_clinical_unit unit) {
  carm_clinical_lab lab = {value, unit};
  return lab;
}

#define MG CARM_UNIT_MG_DL
#define UMOL CARM_UNIT_UMOL_L
#define GDL CARM_UNIT_G_DL
#define GL CARM_UNIT_G_L
#define MMOL CARM_UNIT_MMOL_L
#define RATIO CARM_UNIT_RATIO

/* Whether the last error detail contains `word`. */
static inline int detail_has(const char *word) { return strstr(carm_last_error(), word) != NULL; }

#endif
