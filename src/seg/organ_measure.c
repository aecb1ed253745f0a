/* Lesion measurements: volume, centroid, longest axial diameters (RECIST
 * 1.1 on the whole lesion, mRECIST on its enhancing part). */
#include "seg/organ_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct pt2 {
  double x, y;
} pt2;

typedef struct pts {
  pt2 *p;
  int64_t n, cap;
} pts;

static int pts_push(pts *s, double x, double y) {
  if (s->n == s->cap) {
    int64_t cap = s->cap > 0 ? 2 * s->cap : 256;
    pt2 *p = realloc(s->p, (size_t)cap * sizeof *p);
    if (p == NULL) {
      return -1;
    }
    s->p = p;
    s->cap = cap;
  }
  s->p[s->n].x = x;
  s->p[s->n].y = y;
  s->n++;
  return 0;
}

static int cmp_pt(const void *a, const void *b) {
  const pt2 *p = a;
  const pt2 *q = b;
  if (p->x != q->x) {
    return p->x < q->x ? -1 : 1;
  }
  return (p->y > q->y) - (p->y < q->y);
}

static double cross(pt2 o, pt2 a, pt2 b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/* Largest distance between two of the points (convex hull, then all hull
 * pairs). Reorders s->p; uses `hull` (capacity 2 n) as scratch. */
static double diameter(pts *s, pt2 *hull) {
  int64_t n = s->n;
  if (n < 2) {
    return 0.0;
  }
  qsort(s->p, (size_t)n, sizeof(pt2), cmp_pt);
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], s->p[i]) <= 0.0) {
      k--;
    }
    hull[k++] = s->p[i];
  }
  for (int64_t i = n - 2, t = k + 1; i >= 0; i--) {
    while (k >= t && cross(hull[k - 2], hull[k - 1], s->p[i]) <= 0.0) {
      k--;
    }
    hull[k++] = s->p[i];
  }
  double best = 0.0;
  for (int64_t i = 0; i < k; i++) {
    for (int64_t j = i + 1; j < k; j++) {
      double dx = hull[i].x - hull[j].x;
      double dy = hull[i].y - hull[j].y;
      double d = dx * dx + dy * dy;
      best = d > best ? d : best;
    }
  }
  return sqrt(best);
}

/* Whether voxel (i, j, k) belongs: label matches and, when `enh` is given,
 * enh > thr. */
static int member(const carm_volume *lab, const carm_volume *enh, float label, float thr, int64_t i,
                  int64_t j, int64_t k) {
  if (i < 0 || j < 0 || k < 0 || i >= lab->dims[0] || j >= lab->dims[1] || k >= lab->dims[2]) {
    return 0;
  }
  if (carm_volume_at(lab, i, j, k) != label) {
    return 0;
  }
  return enh == NULL || carm_volume_at(enh, i, j, k) > thr;
}

/* Whether the straight segment between boundary points a and b (mm in the
 * slice, u/v spacing su/sv) stays inside the member set, sampled every
 * quarter pixel (the half pixel next to each end point is skipped: the end
 * points lie on pixel edges). */
static int chord_inside(pt2 a, pt2 b, const carm_volume *lab, const carm_volume *enh, float label,
                        float thr, int ax, int u, int v, int64_t w, double su, double sv) {
  double au = a.x / su;
  double av = a.y / sv;
  double bu = b.x / su;
  double bv = b.y / sv;
  double len = sqrt((bu - au) * (bu - au) + (bv - av) * (bv - av));
  if (len <= 1.0) {
    return 1;
  }
  int64_t steps = (int64_t)ceil(len * 4.0);
  for (int64_t s = 1; s < steps; s++) {
    double t = (double)s / (double)steps;
    if (t * len < 0.5 || (1.0 - t) * len < 0.5) {
      continue;
    }
    int64_t p[3];
    p[ax] = w;
    p[u] = (int64_t)floor(au + t * (bu - au) + 0.5);
    p[v] = (int64_t)floor(av + t * (bv - av) + 0.5);
    if (!member(lab, enh, label, thr, p[0], p[1], p[2])) {
      return 0;
    }
  }
  return 1;
}

typedef struct pair {
  double d2;
  int32_t i, j;
} pair;

static int cmp_pair(const void *x, const void *y) {
  const pair *a = x;
  const pair *b = y;
  return (a->d2 < b->d2) - (a->d2 > b->d2);
}

/* Longest chord between two boundary points that stays inside the set,
 * longer than `floor_mm` (0 when none). */
