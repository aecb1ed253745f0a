/* Centreline polylines from a tree JSON file. */
#include "cli/tree_json.h"
#include "cli/cli.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

void cli_tree_free(cli_polyline *lines, int64_t n) {
  if (lines == NULL) {
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    free(lines[i].points);
  }
  free(lines);
}

int cli_tree_load(const char *cmd, const char *path, cli_polyline **out, int64_t *n_out) {
  json_error_t err;
  json_t *doc = json_load_file(path, 0, &err);
  json_t *segs = doc != NULL ? json_object_get(doc, "segments") : NULL;
  if (!json_is_array(segs)) {
    json_decref(doc);
    cli_fail(CLI_FAIL, cmd, "%s: not a tree JSON (%s)", path,
             doc == NULL ? err.text : "no \"segments\" array");
    return -1;
  }
  size_t ns = json_array_size(segs);
  cli_polyline *lines = calloc(ns > 0 ? ns : 1, sizeof *lines);
  if (lines == NULL) {
    json_decref(doc);
    cli_fail(CLI_FAIL, cmd, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < ns; i++) {
    json_t *seg = json_array_get(segs, i);
    json_t *pts = json_object_get(seg, "points");
    size_t n = json_array_size(pts);
    lines[i].id = json_integer_value(json_object_get(seg, "id"));
    lines[i].points = malloc((n > 0 ? n : 1) * sizeof *lines[i].points);
    if (lines[i].points == NULL) {
      cli_tree_free(lines, (int64_t)ns);
      json_decref(doc);
      cli_fail(CLI_FAIL, cmd, "out of memory");
      return -1;
    }
    lines[i].n = (int64_t)n;
    for (size_t k = 0; k < n; k++) {
      json_t *q = json_array_get(pts, k);
      for (size_t a = 0; a < 3; a++) {
        json_t *e = json_array_get(q, a);
        double v = json_number_value(e);
        if (!json_is_number(e) || !isfinite(v) || fabs(v) > 1e6) {
          cli_tree_free(lines, (int64_t)ns);
          json_decref(doc);
          cli_fail(CLI_FAIL, cmd, "%s: segment %zu, point %zu is not three finite numbers", path, i,
                   k);
          return -1;
        }
        lines[i].points[k][a] = v;
      }
    }
  }
  json_decref(doc);
  *out = lines;
  *n_out = (int64_t)ns;
  return 0;
}
