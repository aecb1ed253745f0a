/* Tumour feeders from a catheter tip and the virtual injection territory
 * (docs/planning.md, "Tumour feeders"). */
#include "carm/guide.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Trilinear sample of `v` at a patient point (clamped to the grid). */
static double sample(const carm_volume *v, const double p[3]) {
  double ijk[3];
  carm_volume_point_to_index(v, p, ijk);
  int64_t i0[3];
  double f[3];
  for (int a = 0; a < 3; a++) {
    double x = ijk[a];
    double hi = (double)(v->dims[a] - 1);
    x = x < 0.0 ? 0.0 : (x > hi ? hi : x);
    i0[a] = (int64_t)floor(x);
    if (i0[a] >= v->dims[a] - 1) {
      i0[a] = v->dims[a] > 1 ? v->dims[a] - 2 : 0;
    }
    f[a] = v->dims[a] > 1 ? x - (double)i0[a] : 0.0;
  }
  double acc = 0.0;
  for (int c = 0; c < 8; c++) {
    int64_t q[3];
    double w = 1.0;
    for (int a = 0; a < 3; a++) {
      int bit = (c >> a) & 1;
      q[a] = i0[a] + bit;
      if (q[a] >= v->dims[a]) {
        q[a] = v->dims[a] - 1;
      }
      w *= bit ? f[a] : 1.0 - f[a];
    }
    if (w > 0.0) {
      acc += w * (double)carm_volume_at(v, q[0], q[1], q[2]);
    }
  }
  return acc;
}

/* Label of the voxel nearest to p, -1 outside. */
static int nearest_label(const carm_volume *v, const double p[3]) {
  double ijk[3];
  carm_volume_point_to_index(v, p, ijk);
  int64_t q[3];
  for (int a = 0; a < 3; a++) {
    q[a] = (int64_t)llround(ijk[a]);
    if (q[a] < 0 || q[a] >= v->dims[a]) {
      return -1;
    }
  }
  return (int)lroundf(carm_volume_at(v, q[0], q[1], q[2]));
}

static double dist3(const double a[3], const double b[3]) {
  double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
  return carm_vec3_norm(d);
}

void carm_feeders_destroy(carm_feeders *f) {
  if (f == NULL) {
    return;
  }
  for (int t = 0; t < f->n_tumours; t++) {
    for (int64_t k = 0; k < f->tumours[t].n_feeders; k++) {
      free(f->tumours[t].feeders[k].path);
    }
    free(f->tumours[t].feeders);
    free(f->tumours[t].passing);
  }
  free(f->tumours);
  free(f->downstream);
  free(f);
}

static int feeder_cmp(const void *pa, const void *pb) {
  const carm_feeder *a = pa, *b = pb;
  if (fabs(a->inside_mm - b->inside_mm) > 1e-9) {
    return a->inside_mm > b->inside_mm ? -1 : 1;
  }
  if (fabs(a->radius_mm - b->radius_mm) > 1e-9) {
    return a->radius_mm > b->radius_mm ? -1 : 1;
  }
  return a->path_mm < b->path_mm ? -1 : (a->path_mm > b->path_mm ? 1 : 0);
}

/* Tumour statistics: labels present, voxel counts and centroids. */
typedef struct tumour_stat {
  int label;
  int64_t count;
  double sum[3];
} tumour_stat;

