/* Shared by test_feeders.c (twins 1-10) and test_feeders_more.c (twins
 * 11-20): tumour feeders on liver twins against the twins' truth. The
 * feeders found from the catheter tip on the twin's true arterial tree and
 * label volume (3 mm grid) are compared with the truth (arterial segments
 * ending in each tumour); sensitivity and PPV over the range must both be
 * >= 95 %; per-twin numbers are printed. Also: the virtual injection from
 * the tree's root perfuses (nearly) the whole liver. */
#ifndef CARM_TESTS_GUIDE_FEEDERS_EVAL_H
#define CARM_TESTS_GUIDE_FEEDERS_EVAL_H
#include "../check.h"
#include "carm/guide.h"
#include "carm/tree_io.h"
#include "carm/twin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int feeders_eval(uint64_t first, uint64_t last) {
  char path[256];
  snprintf(path, sizeof path, "feeders_tree_%llu_%ld.json", (unsigned long long)first,
           (long)getpid());
  int64_t tp_all = 0, fn_all = 0, fp_all = 0;
  carm_label_set tumours, liver;
  CHECK(carm_label_set_parse(&tumours, "10-19") == CARM_OK);
  CHECK(carm_label_set_parse(&liver, "3,10-20") == CARM_OK);
  for (uint64_t seed = first; seed <= last; seed++) {
    carm_twin_opts o = CARM_TWIN_INIT;
    o.seed = seed;
    carm_twin *tw = NULL;
    carm_volume *lab = NULL;
    carm_seg_tree *tree = NULL;
    int64_t *src = NULL;
    carm_feeders *f = NULL;
    if (carm_twin_create(&tw, &o) != CARM_OK) {
      CHECK(0);
      continue;
    }
    CHECK(carm_twin_write_tree(tw, path) == CARM_OK);
    CHECK(carm_seg_tree_read_json(&tree, &src, path, "artery") == CARM_OK);
    CHECK(carm_twin_fov_grid(3.0, &lab) == CARM_OK);
    CHECK(carm_twin_labels(tw, lab) == CARM_OK);
    CHECK(tw->catheter_segment >= 0);
    const carm_twin_segment *cat = &tw->segments[tw->catheter_segment];
    const double *tip = cat->points_mm[cat->n_points - 1];
    CHECK(carm_feeders_find(&f, tree, tip, lab, &tumours, NULL) == CARM_OK);
    if (f == NULL || tree == NULL) {
      continue;
    }
    int64_t tp = 0, fn = 0, fp = 0;
    for (int k = 0; k < tw->n_tumours; k++) {
      const carm_twin_tumour *tu = &tw->tumours[k];
      const carm_tumour_feeders *tf = NULL;
      for (int t = 0; t < f->n_tumours; t++) {
        if (f->tumours[t].label == tu->label) {
          tf = &f->tumours[t];
        }
      }
      int64_t n_found = tf != NULL ? tf->n_feeders : 0;
      for (int i = 0; i < tu->n_feeders; i++) {
        int found = 0;
        for (int64_t j = 0; j < n_found; j++) {
          found |= src[tf->feeders[j].segment] == tu->feeders[i];
        }
        tp += found;
        fn += !found;
      }
      for (int64_t j = 0; j < n_found; j++) {
        int truth = 0;
        for (int i = 0; i < tu->n_feeders; i++) {
          truth |= src[tf->feeders[j].segment] == tu->feeders[i];
        }
        fp += !truth;
      }
    }
    double perf = 0.0, liv = 0.0;
    if (seed <= first + 1) {
      /* injection at the first artery root's start: the whole liver */
      carm_feeders *g = NULL;
      CHECK(carm_feeders_find(&g, tree, tree->segments[0].points_mm[0], lab, &tumours, NULL) ==
            CARM_OK);
      CHECK(carm_feeders_territory(tree, g, lab, &liver, NULL, &perf, &liv) == CARM_OK);
      CHECK(perf > 0.99 * liv);
      carm_feeders_destroy(g);
    }
    printf("twin seed %2llu: tumours %d, truth feeders %lld, found %lld, TP %lld FN %lld FP %lld"
           " (tip %.2f mm from tree)%s\n",
           (unsigned long long)seed, tw->n_tumours, (long long)(tp + fn), (long long)(tp + fp),
           (long long)tp, (long long)fn, (long long)fp, f->tip_distance_mm, "");
    if (seed <= first + 1) {
      printf("  injection at the root: perfused %.1f of %.1f mL liver\n", perf, liv);
    }
    tp_all += tp;
    fn_all += fn;
    fp_all += fp;
    carm_feeders_destroy(f);
    free(src);
    carm_seg_tree_destroy(tree);
    carm_volume_destroy(lab);
    carm_twin_destroy(tw);
  }
  remove(path);
  double sens = (double)tp_all / (double)(tp_all + fn_all);
  double ppv = (double)tp_all / (double)(tp_all + fp_all);
  printf("twins %llu-%llu: TP %lld FN %lld FP %lld: sensitivity %.1f %%, PPV %.1f %%\n",
         (unsigned long long)first, (unsigned long long)last, (long long)tp_all, (long long)fn_all,
         (long long)fp_all, 100.0 * sens, 100.0 * ppv);
  CHECK(tp_all > 0);
  CHECK(sens >= 0.95);
  CHECK(ppv >= 0.95);
  return 0;
}

#endif
