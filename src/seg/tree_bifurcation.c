/* Bifurcation points moved to where the branches' axes meet
 * (carm_seg_tree_refine_bifurcations, seg.h). */
#include "carm/seg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double d3(const double a[3], const double b[3]) {
  return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
              (a[2] - b[2]) * (a[2] - b[2]));
}

/* Arc length at each point of a segment, into `s` (n entries). */
static void arc_lengths(const carm_seg_segment *g, double *s) {
  s[0] = 0.0;
  for (int64_t i = 1; i < g->n_points; i++) {
    s[i] = s[i - 1] + d3(g->points_mm[i], g->points_mm[i - 1]);
  }
}

typedef struct axis_fit {
  double c[3];   /* a point of the axis (window centroid) */
  double d[3];   /* unit direction, away from the node */
  int64_t start; /* first point of the window */
  double r;      /* mean radius in the window */
} axis_fit;

/* Straight axis of a child from its points with arc length in [w0, w0 + len]
 * (least squares: centroid, direction from the first to the second half's
 * centroid). 0 when the child is too short. */
static int fit_axis(const carm_seg_segment *g, double w0, double len, double *s, axis_fit *f) {
  arc_lengths(g, s);
  int64_t i0 = -1, i1 = -1;
  for (int64_t i = 0; i < g->n_points; i++) {
    if (s[i] >= w0 && i0 < 0) {
      i0 = i;
    }
    if (s[i] <= w0 + len) {
      i1 = i;
    }
  }
  if (i0 < 0 || i1 - i0 < 3) {
    return 0;
  }
  double a[3] = {0, 0, 0}, b[3] = {0, 0, 0};
  int64_t mid = (i0 + i1 + 1) / 2;
  double r = 0.0;
  for (int64_t i = i0; i <= i1; i++) {
    double *dst = i < mid ? a : b;
    for (int c = 0; c < 3; c++) {
      dst[c] += g->points_mm[i][c];
    }
    r += g->radius_mm[i];
  }
  double na = (double)(mid - i0), nb = (double)(i1 - mid + 1);
  double dl = 0.0;
  for (int c = 0; c < 3; c++) {
    a[c] /= na;
    b[c] /= nb;
    f->c[c] = (a[c] * na + b[c] * nb) / (na + nb);
    f->d[c] = b[c] - a[c];
    dl += f->d[c] * f->d[c];
  }
  dl = sqrt(dl);
  if (!(dl > 1e-6)) {
    return 0;
  }
  for (int c = 0; c < 3; c++) {
    f->d[c] /= dl;
  }
  f->start = i0;
  f->r = r / (double)(i1 - i0 + 1);
  return 1;
}

/* Closest points of two lines; midpoint in x, their distance returned, and
 * the line parameters (along d) in ta, tb. Parallel lines: INFINITY. */
static double lines_meet(const axis_fit *A, const axis_fit *B, double x[3], double *ta,
                         double *tb) {
  double w[3] = {A->c[0] - B->c[0], A->c[1] - B->c[1], A->c[2] - B->c[2]};
  double b = A->d[0] * B->d[0] + A->d[1] * B->d[1] + A->d[2] * B->d[2];
  double dd = A->d[0] * w[0] + A->d[1] * w[1] + A->d[2] * w[2];
  double e = B->d[0] * w[0] + B->d[1] * w[1] + B->d[2] * w[2];
  double den = 1.0 - b * b;
  if (den < 1e-4) { /* within ~0.6 degrees */
    return INFINITY;
  }
  *ta = (b * e - dd) / den;
  *tb = (e - b * dd) / den;
  double pa[3], pb[3];
  for (int c = 0; c < 3; c++) {
    pa[c] = A->c[c] + *ta * A->d[c];
    pb[c] = B->c[c] + *tb * B->d[c];
    x[c] = 0.5 * (pa[c] + pb[c]);
  }
  return d3(pa, pb);
}

