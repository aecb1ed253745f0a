/* Vessel-tree JSON reader (seg tree and twin tree schemas, docs/formats.md). */
#include "carm/tree_io.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct raw_seg {
  int64_t file_id;
  int64_t parent_file_id; /* -1: none */
  json_t *points;
  json_t *radius;
  int keep;
  int64_t parent; /* index in raw, -1 */
  int64_t new_id;
} raw_seg;

typedef struct id_index {
  int64_t id;
  int64_t at;
} id_index;

static int id_cmp(const void *pa, const void *pb) {
  const id_index *a = pa, *b = pb;
  return a->id < b->id ? -1 : (a->id > b->id ? 1 : 0);
}

/* Index of `id` in the sorted table, -1 when absent. */
static int64_t id_find(const id_index *t, size_t n, int64_t id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t[mid].id < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < n && t[lo].id == id ? t[lo].at : -1;
}

static json_t *get2(json_t *o, const char *a, const char *b) {
  json_t *v = json_object_get(o, a);
  return v != NULL ? v : json_object_get(o, b);
}

static void free_segments(carm_seg_segment *segs, int64_t n) {
  if (segs == NULL) {
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    free(segs[i].points_mm);
    free(segs[i].radius_mm);
  }
  free(segs);
}

/* Fill one output segment from its JSON arrays; 0 ok, else an error status. */
static carm_status fill_segment(carm_seg_segment *s, const raw_seg *r, const char *path) {
  size_t n = json_array_size(r->points);
  if (!json_is_array(r->points) || n < 2) {
    return carm_error(CARM_ERR_FORMAT, "%s: segment %lld: needs >= 2 points", path,
                      (long long)r->file_id);
  }
  if (r->radius != NULL && (!json_is_array(r->radius) || json_array_size(r->radius) != n)) {
    return carm_error(CARM_ERR_FORMAT, "%s: segment %lld: radius must have one value per point",
                      path, (long long)r->file_id);
  }
  s->points_mm = malloc(n * sizeof *s->points_mm);
  s->radius_mm = malloc(n * sizeof *s->radius_mm);
  if (s->points_mm == NULL || s->radius_mm == NULL) {
    return carm_error(CARM_ERR_NOMEM, "tree read: out of memory");
  }
  s->n_points = (int64_t)n;
  for (size_t i = 0; i < n; i++) {
    json_t *p = json_array_get(r->points, i);
    if (!json_is_array(p) || json_array_size(p) != 3) {
      return carm_error(CARM_ERR_FORMAT, "%s: segment %lld: point %zu is not [x, y, z]", path,
                        (long long)r->file_id, i);
    }
    for (size_t k = 0; k < 3; k++) {
      json_t *c = json_array_get(p, k);
      double v = json_number_value(c);
      if (!json_is_number(c) || !isfinite(v)) {
        return carm_error(CARM_ERR_FORMAT, "%s: segment %lld: point %zu: bad coordinate", path,
                          (long long)r->file_id, i);
      }
      s->points_mm[i][k] = v;
    }
    double rad = 0.5;
    if (r->radius != NULL) {
      json_t *c = json_array_get(r->radius, i);
      rad = json_number_value(c);
      if (!json_is_number(c) || !isfinite(rad) || rad < 0.0) {
        return carm_error(CARM_ERR_FORMAT, "%s: segment %lld: radius %zu is not a number >= 0",
                          path, (long long)r->file_id, i);
      }
    }
    s->radius_mm[i] = rad;
  }
  return CARM_OK;
}

