/* carm_vessels_evaluate on a synthetic Y (parent r = 2 mm, children r = 1.5
 * and 0.6 mm) and carm_seg_tree_refine_bifurcations on an acute junction:
 * the truth against itself is perfect; a shifted tree measures its shift;
 * a dilated mask loses precision, a missing branch recall; the small branch
 * is outside the restricted Dice; a node moved beyond the tolerance is
 * missed; a skeleton junction at the carina of a 12° bifurcation is moved
 * back to where the axes meet; a branch leaving a cluster of short
 * skeleton segments is split off the parent where its axis meets the
 * parent's; bad arguments are refused. */
#include "carm/carm.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A segment from a to b, n points, constant radius r. */
static void make_seg(carm_seg_segment *s, int64_t id, int64_t parent, const double a[3],
                     const double b[3], int64_t n, double r) {
  s->id = id;
  s->parent = parent;
  s->kind = parent < 0 ? CARM_SEG_SEGMENT_ROOT : CARM_SEG_SEGMENT_TERMINAL;
  s->n_points = n;
  s->points_mm = malloc((size_t)n * sizeof *s->points_mm);
  s->radius_mm = malloc((size_t)n * sizeof *s->radius_mm);
  for (int64_t i = 0; i < n; i++) {
    double t = (double)i / (double)(n - 1);
    for (int c = 0; c < 3; c++) {
      s->points_mm[i][c] = a[c] + t * (b[c] - a[c]);
    }
    s->radius_mm[i] = r;
  }
}

static carm_seg_tree *make_tree(int64_t n) {
  carm_seg_tree *t = calloc(1, sizeof *t);
  t->n_segments = n;
  t->segments = calloc((size_t)n, sizeof *t->segments);
  return t;
}

/* The truth: parent along z, a 1.5 mm child and a 0.6 mm child, shifted
 * by dy along y (perpendicular to the parent and the 1.5 mm child). */
static carm_seg_tree *y_tree(double dy) {
  carm_seg_tree *t = make_tree(3);
  const double a[3] = {0, dy, -30}, f[3] = {0, dy, 0}, l[3] = {-20, dy, 25},
               r[3] = {22, dy + 3, 20};
  make_seg(&t->segments[0], 0, -1, a, f, 31, 2.0);
  make_seg(&t->segments[1], 1, 0, f, l, 33, 1.5);
  make_seg(&t->segments[2], 2, 0, f, r, 31, 0.6);
  return t;
}

/* Voxel centres inside the capsules of `t` (radius + grow). */
static void paint(carm_volume *m, const carm_seg_tree *t, double grow, int64_t skip_seg) {
  for (int64_t i = 0; i < carm_volume_count(m); i++) {
    m->data[i] = 0.0f;
  }
  for (int64_t k = 0; k < m->dims[2]; k++) {
    for (int64_t j = 0; j < m->dims[1]; j++) {
      for (int64_t i = 0; i < m->dims[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k}, p[3];
        carm_volume_index_to_point(m, ijk, p);
        for (int64_t s = 0; s < t->n_segments && s != skip_seg; s++) {
          const carm_seg_segment *g = &t->segments[s];
          const double *a = g->points_mm[0], *b = g->points_mm[g->n_points - 1];
          double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
          double ap[3] = {p[0] - a[0], p[1] - a[1], p[2] - a[2]};
          double u = carm_vec3_dot(ap, ab) / carm_vec3_dot(ab, ab);
          u = u < 0 ? 0 : (u > 1 ? 1 : u);
          double d[3] = {ap[0] - u * ab[0], ap[1] - u * ab[1], ap[2] - u * ab[2]};
          if (carm_vec3_norm(d) <= g->radius_mm[0] + grow) {
            m->data[(k * m->dims[1] + j) * m->dims[0] + i] = 1.0f;
          }
        }
      }
    }
  }
}

