/* carm_seg_tree_read_json: a seg tree written by carm_seg_tree_write_json
 * reads back equal; the twin's tree (points_mm/radius_mm, kinds) reads
 * with a kind filter and keeps its parent links; bad files are refused. */
#include "../check.h"
#include "carm/tree_io.h"
#include "carm/twin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f != NULL) {
    fputs(text, f);
    fclose(f);
  }
}

int main(void) {
  char path[256];
  snprintf(path, sizeof path, "tree_read_%ld.json", (long)getpid());
  /* a hand-made seg tree, written then read back */
  double p0[3][3] = {{0, 0, 0}, {0, 0, 10}, {0, 0, 20}};
  double p1[2][3] = {{0, 0, 20}, {5, 0, 30}};
  double p2[2][3] = {{0, 0, 20}, {-5, 0, 30}};
  double r0[3] = {2, 2, 1.5}, r1[2] = {1, 0.8}, r2[2] = {1, 0.7};
  carm_seg_segment segs[3] = {{0, -1, CARM_SEG_SEGMENT_ROOT, 3, p0, r0},
                              {1, 0, CARM_SEG_SEGMENT_TERMINAL, 2, p1, r1},
                              {2, 0, CARM_SEG_SEGMENT_TERMINAL, 2, p2, r2}};
  carm_seg_tree t = {3, segs, 1, 3, 1, "artery"};
  CHECK(carm_seg_tree_write_json(&t, path) == CARM_OK);
  carm_seg_tree *r = NULL;
  CHECK(carm_seg_tree_read_json(&r, NULL, path, NULL) == CARM_OK);
  if (r != NULL) {
    CHECK(r->n_segments == 3);
    CHECK(r->n_roots == 1 && r->n_bifurcations == 1 && r->n_endpoints == 3);
    CHECK(strcmp(r->kind, "artery") == 0);
    for (int s = 0; s < 3; s++) {
      CHECK(r->segments[s].parent == segs[s].parent);
      CHECK(r->segments[s].kind == segs[s].kind);
      CHECK(r->segments[s].n_points == segs[s].n_points);
      for (int64_t i = 0; i < segs[s].n_points; i++) {
        CHECK_NEAR(r->segments[s].radius_mm[i], segs[s].radius_mm[i], 1e-12);
        for (int a = 0; a < 3; a++) {
          CHECK_NEAR(r->segments[s].points_mm[i][a], segs[s].points_mm[i][a], 1e-12);
        }
      }
    }
    carm_seg_tree_destroy(r);
  }
  /* the twin's tree: arteries only, parent links kept (ids map back) */
  carm_twin_opts o = CARM_TWIN_INIT;
  carm_twin *tw = NULL;
  CHECK(carm_twin_create(&tw, &o) == CARM_OK);
  CHECK(carm_twin_write_tree(tw, path) == CARM_OK);
  int64_t *src = NULL;
  r = NULL;
  CHECK(carm_seg_tree_read_json(&r, &src, path, "artery") == CARM_OK);
  if (r != NULL && tw != NULL) {
    int n_art = 0;
    for (int s = 0; s < tw->n_segments; s++) {
      n_art += tw->segments[s].kind == CARM_TWIN_VESSEL_ARTERY;
    }
    CHECK(r->n_segments == n_art);
    for (int64_t s = 0; s < r->n_segments; s++) {
      const carm_twin_segment *g = &tw->segments[src[s]];
      CHECK(g->kind == CARM_TWIN_VESSEL_ARTERY);
      CHECK(r->segments[s].n_points == g->n_points);
      int64_t p = r->segments[s].parent;
      CHECK(p < s);
      CHECK((p < 0 ? -1 : src[p]) ==
            (g->parent >= 0 && tw->segments[g->parent].kind == CARM_TWIN_VESSEL_ARTERY ? g->parent
                                                                                       : -1));
      CHECK((r->segments[s].kind == CARM_SEG_SEGMENT_TERMINAL) ==
            (g->n_children == 0 && g->parent >= 0));
    }
  }
  CHECK(carm_seg_tree_read_json(&r, NULL, path, "no_such_kind") == CARM_ERR_INVALID);
  carm_seg_tree_destroy(r);
  free(src);
  carm_twin_destroy(tw);
  /* bad files */
  const char *bad[] = {
      "not json",
      "{\"segments\": 3}",
      "{\"segments\": [{\"id\": 0, \"parent\": 1, \"points\": [[0,0,0],[1,1,1]]},"
      " {\"id\": 1, \"parent\": 0, \"points\": [[0,0,0],[1,1,1]]}]}",
      "{\"segments\": [{\"id\": 0, \"parent\": 7, \"points\": [[0,0,0],[1,1,1]]}]}",
      "{\"segments\": [{\"id\": 0, \"parent\": null, \"points\": [[0,0,0]]}]}",
      "{\"segments\": [{\"id\": 0, \"parent\": null, \"points\": [[0,0,0],[1,1]]}]}",
      "{\"segments\": [{\"id\": 0, \"parent\": null, \"points\": [[0,0,0],[1,1,1]],"
      " \"radius\": [1]}]}",
      "{\"segments\": [{\"id\": 0, \"parent\": null, \"points\": [[0,0,0],[1,1,1]],"
      " \"radius\": [1, -2]}]}",
      "{\"segments\": [{\"id\": 0, \"parent\": null, \"points\": [[0,0,0],[1,1,1]]},"
      " {\"id\": 0, \"parent\": null, \"points\": [[0,0,0],[1,1,1]]}]}",
      "{\"segments\": [{\"id\": \"a\", \"parent\": null, \"points\": [[0,0,0],[1,1,1]]}]}",
      "{\"segments\": []}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_text(path, bad[i]);
    carm_seg_tree *x = NULL;
    carm_status st = carm_seg_tree_read_json(&x, NULL, path, NULL);
    CHECK(st < 0);
    CHECK(x == NULL);
    if (st >= 0) {
      printf("accepted bad file %zu\n", i);
      carm_seg_tree_destroy(x);
    }
  }
  remove(path);
  return check_done();
}