carm_status carm_seg_tree_read_json(carm_seg_tree **out, int64_t **source_ids, const char *path,
                                    const char *kind) {
  if (out == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "tree read: NULL argument");
  }
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (root == NULL) {
    return carm_error(CARM_ERR_IO, "%s: cannot read JSON: %s (line %d)", path, jerr.text,
                      jerr.line);
  }
  json_t *segs = json_object_get(root, "segments");
  if (!json_is_array(segs)) {
    json_decref(root);
    return carm_error(CARM_ERR_FORMAT, "%s: no \"segments\" array", path);
  }
  size_t n_raw = json_array_size(segs);
  raw_seg *raw = calloc(n_raw + 1, sizeof *raw);
  int64_t *order = malloc((n_raw + 1) * sizeof *order);
  if (raw == NULL || order == NULL) {
    free(raw);
    free(order);
    json_decref(root);
    return carm_error(CARM_ERR_NOMEM, "tree read: out of memory");
  }
  carm_status st = CARM_OK;
  int64_t n_keep = 0;
  for (size_t i = 0; i < n_raw && st == CARM_OK; i++) {
    json_t *o = json_array_get(segs, i);
    json_t *id = json_object_get(o, "id");
    json_t *par = json_object_get(o, "parent");
    if (!json_is_object(o) || !json_is_integer(id) ||
        (par != NULL && !json_is_null(par) && !json_is_integer(par))) {
      st = carm_error(CARM_ERR_FORMAT,
                      "%s: segment %zu: needs an integer \"id\" and \"parent\" "
                      "(integer or null)",
                      path, i);
      break;
    }
    raw[i].file_id = (int64_t)json_integer_value(id);
    raw[i].parent_file_id = json_is_integer(par) ? (int64_t)json_integer_value(par) : -1;
    raw[i].points = get2(o, "points", "points_mm");
    raw[i].radius = get2(o, "radius", "radius_mm");
    raw[i].parent = -1;
    raw[i].new_id = -1;
    raw[i].keep = 1;
    if (kind != NULL) {
      const char *k = json_string_value(json_object_get(o, "kind"));
      raw[i].keep = k != NULL && strcmp(k, kind) == 0;
    }
    n_keep += raw[i].keep;
  }
  id_index *ids_sorted = st == CARM_OK ? malloc((n_raw + 1) * sizeof *ids_sorted) : NULL;
  if (st == CARM_OK && ids_sorted == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "tree read: out of memory");
  }
  if (st == CARM_OK) {
    for (size_t i = 0; i < n_raw; i++) {
      ids_sorted[i].id = raw[i].file_id;
      ids_sorted[i].at = (int64_t)i;
    }
    qsort(ids_sorted, n_raw, sizeof *ids_sorted, id_cmp);
    for (size_t i = 1; i < n_raw; i++) {
      if (ids_sorted[i].id == ids_sorted[i - 1].id) {
        st = carm_error(CARM_ERR_FORMAT, "%s: duplicate segment id %lld", path,
                        (long long)ids_sorted[i].id);
        break;
      }
    }
  }
  /* parents: ids in the file; a dropped parent makes a root */
  for (size_t i = 0; i < n_raw && st == CARM_OK; i++) {
    if (raw[i].parent_file_id < 0) {
      continue;
    }
    int64_t p = id_find(ids_sorted, n_raw, raw[i].parent_file_id);
    if (p < 0) {
      st = carm_error(CARM_ERR_FORMAT, "%s: segment %lld: unknown parent %lld", path,
                      (long long)raw[i].file_id, (long long)raw[i].parent_file_id);
    } else if (raw[p].keep) {
      raw[i].parent = p;
    }
  }
  if (st == CARM_OK && n_keep == 0) {
    st = carm_error(CARM_ERR_INVALID, "%s: no segment%s%s", path, kind ? " of kind " : "",
                    kind ? kind : "");
  }
  /* order parents before children: breadth first from the roots through
   * child lists; segments never reached sit on a parent cycle */
  int64_t n_ord = 0;
  if (st == CARM_OK) {
    int64_t *first = calloc(n_raw + 1, sizeof *first);
    int64_t *kids = malloc((n_raw + 1) * sizeof *kids);
    if (first == NULL || kids == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "tree read: out of memory");
    } else {
      for (size_t i = 0; i < n_raw; i++) {
        if (raw[i].keep && raw[i].parent >= 0) {
          first[raw[i].parent + 1]++;
        }
      }
      for (size_t i = 0; i < n_raw; i++) {
        first[i + 1] += first[i];
      }
      int64_t *fill = order; /* scratch: reused below once kids is filled */
      memcpy(fill, first, n_raw * sizeof *fill);
      for (size_t i = 0; i < n_raw; i++) {
        if (raw[i].keep && raw[i].parent >= 0) {
          kids[fill[raw[i].parent]++] = (int64_t)i;
        }
      }
      for (size_t i = 0; i < n_raw; i++) {
        if (raw[i].keep && raw[i].parent < 0) {
          raw[i].new_id = n_ord;
          order[n_ord++] = (int64_t)i;
        }
      }
      for (int64_t q = 0; q < n_ord; q++) {
        int64_t i = order[q];
        for (int64_t c = first[i]; c < first[i + 1]; c++) {
          raw[kids[c]].new_id = n_ord;
          order[n_ord++] = kids[c];
        }
      }
      if (n_ord != n_keep) {
        st = carm_error(CARM_ERR_FORMAT, "%s: the parent links form a cycle", path);
      }
    }
    free(first);
    free(kids);
  }
  carm_seg_tree *tree = NULL;
  carm_seg_segment *out_segs = NULL;
  int64_t *ids = NULL;
  if (st == CARM_OK) {
    tree = calloc(1, sizeof *tree);
    out_segs = calloc((size_t)n_keep, sizeof *out_segs);
    ids = malloc((size_t)n_keep * sizeof *ids);
    if (tree == NULL || out_segs == NULL || ids == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "tree read: out of memory");
    }
  }
  for (int64_t s = 0; st == CARM_OK && s < n_keep; s++) {
    const raw_seg *r = &raw[order[s]];
    out_segs[s].id = s;
    out_segs[s].parent = r->parent >= 0 ? raw[r->parent].new_id : -1;
    ids[s] = r->file_id;
    st = fill_segment(&out_segs[s], r, path);
  }
  if (st == CARM_OK) {
    int64_t *nch = calloc((size_t)n_keep, sizeof *nch);
    if (nch == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "tree read: out of memory");
    } else {
      for (int64_t s = 0; s < n_keep; s++) {
        if (out_segs[s].parent >= 0) {
          nch[out_segs[s].parent]++;
        }
      }
      for (int64_t s = 0; s < n_keep; s++) {
        carm_seg_segment *g = &out_segs[s];
        g->kind = g->parent < 0
                      ? CARM_SEG_SEGMENT_ROOT
                      : (nch[s] == 0 ? CARM_SEG_SEGMENT_TERMINAL : CARM_SEG_SEGMENT_BRANCH);
        tree->n_roots += g->parent < 0;
        tree->n_endpoints += (g->parent < 0) + (nch[s] == 0);
        tree->n_bifurcations += nch[s] >= 2;
      }
      free(nch);
      tree->n_segments = n_keep;
      tree->segments = out_segs;
      const char *k = kind;
      if (k == NULL) {
        k = json_string_value(json_object_get(json_array_get(segs, (size_t)order[0]), "kind"));
      }
      snprintf(tree->kind, sizeof tree->kind, "%s", k != NULL ? k : "vessel");
    }
  }
  free(raw);
  free(order);
  free(ids_sorted);
  json_decref(root);
  if (st != CARM_OK) {
    free_segments(out_segs, n_keep);
    free(tree);
    free(ids);
    return st;
  }
  *out = tree;
  if (source_ids != NULL) {
    *source_ids = ids;
  } else {
    free(ids);
  }
  return CARM_OK;
}
