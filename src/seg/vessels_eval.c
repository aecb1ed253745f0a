/* Accuracy of a vessel mask and centreline tree against a truth tree of
 * capsule chains (vessels.h, carm_vessels_evaluate; docs/segmentation.md). */
#include "carm/vessels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One capsule of a truth or detected centreline: a..b, radius ra..rb. */
typedef struct piece {
  double a[3], b[3];
  double ra, rb;
  int64_t seg;
  int big;
} piece;

typedef struct pieces {
  piece *p;
  int64_t n;
} pieces;

/* Distance from x to the axis of the piece, and the parameter t of the
 * nearest axis point. */
static double piece_axis_dist(const piece *q, const double x[3], double *t_out) {
  double ab[3], ax[3];
  double l2 = 0.0, dot = 0.0;
  for (int c = 0; c < 3; c++) {
    ab[c] = q->b[c] - q->a[c];
    ax[c] = x[c] - q->a[c];
    l2 += ab[c] * ab[c];
    dot += ax[c] * ab[c];
  }
  double t = l2 > 0.0 ? dot / l2 : 0.0;
  t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
  double d2 = 0.0;
  for (int c = 0; c < 3; c++) {
    double d = ax[c] - t * ab[c];
    d2 += d * d;
  }
  *t_out = t;
  return sqrt(d2);
}

static double seg_mean_radius(const carm_seg_segment *s) {
  double sum = 0.0;
  for (int64_t i = 0; i < s->n_points; i++) {
    sum += s->radius_mm[i];
  }
  return s->n_points > 0 ? sum / (double)s->n_points : 0.0;
}

static carm_status make_pieces(pieces *out, const carm_seg_tree *tree, const double *seg_r,
                               double min_radius_mm) {
  int64_t n = 0;
  for (int64_t s = 0; s < tree->n_segments; s++) {
    n += tree->segments[s].n_points > 1 ? tree->segments[s].n_points - 1 : 1;
  }
  out->p = calloc((size_t)(n > 0 ? n : 1), sizeof *out->p);
  if (out->p == NULL) {
    return carm_error(CARM_ERR_NOMEM, "vessel evaluation: out of memory");
  }
  out->n = 0;
  for (int64_t s = 0; s < tree->n_segments; s++) {
    const carm_seg_segment *g = &tree->segments[s];
    int big = seg_r != NULL ? seg_r[s] >= min_radius_mm : 0;
    for (int64_t i = 0; i < (g->n_points > 1 ? g->n_points - 1 : g->n_points); i++) {
      int64_t j = g->n_points > 1 ? i + 1 : i;
      piece *q = &out->p[out->n++];
      memcpy(q->a, g->points_mm[i], sizeof q->a);
      memcpy(q->b, g->points_mm[j], sizeof q->b);
      q->ra = g->radius_mm[i];
      q->rb = g->radius_mm[j];
      q->seg = s;
      q->big = big;
    }
  }
  return CARM_OK;
}

/* Nearest piece to x by axis distance: returns the distance, the piece and
 * the interpolated radius there. */
static double nearest_axis(const pieces *ps, const double x[3], int64_t *which, double *r) {
  double best = INFINITY;
  *which = -1;
  *r = 0.0;
  for (int64_t i = 0; i < ps->n; i++) {
    double t = 0.0;
    double d = piece_axis_dist(&ps->p[i], x, &t);
    if (d < best) {
      best = d;
      *which = i;
      *r = ps->p[i].ra + t * (ps->p[i].rb - ps->p[i].ra);
    }
  }
  return best;
}

/* Signed distance of x to the wall of the nearest big (sd_big) and small
 * (sd_small) truth capsule (negative inside). */
