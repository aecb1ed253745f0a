/* carm plan feeders: tumour feeders from a catheter tip, their working
 * views, the virtual injection (docs/planning.md). */
#include "carm/guide.h"
#include "carm/tree_io.h"
#include "cli/cli.h"
#include "cli/plan_guide.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: carm plan feeders --tree T.json --tumours L.nii.gz --tip x,y,z -o feeders.json\n"
    "                         [--margin MM] [--kind artery] [--tumour-labels 10-19]\n"
    "                         [--liver-labels 3,10-20] [--perfused P.nii.gz]\n"
    "                         [--picture P.png --volume V.mha] [--views-map M.png]\n"
    "                         [--view-step DEG]\n"
    "\n"
    "The arterial segments downstream of the catheter tip that end in each tumour\n"
    "(feeders, ranked) and those that only touch it (passing), each with the path from\n"
    "the tip (centreline points in patient mm, radius), the best C-arm working view of\n"
    "that path, and the liver territory perfused from the tip (virtual injection, mL).\n"
    "--tree: a vessel tree JSON (carm seg tree or the twin's tree; --kind picks the\n"
    "segments, default artery when the file has kinds). --tumours: a label volume;\n"
    "tumours are the labels in --tumour-labels, the liver (for the injection) the\n"
    "labels in --liver-labels (defaults: the twin's label table, docs/twin.md).\n"
    "--picture: a MIP of --volume with the tumours and the feeder paths drawn.\n"
    "--views-map: LAO x CRA map of the best feeder's view score per tumour\n"
    "(M.png, or M-<label>.png when there are several tumours).\n"
    "\n"
    "example:\n"
    "  carm plan feeders --tree twin_tree.json --tumours twin_labels.nii.gz \\\n"
    "      --tip 31.5,-5.2,-40 -o feeders.json --picture feeders.png --volume arterial.mha\n";

static void map_name(char *buf, size_t n, const char *path, int label, int several) {
  if (!several) {
    snprintf(buf, n, "%s", path);
    return;
  }
  size_t len = strlen(path);
  if (cli_has_suffix(path, ".png")) {
    len -= 4;
  }
  snprintf(buf, n, "%.*s-%d.png", (int)len, path, label);
}

