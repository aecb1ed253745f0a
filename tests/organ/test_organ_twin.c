/* Liver and tumour segmentation on the digital twin (include/carm/twin.h):
 * delayed phase (22.5 s) and arterial phase (6.5 s) voxelised in
 * attenuation on the reconstruction grid at 2 mm, with Gaussian noise of
 * 20 HU. Liver Dice >= 0.9 against the twin's liver (blob with its vessels
 * and lesions); every hypervascular tumour found with its volume within
 * 10 % of the truth (label 10 + k voxels); the hypovascular lesion not
 * reported. Skipped (77) in a tree without the twin. */
#if defined(__has_include)
#if __has_include("carm/twin.h")
#define HAVE_TWIN 1
#endif
#endif

#include "carm/carm.h"
#include "carm/organ.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#ifndef HAVE_TWIN
int main(void) {
  printf("skip: this tree has no digital twin (carm/twin.h)\n");
  return 77;
}
#else
#include "carm/twin.h"

static void add_noise(carm_volume *v, double sd_hu, uint64_t seed) {
  carm_rng rng;
  carm_rng_seed(&rng, seed);
  const double s = CARM_MU_WATER_PER_MM * sd_hu / 1000.0;
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    v->data[i] += (float)(s * carm_rng_normal(&rng));
  }
}