static carm_status longest_inner_chord(double *out, const pts *s, double floor_mm,
                                       const carm_volume *lab, const carm_volume *enh, float label,
                                       float thr, int ax, int u, int v, int64_t w, double su,
                                       double sv) {
  *out = 0.0;
  int64_t n = s->n;
  int64_t stride = 1;
  while (n / stride > 3000) {
    stride++;
  }
  int64_t m = (n + stride - 1) / stride;
  double f2 = floor_mm * floor_mm;
  int64_t np = 0;
  for (int64_t i = 0; i < n; i += stride) {
    for (int64_t j = i + stride; j < n; j += stride) {
      double dx = s->p[i].x - s->p[j].x;
      double dy = s->p[i].y - s->p[j].y;
      np += dx * dx + dy * dy > f2;
    }
  }
  if (np == 0) {
    return CARM_OK;
  }
  pair *pp = malloc((size_t)np * sizeof *pp);
  if (pp == NULL) {
    return carm_error(CARM_ERR_NOMEM, "measure: out of memory for %lld point pairs", (long long)np);
  }
  (void)m;
  np = 0;
  for (int64_t i = 0; i < n; i += stride) {
    for (int64_t j = i + stride; j < n; j += stride) {
      double dx = s->p[i].x - s->p[j].x;
      double dy = s->p[i].y - s->p[j].y;
      double d2 = dx * dx + dy * dy;
      if (d2 > f2) {
        pp[np].d2 = d2;
        pp[np].i = (int32_t)i;
        pp[np].j = (int32_t)j;
        np++;
      }
    }
  }
  qsort(pp, (size_t)np, sizeof *pp, cmp_pair);
  for (int64_t k = 0; k < np; k++) {
    if (chord_inside(s->p[pp[k].i], s->p[pp[k].j], lab, enh, label, thr, ax, u, v, w, su, sv)) {
      *out = sqrt(pp[k].d2);
      break;
    }
  }
  free(pp);
  return CARM_OK;
}

/* Longest axial diameter of a label (or its enhancing part) within box;
 * slice coordinate of the best slice (index along `ax`) in *best_slice. */
static carm_status axial_diameter(double *out, int64_t *best_slice, const carm_volume *lab,
                                  const carm_volume *enh, float label, float thr, int ax,
                                  const int64_t lo[3], const int64_t hi[3]) {
  int u = ax == 0 ? 1 : 0;
  int v = ax == 2 ? 1 : 2;
  pts s = {NULL, 0, 0};
  pt2 *hull = NULL;
  int64_t hull_cap = 0;
  double best = 0.0;
  *best_slice = lo[ax];
  const double su = lab->spacing[u];
  const double sv = lab->spacing[v];
  for (int64_t w = lo[ax]; w <= hi[ax]; w++) {
    s.n = 0;
    for (int64_t b = lo[v]; b <= hi[v]; b++) {
      for (int64_t a = lo[u]; a <= hi[u]; a++) {
        int64_t p[3];
        p[ax] = w;
        p[u] = a;
        p[v] = b;
        if (!member(lab, enh, label, thr, p[0], p[1], p[2])) {
          continue;
        }
        static const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        for (int t = 0; t < 4; t++) {
          int64_t q[3] = {p[0], p[1], p[2]};
          q[u] += nb[t][0];
          q[v] += nb[t][1];
          if (!member(lab, enh, label, thr, q[0], q[1], q[2])) {
            if (pts_push(&s, ((double)a + 0.5 * nb[t][0]) * su,
                         ((double)b + 0.5 * nb[t][1]) * sv) != 0) {
              free(s.p);
              free(hull);
              return carm_error(CARM_ERR_NOMEM, "measure: out of memory");
            }
          }
        }
      }
    }
    if (s.n < 2) {
      continue;
    }
    double d = 0.0;
    if (enh != NULL) {
      carm_status st = longest_inner_chord(&d, &s, best, lab, enh, label, thr, ax, u, v, w, su, sv);
      if (st != CARM_OK) {
        free(s.p);
        free(hull);
        return st;
      }
    } else {
      if (hull_cap < 2 * s.n + 2) {
        free(hull);
        hull_cap = 2 * s.n + 2;
        hull = malloc((size_t)hull_cap * sizeof *hull);
        if (hull == NULL) {
          free(s.p);
          return carm_error(CARM_ERR_NOMEM, "measure: out of memory");
        }
      }
      d = diameter(&s, hull);
    }
    if (d > best) {
      best = d;
      *best_slice = w;
    }
  }
  free(s.p);
  free(hull);
  *out = best;
  return CARM_OK;
}

