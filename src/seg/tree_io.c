/* Vessel tree export: JSON (jansson) and legacy VTK polydata, both written
 * atomically (temporary file in the same folder, then rename). */
#include "seg/seg_internal.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *kind_name(carm_seg_segment_kind k) {
  switch (k) {
  case CARM_SEG_SEGMENT_ROOT: return "root";
  case CARM_SEG_SEGMENT_BRANCH: return "branch";
  case CARM_SEG_SEGMENT_TERMINAL: return "terminal";
  }
  return "unknown";
}

/* Finish an output: commit when everything was written, else discard. */
static carm_status finish_temp(carm_output *dst, const char *path, int ok) {
  if (!ok) {
    carm_output_discard(dst);
    return carm_error(CARM_ERR_IO, "cannot write %s", path);
  }
  return carm_output_commit(dst);
}

static carm_status check_tree(const carm_seg_tree *tree, const char *path) {
  if (tree == NULL || path == NULL || path[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "tree export: NULL tree or empty path");
  }
  if (memchr(tree->kind, '\0', sizeof tree->kind) == NULL || tree->kind[0] == '\0') {
    return carm_error(CARM_ERR_INVALID, "tree export: kind is empty or not terminated");
  }
  for (int64_t s = 0; s < tree->n_segments; s++) {
    const carm_seg_segment *sg = &tree->segments[s];
    if (sg->n_points < 1 || sg->points_mm == NULL || sg->radius_mm == NULL) {
      return carm_error(CARM_ERR_INVALID, "tree export: segment %lld has no points",
                        (long long)sg->id);
    }
    /* JSON has no NaN or infinity (jansson refuses them), and a viewer
     * reading a VTK file would draw nonsense: refuse, naming the place */
    for (int64_t p = 0; p < sg->n_points; p++) {
      if (!isfinite(sg->points_mm[p][0]) || !isfinite(sg->points_mm[p][1]) ||
          !isfinite(sg->points_mm[p][2]) || !isfinite(sg->radius_mm[p])) {
        return carm_error(CARM_ERR_INVALID,
                          "tree export: segment %lld point %lld is not finite "
                          "(%g, %g, %g mm, radius %g mm)",
                          (long long)sg->id, (long long)p, sg->points_mm[p][0], sg->points_mm[p][1],
                          sg->points_mm[p][2], sg->radius_mm[p]);
      }
    }
  }
  return CARM_OK;
}

carm_status carm_seg_tree_write_json(const carm_seg_tree *tree, const char *path) {
  carm_status st = check_tree(tree, path);
  if (st != CARM_OK) {
    return st;
  }
  json_t *root = json_object();
  json_t *segs = json_array();
  int ok = root != NULL && segs != NULL;
  ok = ok && json_object_set_new(root, "format", json_string("carm-vessel-tree")) == 0;
  ok = ok && json_object_set_new(root, "version", json_integer(1)) == 0;
  ok = ok && json_object_set_new(root, "units", json_string("mm")) == 0;
  ok = ok && json_object_set_new(root, "frame",
                                 json_string("patient LPS mm (the volumes' physical space)")) == 0;
  ok = ok && json_object_set_new(root, "n_bifurcations", json_integer(tree->n_bifurcations)) == 0;
  ok = ok && json_object_set_new(root, "n_endpoints", json_integer(tree->n_endpoints)) == 0;
  ok = ok && json_object_set_new(root, "n_roots", json_integer(tree->n_roots)) == 0;
  int64_t *gen = malloc((size_t)(tree->n_segments > 0 ? tree->n_segments : 1) * sizeof *gen);
  ok = ok && gen != NULL;
  for (int64_t s = 0; ok && s < tree->n_segments; s++) {
    const carm_seg_segment *sg = &tree->segments[s];
    /* parents come before children, so the parent's generation is known */
    int64_t par = sg->parent;
    gen[s] = (par >= 0 && par < s) ? gen[par] + 1 : 0;
    json_t *o = json_object(), *pts = json_array(), *rad = json_array();
    ok = o != NULL && pts != NULL && rad != NULL;
    for (int64_t p = 0; ok && p < sg->n_points; p++) {
      json_t *xyz =
          json_pack("[fff]", sg->points_mm[p][0], sg->points_mm[p][1], sg->points_mm[p][2]);
      ok = xyz != NULL && json_array_append_new(pts, xyz) == 0;
      ok = ok && json_array_append_new(rad, json_real(sg->radius_mm[p])) == 0;
    }
    ok = ok && json_object_set_new(o, "id", json_integer(sg->id)) == 0;
    ok = ok && json_object_set_new(o, "parent",
                                   sg->parent >= 0 ? json_integer(sg->parent) : json_null()) == 0;
    ok = ok && json_object_set_new(o, "kind", json_string(tree->kind)) == 0;
    ok = ok && json_object_set_new(o, "topology", json_string(kind_name(sg->kind))) == 0;
    ok = ok && json_object_set_new(o, "generation", json_integer(gen[s])) == 0;
    ok = ok && json_object_set(o, "points", pts) == 0;
    ok = ok && json_object_set(o, "radius", rad) == 0;
    ok = ok && json_array_append(segs, o) == 0;
    json_decref(pts);
    json_decref(rad);
    json_decref(o);
  }
  ok = ok && json_object_set(root, "segments", segs) == 0;
  json_decref(segs);
  free(gen);
  if (!ok) {
    json_decref(root);
    return carm_error(CARM_ERR_NOMEM, "tree export: cannot build the JSON document");
  }
  carm_output *dst = NULL;
  st = carm_output_open(&dst, path);
  FILE *f = carm_output_file(dst);
  if (st != CARM_OK) {
    json_decref(root);
    return st;
  }
  int wrote = json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(9)) == 0;
  wrote = wrote && fputc('\n', f) != EOF;
  json_decref(root);
  return finish_temp(dst, path, wrote);
}

