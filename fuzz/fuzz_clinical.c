/* Fuzz harness: the clinical calculators on arbitrary inputs. The input is
 * lines "key=value" (bilirubin, albumin, inr, creatinine, sodium, afp with
 * units as `carm board calc` takes them; ecog, ascites, encephalopathy,
 * flags, sizes). Anything must be computed or refused cleanly; a result
 * that is computed must be consistent (class from score, bounded scores),
 * else the harness traps. */
#include "carm/clinical.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                                 \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* The first character as a small number ('0' → 0 ... '9' → 9), 0 otherwise. */
static int atoi_free_digit(const char *v) { return v[0] >= '0' && v[0] <= '9' ? v[0] - '0' : 0; }

static carm_clinical_flag flag(const char *v) {
  return strcmp(v, "yes") == 0 ? CARM_FLAG_YES : strcmp(v, "no") == 0 ? CARM_FLAG_NO : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) {
    return 0;
  }
  char *text = malloc(size + 1);
  if (text == NULL) {
    return 0;
  }
  memcpy(text, data, size);
  text[size] = '\0';
  carm_child_pugh_input cp;
  memset(&cp, 0, sizeof cp);
  carm_meld_input meld;
  memset(&meld, 0, sizeof meld);
  carm_bclc_input bclc = CARM_BCLC_INPUT_INIT;
  carm_response_input resp = CARM_RESPONSE_INPUT_INIT;
  double sizes[CARM_CLINICAL_MAX_NODULES + 1];
  int n = 0;
  char *line = text;
  while (line != NULL && *line != '\0') {
    char *next = strchr(line, '\n');
    if (next != NULL) {
      *next++ = '\0';
    }
    char *eq = strchr(line, '=');
    if (eq != NULL) {
      *eq = '\0';
      const char *k = line;
      const char *v = eq + 1;
      carm_clinical_lab lab;
      static const char *const names[] = {"bilirubin", "albumin", "creatinine",
                                          "sodium",    "inr",     "afp"};
      for (int a = 0; a < 6; a++) {
        if (strcmp(k, names[a]) == 0 &&
            carm_clinical_lab_parse(&lab, (carm_clinical_analyte)a, v) == CARM_OK) {
          double x = 0.0;
          REQUIRE(carm_clinical_lab_convert(&x, (carm_clinical_analyte)a, &lab, lab.unit) ==
                  CARM_OK);
          REQUIRE(fabs(x - lab.value) <= 1e-9 * fmax(1.0, fabs(x)));
          carm_clinical_lab *dst[6] = {&meld.bilirubin, &meld.albumin, &meld.creatinine,
                                       &meld.sodium,    &meld.inr,     &bclc.burden.afp};
          *dst[a] = lab;
        }
      }
      if (strcmp(k, "ascites") == 0) {
        cp.ascites = (carm_ascites)(atoi_free_digit(v));
      }
      if (strcmp(k, "encephalopathy") == 0) {
        cp.encephalopathy = (carm_encephalopathy)(atoi_free_digit(v));
      }
      if (strcmp(k, "ecog") == 0) {
        bclc.ecog_ps = atoi_free_digit(v) - 1;
      }
      if (strcmp(k, "vascular_invasion") == 0) {
        bclc.burden.vascular_invasion = flag(v);
      }
      if (strcmp(k, "extrahepatic") == 0) {
        bclc.burden.extrahepatic = flag(v);
      }
      if (strcmp(k, "transplant_candidate") == 0) {
        bclc.transplant_candidate = flag(v);
      }
      if (strcmp(k, "portal_hypertension") == 0) {
        bclc.portal_hypertension = flag(v);
      }
      if (strcmp(k, "dialysis") == 0) {
        meld.dialysis = flag(v);
      }
      if (strcmp(k, "sex") == 0) {
        meld.sex = strcmp(v, "female") == 0 ? CARM_SEX_FEMALE : CARM_SEX_MALE;
      }
      if (strcmp(k, "size") == 0 && n < CARM_CLINICAL_MAX_NODULES + 1) {
        sizes[n++] = strtod(v, NULL);
      }
      if (strcmp(k, "baseline") == 0) {
        resp.baseline_mm = strtod(v, NULL);
      }
      if (strcmp(k, "nadir") == 0) {
        resp.nadir_mm = strtod(v, NULL);
      }
      if (strcmp(k, "current") == 0) {
        resp.current_mm = strtod(v, NULL);
      }
      if (strcmp(k, "new_lesion") == 0) {
        resp.new_lesion = flag(v);
      }
      if (strcmp(k, "enhancing") == 0) {
        resp.enhancing = flag(v);
      }
    }
    line = next;
  }
  cp.bilirubin = meld.bilirubin;
  cp.albumin = meld.albumin;
  cp.inr = meld.inr;
  carm_child_pugh_result cr;
  if (carm_clinical_child_pugh(&cr, &cp, NULL) == CARM_OK) {
    REQUIRE(cr.score >= 5 && cr.score <= 15);
    REQUIRE(cr.cls == (cr.score <= 6 ? 'A' : cr.score <= 9 ? 'B' : 'C'));
  }
  carm_meld_result mr;
  if (carm_clinical_meld(&mr, &meld) == CARM_OK) {
    REQUIRE(mr.score >= 6 && mr.score <= 40);
  }
  if (carm_clinical_meld_na(&mr, &meld) == CARM_OK) {
    REQUIRE(mr.score >= 6 && mr.score <= 40);
  }
  if (carm_clinical_meld3(&mr, &meld, 0) == CARM_OK) {
    REQUIRE(mr.score >= 6 && mr.score <= 40);
  }
  carm_albi_result ar;
  if (carm_clinical_albi(&ar, &meld.bilirubin, &meld.albumin) == CARM_OK) {
    REQUIRE(ar.grade >= 1 && ar.grade <= 3 && isfinite(ar.score));
  }
  bclc.burden.sizes_cm = sizes;
  bclc.burden.n_nodules = n;
  bclc.liver = cp;
  for (int c = 0; c <= CARM_CRITERION_TTV_AFP; c++) {
    carm_criterion_result r;
    if (carm_clinical_criterion(&r, (carm_criterion)c, &bclc.burden) == CARM_OK) {
      REQUIRE(r.within == 0 || r.within == 1);
    }
  }
  carm_bclc_result br;
  if (carm_clinical_bclc(&br, &bclc, NULL) == CARM_OK) {
    REQUIRE(strchr("0ABCD", br.stage) != NULL && br.n_options >= 1);
  }
  carm_response_result rr;
  if (carm_clinical_recist(&rr, &resp) == CARM_OK) {
    REQUIRE(strstr("CR PR SD PD", rr.response) != NULL);
  }
  if (carm_clinical_mrecist(&rr, &resp) == CARM_OK) {
    REQUIRE(strstr("CR PR SD PD", rr.response) != NULL);
  }
  free(text);
  return 0;
}
