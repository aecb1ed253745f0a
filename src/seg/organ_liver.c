/* Liver segmentation in a delayed / portal-phase volume: smoothing, seed
 * (given or found in the right upper abdomen), robust window, region
 * growing, opening, closing, hole filling, partial-volume edge. */
#include "seg/organ_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static carm_status check_opts(const carm_organ_liver_opts *o) {
  if (o->version != 1) {
    return carm_error(CARM_ERR_INVALID, "liver: options version %d (want 1)", o->version);
  }
  if (o->n_seeds < 0 || o->n_seeds > CARM_ORGAN_MAX_SEEDS) {
    return carm_error(CARM_ERR_INVALID, "liver: %d seeds (0..%d)", o->n_seeds,
                      CARM_ORGAN_MAX_SEEDS);
  }
  if (!(o->smooth_sigma_mm >= 0.0 && o->smooth_sigma_mm <= 20.0) ||
      !(o->window_sd > 0.0 && o->window_sd <= 20.0) ||
      !(o->min_window_hu >= 0.0 && o->min_window_hu <= 1000.0) ||
      !(o->max_window_hu >= o->min_window_hu && o->max_window_hu <= 1000.0) ||
      !(o->open_radius_mm >= 0.0 && o->open_radius_mm <= 50.0) ||
      !(o->close_radius_mm >= 0.0 && o->close_radius_mm <= 50.0)) {
    return carm_error(CARM_ERR_INVALID,
                      "liver: sigma 0..20 mm, window 0..20 SD, min window 0..1000 HU, "
                      "radii 0..50 mm");
  }
  return organ_check_rotation(o->lps_from_physical);
}

/* The automatic seed. The liver dominates the patient's right half of the
 * abdomen: a major mode of the smoothed values there (soft-tissue range, 3 HU
 * bins; the brightest of those with 40 % of the largest one's mass) is its
 * level. Voxels within 15 HU of the mode, opened by 8 mm, form
 * candidates; the one with the most voxels on the right wins and its
 * deepest voxel is the seed. Also returns the median / SD of its core. */
