/* Vessel tree on synthetic tubes: a Y (one bifurcation), a tree with three
 * bifurcations on an anisotropic grid, the root option, centreline distance
 * to the true axes (< 0.5 voxel on average), radius error (reported and
 * bounded), JSON and VTK export. */
#include "check.h"
#include "seg_util.h"

#include <jansson.h>
#include <string.h>
#include <unistd.h>

typedef struct branch {
  double a[3], b[3], r;
} branch;

static carm_volume *draw(const branch *br, int n, int64_t nx, int64_t ny, int64_t nz,
                         const double sp[3]) {
  carm_volume *m = make_vol(nx, ny, nz, sp[0], sp[1], sp[2]);
  for (int t = 0; t < n; t++) {
    draw_capsule(m, br[t].a, br[t].b, br[t].r, 1.0f);
  }
  return m;
}

/* Mean and max distance of the centreline points to the nearest axis, and
 * mean |radius error| at points away from ends and junctions. */
static void measure(const carm_seg_tree *t, const branch *br, int n, double *mean_d, double *max_d,
                    double *mean_rerr, double *max_rerr) {
  double sum = 0.0, mx = 0.0, rsum = 0.0, rmax = 0.0;
  int64_t cnt = 0, rcnt = 0;
  for (int64_t s = 0; s < t->n_segments; s++) {
    const carm_seg_segment *sg = &t->segments[s];
    for (int64_t p = 0; p < sg->n_points; p++) {
      double best = INFINITY;
      int which = 0;
      for (int b = 0; b < n; b++) {
        double d = dist_to_segment(sg->points_mm[p], br[b].a, br[b].b);
        if (d < best) {
          best = d;
          which = b;
        }
      }
      sum += best;
      mx = fmax(mx, best);
      cnt++;
      /* radius: only where the nearest axis is unambiguous and far from
       * its end points (caps and junctions change the local radius) */
      double da = 0.0, db = 0.0;
      for (int c = 0; c < 3; c++) {
        da += (sg->points_mm[p][c] - br[which].a[c]) * (sg->points_mm[p][c] - br[which].a[c]);
        db += (sg->points_mm[p][c] - br[which].b[c]) * (sg->points_mm[p][c] - br[which].b[c]);
      }
      if (sqrt(da) > 2.5 * br[which].r && sqrt(db) > 2.5 * br[which].r) {
        double e = fabs(sg->radius_mm[p] - br[which].r);
        rsum += e;
        rmax = fmax(rmax, e);
        rcnt++;
      }
    }
  }
  *mean_d = cnt > 0 ? sum / (double)cnt : INFINITY;
  *max_d = mx;
  *mean_rerr = rcnt > 0 ? rsum / (double)rcnt : INFINITY;
  *max_rerr = rmax;
}

