/* Liver and tumour segmentation on a synthetic abdomen (organ_phantom.h):
 * liver Dice >= 0.9 (automatic seed in HU, given seed in attenuation),
 * every tumour found with its volume within 10 % of the truth, centroid and
 * RECIST diameter close, mRECIST below RECIST for the necrotic lesion. */
#include "carm/carm.h"
#include "carm/organ.h"
#include "check.h"
#include "organ_phantom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static carm_volume *truth_mask(const carm_volume *truth, int what) {
  carm_volume *m = NULL;
  if (carm_volume_create_like(&m, truth) != CARM_OK) {
    exit(1);
  }
  for (int64_t i = 0; i < carm_volume_count(truth); i++) {
    int l = (int)truth->data[i];
    int in = what == 0 ? (l == PH_LIVER || l == PH_ARTERY || l > PH_TUMOUR) : l == what;
    m->data[i] = in ? 1.0f : 0.0f;
  }
  return m;
}

static double count_ml(const carm_volume *m, float value) {
  int64_t n = 0;
  for (int64_t i = 0; i < carm_volume_count(m); i++) {
    n += m->data[i] == value;
  }
  return (double)n * m->spacing[0] * m->spacing[1] * m->spacing[2] / 1000.0;
}

int main(void) {
  ph_set p = ph_make(15.0, 7);
  carm_volume *liver_truth = truth_mask(p.truth, 0);
  carm_volume *liver = NULL;
  CHECK(carm_volume_create_like(&liver, p.delayed) == CARM_OK);

  /* 1. automatic seed, HU */
  carm_organ_liver_info info;
  memset(&info, 0, sizeof info);
  CHECK(carm_organ_liver(liver, &info, p.delayed, NULL) == CARM_OK);
  double dice = 0.0;
  CHECK(carm_organ_dice(&dice, liver, liver_truth) == CARM_OK);
  printf("liver (auto seed, HU): Dice %.4f, %.1f mL (truth %.1f mL), parenchyma %.1f HU, seed "
         "(%.1f, %.1f, %.1f)\n",
         dice, info.volume_ml, count_ml(liver_truth, 1.0f), info.median_hu, info.seed_mm[0],
         info.seed_mm[1], info.seed_mm[2]);
  CHECK(dice >= 0.9);
  CHECK_NEAR(info.median_hu, 110.0, 5.0);
  CHECK(info.seed_mm[0] < 0.0); /* patient right */

  /* 2. given seed, attenuation input */
  carm_volume *mu = NULL;
  CHECK(carm_volume_clone(&mu, p.delayed) == CARM_OK);
  for (int64_t i = 0; i < carm_volume_count(mu); i++) {
    mu->data[i] = (float)(CARM_MU_WATER_PER_MM * (1.0 + mu->data[i] / 1000.0));
  }
  carm_organ_liver_opts lo = CARM_ORGAN_LIVER_OPTS_INIT;
  lo.n_seeds = 1;
  lo.seeds_mm[0][0] = -50.0;
  lo.seeds_mm[0][1] = -30.0;
  lo.seeds_mm[0][2] = 100.0;
  carm_volume *liver2 = NULL;
  CHECK(carm_volume_create_like(&liver2, p.delayed) == CARM_OK);
  CHECK(carm_organ_liver(liver2, &info, mu, &lo) == CARM_OK);
  CHECK(carm_organ_dice(&dice, liver2, liver_truth) == CARM_OK);
  printf("liver (seed, attenuation): Dice %.4f, parenchyma %.1f HU\n", dice, info.median_hu);
  CHECK(dice >= 0.9);
  CHECK_NEAR(info.median_hu, 110.0, 5.0);
  /* a seed outside the volume is refused, the output untouched */
  lo.seeds_mm[0][0] = 5000.0;
  CHECK(carm_organ_liver(liver2, NULL, mu, &lo) == CARM_ERR_INVALID);

  /* 3. tumours in the liver */
  carm_volume *lab = NULL;
  CHECK(carm_volume_create_like(&lab, p.arterial) == CARM_OK);
  int64_t n = 0;
  carm_organ_tumour_info ti;
  CHECK(carm_organ_tumours(lab, &n, &ti, p.arterial, liver, NULL) == CARM_OK);
  printf("tumours: %lld found; parenchyma %.1f HU (SD %.1f), threshold %.1f HU\n", (long long)n,
         ti.median_hu, ti.sd_hu, ti.threshold_hu);
  CHECK(n == PH_N_TUMOURS);
  carm_organ_lesion meas[8];
  int64_t nm = n < 8 ? n : 8;
  CHECK(carm_organ_measure(meas, nm, lab, p.arterial, ti.threshold_hu, NULL) == CARM_OK);
  for (int t = 0; t < PH_N_TUMOURS; t++) {
    /* the found lesion that overlaps truth tumour t most */
    int64_t votes[9] = {0};
    for (int64_t i = 0; i < carm_volume_count(lab); i++) {
      if ((int)p.truth->data[i] == PH_TUMOUR + t + 1 && lab->data[i] > 0.0f &&
          lab->data[i] <= (float)nm) {
        votes[(int)lab->data[i]]++;
      }
    }
    int best = 0;
    for (int l = 1; l <= nm; l++) {
      best = votes[l] > votes[best] ? l : best;
    }
    CHECK_MSG(best > 0, "tumour %d not found", t + 1);
    if (best == 0) {
      continue;
    }
    const carm_organ_lesion *m = &meas[best - 1];
    double vt = count_ml(p.truth, (float)(PH_TUMOUR + t + 1));
    double rel = (m->volume_ml - vt) / vt;
    double cdist = 0.0;
    for (int a = 0; a < 3; a++) {
      cdist += (m->centroid_mm[a] - ph_tumour_c[t][a]) * (m->centroid_mm[a] - ph_tumour_c[t][a]);
    }
    cdist = sqrt(cdist);
    printf("tumour %d: %.2f mL vs truth %.2f mL (%+.1f %%), centroid off %.2f mm, RECIST %.1f mm "
           "(true %.1f), mRECIST %.1f mm, enhancing %.2f\n",
           t + 1, m->volume_ml, vt, 100.0 * rel, cdist, m->recist_mm, 2.0 * ph_tumour_r[t],
           m->mrecist_mm, m->enhancing_fraction);
    CHECK_MSG(fabs(rel) <= 0.10, "tumour %d volume off by %.1f %%", t + 1, 100.0 * rel);
    CHECK(cdist < (t == 2 ? 2.5 : 1.5));
    /* two voxels: the digitised edge plus, for tumour 1, the feeding artery
     * that runs along its surface (+2.6 mm measured) */
    CHECK(fabs(m->recist_mm - 2.0 * ph_tumour_r[t]) <= 3.0);
    if (t == 2) {
      /* necrotic core: the enhancing fraction matches the truth's, and the
       * longest viable chord avoids the core: 2 sqrt(r^2 - (r_n - off)^2) */
      double want =
          2.0 * sqrt(ph_tumour_r[t] * ph_tumour_r[t] -
                     (PH_NECROSIS_R - PH_NECROSIS_OFF) * (PH_NECROSIS_R - PH_NECROSIS_OFF));
      double frac = 1.0 - pow(PH_NECROSIS_R / ph_tumour_r[t], 3.0);
      CHECK(m->mrecist_mm <= m->recist_mm + 0.01);
      CHECK(fabs(m->mrecist_mm - want) <= 2.5);
      CHECK_MSG(fabs(m->enhancing_fraction - frac) <= 0.06, "enhancing fraction %.3f vs %.3f",
                m->enhancing_fraction, frac);
    } else {
      CHECK(fabs(m->mrecist_mm - m->recist_mm) <= 2.0);
      CHECK(m->enhancing_fraction > 0.9);
    }
  }

  /* 4. a seed alone (no liver mask): the lesion at the seed */
  carm_organ_tumour_opts to = CARM_ORGAN_TUMOUR_OPTS_INIT;
  to.n_seeds = 1;
  memcpy(to.seeds_mm[0], ph_tumour_c[1], sizeof to.seeds_mm[0]);
  CHECK(carm_organ_tumours(lab, &n, &ti, p.arterial, NULL, &to) == CARM_OK);
  CHECK(n == 1);
  if (n == 1) {
    double vt = count_ml(p.truth, (float)(PH_TUMOUR + 2));
    double vf = count_ml(lab, 1.0f);
    printf("seeded tumour 2 without liver: %.2f mL vs truth %.2f mL\n", vf, vt);
    CHECK(fabs(vf - vt) / vt <= 0.10);
  }

  /* errors */
  CHECK(carm_organ_tumours(lab, &n, NULL, p.arterial, NULL, NULL) == CARM_ERR_INVALID);
  CHECK(carm_organ_liver(NULL, NULL, p.delayed, NULL) == CARM_ERR_INVALID);
  lo.seeds_mm[0][0] = -50.0;
  lo.open_radius_mm = -1.0;
  CHECK(carm_organ_liver(liver2, NULL, mu, &lo) == CARM_ERR_INVALID);

  carm_volume_destroy(mu);
  carm_volume_destroy(lab);
  carm_volume_destroy(liver);
  carm_volume_destroy(liver2);
  carm_volume_destroy(liver_truth);
  ph_destroy(&p);
  return check_done();
}
