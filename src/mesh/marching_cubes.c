/* Marching cubes over a volume padded by one outside voxel on every side, so
 * that objects touching the border get closed surfaces. Vertices are keyed by
 * the grid edge they lie on (two planes of x/y-edge slots and one slab of
 * z-edge slots), which welds them as they are made. */
#include "mesh/mesh_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NO_VERTEX UINT32_MAX

typedef struct mc_ctx {
  const carm_volume *vol;
  double iso;
  int64_t px, py, pz; /* padded point counts: dims + 2 */
  uint32_t *xe[2];    /* x-edge slots of the lower / upper plane: (px-1)*py */
  uint32_t *ye[2];    /* y-edge slots: px*(py-1) */
  uint32_t *ze;       /* z-edge slots of the slab: px*py */
  mesh_buf buf;
} mc_ctx;

/* Value at padded point (p, q, r); NaN outside the volume. */
static double value_at(const mc_ctx *c, int64_t p, int64_t q, int64_t r) {
  const carm_volume *v = c->vol;
  int64_t i = p - 1;
  int64_t j = q - 1;
  int64_t k = r - 1;
  if (i < 0 || j < 0 || k < 0 || i >= v->dims[0] || j >= v->dims[1] || k >= v->dims[2]) {
    return NAN;
  }
  return (double)carm_volume_at(v, i, j, k);
}

static int inside(double value, double iso) { return value > iso; }

/* Vertex on the edge from padded point (p, q, r) along `axis`; values a, b
 * at its two ends. */
static int64_t make_vertex(mc_ctx *c, int64_t p, int64_t q, int64_t r, int axis, double a,
                           double b) {
  double t = 0.5;
  if (!isnan(a) && !isnan(b) && b != a) {
    t = (c->iso - a) / (b - a);
    if (t < 0.0) {
      t = 0.0;
    } else if (t > 1.0) {
      t = 1.0;
    }
  }
  double ijk[3] = {(double)(p - 1), (double)(q - 1), (double)(r - 1)};
  ijk[axis] += t;
  double xyz[3];
  carm_volume_index_to_point(c->vol, ijk, xyz);
  return mesh_buf_vertex(&c->buf, xyz[0], xyz[1], xyz[2]);
}

/* Slot of cube (p, q) edge e in the current layer (lower plane 0, upper 1). */
static uint32_t *edge_slot(mc_ctx *c, int64_t p, int64_t q, int e) {
  int a = e / 4;
  int m = e % 4;
  if (a == 0) { /* x-edge at (p, q + (m&1)), plane m>>1 */
    return &c->xe[m >> 1][(q + (m & 1)) * (c->px - 1) + p];
  }
  if (a == 1) { /* y-edge at (p + (m&1), q), plane m>>1 */
    return &c->ye[m >> 1][q * c->px + p + (m & 1)];
  }
  /* z-edge at (p + (m&1), q + (m>>1)) */
  return &c->ze[(q + (m >> 1)) * c->px + p + (m & 1)];
}

static carm_status cube(mc_ctx *c, const mesh_mc_case *tab, int64_t p, int64_t q, int64_t r,
                        int flip) {
  double val[8];
  int cfg = 0;
  const carm_volume *v = c->vol;
  if (p >= 1 && q >= 1 && r >= 1 && p < v->dims[0] && q < v->dims[1] && r < v->dims[2]) {
    /* interior cube: corners straight from memory */
    const int64_t sx = 1;
    const int64_t sy = v->dims[0];
    const int64_t sz = v->dims[0] * v->dims[1];
    const float *base = &v->data[(r - 1) * sz + (q - 1) * sy + (p - 1)];
    const int64_t off[8] = {0, sx, sy, sx + sy, sz, sz + sx, sz + sy, sz + sy + sx};
    for (int k = 0; k < 8; k++) {
      val[k] = (double)base[off[k]];
      if (inside(val[k], c->iso)) {
        cfg |= 1 << k;
      }
    }
  } else {
    for (int k = 0; k < 8; k++) {
      val[k] = value_at(c, p + (k & 1), q + ((k >> 1) & 1), r + ((k >> 2) & 1));
      if (inside(val[k], c->iso)) {
        cfg |= 1 << k;
      }
    }
  }
  if (cfg == 0 || cfg == 255) {
    return CARM_OK;
  }
  const mesh_mc_case *cs = &tab[cfg];
  int off = 0;
  for (int l = 0; l < cs->n_loops; l++) {
    int len = cs->loop_len[l];
    uint32_t idx[12];
    for (int i = 0; i < len; i++) {
      int e = cs->edges[off + i];
      uint32_t *slot = edge_slot(c, p, q, e);
      if (*slot == NO_VERTEX) {
        int c0;
        int c1;
        mesh_mc_edge_corners(e, &c0, &c1);
        int64_t vi = make_vertex(c, p + (c0 & 1), q + ((c0 >> 1) & 1), r + ((c0 >> 2) & 1), e / 4,
                                 val[c0], val[c1]);
        if (vi < 0) {
          return carm_error(CARM_ERR_NOMEM, "marching cubes: out of memory or over %lld vertices",
                            (long long)CARM_MESH_MAX_ELEMENTS);
        }
        *slot = (uint32_t)vi;
      }
      idx[flip ? len - 1 - i : i] = *slot;
    }
    off += len;
    carm_status st = CARM_OK;
    if (len == 3) {
      st = mesh_buf_triangle(&c->buf, idx[0], idx[1], idx[2]);
    } else if (len == 4) {
      const float *v0 = &c->buf.v[3 * (int64_t)idx[0]];
      const float *v1 = &c->buf.v[3 * (int64_t)idx[1]];
      const float *v2 = &c->buf.v[3 * (int64_t)idx[2]];
      const float *v3 = &c->buf.v[3 * (int64_t)idx[3]];
      double d02 = 0.0;
      double d13 = 0.0;
      for (int a = 0; a < 3; a++) {
        d02 += ((double)v0[a] - v2[a]) * ((double)v0[a] - v2[a]);
        d13 += ((double)v1[a] - v3[a]) * ((double)v1[a] - v3[a]);
      }
      if (d02 <= d13) {
        st = mesh_buf_triangle(&c->buf, idx[0], idx[1], idx[2]);
        if (st == CARM_OK) {
          st = mesh_buf_triangle(&c->buf, idx[0], idx[2], idx[3]);
        }
      } else {
        st = mesh_buf_triangle(&c->buf, idx[1], idx[2], idx[3]);
        if (st == CARM_OK) {
          st = mesh_buf_triangle(&c->buf, idx[1], idx[3], idx[0]);
        }
      }
    } else {
      double s[3] = {0.0, 0.0, 0.0};
      for (int i = 0; i < len; i++) {
        for (int a = 0; a < 3; a++) {
          s[a] += c->buf.v[3 * (int64_t)idx[i] + a];
        }
      }
      int64_t ci = mesh_buf_vertex(&c->buf, s[0] / len, s[1] / len, s[2] / len);
      if (ci < 0) {
        return carm_error(CARM_ERR_NOMEM, "marching cubes: out of memory or over %lld vertices",
                          (long long)CARM_MESH_MAX_ELEMENTS);
      }
      for (int i = 0; i < len && st == CARM_OK; i++) {
        st = mesh_buf_triangle(&c->buf, idx[i], idx[(i + 1) % len], (uint32_t)ci);
      }
    }
    if (st != CARM_OK) {
      return st;
    }
  }
  return CARM_OK;
}