static void wall_dists(const pieces *ps, const double x[3], double *sd_big, double *sd_small) {
  *sd_big = INFINITY;
  *sd_small = INFINITY;
  for (int64_t i = 0; i < ps->n; i++) {
    double t = 0.0;
    double d = piece_axis_dist(&ps->p[i], x, &t);
    d -= ps->p[i].ra + t * (ps->p[i].rb - ps->p[i].ra);
    double *dst = ps->p[i].big ? sd_big : sd_small;
    if (d < *dst) {
      *dst = d;
    }
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- masks ---------------------------------------------------------------- */

/* Index bounds (inclusive, clipped) of the world box lo..hi on the grid. */
static int index_box(const carm_volume *v, const double lo[3], const double hi[3], int64_t i0[3],
                     int64_t i1[3]) {
  double mn[3] = {INFINITY, INFINITY, INFINITY};
  double mx[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int c = 0; c < 8; c++) {
    double x[3] = {c & 1 ? hi[0] : lo[0], c & 2 ? hi[1] : lo[1], c & 4 ? hi[2] : lo[2]};
    double ijk[3];
    carm_volume_point_to_index(v, x, ijk);
    for (int a = 0; a < 3; a++) {
      mn[a] = fmin(mn[a], ijk[a]);
      mx[a] = fmax(mx[a], ijk[a]);
    }
  }
  for (int a = 0; a < 3; a++) {
    double l = ceil(mn[a]);
    double h = floor(mx[a]);
    l = l < 0.0 ? 0.0 : l;
    h = h > (double)(v->dims[a] - 1) ? (double)(v->dims[a] - 1) : h;
    if (!(l <= h)) {
      return 0;
    }
    i0[a] = (int64_t)l;
    i1[a] = (int64_t)h;
  }
  return 1;
}

static void piece_box(const piece *q, double pad, double lo[3], double hi[3]) {
  double r = fmax(q->ra, q->rb) + pad;
  for (int c = 0; c < 3; c++) {
    lo[c] = fmin(q->a[c], q->b[c]) - r;
    hi[c] = fmax(q->a[c], q->b[c]) + r;
  }
}

static carm_status eval_masks(carm_vessels_eval *e, const pieces *truth, const carm_volume *mask,
                              double margin) {
  const int64_t n = carm_volume_count(mask);
  e->mask_voxels = 0;
  for (int64_t i = 0; i < n; i++) {
    e->mask_voxels += mask->data[i] > 0.5f;
  }
  /* box of the truth (plus margin) on the grid */
  double lo[3] = {INFINITY, INFINITY, INFINITY};
  double hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int64_t k = 0; k < truth->n; k++) {
    double l[3], h[3];
    piece_box(&truth->p[k], margin + 1.0, l, h);
    for (int c = 0; c < 3; c++) {
      lo[c] = fmin(lo[c], l[c]);
      hi[c] = fmax(hi[c], h[c]);
    }
  }
  int64_t b0[3], b1[3];
  int64_t inter_all = 0, inter_big = 0, s_dom = 0;
  e->truth_voxels = e->truth_big_voxels = e->domain_voxels = 0;
  if (index_box(mask, lo, hi, b0, b1)) {
    const int64_t bx = b1[0] - b0[0] + 1, by = b1[1] - b0[1] + 1, bz = b1[2] - b0[2] + 1;
    const int64_t nb = bx * by * bz;
    float *sdb = malloc((size_t)nb * sizeof *sdb);
    float *sds = malloc((size_t)nb * sizeof *sds);
    if (sdb == NULL || sds == NULL) {
      free(sdb);
      free(sds);
      return carm_error(CARM_ERR_NOMEM, "vessel evaluation: out of memory");
    }
    for (int64_t i = 0; i < nb; i++) {
      sdb[i] = sds[i] = INFINITY;
    }
    for (int64_t k = 0; k < truth->n; k++) {
      const piece *q = &truth->p[k];
      double l[3], h[3];
      int64_t i0[3], i1[3];
      piece_box(q, margin + 1.0, l, h);
      if (!index_box(mask, l, h, i0, i1)) {
        continue;
      }
      float *dst = q->big ? sdb : sds;
      for (int64_t z = i0[2]; z <= i1[2]; z++) {
        for (int64_t y = i0[1]; y <= i1[1]; y++) {
          for (int64_t x = i0[0]; x <= i1[0]; x++) {
            double ijk[3] = {(double)x, (double)y, (double)z};
            double p[3];
            carm_volume_index_to_point(mask, ijk, p);
            double t = 0.0;
            double d = piece_axis_dist(q, p, &t) - (q->ra + t * (q->rb - q->ra));
            int64_t bi = ((z - b0[2]) * by + (y - b0[1])) * bx + (x - b0[0]);
            if (d < dst[bi]) {
              dst[bi] = (float)d;
            }
          }
        }
      }
    }
    for (int64_t z = 0; z < bz; z++) {
      for (int64_t y = 0; y < by; y++) {
        for (int64_t x = 0; x < bx; x++) {
          int64_t bi = (z * by + y) * bx + x;
          int64_t vi = ((z + b0[2]) * mask->dims[1] + (y + b0[1])) * mask->dims[0] + (x + b0[0]);
          int s = mask->data[vi] > 0.5f;
          int in_all = sdb[bi] <= 0.0f || sds[bi] <= 0.0f;
          int in_big = sdb[bi] <= 0.0f;
          int dom = in_big || (sdb[bi] <= (float)margin && sdb[bi] <= sds[bi]);
          e->truth_voxels += in_all;
          e->truth_big_voxels += in_big;
          e->domain_voxels += dom;
          inter_all += s && in_all;
          inter_big += s && in_big;
          s_dom += s && dom;
        }
      }
    }
    free(sdb);
    free(sds);
  }
  int64_t sa = e->mask_voxels + e->truth_voxels;
  e->dice = sa > 0 ? 2.0 * (double)inter_all / (double)sa : NAN;
  e->precision = e->mask_voxels > 0 ? (double)inter_all / (double)e->mask_voxels : NAN;
  e->recall = e->truth_voxels > 0 ? (double)inter_all / (double)e->truth_voxels : NAN;
  int64_t sb = s_dom + e->truth_big_voxels;
  e->dice_big = sb > 0 ? 2.0 * (double)inter_big / (double)sb : NAN;
  e->precision_big = s_dom > 0 ? (double)inter_big / (double)s_dom : NAN;
  e->recall_big = e->truth_big_voxels > 0 ? (double)inter_big / (double)e->truth_big_voxels : NAN;
  return CARM_OK;
}

/* ---- centrelines ------------------------------------------------------- */

static carm_status eval_centrelines(carm_vessels_eval *e, const pieces *truth,
                                    const carm_seg_tree *tree, const carm_seg_tree *ttree,
                                    const double *seg_r, double min_radius_mm) {
  int64_t np = 0;
  for (int64_t s = 0; s < tree->n_segments; s++) {
    np += tree->segments[s].n_points;
  }
  double *dist = malloc((size_t)(np > 0 ? np : 1) * sizeof *dist);
  double *rtrue = malloc((size_t)(np > 0 ? np : 1) * sizeof *rtrue);
  int64_t *near = malloc((size_t)(np > 0 ? np : 1) * sizeof *near);
  double *sel = malloc((size_t)(np > 0 ? np : 1) * sizeof *sel);
  pieces det = {NULL, 0};
  carm_status st = CARM_OK;
  if (dist == NULL || rtrue == NULL || near == NULL || sel == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "vessel evaluation: out of memory");
    goto done;
  }
  int64_t n_inside = 0, n_sel = 0;
  double re_sum = 0.0, re_abs = 0.0, re_sq = 0.0, re_rel = 0.0;
  e->n_segments_matched = 0;
  for (int64_t s = 0, base = 0; s < tree->n_segments; s++) {
    const carm_seg_segment *g = &tree->segments[s];
    int64_t in_big = 0;
    for (int64_t i = 0; i < g->n_points; i++) {
      int64_t w = -1;
      double r = 0.0;
      double d = nearest_axis(truth, g->points_mm[i], &w, &r);
      dist[base + i] = d;
      rtrue[base + i] = r;
      near[base + i] = w;
      n_inside += w >= 0 && d <= r;
      in_big += w >= 0 && truth->p[w].big && d <= r;
    }
    if (2 * in_big >= g->n_points && g->n_points > 0) {
      e->n_segments_matched++;
      for (int64_t i = 0; i < g->n_points; i++) {
        int64_t w = near[base + i];
        if (w < 0 || !truth->p[w].big) {
          continue;
        }
        sel[n_sel++] = dist[base + i];
        double err = g->radius_mm[i] - rtrue[base + i];
        re_sum += err;
        re_abs += fabs(err);
        re_sq += err * err;
        re_rel += rtrue[base + i] > 0.0 ? err / rtrue[base + i] : 0.0;
      }
    }
    base += g->n_points;
  }
  e->n_points = n_sel;
  e->inside_fraction = np > 0 ? (double)n_inside / (double)np : NAN;
  if (n_sel > 0) {
    double sum = 0.0;
    for (int64_t i = 0; i < n_sel; i++) {
      sum += sel[i];
    }
    qsort(sel, (size_t)n_sel, sizeof *sel, cmp_double);
    e->centreline_mean_mm = sum / (double)n_sel;
    e->centreline_median_mm = sel[n_sel / 2];
    e->centreline_p95_mm = sel[(int64_t)(0.95 * (double)(n_sel - 1))];
    e->centreline_max_mm = sel[n_sel - 1];
    e->radius_error_mean_mm = re_sum / (double)n_sel;
    e->radius_error_abs_mm = re_abs / (double)n_sel;
    e->radius_error_rms_mm = sqrt(re_sq / (double)n_sel);
    e->radius_error_rel = re_rel / (double)n_sel;
  }
  /* coverage: the big truth centrelines, sampled every 0.25 mm, against the
   * detected polylines */
  if ((st = make_pieces(&det, tree, NULL, 0.0)) != CARM_OK) {
    goto done;
  }
  double len_all = 0.0, len_found = 0.0;
  for (int64_t s = 0; s < ttree->n_segments; s++) {
    if (!(seg_r[s] >= min_radius_mm)) {
      continue;
    }
    const carm_seg_segment *g = &ttree->segments[s];
    for (int64_t i = 0; i + 1 < g->n_points; i++) {
      const double *a = g->points_mm[i], *b = g->points_mm[i + 1];
      double l = sqrt((b[0] - a[0]) * (b[0] - a[0]) + (b[1] - a[1]) * (b[1] - a[1]) +
                      (b[2] - a[2]) * (b[2] - a[2]));
      int64_t m = (int64_t)ceil(l / 0.25);
      m = m < 1 ? 1 : m;
      for (int64_t k = 0; k < m; k++) {
        double t = ((double)k + 0.5) / (double)m;
        double x[3] = {a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]),
                       a[2] + t * (b[2] - a[2])};
        double r = g->radius_mm[i] + t * (g->radius_mm[i + 1] - g->radius_mm[i]);
        int64_t w = -1;
        double rd = 0.0;
        double d = det.n > 0 ? nearest_axis(&det, x, &w, &rd) : INFINITY;
        len_all += l / (double)m;
        len_found += d <= fmax(r, 1.0) ? l / (double)m : 0.0;
      }
    }
  }
  e->coverage_big = len_all > 0.0 ? len_found / len_all : NAN;