/* Replace a segment's points by `n` new ones (arrays taken over). */
static void set_points(carm_seg_segment *g, double (*p)[3], double *r, int64_t n) {
  free(g->points_mm);
  free(g->radius_mm);
  g->points_mm = p;
  g->radius_mm = r;
  g->n_points = n;
}

/* Child polyline: x, a straight run (steps <= 1 mm) to the child's point
 * `from`, then the child's points from there on. */
static carm_status rebuild_child(carm_seg_segment *g, const double x[3], int64_t from) {
  double l = d3(x, g->points_mm[from]);
  int64_t k = (int64_t)ceil(l);
  k = k < 1 ? 1 : k;
  int64_t n = k + (g->n_points - from);
  double(*p)[3] = malloc((size_t)n * sizeof *p);
  double *r = malloc((size_t)n * sizeof *r);
  if (p == NULL || r == NULL) {
    free(p);
    free(r);
    return carm_error(CARM_ERR_NOMEM, "tree: out of memory");
  }
  for (int64_t i = 0; i < k; i++) {
    double t = (double)i / (double)k;
    for (int c = 0; c < 3; c++) {
      p[i][c] = x[c] + t * (g->points_mm[from][c] - x[c]);
    }
    r[i] = g->radius_mm[from];
  }
  memcpy(p[k], g->points_mm[from], (size_t)(g->n_points - from) * sizeof *p);
  memcpy(r + k, g->radius_mm + from, (size_t)(g->n_points - from) * sizeof *r);
  set_points(g, p, r, n);
  return CARM_OK;
}

static double seg_length(const carm_seg_segment *g) {
  double l = 0.0;
  for (int64_t i = 1; i < g->n_points; i++) {
    l += d3(g->points_mm[i], g->points_mm[i - 1]);
  }
  return l;
}

static double seg_radius(const carm_seg_segment *g) {
  double r = 0.0;
  for (int64_t i = 0; i < g->n_points; i++) {
    r += g->radius_mm[i];
  }
  return g->n_points > 0 ? r / (double)g->n_points : 0.0;
}

static int64_t n_children(const carm_seg_tree *t, int64_t ps) {
  int64_t n = 0;
  for (int64_t s = ps + 1; s < t->n_segments; s++) {
    n += t->segments[s].parent == ps;
  }
  return n;
}

/* Distance of point p from the line of f. */
static double line_dist(const axis_fit *f, const double p[3]) {
  double w[3] = {p[0] - f->c[0], p[1] - f->c[1], p[2] - f->c[2]};
  double t = w[0] * f->d[0] + w[1] * f->d[1] + w[2] * f->d[2];
  double q[3] = {w[0] - t * f->d[0], w[1] - t * f->d[1], w[2] - t * f->d[2]};
  return sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]);
}

/* Branches leaving the junction cluster below segment ps: its children,
 * followed through short segments (< short_mm) that branch again, down
 * to `depth` levels; exits reached through at least one short segment
 * go to out[] (with the short segment they hang from in via[]). */
static void cluster_exits(const carm_seg_tree *t, int64_t ps, double short_mm, int depth,
                          int64_t from, int64_t *out, int64_t *via, int *n, int cap) {
  for (int64_t s = ps + 1; s < t->n_segments && *n < cap; s++) {
    if (t->segments[s].parent != ps) {
      continue;
    }
    int kids = n_children(t, s) > 0;
    if (kids && depth > 0 && seg_length(&t->segments[s]) < short_mm) {
      cluster_exits(t, s, short_mm, depth - 1, s, out, via, n, cap);
    } else if (from >= 0) {
      out[*n] = s;
      via[*n] = from;
      (*n)++;
    }
  }
}

/* Insert an empty segment at index `at` (shifting the others and
 * their ids and parents). */
static carm_status insert_segment(carm_seg_tree *t, int64_t at) {
  carm_seg_segment *g = realloc(t->segments, (size_t)(t->n_segments + 1) * sizeof *g);
  if (g == NULL) {
    return carm_error(CARM_ERR_NOMEM, "tree: out of memory");
  }
  t->segments = g;
  memmove(&g[at + 1], &g[at], (size_t)(t->n_segments - at) * sizeof *g);
  memset(&g[at], 0, sizeof g[at]);
  t->n_segments++;
  for (int64_t s = 0; s < t->n_segments; s++) {
    g[s].id = s;
    if (s != at && g[s].parent >= at) {
      g[s].parent++;
    }
  }
  return CARM_OK;
}

