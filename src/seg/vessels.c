/* The vessel pipeline: threshold, vesselness seeds, connected component,
 * centreline tree (vessels.h). */
#include "carm/vessels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a;
  float y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Robust statistics of a volume from a regular sample of at most ~1M
 * voxels: median and 99.9th percentile of `v`, and the noise sigma
 * 1.4826 · MAD of the high-pass residual `raw − v` (structure cancels, noise
 * stays). */
static carm_status robust_stats(const carm_volume *v, const carm_volume *raw, double *median,
                                double *sigma, double *p999) {
  int64_t n = carm_volume_count(v);
  int64_t step = n / 1000000 + 1;
  int64_t m = (n + step - 1) / step;
  float *a = malloc((size_t)m * sizeof *a);
  if (a == NULL) {
    return carm_error(CARM_ERR_NOMEM, "vessels: out of memory");
  }
  int64_t k = 0;
  for (int64_t i = 0; i < n; i += step) {
    a[k++] = isfinite(v->data[i]) ? v->data[i] : 0.0f;
  }
  qsort(a, (size_t)k, sizeof *a, cmp_float);
  *median = a[k / 2];
  *p999 = a[(int64_t)(0.999 * (double)(k - 1))];
  k = 0;
  for (int64_t i = 0; i < n; i += step) {
    float r = raw->data[i] - v->data[i];
    a[k++] = isfinite(r) ? r : 0.0f;
  }
  qsort(a, (size_t)k, sizeof *a, cmp_float);
  float rmed = a[k / 2];
  for (int64_t i = 0; i < k; i++) {
    a[i] = fabsf(a[i] - rmed);
  }
  qsort(a, (size_t)k, sizeof *a, cmp_float);
  *sigma = 1.4826 * a[k / 2];
  free(a);
  return CARM_OK;
}

/* Seed threshold T0 and the background level: for a vessel-only volume
 * (3D-DSA: the median near 0 next to the bright tail) T0 = median + 4σ; with
 * soft tissue, Otsu on the volume, then Otsu again above the first split
 * (tissue vs contrast and bone). */
static carm_status seed_threshold(const carm_volume *vol, double median, double sigma, double p999,
                                  double *t0, int *dsa_like, double *t_low) {
  /* vessel-only: the background sits at zero within the noise, far below
   * the bright tail (a CT or arterial volume has tissue or water there) */
  *dsa_like = fabs(median) <= 2.0 * sigma && fabs(median) < 0.2 * fabs(p999);
  if (*dsa_like) {
    /* a noise-free volume has σ = 0: median + 4σ would put every voxel
     * (the background included) above the seed threshold; keep the seeds
     * at least 5 % of the way up to the bright tail */
    *t0 = median + fmax(4.0 * sigma, 0.05 * (p999 - median));
    *t_low = -INFINITY;
    return CARM_OK;
  }
  double t1 = 0.0;
  carm_status st = carm_seg_otsu(&t1, vol, NULL, 1024);
  if (st != CARM_OK) {
    return st;
  }
  int64_t n = carm_volume_count(vol);
  carm_volume *upper = NULL;
  st = carm_volume_create_like(&upper, vol);
  if (st != CARM_OK) {
    return st;
  }
  for (int64_t i = 0; i < n; i++) {
    upper->data[i] = vol->data[i] > t1 ? 1.0f : 0.0f;
  }
  /* Otsu above the first split; contrast and bone are never most of a
   * body: while more than half of the tissue lies above the split, it has
   * separated two kinds of tissue (fat from muscle and organs), so split
   * again above it */
  int64_t n_up = 0;
  for (int64_t i = 0; i < n; i++) {
    n_up += upper->data[i] > 0.5f;
  }
  for (int iter = 0; iter < 4 && st == CARM_OK; iter++) {
    if ((st = carm_seg_otsu(t0, vol, upper, 1024)) != CARM_OK) {
      break;
    }
    int64_t n_above = 0;
    for (int64_t i = 0; i < n; i++) {
      n_above += vol->data[i] > *t0;
    }
    if (!((double)n_above > 0.5 * (double)n_up)) {
      break;
    }
    for (int64_t i = 0; i < n; i++) {
      upper->data[i] = vol->data[i] > *t0 ? 1.0f : 0.0f;
    }
  }
  carm_volume_destroy(upper);
  *t_low = t1;
  return st;
}

