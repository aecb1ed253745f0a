/* Small helpers shared by the segmentation filters. */
#include "seg/seg_internal.h"

#include <stdlib.h>

carm_status seg_check_volume(const carm_volume *v, const char *what) {
  if (v == NULL || v->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: volume is NULL", what);
  }
  for (int a = 0; a < 3; a++) {
    if (v->dims[a] < 1) {
      return carm_error(CARM_ERR_INVALID, "%s: dimension %d is %lld", what, a,
                        (long long)v->dims[a]);
    }
    if (!(v->spacing[a] > 0.0) || v->spacing[a] > 1e30) {
      return carm_error(CARM_ERR_INVALID, "%s: spacing %d is %g (must be > 0)", what, a,
                        v->spacing[a]);
    }
  }
  return CARM_OK;
}

carm_status seg_check_pair(const carm_volume *out, const carm_volume *in, const char *what) {
  carm_status st = seg_check_volume(in, what);
  if (st != CARM_OK) {
    return st;
  }
  if (out == NULL || out->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "%s: output volume is NULL", what);
  }
  for (int a = 0; a < 3; a++) {
    if (out->dims[a] != in->dims[a]) {
      return carm_error(CARM_ERR_INVALID,
                        "%s: output is %lld x %lld x %lld voxels, input %lld x %lld x %lld", what,
                        (long long)out->dims[0], (long long)out->dims[1], (long long)out->dims[2],
                        (long long)in->dims[0], (long long)in->dims[1], (long long)in->dims[2]);
    }
  }
  return CARM_OK;
}

carm_status seg_check_connectivity(int connectivity) {
  if (connectivity != 6 && connectivity != 26) {
    return carm_error(CARM_ERR_INVALID, "connectivity must be 6 or 26, not %d", connectivity);
  }
  return CARM_OK;
}

int seg_neighbour_offsets(int connectivity, int off[26][3]) {
  int n = 0;
  for (int dk = -1; dk <= 1; dk++) {
    for (int dj = -1; dj <= 1; dj++) {
      for (int di = -1; di <= 1; di++) {
        int manhattan = abs(di) + abs(dj) + abs(dk);
        if (manhattan == 0 || (connectivity == 6 && manhattan != 1)) {
          continue;
        }
        off[n][0] = di;
        off[n][1] = dj;
        off[n][2] = dk;
        n++;
      }
    }
  }
  return n;
}

carm_status seg_stack_push(seg_stack *s, int64_t v) {
  if (s->n == s->cap) {
    int64_t cap = s->cap < 1024 ? 1024 : s->cap * 2;
    int64_t *items = realloc(s->items, (size_t)cap * sizeof *items);
    if (items == NULL) {
      return carm_error(CARM_ERR_NOMEM, "cannot grow a stack to %lld entries", (long long)cap);
    }
    s->items = items;
    s->cap = cap;
  }
  s->items[s->n++] = v;
  return CARM_OK;
}

void seg_stack_free(seg_stack *s) {
  free(s->items);
  s->items = NULL;
  s->n = 0;
  s->cap = 0;
}