/* One split-off at the end of segment ps (see carm_seg_tree_refine_bifurcations);
 * 1 when done. */
static carm_status split_off(carm_seg_tree *t, int64_t ps, double *arc, int *done) {
  *done = 0;
  carm_seg_segment *P = &t->segments[ps];
  if (P->n_points < 4) {
    return CARM_OK;
  }
  double rp = seg_radius(P);
  int64_t ex[16], via[16];
  int ne = 0;
  cluster_exits(t, ps, 2.0 * rp + 4.0, 3, -1, ex, via, &ne, 16);
  arc_lengths(P, arc);
  double total = arc[P->n_points - 1];
  int best_e = -1;
  int64_t best_j = -1;
  axis_fit best_f = {0};
  for (int k = 0; k < ne; k++) {
    const carm_seg_segment *E = &t->segments[ex[k]];
    double re = seg_radius(E);
    axis_fit f;
    double *tmp = malloc((size_t)E->n_points * sizeof *tmp);
    if (tmp == NULL) {
      return carm_error(CARM_ERR_NOMEM, "tree: out of memory");
    }
    int ok = fit_axis(E, 2.0 * re, 10.0, tmp, &f);
    free(tmp);
    if (!ok) {
      continue;
    }
    double sa = 0.0;
    for (int c = 0; c < 3; c++) {
      sa += (E->points_mm[f.start][c] - f.c[c]) * f.d[c];
    }
    /* the first point of P (from upstream, within the reach of a carina)
     * that lies on E's backward axis */
    double tol = 0.5 * re + 0.25;
    int64_t j = -1;
    for (int64_t i = 1; i < P->n_points - 1; i++) {
      double back_i = total - arc[i];
      if (back_i > 4.0 * (rp + re) + 5.0 || back_i < 2.0 * rp + 2.0) {
        continue;
      }
      double tt = 0.0;
      for (int c = 0; c < 3; c++) {
        tt += (P->points_mm[i][c] - f.c[c]) * f.d[c];
      }
      double dd = line_dist(&f, P->points_mm[i]);
      if (tt < sa && dd <= tol) {
        j = i;
        break;
      }
    }
    if (j < 1) {
      continue;
    }
    /* the axis must leave P upstream of j (a branch, not P's continuation):
     * P's point 6 mm further up lies more than E's radius off the line */
    int64_t u = j;
    while (u > 0 && arc[j] - arc[u] < 6.0) {
      u--;
    }
    if (arc[j] - arc[u] < 6.0 || !(line_dist(&f, P->points_mm[u]) > re)) {
      continue;
    }
    if (best_e < 0 || j < best_j) {
      best_e = k;
      best_j = j;
      best_f = f;
    }
  }
  if (best_e < 0) {
    return CARM_OK;
  }
  int64_t j = best_j;
  /* x: the point of E's axis closest to P's point j */
  double x[3], tt = 0.0;
  for (int c = 0; c < 3; c++) {
    tt += (P->points_mm[j][c] - best_f.c[c]) * best_f.d[c];
  }
  for (int c = 0; c < 3; c++) {
    x[c] = 0.5 * (P->points_mm[j][c] + best_f.c[c] + tt * best_f.d[c]);
  }
  /* better: where E's axis meets P's own axis just upstream of j */
  axis_fit fp;
  arc_lengths(P, arc);
  if (fit_axis(P, arc[j] - 12.0, 10.0, arc, &fp)) {
    double xm[3], ta = 0.0, tb = 0.0;
    double gap = lines_meet(&fp, &best_f, xm, &ta, &tb);
    if (gap <= 0.5 * fmin(fp.r, best_f.r) + 0.25 && d3(xm, P->points_mm[j]) <= 3.0) {
      int64_t jm = j;
      double bm = INFINITY;
      arc_lengths(P, arc);
      for (int64_t i = 1; i < P->n_points - 1; i++) {
        double dd = d3(P->points_mm[i], xm);
        if (dd < bm) {
          bm = dd;
          jm = i;
        }
      }
      if (jm >= 1 && total - arc[jm] >= 2.0 * rp + 2.0) {
        memcpy(x, xm, sizeof x);
        j = jm;
      }
    }
  }
  /* Q: x, then P's points after j, takes P's children */
  int64_t nq = P->n_points - j;
  double(*qp)[3] = malloc((size_t)nq * sizeof *qp);
  double *qr = malloc((size_t)nq * sizeof *qr);
  double(*pp)[3] = malloc((size_t)(j + 2) * sizeof *pp);
  double *pr = malloc((size_t)(j + 2) * sizeof *pr);
  carm_status st = CARM_OK;
  if (qp == NULL || qr == NULL || pp == NULL || pr == NULL ||
      (st = insert_segment(t, ps + 1)) != CARM_OK) {
    free(qp);
    free(qr);
    free(pp);
    free(pr);
    return st != CARM_OK ? st : carm_error(CARM_ERR_NOMEM, "tree: out of memory");
  }
  P = &t->segments[ps];
  carm_seg_segment *Q = &t->segments[ps + 1];
  int64_t e_id = ex[best_e] + 1, via_id = via[best_e] + 1;
  memcpy(qp[0], x, sizeof qp[0]);
  qr[0] = P->radius_mm[j];
  memcpy(qp + 1, P->points_mm + j + 1, (size_t)(nq - 1) * sizeof *qp);
  memcpy(qr + 1, P->radius_mm + j + 1, (size_t)(nq - 1) * sizeof *qr);
  memcpy(pp, P->points_mm, (size_t)(j + 1) * sizeof *pp);
  memcpy(pr, P->radius_mm, (size_t)(j + 1) * sizeof *pr);
  memcpy(pp[j + 1], x, sizeof pp[j + 1]);
  pr[j + 1] = P->radius_mm[j];
  Q->id = ps + 1;
  Q->parent = ps;
  Q->kind = P->kind;
  Q->points_mm = qp;
  Q->radius_mm = qr;
  Q->n_points = nq;
  int64_t np = j + 2;
  if (j >= 1 && d3(pp[j], x) < 0.25) { /* P's last kept point lies on x */
    memcpy(pp[j], x, sizeof pp[j]);
    np = j + 1;
  }
  set_points(P, pp, pr, np);
  for (int64_t s = ps + 2; s < t->n_segments; s++) {
    if (t->segments[s].parent == ps) {
      t->segments[s].parent = ps + 1;
    }
  }
  t->segments[e_id].parent = ps;
  int64_t left = n_children(t, via_id);
  t->n_bifurcations += 1 - (left == 1);
  if ((st = rebuild_child(&t->segments[e_id], x, best_f.start)) != CARM_OK) {
    return st;
  }
  *done = 1;
  return CARM_OK;
}

