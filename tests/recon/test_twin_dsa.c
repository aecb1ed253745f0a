/* 3D-DSA on the digital liver twin (issue 5), two seeds (not the demo's 7):
 * mask and arterial sweeps of 133 views (200°, binned detector, clinical
 * dose per area, Poisson noise; twin_fixture.h) are subtracted in the
 * line-integral domain (carm_dsa_subtract_projections) and reconstructed
 * with FDK (Hann) on the twin's field-of-view grid at 2.5 mm. Regions come
 * from the truth labels on that grid, inside the field of view:
 * - V (vessel): hepatic artery voxels (label 4);
 * - S = mean(DSA over V): the vessel signal;
 * - R (residual region): body soft tissue, fat, bone and kidney farther than
 *   6 mm from anything that enhances at the arterial time (arteries, portal
 *   and hepatic veins, IVC, liver, lesions): the DSA should be 0 there.
 *   Bone and soft tissue are removed when |mean(DSA over bone)| < 3 % of S
 *   and the RMS of the DSA over R < 10 % of S (what is left is the noise
 *   of two sweeps; in the arterial volume alone bone stands about S above
 *   the soft tissue);
 * - B (CNR background): every voxel in the body (soft tissue, fat, bone,
 *   liver parenchyma, kidney) farther than 4 mm from any vessel, lesion or
 *   the catheter. CNR = (mean over V − mean over B) / (standard deviation
 *   over B), the same regions in both volumes. The DSA's CNR must exceed
 *   the arterial volume's by 20 %.
 * A mask sweep with the patient moved by one detector pixel (1.6 mm at the
 * isocentre, sideways; the geometry cannot tell) leaves bone edges and
 * must break the residual bound: the test can fail. */
#include "check.h"
#include "twin_fixture.h"

#include <stdio.h>

static int is_enhancing(int l) {
  return l == CARM_TWIN_LABEL_ARTERY || l == CARM_TWIN_LABEL_PORTAL ||
         l == CARM_TWIN_LABEL_HEPATIC_VEIN || l == CARM_TWIN_LABEL_IVC ||
         l == CARM_TWIN_LABEL_LIVER || (l >= CARM_TWIN_LABEL_TUMOUR && l <= CARM_TWIN_LABEL_HYPO);
}

static int is_vessel_or_lesion(int l) {
  return l == CARM_TWIN_LABEL_ARTERY || l == CARM_TWIN_LABEL_PORTAL ||
         l == CARM_TWIN_LABEL_HEPATIC_VEIN || l == CARM_TWIN_LABEL_IVC ||
         l == CARM_TWIN_LABEL_AORTA || l == CARM_TWIN_LABEL_CATHETER ||
         (l >= CARM_TWIN_LABEL_TUMOUR && l <= CARM_TWIN_LABEL_HYPO);
}

static int is_static_tissue(int l) {
  return l == CARM_TWIN_LABEL_BODY || l == CARM_TWIN_LABEL_FAT || l == CARM_TWIN_LABEL_BONE ||
         l == CARM_TWIN_LABEL_KIDNEY;
}

static int is_background(int l) { return is_static_tissue(l) || l == CARM_TWIN_LABEL_LIVER; }

typedef struct regions {
  uint8_t *vessel, *residual, *bone, *background;
} regions;

static int make_regions(regions *r, const carm_volume *labels) {
  int64_t n = carm_volume_count(labels);
  *r = (regions){calloc((size_t)n, 1), calloc((size_t)n, 1), calloc((size_t)n, 1),
                 calloc((size_t)n, 1)};
  carm_volume *near_enh = twin_mask(labels, is_enhancing, 6.0);
  carm_volume *near_ves = twin_mask(labels, is_vessel_or_lesion, 4.0);
  if (r->vessel == NULL || r->residual == NULL || r->bone == NULL || r->background == NULL ||
      near_enh == NULL || near_ves == NULL) {
    carm_volume_destroy(near_enh);
    carm_volume_destroy(near_ves);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) {
    if (!twin_in_fov(labels, i)) {
      continue;
    }
    int l = twin_label_at(labels, i);
    r->vessel[i] = l == CARM_TWIN_LABEL_ARTERY;
    r->residual[i] = is_static_tissue(l) && near_enh->data[i] < 0.5f;
    r->bone[i] = r->residual[i] && l == CARM_TWIN_LABEL_BONE;
    r->background[i] = is_background(l) && near_ves->data[i] < 0.5f;
  }
  carm_volume_destroy(near_enh);
  carm_volume_destroy(near_ves);
  return 0;
}

static void free_regions(regions *r) {
  free(r->vessel);
  free(r->residual);
  free(r->bone);
  free(r->background);
}

static double rms(const carm_volume *v, const uint8_t *in) {
  twin_stats s = twin_region(v, in);
  return sqrt(s.mean * s.mean + s.sd * s.sd);
}

static double cnr(const carm_volume *v, const regions *r) {
  twin_stats sv = twin_region(v, r->vessel);
  twin_stats sb = twin_region(v, r->background);
  return (sv.mean - sb.mean) / sb.sd;
}

