/* carm roadmap: the 3D vessel tree projected onto the detector of a C-arm
 * pose, as a picture and as 2D polylines (JSON). */
#include "carm/io.h"
#include "carm/plan.h"
#include "carm/project.h"
#include "carm/render.h"
#include "cli/cli.h"
#include "cli/tree_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char carm_cmd_roadmap_summary[] = "project the 3D vessel tree onto a C-arm view (overlay)";
const char carm_cmd_roadmap_usage[] =
    "usage: carm roadmap --tree T.json (--geometry G.xml --view K | --lao A --cra B\n"
    "                    [--sid MM --sdd MM]) [--like P.mha | --size NU,NV --spacing DU,DV]\n"
    "                    [--background P.mha] -o OUT.png [--json OUT.json]\n"
    "\n"
    "The vessel centrelines (patient LPS mm) projected through the view's 3x4\n"
    "matrix onto the detector: the overlay a hybrid room puts on live\n"
    "fluoroscopy. With --lao/--cra the patient lies head first supine\n"
    "(RAO = negative LAO, CAU = negative CRA; default SID 785, SDD 1200 mm, a\n"
    "616 x 480 detector of 0.616 mm). --background draws the overlay on view K\n"
    "of a projection stack (e.g. a DSA or fluoroscopy frame). --json writes the\n"
    "2D polylines in pixel indices (column, row) and detector mm (u, v).\n"
    "\n"
    "examples:\n"
    "  carm roadmap --tree tree.json --lao 30 --cra 15 -o roadmap.png --json roadmap.json\n"
    "  carm roadmap --tree tree.json --geometry arterial.xml --view 66 \\\n"
    "               --background arterial.mha -o roadmap66.png\n";

static void grey_background(carm_picture *pic, const float *img) {
  /* window on the 1st..99th percentile range (sampled) */
  int64_t n = (int64_t)pic->width * pic->height;
  float lo = INFINITY;
  float hi = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (isfinite(img[i])) {
      lo = img[i] < lo ? img[i] : lo;
      hi = img[i] > hi ? img[i] : hi;
    }
  }
  float w = hi > lo ? hi - lo : 1.0f;
  for (int64_t i = 0; i < n; i++) {
    /* attenuation is dark on fluoroscopy: invert */
    float g = isfinite(img[i]) ? 1.0f - (img[i] - lo) / w : 0.0f;
    uint8_t b = (uint8_t)lroundf(255.0f * (g < 0 ? 0 : (g > 1 ? 1 : g)));
    pic->rgb[3 * i] = pic->rgb[3 * i + 1] = pic->rgb[3 * i + 2] = b;
  }
}

