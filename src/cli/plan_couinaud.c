/* carm plan couinaud: Couinaud segments from the portal and hepatic veins. */
#include "carm/guide.h"
#include "carm/tree_io.h"
#include "cli/cli.h"
#include "cli/plan_guide.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: carm plan couinaud --tree T.json [--portal P.json --hepatic H.json]\n"
    "                          [--labels L.nii.gz [--tumour-labels 10-20]]\n"
    "                          [--point x,y,z]... [-o segments.json]\n"
    "\n"
    "Couinaud segment of each tumour (centroid of its voxels) and of each --point.\n"
    "Portal-territory method (nearest labelled portal branch) when the portal\n"
    "segments carry a \"couinaud\" label, else the plane method: vertical planes\n"
    "through the right, middle and left hepatic veins (their three widest roots,\n"
    "starting at the confluence on the IVC axis) and the transverse plane at the\n"
    "portal bifurcation (end of the widest portal root); caudate (1) behind the\n"
    "bifurcation within 35 mm of the IVC axis. --tree holds both trees with kinds\n"
    "portal_vein and hepatic_vein (the twin's tree), or give --portal and --hepatic.\n"
    "\n"
    "example:\n"
    "  carm plan couinaud --tree twin_tree.json --labels twin_labels.nii.gz\n";

/* The "couinaud" field of each portal segment, matched by file id. */
static void portal_labels(const char *path, const int64_t *src, int64_t n, char (*lab)[4]) {
  json_t *root = json_load_file(path, 0, NULL);
  json_t *segs = json_object_get(root, "segments");
  for (size_t i = 0; i < json_array_size(segs); i++) {
    json_t *o = json_array_get(segs, i);
    const char *c = json_string_value(json_object_get(o, "couinaud"));
    json_int_t id = json_integer_value(json_object_get(o, "id"));
    for (int64_t s = 0; c != NULL && s < n; s++) {
      if (src[s] == (int64_t)id) {
        snprintf(lab[s], 4, "%s", c);
      }
    }
  }
  json_decref(root);
}