static void test_y(void) {
  const branch br[3] = {{{10, 30, 20}, {40, 30, 20}, 4.0},
                        {{40, 30, 20}, {66, 12, 22}, 3.0},
                        {{40, 30, 20}, {66, 48, 18}, 3.0}};
  const double sp[3] = {1, 1, 1};
  carm_volume *m = draw(br, 3, 80, 60, 40, sp);
  carm_seg_tree *t = NULL;
  CHECK(carm_seg_tree_build(&t, m, NULL, NULL) == CARM_OK);
  if (t == NULL) {
    return;
  }
  double md, xd, mr, xr;
  measure(t, br, 3, &md, &xd, &mr, &xr);
  printf("Y: %lld segments, %lld bifurcations, %lld end points, centreline mean %.3f max %.3f "
         "mm, radius error mean %.3f max %.3f mm, length %.1f mm\n",
         (long long)t->n_segments, (long long)t->n_bifurcations, (long long)t->n_endpoints, md, xd,
         mr, xr, carm_seg_tree_length_mm(t));
  CHECK(t->n_bifurcations == 1);
  CHECK(t->n_endpoints == 3);
  CHECK(t->n_segments == 3);
  CHECK(t->n_roots == 1);
  CHECK(md < 0.5);
  CHECK(xd < 2.0);
  CHECK(mr < 0.5);
  if (t->n_segments == 3) {
    /* root at the widest end: the trunk's free end near x = 10 - 4 */
    const carm_seg_segment *root = &t->segments[0];
    CHECK(root->kind == CARM_SEG_SEGMENT_ROOT && root->parent == -1);
    CHECK(root->points_mm[0][0] < 12.0);
    CHECK(t->segments[1].parent == 0 && t->segments[2].parent == 0);
    CHECK(t->segments[1].kind == CARM_SEG_SEGMENT_TERMINAL);
  }
  /* root option: start at the end of the upper branch */
  carm_seg_tree_opts o = CARM_SEG_TREE_OPTS_INIT;
  o.has_root = 1;
  o.root_mm[0] = 68;
  o.root_mm[1] = 10;
  o.root_mm[2] = 22;
  carm_seg_tree *t2 = NULL;
  CHECK(carm_seg_tree_build(&t2, m, &o, NULL) == CARM_OK);
  if (t2 != NULL && t2->n_segments == 3) {
    const carm_seg_segment *root = &t2->segments[0];
    CHECK(root->points_mm[0][0] > 60.0 && root->points_mm[0][1] < 18.0);
    CHECK(t2->segments[1].parent == 0 && t2->segments[2].parent == 0);
  }
  carm_seg_tree_destroy(t2);

  /* export */
  char json[256], vtk[256];
  snprintf(json, sizeof json, "seg_tree_%d.json", (int)getpid());
  snprintf(vtk, sizeof vtk, "seg_tree_%d.vtk", (int)getpid());
  CHECK(strcmp(t->kind, "vessel") == 0);
  memcpy(t->kind, "artery", 7);
  CHECK(carm_seg_tree_write_json(t, json) == CARM_OK);
  CHECK(carm_seg_tree_write_vtk(t, vtk) == CARM_OK);
  json_error_t err;
  json_t *doc = json_load_file(json, 0, &err);
  CHECK(doc != NULL);
  if (doc != NULL) {
    json_t *segs = json_object_get(doc, "segments");
    CHECK(strcmp(json_string_value(json_object_get(doc, "format")), "carm-vessel-tree") == 0);
    CHECK(json_array_size(segs) == (size_t)t->n_segments);
    json_t *s0 = json_array_get(segs, 0);
    CHECK(json_integer_value(json_object_get(s0, "id")) == 0);
    CHECK(json_is_null(json_object_get(s0, "parent")));
    CHECK(strcmp(json_string_value(json_object_get(s0, "kind")), "artery") == 0);
    CHECK(strcmp(json_string_value(json_object_get(s0, "topology")), "root") == 0);
    json_t *s1 = json_array_get(segs, 1);
    CHECK(json_integer_value(json_object_get(s1, "parent")) == 0);
    CHECK(json_integer_value(json_object_get(s1, "generation")) == 1);
    json_t *pts = json_object_get(s0, "points"), *rad = json_object_get(s0, "radius");
    CHECK(json_array_size(pts) == (size_t)t->segments[0].n_points);
    CHECK(json_array_size(rad) == json_array_size(pts));
    CHECK_NEAR(json_real_value(json_array_get(json_array_get(pts, 0), 0)),
               t->segments[0].points_mm[0][0], 1e-6);
    json_decref(doc);
  }
  FILE *f = fopen(vtk, "r");
  CHECK(f != NULL);
  if (f != NULL) {
    char line[128] = "";
    CHECK(fgets(line, sizeof line, f) != NULL && strncmp(line, "# vtk DataFile", 14) == 0);
    int lines = 0;
    while (fgets(line, sizeof line, f) != NULL) {
      lines += strncmp(line, "LINES ", 6) == 0;
    }
    CHECK(lines == 1);
    fclose(f);
  }
  remove(json);
  remove(vtk);
  CHECK(carm_seg_tree_write_json(t, "no/such/dir/tree.json") == CARM_ERR_IO);
  CHECK(access("no/such/dir/tree.json", F_OK) != 0);
  CHECK(carm_seg_tree_write_vtk(NULL, vtk) == CARM_ERR_INVALID);
  carm_seg_tree_destroy(t);
  carm_seg_tree_destroy(NULL);
  carm_volume_destroy(m);
}

static void test_branching_anisotropic(void) {
  /* trunk, two daughters, each daughter splits once more: 3 bifurcations,
   * 5 end points, 7 segments; voxels 0.8 x 0.8 x 1.0 mm */
  const branch br[7] = {{{8, 30, 20}, {30, 30, 20}, 3.5},  {{30, 30, 20}, {48, 16, 20}, 2.6},
                        {{30, 30, 20}, {48, 44, 20}, 2.6}, {{48, 16, 20}, {66, 8, 24}, 2.0},
                        {{48, 16, 20}, {66, 22, 14}, 2.0}, {{48, 44, 20}, {66, 38, 25}, 2.0},
                        {{48, 44, 20}, {66, 53, 16}, 2.0}};
  const double sp[3] = {0.8, 0.8, 1.0};
  carm_volume *m = draw(br, 7, 95, 78, 40, sp);
  carm_seg_tree *t = NULL;
  CHECK(carm_seg_tree_build(&t, m, NULL, NULL) == CARM_OK);
  if (t == NULL) {
    return;
  }
  double md, xd, mr, xr;
  measure(t, br, 7, &md, &xd, &mr, &xr);
  printf("tree: %lld segments, %lld bifurcations, %lld end points, centreline mean %.3f max %.3f "
         "mm, radius error mean %.3f max %.3f mm\n",
         (long long)t->n_segments, (long long)t->n_bifurcations, (long long)t->n_endpoints, md, xd,
         mr, xr);
  CHECK(t->n_bifurcations == 3);
  CHECK(t->n_endpoints == 5);
  CHECK(t->n_segments == 7);
  CHECK(md < 0.5 * 0.8);
  CHECK(mr < 0.5);
  /* parents come before children and are valid ids */
  int order = 1;
  for (int64_t s = 0; s < t->n_segments; s++) {
    order = order && t->segments[s].id == s && t->segments[s].parent < t->segments[s].id;
  }
  CHECK(order);
  carm_seg_tree_destroy(t);
  carm_volume_destroy(m);
}