static carm_status auto_seed(const carm_volume *sm, const double lps_from_phys[3][3],
                             int64_t seed[3], double *median, double *sd) {
  carm_volume *cand = NULL;
  carm_volume *lab = NULL;
  carm_volume *dist = NULL;
  int64_t nl = 0;
  int64_t *count_right = NULL;
  float *vals = NULL;
  unsigned char *right = NULL;
  const int64_t *d = sm->dims;
  const int64_t n = carm_volume_count(sm);
  carm_status st = organ_like(&cand, sm);
  if (st == CARM_OK) {
    st = organ_like(&lab, sm);
  }
  right = malloc((size_t)n);
  if (st == CARM_OK && right == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "liver: out of memory");
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  /* body centre along the patient's left-right axis (LPS x), then the
   * right-half mask */
  double sum_x = 0.0;
  int64_t n_body = 0;
  for (int pass = 0; pass < 2; pass++) {
    double cx = n_body > 0 ? sum_x / (double)n_body : 0.0;
    for (int64_t k = 0; k < d[2]; k++) {
      for (int64_t j = 0; j < d[1]; j++) {
        for (int64_t i = 0; i < d[0]; i++) {
          int64_t idx = (k * d[1] + j) * d[0] + i;
          if (sm->data[idx] <= -400.0f) {
            right[idx] = 0;
            continue;
          }
          double ijk[3] = {(double)i, (double)j, (double)k};
          double p[3];
          double q[3];
          carm_volume_index_to_point(sm, ijk, p);
          organ_to_lps(lps_from_phys, p, q);
          if (pass == 0) {
            sum_x += q[0];
            n_body++;
          } else {
            right[idx] = q[0] < cx; /* LPS: patient right is -x */
          }
        }
      }
    }
  }
  /* mode of the right half's soft tissue */
  enum { NB = 117 }; /* -50 .. 300 HU in 3 HU bins */
  double hist[NB] = {0};
  for (int64_t i = 0; i < n; i++) {
    double v = sm->data[i];
    if (right[i] && v >= -50.0 && v < 301.0) {
      int b = (int)((v + 50.0) / 3.0);
      hist[b < NB ? b : NB - 1] += 1.0;
    }
  }
  /* modes: local maxima of the (1, 2, 1)-smoothed histogram with their
   * mass within +-12 HU; the brightest mode holding at least 40 % of the
   * largest mode's mass is the liver (brighter than muscle in every phase,
   * larger than the enhanced kidney) */
  double hs[NB];
  for (int b = 0; b < NB; b++) {
    hs[b] = 2.0 * hist[b] + (b > 0 ? hist[b - 1] : 0.0) + (b + 1 < NB ? hist[b + 1] : 0.0);
  }
  double mass[NB];
  double max_mass = 0.0;
  for (int b = 0; b < NB; b++) {
    int peak = hs[b] > 0.0;
    for (int q = b - 3; q <= b + 3 && peak; q++) {
      if (q >= 0 && q < NB && q != b && (hs[q] > hs[b] || (hs[q] == hs[b] && q < b))) {
        peak = 0;
      }
    }
    mass[b] = 0.0;
    if (peak) {
      for (int q = b - 4; q <= b + 4; q++) {
        mass[b] += q >= 0 && q < NB ? hist[q] : 0.0;
      }
    }
    max_mass = fmax(max_mass, mass[b]);
  }
  int mode = -1;
  for (int b = 0; b < NB; b++) {
    if (max_mass > 0.0 && mass[b] >= 0.4 * max_mass) {
      mode = b; /* ascending: the last one is the brightest */
    }
  }
  double level = -50.0 + 3.0 * (mode + 0.5);
  st = carm_seg_threshold(cand, sm, level - 15.0, level + 15.0);
  if (st == CARM_OK) {
    st = carm_seg_morph_binary(lab, cand, CARM_SEG_OPEN, 8.0);
  }
  if (st == CARM_OK) {
    memcpy(cand->data, lab->data, (size_t)n * sizeof(float));
    st = carm_seg_label(lab, &nl, NULL, cand, 6);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  if (nl == 0) {
    st = carm_error(CARM_ERR_NOTFOUND,
                    "liver: no region near %.0f HU large enough on the right (give a seed)", level);
    goto cleanup;
  }
  count_right = calloc((size_t)nl + 1, sizeof(int64_t));
  if (count_right == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "liver: out of memory");
    goto cleanup;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t l = (int64_t)lab->data[i];
    if (l > 0) {
      count_right[l] += right[i];
    }
  }
  int64_t best = 1;
  for (int64_t l = 2; l <= nl; l++) {
    if (count_right[l] > count_right[best]) {
      best = l;
    }
  }
  for (int64_t i = 0; i < n; i++) {
    cand->data[i] = lab->data[i] == (float)best ? 1.0f : 0.0f;
  }
  st = organ_like(&dist, sm);
  if (st == CARM_OK) {
    st = carm_seg_distance(dist, cand, CARM_SEG_TO_BACKGROUND);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  int64_t arg = 0;
  for (int64_t i = 1; i < n; i++) {
    if (dist->data[i] > dist->data[arg]) {
      arg = i;
    }
  }
  seed[0] = arg % d[0];
  seed[1] = (arg / d[0]) % d[1];
  seed[2] = arg / (d[0] * d[1]);
  /* core: voxels deeper than min(10 mm, half the largest depth) */
  double depth = fmin(10.0, 0.5 * (double)dist->data[arg]);
  int64_t nc = 0;
  for (int64_t i = 0; i < n; i++) {
    nc += dist->data[i] >= depth && cand->data[i] > 0.5f;
  }
  vals = malloc((size_t)(nc > 0 ? nc : 1) * sizeof(float));
  if (vals == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "liver: out of memory");
    goto cleanup;
  }
  nc = 0;
  for (int64_t i = 0; i < n; i++) {
    if (dist->data[i] >= depth && cand->data[i] > 0.5f) {
      vals[nc++] = sm->data[i];
    }
  }
  if (nc == 0) {
    vals[0] = sm->data[arg];
    nc = 1;
  }
  organ_median_sd(vals, nc, median, sd);
cleanup:
  free(vals);
  free(right);
  free(count_right);
  carm_volume_destroy(cand);
  carm_volume_destroy(lab);
  carm_volume_destroy(dist);
  return st;
}

