/* The vessel pipeline on a noisy vessel-only (DSA-like) volume: a Y of
 * tubes (radii 3 and 2 mm) with Gaussian noise (contrast-to-noise 5): the
 * mask has Dice >= 0.85 with the truth, the tree has one bifurcation, the
 * root is honoured, and a root far from any vessel is refused. */
#include "carm/carm.h"
#include "check.h"

static double seg_dist(const double p[3], const double a[3], const double b[3]) {
  double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  double ap[3] = {p[0] - a[0], p[1] - a[1], p[2] - a[2]};
  double t = carm_vec3_dot(ap, ab) / carm_vec3_dot(ab, ab);
  t = t < 0 ? 0 : (t > 1 ? 1 : t);
  double d[3] = {ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]};
  return carm_vec3_norm(d);
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
  carm_rng rng;
  carm_rng_seed(&rng, 3);
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
        vol->data[idx] = (float)((in ? 0.006 : 0.0) + 0.0012 * carm_rng_normal(&rng));
      }
    }
  }
  carm_vessels_opts o = CARM_VESSELS_INIT;
  o.has_root = 1;
  o.root_mm[0] = 0;
  o.root_mm[1] = 0;
  o.root_mm[2] = -34;
  carm_volume *mask = NULL;
  carm_seg_tree *tree = NULL;
  carm_vessels_info info;
  CHECK(carm_vessels_extract(&mask, &tree, &info, vol, &o) == CARM_OK);
  CHECK(info.dsa_like == 1);
  double inter = 0;
  double sm = 0;
  double st = 0;
  for (int64_t i = 0; i < carm_volume_count(vol); i++) {
    inter += mask->data[i] * truth->data[i];
    sm += mask->data[i];
    st += truth->data[i];
  }
  double dice = 2 * inter / (sm + st);
  printf("vessel Dice %.3f, threshold %.4g, %lld segments, %lld bifurcations\n", dice,
         info.threshold, (long long)tree->n_segments, (long long)tree->n_bifurcations);
  CHECK_MSG(dice >= 0.85, "Dice %g", dice);
  CHECK(tree->n_bifurcations == 1);
  CHECK(tree->n_segments == 3);
  /* the root segment starts near the root point */
  const double *p0 = tree->segments[0].points_mm[0];
  CHECK(tree->segments[0].parent < 0);
  CHECK_NEAR(p0[2], -35.0, 3.0);
  carm_seg_tree_destroy(tree);
  carm_volume_destroy(mask);
  o.root_mm[0] = 30;
  o.root_mm[1] = 30;
  mask = NULL;
  CHECK(carm_vessels_extract(&mask, NULL, NULL, vol, &o) == CARM_ERR_NOTFOUND);
  CHECK(mask == NULL);
  carm_volume_destroy(truth);
  carm_volume_destroy(vol);
  return check_done();
}
