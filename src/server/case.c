/* The case folder seen by the server: safe path resolution, the listing of
 * volumes, meshes, trees and pictures, and the points placed in the viewer
 * (stored in points.json, written atomically). */
#include "server/internal.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int server_resolve(const char *root, const char *rel, char out[PATH_MAX]) {
  if (rel == NULL || rel[0] == '\0' || rel[0] == '/' || strlen(rel) > 1024) {
    return -1;
  }
  /* refuse any '..' component, backslashes and control characters before
   * touching the file system */
  for (const char *p = rel; *p != '\0'; p++) {
    if ((unsigned char)*p < 0x20 || *p == '\\') {
      return -1;
    }
  }
  const char *p = rel;
  while (*p != '\0') {
    const char *slash = strchr(p, '/');
    size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
    if ((n == 2 && p[0] == '.' && p[1] == '.') || n == 0) {
      return -1;
    }
    p += n;
    if (*p == '/') {
      p++;
    }
  }
  char joined[PATH_MAX];
  int w = snprintf(joined, sizeof joined, "%s/%s", root, rel);
  if (w < 0 || (size_t)w >= sizeof joined) {
    return -1;
  }
  char real[PATH_MAX];
  if (realpath(joined, real) == NULL) {
    return -1;
  }
  size_t rn = strlen(root);
  if (strncmp(real, root, rn) != 0 || real[rn] != '/') {
    return -1; /* a symlink pointing outside */
  }
  memcpy(out, real, strlen(real) + 1);
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s);
  size_t m = strlen(suffix);
  return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static const char *kind_of(const char *name) {
  if (ends_with(name, ".mha") || ends_with(name, ".mhd") || ends_with(name, ".nii") ||
      ends_with(name, ".nii.gz")) {
    return "volumes";
  }
  if (ends_with(name, ".stl") || ends_with(name, ".obj") || ends_with(name, ".ply") ||
      ends_with(name, ".glb") || ends_with(name, ".vtk")) {
    return "meshes";
  }
  if (ends_with(name, ".png")) {
    return "pictures";
  }
  if (ends_with(name, ".pdf")) {
    return "documents";
  }
  if (ends_with(name, ".json")) {
    return strstr(name, "tree") != NULL ? "trees" : "data";
  }
  if (ends_with(name, ".xml")) {
    return "geometry";
  }
  return NULL;
}

/* The plan a JSON file holds, from its "format" field, which carm writes
 * first: only the first 4 KiB are read, so listing a case with large trees
 * stays cheap. NULL when the file is not a plan. */
static const char *plan_kind_of(const char *full) {
  static const struct {
    const char *format;
    const char *plan;
  } plans[] = {{"carm-feeders", "feeders"},
               {"carm-ablation-plan", "ablation"},
               {"carm-couinaud", "couinaud"},
               {"carm-y90", "y90"},
               {"carm-working-views", "views"}};
  FILE *f = fopen(full, "rb");
  if (f == NULL) {
    return NULL;
  }
  char head[4097];
  size_t n = fread(head, 1, sizeof head - 1, f);
  fclose(f);
  head[n] = '\0';
  const char *p = strstr(head, "\"format\"");
  if (p == NULL) {
    return NULL;
  }
  p += 8;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':') {
    p++;
  }
  if (*p != '"') {
    return NULL;
  }
  p++;
  for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
    size_t m = strlen(plans[i].format);
    if (strncmp(p, plans[i].format, m) == 0 && p[m] == '"') {
      return plans[i].plan;
    }
  }
  return NULL;
}

static void scan(json_t *out, const char *root, const char *rel, int depth) {
  char path[PATH_MAX];
  int w = rel[0] != '\0' ? snprintf(path, sizeof path, "%s/%s", root, rel)
                         : snprintf(path, sizeof path, "%s", root);
  if (w < 0 || (size_t)w >= sizeof path) {
    return;
  }
  DIR *d = opendir(path);
  if (d == NULL) {
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') {
      continue;
    }
    char child[PATH_MAX];
    w = rel[0] != '\0' ? snprintf(child, sizeof child, "%s/%s", rel, e->d_name)
                       : snprintf(child, sizeof child, "%s", e->d_name);
    if (w < 0 || (size_t)w >= sizeof child) {
      continue;
    }
    char full[PATH_MAX];
    w = snprintf(full, sizeof full, "%s/%s", root, child);
    struct stat st;
    if (w < 0 || (size_t)w >= sizeof full || lstat(full, &st) != 0) {
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (depth < 3) {
        scan(out, root, child, depth + 1);
      }
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      continue;
    }
    const char *kind = kind_of(e->d_name);
    if (kind == NULL) {
      continue;
    }
    json_t *list = json_object_get(out, kind);
    char url[PATH_MAX + 16];
    snprintf(url, sizeof url, "/api/files/%s", child);
    json_array_append_new(list, json_pack("{s:s, s:I, s:s}", "path", child, "bytes",
                                          (json_int_t)st.st_size, "url", url));
    const char *plan = strcmp(kind, "data") == 0 ? plan_kind_of(full) : NULL;
    if (plan != NULL) {
      json_array_append_new(json_object_get(out, "plans"),
                            json_pack("{s:s, s:s, s:I, s:s}", "path", child, "plan", plan, "bytes",
                                      (json_int_t)st.st_size, "url", url));
    }
  }
  closedir(d);
}

