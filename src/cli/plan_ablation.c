/* carm plan ablation: needle trajectories, zone, margin, heat sink, C-arm
 * views (docs/planning.md). */
#include "carm/guide.h"
#include "carm/tree_io.h"
#include "cli/cli.h"
#include "cli/plan_guide.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: carm plan ablation --labels L.nii.gz --target LABEL (--entry x,y,z | --auto)\n"
    "                          [--needle-mm 200] [--clearance-mm 5] [--avoid 2,4-9]\n"
    "                          [--device NAME --power W --time MIN [--device-table F]]\n"
    "                          [--zone LONG,SHORT] [--margin 5|10] [--tree T.json]\n"
    "                          [--count 3] [-o plan.json] [--picture P.png [--volume V]]\n"
    "\n"
    "Straight needle trajectories from the skin (first label-0 voxel) to the centroid\n"
    "of the target label that keep --clearance-mm (plus half a voxel) from the labels\n"
    "in --avoid (default bone 2 and vessels 4-9, docs/twin.md), within --needle-mm.\n"
    "The ablation zone (ellipsoid along the needle) comes from the device chart\n"
    "(--device-table, default $CARM_DEVICE_TABLE or data/ablation_devices.json; the\n"
    "shipped charts are ILLUSTRATIVE PLACEHOLDERS, not manufacturer data) or from\n"
    "--zone; it is slid along the needle to maximise the minimal margin. Reported:\n"
    "coverage of tumour + margin (5 mm HCC, 10 mm metastases), minimal margin,\n"
    "vessels >= 3 mm touching the zone (heat sink; radii from --tree when given),\n"
    "the bull's-eye view (along the needle) and progress views (perpendicular) as\n"
    "LAO/CRA angles. JSON on stdout unless -o.\n"
    "\n"
    "example:\n"
    "  carm plan ablation --labels twin_labels.nii.gz --target 10 --auto \\\n"
    "      --device illustrative-mw --power 100 --time 10 --margin 5 -o ablation.json\n";

static json_t *needle_json(const carm_needle *n) {
  json_t *o = json_object();
  json_object_set_new(o, "entry_mm", plan_vec3_json(n->entry_mm));
  json_object_set_new(o, "target_mm", plan_vec3_json(n->target_mm));
  json_object_set_new(o, "target_surface_mm", plan_vec3_json(n->surface_mm));
  json_object_set_new(o, "direction", plan_vec3_json(n->axis));
  json_object_set_new(o, "length_mm", json_real(n->length_mm));
  json_object_set_new(o, "clearance_mm",
                      isfinite(n->clearance_mm) ? json_real(n->clearance_mm) : json_null());
  json_object_set_new(o, "valid", json_boolean(n->valid));
  json_object_set_new(o, "zone",
                      json_pack("{s:o, s:o, s:f, s:f}", "centre_mm",
                                plan_vec3_json(n->zone.centre_mm), "axis",
                                plan_vec3_json(n->zone.axis), "long_mm", n->zone.long_mm,
                                "short_mm", n->zone.short_mm));
  json_object_set_new(o, "coverage",
                      json_pack("{s:f, s:f, s:f, s:f, s:f}", "target_plus_margin",
                                n->coverage.coverage, "tumour", n->coverage.tumour_coverage,
                                "min_margin_mm", n->coverage.min_margin_mm, "target_ml",
                                n->coverage.target_ml, "zone_ml", n->coverage.zone_ml));
  json_object_set_new(o, "heat_sink",
                      json_pack("{s:b, s:f, s:s}", "flag", n->heat_sink,
                                "largest_vessel_diameter_mm", n->heat_sink_diameter_mm, "rule",
                                "vessels >= 3 mm touching the zone (CLINICAL.md)"));
  json_t *prog = json_array();
  for (int k = 0; k < n->n_progress; k++) {
    json_array_append_new(prog, json_pack("{s:f, s:f}", "lao_deg", n->progress_lao_deg[k],
                                          "cra_deg", n->progress_cra_deg[k]));
  }
  json_object_set_new(o, "views",
                      json_pack("{s:{s:f, s:f, s:b}, s:o}", "bullseye", "lao_deg",
                                n->bullseye_lao_deg, "cra_deg", n->bullseye_cra_deg, "reachable",
                                n->bullseye_reachable, "progress", prog));
  return o;
}