static void fill_none(uint32_t *a, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    a[i] = NO_VERTEX;
  }
}

carm_status carm_mesh_marching_cubes(carm_mesh **out, const carm_volume *vol, double iso,
                                     const carm_progress *progress) {
  if (out == NULL || vol == NULL || vol->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "marching cubes: NULL argument");
  }
  if (!isfinite(iso)) {
    return carm_error(CARM_ERR_INVALID, "marching cubes: iso value must be finite");
  }
  carm_status st = carm_volume_check_grid(vol);
  if (st != CARM_OK) {
    return st;
  }
  const mesh_mc_case *tab = mesh_mc_table();
  if (tab == NULL) {
    return carm_error(CARM_ERR_INTERNAL, "marching cubes: case table inconsistent");
  }
  mc_ctx c;
  memset(&c, 0, sizeof c);
  c.vol = vol;
  c.iso = iso;
  c.px = vol->dims[0] + 2;
  c.py = vol->dims[1] + 2;
  c.pz = vol->dims[2] + 2;
  int64_t nxe = (c.px - 1) * c.py;
  int64_t nye = c.px * (c.py - 1);
  int64_t nze = c.px * c.py;
  c.xe[0] = malloc((size_t)nxe * sizeof(uint32_t));
  c.xe[1] = malloc((size_t)nxe * sizeof(uint32_t));
  c.ye[0] = malloc((size_t)nye * sizeof(uint32_t));
  c.ye[1] = malloc((size_t)nye * sizeof(uint32_t));
  c.ze = malloc((size_t)nze * sizeof(uint32_t));
  if (c.xe[0] == NULL || c.xe[1] == NULL || c.ye[0] == NULL || c.ye[1] == NULL || c.ze == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "marching cubes: out of memory for edge tables");
    goto cleanup;
  }
  fill_none(c.xe[0], nxe);
  fill_none(c.ye[0], nye);
  int flip = carm_mat3_det(vol->direction) < 0.0;
  for (int64_t r = 0; r + 1 < c.pz; r++) {
    fill_none(c.xe[1], nxe);
    fill_none(c.ye[1], nye);
    fill_none(c.ze, nze);
    for (int64_t q = 0; q + 1 < c.py; q++) {
      for (int64_t p = 0; p + 1 < c.px; p++) {
        st = cube(&c, tab, p, q, r, flip);
        if (st != CARM_OK) {
          goto cleanup;
        }
      }
    }
    uint32_t *t = c.xe[0];
    c.xe[0] = c.xe[1];
    c.xe[1] = t;
    t = c.ye[0];
    c.ye[0] = c.ye[1];
    c.ye[1] = t;
    if (carm_progress_report(progress, (double)(r + 1) / (double)(c.pz - 1), "marching cubes")) {
      st = carm_error(CARM_ERR_CANCELLED, "marching cubes cancelled");
      goto cleanup;
    }
  }
  carm_mesh *m = NULL;
  st = mesh_buf_finish(&c.buf, &m);
  if (st == CARM_OK) {
    st = carm_mesh_normals(m);
    if (st != CARM_OK) {
      carm_mesh_destroy(m);
    } else {
      *out = m;
    }
  }
cleanup:
  mesh_buf_free(&c.buf);
  free(c.xe[0]);
  free(c.xe[1]);
  free(c.ye[0]);
  free(c.ye[1]);
  free(c.ze);
  return st;
}