done:
  free(det.p);
  free(dist);
  free(rtrue);
  free(near);
  free(sel);
  return st;
}

/* ---- bifurcations ------------------------------------------------------ */

typedef struct node {
  double x[3];
  int64_t degree;
  double r_min, r_max; /* over the segments meeting here (mean radii) */
  int64_t used;        /* matches taken (detected) */
  int matched;         /* truth */
} node;

/* Nodes of a tree: segment ends that coincide (within 1e-3 mm). */
static carm_status tree_nodes(node **out, int64_t *n_out, const carm_seg_tree *t,
                              const double *seg_r) {
  node *nd = calloc((size_t)(2 * t->n_segments + 1), sizeof *nd);
  if (nd == NULL) {
    return carm_error(CARM_ERR_NOMEM, "vessel evaluation: out of memory");
  }
  int64_t n = 0;
  for (int64_t s = 0; s < t->n_segments; s++) {
    const carm_seg_segment *g = &t->segments[s];
    if (g->n_points < 1) {
      continue;
    }
    for (int end = 0; end < 2; end++) {
      const double *p = g->points_mm[end ? g->n_points - 1 : 0];
      int64_t k = 0;
      for (; k < n; k++) {
        double d2 = 0.0;
        for (int c = 0; c < 3; c++) {
          d2 += (nd[k].x[c] - p[c]) * (nd[k].x[c] - p[c]);
        }
        if (d2 < 1e-6) {
          break;
        }
      }
      if (k == n) {
        memcpy(nd[n].x, p, sizeof nd[n].x);
        nd[n].r_min = INFINITY;
        nd[n].r_max = 0.0;
        n++;
      }
      nd[k].degree++;
      nd[k].r_min = fmin(nd[k].r_min, seg_r[s]);
      nd[k].r_max = fmax(nd[k].r_max, seg_r[s]);
    }
  }
  *out = nd;
  *n_out = n;
  return CARM_OK;
}