static int collect_tumours(const carm_volume *labels, const carm_label_set *set, tumour_stat *st) {
  int n = 0;
  int index[256];
  for (int i = 0; i < 256; i++) {
    index[i] = -1;
  }
  for (int64_t k = 0; k < labels->dims[2]; k++) {
    for (int64_t j = 0; j < labels->dims[1]; j++) {
      for (int64_t i = 0; i < labels->dims[0]; i++) {
        long l = lroundf(carm_volume_at(labels, i, j, k));
        if (l <= 0 || l > 255 || !set->has[l]) {
          continue;
        }
        if (index[l] < 0) {
          index[l] = n;
          st[n].label = (int)l;
          st[n].count = 0;
          st[n].sum[0] = st[n].sum[1] = st[n].sum[2] = 0.0;
          n++;
        }
        double ijk[3] = {(double)i, (double)j, (double)k}, p[3];
        carm_volume_index_to_point(labels, ijk, p);
        tumour_stat *s = &st[index[l]];
        s->count++;
        for (int a = 0; a < 3; a++) {
          s->sum[a] += p[a];
        }
      }
    }
  }
  /* sort by label */
  for (int a = 1; a < n; a++) {
    for (int b = a; b > 0 && st[b - 1].label > st[b].label; b--) {
      tumour_stat tmp = st[b];
      st[b] = st[b - 1];
      st[b - 1] = tmp;
    }
  }
  return n;
}