int carm_cmd_roadmap(int argc, char **argv) {
  const char *cmd = "roadmap";
  const char *tree = NULL;
  const char *geo_path = NULL;
  const char *like = NULL;
  const char *background = NULL;
  const char *out = NULL;
  const char *json_out = NULL;
  int64_t view = -1;
  double lao = NAN;
  double cra = NAN;
  double sid = 785.0;
  double sdd = 1200.0;
  int64_t size[2] = {616, 480};
  double spacing[2] = {0.616, 0.616};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "option '%s' needs a value (see --help)", a);
    }
    int bad = 0;
    if (strcmp(a, "--tree") == 0) {
      tree = v;
    } else if (strcmp(a, "--geometry") == 0) {
      geo_path = v;
    } else if (strcmp(a, "--view") == 0) {
      bad = cli_parse_int64(v, &view) != 0 || view < 0;
    } else if (strcmp(a, "--lao") == 0) {
      bad = cli_parse_double(v, &lao) != 0 || fabs(lao) > 180.0;
    } else if (strcmp(a, "--cra") == 0) {
      bad = cli_parse_double(v, &cra) != 0 || fabs(cra) > 90.0;
    } else if (strcmp(a, "--sid") == 0) {
      bad = cli_parse_double(v, &sid) != 0 || sid <= 0.0;
    } else if (strcmp(a, "--sdd") == 0) {
      bad = cli_parse_double(v, &sdd) != 0 || sdd <= 0.0;
    } else if (strcmp(a, "--like") == 0) {
      like = v;
    } else if (strcmp(a, "--background") == 0) {
      background = v;
    } else if (strcmp(a, "--size") == 0) {
      bad = cli_parse_int64s(v, size, 2) != 0 || size[0] < 1 || size[1] < 1 || size[0] > 8192 ||
            size[1] > 8192;
    } else if (strcmp(a, "--spacing") == 0) {
      bad = cli_parse_doubles(v, spacing, 2) != 0 || !(spacing[0] > 0) || !(spacing[1] > 0);
    } else if (strcmp(a, "-o") == 0) {
      out = v;
    } else if (strcmp(a, "--json") == 0) {
      json_out = v;
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see --help)", a);
    }
    if (bad) {
      return cli_fail(CLI_USAGE, cmd, "bad value '%s' for %s", v, a);
    }
    i++;
  }
  int by_angles = isfinite(lao) || isfinite(cra);
  if (tree == NULL || out == NULL || (geo_path == NULL) == !by_angles ||
      (geo_path != NULL && view < 0) || (by_angles && !(isfinite(lao) && isfinite(cra)))) {
    return cli_fail(CLI_USAGE, cmd,
                    "need --tree, -o and either --geometry G.xml --view K or --lao A --cra B");
  }
  if (!cli_has_suffix(out, ".png")) {
    return cli_fail(CLI_USAGE, cmd, "the picture must be a .png file");
  }
  const char *const inputs[] = {tree, geo_path, background, like, json_out};
  int chk = cli_check_output(cmd, out, inputs, 5);
  if (chk == CLI_OK) {
    chk = cli_check_output(cmd, json_out, inputs, 4);
  }
  if (chk != CLI_OK) {
    return chk;
  }
  int rc = CLI_FAIL;
  carm_geometry *geo = NULL;
  carm_volume *grid = NULL;
  carm_volume *bg = NULL;
  cli_polyline *lines = NULL;
  int64_t n_lines = 0;
  carm_picture *pic = NULL;
  json_t *doc = NULL;
  double(*all_uv)[2] = NULL;
  carm_status st = CARM_OK;
  if (cli_tree_load(cmd, tree, &lines, &n_lines) != 0) {
    goto cleanup;
  }
  if (geo_path != NULL) {
    if ((st = carm_geometry_read_rtk(&geo, geo_path)) != CARM_OK) {
      rc = cli_status(cmd, "cannot read the geometry", st);
      goto cleanup;
    }
    if (view >= geo->n_views) {
      rc = cli_fail(CLI_USAGE, cmd, "--view %lld but the geometry has %lld views", (long long)view,
                    (long long)geo->n_views);
      goto cleanup;
    }
  } else {
    if ((st = carm_geometry_create(&geo, 1)) != CARM_OK ||
        (st = carm_view_set_carm(&geo->views[0], lao, cra, sid, sdd)) != CARM_OK) {
      rc = cli_status(cmd, "bad C-arm pose", st);
      goto cleanup;
    }
    geo->patient = CARM_PATIENT_HFS;
    view = 0;
  }
  const char *grid_from = background != NULL ? background : like;
  if (grid_from != NULL) {
    if ((st = carm_image_read(&bg, NULL, grid_from)) != CARM_OK) {
      rc = cli_status(cmd, "cannot read the projection stack", st);
      goto cleanup;
    }
    if (background != NULL && view >= bg->dims[2]) {
      rc = cli_fail(CLI_USAGE, cmd, "--view %lld but %s has %lld views", (long long)view,
                    background, (long long)bg->dims[2]);
      goto cleanup;
    }
    grid = bg;
  } else {
    if ((st = carm_projections_create(&grid, size[0], size[1], 1, spacing[0], spacing[1])) !=
        CARM_OK) {
      rc = cli_status(cmd, "bad detector", st);
      goto cleanup;
    }
  }
  if ((st = carm_picture_create(&pic, (int)grid->dims[0], (int)grid->dims[1])) != CARM_OK) {
    rc = cli_status(cmd, "cannot make the picture", st);
    goto cleanup;
  }
  if (background != NULL) {
    grey_background(pic, bg->data + view * bg->dims[0] * bg->dims[1]);
  }
  doc = json_pack("{s:s, s:I, s:[I,I], s:[f,f], s:[f,f], s:[]}", "tree", tree, "view",
                  (json_int_t)view, "detector_pixels", (json_int_t)grid->dims[0],
                  (json_int_t)grid->dims[1], "pixel_mm", grid->spacing[0], grid->spacing[1],
                  "origin_mm", grid->origin[0], grid->origin[1], "polylines");
  if (by_angles) {
    json_object_set_new(doc, "lao_deg", json_real(lao));
    json_object_set_new(doc, "cra_deg", json_real(cra));
  }
  json_t *polys = json_object_get(doc, "polylines");
  static const uint8_t red[3] = {255, 60, 40};
  /* all lines in one drawing call, separated by NaN points (pen up): each
   * call converts the whole picture, so one per segment was quadratic */
  int64_t total = 0;
  for (int64_t s = 0; s < n_lines; s++) {
    total += lines[s].n + 1;
  }
  all_uv = malloc((size_t)(total > 0 ? total : 1) * sizeof *all_uv);
  if (all_uv == NULL) {
    rc = cli_fail(CLI_FAIL, cmd, "out of memory");
    goto cleanup;
  }
  int64_t m = 0;
  for (int64_t s = 0; s < n_lines; s++) {
    double(*uv)[2] = malloc((size_t)(lines[s].n > 0 ? lines[s].n : 1) * sizeof *uv);
    if (uv == NULL) {
      rc = cli_fail(CLI_FAIL, cmd, "out of memory");
      goto cleanup;
    }
    carm_roadmap_project(geo, view, grid, (const double(*)[3])lines[s].points, lines[s].n, uv);
    memcpy(all_uv[m], uv, (size_t)lines[s].n * sizeof *uv);
    m += lines[s].n;
    all_uv[m][0] = all_uv[m][1] = NAN;
    m++;
    json_t *px = json_array();
    for (int64_t k = 0; k < lines[s].n; k++) {
      json_array_append_new(px, isfinite(uv[k][0]) ? json_pack("[f,f]", uv[k][0], uv[k][1])
                                                   : json_null());
    }
    json_array_append_new(polys,
                          json_pack("{s:I, s:o}", "id", (json_int_t)lines[s].id, "pixels", px));
    free(uv);
  }
  carm_picture_draw_polyline_px(pic, (const double(*)[2])all_uv, m, red, 2.0);
  if ((st = carm_picture_write_png(pic, out)) != CARM_OK) {
    rc = cli_status(cmd, "cannot write the picture", st);
    goto cleanup;
  }
  if (json_out != NULL) {
    st = cli_write_json(doc, json_out, JSON_INDENT(1) | JSON_REAL_PRECISION(6));
    if (st != CARM_OK) {
      unlink(out);
      rc = cli_status(cmd, "cannot write the centrelines", st);
      goto cleanup;
    }
  }
  printf("carm roadmap: %lld centrelines on view %lld -> %s\n", (long long)n_lines, (long long)view,
         out);
  rc = CLI_OK;
cleanup:
  free(all_uv);
  json_decref(doc);
  carm_picture_destroy(pic);
  if (grid != bg) {
    carm_volume_destroy(grid);
  }
  carm_volume_destroy(bg);
  cli_tree_free(lines, n_lines);
  carm_geometry_destroy(geo);
  return rc;
}