typedef struct pair {
  double d;
  int64_t t, k;
} pair;

static int cmp_pair(const void *a, const void *b) {
  const pair *x = a, *y = b;
  return (x->d > y->d) - (x->d < y->d);
}

static double dist3(const double a[3], const double b[3]) {
  return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
              (a[2] - b[2]) * (a[2] - b[2]));
}

static carm_status eval_bifurcations(carm_vessels_eval *e, const pieces *truth,
                                     const carm_seg_tree *ttree, const double *truth_r,
                                     const carm_seg_tree *tree, const carm_vessels_eval_opts *o) {
  node *tn = NULL, *dn = NULL;
  int64_t ntn = 0, ndn = 0;
  pair *pairs = NULL;
  double *det_r = calloc((size_t)(tree->n_segments + 1), sizeof *det_r);
  carm_status st = CARM_OK;
  if (det_r == NULL) {
    return carm_error(CARM_ERR_NOMEM, "vessel evaluation: out of memory");
  }
  for (int64_t s = 0; s < tree->n_segments; s++) {
    det_r[s] = seg_mean_radius(&tree->segments[s]);
  }
  if ((st = tree_nodes(&tn, &ntn, ttree, truth_r)) != CARM_OK ||
      (st = tree_nodes(&dn, &ndn, tree, det_r)) != CARM_OK) {
    goto done;
  }
  int64_t np = 0;
  e->n_bif_truth = 0;
  for (int64_t i = 0; i < ntn; i++) {
    int big = tn[i].degree >= 3 && tn[i].r_min >= o->min_radius_mm;
    e->n_bif_truth += big;
    for (int64_t k = 0; big && k < ndn; k++) {
      np += dn[k].degree >= 3 && dist3(tn[i].x, dn[k].x) <= fmax(o->bif_tol_mm, tn[i].r_max);
    }
  }
  pairs = malloc((size_t)(np + 1) * sizeof *pairs);
  if (pairs == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "vessel evaluation: out of memory");
    goto done;
  }
  np = 0;
  for (int64_t i = 0; i < ntn; i++) {
    if (!(tn[i].degree >= 3 && tn[i].r_min >= o->min_radius_mm)) {
      continue;
    }
    for (int64_t k = 0; k < ndn; k++) {
      double d = dist3(tn[i].x, dn[k].x);
      if (dn[k].degree >= 3 && d <= fmax(o->bif_tol_mm, tn[i].r_max)) {
        pairs[np++] = (pair){d, i, k};
      }
    }
  }
  qsort(pairs, (size_t)np, sizeof *pairs, cmp_pair);
  double sum = 0.0;
  e->n_bif_found = 0;
  for (int64_t p = 0; p < np; p++) {
    node *t = &tn[pairs[p].t], *d = &dn[pairs[p].k];
    if (t->matched || d->used >= d->degree - 2) {
      continue;
    }
    t->matched = 1;
    d->used++;
    e->n_bif_found++;
    sum += pairs[p].d;
  }
  e->bif_sensitivity = e->n_bif_truth > 0 ? (double)e->n_bif_found / (double)e->n_bif_truth : NAN;
  e->bif_error_mm = e->n_bif_found > 0 ? sum / (double)e->n_bif_found : NAN;
  e->n_bif_detected = e->n_bif_detected_true = 0;
  for (int64_t k = 0; k < ndn; k++) {
    if (dn[k].degree < 3) {
      continue;
    }
    double sdb = 0.0, sds = 0.0;
    wall_dists(truth, dn[k].x, &sdb, &sds);
    if (!(sdb <= 0.0 || (sdb <= o->margin_mm && sdb <= sds))) {
      continue;
    }
    e->n_bif_detected++;
    for (int64_t i = 0; i < ntn; i++) {
      if (tn[i].degree >= 3 && dist3(tn[i].x, dn[k].x) <= fmax(o->bif_tol_mm, tn[i].r_max)) {
        e->n_bif_detected_true++;
        break;
      }
    }
  }
  e->bif_precision =
      e->n_bif_detected > 0 ? (double)e->n_bif_detected_true / (double)e->n_bif_detected : NAN;