/* The k-th smallest of a[0..n-1] (quickselect; reorders a). */
static float select_kth(float *a, int64_t n, int64_t k) {
  k = k < 0 ? 0 : (k >= n ? n - 1 : k);
  int64_t lo = 0;
  int64_t hi = n - 1;
  while (lo < hi) {
    float pivot = a[(lo + hi) / 2];
    int64_t i = lo;
    int64_t j = hi;
    while (i <= j) {
      while (a[i] < pivot) {
        i++;
      }
      while (a[j] > pivot) {
        j--;
      }
      if (i <= j) {
        float tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) {
      hi = j;
    } else if (k >= i) {
      lo = i;
    } else {
      break;
    }
  }
  return a[k];
}

/* Keep (in `mask`) the component nearest the root, or the opts->keep
 * largest; `labels` is scratch of the same grid. */
static carm_status keep_components(carm_volume *mask, carm_volume *labels,
                                   const carm_vessels_opts *opts, double threshold) {
  int64_t n_labels = 0;
  int64_t *sizes = NULL;
  carm_status st = carm_seg_label(labels, &n_labels, &sizes, mask, 26);
  free(sizes);
  if (st != CARM_OK) {
    return st;
  }
  if (n_labels == 0) {
    return carm_error(CARM_ERR_NOTFOUND,
                      "vessels: nothing above the threshold %g looks like a vessel", threshold);
  }
  const int64_t n = carm_volume_count(mask);
  int64_t keep_label = -1;
  if (opts->has_root) {
    double ijk[3];
    carm_volume_point_to_index(mask, opts->root_mm, ijk);
    double best = INFINITY;
    const int64_t nx = mask->dims[0];
    const int64_t ny = mask->dims[1];
    for (int64_t i = 0; i < n; i++) {
      if (labels->data[i] <= 0.0f) {
        continue;
      }
      double dx = (double)(i % nx) - ijk[0];
      double dy = (double)((i / nx) % ny) - ijk[1];
      double dz = (double)(i / (nx * ny)) - ijk[2];
      double d2 = dx * dx * mask->spacing[0] * mask->spacing[0] +
                  dy * dy * mask->spacing[1] * mask->spacing[1] +
                  dz * dz * mask->spacing[2] * mask->spacing[2];
      if (d2 < best) {
        best = d2;
        keep_label = (int64_t)lroundf(labels->data[i]);
      }
    }
    if (sqrt(best) > 10.0) {
      return carm_error(CARM_ERR_NOTFOUND, "vessels: no vessel within 10 mm of the root point");
    }
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t l = (int64_t)lroundf(labels->data[i]);
    int keep = keep_label > 0 ? l == keep_label : (l >= 1 && l <= opts->keep);
    mask->data[i] = keep ? 1.0f : 0.0f;
  }
  return CARM_OK;
}

/* Local half maximum: a vessel's boundary lies half-way between its own
 * peak and the tissue around it, which a global threshold gets right for
 * one background level only (a DSA's zero, or the fat around a CTA aorta)
 * and too low inside an enhancing organ. For the voxels within 1 mm of the
 * mask: background B = Gaussian-weighted mean (σ 3 mm) of the voxels more
 * than 2 mm outside the mask (normalised convolution), peak P = the largest
 * masked value within 2 mm; a voxel is vessel when v >= (B + P) / 2 and
 * v >= B + 2.5 σ_noise, connected to the mask's voxels that pass; then the
 * component of the root again. `bg`, `pk` and `tmp` are scratch. */
static carm_status local_half_max(carm_volume *mask, const carm_volume *v, carm_volume *bg,
                                  carm_volume *pk, carm_volume *tmp, const carm_vessels_opts *opts,
                                  double sigma) {
  const int64_t n = carm_volume_count(v);
  const double sb[3] = {3.0, 3.0, 3.0};
  carm_status st = carm_seg_morph_binary(tmp, mask, CARM_SEG_DILATE, 2.0);
  if (st != CARM_OK) {
    return st;
  }
  for (int64_t i = 0; i < n; i++) {
    float w = tmp->data[i] > 0.5f ? 0.0f : 1.0f;
    bg->data[i] = w * v->data[i];
    pk->data[i] = w;
  }
  if ((st = carm_seg_gaussian(bg, bg, sb)) != CARM_OK ||
      (st = carm_seg_gaussian(pk, pk, sb)) != CARM_OK) {
    return st;
  }
  for (int64_t i = 0; i < n; i++) {
    bg->data[i] = pk->data[i] > 1e-3f ? bg->data[i] / pk->data[i] : NAN;
    tmp->data[i] = mask->data[i] > 0.5f ? v->data[i] : -INFINITY;
  }
  if ((st = carm_seg_morph_grey(pk, tmp, CARM_SEG_DILATE, 2.0)) != CARM_OK) {
    return st;
  }
  /* structures thicker than the largest vessel looked for (an aorta with
   * max_radius 6 mm, a stent graft inside it) keep the global decision:
   * their own peak may be metal or bone; mark them in bg as NaN-free +inf */
  if ((st = carm_seg_morph_binary(tmp, mask, CARM_SEG_OPEN, opts->max_radius_mm)) != CARM_OK) {
    return st;
  }
  for (int64_t i = 0; i < n; i++) {
    if (tmp->data[i] > 0.5f) {
      bg->data[i] = -INFINITY;
    }
  }
  if ((st = carm_seg_morph_binary(tmp, mask, CARM_SEG_DILATE, 1.0)) != CARM_OK) {
    return st;
  }
  int64_t kept = 0;
  for (int64_t i = 0; i < n; i++) {
    float b = bg->data[i];
    float p = pk->data[i];
    float x = v->data[i];
    int thick = b == -INFINITY;
    int cand = thick || (tmp->data[i] > 0.5f && isfinite(b) && isfinite(p) && x >= 0.5f * (b + p) &&
                         x >= b + (float)(2.5 * sigma));
    /* 2 = seed (was in the mask), 1 = may join */
    tmp->data[i] = cand ? (mask->data[i] > 0.5f ? 2.0f : 1.0f) : 0.0f;
    kept += cand && mask->data[i] > 0.5f;
  }
  if (kept == 0) {
    return CARM_OK; /* nothing passes: keep the global mask */
  }
  carm_volume *old = NULL;
  if ((st = carm_volume_clone(&old, mask)) != CARM_OK) {
    return st;
  }
  if ((st = carm_seg_hysteresis(mask, tmp, 1.0, 2.0, 26)) == CARM_OK) {
    st = keep_components(mask, bg, opts, 0.0);
    if (st == CARM_ERR_NOTFOUND) { /* the root lost its vessel: keep the global mask */
      memcpy(mask->data, old->data, (size_t)n * sizeof *mask->data);
      st = CARM_OK;
    }
  }
  carm_volume_destroy(old);
  return st;
}

carm_status carm_vessels_extract(carm_volume **mask_out, carm_seg_tree **tree_out,
                                 carm_vessels_info *info, const carm_volume *vol,
                                 const carm_vessels_opts *opts) {
  const carm_volume *input = vol;
  if (mask_out == NULL || vol == NULL || opts == NULL || opts->version != 1) {
    return carm_error(CARM_ERR_INVALID, "vessels: missing volume or options");
  }
  if (!(opts->min_radius_mm > 0.0) || !(opts->max_radius_mm >= opts->min_radius_mm) ||
      opts->max_radius_mm > 50.0 ||
      !(opts->seed_vesselness >= 0.0 && opts->seed_vesselness < 1.0) || opts->keep < 1 ||
      !(opts->min_spur_mm >= 0.0)) {
    return carm_error(CARM_ERR_RANGE, "vessels: radii 0 < min <= max <= 50 mm, seed vesselness "
                                      "in [0, 1), keep >= 1, spur >= 0");
  }
  carm_status st = carm_volume_check_grid(vol);
  if (st != CARM_OK) {
    return st;
  }
  carm_volume *vness = NULL;
  carm_volume *work = NULL;
  carm_volume *mask = NULL;
  carm_volume *labels = NULL;
  carm_seg_tree *tree = NULL;
  carm_vessels_info inf;
  memset(&inf, 0, sizeof inf);
  carm_volume *sm = NULL;
  /* light smoothing (σ 0.6 mm) tames reconstruction noise before any
   * threshold; every later step works on the smoothed volume */
  const double sig[3] = {0.6, 0.6, 0.6};
  if ((st = carm_volume_create_like(&sm, vol)) != CARM_OK ||
      (st = carm_seg_gaussian(sm, vol, sig)) != CARM_OK) {
    carm_volume_destroy(sm);
    goto cleanup;
  }
  double median = 0.0;
  double sigma = 0.0;
  double p999 = 0.0;
  double t_low = -INFINITY;
  double t0 = opts->threshold;
  if ((st = robust_stats(sm, input, &median, &sigma, &p999)) != CARM_OK ||
      (!isfinite(opts->threshold) &&
       (st = seed_threshold(sm, median, sigma, p999, &t0, &inf.dsa_like, &t_low)) != CARM_OK)) {
    carm_volume_destroy(sm);
    goto cleanup;
  }
  inf.threshold = t0;
  vol = sm; /* from here on, the smoothed volume */
  if (carm_progress_report(&opts->progress, 0.05, "vesselness")) {
    st = carm_error(CARM_ERR_CANCELLED, "vessels: cancelled");
    goto cleanup;
  }
  if ((st = carm_volume_create_like(&vness, vol)) != CARM_OK ||
      (st = carm_volume_create_like(&work, vol)) != CARM_OK ||
      (st = carm_volume_create_like(&mask, vol)) != CARM_OK) {
    goto cleanup;
  }
  carm_seg_vesselness_opts vo = CARM_SEG_VESSELNESS_OPTS_INIT;
  /* scales from min/√2 to max/√2, geometric, at most 6 */
  double s0 = opts->min_radius_mm / sqrt(2.0);
  double s1 = opts->max_radius_mm / sqrt(2.0);
  int ns = s1 > s0 ? (int)ceil(log(s1 / s0) / log(1.6)) + 1 : 1;
  ns = ns > 6 ? 6 : ns;
  vo.n_sigmas = ns;
  for (int k = 0; k < ns; k++) {
    vo.sigmas_mm[k] = ns > 1 ? s0 * pow(s1 / s0, (double)k / (double)(ns - 1)) : s0;
  }
  vo.progress = opts->progress;
  if ((st = carm_seg_vesselness(vness, NULL, vol, &vo)) != CARM_OK) {
    goto cleanup;
  }
  const float vs = (float)opts->seed_vesselness;
  int64_t n = carm_volume_count(vol);
  if (!isfinite(opts->threshold)) {
    /* Otsu splits tissue from everything bright (contrast and bone) well
     * above the vessel boundary; the boundary of a vessel sits half-way
     * between the tissue around it and its lumen: refine the threshold to
     * the mean of the background class (above t_low) and the median of the
     * tubular seeds, the half-maximum. */
    double sum_bg = 0.0;
    int64_t n_bg = 0;
    int64_t n_seed = 0;
    for (int64_t i = 0; i < n; i++) {
      float v = vol->data[i];
      if (v < t0 && v > t_low) {
        sum_bg += v;
        n_bg++;
      } else if (v >= t0 && vness->data[i] >= vs) {
        work->data[n_seed++] = v;
      }
    }
    if (inf.dsa_like) {
      sum_bg = median * (double)n_bg;
    }
    if (n_bg > 0 && n_seed > 0) {
      /* median of the seeds (work holds them; it is rewritten below) */
      int64_t half = n_seed / 2;
      float *a = work->data;
      float seed_median = select_kth(a, n_seed, half);
      double bg = sum_bg / (double)n_bg;
      double refined = 0.5 * (bg + (double)seed_median);
      /* never into the noise: at least 2.5 σ above the background */
      refined = fmax(refined, bg + 2.5 * sigma);
      if (refined < inf.threshold || inf.dsa_like) {
        inf.threshold = refined;
      }
    }
  }
  /* 2 = seed (bright and tubular), 1 = bright, 0 = background */
  const float t = (float)inf.threshold;
  const float ts = (float)fmax(t0, inf.threshold);
  for (int64_t i = 0; i < n; i++) {
    float v = vol->data[i];
    work->data[i] = v >= t ? (v >= ts && vness->data[i] >= vs ? 2.0f : 1.0f) : 0.0f;
  }
  if ((st = carm_seg_hysteresis(mask, work, 1.0, 2.0, 26)) != CARM_OK) {
    goto cleanup;
  }
  carm_progress_report(&opts->progress, 0.6, "components");
  /* keep the component of the root, or the largest ones */
  if ((st = carm_volume_create_like(&labels, vol)) != CARM_OK ||
      (st = keep_components(mask, labels, opts, inf.threshold)) != CARM_OK) {
    goto cleanup;
  }
  if (!opts->global_threshold) {
    carm_progress_report(&opts->progress, 0.65, "local half maximum");
    /* vness, work and labels are scratch from here on */
    if ((st = local_half_max(mask, vol, vness, work, labels, opts, sigma)) != CARM_OK) {
      goto cleanup;
    }
  }
  inf.mask_voxels = 0;
  for (int64_t i = 0; i < n; i++) {
    inf.mask_voxels += mask->data[i] > 0.5f;
  }
  inf.mask_ml =
      (double)inf.mask_voxels * vol->spacing[0] * vol->spacing[1] * vol->spacing[2] / 1000.0;
  carm_progress_report(&opts->progress, 0.7, "centrelines");
  if (tree_out != NULL) {
    carm_seg_tree_opts to = CARM_SEG_TREE_OPTS_INIT;
    to.has_root = opts->has_root;
    memcpy(to.root_mm, opts->root_mm, sizeof to.root_mm);
    to.min_spur_mm = opts->min_spur_mm;
    if ((st = carm_seg_tree_build(&tree, mask, &to, &opts->progress)) != CARM_OK ||
        (st = carm_seg_tree_refine_bifurcations(tree, NULL)) != CARM_OK) {
      goto cleanup;
    }
  }
  carm_progress_report(&opts->progress, 1.0, "done");
  *mask_out = mask;
  mask = NULL;
  if (tree_out != NULL) {
    *tree_out = tree;
    tree = NULL;
  }
  if (info != NULL) {
    *info = inf;
  }
  st = CARM_OK;
cleanup:
  if (vol != NULL && vol != input) {
    carm_volume_destroy((carm_volume *)vol);
  }
  carm_seg_tree_destroy(tree);
  carm_volume_destroy(labels);
  carm_volume_destroy(mask);
  carm_volume_destroy(work);
  carm_volume_destroy(vness);
  return st;
}
