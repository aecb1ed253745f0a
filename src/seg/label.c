/* 3D connected components: one raster scan with union-find over
 * provisional labels, then relabelling by decreasing size. */
#include "seg/seg_internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t uf_find(uint32_t *parent, uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

static void uf_union(uint32_t *parent, uint32_t a, uint32_t b) {
  a = uf_find(parent, a);
  b = uf_find(parent, b);
  if (a < b) {
    parent[b] = a;
  } else if (b < a) {
    parent[a] = b;
  }
}

typedef struct comp {
  int64_t size;
  int64_t first; /* first voxel index, for deterministic ties */
  uint32_t root;
} comp;

static int comp_cmp(const void *pa, const void *pb) {
  const comp *a = pa, *b = pb;
  if (a->size != b->size) {
    return a->size > b->size ? -1 : 1;
  }
  return a->first < b->first ? -1 : (a->first > b->first ? 1 : 0);
}

carm_status carm_seg_label(carm_volume *labels, int64_t *n_labels, int64_t **sizes,
                           const carm_volume *mask, int connectivity) {
  carm_status st = seg_check_pair(labels, mask, "label");
  if (st != CARM_OK) {
    return st;
  }
  st = seg_check_connectivity(connectivity);
  if (st != CARM_OK) {
    return st;
  }
  const int64_t nx = mask->dims[0], ny = mask->dims[1], nz = mask->dims[2];
  const int64_t n = nx * ny * nz;
  if (n >= (int64_t)UINT32_MAX) {
    return carm_error(CARM_ERR_RANGE, "label: volume of %lld voxels is too large", (long long)n);
  }
  /* backward neighbours: those before the voxel in raster order */
  int all[26][3], back[13][3], nb = 0;
  int nn = seg_neighbour_offsets(connectivity, all);
  for (int t = 0; t < nn; t++) {
    if (all[t][2] < 0 || (all[t][2] == 0 && (all[t][1] < 0 || (all[t][1] == 0 && all[t][0] < 0)))) {
      memcpy(back[nb++], all[t], sizeof back[0]);
    }
  }
  uint32_t *lab = calloc((size_t)n, sizeof *lab);
  uint32_t *parent = NULL;
  comp *comps = NULL;
  uint32_t *final_id = NULL;
  int64_t cap = 1024;
  parent = malloc((size_t)cap * sizeof *parent);
  if (lab == NULL || parent == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "label: cannot allocate %lld labels", (long long)n);
    goto cleanup;
  }
  uint32_t next = 1;
  parent[0] = 0;
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        int64_t idx = (k * ny + j) * nx + i;
        if (!seg_fg(mask->data[idx])) {
          continue;
        }
        uint32_t cur = 0;
        for (int t = 0; t < nb; t++) {
          int64_t a = i + back[t][0], b = j + back[t][1], c = k + back[t][2];
          if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny) {
            continue;
          }
          uint32_t l = lab[(c * ny + b) * nx + a];
          if (l == 0) {
            continue;
          }
          if (cur == 0) {
            cur = l;
          } else if (l != cur) {
            uf_union(parent, cur, l);
          }
        }
        if (cur == 0) {
          if ((int64_t)next >= cap) {
            int64_t ncap = cap * 2;
            uint32_t *p = realloc(parent, (size_t)ncap * sizeof *p);
            if (p == NULL) {
              st = carm_error(CARM_ERR_NOMEM, "label: cannot grow the label table");
              goto cleanup;
            }
            parent = p;
            cap = ncap;
          }
          parent[next] = next;
          cur = next++;
        }
        lab[idx] = cur;
      }
    }
  }
  /* components: roots of the union-find */
  comps = calloc(next, sizeof *comps);
  final_id = calloc(next, sizeof *final_id);
  if (comps == NULL || final_id == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "label: cannot allocate the component table");
    goto cleanup;
  }
  for (uint32_t l = 1; l < next; l++) {
    comps[l].first = -1;
    comps[l].root = l;
  }
  for (int64_t idx = 0; idx < n; idx++) {
    if (lab[idx] != 0) {
      uint32_t r = uf_find(parent, lab[idx]);
      lab[idx] = r;
      if (comps[r].size == 0) {
        comps[r].first = idx;
      }
      comps[r].size++;
    }
  }
  int64_t ncomp = 0;
  for (uint32_t l = 1; l < next; l++) {
    if (comps[l].size > 0) {
      comps[ncomp++] = comps[l];
    }
  }
  if (ncomp > ((int64_t)1 << 24)) {
    st = carm_error(CARM_ERR_RANGE, "label: %lld components exceed the 2^24 float-exact limit",
                    (long long)ncomp);
    goto cleanup;
  }
  qsort(comps, (size_t)ncomp, sizeof *comps, comp_cmp);
  for (int64_t c = 0; c < ncomp; c++) {
    final_id[comps[c].root] = (uint32_t)(c + 1);
  }
  if (sizes != NULL) {
    int64_t *sz = malloc((size_t)(ncomp + 1) * sizeof *sz);
    if (sz == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "label: cannot allocate sizes");
      goto cleanup;
    }
    int64_t fg = 0;
    for (int64_t c = 0; c < ncomp; c++) {
      sz[c + 1] = comps[c].size;
      fg += comps[c].size;
    }
    sz[0] = n - fg;
    *sizes = sz;
  }
  for (int64_t idx = 0; idx < n; idx++) {
    labels->data[idx] = lab[idx] != 0 ? (float)final_id[lab[idx]] : 0.0f;
  }
  carm_volume_copy_grid(labels, mask);
  if (n_labels != NULL) {
    *n_labels = ncomp;
  }
  st = CARM_OK;
cleanup:
  free(lab);
  free(parent);
  free(comps);
  free(final_id);
  return st;
}

/* Keep components with id <= max_id or size >= min_size. */
static carm_status keep_components(carm_volume *out, const carm_volume *mask, int connectivity,
                                   int64_t max_id, int64_t min_size) {
  carm_volume *lab = NULL;
  carm_status st = seg_check_pair(out, mask, "component filter");
  if (st != CARM_OK) {
    return st;
  }
  st = carm_volume_create_like(&lab, mask);
  if (st != CARM_OK) {
    return st;
  }
  int64_t nl = 0, *sizes = NULL;
  st = carm_seg_label(lab, &nl, &sizes, mask, connectivity);
  if (st != CARM_OK) {
    carm_volume_destroy(lab);
    return st;
  }
  int64_t n = carm_volume_count(mask);
  for (int64_t idx = 0; idx < n; idx++) {
    int64_t l = (int64_t)lab->data[idx];
    out->data[idx] = (l > 0 && (l <= max_id || sizes[l] >= min_size)) ? 1.0f : 0.0f;
  }
  carm_volume_copy_grid(out, mask);
  free(sizes);
  carm_volume_destroy(lab);
  return CARM_OK;
}

carm_status carm_seg_keep_largest(carm_volume *out, const carm_volume *mask, int connectivity,
                                  int64_t n_keep) {
  if (n_keep < 1) {
    return carm_error(CARM_ERR_INVALID, "keep largest: n_keep is %lld (must be >= 1)",
                      (long long)n_keep);
  }
  return keep_components(out, mask, connectivity, n_keep, INT64_MAX);
}

carm_status carm_seg_remove_small(carm_volume *out, const carm_volume *mask, int connectivity,
                                  int64_t min_voxels) {
  return keep_components(out, mask, connectivity, 0, min_voxels);
}
