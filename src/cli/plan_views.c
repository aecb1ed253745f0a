/* carm plan views: best C-arm working views for a vessel path of a tree. */
#include "carm/guide.h"
#include "carm/tree_io.h"
#include "cli/cli.h"
#include "cli/plan_guide.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: carm plan views --tree T.json --segment ID [--tip x,y,z] [--kind artery|all]\n"
    "                       [--step DEG] [--lao-range MIN,MAX] [--cra-range MIN,MAX]\n"
    "                       [--best N] [--map M.png] [-o FILE]\n"
    "\n"
    "Working views for the path from the tip (default: the root of the segment's\n"
    "tree) to the end of segment ID (an id of the tree file): foreshortening and\n"
    "overlap with every other segment of the tree over a LAO/RAO x CRA/CAU grid\n"
    "within the C-arm limits (default +-120, +-45 degrees, 5 degree steps). Prints\n"
    "the N best views (default 5) as JSON (stdout, or -o FILE); --map writes the\n"
    "optimal-view map.\n"
    "\n"
    "example:\n"
    "  carm plan views --tree tree.json --segment 58 --map views.png\n";

static int score_cmp(const void *pa, const void *pb) {
  const carm_view_score *a = pa, *b = pb;
  return a->score < b->score ? -1 : (a->score > b->score ? 1 : 0);
}