static carm_status draw_plan(carm_picture **out, const carm_volume *vol, const carm_volume *lab,
                             const carm_needle *n) {
  carm_render_opts ro = CARM_RENDER_INIT;
  ro.mode = CARM_RENDER_MPR;
  /* the plane that contains the needle best */
  double ax = fabs(n->axis[0]), ay = fabs(n->axis[1]), az = fabs(n->axis[2]);
  ro.plane = az <= ax && az <= ay ? CARM_PLANE_AXIAL
                                  : (ay <= ax ? CARM_PLANE_CORONAL : CARM_PLANE_SAGITTAL);
  ro.position_mm = ro.plane == CARM_PLANE_AXIAL     ? n->target_mm[2]
                   : ro.plane == CARM_PLANE_CORONAL ? n->target_mm[1]
                                                    : n->target_mm[0];
  double lo = 0, hi = 0;
  carm_volume_range(vol, &lo, &hi);
  if (vol == lab) {
    ro.window = hi - lo > 0 ? hi - lo : 1;
    ro.level = 0.5 * (hi + lo);
  } else {
    ro.labels = lab;
    ro.label_opacity = 0.3;
  }
  ro.pixel_mm = 1.0;
  carm_status st = carm_render(out, vol, &ro);
  if (st != CARM_OK) {
    return st;
  }
  const uint8_t yellow[3] = {255, 220, 0}, cyan[3] = {0, 230, 255};
  double line[2][3];
  memcpy(line[0], n->entry_mm, sizeof line[0]);
  memcpy(line[1], n->target_mm, sizeof line[1]);
  st = carm_picture_draw_polyline(*out, vol, &ro, (const double(*)[3])line, 2, yellow, 2.0);
  /* the zone's outline in the plane of the needle and the picture's normal */
  double nrm[3] = {ro.plane == CARM_PLANE_SAGITTAL, ro.plane == CARM_PLANE_CORONAL,
                   ro.plane == CARM_PLANE_AXIAL};
  double e2[3];
  carm_vec3_cross(n->zone.axis, nrm, e2);
  if (carm_vec3_normalize(e2) < 1e-9) {
    return st;
  }
  double ring[73][3];
  for (int k = 0; k <= 72; k++) {
    double t = k * 2.0 * M_PI / 72.0;
    for (int a = 0; a < 3; a++) {
      ring[k][a] = n->zone.centre_mm[a] + 0.5 * n->zone.long_mm * cos(t) * n->zone.axis[a] +
                   0.5 * n->zone.short_mm * sin(t) * e2[a];
    }
  }
  if (st == CARM_OK) {
    st = carm_picture_draw_polyline(*out, vol, &ro, (const double(*)[3])ring, 73, cyan, 1.5);
  }
  return st;
}

