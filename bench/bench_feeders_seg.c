/* Feeders on SEGMENTED trees: a liver twin (arteries of radius >= 1 mm so
 * that a 1 mm grid resolves them) is voxelised noise-free on a 1 mm grid
 * around the liver, the artery mask (labels 4 and 9) is turned into a tree
 * by carm_seg_tree_build (root at the catheter tip), and carm_feeders_find
 * runs on it. A truth feeder is found when a detected feeder of the same
 * tumour ends within 5 mm of its end; a detected feeder is true when it
 * ends within 5 mm of a truth feeder's end. Not run by ctest (minutes).
 * usage: bench_feeders_seg [first_seed [n_seeds]] */
#include "carm/guide.h"
#include "carm/twin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double d3(const double *a, const double *b) {
  double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
  return carm_vec3_norm(d);
}

int main(int argc, char **argv) {
  int first = argc > 1 ? atoi(argv[1]) : 1, n = argc > 2 ? atoi(argv[2]) : 3;
  long tp_s = 0, fn_s = 0, tp_p = 0, fp_p = 0;
  for (int seed = first; seed < first + n; seed++) {
    double t0 = now();
    carm_twin_opts o = CARM_TWIN_INIT;
    o.seed = (uint64_t)seed;
    o.min_radius_mm = 1.0;
    carm_twin *tw = NULL;
    if (carm_twin_create(&tw, &o) != CARM_OK) {
      fprintf(stderr, "twin %d: %s\n", seed, carm_last_error());
      return 1;
    }
    /* a 1 mm grid around the liver and the catheter tip */
    const carm_twin_segment *cat = &tw->segments[tw->catheter_segment];
    const double *tip = cat->points_mm[cat->n_points - 1];
    carm_volume *fov = NULL;
    carm_twin_fov_grid(1.0, &fov);
    carm_volume *lab = fov;
    carm_twin_labels(tw, lab);
    double t1 = now();
    carm_volume *mask = NULL;
    carm_volume_create_like(&mask, lab);
    int64_t nv = carm_volume_count(lab);
    for (int64_t v = 0; v < nv; v++) {
      long l = lroundf(lab->data[v]);
      mask->data[v] = (l == CARM_TWIN_LABEL_ARTERY || l == CARM_TWIN_LABEL_CATHETER) ? 1.0f : 0.0f;
    }
    carm_seg_tree_opts to = CARM_SEG_TREE_OPTS_INIT;
    to.has_root = 1;
    for (int a = 0; a < 3; a++) {
      to.root_mm[a] = tip[a];
    }
    carm_seg_tree *tree = NULL;
    if (carm_seg_tree_build(&tree, mask, &to, NULL) != CARM_OK) {
      fprintf(stderr, "tree %d: %s\n", seed, carm_last_error());
      return 1;
    }
    double t2 = now();
    carm_label_set ts;
    carm_label_set_parse(&ts, "10-19");
    carm_feeders *f = NULL;
    if (carm_feeders_find(&f, tree, tip, lab, &ts, NULL) != CARM_OK) {
      fprintf(stderr, "feeders %d: %s\n", seed, carm_last_error());
      return 1;
    }
    long tps = 0, fns = 0, tpp = 0, fpp = 0;
    for (int k = 0; k < tw->n_tumours; k++) {
      const carm_twin_tumour *tu = &tw->tumours[k];
      const carm_tumour_feeders *tf = NULL;
      for (int t = 0; t < f->n_tumours; t++) {
        tf = f->tumours[t].label == tu->label ? &f->tumours[t] : tf;
      }
      for (int i = 0; i < tu->n_feeders; i++) {
        const carm_twin_segment *g = &tw->segments[tu->feeders[i]];
        int found = 0;
        for (int64_t j = 0; tf != NULL && j < tf->n_feeders; j++) {
          const carm_seg_segment *s = &tree->segments[tf->feeders[j].segment];
          found |= d3(s->points_mm[s->n_points - 1], g->points_mm[g->n_points - 1]) < 5.0;
        }
        tps += found;
        fns += !found;
        if (!found && getenv("BENCH_VERBOSE") != NULL) {
          /* why: the nearest segmented end, its kind, downstream or not */
          const double *e = g->points_mm[g->n_points - 1];
          double bd = INFINITY;
          int64_t bs = -1;
          for (int64_t q = 0; q < tree->n_segments; q++) {
            const carm_seg_segment *sq = &tree->segments[q];
            for (int64_t m = 0; m < sq->n_points; m++) {
              double d = d3(sq->points_mm[m], e);
              if (d < bd) {
                bd = d;
                bs = q;
              }
            }
          }
          const carm_seg_segment *sq = &tree->segments[bs];
          double de = d3(sq->points_mm[sq->n_points - 1], e);
          double dfe = INFINITY;
          for (int64_t j = 0; tf != NULL && j < tf->n_feeders; j++) {
            const carm_seg_segment *s2 = &tree->segments[tf->feeders[j].segment];
            double d = d3(s2->points_mm[s2->n_points - 1], e);
            dfe = d < dfe ? d : dfe;
          }
          printf("  missed tumour %d truth segment %d (r %.2f mm): nearest tree point %.1f mm on "
                 "segment %lld (%s, downstream %d, its end %.1f mm away); nearest "
                 "detected feeder end %.1f mm\n",
                 tu->label, tu->feeders[i], g->radius_mm[g->n_points - 1], bd, (long long)bs,
                 sq->kind == CARM_SEG_SEGMENT_TERMINAL ? "terminal" : "inner", f->downstream[bs],
                 de, dfe);
        }
      }
      for (int64_t j = 0; tf != NULL && j < tf->n_feeders; j++) {
        const carm_seg_segment *s = &tree->segments[tf->feeders[j].segment];
        int ok = 0;
        for (int i = 0; i < tu->n_feeders; i++) {
          const carm_twin_segment *g = &tw->segments[tu->feeders[i]];
          ok |= d3(s->points_mm[s->n_points - 1], g->points_mm[g->n_points - 1]) < 5.0;
        }
        tpp += ok;
        fpp += !ok;
      }
    }
    printf("seed %d: tree %lld segments; truth feeders %ld found %ld; detected %ld true %ld; "
           "labels %.1f s, tree %.1f s\n",
           seed, (long long)tree->n_segments, tps + fns, tps, tpp + fpp, tpp, t1 - t0, t2 - t1);
    fflush(stdout);
    tp_s += tps;
    fn_s += fns;
    tp_p += tpp;
    fp_p += fpp;
    carm_feeders_destroy(f);
    carm_seg_tree_destroy(tree);
    carm_volume_destroy(mask);
    carm_volume_destroy(lab);
    carm_twin_destroy(tw);
  }
  printf("sensitivity %.1f %% (%ld/%ld), PPV %.1f %% (%ld/%ld)\n",
         100.0 * (double)tp_s / (double)(tp_s + fn_s), tp_s, tp_s + fn_s,
         100.0 * (double)tp_p / (double)(tp_p + fp_p), tp_p, tp_p + fp_p);
  return 0;
}