int main(void) {
  int64_t dims[3] = {64, 24, 72};
  carm_volume *m = NULL;
  CHECK(carm_volume_create(&m, dims) == CARM_OK);
  m->origin[0] = -31.5;
  m->origin[1] = -11.5;
  m->origin[2] = -35.5;
  carm_seg_tree *truth = y_tree(0.0);
  carm_vessels_eval_opts o = CARM_VESSELS_EVAL_INIT;
  carm_vessels_eval e;

  /* the truth against itself */
  paint(m, truth, 0.0, -1);
  CHECK(carm_vessels_evaluate(&e, truth, m, truth, &o) == CARM_OK);
  printf("self: Dice %.3f big %.3f, centreline %.3f mm, bif %lld/%lld, coverage %.3f\n", e.dice,
         e.dice_big, e.centreline_mean_mm, (long long)e.n_bif_found, (long long)e.n_bif_truth,
         e.coverage_big);
  CHECK_NEAR(e.dice, 1.0, 1e-12);
  CHECK_NEAR(e.dice_big, 1.0, 1e-12);
  CHECK(e.truth_big_voxels < e.truth_voxels);
  CHECK(e.domain_voxels > e.truth_big_voxels);
  CHECK_NEAR(e.centreline_mean_mm, 0.0, 1e-9);
  /* the junction point may be nearest a child's axis (another radius) */
  CHECK_NEAR(e.radius_error_mean_mm, 0.0, 0.02);
  CHECK(e.n_segments_matched == 2); /* the 0.6 mm child is not big */
  CHECK_NEAR(e.coverage_big, 1.0, 1e-12);
  CHECK(e.n_bif_truth == 0); /* one branch of the node is small */

  /* with the small child counted (radius >= 0.5 mm) the node is a big one */
  o.min_radius_mm = 0.5;
  CHECK(carm_vessels_evaluate(&e, truth, m, truth, &o) == CARM_OK);
  CHECK(e.n_bif_truth == 1 && e.n_bif_found == 1);
  CHECK_NEAR(e.bif_sensitivity, 1.0, 1e-12);
  CHECK_NEAR(e.bif_precision, 1.0, 1e-12);

  /* a tree shifted by 0.3 mm: centreline distance 0.3 mm, node within
   * tolerance; shifted by 2.5 mm: the node is missed (tolerance 2 mm) */
  carm_seg_tree *shifted = y_tree(0.3);
  CHECK(carm_vessels_evaluate(&e, truth, NULL, shifted, &o) == CARM_OK);
  CHECK(isnan(e.dice));
  CHECK_NEAR(e.centreline_mean_mm, 0.3, 0.01);
  CHECK(e.n_bif_found == 1);
  CHECK_NEAR(e.bif_error_mm, 0.3, 1e-6);
  carm_seg_tree_destroy(shifted);
  shifted = y_tree(2.5);
  CHECK(carm_vessels_evaluate(&e, truth, NULL, shifted, &o) == CARM_OK);
  CHECK(e.n_bif_found == 0);
  CHECK_NEAR(e.bif_sensitivity, 0.0, 1e-12);
  carm_seg_tree_destroy(shifted);
  o.min_radius_mm = 1.0;

  /* a mask 1 mm too wide: precision drops, recall stays 1 */
  paint(m, truth, 1.0, -1);
  CHECK(carm_vessels_evaluate(&e, truth, m, NULL, &o) == CARM_OK);
  printf("wide: Dice %.3f big %.3f (precision %.3f recall %.3f)\n", e.dice, e.dice_big,
         e.precision_big, e.recall_big);
  CHECK_NEAR(e.recall_big, 1.0, 1e-12);
  CHECK(e.precision_big < 0.75 && e.dice_big < 0.85);
  CHECK(isnan(e.centreline_mean_mm));
  /* the 1.5 mm child missing: recall of the big branches falls; the small
   * child missing changes the full Dice only */
  paint(m, truth, 0.0, 1);
  CHECK(carm_vessels_evaluate(&e, truth, m, NULL, &o) == CARM_OK);
  printf("no big child: big recall %.3f\n", e.recall_big);
  CHECK(e.recall_big < 0.8);
  paint(m, truth, 0.0, 2);
  CHECK(carm_vessels_evaluate(&e, truth, m, NULL, &o) == CARM_OK);
  printf("no small child: Dice %.3f big %.3f\n", e.dice, e.dice_big);
  CHECK(e.dice < 0.99);
  CHECK(e.dice_big > 0.99);

  /* errors */
  CHECK(carm_vessels_evaluate(NULL, truth, m, NULL, &o) == CARM_ERR_INVALID);
  CHECK(carm_vessels_evaluate(&e, NULL, m, NULL, &o) == CARM_ERR_INVALID);
  o.margin_mm = -1;
  CHECK(carm_vessels_evaluate(&e, truth, m, NULL, &o) == CARM_ERR_INVALID);
  o.margin_mm = NAN;
  CHECK(carm_vessels_evaluate(&e, truth, m, NULL, &o) == CARM_ERR_INVALID);
  o = (carm_vessels_eval_opts)CARM_VESSELS_EVAL_INIT;
  o.version = 2;
  CHECK(carm_vessels_evaluate(&e, truth, m, NULL, &o) == CARM_ERR_INVALID);
  carm_seg_tree_destroy(truth);
  carm_volume_destroy(m);

  /* acute bifurcation: children of r = 2 mm at ±6° from z split at the
   * origin; a skeleton joins them at the carina, z ≈ 19 mm, and follows
   * the midline before it: refinement moves the node back */
  carm_seg_tree *sk = make_tree(3);
  double th = 6.0 * M_PI / 180.0;
  const double a[3] = {0, 0, -30}, car[3] = {0, 0, 19}, e1[3] = {60 * sin(th), 0, 60 * cos(th)},
               e2[3] = {-60 * sin(th), 0, 60 * cos(th)};
  make_seg(&sk->segments[0], 0, -1, a, car, 50, 2.0);
  make_seg(&sk->segments[1], 1, 0, car, e1, 42, 2.0);
  make_seg(&sk->segments[2], 2, 0, car, e2, 42, 2.0);
  /* the children's skeleton leaves the carina towards their axes: points
   * beyond 4 mm lie on the true axes */
  for (int s = 1; s <= 2; s++) {
    carm_seg_segment *g = &sk->segments[s];
    double sgn = s == 1 ? 1.0 : -1.0;
    for (int64_t i = 0; i < g->n_points; i++) {
      double z = 19.0 + (60 * cos(th) - 19.0) * (double)i / (double)(g->n_points - 1);
      double x = sgn * z * tan(th);
      g->points_mm[i][0] = i == 0 ? 0.0 : x;
      g->points_mm[i][2] = z;
    }
  }
  int64_t moved = -1;
  CHECK(carm_seg_tree_refine_bifurcations(sk, &moved) == CARM_OK);
  CHECK(moved == 1);
  const double *nn = sk->segments[0].points_mm[sk->segments[0].n_points - 1];
  printf("acute node moved to (%.2f, %.2f, %.2f)\n", nn[0], nn[1], nn[2]);
  CHECK(fabs(nn[0]) < 0.5 && fabs(nn[1]) < 0.5 && fabs(nn[2]) < 1.5);
  for (int s = 1; s <= 2; s++) {
    const double *p0 = sk->segments[s].points_mm[0];
    CHECK(p0[0] == nn[0] && p0[1] == nn[1] && p0[2] == nn[2]);
  }
  /* a second pass finds nothing to move */
  CHECK(carm_seg_tree_refine_bifurcations(sk, &moved) == CARM_OK);
  CHECK(moved == 0);
  carm_seg_tree_destroy(sk);

  /* a cluster: the parent (z axis) splits at the origin into a branch at
   * 30° in +x and a trunk; the skeleton follows the trunk to z = 12, then
   * shows a spur and a 3 mm segment from which both branches leave. The
   * branch at 30° is split off where its axis meets the parent's. */
  sk = make_tree(5);
  const double p0[3] = {0, 0, -30}, n1[3] = {0, 0, 12}, n2[3] = {0, 0, 15}, sp[3] = {-1.5, 0, 13.5},
               ea0[3] = {8, 0, 16 * cos(M_PI / 6)}, ea1[3] = {22.5, 0, 45 * cos(M_PI / 6)},
               eb1[3] = {-5, 0, 40};
  make_seg(&sk->segments[0], 0, -1, p0, n1, 43, 2.0);
  make_seg(&sk->segments[1], 1, 0, n1, n2, 4, 1.5);
  make_seg(&sk->segments[2], 2, 0, n1, sp, 3, 1.0);
  make_seg(&sk->segments[3], 3, 1, ea0, ea1, 30, 1.5);
  memcpy(sk->segments[3].points_mm[0], n2, sizeof n2);
  make_seg(&sk->segments[4], 4, 1, n2, eb1, 26, 1.5);
  CHECK(carm_seg_tree_refine_bifurcations(sk, &moved) == CARM_OK);
  CHECK(moved == 1);
  CHECK(sk->n_segments == 6);
  nn = sk->segments[0].points_mm[sk->segments[0].n_points - 1];
  printf("cluster: branch split off at (%.2f, %.2f, %.2f)\n", nn[0], nn[1], nn[2]);
  CHECK(fabs(nn[0]) < 0.5 && fabs(nn[1]) < 0.5 && fabs(nn[2]) < 1.0);
  int kids0 = 0, branch_ok = 0;
  for (int64_t s = 0; s < sk->n_segments; s++) {
    const carm_seg_segment *g = &sk->segments[s];
    CHECK(g->id == s && g->parent < s);
    if (g->parent == 0) {
      kids0++;
      CHECK(g->points_mm[0][0] == nn[0] && g->points_mm[0][2] == nn[2]);
      branch_ok += fabs(g->points_mm[g->n_points - 1][0] - ea1[0]) < 1e-9;
    }
  }
  CHECK(kids0 == 2 && branch_ok == 1);
  carm_seg_tree_destroy(sk);
  CHECK(carm_seg_tree_refine_bifurcations(NULL, NULL) == CARM_ERR_INVALID);
  return check_done();
}