/* A tube with a bump: thinning leaves a spur, which the default pruning
 * removes and which a tree without pruning keeps as a side branch. */
static void test_spur(void) {
  const double sp[3] = {1, 1, 1};
  const branch br[1] = {{{8, 20, 20}, {52, 20, 20}, 4.0}};
  carm_volume *m = draw(br, 1, 60, 40, 40, sp);
  double bump[3] = {30, 24.5, 20};
  draw_capsule(m, bump, bump, 2.5, 1.0f);
  carm_seg_tree_opts o = CARM_SEG_TREE_OPTS_INIT;
  o.spur_radius_factor = 0.0;
  o.min_spur_mm = 0.0;
  carm_seg_tree *raw = NULL, *pruned = NULL;
  CHECK(carm_seg_tree_build(&raw, m, &o, NULL) == CARM_OK);
  CHECK(carm_seg_tree_build(&pruned, m, NULL, NULL) == CARM_OK);
  if (raw != NULL && pruned != NULL) {
    printf("bumped tube: %lld segments without pruning, %lld with\n", (long long)raw->n_segments,
           (long long)pruned->n_segments);
    CHECK(raw->n_bifurcations >= 1);
    CHECK(pruned->n_bifurcations == 0);
    CHECK(pruned->n_segments == 1);
    CHECK(pruned->n_endpoints == 2);
  }
  carm_seg_tree_destroy(raw);
  carm_seg_tree_destroy(pruned);
  o.version = 2;
  CHECK(carm_seg_tree_build(&raw, m, &o, NULL) == CARM_ERR_INVALID);
  /* an empty mask gives an empty tree, which still exports */
  carm_volume *empty = make_like(m);
  carm_seg_tree *none = NULL;
  CHECK(carm_seg_tree_build(&none, empty, NULL, NULL) == CARM_OK);
  if (none != NULL) {
    CHECK(none->n_segments == 0 && none->n_roots == 0 && none->n_bifurcations == 0);
    char path[64];
    snprintf(path, sizeof path, "seg_empty_%d.json", (int)getpid());
    CHECK(carm_seg_tree_write_json(none, path) == CARM_OK);
    remove(path);
  }
  carm_seg_tree_destroy(none);
  carm_volume_destroy(empty);
  CHECK(carm_seg_tree_build(NULL, m, NULL, NULL) == CARM_ERR_INVALID);
  carm_volume_destroy(m);
}

/* The whole chain on a noisy image: vesselness, hysteresis, small
 * component removal, tree; the Y's topology survives the noise. */
static void test_pipeline(void) {
  const branch br[3] = {{{6, 30, 20}, {36, 30, 20}, 3.0},
                        {{36, 30, 20}, {60, 14, 22}, 2.2},
                        {{36, 30, 20}, {60, 46, 18}, 2.2}};
  const double sp[3] = {1, 1, 1};
  carm_volume *truth = draw(br, 3, 68, 60, 40, sp), *img = make_like(truth);
  carm_rng rng;
  carm_rng_seed(&rng, 99);
  for (int64_t n = 0; n < carm_volume_count(img); n++) {
    img->data[n] = (float)(100.0 + 200.0 * truth->data[n] + 20.0 * carm_rng_normal(&rng));
  }
  carm_volume *ves = make_like(img), *hy = make_like(img), *mask = make_like(img);
  carm_seg_vesselness_opts vo = CARM_SEG_VESSELNESS_OPTS_INIT;
  vo.sigmas_mm[0] = 1.5;
  vo.sigmas_mm[1] = 2.0;
  vo.sigmas_mm[2] = 2.5;
  CHECK(carm_seg_vesselness(ves, NULL, img, &vo) == CARM_OK);
  CHECK(carm_seg_hysteresis(hy, ves, 0.1, 0.4, 26) == CARM_OK);
  CHECK(carm_seg_keep_largest(mask, hy, 26, 1) == CARM_OK);
  carm_seg_tree *t = NULL;
  CHECK(carm_seg_tree_build(&t, mask, NULL, NULL) == CARM_OK);
  if (t != NULL) {
    double md, xd, mr, xr;
    measure(t, br, 3, &md, &xd, &mr, &xr);
    printf("noisy Y through vesselness: %lld segments, %lld bifurcations, centreline mean %.3f "
           "mm, radius error mean %.3f mm\n",
           (long long)t->n_segments, (long long)t->n_bifurcations, md, mr);
    CHECK(t->n_bifurcations == 1);
    CHECK(t->n_endpoints == 3);
    CHECK(md < 0.5);
  }
  carm_seg_tree_destroy(t);
  carm_volume_destroy(truth);
  carm_volume_destroy(img);
  carm_volume_destroy(ves);
  carm_volume_destroy(hy);
  carm_volume_destroy(mask);
}

int main(void) {
  test_y();
  test_spur();
  test_pipeline();
  test_branching_anisotropic();
  return check_done();
}