/* Median / SD of the smoothed values within 10 mm of the seeds. */
static carm_status seed_stats(const carm_volume *sm, const int64_t (*seeds)[3], int n_seeds,
                              double *median, double *sd) {
  const double r = 10.0;
  int64_t rad[3];
  for (int a = 0; a < 3; a++) {
    rad[a] = (int64_t)floor(r / sm->spacing[a]);
  }
  int64_t cap = (int64_t)n_seeds * (2 * rad[0] + 1) * (2 * rad[1] + 1) * (2 * rad[2] + 1);
  float *vals = malloc((size_t)cap * sizeof(float));
  if (vals == NULL) {
    return carm_error(CARM_ERR_NOMEM, "liver: out of memory");
  }
  int64_t n = 0;
  for (int s = 0; s < n_seeds; s++) {
    for (int64_t dk = -rad[2]; dk <= rad[2]; dk++) {
      for (int64_t dj = -rad[1]; dj <= rad[1]; dj++) {
        for (int64_t di = -rad[0]; di <= rad[0]; di++) {
          int64_t i = seeds[s][0] + di;
          int64_t j = seeds[s][1] + dj;
          int64_t k = seeds[s][2] + dk;
          double x = (double)di * sm->spacing[0];
          double y = (double)dj * sm->spacing[1];
          double z = (double)dk * sm->spacing[2];
          if (i < 0 || j < 0 || k < 0 || i >= sm->dims[0] || j >= sm->dims[1] || k >= sm->dims[2] ||
              x * x + y * y + z * z > r * r) {
            continue;
          }
          vals[n++] = carm_volume_at(sm, i, j, k);
        }
      }
    }
  }
  organ_median_sd(vals, n, median, sd);
  free(vals);
  return CARM_OK;
}