carm_status carm_feeders_find(carm_feeders **out, const carm_seg_tree *tree, const double tip_mm[3],
                              const carm_volume *labels, const carm_label_set *tumour_labels,
                              const carm_feeders_opts *opts) {
  carm_feeders_opts o = CARM_FEEDERS_INIT;
  if (opts != NULL) {
    o = *opts;
  }
  if (out == NULL || tree == NULL || tip_mm == NULL || labels == NULL || tumour_labels == NULL) {
    return carm_error(CARM_ERR_INVALID, "feeders: NULL argument");
  }
  if (o.version != 1 || !(o.margin_mm >= 0.0 && o.margin_mm <= 50.0)) {
    return carm_error(CARM_ERR_INVALID, "feeders: version 1 and margin 0..50 mm");
  }
  if (tree->n_segments < 1) {
    return carm_error(CARM_ERR_INVALID, "feeders: empty tree");
  }
  const int64_t ns = tree->n_segments;
  carm_feeders *f = calloc(1, sizeof *f);
  tumour_stat *ts = malloc(256 * sizeof *ts);
  uint8_t *touch = NULL, *ends = NULL;
  carm_volume *mask = NULL, *dist = NULL;
  if (f == NULL || ts == NULL) {
    free(f);
    free(ts);
    return carm_error(CARM_ERR_NOMEM, "feeders: out of memory");
  }
  carm_status st = CARM_OK;
  /* the tip */
  double best = INFINITY;
  for (int64_t s = 0; s < ns; s++) {
    const carm_seg_segment *g = &tree->segments[s];
    for (int64_t i = 0; i < g->n_points; i++) {
      double d = dist3(g->points_mm[i], tip_mm);
      if (d < best) {
        best = d;
        f->tip_segment = s;
        f->tip_point = i;
      }
    }
  }
  f->tip_distance_mm = best;
  /* a tip at the end of a segment with children: start at the children */
  f->downstream = calloc((size_t)ns, 1);
  if (f->downstream == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "feeders: out of memory");
  } else {
    for (int64_t s = 0; s < ns; s++) {
      int64_t p = tree->segments[s].parent;
      f->downstream[s] = (uint8_t)(s == f->tip_segment || (p >= 0 && p < s && f->downstream[p]));
    }
  }
  int nt = st == CARM_OK ? collect_tumours(labels, tumour_labels, ts) : 0;
  f->n_tumours = nt;
  if (st == CARM_OK && nt > 0) {
    f->tumours = calloc((size_t)nt, sizeof *f->tumours);
    touch = calloc((size_t)ns * (size_t)nt, 1);
    double *inside = calloc((size_t)ns * (size_t)nt, sizeof *inside);
    double *mind = malloc((size_t)ns * (size_t)nt * sizeof *mind);
    uint8_t *enters = calloc((size_t)ns * (size_t)nt, 1);
    ends = calloc((size_t)ns * (size_t)nt, 1);
    if (f->tumours == NULL || touch == NULL || inside == NULL || mind == NULL || enters == NULL ||
        ends == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "feeders: out of memory");
    }
    if (st == CARM_OK) {
      st = carm_volume_create_like(&mask, labels);
    }
    if (st == CARM_OK) {
      st = carm_volume_create_like(&dist, labels);
    }
    double h = fmin(labels->spacing[0], fmin(labels->spacing[1], labels->spacing[2]));
    double voxel_ml = labels->spacing[0] * labels->spacing[1] * labels->spacing[2] / 1000.0;
    int64_t nv = carm_volume_count(labels);
    for (int t = 0; st == CARM_OK && t < nt; t++) {
      carm_tumour_feeders *tf = &f->tumours[t];
      tf->label = ts[t].label;
      tf->volume_ml = (double)ts[t].count * voxel_ml;
      for (int a = 0; a < 3; a++) {
        tf->centre_mm[a] = ts[t].sum[a] / (double)ts[t].count;
      }
      for (int64_t v = 0; v < nv; v++) {
        mask->data[v] = lroundf(labels->data[v]) == tf->label ? 1.0f : 0.0f;
      }
      st = carm_seg_distance(dist, mask, CARM_SEG_TO_FOREGROUND);
      for (int64_t s = 0; st == CARM_OK && s < ns; s++) {
        size_t at = (size_t)s * (size_t)nt + (size_t)t;
        mind[at] = INFINITY;
        if (!f->downstream[s]) {
          continue;
        }
        const carm_seg_segment *g = &tree->segments[s];
        int64_t i0 = s == f->tip_segment ? f->tip_point : 0;
        if (i0 >= g->n_points - 1) {
          i0 = g->n_points - 2;
        }
        for (int64_t i = i0; i + 1 < g->n_points; i++) {
          double len = dist3(g->points_mm[i], g->points_mm[i + 1]);
          int m = (int)ceil(len / (0.25 * h));
          m = m < 1 ? 1 : m;
          for (int q = 0; q <= m; q++) {
            if (q == m && i + 2 < g->n_points) {
              break; /* the next piece starts there */
            }
            double u = (double)q / m, p[3];
            for (int a = 0; a < 3; a++) {
              p[a] = g->points_mm[i][a] + u * (g->points_mm[i + 1][a] - g->points_mm[i][a]);
            }
            double r = g->radius_mm[i] + u * (g->radius_mm[i + 1] - g->radius_mm[i]);
            double wall = sample(dist, p) - 0.5 * h - r;
            if (wall < mind[at]) {
              mind[at] = wall;
            }
            if (wall <= o.margin_mm) {
              inside[at] += len / m;
            }
            if (nearest_label(labels, p) == tf->label) {
              enters[at] = 1;
            }
          }
        }
        touch[at] = (uint8_t)(mind[at] <= o.margin_mm);
        /* the end's lumen (centreline distance - radius) within margin: a
         * label map paints the artery over the tumour, so the tumour's
         * voxels lie at least a radius from a centreline inside it */
        const int64_t last = g->n_points - 1;
        ends[at] = (uint8_t)(g->kind == CARM_SEG_SEGMENT_TERMINAL &&
                             sample(dist, g->points_mm[last]) - g->radius_mm[last] <= o.margin_mm);
      }
    }
    /* feeders: terminal segments ending in the tumour (+ margin); passing:
     * touching, not a feeder, no touching child */
    for (int t = 0; st == CARM_OK && t < nt; t++) {
      carm_tumour_feeders *tf = &f->tumours[t];
      uint8_t *child_touch = calloc((size_t)ns, 1);
      uint8_t *child_ends = calloc((size_t)ns, 1);
      if (child_touch == NULL || child_ends == NULL) {
        free(child_touch);
        free(child_ends);
        st = carm_error(CARM_ERR_NOMEM, "feeders: out of memory");
        break;
      }
      for (int64_t s = 0; s < ns; s++) {
        int64_t p = tree->segments[s].parent;
        size_t at = (size_t)s * (size_t)nt + (size_t)t;
        if (p >= 0 && f->downstream[s]) {
          child_touch[p] |= touch[at];
          child_ends[p] |= ends[at];
        }
      }
      int64_t n = 0, n_pass = 0;
      for (int64_t s = 0; s < ns; s++) {
        size_t at = (size_t)s * (size_t)nt + (size_t)t;
        n += ends[at] && !child_ends[s];
        n_pass += touch[at] && !ends[at] && !child_touch[s];
      }
      tf->feeders = calloc((size_t)(n > 0 ? n : 1), sizeof *tf->feeders);
      tf->passing = calloc((size_t)(n_pass > 0 ? n_pass : 1), sizeof *tf->passing);
      if (tf->feeders == NULL || tf->passing == NULL) {
        free(child_touch);
        free(child_ends);
        st = carm_error(CARM_ERR_NOMEM, "feeders: out of memory");
        break;
      }
      for (int64_t s = 0; st == CARM_OK && s < ns; s++) {
        size_t at = (size_t)s * (size_t)nt + (size_t)t;
        if (touch[at] && !ends[at] && !child_touch[s]) {
          tf->passing[tf->n_passing++] = s;
        }
        if (!ends[at] || child_ends[s]) {
          continue;
        }
        carm_feeder *fd = &tf->feeders[tf->n_feeders];
        const carm_seg_segment *g = &tree->segments[s];
        fd->segment = s;
        fd->inside_mm = inside[at];
        fd->distance_mm = mind[at];
        fd->enters = enters[at];
        double rs = 0.0;
        for (int64_t i = 0; i < g->n_points; i++) {
          rs += g->radius_mm[i];
        }
        fd->radius_mm = rs / (double)g->n_points;
        int64_t depth = 0;
        for (int64_t q = s; q >= 0 && f->downstream[q]; q = tree->segments[q].parent) {
          depth++;
        }
        fd->path = malloc((size_t)depth * sizeof *fd->path);
        if (fd->path == NULL) {
          st = carm_error(CARM_ERR_NOMEM, "feeders: out of memory");
          break;
        }
        fd->n_path = depth;
        double plen = 0.0;
        int64_t k = depth;
        for (int64_t q = s; q >= 0 && f->downstream[q]; q = tree->segments[q].parent) {
          fd->path[--k] = q;
          const carm_seg_segment *gq = &tree->segments[q];
          int64_t i0 = q == f->tip_segment ? f->tip_point : 0;
          for (int64_t i = i0; i + 1 < gq->n_points; i++) {
            plen += dist3(gq->points_mm[i], gq->points_mm[i + 1]);
          }
        }
        fd->path_mm = plen;
        tf->n_feeders++;
      }
      free(child_touch);
      free(child_ends);
      if (st == CARM_OK) {
        qsort(tf->feeders, (size_t)tf->n_feeders, sizeof *tf->feeders, feeder_cmp);
      }
    }
    free(inside);
    free(mind);
    free(enters);
  }
  free(touch);
  free(ends);
  free(ts);
  carm_volume_destroy(mask);
  carm_volume_destroy(dist);
  if (st != CARM_OK) {
    carm_feeders_destroy(f);
    return st;
  }
  *out = f;
  return CARM_OK;
}