static int by_path(const void *a, const void *b) {
  const json_t *x = *(const json_t *const *)a;
  const json_t *y = *(const json_t *const *)b;
  return strcmp(json_string_value(json_object_get(x, "path")),
                json_string_value(json_object_get(y, "path")));
}

json_t *server_case_listing(const carm_server *srv) {
  static const char *const kinds[] = {"volumes",   "meshes", "trees",    "pictures",
                                      "documents", "data",   "geometry", "plans"};
  json_t *out = json_object();
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    json_object_set_new(out, kinds[i], json_array());
  }
  scan(out, srv->case_dir, "", 0);
  /* stable order for clients */
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    json_t *list = json_object_get(out, kinds[i]);
    size_t n = json_array_size(list);
    json_t **items = malloc((n > 0 ? n : 1) * sizeof *items);
    if (items == NULL) {
      continue;
    }
    for (size_t k = 0; k < n; k++) {
      items[k] = json_incref(json_array_get(list, k));
    }
    qsort(items, n, sizeof *items, by_path);
    json_array_clear(list);
    for (size_t k = 0; k < n; k++) {
      json_array_append_new(list, items[k]);
    }
    free(items);
  }
  const char *name = strrchr(srv->case_dir, '/');
  json_object_set_new(out, "case", json_string(name != NULL ? name + 1 : srv->case_dir));
  return out;
}

/* ---- points ------------------------------------------------------------- */

static json_t *points_load(const carm_server *srv) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/points.json", srv->case_dir);
  json_error_t err;
  json_t *doc = json_load_file(path, 0, &err);
  if (doc == NULL || !json_is_array(json_object_get(doc, "points"))) {
    json_decref(doc);
    doc = json_pack("{s:[]}", "points");
  }
  return doc;
}

json_t *server_points_get(carm_server *srv) {
  pthread_mutex_lock(&srv->points_lock);
  json_t *doc = points_load(srv);
  pthread_mutex_unlock(&srv->points_lock);
  return doc;
}

static const char *const point_kinds[] = {"catheter_tip", "target", "entry", "landmark"};

json_t *server_points_add(carm_server *srv, json_t *point, int *http_status, const char **message) {
  *http_status = 400;
  if (!json_is_object(point)) {
    *message = "expected a JSON object {\"kind\", \"label\", \"xyz_mm\": [x, y, z]}";
    return NULL;
  }
  json_t *xyz = json_object_get(point, "xyz_mm");
  const char *kind = json_string_value(json_object_get(point, "kind"));
  const char *label = json_string_value(json_object_get(point, "label"));
  if (!json_is_array(xyz) || json_array_size(xyz) != 3) {
    *message = "xyz_mm must be an array of three numbers (LPS mm)";
    return NULL;
  }
  double v[3];
  for (size_t i = 0; i < 3; i++) {
    json_t *e = json_array_get(xyz, i);
    if (!json_is_number(e) || !isfinite(json_number_value(e)) || fabs(json_number_value(e)) > 1e5) {
      *message = "xyz_mm must hold finite numbers within 100 m";
      return NULL;
    }
    v[i] = json_number_value(e);
  }
  int known = 0;
  for (size_t i = 0; kind != NULL && i < sizeof point_kinds / sizeof point_kinds[0]; i++) {
    known |= strcmp(kind, point_kinds[i]) == 0;
  }
  if (!known) {
    *message = "kind must be one of catheter_tip, target, entry, landmark";
    return NULL;
  }
  if (label != NULL && strlen(label) > 80) {
    *message = "label longer than 80 characters";
    return NULL;
  }
  pthread_mutex_lock(&srv->points_lock);
  json_t *doc = points_load(srv);
  json_t *list = json_object_get(doc, "points");
  if (json_array_size(list) >= 1000) {
    pthread_mutex_unlock(&srv->points_lock);
    json_decref(doc);
    *http_status = 409;
    *message = "the case already holds 1000 points";
    return NULL;
  }
  json_int_t id = 1;
  size_t i;
  json_t *e;
  json_array_foreach(list, i, e) {
    json_int_t k = json_integer_value(json_object_get(e, "id"));
    id = k >= id ? k + 1 : id;
  }
  char when[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  json_t *p = json_pack("{s:I, s:s, s:s, s:[f,f,f], s:s}", "id", id, "kind", kind, "label",
                        label != NULL ? label : "", "xyz_mm", v[0], v[1], v[2], "time", when);
  json_array_append(list, p);
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/points.json", srv->case_dir);
  carm_output *o = NULL;
  int ok = carm_output_open(&o, path) == CARM_OK;
  if (ok && json_dumpf(doc, carm_output_file(o), JSON_INDENT(2)) != 0) {
    carm_output_discard(o);
    ok = 0;
  } else if (ok) {
    ok = carm_output_commit(o) == CARM_OK;
  }
  pthread_mutex_unlock(&srv->points_lock);
  json_decref(doc);
  if (!ok) {
    json_decref(p);
    *http_status = 500;
    *message = "cannot write points.json in the case folder";
    return NULL;
  }
  *http_status = 201;
  return p;
}
