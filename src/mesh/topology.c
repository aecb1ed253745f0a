/* Edge-based topology checks and Taubin smoothing (both need the edge list). */
#include "mesh/mesh_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct half_edge {
  uint64_t key; /* (min << 32) | max */
  uint32_t tri;
  uint32_t forward; /* 1 when the triangle runs min -> max */
} half_edge;

static int cmp_half_edge(const void *a, const void *b) {
  const half_edge *x = a;
  const half_edge *y = b;
  if (x->key != y->key) {
    return x->key < y->key ? -1 : 1;
  }
  return (x->tri > y->tri) - (x->tri < y->tri);
}

static int64_t uf_find(int64_t *parent, int64_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

static carm_status mesh_valid(const carm_mesh *m) {
  if (m == NULL || m->n_vertices < 0 || m->n_triangles < 0 ||
      (m->n_vertices > 0 && m->vertices_mm == NULL) ||
      (m->n_triangles > 0 && m->triangles == NULL)) {
    return carm_error(CARM_ERR_INVALID, "mesh: NULL or inconsistent mesh");
  }
  for (int64_t i = 0; i < 3 * m->n_triangles; i++) {
    if ((int64_t)m->triangles[i] >= m->n_vertices) {
      return carm_error(CARM_ERR_INVALID, "mesh: triangle %lld refers to a missing vertex",
                        (long long)(i / 3));
    }
  }
  return CARM_OK;
}

/* Sorted half-edges of the non-degenerate triangles; count in *n. */
static carm_status build_edges(const carm_mesh *m, half_edge **out, int64_t *n,
                               int64_t *n_degenerate) {
  half_edge *he = malloc((size_t)(m->n_triangles > 0 ? m->n_triangles : 1) * 3 * sizeof *he);
  if (he == NULL) {
    return carm_error(CARM_ERR_NOMEM, "mesh: out of memory for the edge list");
  }
  int64_t k = 0;
  int64_t deg = 0;
  for (int64_t t = 0; t < m->n_triangles; t++) {
    const uint32_t *v = &m->triangles[3 * t];
    if (v[0] == v[1] || v[1] == v[2] || v[0] == v[2]) {
      deg++;
      continue;
    }
    for (int e = 0; e < 3; e++) {
      uint32_t a = v[e];
      uint32_t b = v[(e + 1) % 3];
      uint32_t lo = a < b ? a : b;
      uint32_t hi = a < b ? b : a;
      he[k].key = ((uint64_t)lo << 32) | hi;
      he[k].tri = (uint32_t)t;
      he[k].forward = a < b;
      k++;
    }
  }
  qsort(he, (size_t)k, sizeof *he, cmp_half_edge);
  *out = he;
  *n = k;
  if (n_degenerate != NULL) {
    *n_degenerate = deg;
  }
  return CARM_OK;
}

carm_status carm_mesh_topology_check(const carm_mesh *mesh, carm_mesh_topology *out) {
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "mesh topology: NULL output");
  }
  carm_status st = mesh_valid(mesh);
  if (st != CARM_OK) {
    return st;
  }
  carm_mesh_topology r;
  memset(&r, 0, sizeof r);
  half_edge *he = NULL;
  int64_t nh = 0;
  int64_t *parent = NULL;
  unsigned char *used = NULL;
  st = build_edges(mesh, &he, &nh, &r.n_degenerate);
  if (st != CARM_OK) {
    return st;
  }
  parent = malloc((size_t)(mesh->n_triangles > 0 ? mesh->n_triangles : 1) * sizeof(int64_t));
  used = calloc((size_t)(mesh->n_vertices > 0 ? mesh->n_vertices : 1), 1);
  if (parent == NULL || used == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "mesh topology: out of memory");
    goto cleanup;
  }
  for (int64_t t = 0; t < mesh->n_triangles; t++) {
    parent[t] = t;
    for (int k = 0; k < 3; k++) {
      used[mesh->triangles[3 * t + k]] = 1;
    }
  }
  for (int64_t i = 0; i < nh;) {
    int64_t j = i;
    while (j < nh && he[j].key == he[i].key) {
      j++;
    }
    int64_t cnt = j - i;
    r.n_edges++;
    if (cnt == 1) {
      r.n_boundary_edges++;
    } else if (cnt > 2) {
      r.n_nonmanifold_edges++;
    } else if (he[i].forward == he[i + 1].forward) {
      r.n_misoriented_edges++;
    }
    for (int64_t k = i + 1; k < j; k++) {
      int64_t a = uf_find(parent, he[i].tri);
      int64_t b = uf_find(parent, he[k].tri);
      if (a != b) {
        parent[a] = b;
      }
    }
    i = j;
  }
  for (int64_t v = 0; v < mesh->n_vertices; v++) {
    r.n_vertices += used[v];
  }
  r.n_triangles = mesh->n_triangles;
  for (int64_t t = 0; t < mesh->n_triangles; t++) {
    r.n_components += uf_find(parent, t) == t;
  }
  r.euler = r.n_vertices - r.n_edges + r.n_triangles;
  r.watertight = r.n_triangles > 0 && r.n_boundary_edges == 0 && r.n_nonmanifold_edges == 0 &&
                 r.n_misoriented_edges == 0 && r.n_degenerate == 0;
  *out = r;