static void one_seed(uint64_t seed) {
  twin_case c;
  if (twin_case_make(&c, seed, 133, 2.0) != 0) {
    CHECK_MSG(0, "seed %d: twin or acquisition plan: %s", (int)seed, carm_last_error());
    return;
  }
  carm_volume *p_art = NULL, *p_mask = NULL, *diff = NULL;
  carm_geometry *g_art = NULL, *g_mask = NULL;
  CHECK(twin_sweep(&c, TWIN_ARTERIAL, TWIN_I0, &p_art, &g_art) == 0);
  CHECK(twin_sweep(&c, TWIN_MASK, TWIN_I0, &p_mask, &g_mask) == 0);
  CHECK(carm_dsa_subtract_projections(&diff, p_art, g_art, p_mask, g_mask, NULL) == CARM_OK);
  carm_volume *grid = twin_grid(2.5);
  carm_volume *labels = grid != NULL ? twin_labels(&c, grid) : NULL;
  carm_volume *v_dsa = diff != NULL ? twin_fdk(g_art, diff, grid, CARM_FILTER_HANN) : NULL;
  carm_volume *v_art = twin_fdk(g_art, p_art, grid, CARM_FILTER_HANN);
  regions r = {0};
  CHECK(labels != NULL && make_regions(&r, labels) == 0);
  CHECK(v_dsa != NULL && v_art != NULL);
  if (v_dsa != NULL && v_art != NULL && r.vessel != NULL) {
    twin_stats ves = twin_region(v_dsa, r.vessel);
    twin_stats bone = twin_region(v_dsa, r.bone);
    twin_stats res = twin_region(v_dsa, r.residual);
    twin_stats art_bone = twin_region(v_art, r.bone);
    twin_stats art_res = twin_region(v_art, r.residual);
    double s = ves.mean;
    double res_rms = rms(v_dsa, r.residual);
    double cnr_dsa = cnr(v_dsa, &r);
    double cnr_art = cnr(v_art, &r);
    printf("seed %d: %lld artery voxels, DSA vessel signal S = %.5f /mm; residual region %lld "
           "voxels: mean %.5f, RMS %.5f (%.1f %% of S); bone (%lld voxels) mean %.5f (%.1f %% of "
           "S); arterial volume: bone %.5f vs residual region %.5f\n",
           (int)seed, (long long)ves.n, s, (long long)res.n, res.mean, res_rms, 100.0 * res_rms / s,
           (long long)bone.n, bone.mean, 100.0 * bone.mean / s, art_bone.mean, art_res.mean);
    printf("seed %d: vessel CNR DSA %.2f, arterial volume %.2f (ratio %.2f)\n", (int)seed, cnr_dsa,
           cnr_art, cnr_dsa / cnr_art);
    CHECK_MSG(ves.n > 50, "seed %d: only %lld artery voxels", (int)seed, (long long)ves.n);
    CHECK_MSG(res.n > 10000 && bone.n > 500, "seed %d: regions too small", (int)seed);
    CHECK_MSG(s > 0.004, "seed %d: vessel signal %g too low", (int)seed, s);
    CHECK_MSG(fabs(bone.mean) < 0.03 * s, "seed %d: bone left in the DSA: %g (S %g)", (int)seed,
              bone.mean, s);
    CHECK_MSG(res_rms < 0.10 * s, "seed %d: residual RMS %g above 10 %% of S %g", (int)seed,
              res_rms, s);
    CHECK_MSG(art_bone.mean - art_res.mean > 0.5 * s,
              "seed %d: the arterial volume shows no bone (%g vs %g): the test cannot fail",
              (int)seed, art_bone.mean, art_res.mean);
    CHECK_MSG(cnr_dsa > 1.2 * cnr_art, "seed %d: DSA CNR %g not 20 %% above arterial %g", (int)seed,
              cnr_dsa, cnr_art);
    /* the patient moved between mask and contrast: bone edges remain */
    carm_volume *moved = NULL, *d_moved = NULL, *v_moved = NULL;
    CHECK(carm_volume_clone(&moved, p_mask) == CARM_OK);
    if (moved != NULL) {
      const int64_t nu = moved->dims[0];
      for (int64_t row = 0; row < moved->dims[1] * moved->dims[2]; row++) {
        float *m = moved->data + row * nu;
        memmove(m + 1, m, (size_t)(nu - 1) * sizeof(float));
      }
      CHECK(carm_dsa_subtract_projections(&d_moved, p_art, g_art, moved, g_mask, NULL) == CARM_OK);
      v_moved = d_moved != NULL ? twin_fdk(g_art, d_moved, grid, CARM_FILTER_HANN) : NULL;
    }
    CHECK(v_moved != NULL);
    if (v_moved != NULL) {
      double mv_rms = rms(v_moved, r.residual);
      printf("seed %d: patient moved 1.6 mm: residual RMS %.5f (%.1f %% of S), bone mean %.5f, "
             "CNR %.2f\n",
             (int)seed, mv_rms, 100.0 * mv_rms / s, twin_region(v_moved, r.bone).mean,
             cnr(v_moved, &r));
      CHECK_MSG(mv_rms > 0.10 * s, "seed %d: a moved mask passes the residual bound (%g)",
                (int)seed, mv_rms);
    }
    carm_volume_destroy(v_moved);
    carm_volume_destroy(d_moved);
    carm_volume_destroy(moved);
  }
  carm_volume_destroy(v_dsa);
  carm_volume_destroy(v_art);
  carm_volume_destroy(labels);
  carm_volume_destroy(grid);
  free_regions(&r);
  carm_volume_destroy(diff);
  carm_volume_destroy(p_art);
  carm_volume_destroy(p_mask);
  carm_geometry_destroy(g_art);
  carm_geometry_destroy(g_mask);
  twin_case_free(&c);
}

int main(void) {
  const uint64_t seeds[] = {3, 11};
  for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
    one_seed(seeds[s]);
  }
  return check_done();
}