int carm_plan_views(int argc, char **argv) {
  const char *cmd = "plan views";
  if (cli_wants_help(argc, argv)) {
    fputs(usage, stdout);
    return CLI_OK;
  }
  const char *tree_path = NULL, *map = NULL, *kind = "artery", *out_path = "-";
  int64_t seg_id = -1, best_n = 5;
  double tip[3] = {NAN, NAN, NAN};
  carm_views_opts vo = CARM_VIEWS_INIT;
  int kind_given = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "option '%s' needs a value (see --help)", a);
    }
    i++;
    int bad = 0;
    double r[2];
    if (strcmp(a, "--tree") == 0) {
      tree_path = v;
    } else if (strcmp(a, "--segment") == 0) {
      bad = cli_parse_int64(v, &seg_id) != 0;
    } else if (strcmp(a, "--tip") == 0) {
      bad = cli_parse_doubles(v, tip, 3) != 0;
    } else if (strcmp(a, "--kind") == 0) {
      kind = strcmp(v, "all") == 0 ? NULL : v;
      kind_given = 1;
    } else if (strcmp(a, "--step") == 0) {
      bad = cli_parse_double(v, &vo.step_deg) != 0 || vo.step_deg < 1 || vo.step_deg > 45;
    } else if (strcmp(a, "--lao-range") == 0) {
      bad = cli_parse_doubles(v, r, 2) != 0 || r[0] > r[1];
      vo.lao_min_deg = r[0];
      vo.lao_max_deg = r[1];
    } else if (strcmp(a, "--cra-range") == 0) {
      bad = cli_parse_doubles(v, r, 2) != 0 || r[0] > r[1];
      vo.cra_min_deg = r[0];
      vo.cra_max_deg = r[1];
    } else if (strcmp(a, "--best") == 0) {
      bad = cli_parse_int64(v, &best_n) != 0 || best_n < 1 || best_n > 100;
    } else if (strcmp(a, "--map") == 0) {
      map = v;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      out_path = v;
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see --help)", a);
    }
    if (bad) {
      return cli_fail(CLI_USAGE, cmd, "bad value '%s' for %s", v, a);
    }
  }
  if (tree_path == NULL || seg_id < 0) {
    return cli_fail(CLI_USAGE, cmd, "--tree and --segment are required (see --help)");
  }
  int rc = CLI_FAIL;
  carm_seg_tree *tree = NULL;
  int64_t *src = NULL;
  carm_feeders *f = NULL;
  carm_polyline *others = NULL;
  carm_view_score *cells = NULL;
  double(*pts)[3] = NULL;
  double *rad = NULL;
  json_t *doc = NULL;
  carm_status st = carm_seg_tree_read_json(&tree, &src, tree_path, kind);
  if (st == CARM_ERR_INVALID && !kind_given) {
    st = carm_seg_tree_read_json(&tree, &src, tree_path, NULL);
  }
  if (st != CARM_OK) {
    rc = cli_status(cmd, "cannot read the tree", st);
    goto done;
  }
  int64_t s = -1;
  for (int64_t k = 0; k < tree->n_segments; k++) {
    s = src[k] == seg_id ? k : s;
  }
  if (s < 0) {
    rc = cli_fail(CLI_FAIL, cmd, "no segment %lld in %s", (long long)seg_id, tree_path);
    goto done;
  }
  if (!isfinite(tip[0])) {
    int64_t r = s;
    while (tree->segments[r].parent >= 0) {
      r = tree->segments[r].parent;
    }
    memcpy(tip, tree->segments[r].points_mm[0], sizeof tip);
  }
  /* the path: the feeder machinery with an empty label volume gives the
   * downstream set; the path is walked here */
  int64_t one[3] = {1, 1, 1};
  carm_volume *empty = NULL;
  carm_label_set none;
  memset(&none, 0, sizeof none);
  if ((st = carm_volume_create(&empty, one)) == CARM_OK) {
    st = carm_feeders_find(&f, tree, tip, empty, &none, NULL);
  }
  carm_volume_destroy(empty);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "path", st);
    goto done;
  }
  if (!f->downstream[s]) {
    rc = cli_fail(CLI_FAIL, cmd, "segment %lld is not downstream of the tip", (long long)seg_id);
    goto done;
  }
  carm_feeder fd;
  memset(&fd, 0, sizeof fd);
  int64_t depth = 0;
  for (int64_t q = s; q >= 0 && f->downstream[q]; q = tree->segments[q].parent) {
    depth++;
  }
  int64_t path[4096];
  if (depth > 4096) {
    rc = cli_fail(CLI_FAIL, cmd, "path too deep");
    goto done;
  }
  int64_t k = depth;
  for (int64_t q = s; q >= 0 && f->downstream[q]; q = tree->segments[q].parent) {
    path[--k] = q;
  }
  fd.segment = s;
  fd.n_path = depth;
  fd.path = path;
  int64_t np = 0;
  if ((st = carm_feeder_path_points(tree, f, &fd, &pts, &rad, &np)) != CARM_OK) {
    rc = cli_status(cmd, "path", st);
    goto done;
  }
  others = calloc((size_t)tree->n_segments, sizeof *others);
  if (others == NULL) {
    rc = cli_fail(CLI_FAIL, cmd, "out of memory");
    goto done;
  }
  int64_t n_others = 0;
  for (int64_t q = 0; q < tree->n_segments; q++) {
    int on = 0;
    for (int64_t j = 0; j < depth; j++) {
      on |= path[j] == q;
    }
    if (!on) {
      const carm_seg_segment *g = &tree->segments[q];
      others[n_others++] =
          (carm_polyline){g->n_points, (const double(*)[3])g->points_mm, g->radius_mm};
    }
  }
  carm_polyline target = {np, (const double(*)[3])pts, rad};
  int rows = 0, cols = 0;
  if ((st = carm_working_views(&target, others, n_others, &vo, &cells, &rows, &cols)) != CARM_OK) {
    rc = cli_status(cmd, "working views", st);
    goto done;
  }
  if (map != NULL) {
    carm_picture *pic = NULL;
    st = carm_views_map_picture(&pic, cells, rows, cols, 8);
    if (st == CARM_OK) {
      st = carm_picture_write_png(pic, map);
    }
    carm_picture_destroy(pic);
    if (st != CARM_OK) {
      rc = cli_status(cmd, "map", st);
      goto done;
    }
  }
  qsort(cells, (size_t)rows * (size_t)cols, sizeof *cells, score_cmp);
  doc = json_object();
  json_object_set_new(doc, "format", json_string("carm-working-views"));
  json_object_set_new(doc, "version", json_integer(1));
  json_object_set_new(doc, "segment", json_integer((json_int_t)seg_id));
  json_object_set_new(doc, "path_points", json_integer((json_int_t)np));
  json_t *arr = json_array();
  for (int64_t j = 0; j < best_n && j < (int64_t)rows * cols; j++) {
    json_array_append_new(arr, json_pack("{s:f, s:f, s:f, s:f, s:f}", "lao_deg", cells[j].lao_deg,
                                         "cra_deg", cells[j].cra_deg, "foreshortening",
                                         cells[j].foreshortening, "overlap", cells[j].overlap,
                                         "score", cells[j].score));
  }
  json_object_set_new(doc, "best", arr);
  if (map != NULL) {
    json_object_set_new(doc, "map", json_string(map));
  }
  if (plan_write_json(cmd, doc, out_path) == 0) {
    rc = CLI_OK;
  }
done:
  json_decref(doc);
  free(cells);
  free(others);
  free(pts);
  free(rad);
  carm_feeders_destroy(f);
  free(src);
  carm_seg_tree_destroy(tree);
  return rc;
}
