/* Mesh objects, growable buffers, normals, volume and area, welding. */
#include "mesh/mesh_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

carm_status carm_mesh_create(carm_mesh **out, int64_t n_vertices, int64_t n_triangles) {
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "mesh: NULL output");
  }
  if (n_vertices < 0 || n_triangles < 0 || n_vertices > CARM_MESH_MAX_ELEMENTS ||
      n_triangles > CARM_MESH_MAX_ELEMENTS) {
    return carm_error(CARM_ERR_RANGE, "mesh: %lld vertices / %lld triangles out of range",
                      (long long)n_vertices, (long long)n_triangles);
  }
  carm_mesh *m = calloc(1, sizeof *m);
  if (m == NULL) {
    return carm_error(CARM_ERR_NOMEM, "mesh: out of memory");
  }
  m->vertices_mm = malloc((size_t)(n_vertices > 0 ? n_vertices : 1) * 3 * sizeof(float));
  m->triangles = malloc((size_t)(n_triangles > 0 ? n_triangles : 1) * 3 * sizeof(uint32_t));
  if (m->vertices_mm == NULL || m->triangles == NULL) {
    carm_mesh_destroy(m);
    return carm_error(CARM_ERR_NOMEM, "mesh: out of memory for %lld vertices",
                      (long long)n_vertices);
  }
  m->n_vertices = n_vertices;
  m->n_triangles = n_triangles;
  *out = m;
  return CARM_OK;
}

void carm_mesh_destroy(carm_mesh *mesh) {
  if (mesh == NULL) {
    return;
  }
  free(mesh->vertices_mm);
  free(mesh->normals);
  free(mesh->triangles);
  free(mesh);
}

/* ---- growable buffer ------------------------------------------------------ */

int64_t mesh_buf_vertex(mesh_buf *b, double x, double y, double z) {
  if (b->nv >= CARM_MESH_MAX_ELEMENTS) {
    return -1;
  }
  if (b->nv == b->cap_v) {
    int64_t cap = b->cap_v > 0 ? b->cap_v * 2 : 4096;
    float *v = realloc(b->v, (size_t)cap * 3 * sizeof(float));
    if (v == NULL) {
      return -1;
    }
    b->v = v;
    b->cap_v = cap;
  }
  b->v[3 * b->nv] = (float)x;
  b->v[3 * b->nv + 1] = (float)y;
  b->v[3 * b->nv + 2] = (float)z;
  return b->nv++;
}

carm_status mesh_buf_triangle(mesh_buf *b, uint32_t a, uint32_t c, uint32_t d) {
  if (b->nt >= CARM_MESH_MAX_ELEMENTS) {
    return carm_error(CARM_ERR_RANGE, "mesh: over %lld triangles",
                      (long long)CARM_MESH_MAX_ELEMENTS);
  }
  if (b->nt == b->cap_t) {
    int64_t cap = b->cap_t > 0 ? b->cap_t * 2 : 8192;
    uint32_t *t = realloc(b->t, (size_t)cap * 3 * sizeof(uint32_t));
    if (t == NULL) {
      return carm_error(CARM_ERR_NOMEM, "mesh: out of memory for %lld triangles", (long long)cap);
    }
    b->t = t;
    b->cap_t = cap;
  }
  b->t[3 * b->nt] = a;
  b->t[3 * b->nt + 1] = c;
  b->t[3 * b->nt + 2] = d;
  b->nt++;
  return CARM_OK;
}

carm_status mesh_buf_finish(mesh_buf *b, carm_mesh **out) {
  carm_mesh *m = calloc(1, sizeof *m);
  if (m == NULL) {
    return carm_error(CARM_ERR_NOMEM, "mesh: out of memory");
  }
  /* shrink (never fails in practice; keep the larger block if it does) */
  float *v = b->nv > 0 ? realloc(b->v, (size_t)b->nv * 3 * sizeof(float)) : NULL;
  uint32_t *t = b->nt > 0 ? realloc(b->t, (size_t)b->nt * 3 * sizeof(uint32_t)) : NULL;
  m->vertices_mm = v != NULL ? v : b->v;
  m->triangles = t != NULL ? t : b->t;
  if (m->vertices_mm == NULL) {
    m->vertices_mm = malloc(3 * sizeof(float));
  }
  if (m->triangles == NULL) {
    m->triangles = malloc(3 * sizeof(uint32_t));
  }
  m->n_vertices = b->nv;
  m->n_triangles = b->nt;
  memset(b, 0, sizeof *b);
  if (m->vertices_mm == NULL || m->triangles == NULL) {
    carm_mesh_destroy(m);
    return carm_error(CARM_ERR_NOMEM, "mesh: out of memory");
  }
  *out = m;
  return CARM_OK;
}

void mesh_buf_free(mesh_buf *b) {
  free(b->v);
  free(b->t);
  memset(b, 0, sizeof *b);
}

/* ---- measures ------------------------------------------------------------- */