carm_status carm_feeder_path_points(const carm_seg_tree *tree, const carm_feeders *f,
                                    const carm_feeder *feeder, double (**points)[3],
                                    double **radius_mm, int64_t *n) {
  if (tree == NULL || f == NULL || feeder == NULL || points == NULL || radius_mm == NULL ||
      n == NULL) {
    return carm_error(CARM_ERR_INVALID, "feeder path: NULL argument");
  }
  int64_t total = 0;
  for (int64_t k = 0; k < feeder->n_path; k++) {
    const carm_seg_segment *g = &tree->segments[feeder->path[k]];
    total += g->n_points;
  }
  double(*pts)[3] = malloc((size_t)(total + 1) * sizeof *pts);
  double *rad = malloc((size_t)(total + 1) * sizeof *rad);
  if (pts == NULL || rad == NULL) {
    free(pts);
    free(rad);
    return carm_error(CARM_ERR_NOMEM, "feeder path: out of memory");
  }
  int64_t m = 0;
  for (int64_t k = 0; k < feeder->n_path; k++) {
    const carm_seg_segment *g = &tree->segments[feeder->path[k]];
    int64_t i0 = feeder->path[k] == f->tip_segment ? f->tip_point : 0;
    if (k > 0) {
      i0 = i0 < 1 ? 1 : i0; /* the first point repeats the parent's last */
    }
    for (int64_t i = i0; i < g->n_points; i++) {
      memcpy(pts[m], g->points_mm[i], sizeof pts[m]);
      rad[m] = g->radius_mm[i];
      m++;
    }
  }
  *points = pts;
  *radius_mm = rad;
  *n = m;
  return CARM_OK;
}