cleanup:
  free(he);
  free(parent);
  free(used);
  return st;
}

carm_status carm_mesh_smooth_taubin(carm_mesh *mesh, int iterations, double lambda, double mu) {
  carm_status st = mesh_valid(mesh);
  if (st != CARM_OK) {
    return st;
  }
  if (!(lambda > 0.0 && lambda < 1.0) || !(mu < -lambda) || !(mu > -1.0) || iterations < 0 ||
      iterations > 10000) {
    return carm_error(CARM_ERR_INVALID,
                      "Taubin smoothing: need 0 < lambda < 1, -1 < mu < -lambda and 0..10000 "
                      "iterations (got lambda %g, mu %g, %d)",
                      lambda, mu, iterations);
  }
  if (iterations == 0 || mesh->n_triangles == 0) {
    return carm_mesh_normals(mesh);
  }
  half_edge *he = NULL;
  int64_t nh = 0;
  int64_t nv = mesh->n_vertices;
  int64_t *start = NULL;
  uint32_t *nbr = NULL;
  double *p = NULL;
  double *q = NULL;
  st = build_edges(mesh, &he, &nh, NULL);
  if (st != CARM_OK) {
    return st;
  }
  /* CSR adjacency from the distinct edges */
  start = calloc((size_t)nv + 1, sizeof(int64_t));
  nbr = malloc((size_t)(nh > 0 ? nh : 1) * 2 * sizeof(uint32_t));
  p = malloc((size_t)nv * 3 * sizeof(double));
  q = malloc((size_t)nv * 3 * sizeof(double));
  if (start == NULL || nbr == NULL || p == NULL || q == NULL) {
    st = carm_error(CARM_ERR_NOMEM, "Taubin smoothing: out of memory");
    goto cleanup;
  }
  for (int64_t i = 0; i < nh; i++) {
    if (i > 0 && he[i].key == he[i - 1].key) {
      continue;
    }
    start[(he[i].key >> 32) + 1]++;
    start[(he[i].key & 0xffffffffu) + 1]++;
  }
  for (int64_t v = 0; v < nv; v++) {
    start[v + 1] += start[v];
  }
  {
    int64_t *fill = malloc((size_t)nv * sizeof(int64_t));
    if (fill == NULL) {
      st = carm_error(CARM_ERR_NOMEM, "Taubin smoothing: out of memory");
      goto cleanup;
    }
    memcpy(fill, start, (size_t)nv * sizeof(int64_t));
    for (int64_t i = 0; i < nh; i++) {
      if (i > 0 && he[i].key == he[i - 1].key) {
        continue;
      }
      uint32_t a = (uint32_t)(he[i].key >> 32);
      uint32_t b = (uint32_t)(he[i].key & 0xffffffffu);
      nbr[fill[a]++] = b;
      nbr[fill[b]++] = a;
    }
    free(fill);
  }
  for (int64_t i = 0; i < 3 * nv; i++) {
    p[i] = mesh->vertices_mm[i];
  }
  for (int it = 0; it < 2 * iterations; it++) {
    double f = (it % 2 == 0) ? lambda : mu;
#pragma omp parallel for schedule(static)
    for (int64_t v = 0; v < nv; v++) {
      int64_t n = start[v + 1] - start[v];
      if (n == 0) {
        q[3 * v] = p[3 * v];
        q[3 * v + 1] = p[3 * v + 1];
        q[3 * v + 2] = p[3 * v + 2];
        continue;
      }
      double s[3] = {0.0, 0.0, 0.0};
      for (int64_t k = start[v]; k < start[v + 1]; k++) {
        const double *o = &p[3 * (int64_t)nbr[k]];
        s[0] += o[0];
        s[1] += o[1];
        s[2] += o[2];
      }
      for (int a = 0; a < 3; a++) {
        q[3 * v + a] = p[3 * v + a] + f * (s[a] / (double)n - p[3 * v + a]);
      }
    }
    double *t = p;
    p = q;
    q = t;
  }
  for (int64_t i = 0; i < 3 * nv; i++) {
    mesh->vertices_mm[i] = (float)p[i];
  }
  st = carm_mesh_normals(mesh);
cleanup:
  free(he);
  free(start);
  free(nbr);
  free(p);
  free(q);
  return st;
}