carm_status carm_organ_liver(carm_volume *mask, carm_organ_liver_info *info, const carm_volume *vol,
                             const carm_organ_liver_opts *opts) {
  carm_organ_liver_opts o = CARM_ORGAN_LIVER_OPTS_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  carm_status st = check_opts(&o);
  if (st != CARM_OK) {
    return st;
  }
  if (mask == NULL || vol == NULL || mask->data == NULL || vol->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "liver: NULL volume");
  }
  for (int a = 0; a < 3; a++) {
    if (mask->dims[a] != vol->dims[a]) {
      return carm_error(CARM_ERR_INVALID, "liver: the mask's dims differ from the volume's");
    }
  }
  carm_volume *hu = NULL;
  carm_volume *sm = NULL;
  carm_volume *a = NULL;
  carm_volume *b = NULL;
  int64_t seeds[CARM_ORGAN_MAX_SEEDS][3];
  int n_seeds = o.n_seeds;
  double med = 0.0;
  double sd = 0.0;
  const int64_t n = carm_volume_count(vol);
  for (int s = 0; s < n_seeds; s++) {
    st = organ_point_voxel(vol, o.seeds_mm[s], seeds[s]);
    if (st != CARM_OK) {
      return st;
    }
  }
  st = organ_to_hu(&hu, vol, o.units, o.mu_water_per_mm);
  if (st == CARM_OK) {
    st = organ_like(&sm, vol);
  }
  if (st == CARM_OK) {
    double s3[3] = {o.smooth_sigma_mm, o.smooth_sigma_mm, o.smooth_sigma_mm};
    st = carm_seg_gaussian(sm, hu, s3);
  }
  if (st == CARM_OK && carm_progress_report(&o.progress, 0.15, "liver: seed")) {
    st = carm_error(CARM_ERR_CANCELLED, "liver: cancelled");
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  if (n_seeds == 0) {
    st = auto_seed(sm, o.lps_from_physical, seeds[0], &med, &sd);
    n_seeds = 1;
  } else {
    st = seed_stats(sm, (const int64_t(*)[3])seeds, n_seeds, &med, &sd);
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  st = organ_like(&a, vol);
  if (st == CARM_OK) {
    st = organ_like(&b, vol);
  }
  if (st == CARM_OK && o.n_seeds > 0) {
    /* a 10 mm ball is a small sample of a heterogeneous organ: grow once
     * with its window and take the statistics of the grown region's core
     * (voxels 6 mm or more inside it) */
    double w0 = fmin(fmax(o.window_sd * sd, o.min_window_hu), o.max_window_hu);
    st = carm_seg_region_grow(a, sm, (const int64_t(*)[3])seeds, (size_t)n_seeds, med - w0,
                              med + w0, 6);
    if (st == CARM_OK) {
      st = carm_seg_morph_binary(b, a, CARM_SEG_ERODE, 6.0);
    }
    int64_t nc = 0;
    for (int64_t i = 0; st == CARM_OK && i < n; i++) {
      nc += b->data[i] > 0.5f;
    }
    if (st == CARM_OK && nc >= 100) {
      float *vals = malloc((size_t)nc * sizeof(float));
      if (vals == NULL) {
        st = carm_error(CARM_ERR_NOMEM, "liver: out of memory");
      } else {
        nc = 0;
        for (int64_t i = 0; i < n; i++) {
          if (b->data[i] > 0.5f) {
            vals[nc++] = sm->data[i];
          }
        }
        organ_median_sd(vals, nc, &med, &sd);
        free(vals);
      }
    }
    if (st == CARM_OK) {
      memset(a->data, 0, (size_t)n * sizeof(float));
    }
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  double w = fmin(fmax(o.window_sd * sd, o.min_window_hu), o.max_window_hu);
  double lo = med - w;
  double hi = med + w;
  if (st == CARM_OK) {
    st = carm_seg_region_grow(a, sm, (const int64_t(*)[3])seeds, (size_t)n_seeds, lo, hi, 6);
  }
  if (st == CARM_OK && carm_progress_report(&o.progress, 0.4, "liver: opening")) {
    st = carm_error(CARM_ERR_CANCELLED, "liver: cancelled");
  }
  /* fill the holes (tumours, vessels) first so that the opening does not
   * break the thin parenchyma around them */
  if (st == CARM_OK) {
    st = carm_organ_fill_holes(b, a, organ_axial_axis(vol, o.lps_from_physical));
  }
  if (st == CARM_OK) {
    st = carm_seg_morph_binary(a, b, CARM_SEG_OPEN, o.open_radius_mm);
    memcpy(b->data, a->data, (size_t)n * sizeof(float));
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  /* keep the opened component holding a seed (most votes), else the largest */
  {
    int64_t nl = 0;
    st = carm_seg_label(a, &nl, NULL, b, 6);
    if (st != CARM_OK) {
      goto cleanup;
    }
    if (nl == 0) {
      st = carm_error(CARM_ERR_NOTFOUND,
                      "liver: nothing grew in %.0f..%.0f HU around the seed (median %.0f HU)", lo,
                      hi, med);
      goto cleanup;
    }
    int64_t keep = 1;
    for (int s = 0; s < n_seeds; s++) {
      int64_t l = (int64_t)carm_volume_at(a, seeds[s][0], seeds[s][1], seeds[s][2]);
      if (l > 0) {
        keep = l;
        break;
      }
    }
    for (int64_t i = 0; i < n; i++) {
      b->data[i] = a->data[i] == (float)keep ? 1.0f : 0.0f;
    }
  }
  if (carm_progress_report(&o.progress, 0.6, "liver: closing")) {
    st = carm_error(CARM_ERR_CANCELLED, "liver: cancelled");
    goto cleanup;
  }
  st = carm_seg_morph_binary(a, b, CARM_SEG_CLOSE, o.close_radius_mm);
  if (st == CARM_OK) {
    st = carm_organ_fill_holes(b, a, organ_axial_axis(vol, o.lps_from_physical));
  }
  if (st != CARM_OK) {
    goto cleanup;
  }
  /* partial-volume edge: the growing window stops about 1.5 sigma inside
   * the organ; add the voxels within max(voxel, 1.5 sigma) of the mask
   * whose lightly smoothed value (sigma / 2) lies within two half-windows
   * of the parenchyma */
  {
    double step = fmax(vol->spacing[0], fmax(vol->spacing[1], vol->spacing[2]));
    double ring = fmax(1.01 * step, 1.5 * o.smooth_sigma_mm);
    double s3[3] = {0.5 * o.smooth_sigma_mm, 0.5 * o.smooth_sigma_mm, 0.5 * o.smooth_sigma_mm};
    st = carm_seg_gaussian(sm, hu, s3);
    if (st == CARM_OK) {
      st = carm_seg_morph_binary(a, b, CARM_SEG_DILATE, ring);
    }
    if (st != CARM_OK) {
      goto cleanup;
    }
    const float e_lo = (float)(med - 2.0 * w);
    const float e_hi = (float)(med + 2.0 * w);
    for (int64_t i = 0; i < n; i++) {
      int in =
          b->data[i] > 0.5f || (a->data[i] > 0.5f && sm->data[i] >= e_lo && sm->data[i] <= e_hi);
      mask->data[i] = in ? 1.0f : 0.0f;
    }
    carm_volume_copy_grid(mask, vol);
  }
  if (info != NULL) {
    int64_t cnt = 0;
    for (int64_t i = 0; i < n; i++) {
      cnt += mask->data[i] > 0.5f;
    }
    double ijk[3] = {(double)seeds[0][0], (double)seeds[0][1], (double)seeds[0][2]};
    carm_volume_index_to_point(vol, ijk, info->seed_mm);
    info->median_hu = med;
    info->sd_hu = sd;
    info->lo_hu = lo;
    info->hi_hu = hi;
    info->volume_ml = (double)cnt * vol->spacing[0] * vol->spacing[1] * vol->spacing[2] / 1000.0;
  }
  carm_progress_report(&o.progress, 1.0, "liver: done");
cleanup:
  carm_volume_destroy(hu);
  carm_volume_destroy(sm);
  carm_volume_destroy(a);
  carm_volume_destroy(b);
  return st;
}
