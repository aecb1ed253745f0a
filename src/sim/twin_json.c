/* The twin's ground truth as JSON: vessel trees and lesions. */
#include "carm/twin.h"
#include "sim/twin_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

carm_status carm_twin_json_write(json_t *root, const char *path) {
  if (root == NULL || path == NULL || path[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "json write: NULL argument");
  }
  carm_output *o = NULL;
  carm_status st = carm_output_open(&o, path);
  if (st != CARM_OK) {
    return st;
  }
  if (json_dumpf(root, carm_output_file(o), JSON_INDENT(1) | JSON_REAL_PRECISION(17)) != 0) {
    carm_output_discard(o);
    return carm_error(CARM_ERR_IO, "%s: cannot write", path);
  }
  return carm_output_commit(o);
}

static json_t *vec3(const double v[3]) {
  json_t *a = json_array();
  for (int k = 0; k < 3; k++) {
    json_array_append_new(a, json_real(v[k]));
  }
  return a;
}

carm_status carm_twin_write_tree(const carm_twin *twin, const char *path) {
  if (twin == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin tree: NULL twin");
  }
  json_t *root = json_object();
  json_object_set_new(root, "format", json_string("carm-vessel-tree"));
  json_object_set_new(root, "version", json_integer(1));
  json_object_set_new(root, "units", json_string("mm"));
  json_object_set_new(root, "seed", json_integer((json_int_t)twin->seed));
  json_object_set_new(root, "frame", json_string("patient LPS mm (the volumes' physical space)"));
  json_t *segs = json_array();
  for (int s = 0; s < twin->n_segments; s++) {
    const carm_twin_segment *sg = &twin->segments[s];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(sg->id));
    json_object_set_new(o, "parent", sg->parent >= 0 ? json_integer(sg->parent) : json_null());
    json_object_set_new(o, "kind", json_string(carm_twin_vessel_name((int)sg->kind)));
    json_object_set_new(o, "generation", json_integer(sg->generation));
    json_object_set_new(o, "intrahepatic", json_boolean(sg->intrahepatic));
    json_object_set_new(o, "tumour", sg->tumour >= 0 ? json_integer(sg->tumour) : json_null());
    json_t *pts = json_array();
    json_t *rad = json_array();
    for (int i = 0; i < sg->n_points; i++) {
      json_array_append_new(pts, vec3(sg->points_mm[i]));
      json_array_append_new(rad, json_real(sg->radius_mm[i]));
    }
    json_object_set_new(o, "points", pts);
    json_object_set_new(o, "radius", rad);
    json_array_append_new(segs, o);
  }
  json_object_set_new(root, "segments", segs);
  carm_status st = carm_twin_json_write(root, path);
  json_decref(root);
  return st;
}

static json_t *lesion_json(const carm_twin *twin, const carm_twin_tumour *t) {
  json_t *o = json_object();
  json_object_set_new(o, "label", json_integer(t->label));
  json_object_set_new(o, "hypervascular", json_boolean(t->hypervascular));
  json_object_set_new(o, "centre_mm", vec3(t->centre_mm));
  json_object_set_new(o, "diameter_mm", json_real(t->diameter_mm));
  double r = 0.5 * t->diameter_mm;
  json_object_set_new(o, "volume_ml", json_real(4.0 / 3.0 * M_PI * r * r * r / 1000.0));
  json_object_set_new(o, "couinaud", json_string(t->couinaud));
  json_t *f = json_array();
  json_t *paths = json_array();
  for (int i = 0; i < t->n_feeders; i++) {
    json_array_append_new(f, json_integer(t->feeders[i]));
    json_t *path = json_array();
    for (int s = t->feeders[i]; s >= 0; s = twin->segments[s].parent) {
      json_array_insert_new(path, 0, json_integer(s));
    }
    json_array_append_new(paths, path);
  }
  json_object_set_new(o, "feeders", f);
  json_object_set_new(o, "feeder_paths", paths);
  return o;
}

