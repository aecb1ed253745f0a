/* Otsu's threshold (N. Otsu, IEEE Trans. SMC 9(1), 1979). */
#include "seg/seg_internal.h"

#include <math.h>
#include <stdlib.h>

carm_status carm_seg_otsu(double *threshold, const carm_volume *in, const carm_volume *mask,
                          int n_bins) {
  carm_status st = seg_check_volume(in, "otsu");
  if (st != CARM_OK) {
    return st;
  }
  if (threshold == NULL) {
    return carm_error(CARM_ERR_INVALID, "otsu: threshold is NULL");
  }
  if (mask != NULL) {
    st = seg_check_pair(mask, in, "otsu mask");
    if (st != CARM_OK) {
      return st;
    }
  }
  if (n_bins < 2 || n_bins > 65536) {
    return carm_error(CARM_ERR_INVALID, "otsu: %d bins (allowed 2..65536)", n_bins);
  }
  int64_t n = carm_volume_count(in);
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t idx = 0; idx < n; idx++) {
    double v = in->data[idx];
    if (isfinite(v) && (mask == NULL || seg_fg(mask->data[idx]))) {
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
  }
  if (!(lo <= hi)) {
    return carm_error(CARM_ERR_INVALID, "otsu: no finite values to threshold");
  }
  if (lo == hi) {
    *threshold = lo;
    return CARM_OK;
  }
  double *hist = calloc((size_t)n_bins, sizeof *hist);
  if (hist == NULL) {
    return carm_error(CARM_ERR_NOMEM, "otsu: cannot allocate %d bins", n_bins);
  }
  double width = (hi - lo) / n_bins;
  for (int64_t idx = 0; idx < n; idx++) {
    double v = in->data[idx];
    if (isfinite(v) && (mask == NULL || seg_fg(mask->data[idx]))) {
      int b = (int)((v - lo) / width);
      b = b < 0 ? 0 : (b >= n_bins ? n_bins - 1 : b);
      hist[b] += 1.0;
    }
  }
  double total = 0.0, sum_all = 0.0;
  for (int b = 0; b < n_bins; b++) {
    double centre = lo + (b + 0.5) * width;
    total += hist[b];
    sum_all += hist[b] * centre;
  }
  /* maximise w0 w1 (mu0 - mu1)^2 over the split after bin b; ties: the
   * middle of the plateau, so that a gap between two modes is split in
   * its centre */
  double best = -1.0, w0 = 0.0, sum0 = 0.0;
  int best_first = 0, best_last = 0;
  for (int b = 0; b < n_bins - 1; b++) {
    double centre = lo + (b + 0.5) * width;
    w0 += hist[b];
    sum0 += hist[b] * centre;
    double w1 = total - w0;
    if (w0 <= 0.0 || w1 <= 0.0) {
      continue;
    }
    double mu0 = sum0 / w0, mu1 = (sum_all - sum0) / w1;
    double between = w0 * w1 * (mu0 - mu1) * (mu0 - mu1);
    if (between > best * (1.0 + 1e-12)) {
      best = between;
      best_first = best_last = b;
    } else if (between >= best * (1.0 - 1e-12)) {
      best_last = b;
    }
  }
  free(hist);
  /* the threshold is the upper edge of the last bin of the lower class */
  double split = 0.5 * (best_first + best_last) + 1.0;
  *threshold = lo + split * width;
  return CARM_OK;
}
