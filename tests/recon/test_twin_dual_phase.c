/* Dual phase on the digital liver twin (issue 5), two seeds (not the demo's
 * 7): the arterial and the delayed (reverse) sweep of one injection, 133
 * views each with Poisson noise (twin_fixture.h), reconstructed with FDK
 * (Hann) on ONE grid (the twin's field of view at 2.5 mm). For each
 * hypervascular tumour k and each phase:
 *   d = mean(tumour core) − mean(surrounding liver), in mm⁻¹,
 * core = voxels labelled 10 + k within (radius − 2.5 mm) of the centre,
 * surrounding liver = parenchyma (label 3) 5–25 mm outside the tumour's
 * surface and farther than 4 mm from any vessel or lesion. The same d is
 * taken on the truth painted at the sweep's mid-time on the same grid, and
 * from the contrast curves directly: the mean over the sweep's view times
 * of μ_water/1000 · (HU_tumour(t) − HU_liver(t)) (each view sees its own
 * time; the truth at mid-time is printed for comparison: the curves are
 * not linear over the sweep, so it overstates the arterial enhancement by
 * about 20 %). The recon must match the curves in sign (enhancement in the
 * arterial phase, wash-out in the delayed phase) and rough magnitude
 * (ratio within [0.7, 1.3]); so must the hypovascular lesion (darker than
 * the liver in both phases). Swapped phases or a wrong protocol fail. */
#include "check.h"
#include "twin_fixture.h"

#include <stdio.h>

static int is_vessel_or_lesion(int l) {
  return l == CARM_TWIN_LABEL_ARTERY || l == CARM_TWIN_LABEL_PORTAL ||
         l == CARM_TWIN_LABEL_HEPATIC_VEIN || l == CARM_TWIN_LABEL_IVC ||
         l == CARM_TWIN_LABEL_AORTA || l == CARM_TWIN_LABEL_CATHETER ||
         (l >= CARM_TWIN_LABEL_TUMOUR && l <= CARM_TWIN_LABEL_HYPO);
}

/* Core and surrounding-liver masks of a lesion; counts returned. */
static void lesion_regions(const carm_volume *labels, const carm_volume *near_ves,
                           const carm_twin_tumour *t, uint8_t *core, uint8_t *liver,
                           int64_t *n_core, int64_t *n_liver) {
  const int64_t nx = labels->dims[0], ny = labels->dims[1];
  const double r = 0.5 * t->diameter_mm;
  *n_core = *n_liver = 0;
  for (int64_t i = 0; i < carm_volume_count(labels); i++) {
    core[i] = liver[i] = 0;
    if (!twin_in_fov(labels, i)) {
      continue;
    }
    double ijk[3] = {(double)(i % nx), (double)((i / nx) % ny), (double)(i / (nx * ny))};
    double p[3];
    carm_volume_index_to_point(labels, ijk, p);
    double d = sqrt((p[0] - t->centre_mm[0]) * (p[0] - t->centre_mm[0]) +
                    (p[1] - t->centre_mm[1]) * (p[1] - t->centre_mm[1]) +
                    (p[2] - t->centre_mm[2]) * (p[2] - t->centre_mm[2]));
    int l = twin_label_at(labels, i);
    if (l == t->label && d < r - 2.5) {
      core[i] = 1;
      (*n_core)++;
    } else if (l == CARM_TWIN_LABEL_LIVER && d > r + 5.0 && d < r + 25.0 &&
               near_ves->data[i] < 0.5f) {
      liver[i] = 1;
      (*n_liver)++;
    }
  }
}

/* μ difference lesion − liver predicted by the curves: the mean over the
 * sweep's view times. */
static double curve_difference(const carm_contrast_protocol *p, int compartment,
                               const carm_geometry *geo) {
  double s = 0.0;
  for (int64_t v = 0; v < geo->n_views; v++) {
    double t = geo->views[v].time_s;
    s += carm_contrast_hu(p, compartment, t) - carm_contrast_hu(p, CARM_TWIN_C_LIVER, t);
  }
  return p->mu_water_per_mm / 1000.0 * s / (double)geo->n_views;
}

