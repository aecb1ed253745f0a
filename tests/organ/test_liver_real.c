/* Liver segmentation on the real abdomen CT shipped in ../shared/data
 * (TotalSegmentator example, 3 mm, HU): Dice against its liver mask, with
 * the automatic seed and with a seed. Skipped (77) when the data is absent. */
#include "carm/carm.h"
#include "carm/organ.h"
#include "check.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  const char *data = check_data_dir();
  if (data == NULL) {
    printf("skip: CARM_DATA not set\n");
    return 77;
  }
  char ct_path[4096];
  char mask_path[4096];
  snprintf(ct_path, sizeof ct_path, "%s/ct/totalseg_abdomen_ct/example_ct_sm.nii.gz", data);
  snprintf(mask_path, sizeof mask_path, "%s/ct/totalseg_abdomen_ct/masks_3mm/liver.nii.gz", data);
  FILE *f = fopen(ct_path, "rb");
  if (f == NULL) {
    printf("skip: %s is absent\n", ct_path);
    return 77;
  }
  fclose(f);
  carm_volume *ct = NULL;
  carm_volume *truth = NULL;
  CHECK(carm_image_read(&ct, NULL, ct_path) == CARM_OK);
  CHECK(carm_image_read(&truth, NULL, mask_path) == CARM_OK);
  if (ct == NULL || truth == NULL) {
    return check_done();
  }
  carm_volume *liver = NULL;
  CHECK(carm_volume_create_like(&liver, ct) == CARM_OK);
  carm_organ_liver_info info;
  CHECK(carm_organ_liver(liver, &info, ct, NULL) == CARM_OK);
  double dice = 0.0;
  CHECK(carm_organ_dice(&dice, liver, truth) == CARM_OK);
  int64_t nt = 0;
  for (int64_t i = 0; i < carm_volume_count(truth); i++) {
    nt += truth->data[i] > 0.5f;
  }
  double vt = (double)nt * 27.0 / 1000.0;
  printf("real abdomen CT, automatic seed: liver Dice %.4f, %.1f mL (mask %.1f mL), parenchyma "
         "%.1f HU, seed (%.1f, %.1f, %.1f) mm\n",
         dice, info.volume_ml, vt, info.median_hu, info.seed_mm[0], info.seed_mm[1],
         info.seed_mm[2]);
  /* measured 0.917 when written (0.928 with the seed below): a bar of 0.9
   * keeps the target and fails on a regression */
  CHECK(dice >= 0.9);
  /* a seed in the right lobe */
  carm_organ_liver_opts o = CARM_ORGAN_LIVER_OPTS_INIT;
  o.n_seeds = 1;
  o.seeds_mm[0][0] = -90.0;
  o.seeds_mm[0][1] = -150.0;
  o.seeds_mm[0][2] = 150.0;
  CHECK(carm_organ_liver(liver, &info, ct, &o) == CARM_OK);
  CHECK(carm_organ_dice(&dice, liver, truth) == CARM_OK);
  printf("real abdomen CT, seed (-90, -150, 150): liver Dice %.4f, %.1f mL\n", dice,
         info.volume_ml);
  CHECK(dice >= 0.9);
  carm_volume_destroy(liver);
  carm_volume_destroy(ct);
  carm_volume_destroy(truth);
  return check_done();
}