done:
  free(pairs);
  free(tn);
  free(dn);
  free(det_r);
  return st;
}

carm_status carm_vessels_evaluate(carm_vessels_eval *out, const carm_seg_tree *truth,
                                  const carm_volume *mask, const carm_seg_tree *tree,
                                  const carm_vessels_eval_opts *opts) {
  if (out == NULL || truth == NULL || opts == NULL || opts->version != 1) {
    return carm_error(CARM_ERR_INVALID, "vessel evaluation: missing truth, result or options");
  }
  if (!(opts->min_radius_mm >= 0.0) || !(opts->margin_mm >= 0.0) || !(opts->bif_tol_mm >= 0.0) ||
      !isfinite(opts->min_radius_mm + opts->margin_mm + opts->bif_tol_mm)) {
    return carm_error(CARM_ERR_INVALID,
                      "vessel evaluation: radius, margin and tolerance must be finite and >= 0");
  }
  carm_status st = CARM_OK;
  if (mask != NULL && (st = carm_volume_check_grid(mask)) != CARM_OK) {
    return st;
  }
  carm_vessels_eval e;
  memset(&e, 0, sizeof e);
  e.dice = e.precision = e.recall = e.dice_big = e.precision_big = e.recall_big = NAN;
  e.centreline_mean_mm = e.centreline_median_mm = e.centreline_p95_mm = e.centreline_max_mm = NAN;
  e.inside_fraction = e.coverage_big = NAN;
  e.radius_error_mean_mm = e.radius_error_abs_mm = e.radius_error_rms_mm = NAN;
  e.radius_error_rel = e.bif_sensitivity = e.bif_error_mm = e.bif_precision = NAN;
  double *seg_r = malloc((size_t)(truth->n_segments + 1) * sizeof *seg_r);
  pieces tp = {NULL, 0};
  if (seg_r == NULL) {
    return carm_error(CARM_ERR_NOMEM, "vessel evaluation: out of memory");
  }
  for (int64_t s = 0; s < truth->n_segments; s++) {
    seg_r[s] = seg_mean_radius(&truth->segments[s]);
  }
  if ((st = make_pieces(&tp, truth, seg_r, opts->min_radius_mm)) != CARM_OK) {
    goto done;
  }
  if (mask != NULL && (st = eval_masks(&e, &tp, mask, opts->margin_mm)) != CARM_OK) {
    goto done;
  }
  if (tree != NULL &&
      ((st = eval_centrelines(&e, &tp, tree, truth, seg_r, opts->min_radius_mm)) != CARM_OK ||
       (st = eval_bifurcations(&e, &tp, truth, seg_r, tree, opts)) != CARM_OK)) {
    goto done;
  }
  *out = e;
done:
  free(tp.p);
  free(seg_r);
  return st;
}
