/* carm plan feeders / ablation / couinaud on a liver twin (seed 7): the
 * files a user would have (tree JSON, label volume, arterial image) are
 * written, the commands run through $CARM, and their JSON compared with
 * the twin's truth. Bad input must fail cleanly (exit 2 / 1, no output). */
#include "../check.h"
#include "carm/io.h"
#include "carm/twin.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int run(const char *cmd) {
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int exists(const char *p) {
  struct stat s;
  return stat(p, &s) == 0 && s.st_size > 0;
}

int main(void) {
  const char *carm = getenv("CARM");
  if (carm == NULL) {
    return 77;
  }
  const char *src = getenv("CARM_SOURCE") ? getenv("CARM_SOURCE") : "..";
  char dir[256];
  snprintf(dir, sizeof dir, "plan_cli_%ld", (long)getpid());
  CHECK(mkdir(dir, 0755) == 0);
  char tree[512], lab[512], art[512], cmd[8192], out[512];
  snprintf(tree, sizeof tree, "%s/tree.json", dir);
  snprintf(lab, sizeof lab, "%s/labels.nii.gz", dir);
  snprintf(art, sizeof art, "%s/arterial.mha", dir);
  carm_twin_opts o = CARM_TWIN_INIT;
  o.seed = 7;
  carm_twin *tw = NULL;
  CHECK(carm_twin_create(&tw, &o) == CARM_OK);
  if (tw == NULL) {
    return check_done();
  }
  CHECK(carm_twin_write_tree(tw, tree) == CARM_OK);
  carm_volume *v = NULL, *l = NULL;
  CHECK(carm_twin_scene_grid(tw, 2.5, &v) == CARM_OK);
  CHECK(carm_twin_scene_grid(tw, 2.5, &l) == CARM_OK);
  CHECK(carm_twin_labels(tw, l) == CARM_OK);
  CHECK(carm_twin_voxelize(tw, 12.0, v) == CARM_OK);
  carm_write_opts w = CARM_WRITE_INIT;
  w.dtype = CARM_DTYPE_U8;
  CHECK(carm_image_write(l, lab, &w) == CARM_OK);
  CHECK(carm_image_write(v, art, NULL) == CARM_OK);
  const carm_twin_segment *c = &tw->segments[tw->catheter_segment];
  const double *tip = c->points_mm[c->n_points - 1];

  /* feeders */
  snprintf(out, sizeof out, "%s/feeders.json", dir);
  snprintf(cmd, sizeof cmd,
           "'%s' plan feeders --tree %s --tumours %s --tip %.4f,%.4f,%.4f -o %s --picture "
           "%s/feeders.png --volume %s --views-map %s/map.png --perfused %s/perfused.nii.gz",
           carm, tree, lab, tip[0], tip[1], tip[2], out, dir, art, dir, dir);
  CHECK(run(cmd) == 0);
  json_t *doc = json_load_file(out, 0, NULL);
  CHECK(doc != NULL);
  json_t *tums = json_object_get(doc, "tumours");
  CHECK((int)json_array_size(tums) == tw->n_tumours);
  int matched = 0, total = 0;
  for (size_t t = 0; t < json_array_size(tums); t++) {
    json_t *jt = json_array_get(tums, t);
    int label = (int)json_integer_value(json_object_get(jt, "label"));
    const carm_twin_tumour *tu = &tw->tumours[label - 10];
    json_t *fs = json_object_get(jt, "feeders");
    CHECK((int)json_array_size(fs) == tu->n_feeders);
    for (size_t k = 0; k < json_array_size(fs); k++) {
      json_t *fd = json_array_get(fs, k);
      int id = (int)json_integer_value(json_object_get(fd, "segment"));
      for (int i = 0; i < tu->n_feeders; i++) {
        matched += tu->feeders[i] == id;
      }
      total++;
      json_t *pts = json_object_get(fd, "points");
      CHECK(json_array_size(pts) >= 2);
      CHECK(json_array_size(pts) == json_array_size(json_object_get(fd, "radius")));
      json_t *wv = json_object_get(fd, "working_view");
      CHECK(json_is_object(wv));
      double lao = json_number_value(json_object_get(wv, "lao_deg"));
      CHECK(lao >= -120.0 && lao <= 120.0);
    }
  }
  CHECK(total > 0 && matched == total);
  /* working views of the first feeder's path, alone */
  int first_id = (int)json_integer_value(json_object_get(
      json_array_get(json_object_get(json_array_get(tums, 0), "feeders"), 0), "segment"));
  snprintf(cmd, sizeof cmd,
           "'%s' plan views --tree %s --segment %d --map %s/views.png > %s/views.json", carm, tree,
           first_id, dir, dir);
  CHECK(run(cmd) == 0);
  snprintf(cmd, sizeof cmd, "%s/views.json", dir);
  json_t *vw = json_load_file(cmd, 0, NULL);
  json_t *best = json_object_get(vw, "best");
  CHECK(json_array_size(best) == 5);
  for (size_t i = 1; i < json_array_size(best); i++) {
    CHECK(json_number_value(json_object_get(json_array_get(best, i), "score")) >=
          json_number_value(json_object_get(json_array_get(best, i - 1), "score")));
  }
  json_decref(vw);
  snprintf(cmd, sizeof cmd, "%s/views.png", dir);
  CHECK(exists(cmd));
  double perf =
      json_number_value(json_object_get(json_object_get(doc, "injection"), "perfused_ml"));
  double liver = json_number_value(json_object_get(json_object_get(doc, "injection"), "liver_ml"));
  printf("feeders: %d of %d match the truth; injection %.1f of %.1f mL\n", matched, total, perf,
         liver);
  CHECK(perf > 0.0 && perf <= liver);
  json_decref(doc);
  snprintf(cmd, sizeof cmd, "%s/feeders.png", dir);
  CHECK(exists(cmd));
  snprintf(cmd, sizeof cmd, "%s/perfused.nii.gz", dir);
  CHECK(exists(cmd));

  /* ablation with the illustrative chart */
  snprintf(out, sizeof out, "%s/ablation.json", dir);
  snprintf(cmd, sizeof cmd,
           "'%s' plan ablation --labels %s --target 10 --auto --device illustrative-mw --power 100 "
           "--time 10 --device-table %s/data/ablation_devices.json --margin 5 -o %s --picture "
           "%s/ablation.png --volume %s 2>/dev/null",
           carm, lab, src, out, dir, art);
  CHECK(run(cmd) == 0);
  doc = json_load_file(out, 0, NULL);
  CHECK(doc != NULL);
  json_t *traj = json_object_get(doc, "trajectories");
  CHECK(json_array_size(traj) >= 1);
  for (size_t i = 0; i < json_array_size(traj); i++) {
    json_t *t = json_array_get(traj, i);
    CHECK(json_number_value(json_object_get(t, "clearance_mm")) >= 5.0);
    CHECK(json_is_true(json_object_get(t, "valid")));
  }
  CHECK(json_is_true(json_object_get(json_object_get(doc, "device"), "placeholder")));
  json_decref(doc);

  /* Couinaud */
  snprintf(out, sizeof out, "%s/couinaud.json", dir);
  snprintf(cmd, sizeof cmd, "'%s' plan couinaud --tree %s --labels %s -o %s", carm, tree, lab, out);
  CHECK(run(cmd) == 0);
  doc = json_load_file(out, 0, NULL);
  json_t *items = json_object_get(doc, "items");
  CHECK((int)json_array_size(items) == tw->n_tumours + tw->has_hypo);
  for (size_t i = 0; i < json_array_size(items); i++) {
    json_t *it = json_array_get(items, i);
    int label = (int)json_integer_value(json_object_get(it, "label"));
    const carm_twin_tumour *tu = label == 20 ? &tw->hypo : &tw->tumours[label - 10];
    const char *seg = json_string_value(json_object_get(it, "segment"));
    CHECK(seg != NULL && strcmp(seg, tu->couinaud) == 0);
  }
  json_decref(doc);

  /* bad input: clean failures, no output file */
  snprintf(out, sizeof out, "%s/bad.json", dir);
  snprintf(cmd, sizeof cmd, "'%s' plan feeders --tree %s --tumours %s --tip 1,2 -o %s 2>/dev/null",
           carm, tree, lab, out);
  CHECK(run(cmd) == 2);
  snprintf(cmd, sizeof cmd,
           "'%s' plan feeders --tree %s --tumours %s --tip 1,2,3 -o %s 2>/dev/null", carm, lab, lab,
           out);
  CHECK(run(cmd) == 1);
  snprintf(cmd, sizeof cmd, "'%s' plan ablation --labels %s --target 10 2>/dev/null", carm, lab);
  CHECK(run(cmd) == 2);
  snprintf(cmd, sizeof cmd, "'%s' plan couinaud --tree %s 2>/dev/null", carm, lab);
  CHECK(run(cmd) == 1);
  CHECK(!exists(out));

  if (getenv("KEEP_PLAN_CLI") == NULL) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(run(cmd) == 0);
  } else {
    printf("files kept in %s\n", dir);
  }
  carm_volume_destroy(v);
  carm_volume_destroy(l);
  carm_twin_destroy(tw);
  return check_done();
}