static void tri_points(const carm_mesh *m, int64_t t, double p[3][3]) {
  for (int k = 0; k < 3; k++) {
    const float *v = &m->vertices_mm[3 * (int64_t)m->triangles[3 * t + k]];
    p[k][0] = v[0];
    p[k][1] = v[1];
    p[k][2] = v[2];
  }
}

double carm_mesh_volume_mm3(const carm_mesh *mesh) {
  if (mesh == NULL || mesh->n_triangles == 0) {
    return 0.0;
  }
  /* about the first vertex, for accuracy far from the origin */
  double o[3] = {mesh->vertices_mm[0], mesh->vertices_mm[1], mesh->vertices_mm[2]};
  double sum = 0.0;
  for (int64_t t = 0; t < mesh->n_triangles; t++) {
    double p[3][3];
    tri_points(mesh, t, p);
    double a[3];
    double b[3];
    double c[3];
    for (int k = 0; k < 3; k++) {
      a[k] = p[0][k] - o[k];
      b[k] = p[1][k] - o[k];
      c[k] = p[2][k] - o[k];
    }
    double bc[3];
    carm_vec3_cross(b, c, bc);
    sum += carm_vec3_dot(a, bc);
  }
  return sum / 6.0;
}

double carm_mesh_area_mm2(const carm_mesh *mesh) {
  if (mesh == NULL) {
    return 0.0;
  }
  double sum = 0.0;
  for (int64_t t = 0; t < mesh->n_triangles; t++) {
    double p[3][3];
    tri_points(mesh, t, p);
    double u[3] = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
    double v[3] = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
    double n[3];
    carm_vec3_cross(u, v, n);
    sum += 0.5 * carm_vec3_norm(n);
  }
  return sum;
}

static carm_status check_indices(const carm_mesh *m) {
  if (m == NULL || (m->n_vertices > 0 && m->vertices_mm == NULL) ||
      (m->n_triangles > 0 && m->triangles == NULL) || m->n_vertices < 0 || m->n_triangles < 0) {
    return carm_error(CARM_ERR_INVALID, "mesh: NULL or inconsistent mesh");
  }
  for (int64_t i = 0; i < 3 * m->n_triangles; i++) {
    if ((int64_t)m->triangles[i] >= m->n_vertices) {
      return carm_error(CARM_ERR_INVALID, "mesh: triangle %lld refers to vertex %lu of %lld",
                        (long long)(i / 3), (unsigned long)m->triangles[i],
                        (long long)m->n_vertices);
    }
  }
  return CARM_OK;
}

carm_status carm_mesh_normals(carm_mesh *mesh) {
  carm_status st = check_indices(mesh);
  if (st != CARM_OK) {
    return st;
  }
  size_t n3 = (size_t)(mesh->n_vertices > 0 ? mesh->n_vertices : 1) * 3;
  double *acc = calloc(n3, sizeof(double));
  if (acc == NULL) {
    return carm_error(CARM_ERR_NOMEM, "mesh normals: out of memory");
  }
  if (mesh->normals == NULL) {
    mesh->normals = malloc(n3 * sizeof(float));
    if (mesh->normals == NULL) {
      free(acc);
      return carm_error(CARM_ERR_NOMEM, "mesh normals: out of memory");
    }
  }
  for (int64_t t = 0; t < mesh->n_triangles; t++) {
    double p[3][3];
    tri_points(mesh, t, p);
    double u[3] = {p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][2] - p[0][2]};
    double v[3] = {p[2][0] - p[0][0], p[2][1] - p[0][1], p[2][2] - p[0][2]};
    double n[3];
    carm_vec3_cross(u, v, n); /* length = 2 x area: area weighting */
    for (int k = 0; k < 3; k++) {
      double *a = &acc[3 * (int64_t)mesh->triangles[3 * t + k]];
      a[0] += n[0];
      a[1] += n[1];
      a[2] += n[2];
    }
  }
  for (int64_t i = 0; i < mesh->n_vertices; i++) {
    double *a = &acc[3 * i];
    double len = carm_vec3_norm(a);
    for (int k = 0; k < 3; k++) {
      mesh->normals[3 * i + k] = len > 0.0 ? (float)(a[k] / len) : 0.0f;
    }
  }
  free(acc);
  return CARM_OK;
}

/* ---- welding -------------------------------------------------------------- */

typedef struct weld_cell {
  int64_t key[3];
  int64_t head; /* first representative in this cell, -1 when the slot is empty */
} weld_cell;

static uint64_t cell_hash(const int64_t k[3]) {
  uint64_t h = (uint64_t)k[0] * 0x9E3779B97F4A7C15ull;
  h ^= (uint64_t)k[1] * 0xC2B2AE3D27D4EB4Full + (h << 6) + (h >> 2);
  h ^= (uint64_t)k[2] * 0x165667B19E3779F9ull + (h << 6) + (h >> 2);
  return h;
}