carm_status carm_seg_tree_refine_bifurcations(carm_seg_tree *tree, int64_t *n_moved) {
  if (tree == NULL) {
    return carm_error(CARM_ERR_INVALID, "tree: NULL tree");
  }
  int64_t moved = 0;
  int64_t max_n = 2;
  for (int64_t s = 0; s < tree->n_segments; s++) {
    max_n = tree->segments[s].n_points > max_n ? tree->segments[s].n_points : max_n;
  }
  double *arc = malloc((size_t)max_n * sizeof *arc);
  if (arc == NULL) {
    return carm_error(CARM_ERR_NOMEM, "tree: out of memory");
  }
  carm_status st = CARM_OK;
  for (int64_t ps = 0; ps < tree->n_segments && st == CARM_OK; ps++) {
    carm_seg_segment *P = &tree->segments[ps];
    int64_t kids[3];
    int nk = 0;
    for (int64_t s = ps + 1; s < tree->n_segments && nk < 3; s++) {
      if (tree->segments[s].parent == ps) {
        kids[nk++] = s;
      }
    }
    if (nk != 2 || P->n_points < 3) {
      continue;
    }
    carm_seg_segment *A = &tree->segments[kids[0]];
    carm_seg_segment *B = &tree->segments[kids[1]];
    const double *N = P->points_mm[P->n_points - 1];
    /* the children's own axes start about one diameter of the pair away
     * from the skeleton's junction (the carina) */
    double w0 = A->radius_mm[A->n_points / 2] + B->radius_mm[B->n_points / 2];
    axis_fit fa, fb;
    if (!fit_axis(A, w0, 10.0, arc, &fa) || !fit_axis(B, w0, 10.0, arc, &fb)) {
      continue;
    }
    double x[3], ta = 0.0, tb = 0.0;
    double gap = lines_meet(&fa, &fb, x, &ta, &tb);
    double rmin = fmin(fa.r, fb.r);
    /* the axes must meet (within half the smaller radius) behind both
     * windows, inside the parent near its axis */
    double sa = 0.0, sb = 0.0;
    for (int c = 0; c < 3; c++) {
      sa += (A->points_mm[fa.start][c] - fa.c[c]) * fa.d[c];
      sb += (B->points_mm[fb.start][c] - fb.c[c]) * fb.d[c];
    }
    if (!(gap <= 0.5 * rmin + 0.25) || !(ta < sa) || !(tb < sb)) {
      continue;
    }
    arc_lengths(P, arc);
    int64_t j = -1;
    double best = INFINITY;
    for (int64_t i = 0; i < P->n_points; i++) {
      double dd = d3(P->points_mm[i], x);
      if (dd < best) {
        best = dd;
        j = i;
      }
    }
    double rp = P->radius_mm[j];
    double back = arc[P->n_points - 1] - arc[j];
    if (j < 1 || !(best <= 0.5 * rp + 0.5) || d3(x, N) < 0.5 || back > 4.0 * (fa.r + fb.r) + 5.0) {
      continue;
    }
    /* parent: its points up to j, then x */
    int64_t n = j + 2;
    double(*p)[3] = malloc((size_t)n * sizeof *p);
    double *r = malloc((size_t)n * sizeof *r);
    if (p == NULL || r == NULL) {
      free(p);
      free(r);
      st = carm_error(CARM_ERR_NOMEM, "tree: out of memory");
      break;
    }
    memcpy(p, P->points_mm, (size_t)(j + 1) * sizeof *p);
    memcpy(r, P->radius_mm, (size_t)(j + 1) * sizeof *r);
    memcpy(p[j + 1], x, sizeof p[j + 1]);
    r[j + 1] = rp;
    /* drop the parent's last kept point when it lies on x */
    if (d3(p[j], x) < 0.25 && j >= 1) {
      memcpy(p[j], x, sizeof p[j]);
      n = j + 1;
    }
    set_points(P, p, r, n);
    if ((st = rebuild_child(A, x, fa.start)) != CARM_OK ||
        (st = rebuild_child(B, x, fb.start)) != CARM_OK) {
      break;
    }
    moved++;
  }
  /* second pass: branches that leave a cluster of short segments, split
   * off the parent where their axis meets it */
  for (int64_t ps = 0; ps < tree->n_segments && st == CARM_OK; ps++) {
    int64_t need = 2;
    for (int64_t s = 0; s < tree->n_segments; s++) {
      need = tree->segments[s].n_points > need ? tree->segments[s].n_points : need;
    }
    if (need > max_n) {
      double *a2 = realloc(arc, (size_t)need * sizeof *a2);
      if (a2 == NULL) {
        st = carm_error(CARM_ERR_NOMEM, "tree: out of memory");
        break;
      }
      arc = a2;
      max_n = need;
    }
    int done = 0;
    st = split_off(tree, ps, arc, &done);
    moved += done;
  }
  free(arc);
  if (n_moved != NULL) {
    *n_moved = moved;
  }
  return st;
}