int carm_plan_ablation(int argc, char **argv) {
  const char *cmd = "plan ablation";
  if (cli_wants_help(argc, argv)) {
    fputs(usage, stdout);
    return CLI_OK;
  }
  const char *lab_path = NULL, *out_path = "-", *pic_path = NULL, *vol_path = NULL;
  const char *dev_name = NULL, *table = NULL, *tree_path = NULL, *avoid = NULL;
  double target = NAN, power = NAN, time_min = NAN, zone[2] = {NAN, NAN}, margin = 5.0;
  int64_t count = 3;
  int auto_mode = 0;
  carm_needle_opts no;
  carm_needle_opts_init(&no);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--auto") == 0) {
      auto_mode = 1;
      continue;
    }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) {
      return cli_fail(CLI_USAGE, cmd, "option '%s' needs a value (see --help)", a);
    }
    i++;
    int bad = 0;
    if (strcmp(a, "--labels") == 0) {
      lab_path = v;
    } else if (strcmp(a, "--target") == 0) {
      bad = cli_parse_double(v, &target) != 0 || target < 1 || target > 255 ||
            target != floor(target);
    } else if (strcmp(a, "--entry") == 0) {
      bad = cli_parse_doubles(v, no.entry_mm, 3) != 0;
      no.has_entry = 1;
    } else if (strcmp(a, "--needle-mm") == 0) {
      bad = cli_parse_double(v, &no.needle_mm) != 0 || !(no.needle_mm > 0);
    } else if (strcmp(a, "--clearance-mm") == 0) {
      bad = cli_parse_double(v, &no.clearance_mm) != 0 || !(no.clearance_mm >= 0);
    } else if (strcmp(a, "--avoid") == 0) {
      avoid = v;
    } else if (strcmp(a, "--device") == 0) {
      dev_name = v;
    } else if (strcmp(a, "--device-table") == 0) {
      table = v;
    } else if (strcmp(a, "--power") == 0) {
      bad = cli_parse_double(v, &power) != 0 || !(power > 0);
    } else if (strcmp(a, "--time") == 0) {
      bad = cli_parse_double(v, &time_min) != 0 || !(time_min > 0);
    } else if (strcmp(a, "--zone") == 0) {
      bad = cli_parse_doubles(v, zone, 2) != 0 || !(zone[0] > 0) || !(zone[1] > 0);
    } else if (strcmp(a, "--margin") == 0) {
      bad = cli_parse_double(v, &margin) != 0 || !(margin >= 0 && margin <= 50);
    } else if (strcmp(a, "--tree") == 0) {
      tree_path = v;
    } else if (strcmp(a, "--count") == 0) {
      bad = cli_parse_int64(v, &count) != 0 || count < 1 || count > 20;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      out_path = v;
    } else if (strcmp(a, "--picture") == 0) {
      pic_path = v;
    } else if (strcmp(a, "--volume") == 0) {
      vol_path = v;
    } else {
      return cli_fail(CLI_USAGE, cmd, "unknown option '%s' (see --help)", a);
    }
    if (bad) {
      return cli_fail(CLI_USAGE, cmd, "bad value '%s' for %s (see --help)", v, a);
    }
  }
  if (lab_path == NULL || isnan(target) || auto_mode == no.has_entry) {
    return cli_fail(CLI_USAGE, cmd,
                    "--labels, --target and exactly one of --entry / --auto are required");
  }
  if (avoid != NULL && carm_label_set_parse(&no.avoid, avoid) != CARM_OK) {
    return cli_fail(CLI_USAGE, cmd, "--avoid: %s", carm_last_error());
  }
  no.margin_mm = margin;
  carm_ablation_device dev;
  memset(&dev, 0, sizeof dev);
  int have_dev = 0;
  if (isfinite(zone[0])) {
    no.long_mm = zone[0];
    no.short_mm = zone[1];
  } else {
    if (dev_name == NULL || isnan(power) || isnan(time_min)) {
      return cli_fail(CLI_USAGE, cmd, "give --device, --power and --time, or --zone LONG,SHORT");
    }
    if (table == NULL) {
      table = getenv("CARM_DEVICE_TABLE");
    }
    if (table == NULL) {
      table = "data/ablation_devices.json";
    }
    carm_status st = carm_ablation_device_read(&dev, table, dev_name);
    if (st == CARM_OK) {
      st = carm_ablation_device_zone(&dev, power, time_min, &no.long_mm, &no.short_mm);
    }
    if (st != CARM_OK) {
      return cli_status(cmd, "device chart", st);
    }
    have_dev = 1;
  }
  int rc = CLI_FAIL;
  carm_volume *lab = NULL, *vol = NULL;
  carm_seg_tree *tree = NULL;
  carm_needle *nd = NULL;
  carm_picture *pic = NULL;
  json_t *doc = NULL;
  int nn = 0;
  carm_status st = carm_image_read(&lab, NULL, lab_path);
  if (st != CARM_OK) {
    rc = cli_status(cmd, "cannot read the labels", st);
    goto done;
  }
  if (tree_path != NULL) {
    if ((st = carm_seg_tree_read_json(&tree, NULL, tree_path, NULL)) != CARM_OK) {
      rc = cli_status(cmd, "cannot read the tree", st);
      goto done;
    }
    no.vessels = tree;
  }
  if ((st = carm_needle_plan(&nd, &nn, (int)count, lab, (int)target, &no)) != CARM_OK) {
    rc = cli_status(cmd, "needle plan", st);
    goto done;
  }
  doc = json_object();
  json_object_set_new(doc, "format", json_string("carm-ablation-plan"));
  json_object_set_new(doc, "version", json_integer(1));
  json_object_set_new(doc, "frame", json_string("patient LPS mm"));
  json_object_set_new(doc, "target_label", json_integer((json_int_t)target));
  json_object_set_new(doc, "needle_mm", json_real(no.needle_mm));
  json_object_set_new(doc, "clearance_mm", json_real(no.clearance_mm));
  json_object_set_new(doc, "margin_mm", json_real(margin));
  if (have_dev) {
    json_object_set_new(doc, "device",
                        json_pack("{s:s, s:s, s:s, s:b, s:f, s:f}", "name", dev.name, "modality",
                                  dev.modality, "source", dev.source, "placeholder",
                                  dev.placeholder, "power_w", power, "time_min", time_min));
    if (dev.placeholder) {
      fprintf(stderr,
              "carm plan ablation: warning: device '%s' has ILLUSTRATIVE placeholder "
              "values, not a manufacturer chart\n",
              dev.name);
    }
  }
  json_object_set_new(doc, "zone_long_mm", json_real(no.long_mm));
  json_object_set_new(doc, "zone_short_mm", json_real(no.short_mm));
  json_t *arr = json_array();
  for (int i = 0; i < nn; i++) {
    json_array_append_new(arr, needle_json(&nd[i]));
  }
  json_object_set_new(doc, "trajectories", arr);
  if (nn == 0) {
    fprintf(stderr,
            "carm plan ablation: no trajectory keeps %.1f mm from the avoided structures "
            "within %.0f mm\n",
            no.clearance_mm, no.needle_mm);
  }
  if (pic_path != NULL && nn > 0) {
    if (vol_path != NULL && (st = carm_image_read(&vol, NULL, vol_path)) != CARM_OK) {
      rc = cli_status(cmd, "cannot read --volume", st);
      goto done;
    }
    st = draw_plan(&pic, vol != NULL ? vol : lab, lab, &nd[0]);
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
  rc = nn > 0 || no.has_entry ? CLI_OK : CLI_FAIL;
done:
  json_decref(doc);
  carm_picture_destroy(pic);
  free(nd);
  carm_seg_tree_destroy(tree);
  carm_volume_destroy(vol);
  carm_volume_destroy(lab);
  return rc;
}