carm_status carm_seg_tree_write_vtk(const carm_seg_tree *tree, const char *path) {
  carm_status st = check_tree(tree, path);
  if (st != CARM_OK) {
    return st;
  }
  int64_t npts = 0;
  for (int64_t s = 0; s < tree->n_segments; s++) {
    npts += tree->segments[s].n_points;
  }
  carm_output *dst = NULL;
  st = carm_output_open(&dst, path);
  FILE *f = carm_output_file(dst);
  if (st != CARM_OK) {
    return st;
  }
  int ok = fprintf(f,
                   "# vtk DataFile Version 3.0\ncarm vessel tree (mm, LPS)\nASCII\n"
                   "DATASET POLYDATA\nPOINTS %lld double\n",
                   (long long)npts) > 0;
  for (int64_t s = 0; ok && s < tree->n_segments; s++) {
    const carm_seg_segment *sg = &tree->segments[s];
    for (int64_t p = 0; ok && p < sg->n_points; p++) {
      ok = fprintf(f, "%.9g %.9g %.9g\n", sg->points_mm[p][0], sg->points_mm[p][1],
                   sg->points_mm[p][2]) > 0;
    }
  }
  ok = ok && fprintf(f, "LINES %lld %lld\n", (long long)tree->n_segments,
                     (long long)(npts + tree->n_segments)) > 0;
  int64_t base = 0;
  for (int64_t s = 0; ok && s < tree->n_segments; s++) {
    const carm_seg_segment *sg = &tree->segments[s];
    ok = fprintf(f, "%lld", (long long)sg->n_points) > 0;
    for (int64_t p = 0; ok && p < sg->n_points; p++) {
      ok = fprintf(f, " %lld", (long long)(base + p)) > 0;
    }
    ok = ok && fputc('\n', f) != EOF;
    base += sg->n_points;
  }
  ok = ok && fprintf(f, "CELL_DATA %lld\nSCALARS segment_id int 1\nLOOKUP_TABLE default\n",
                     (long long)tree->n_segments) > 0;
  for (int64_t s = 0; ok && s < tree->n_segments; s++) {
    ok = fprintf(f, "%lld\n", (long long)tree->segments[s].id) > 0;
  }
  ok = ok && fprintf(f, "SCALARS parent int 1\nLOOKUP_TABLE default\n") > 0;
  for (int64_t s = 0; ok && s < tree->n_segments; s++) {
    ok = fprintf(f, "%lld\n", (long long)tree->segments[s].parent) > 0;
  }
  ok = ok && fprintf(f, "POINT_DATA %lld\nSCALARS radius double 1\nLOOKUP_TABLE default\n",
                     (long long)npts) > 0;
  for (int64_t s = 0; ok && s < tree->n_segments; s++) {
    const carm_seg_segment *sg = &tree->segments[s];
    for (int64_t p = 0; ok && p < sg->n_points; p++) {
      ok = fprintf(f, "%.9g\n", sg->radius_mm[p]) > 0;
    }
  }
  return finish_temp(dst, path, ok);
}