json_t *carm_twin_truth_json(const carm_twin *twin) {
  json_t *root = json_object();
  json_object_set_new(root, "format", json_string("carm-twin-truth"));
  json_object_set_new(root, "version", json_integer(1));
  json_object_set_new(root, "seed", json_integer((json_int_t)twin->seed));
  json_object_set_new(root, "frame",
                      json_string("patient LPS mm (the volumes' physical space); the sweeps' "
                                  "geometry has patient position HFS"));
  json_t *labels = json_object();
  static const struct {
    int v;
    const char *name;
  } table[] = {{CARM_TWIN_LABEL_BACKGROUND, "background"},
               {CARM_TWIN_LABEL_BODY, "body soft tissue"},
               {CARM_TWIN_LABEL_BONE, "bone (spine, ribs)"},
               {CARM_TWIN_LABEL_LIVER, "liver parenchyma"},
               {CARM_TWIN_LABEL_ARTERY, "hepatic artery tree (CHA, GDA, PHA, branches)"},
               {CARM_TWIN_LABEL_PORTAL, "portal vein tree"},
               {CARM_TWIN_LABEL_HEPATIC_VEIN, "hepatic veins"},
               {CARM_TWIN_LABEL_IVC, "inferior vena cava"},
               {CARM_TWIN_LABEL_AORTA, "aorta"},
               {CARM_TWIN_LABEL_CATHETER, "catheter"},
               {CARM_TWIN_LABEL_TUMOUR, "hypervascular tumour k = label - 10"},
               {CARM_TWIN_LABEL_HYPO, "hypovascular lesion"},
               {CARM_TWIN_LABEL_KIDNEY, "kidney"},
               {CARM_TWIN_LABEL_LUNG, "lung"},
               {CARM_TWIN_LABEL_FAT, "subcutaneous fat"}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    char key[8];
    snprintf(key, sizeof key, "%d", table[i].v);
    json_object_set_new(labels, key, json_string(table[i].name));
  }
  json_object_set_new(root, "labels", labels);
  json_object_set_new(root, "liver_volume_ml", json_real(twin->liver_volume_ml));
  json_object_set_new(root, "portal_bifurcation_mm", vec3(twin->portal_bifurcation_mm));
  json_object_set_new(root, "hepatic_vein_confluence_mm", vec3(twin->ivc_axis_mm));
  json_t *hv = json_object();
  static const char *const hv_names[3] = {"right", "middle", "left"};
  for (int v = 0; v < 3; v++) {
    json_object_set_new(hv, hv_names[v], vec3(twin->hv_direction[v]));
  }
  json_object_set_new(root, "hepatic_vein_plane_directions", hv);
  json_object_set_new(
      root, "couinaud_rule",
      json_string("Vertical planes (containing the superior axis) through the IVC axis at the "
                  "confluence along the right, middle and left hepatic vein directions; the "
                  "transverse plane at the portal bifurcation's height. Caudate (1): posterior "
                  "to the bifurcation, within 35 mm of the IVC axis, between the bifurcation's "
                  "and the confluence's heights. Else by azimuth about the IVC axis: right of "
                  "the right plane 7/6, between right and middle 8/5, between middle and left "
                  "4a/4b, left of the left plane 2/3 (upper/lower)."));
  json_t *tum = json_array();
  for (int k = 0; k < twin->n_tumours; k++) {
    json_array_append_new(tum, lesion_json(twin, &twin->tumours[k]));
  }
  json_object_set_new(root, "tumours", tum);
  json_object_set_new(root, "hypovascular_lesion",
                      twin->has_hypo ? lesion_json(twin, &twin->hypo) : json_null());
  json_object_set_new(root, "catheter_segment",
                      twin->catheter_segment >= 0 ? json_integer(twin->catheter_segment)
                                                  : json_null());
  int counts[CARM_TWIN_VESSEL_COUNT] = {0};
  for (int s = 0; s < twin->n_segments; s++) {
    counts[twin->segments[s].kind]++;
  }
  json_t *nc = json_object();
  for (int k = 0; k < CARM_TWIN_VESSEL_COUNT; k++) {
    json_object_set_new(nc, carm_twin_vessel_name(k), json_integer(counts[k]));
  }
  json_object_set_new(root, "segment_counts", nc);
  return root;
}

carm_status carm_twin_write_truth(const carm_twin *twin, const char *path) {
  if (twin == NULL) {
    return carm_error(CARM_ERR_INVALID, "twin truth: NULL twin");
  }
  json_t *root = carm_twin_truth_json(twin);
  carm_status st = carm_twin_json_write(root, path);
  json_decref(root);
  return st;
}