static weld_cell *cell_find(weld_cell *tab, uint64_t mask, const int64_t k[3], int create) {
  uint64_t h = cell_hash(k) & mask;
  for (;;) {
    weld_cell *c = &tab[h];
    if (c->head < 0) {
      if (!create) {
        return NULL;
      }
      memcpy(c->key, k, sizeof c->key);
      return c;
    }
    if (c->key[0] == k[0] && c->key[1] == k[1] && c->key[2] == k[2]) {
      return c;
    }
    h = (h + 1) & mask;
  }
}

carm_status carm_mesh_weld(carm_mesh *mesh, double tol_mm) {
  carm_status st = check_indices(mesh);
  if (st != CARM_OK) {
    return st;
  }
  if (!(tol_mm > 0.0) || !isfinite(tol_mm)) {
    return carm_error(CARM_ERR_INVALID, "mesh weld: tolerance must be a positive number");
  }
  int64_t nv = mesh->n_vertices;
  if (nv == 0) {
    return CARM_OK;
  }
  uint64_t size = 1;
  while (size < (uint64_t)nv * 2) {
    size <<= 1;
  }
  weld_cell *tab = malloc(size * sizeof *tab);
  int64_t *next = malloc((size_t)nv * sizeof(int64_t));
  int64_t *map = malloc((size_t)nv * sizeof(int64_t));
  int64_t *newidx = malloc((size_t)nv * sizeof(int64_t));
  if (tab == NULL || next == NULL || map == NULL || newidx == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "mesh weld: out of memory");
    goto cleanup;
  }
  for (uint64_t i = 0; i < size; i++) {
    tab[i].head = -1;
  }
  const double tol2 = tol_mm * tol_mm;
  for (int64_t i = 0; i < nv; i++) {
    const float *p = &mesh->vertices_mm[3 * i];
    int64_t k[3];
    for (int a = 0; a < 3; a++) {
      k[a] = (int64_t)floor((double)p[a] / tol_mm);
    }
    int64_t found = -1;
    for (int dz = -1; dz <= 1 && found < 0; dz++) {
      for (int dy = -1; dy <= 1 && found < 0; dy++) {
        for (int dx = -1; dx <= 1 && found < 0; dx++) {
          int64_t kk[3] = {k[0] + dx, k[1] + dy, k[2] + dz};
          weld_cell *c = cell_find(tab, size - 1, kk, 0);
          for (int64_t r = c != NULL ? c->head : -1; r >= 0; r = next[r]) {
            const float *q = &mesh->vertices_mm[3 * r];
            double d2 = 0.0;
            for (int a = 0; a < 3; a++) {
              d2 += ((double)p[a] - q[a]) * ((double)p[a] - q[a]);
            }
            if (d2 <= tol2) {
              found = r;
              break;
            }
          }
        }
      }
    }
    if (found >= 0) {
      map[i] = found;
    } else {
      map[i] = i;
      weld_cell *c = cell_find(tab, size - 1, k, 1);
      next[i] = c->head;
      c->head = i;
    }
  }
  /* remap triangles, drop degenerate ones */
  int64_t nt = 0;
  for (int64_t t = 0; t < mesh->n_triangles; t++) {
    uint32_t a = (uint32_t)map[mesh->triangles[3 * t]];
    uint32_t b = (uint32_t)map[mesh->triangles[3 * t + 1]];
    uint32_t c = (uint32_t)map[mesh->triangles[3 * t + 2]];
    if (a == b || b == c || a == c) {
      continue;
    }
    mesh->triangles[3 * nt] = a;
    mesh->triangles[3 * nt + 1] = b;
    mesh->triangles[3 * nt + 2] = c;
    nt++;
  }
  /* compact the used vertices */
  for (int64_t i = 0; i < nv; i++) {
    newidx[i] = -1;
  }
  int64_t nn = 0;
  for (int64_t t = 0; t < 3 * nt; t++) {
    uint32_t v = mesh->triangles[t];
    if (newidx[v] < 0) {
      newidx[v] = nn++;
    }
  }
  float *nvtx = malloc((size_t)(nn > 0 ? nn : 1) * 3 * sizeof(float));
  if (nvtx == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "mesh weld: out of memory");
    goto cleanup;
  }
  for (int64_t i = 0; i < nv; i++) {
    if (newidx[i] >= 0) {
      memcpy(&nvtx[3 * newidx[i]], &mesh->vertices_mm[3 * i], 3 * sizeof(float));
    }
  }
  for (int64_t t = 0; t < 3 * nt; t++) {
    mesh->triangles[t] = (uint32_t)newidx[mesh->triangles[t]];
  }
  int changed = nn != nv || nt != mesh->n_triangles;
  free(mesh->vertices_mm);
  mesh->vertices_mm = nvtx;
  mesh->n_vertices = nn;
  mesh->n_triangles = nt;
  if (changed) {
    free(mesh->normals);
    mesh->normals = NULL;
  }
cleanup:
  free(tab);
  free(next);
  free(map);
  free(newidx);
  return st;
}