carm_status carm_organ_measure(carm_organ_lesion *out, int64_t n_labels, const carm_volume *labels,
                               const carm_volume *arterial, double enhancing_threshold_hu,
                               const carm_organ_tumour_opts *opts) {
  carm_organ_tumour_opts o = CARM_ORGAN_TUMOUR_OPTS_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  if (out == NULL || labels == NULL || labels->data == NULL || n_labels < 0 ||
      n_labels > (1 << 24)) {
    return carm_error(CARM_ERR_INVALID, "measure: NULL argument or bad label count");
  }
  carm_status st = carm_volume_check_grid(labels);
  if (st == CARM_OK) {
    st = organ_check_rotation(o.lps_from_physical);
  }
  if (st != CARM_OK) {
    return st;
  }
  if (arterial != NULL) {
    for (int a = 0; a < 3; a++) {
      if (arterial->dims[a] != labels->dims[a]) {
        return carm_error(CARM_ERR_INVALID, "measure: the volumes' dims differ");
      }
    }
    if (!isfinite(enhancing_threshold_hu)) {
      return carm_error(CARM_ERR_INVALID, "measure: the enhancing threshold must be finite");
    }
  }
  if (n_labels == 0) {
    return CARM_OK;
  }
  carm_volume *hu = NULL;
  carm_volume *sm = NULL;
  int64_t(*box)[6] = calloc((size_t)n_labels, sizeof *box);
  double(*sum)[4] = calloc((size_t)n_labels, sizeof *sum); /* x, y, z, hu */
  int64_t *cnt = calloc((size_t)n_labels, sizeof *cnt);
  int64_t *cnt_enh = calloc((size_t)n_labels, sizeof *cnt_enh);
  if (box == NULL || sum == NULL || cnt == NULL || cnt_enh == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "measure: out of memory");
    goto cleanup;
  }
  if (arterial != NULL) {
    st = organ_to_hu(&hu, arterial, o.units, o.mu_water_per_mm);
    if (st == CARM_OK) {
      st = carm_volume_create_like(&sm, arterial);
    }
    if (st == CARM_OK) {
      double s3[3] = {o.smooth_sigma_mm, o.smooth_sigma_mm, o.smooth_sigma_mm};
      st = carm_seg_gaussian(sm, hu, s3);
    }
    if (st != CARM_OK) {
      goto cleanup;
    }
  }
  for (int64_t l = 0; l < n_labels; l++) {
    box[l][0] = box[l][1] = box[l][2] = INT64_MAX;
    box[l][3] = box[l][4] = box[l][5] = -1;
  }
  const int64_t *d = labels->dims;
  for (int64_t k = 0; k < d[2]; k++) {
    for (int64_t j = 0; j < d[1]; j++) {
      for (int64_t i = 0; i < d[0]; i++) {
        float f = carm_volume_at(labels, i, j, k);
        int64_t l = (int64_t)lroundf(f);
        if (l < 1 || l > n_labels || fabsf(f - (float)l) > 1e-3f) {
          continue;
        }
        l--;
        int64_t p[3] = {i, j, k};
        for (int a = 0; a < 3; a++) {
          box[l][a] = p[a] < box[l][a] ? p[a] : box[l][a];
          box[l][3 + a] = p[a] > box[l][3 + a] ? p[a] : box[l][3 + a];
        }
        double ijk[3] = {(double)i, (double)j, (double)k};
        double x[3];
        carm_volume_index_to_point(labels, ijk, x);
        sum[l][0] += x[0];
        sum[l][1] += x[1];
        sum[l][2] += x[2];
        if (sm != NULL) {
          float h = carm_volume_at(sm, i, j, k);
          sum[l][3] += h;
          cnt_enh[l] += h > (float)enhancing_threshold_hu;
        }
        cnt[l]++;
      }
    }
  }
  const int ax = organ_axial_axis(labels, o.lps_from_physical);
  const double vox_ml = labels->spacing[0] * labels->spacing[1] * labels->spacing[2] / 1000.0;
  for (int64_t l = 0; l < n_labels; l++) {
    carm_organ_lesion r;
    memset(&r, 0, sizeof r);
    r.label = l + 1;
    r.n_voxels = cnt[l];
    r.volume_ml = (double)cnt[l] * vox_ml;
    r.mrecist_mm = NAN;
    r.enhancing_fraction = NAN;
    r.mean_hu = NAN;
    if (cnt[l] == 0) {
      for (int a = 0; a < 3; a++) {
        r.centroid_mm[a] = NAN;
        r.centroid_lps_mm[a] = NAN;
      }
      r.recist_slice_mm = NAN;
      out[l] = r;
      continue;
    }
    for (int a = 0; a < 3; a++) {
      r.centroid_mm[a] = sum[l][a] / (double)cnt[l];
    }
    organ_to_lps(o.lps_from_physical, r.centroid_mm, r.centroid_lps_mm);
    int64_t lo[3] = {box[l][0], box[l][1], box[l][2]};
    int64_t hi[3] = {box[l][3], box[l][4], box[l][5]};
    int64_t slice = 0;
    st = axial_diameter(&r.recist_mm, &slice, labels, NULL, (float)(l + 1), 0.0f, ax, lo, hi);
    if (st != CARM_OK) {
      goto cleanup;
    }
    double ijk[3] = {(double)lo[0], (double)lo[1], (double)lo[2]};
    ijk[ax] = (double)slice;
    double x[3];
    double q[3];
    carm_volume_index_to_point(labels, ijk, x);
    organ_to_lps(o.lps_from_physical, x, q);
    r.recist_slice_mm = q[2];
    if (sm != NULL) {
      int64_t s2 = 0;
      st = axial_diameter(&r.mrecist_mm, &s2, labels, sm, (float)(l + 1),
                          (float)enhancing_threshold_hu, ax, lo, hi);
      if (st != CARM_OK) {
        goto cleanup;
      }
      r.enhancing_fraction = (double)cnt_enh[l] / (double)cnt[l];
      r.mean_hu = sum[l][3] / (double)cnt[l];
    }
    out[l] = r;
  }
cleanup:
  free(box);
  free(sum);
  free(cnt);
  free(cnt_enh);
  carm_volume_destroy(hu);
  carm_volume_destroy(sm);
  return st;
}
