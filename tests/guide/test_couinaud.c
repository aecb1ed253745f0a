/* Couinaud segments from the portal and hepatic veins of 20 liver twins:
 * the landmarks are found from the twins' vessel trees (JSON, read with
 * carm_seg_tree_read_json), and every tumour's segment (from its centre
 * and from the centroid of its voxels) must equal the twin's truth. The
 * portal-territory method with portal branches labelled by the planes at
 * their ends is reported (agreement), and checked on a synthetic tree. */
#include "../check.h"
#include "carm/guide.h"
#include "carm/tree_io.h"
#include "carm/twin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char path[256];
  snprintf(path, sizeof path, "couinaud_tree_%ld.json", (long)getpid());
  int n = 0, ok_plane = 0, ok_portal = 0;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    carm_twin_opts o = CARM_TWIN_INIT;
    o.seed = seed;
    o.hypovascular = 1;
    carm_twin *tw = NULL;
    if (carm_twin_create(&tw, &o) != CARM_OK) {
      CHECK(0);
      continue;
    }
    carm_seg_tree *portal = NULL, *hepatic = NULL;
    CHECK(carm_twin_write_tree(tw, path) == CARM_OK);
    CHECK(carm_seg_tree_read_json(&portal, NULL, path, "portal_vein") == CARM_OK);
    CHECK(carm_seg_tree_read_json(&hepatic, NULL, path, "hepatic_vein") == CARM_OK);
    carm_couinaud_landmarks lm;
    CHECK(carm_couinaud_landmarks_from_trees(&lm, portal, hepatic) == CARM_OK);
    CHECK_NEAR(lm.bifurcation_mm[2], tw->portal_bifurcation_mm[2], 1e-6);
    CHECK_NEAR(lm.confluence_mm[2], tw->ivc_axis_mm[2], 1e-6);
    /* portal branches labelled by the planes at their ends */
    char(*lab)[4] = calloc((size_t)portal->n_segments, sizeof *lab);
    for (int64_t s = 0; lab != NULL && s < portal->n_segments; s++) {
      const carm_seg_segment *g = &portal->segments[s];
      if (g->kind == CARM_SEG_SEGMENT_TERMINAL) {
        carm_couinaud_planes(&lm, g->points_mm[g->n_points - 1], lab[s]);
      }
    }
    int nt = tw->n_tumours + (tw->has_hypo ? 1 : 0);
    for (int k = 0; k < nt; k++) {
      const carm_twin_tumour *tu = k < tw->n_tumours ? &tw->tumours[k] : &tw->hypo;
      char seg[4], por[4];
      carm_couinaud_planes(&lm, tu->centre_mm, seg);
      carm_couinaud_portal(portal, (const char(*)[4])lab, tu->centre_mm, por);
      int same = strcmp(seg, tu->couinaud) == 0;
      CHECK(same);
      n++;
      ok_plane += same;
      ok_portal += strcmp(por, tu->couinaud) == 0;
      printf("twin %2llu lesion %d: truth %-2s planes %-2s portal-territory %-2s\n",
             (unsigned long long)seed, tu->label, tu->couinaud, seg, por);
    }
    free(lab);
    carm_seg_tree_destroy(portal);
    carm_seg_tree_destroy(hepatic);
    carm_twin_destroy(tw);
  }
  remove(path);
  printf("planes: %d of %d lesions equal the truth; portal territory: %d of %d\n", ok_plane, n,
         ok_portal, n);
  CHECK(n >= 20);
  /* synthetic: two labelled portal branches; the nearest one wins */
  double a[2][3] = {{0, 0, 0}, {-50, 0, 0}}, b[2][3] = {{0, 0, 0}, {50, 0, 0}};
  double r[2] = {2, 2};
  carm_seg_segment segs[2] = {{0, -1, CARM_SEG_SEGMENT_ROOT, 2, a, r},
                              {1, -1, CARM_SEG_SEGMENT_ROOT, 2, b, r}};
  carm_seg_tree t = {2, segs, 0, 4, 2, "portal"};
  char labels2[2][4] = {"6", "3"};
  char out[4];
  carm_couinaud_portal(&t, (const char(*)[4])labels2, (double[3]){-30, 10, 0}, out);
  CHECK(strcmp(out, "6") == 0);
  carm_couinaud_portal(&t, (const char(*)[4])labels2, (double[3]){40, -10, 5}, out);
  CHECK(strcmp(out, "3") == 0);
  return check_done();
}