/* ---- virtual injection -------------------------------------------------- */

typedef struct bucket_grid {
  double lo[3];
  double cell;
  int64_t n[3];
  int64_t *start; /* n0*n1*n2 + 1 */
  int64_t *items; /* point indices */
} bucket_grid;

carm_status carm_feeders_territory(const carm_seg_tree *tree, const carm_feeders *f,
                                   const carm_volume *labels, const carm_label_set *liver_labels,
                                   carm_volume *perfused, double *perfused_ml, double *liver_ml) {
  if (tree == NULL || f == NULL || labels == NULL || liver_labels == NULL) {
    return carm_error(CARM_ERR_INVALID, "territory: NULL argument");
  }
  if (perfused != NULL && !carm_volume_same_grid(perfused, labels, 1e-6)) {
    return carm_error(CARM_ERR_INVALID, "territory: output grid differs from the labels'");
  }
  /* terminal-segment points, tagged downstream or not */
  int64_t np = 0;
  for (int64_t s = 0; s < tree->n_segments; s++) {
    if (tree->segments[s].kind == CARM_SEG_SEGMENT_TERMINAL) {
      np += tree->segments[s].n_points;
    }
  }
  if (np == 0) {
    return carm_error(CARM_ERR_INVALID, "territory: the tree has no terminal segment");
  }
  double(*pts)[3] = malloc((size_t)np * sizeof *pts);
  uint8_t *down = malloc((size_t)np);
  bucket_grid g = {0};
  if (pts == NULL || down == NULL) {
    free(pts);
    free(down);
    return carm_error(CARM_ERR_NOMEM, "territory: out of memory");
  }
  np = 0;
  double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int64_t s = 0; s < tree->n_segments; s++) {
    const carm_seg_segment *sg = &tree->segments[s];
    if (sg->kind != CARM_SEG_SEGMENT_TERMINAL) {
      continue;
    }
    for (int64_t i = 0; i < sg->n_points; i++) {
      memcpy(pts[np], sg->points_mm[i], sizeof pts[np]);
      down[np] = f->downstream[s];
      for (int a = 0; a < 3; a++) {
        lo[a] = fmin(lo[a], pts[np][a]);
        hi[a] = fmax(hi[a], pts[np][a]);
      }
      np++;
    }
  }
  g.cell = 10.0;
  int64_t ncell = 1;
  for (int a = 0; a < 3; a++) {
    g.lo[a] = lo[a];
    g.n[a] = (int64_t)floor((hi[a] - lo[a]) / g.cell) + 1;
    ncell *= g.n[a];
  }
  g.start = calloc((size_t)ncell + 1, sizeof *g.start);
  g.items = malloc((size_t)np * sizeof *g.items);
  int64_t *cellof = malloc((size_t)np * sizeof *cellof);
  carm_status st = CARM_OK;
  if (g.start == NULL || g.items == NULL || cellof == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "territory: out of memory");
  }
  if (st == CARM_OK) {
    for (int64_t p = 0; p < np; p++) {
      int64_t c[3];
      for (int a = 0; a < 3; a++) {
        c[a] = (int64_t)floor((pts[p][a] - g.lo[a]) / g.cell);
        c[a] = c[a] < 0 ? 0 : (c[a] >= g.n[a] ? g.n[a] - 1 : c[a]);
      }
      cellof[p] = (c[2] * g.n[1] + c[1]) * g.n[0] + c[0];
      g.start[cellof[p] + 1]++;
    }
    for (int64_t c = 0; c < ncell; c++) {
      g.start[c + 1] += g.start[c];
    }
    int64_t *fill = malloc((size_t)ncell * sizeof *fill);
    if (fill == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "territory: out of memory");
    } else {
      memcpy(fill, g.start, (size_t)ncell * sizeof *fill);
      for (int64_t p = 0; p < np; p++) {
        g.items[fill[cellof[p]]++] = p;
      }
      free(fill);
    }
  }
  int64_t n_liver = 0, n_perf = 0;
  for (int64_t k = 0; st == CARM_OK && k < labels->dims[2]; k++) {
    for (int64_t j = 0; j < labels->dims[1]; j++) {
      for (int64_t i = 0; i < labels->dims[0]; i++) {
        int64_t v = (k * labels->dims[1] + j) * labels->dims[0] + i;
        long l = lroundf(labels->data[v]);
        int is_liver = l >= 0 && l <= 255 && liver_labels->has[l];
        if (perfused != NULL) {
          perfused->data[v] = 0.0f;
        }
        if (!is_liver) {
          continue;
        }
        n_liver++;
        double ijk[3] = {(double)i, (double)j, (double)k}, p[3];
        carm_volume_index_to_point(labels, ijk, p);
        int64_t c[3];
        for (int a = 0; a < 3; a++) {
          c[a] = (int64_t)floor((p[a] - g.lo[a]) / g.cell);
        }
        double bd = INFINITY;
        int64_t bp = -1;
        int64_t max_ring = 0;
        for (int a = 0; a < 3; a++) {
          int64_t e0 = llabs(c[a]), e1 = llabs(g.n[a] - 1 - c[a]);
          max_ring = e0 > max_ring ? e0 : max_ring;
          max_ring = e1 > max_ring ? e1 : max_ring;
        }
        /* rings of cells until the best found is closer than the ring */
        for (int64_t ring = 0; ring <= max_ring + 1; ring++) {
          for (int64_t z = c[2] - ring; z <= c[2] + ring; z++) {
            for (int64_t y = c[1] - ring; y <= c[1] + ring; y++) {
              for (int64_t x = c[0] - ring; x <= c[0] + ring; x++) {
                int64_t ax = llabs(x - c[0]), ay = llabs(y - c[1]), az = llabs(z - c[2]);
                int64_t m = ax > ay ? ax : ay;
                m = m > az ? m : az;
                if (m != ring || x < 0 || y < 0 || z < 0 || x >= g.n[0] || y >= g.n[1] ||
                    z >= g.n[2]) {
                  continue;
                }
                int64_t cell = (z * g.n[1] + y) * g.n[0] + x;
                for (int64_t q = g.start[cell]; q < g.start[cell + 1]; q++) {
                  int64_t pi = g.items[q];
                  double d = dist3(p, pts[pi]);
                  if (d < bd) {
                    bd = d;
                    bp = pi;
                  }
                }
              }
            }
          }
          /* any point in a cell outside the ring is farther than (distance
           * from p to the ring's outer box), at least ring*cell from c's box */
          if (bp >= 0 && bd <= (double)ring * g.cell) {
            break;
          }
          if (ring > max_ring) {
            break; /* every cell has been seen */
          }
        }
        if (bp >= 0 && down[bp]) {
          n_perf++;
          if (perfused != NULL) {
            perfused->data[v] = 1.0f;
          }
        }
      }
    }
  }
  free(pts);
  free(down);
  free(g.start);
  free(g.items);
  free(cellof);
  if (st != CARM_OK) {
    return st;
  }
  double voxel_ml = labels->spacing[0] * labels->spacing[1] * labels->spacing[2] / 1000.0;
  if (perfused_ml != NULL) {
    *perfused_ml = (double)n_perf * voxel_ml;
  }
  if (liver_ml != NULL) {
    *liver_ml = (double)n_liver * voxel_ml;
  }
  return CARM_OK;
}