int carm_plan_couinaud(int argc, char **argv) {
  const char *cmd = "plan couinaud";
  if (cli_wants_help(argc, argv)) {
    fputs(usage, stdout);
    return CLI_OK;
  }
  const char *tree = NULL, *ppath = NULL, *hpath = NULL, *lpath = NULL, *out = "-";
  const char *tl = "10-20";
  double pts[16][3];
  int np = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "option '%s' needs a value (see --help)", a);
    }
    i++;
    if (strcmp(a, "--tree") == 0) {
      tree = v;
    } else if (strcmp(a, "--portal") == 0) {
      ppath = v;
    } else if (strcmp(a, "--hepatic") == 0) {
      hpath = v;
    } else if (strcmp(a, "--labels") == 0) {
      lpath = v;
    } else if (strcmp(a, "--tumour-labels") == 0) {
      tl = v;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      out = v;
    } else if (strcmp(a, "--point") == 0) {
      if (np == 16 || cli_parse_doubles(v, pts[np], 3) != 0) {
        return cli_fail(CLI_USAGE, cmd, "--point needs x,y,z (at most 16), got '%s'", v);
      }
      np++;
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see --help)", a);
    }
  }
  if (ppath == NULL) {
    ppath = tree;
  }
  if (hpath == NULL) {
    hpath = tree;
  }
  if (ppath == NULL || hpath == NULL) {
    return cli_fail(CLI_USAGE, cmd, "--tree (or --portal and --hepatic) is required");
  }
  carm_label_set tset;
  if (carm_label_set_parse(&tset, tl) != CARM_OK) {
    return cli_fail(CLI_USAGE, cmd, "%s", carm_last_error());
  }
  int rc = CLI_FAIL;
  carm_seg_tree *portal = NULL, *hepatic = NULL;
  int64_t *src = NULL;
  char(*plab)[4] = NULL;
  carm_volume *lab = NULL;
  carm_feeders *f = NULL;
  json_t *doc = NULL;
  carm_status st =
      carm_seg_tree_read_json(&portal, &src, ppath, ppath == tree ? "portal_vein" : NULL);
  if (st == CARM_OK) {
    st = carm_seg_tree_read_json(&hepatic, NULL, hpath, hpath == tree ? "hepatic_vein" : NULL);
  }
  if (st != CARM_OK) {
    rc = cli_status(cmd, "cannot read the veins", st);
    goto done;
  }
  carm_couinaud_landmarks lm;
  if ((st = carm_couinaud_landmarks_from_trees(&lm, portal, hepatic)) != CARM_OK) {
    rc = cli_status(cmd, "landmarks", st);
    goto done;
  }
  plab = calloc((size_t)portal->n_segments, sizeof *plab);
  if (plab == NULL) {
    rc = cli_fail(CLI_FAIL, cmd, "out of memory");
    goto done;
  }
  portal_labels(ppath, src, portal->n_segments, plab);
  int labelled = 0;
  for (int64_t s = 0; s < portal->n_segments; s++) {
    labelled |= plab[s][0] != '\0';
  }
  doc = json_object();
  json_object_set_new(doc, "format", json_string("carm-couinaud"));
  json_object_set_new(doc, "version", json_integer(1));
  json_object_set_new(doc, "method", json_string(labelled ? "portal territory" : "planes"));
  json_object_set_new(doc, "landmarks",
                      json_pack("{s:o, s:o, s:[f, f, f], s:f}", "hepatic_vein_confluence_mm",
                                plan_vec3_json(lm.confluence_mm), "portal_bifurcation_mm",
                                plan_vec3_json(lm.bifurcation_mm), "hepatic_vein_azimuths_deg",
                                lm.hv_azimuth_deg[0], lm.hv_azimuth_deg[1], lm.hv_azimuth_deg[2],
                                "caudate_radius_mm", lm.caudate_radius_mm));
  json_t *items = json_array();
  json_object_set_new(doc, "items", items);
  if (lpath != NULL) {
    if ((st = carm_image_read(&lab, NULL, lpath)) != CARM_OK) {
      rc = cli_status(cmd, "cannot read the labels", st);
      goto done;
    }
    /* tumour centroids (the feeder search with an empty tree part is not
     * needed: a one-point tree gives the centroids) */
    double zero[1][3] = {{0, 0, 0}}, one[1][3] = {{0, 0, 1}};
    double r[2] = {1, 1};
    double line[2][3];
    memcpy(line[0], zero[0], sizeof line[0]);
    memcpy(line[1], one[0], sizeof line[1]);
    carm_seg_segment sg = {0, -1, CARM_SEG_SEGMENT_ROOT, 2, line, r};
    carm_seg_tree t = {1, &sg, 0, 2, 1, "none"};
    if ((st = carm_feeders_find(&f, &t, zero[0], lab, &tset, NULL)) != CARM_OK) {
      rc = cli_status(cmd, "tumours", st);
      goto done;
    }
    for (int k = 0; k < f->n_tumours; k++) {
      char seg[4] = "";
      if (labelled) {
        carm_couinaud_portal(portal, (const char(*)[4])plab, f->tumours[k].centre_mm, seg);
      } else {
        carm_couinaud_planes(&lm, f->tumours[k].centre_mm, seg);
      }
      json_array_append_new(items,
                            json_pack("{s:i, s:f, s:o, s:s}", "label", f->tumours[k].label,
                                      "volume_ml", f->tumours[k].volume_ml, "centre_mm",
                                      plan_vec3_json(f->tumours[k].centre_mm), "segment", seg));
    }
  }
  for (int k = 0; k < np; k++) {
    char seg[4] = "";
    if (labelled) {
      carm_couinaud_portal(portal, (const char(*)[4])plab, pts[k], seg);
    } else {
      carm_couinaud_planes(&lm, pts[k], seg);
    }
    json_array_append_new(
        items, json_pack("{s:o, s:s}", "point_mm", plan_vec3_json(pts[k]), "segment", seg));
  }
  if (plan_write_json(cmd, doc, out) == 0) {
    rc = CLI_OK;
  }
done:
  json_decref(doc);
  carm_feeders_destroy(f);
  carm_volume_destroy(lab);
  free(plab);
  free(src);
  carm_seg_tree_destroy(portal);
  carm_seg_tree_destroy(hepatic);
  return rc;
}
