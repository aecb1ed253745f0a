/* The vessel pipeline on a noise-free binary vessel-only volume (a Y of
 * tubes, radii 3 and 2 mm, values 0 / 0.006): the noise estimate is 0, which
 * used to put the seed threshold at the background level (the whole volume
 * became the mask, the distance map was infinite and the tree NaN). Now:
 * a mask close to the truth, 3 segments, 1 bifurcation, every point and
 * radius finite; the same through carm_seg_tree_build on the truth; and a
 * mask without background is refused by the tree builder. */
#include "carm/carm.h"
#include "check.h"

#include <math.h>
#include <string.h>

static double seg_dist(const double p[3], const double a[3], const double b[3]) {
  double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  double ap[3] = {p[0] - a[0], p[1] - a[1], p[2] - a[2]};
  double t = carm_vec3_dot(ap, ab) / carm_vec3_dot(ab, ab);
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  double d[3] = {ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]};
  return carm_vec3_norm(d);
}

static void check_tree(const carm_seg_tree *tree, const char *what) {
  printf("%s: %lld segments, %lld bifurcations, %.1f mm\n", what, (long long)tree->n_segments,
         (long long)tree->n_bifurcations, carm_seg_tree_length_mm(tree));
  CHECK(tree->n_segments == 3);
  CHECK(tree->n_bifurcations == 1);
  int finite = 1;
  for (int64_t s = 0; s < tree->n_segments; s++) {
    const carm_seg_segment *sg = &tree->segments[s];
    for (int64_t p = 0; p < sg->n_points; p++) {
      finite = finite && isfinite(sg->points_mm[p][0]) && isfinite(sg->points_mm[p][1]) &&
               isfinite(sg->points_mm[p][2]) && isfinite(sg->radius_mm[p]) &&
               sg->radius_mm[p] > 0.0;
    }
  }
  CHECK_MSG(finite, "%s: a point or radius is not finite", what);
  if (tree->n_segments > 0) {
    CHECK(tree->segments[0].parent < 0);
    CHECK_NEAR(tree->segments[0].points_mm[0][2], -35.0, 3.0);
  }
}

int main(void) {
  int64_t dims[3] = {80, 80, 80};
  carm_volume *vol = NULL;
  carm_volume *truth = NULL;
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    vol->origin[a] = -39.5;
  }
  CHECK(carm_volume_create_like(&truth, vol) == CARM_OK);
  const double root[3] = {0, 0, -35};
  const double fork[3] = {0, 0, 0};
  const double l[3] = {-25, 5, 30};
  const double r[3] = {25, -5, 30};
  for (int64_t k = 0; k < 80; k++) {
    for (int64_t j = 0; j < 80; j++) {
      for (int64_t i = 0; i < 80; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double p[3];
        carm_volume_index_to_point(vol, ijk, p);
        int in = seg_dist(p, root, fork) <= 3.0 || seg_dist(p, fork, l) <= 2.0 ||
                 seg_dist(p, fork, r) <= 2.0;
        int64_t idx = (k * 80 + j) * 80 + i;
        truth->data[idx] = in ? 1.0f : 0.0f;
        vol->data[idx] = in ? 0.006f : 0.0f;
      }
    }
  }
  carm_vessels_opts o = CARM_VESSELS_INIT;
  o.has_root = 1;
  o.root_mm[2] = -34;
  carm_volume *mask = NULL;
  carm_seg_tree *tree = NULL;
  carm_vessels_info info;
  CHECK(carm_vessels_extract(&mask, &tree, &info, vol, &o) == CARM_OK);
  if (mask != NULL && tree != NULL) {
    double inter = 0;
    double sm = 0;
    double st = 0;
    for (int64_t i = 0; i < carm_volume_count(vol); i++) {
      inter += mask->data[i] * truth->data[i];
      sm += mask->data[i];
      st += truth->data[i];
    }
    double dice = 2 * inter / (sm + st);
    printf("noise-free Y: Dice %.3f, threshold %.4g, vessel-only %d\n", dice, info.threshold,
           info.dsa_like);
    CHECK_MSG(dice >= 0.9, "Dice %g", dice);
    CHECK(info.dsa_like == 1);
    check_tree(tree, "pipeline");
  }
  carm_seg_tree_destroy(tree);
  carm_volume_destroy(mask);
  /* the tree builder alone on the binary truth */
  carm_seg_tree_opts to = CARM_SEG_TREE_OPTS_INIT;
  to.has_root = 1;
  to.root_mm[2] = -34;
  tree = NULL;
  CHECK(carm_seg_tree_build(&tree, truth, &to, NULL) == CARM_OK);
  if (tree != NULL) {
    check_tree(tree, "tree of the truth");
  }
  carm_seg_tree_destroy(tree);
  /* a mask without background: infinite distances, refused (no NaN tree) */
  for (int64_t i = 0; i < carm_volume_count(truth); i++) {
    truth->data[i] = 1.0f;
  }
  tree = NULL;
  CHECK(carm_seg_tree_build(&tree, truth, &to, NULL) == CARM_ERR_INVALID);
  printf("full mask: %s\n", carm_last_error());
  CHECK(strstr(carm_last_error(), "not a finite distance") != NULL);
  CHECK(tree == NULL);
  carm_volume_destroy(truth);
  carm_volume_destroy(vol);
  return check_done();
}