int carm_plan_feeders(int argc, char **argv) {
  const char *cmd = "plan feeders";
  if (cli_wants_help(argc, argv)) {
    fputs(usage, stdout);
    return CLI_OK;
  }
  const char *tree_path = NULL, *tum_path = NULL, *out_path = NULL, *pic_path = NULL;
  const char *vol_path = NULL, *map_path = NULL, *perf_path = NULL, *kind = "artery";
  const char *tl = "10-19", *ll = "3,10-20";
  double tip[3] = {NAN, NAN, NAN}, margin = 1.0, step = 5.0;
  int kind_given = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "option '%s' needs a value (see --help)", a);
    }
    i++;
    if (strcmp(a, "--tree") == 0) {
      tree_path = v;
    } else if (strcmp(a, "--tumours") == 0) {
      tum_path = v;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      out_path = v;
    } else if (strcmp(a, "--picture") == 0) {
      pic_path = v;
    } else if (strcmp(a, "--volume") == 0) {
      vol_path = v;
    } else if (strcmp(a, "--views-map") == 0) {
      map_path = v;
    } else if (strcmp(a, "--perfused") == 0) {
      perf_path = v;
    } else if (strcmp(a, "--kind") == 0) {
      kind = strcmp(v, "all") == 0 ? NULL : v;
      kind_given = 1;
    } else if (strcmp(a, "--tumour-labels") == 0) {
      tl = v;
    } else if (strcmp(a, "--liver-labels") == 0) {
      ll = v;
    } else if (strcmp(a, "--tip") == 0) {
      if (cli_parse_doubles(v, tip, 3) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--tip needs x,y,z in mm, got '%s'", v);
      }
    } else if (strcmp(a, "--margin") == 0) {
      if (cli_parse_double(v, &margin) != 0 || margin < 0.0 || margin > 50.0) {
        return cli_fail(CLI_USAGE, cmd, "--margin needs 0..50 mm, got '%s'", v);
      }
    } else if (strcmp(a, "--view-step") == 0) {
      if (cli_parse_double(v, &step) != 0 || step < 1.0 || step > 45.0) {
        return cli_fail(CLI_USAGE, cmd, "--view-step needs 1..45 degrees, got '%s'", v);
      }
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see --help)", a);
    }
  }
  if (tree_path == NULL || tum_path == NULL || out_path == NULL || !isfinite(tip[0])) {
    return cli_fail(CLI_USAGE, cmd, "--tree, --tumours, --tip and -o are required (see --help)");
  }
  if (pic_path != NULL && vol_path == NULL) {
    return cli_fail(CLI_USAGE, cmd, "--picture needs --volume (the image to draw on)");
  }
  carm_label_set tset, lset;
  if (carm_label_set_parse(&tset, tl) != CARM_OK || carm_label_set_parse(&lset, ll) != CARM_OK) {
    return cli_fail(CLI_USAGE, cmd, "%s", carm_last_error());
  }
  int rc = CLI_FAIL;
  carm_seg_tree *tree = NULL;
  int64_t *src = NULL;
  carm_volume *lab = NULL, *perf = NULL, *vol = NULL;
  carm_feeders *f = NULL;
  carm_picture *pic = NULL;
  json_t *doc = NULL;
  carm_status st = carm_seg_tree_read_json(&tree, &src, tree_path, kind);
  if (st == CARM_ERR_INVALID && !kind_given) {
    /* a tree without kinds (carm seg tree): take every segment */
    st = carm_seg_tree_read_json(&tree, &src, tree_path, NULL);
  }
  if (st != CARM_OK) {
    rc = cli_status(cmd, "cannot read the tree", st);
    goto done;
  }
  if ((st = carm_image_read(&lab, NULL, tum_path)) != CARM_OK) {
    rc = cli_status(cmd, "cannot read the tumour labels", st);
    goto done;
  }
  carm_feeders_opts fo = CARM_FEEDERS_INIT;
  fo.margin_mm = margin;
  if ((st = carm_feeders_find(&f, tree, tip, lab, &tset, &fo)) != CARM_OK) {
    rc = cli_status(cmd, "feeders", st);
    goto done;
  }
  if (f->n_tumours == 0) {
    fprintf(stderr, "carm plan feeders: warning: no voxel of %s has a tumour label (%s)\n",
            tum_path, tl);
  }
  if ((st = carm_volume_create_like(&perf, lab)) != CARM_OK) {
    rc = cli_status(cmd, "territory", st);
    goto done;
  }
  double perf_ml = 0.0, liver_ml = 0.0;
  if ((st = carm_feeders_territory(tree, f, lab, &lset, perf, &perf_ml, &liver_ml)) != CARM_OK) {
    rc = cli_status(cmd, "territory", st);
    goto done;
  }
  doc = json_object();
  json_object_set_new(doc, "format", json_string("carm-feeders"));
  json_object_set_new(doc, "version", json_integer(1));
  json_object_set_new(doc, "frame", json_string("patient LPS mm"));
  json_object_set_new(doc, "tree", json_string(tree_path));
  json_object_set_new(doc, "tumours_volume", json_string(tum_path));
  json_object_set_new(doc, "tip_mm", plan_vec3_json(tip));
  json_object_set_new(doc, "tip_segment", json_integer((json_int_t)src[f->tip_segment]));
  json_object_set_new(doc, "tip_distance_mm", json_real(f->tip_distance_mm));
  json_object_set_new(doc, "margin_mm", json_real(margin));
  json_object_set_new(
      doc, "rule",
      json_string("feeder: terminal segment downstream of the tip whose centreline "
                  "ends within its radius + margin of a tumour voxel; passing: touches the "
                  "tumour (wall within margin) but ends elsewhere"));
  json_object_set_new(doc, "injection",
                      json_pack("{s:f, s:f, s:f, s:s}", "perfused_ml", perf_ml, "liver_ml",
                                liver_ml, "fraction", liver_ml > 0 ? perf_ml / liver_ml : 0.0,
                                "method",
                                "liver voxels nearest to a point of a downstream terminal "
                                "segment (vs terminal points elsewhere in the tree)"));
  json_t *tums = json_array();
  json_object_set_new(doc, "tumours", tums);
  carm_views_opts vo = CARM_VIEWS_INIT;
  vo.step_deg = step;
  for (int t = 0; t < f->n_tumours; t++) {
    const carm_tumour_feeders *tf = &f->tumours[t];
    json_t *jt = json_object();
    json_object_set_new(jt, "label", json_integer(tf->label));
    json_object_set_new(jt, "volume_ml", json_real(tf->volume_ml));
    json_object_set_new(jt, "centre_mm", plan_vec3_json(tf->centre_mm));
    json_t *jf = json_array();
    for (int64_t k = 0; k < tf->n_feeders; k++) {
      const carm_feeder *fd = &tf->feeders[k];
      double(*pts)[3] = NULL;
      double *rad = NULL;
      int64_t np = 0;
      if ((st = carm_feeder_path_points(tree, f, fd, &pts, &rad, &np)) != CARM_OK) {
        json_decref(jt);
        rc = cli_status(cmd, "feeder path", st);
        goto done;
      }
      json_t *o = json_object();
      json_object_set_new(o, "rank", json_integer((json_int_t)(k + 1)));
      json_object_set_new(o, "segment", json_integer((json_int_t)src[fd->segment]));
      json_t *path = json_array();
      for (int64_t q = 0; q < fd->n_path; q++) {
        json_array_append_new(path, json_integer((json_int_t)src[fd->path[q]]));
      }
      json_object_set_new(o, "path_segments", path);
      json_object_set_new(o, "enters", json_boolean(fd->enters));
      json_object_set_new(o, "inside_mm", json_real(fd->inside_mm));
      json_object_set_new(o, "wall_distance_mm", json_real(fd->distance_mm));
      json_object_set_new(o, "radius_mm", json_real(fd->radius_mm));
      json_object_set_new(o, "path_length_mm", json_real(fd->path_mm));
      json_object_set_new(o, "points", plan_points_json((const double(*)[3])pts, np));
      json_t *jr = json_array();
      for (int64_t q = 0; q < np; q++) {
        json_array_append_new(jr, json_real(rad[q]));
      }
      json_object_set_new(o, "radius", jr);
      /* working views: the path against every other downstream segment */
      carm_polyline target = {np, (const double(*)[3])pts, rad};
      carm_polyline *others = calloc((size_t)tree->n_segments, sizeof *others);
      int64_t n_others = 0;
      for (int64_t s = 0; others != NULL && s < tree->n_segments; s++) {
        int on_path = 0;
        for (int64_t q = 0; q < fd->n_path; q++) {
          on_path |= fd->path[q] == s;
        }
        if (f->downstream[s] && !on_path) {
          const carm_seg_segment *g = &tree->segments[s];
          others[n_others++] =
              (carm_polyline){g->n_points, (const double(*)[3])g->points_mm, g->radius_mm};
        }
      }
      carm_view_score *cells = NULL;
      int rows = 0, cols = 0;
      st = others != NULL ? carm_working_views(&target, others, n_others, &vo, &cells, &rows, &cols)
                          : CARM_ERR_NOMEM;
      free(others);
      if (st == CARM_OK) {
        int best = 0;
        for (int c = 1; c < rows * cols; c++) {
          best = cells[c].score < cells[best].score ? c : best;
        }
        json_object_set_new(o, "working_view",
                            json_pack("{s:f, s:f, s:f, s:f, s:f}", "lao_deg", cells[best].lao_deg,
                                      "cra_deg", cells[best].cra_deg, "foreshortening",
                                      cells[best].foreshortening, "overlap", cells[best].overlap,
                                      "score", cells[best].score));
        if (map_path != NULL && k == 0) {
          carm_picture *mp = NULL;
          char name[4096];
          map_name(name, sizeof name, map_path, tf->label, f->n_tumours > 1);
          st = carm_views_map_picture(&mp, cells, rows, cols, 8);
          if (st == CARM_OK) {
            st = carm_picture_write_png(mp, name);
          }
          carm_picture_destroy(mp);
          if (st == CARM_OK) {
            json_object_set_new(jt, "views_map", json_string(name));
          }
        }
      }
      free(cells);
      free(pts);
      free(rad);
      if (st != CARM_OK) {
        json_decref(o);
        json_decref(jt);
        rc = cli_status(cmd, "working views", st);
        goto done;
      }
      json_array_append_new(jf, o);
    }
    json_object_set_new(jt, "feeders", jf);
    json_t *jp = json_array();
    for (int64_t k = 0; k < tf->n_passing; k++) {
      json_array_append_new(jp, json_integer((json_int_t)src[tf->passing[k]]));
    }
    json_object_set_new(jt, "passing_segments", jp);
    json_array_append_new(tums, jt);
  }
  if (perf_path != NULL) {
    carm_write_opts wo = CARM_WRITE_INIT;
    wo.dtype = CARM_DTYPE_U8;
    if ((st = carm_image_write(perf, perf_path, &wo)) != CARM_OK) {
      rc = cli_status(cmd, "cannot write the perfused territory", st);
      goto done;
    }
  }
  if (pic_path != NULL) {
    if ((st = carm_image_read(&vol, NULL, vol_path)) != CARM_OK) {
      rc = cli_status(cmd, "cannot read --volume", st);
      goto done;
    }
    carm_render_opts ro = CARM_RENDER_INIT;
    ro.mode = CARM_RENDER_MIP;
    ro.plane = CARM_PLANE_CORONAL;
    double lo = 0, hi = 0;
    carm_volume_range(vol, &lo, &hi);
    ro.window = hi - lo > 0 ? hi - lo : 1.0;
    ro.level = 0.5 * (hi + lo);
    ro.labels = perf;
    ro.label_opacity = 0.25;
    ro.pixel_mm = 1.0;
    if ((st = carm_render(&pic, vol, &ro)) != CARM_OK) {
      rc = cli_status(cmd, "render", st);
      goto done;
    }
    static const uint8_t colours[4][3] = {
        {255, 60, 60}, {60, 220, 60}, {255, 200, 0}, {200, 80, 255}};
    for (int t = 0; t < f->n_tumours && st == CARM_OK; t++) {
      for (int64_t k = 0; k < f->tumours[t].n_feeders && st == CARM_OK; k++) {
        double(*pts)[3] = NULL;
        double *rad = NULL;
        int64_t np = 0;
        st = carm_feeder_path_points(tree, f, &f->tumours[t].feeders[k], &pts, &rad, &np);
        if (st == CARM_OK) {
          st = carm_picture_draw_polyline(pic, vol, &ro, (const double(*)[3])pts, np,
                                          colours[t % 4], k == 0 ? 3.0 : 1.5);
        }
        free(pts);
        free(rad);
      }
    }
    if (st == CARM_OK) {
      st = carm_picture_write_png(pic, pic_path);
    }
    if (st != CARM_OK) {
      rc = cli_status(cmd, "picture", st);
      goto done;
    }
    json_object_set_new(doc, "picture", json_string(pic_path));
  }
  if (plan_write_json(cmd, doc, out_path) != 0) {
    goto done;
  }
  int64_t nfeed = 0;
  for (int t = 0; t < f->n_tumours; t++) {
    nfeed += f->tumours[t].n_feeders;
  }
  fprintf(stderr,
          "carm plan feeders: %d tumour(s), %lld feeder(s); perfused %.1f of %.1f mL -> %s\n",
          f->n_tumours, (long long)nfeed, perf_ml, liver_ml, out_path);
  rc = CLI_OK;
done:
  json_decref(doc);
  carm_picture_destroy(pic);
  carm_volume_destroy(vol);
  carm_volume_destroy(perf);
  carm_volume_destroy(lab);
  carm_feeders_destroy(f);
  free(src);
  carm_seg_tree_destroy(tree);
  return rc;
}