static void one_seed(uint64_t seed) {
  twin_case c;
  if (twin_case_make(&c, seed, 133, 2.0) != 0) {
    CHECK_MSG(0, "seed %d: twin or acquisition plan: %s", (int)seed, carm_last_error());
    return;
  }
  carm_volume *proj[2] = {NULL, NULL};
  carm_geometry *geo[2] = {NULL, NULL};
  carm_volume *recon[2] = {NULL, NULL};
  carm_volume *truth[2] = {NULL, NULL};
  carm_volume *grid = twin_grid(2.5);
  carm_volume *labels = grid != NULL ? twin_labels(&c, grid) : NULL;
  carm_volume *near_ves = labels != NULL ? twin_mask(labels, is_vessel_or_lesion, 4.0) : NULL;
  CHECK(near_ves != NULL);
  const twin_phase phases[2] = {TWIN_ARTERIAL, TWIN_DELAYED};
  for (int p = 0; p < 2; p++) {
    CHECK(twin_sweep(&c, phases[p], TWIN_I0, &proj[p], &geo[p]) == 0);
    if (proj[p] != NULL && grid != NULL) {
      recon[p] = twin_fdk(geo[p], proj[p], grid, CARM_FILTER_HANN);
      truth[p] = twin_truth(&c, grid, twin_phase_mid(&c, phases[p]));
    }
    CHECK(recon[p] != NULL && truth[p] != NULL);
  }
  int64_t n = grid != NULL ? carm_volume_count(grid) : 0;
  uint8_t *core = calloc((size_t)n, 1);
  uint8_t *liver = calloc((size_t)n, 1);
  if (recon[0] != NULL && recon[1] != NULL && truth[0] != NULL && truth[1] != NULL &&
      near_ves != NULL && core != NULL && liver != NULL) {
    CHECK(carm_volume_same_grid(recon[0], recon[1], 1e-9)); /* fuse without registration */
    int tested = 0;
    for (int k = 0; k < c.twin->n_tumours + c.twin->has_hypo; k++) {
      const carm_twin_tumour *t = k < c.twin->n_tumours ? &c.twin->tumours[k] : &c.twin->hypo;
      int comp = t->hypervascular ? CARM_TWIN_C_TUMOUR : CARM_TWIN_C_HYPO;
      int64_t n_core = 0, n_liver = 0;
      lesion_regions(labels, near_ves, t, core, liver, &n_core, &n_liver);
      if (n_core < 8 || n_liver < 200) {
        printf("seed %d, lesion %d (%.1f mm): %lld core, %lld liver voxels in the field of view: "
               "skipped\n",
               (int)seed, t->label, t->diameter_mm, (long long)n_core, (long long)n_liver);
        continue;
      }
      tested++;
      for (int p = 0; p < 2; p++) {
        double d_rec = twin_region(recon[p], core).mean - twin_region(recon[p], liver).mean;
        double d_tru = twin_region(truth[p], core).mean - twin_region(truth[p], liver).mean;
        double d_cur = curve_difference(&c.twin->protocol, comp, geo[p]);
        double hu = 1000.0 / c.twin->protocol.mu_water_per_mm;
        printf("seed %d, %s lesion %d (%.1f mm, %lld core voxels), %s: lesion - liver recon "
               "%+.5f /mm (%+.0f HU), truth at mid-time %+.5f (%+.0f HU), curves over the sweep "
               "%+.5f (%+.0f HU), recon/curves %.2f\n",
               (int)seed, t->hypervascular ? "tumour" : "hypovascular", t->label, t->diameter_mm,
               (long long)n_core, p == 0 ? "arterial" : "delayed", d_rec, d_rec * hu, d_tru,
               d_tru * hu, d_cur, d_cur * hu, d_rec / d_cur);
        int want_sign = t->hypervascular && p == 0 ? 1 : -1;
        CHECK_MSG(d_cur * want_sign > 0.0, "seed %d lesion %d: the protocol's curves changed?",
                  (int)seed, t->label);
        CHECK_MSG(d_rec * want_sign > 0.0, "seed %d lesion %d %s: wrong sign %g", (int)seed,
                  t->label, p == 0 ? "arterial" : "delayed", d_rec);
        CHECK_MSG(d_rec / d_cur > 0.7 && d_rec / d_cur < 1.3,
                  "seed %d lesion %d %s: recon %g vs curves %g", (int)seed, t->label,
                  p == 0 ? "arterial" : "delayed", d_rec, d_cur);
      }
    }
    CHECK_MSG(tested >= 1, "seed %d: no lesion to test", (int)seed);
  }
  free(core);
  free(liver);
  for (int p = 0; p < 2; p++) {
    carm_volume_destroy(proj[p]);
    carm_volume_destroy(recon[p]);
    carm_volume_destroy(truth[p]);
    carm_geometry_destroy(geo[p]);
  }
  carm_volume_destroy(near_ves);
  carm_volume_destroy(labels);
  carm_volume_destroy(grid);
  twin_case_free(&c);
}

int main(void) {
  const uint64_t seeds[] = {4, 12};
  for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
    one_seed(seeds[s]);
  }
  return check_done();
}