int main(void) {
  carm_twin_opts to = CARM_TWIN_INIT;
  to.seed = 3;
  to.n_tumours = 2;
  carm_twin *twin = NULL;
  CHECK(carm_twin_create(&twin, &to) == CARM_OK);
  if (twin == NULL) {
    return check_done();
  }
  carm_volume *grid = NULL;
  CHECK(carm_twin_fov_grid(2.0, &grid) == CARM_OK);
  carm_volume *delayed = NULL;
  carm_volume *arterial = NULL;
  carm_volume *labels = NULL;
  carm_volume *truth = NULL;
  carm_volume *liver = NULL;
  carm_volume *found = NULL;
  if (carm_volume_create_like(&delayed, grid) != CARM_OK ||
      carm_volume_create_like(&arterial, grid) != CARM_OK ||
      carm_volume_create_like(&labels, grid) != CARM_OK ||
      carm_volume_create_like(&truth, grid) != CARM_OK ||
      carm_volume_create_like(&liver, grid) != CARM_OK ||
      carm_volume_create_like(&found, grid) != CARM_OK) {
    fprintf(stderr, "cannot allocate\n");
    return 1;
  }
  CHECK(carm_twin_voxelize(twin, 22.5, delayed) == CARM_OK);
  CHECK(carm_twin_voxelize(twin, 6.5, arterial) == CARM_OK);
  CHECK(carm_twin_labels(twin, labels) == CARM_OK);
  add_noise(delayed, 20.0, 1);
  add_noise(arterial, 20.0, 2);
  /* the liver with its vessels and lesions: parenchyma and lesion labels,
   * and vessel voxels the twin places inside the liver */
  const int64_t *d = grid->dims;
  for (int64_t k = 0; k < d[2]; k++) {
    for (int64_t j = 0; j < d[1]; j++) {
      for (int64_t i = 0; i < d[0]; i++) {
        int64_t idx = (k * d[1] + j) * d[0] + i;
        int l = (int)labels->data[idx];
        int in = l == CARM_TWIN_LABEL_LIVER ||
                 (l >= CARM_TWIN_LABEL_TUMOUR && l <= CARM_TWIN_LABEL_HYPO);
        if (l == CARM_TWIN_LABEL_ARTERY || l == CARM_TWIN_LABEL_PORTAL ||
            l == CARM_TWIN_LABEL_HEPATIC_VEIN) {
          double ijk[3] = {(double)i, (double)j, (double)k};
          double p[3];
          carm_volume_index_to_point(grid, ijk, p);
          in = carm_twin_in_liver(twin, p);
        }
        truth->data[idx] = in ? 1.0f : 0.0f;
      }
    }
  }
  const double vox_ml = 2.0 * 2.0 * 2.0 / 1000.0;
  /* liver, automatic seed, attenuation input */
  carm_organ_liver_info info;
  CHECK(carm_organ_liver(liver, &info, delayed, NULL) == CARM_OK);
  double dice = 0.0;
  CHECK(carm_organ_dice(&dice, liver, truth) == CARM_OK);
  int64_t nt = 0;
  for (int64_t i = 0; i < carm_volume_count(truth); i++) {
    nt += truth->data[i] > 0.5f;
  }
  printf("twin liver: Dice %.4f, %.1f mL (truth on this grid %.1f mL, twin %.1f mL), parenchyma "
         "%.1f HU (SD %.1f)\n",
         dice, info.volume_ml, (double)nt * vox_ml, twin->liver_volume_ml, info.median_hu,
         info.sd_hu);
  CHECK(dice >= 0.9);
  /* tumours in the arterial phase */
  int64_t n = 0;
  carm_organ_tumour_info ti;
  CHECK(carm_organ_tumours(found, &n, &ti, arterial, liver, NULL) == CARM_OK);
  printf("twin tumours: %lld found (%d hypervascular in the twin); parenchyma %.1f HU, threshold "
         "%.1f HU\n",
         (long long)n, twin->n_tumours, ti.median_hu, ti.threshold_hu);
  CHECK(n == twin->n_tumours);
  carm_organ_lesion meas[CARM_TWIN_MAX_TUMOURS + 4];
  int64_t nm = n < CARM_TWIN_MAX_TUMOURS + 4 ? n : CARM_TWIN_MAX_TUMOURS + 4;
  CHECK(carm_organ_measure(meas, nm, found, arterial, ti.threshold_hu, NULL) == CARM_OK);
  for (int t = 0; t < twin->n_tumours; t++) {
    const carm_twin_tumour *tt = &twin->tumours[t];
    int64_t votes[CARM_TWIN_MAX_TUMOURS + 5] = {0};
    int64_t nvox = 0;
    for (int64_t i = 0; i < carm_volume_count(labels); i++) {
      if ((int)labels->data[i] == tt->label) {
        nvox++;
        int f = (int)found->data[i];
        if (f > 0 && f <= nm) {
          votes[f]++;
        }
      }
    }
    int best = 0;
    for (int l = 1; l <= nm; l++) {
      best = votes[l] > votes[best] ? l : best;
    }
    CHECK_MSG(best > 0, "twin tumour %d (label %d) not found", t, tt->label);
    if (best == 0 || nvox == 0) {
      continue;
    }
    const carm_organ_lesion *m = &meas[best - 1];
    double vt = (double)nvox * vox_ml;
    double rel = (m->volume_ml - vt) / vt;
    double cd = 0.0;
    for (int a = 0; a < 3; a++) {
      cd += (m->centroid_lps_mm[a] - tt->centre_mm[a]) * (m->centroid_lps_mm[a] - tt->centre_mm[a]);
    }
    printf("twin tumour %d (label %d, %.1f mm): %.2f mL vs truth %.2f mL (%+.1f %%), centroid off "
           "%.2f mm, RECIST %.1f mm, mRECIST %.1f mm\n",
           t, tt->label, tt->diameter_mm, m->volume_ml, vt, 100.0 * rel, sqrt(cd), m->recist_mm,
           m->mrecist_mm);
    CHECK_MSG(fabs(rel) <= 0.10, "tumour %d volume off by %.1f %%", t, 100.0 * rel);
    CHECK(sqrt(cd) < 2.0);
    CHECK(fabs(m->recist_mm - tt->diameter_mm) <= 3.0);
  }
  /* the hypovascular lesion is not reported */
  if (twin->has_hypo) {
    int64_t hits = 0;
    for (int64_t i = 0; i < carm_volume_count(labels); i++) {
      hits += (int)labels->data[i] == twin->hypo.label && found->data[i] > 0.0f;
    }
    CHECK(hits == 0);
  }
  carm_volume_destroy(grid);
  carm_volume_destroy(delayed);
  carm_volume_destroy(arterial);
  carm_volume_destroy(labels);
  carm_volume_destroy(truth);
  carm_volume_destroy(liver);
  carm_volume_destroy(found);
  carm_twin_destroy(twin);
  return check_done();
}
#endif
