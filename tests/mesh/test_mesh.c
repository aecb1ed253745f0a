/* Marching cubes, smoothing, topology and volume: every case of the table,
 * random masks, spheres, boxes and tori on anisotropic and rotated grids. */
#include "carm/carm.h"
#include "carm/mesh.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static carm_volume *vol3(int64_t nx, int64_t ny, int64_t nz, const double sp[3]) {
  int64_t d[3] = {nx, ny, nz};
  carm_volume *v = NULL;
  if (carm_volume_create(&v, d) != CARM_OK) {
    fprintf(stderr, "cannot allocate\n");
    exit(1);
  }
  memcpy(v->spacing, sp, sizeof v->spacing);
  return v;
}

static double label_volume(const carm_volume *v, float label) {
  int64_t n = 0;
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    n += v->data[i] == label;
  }
  return (double)n * v->spacing[0] * v->spacing[1] * v->spacing[2];
}

static carm_mesh_topology topo(const carm_mesh *m) {
  carm_mesh_topology t;
  memset(&t, 0, sizeof t);
  carm_status st = carm_mesh_topology_check(m, &t);
  CHECK(st == CARM_OK);
  return t;
}

/* Every one of the 256 corner patterns of a single cube, meshed inside the
 * padded 2x2x2 volume, gives closed, oriented surfaces of positive volume;
 * Euler characteristic 2 per component. */
static void test_all_cases(void) {
  const double sp[3] = {1.0, 1.0, 1.0};
  int bad = 0;
  for (int cfg = 1; cfg < 256; cfg++) {
    carm_volume *v = vol3(2, 2, 2, sp);
    for (int c = 0; c < 8; c++) {
      v->data[c] = (cfg >> c) & 1 ? 1.0f : 0.0f;
    }
    carm_mesh *m = NULL;
    if (carm_mesh_marching_cubes(&m, v, 0.5, NULL) != CARM_OK) {
      bad++;
      carm_volume_destroy(v);
      continue;
    }
    carm_mesh_topology t = topo(m);
    double vol = carm_mesh_volume_mm3(m);
    if (!t.watertight || vol <= 0.0 || t.euler != 2 * t.n_components) {
      fprintf(stderr, "case %d: watertight %d volume %g euler %lld components %lld\n", cfg,
              t.watertight, vol, (long long)t.euler, (long long)t.n_components);
      bad++;
    }
    carm_mesh_destroy(m);
    carm_volume_destroy(v);
  }
  CHECK_MSG(bad == 0, "%d of 255 cube cases failed", bad);
}

/* Random grey volumes with NaN: the surface of any set of voxels is closed
 * and oriented; each component is a closed orientable surface, so the Euler
 * characteristic is even, and the enclosed volume is positive. */
static void test_random_masks(void) {
  const double sp[3] = {0.7, 1.1, 1.3};
  carm_rng rng;
  carm_rng_seed(&rng, 42);
  for (int trial = 0; trial < 20; trial++) {
    carm_volume *v = vol3(9, 8, 7, sp);
    double p = 0.2 + 0.03 * trial;
    for (int64_t i = 0; i < carm_volume_count(v); i++) {
      double u = carm_rng_uniform(&rng);
      /* grey values around the iso value, and some NaN (outside) */
      v->data[i] = u < 0.05 ? NAN : (float)(u < p ? 0.5 + u : u - p);
    }
    carm_mesh *m = NULL;
    CHECK(carm_mesh_marching_cubes(&m, v, 0.5, NULL) == CARM_OK);
    if (m == NULL) {
      carm_volume_destroy(v);
      continue;
    }
    carm_mesh_topology t = topo(m);
    CHECK_MSG(t.watertight, "trial %d: boundary %lld nonmanifold %lld misoriented %lld", trial,
              (long long)t.n_boundary_edges, (long long)t.n_nonmanifold_edges,
              (long long)t.n_misoriented_edges);
    CHECK(t.euler % 2 == 0);
    CHECK(carm_mesh_volume_mm3(m) > 0.0);
    /* smoothing keeps the topology */
    CHECK(carm_mesh_smooth_taubin(m, 5, 0.5, -0.53) == CARM_OK);
    carm_mesh_topology t2 = topo(m);
    CHECK(t2.watertight && t2.euler == t.euler && t2.n_edges == t.n_edges);
    carm_mesh_destroy(m);
    carm_volume_destroy(v);
  }
}

/* Label map with a sphere (1), a torus (2) and a box (12) on an anisotropic
 * grid with a rotated (and optionally mirrored) direction matrix. */
static carm_volume *shapes(int mirror) {
  const double sp[3] = {0.8, 0.9, 1.1};
  carm_volume *v = vol3(90, 80, 70, sp);
  double r[3][3];
  carm_mat3_rot_z(0.3, r);
  if (mirror) {
    for (int a = 0; a < 3; a++) {
      r[a][0] = -r[a][0];
    }
  }
  memcpy(v->direction, r, sizeof r);
  v->origin[0] = -20.0;
  v->origin[1] = 35.0;
  v->origin[2] = 100.0;
  for (int64_t k = 0; k < v->dims[2]; k++) {
    for (int64_t j = 0; j < v->dims[1]; j++) {
      for (int64_t i = 0; i < v->dims[0]; i++) {
        double x = (double)i * sp[0];
        double y = (double)j * sp[1];
        double z = (double)k * sp[2];
        float lab = 0.0f;
        /* sphere r = 12 mm at (18, 20, 20) */
        double ds = sqrt((x - 18) * (x - 18) + (y - 20) * (y - 20) + (z - 20) * (z - 20));
        if (ds <= 12.0) {
          lab = 1.0f;
        }
        /* torus R = 14, r = 5 mm around (45, 45, 50), axis z */
        double rho = sqrt((x - 45) * (x - 45) + (y - 45) * (y - 45));
        if ((rho - 14) * (rho - 14) + (z - 50) * (z - 50) <= 25.0) {
          lab = 2.0f;
        }
        /* box */
        if (x >= 45 && x <= 65 && y >= 5 && y <= 25 && z >= 8 && z <= 30) {
          lab = 12.0f;
        }
        v->data[(k * v->dims[1] + j) * v->dims[0] + i] = lab;
      }
    }
  }
  return v;
}

static void test_shapes(int mirror) {
  carm_volume *v = shapes(mirror);
  const struct {
    float label;
    int64_t euler;
    const char *name;
  } cases[] = {{1.0f, 2, "sphere"}, {2.0f, 0, "torus"}, {12.0f, 2, "box"}};
  for (size_t c = 0; c < 3; c++) {
    double truth = label_volume(v, cases[c].label);
    for (int smooth = 0; smooth < 2; smooth++) {
      carm_mesh_label_opts o = CARM_MESH_LABEL_OPTS_INIT;
      o.smooth_iterations = smooth ? 10 : 0;
      carm_mesh *m = NULL;
      CHECK(carm_mesh_from_label(&m, v, (int64_t)cases[c].label, &o) == CARM_OK);
      if (m == NULL) {
        continue;
      }
      carm_mesh_topology t = topo(m);
      double vol = carm_mesh_volume_mm3(m);
      double rel = (vol - truth) / truth;
      printf("%s%s smooth %d: %lld vertices %lld triangles, euler %lld, volume %.1f vs label "
             "%.1f mm3 (%+.2f %%)\n",
             cases[c].name, mirror ? " (mirrored grid)" : "", o.smooth_iterations,
             (long long)m->n_vertices, (long long)m->n_triangles, (long long)t.euler, vol, truth,
             100.0 * rel);
      CHECK(t.watertight);
      CHECK(t.n_components == 1);
      CHECK(t.euler == cases[c].euler);
      CHECK_MSG(fabs(rel) < 0.03, "%s volume off by %.2f %%", cases[c].name, 100.0 * rel);
      /* normals point outwards: mean of n . (p - centroid) > 0 */
      double cen[3] = {0.0, 0.0, 0.0};
      for (int64_t i = 0; i < m->n_vertices; i++) {
        for (int a = 0; a < 3; a++) {
          cen[a] += m->vertices_mm[3 * i + a] / (double)m->n_vertices;
        }
      }
      if (cases[c].euler == 2) {
        int64_t outward = 0;
        for (int64_t i = 0; i < m->n_vertices; i++) {
          double d = 0.0;
          for (int a = 0; a < 3; a++) {
            d += m->normals[3 * i + a] * (m->vertices_mm[3 * i + a] - cen[a]);
          }
          outward += d > 0.0;
        }
        CHECK_MSG(outward == m->n_vertices, "%lld of %lld normals point outwards",
                  (long long)outward, (long long)m->n_vertices);
      }
      carm_mesh_destroy(m);
    }
  }
  /* the sphere's centroid lies at its physical centre (patient mm) */
  carm_mesh *m = NULL;
  CHECK(carm_mesh_from_label(&m, v, 1, NULL) == CARM_OK);
  if (m != NULL) {
    double ijk[3] = {18.0 / 0.8, 20.0 / 0.9, 20.0 / 1.1};
    double want[3];
    carm_volume_index_to_point(v, ijk, want);
    double lo[3] = {1e30, 1e30, 1e30};
    double hi[3] = {-1e30, -1e30, -1e30};
    for (int64_t i = 0; i < m->n_vertices; i++) {
      for (int a = 0; a < 3; a++) {
        lo[a] = fmin(lo[a], m->vertices_mm[3 * i + a]);
        hi[a] = fmax(hi[a], m->vertices_mm[3 * i + a]);
      }
    }
    for (int a = 0; a < 3; a++) {
      CHECK_NEAR(0.5 * (lo[a] + hi[a]), want[a], 0.6);
    }
    carm_mesh_destroy(m);
  }
  carm_volume_destroy(v);
}

/* Taubin keeps volume where plain Laplacian smoothing (mu = -lambda + tiny)
 * would not, and it does smooth: the area of a staircase sphere drops. */
static void test_taubin(void) {
  const double sp[3] = {1.0, 1.0, 1.0};
  carm_volume *v = vol3(30, 30, 30, sp);
  for (int64_t k = 0; k < 30; k++) {
    for (int64_t j = 0; j < 30; j++) {
      for (int64_t i = 0; i < 30; i++) {
        double x = (double)i - 14.5;
        double y = (double)j - 14.5;
        double z = (double)k - 14.5;
        double d = sqrt(x * x + y * y + z * z);
        v->data[(k * 30 + j) * 30 + i] = d <= 10.0 ? 1.0f : 0.0f;
      }
    }
  }
  carm_mesh *m = NULL;
  CHECK(carm_mesh_marching_cubes(&m, v, 0.5, NULL) == CARM_OK);
  if (m != NULL) {
    double a0 = carm_mesh_area_mm2(m);
    double v0 = carm_mesh_volume_mm3(m);
    CHECK(carm_mesh_smooth_taubin(m, 20, 0.5, -0.53) == CARM_OK);
    double a1 = carm_mesh_area_mm2(m);
    double v1 = carm_mesh_volume_mm3(m);
    double ideal = 4.0 * M_PI * 100.0;
    printf("taubin: area %.1f -> %.1f (sphere %.1f), volume %.1f -> %.1f\n", a0, a1, ideal, v0, v1);
    CHECK(a1 < a0);
    CHECK(fabs(a1 - ideal) < fabs(a0 - ideal));
    CHECK(fabs(v1 - v0) / v0 < 0.02);
    CHECK(carm_mesh_smooth_taubin(m, 1, 0.5, -0.4) == CARM_ERR_INVALID);
    CHECK(carm_mesh_smooth_taubin(m, 1, 1.5, -1.6) == CARM_ERR_INVALID);
    CHECK(carm_mesh_smooth_taubin(m, -1, 0.5, -0.53) == CARM_ERR_INVALID);
    carm_mesh_destroy(m);
  }
  carm_volume_destroy(v);
}

/* Welding a triangle soup of a cube (each triangle with its own vertices)
 * gives 8 vertices and a watertight mesh. */
static void test_weld(void) {
  static const int quads[6][4] = {{0, 2, 3, 1}, {4, 5, 7, 6}, {0, 1, 5, 4},
                                  {2, 6, 7, 3}, {0, 4, 6, 2}, {1, 3, 7, 5}};
  carm_mesh *m = NULL;
  CHECK(carm_mesh_create(&m, 36, 12) == CARM_OK);
  if (m == NULL) {
    return;
  }
  int64_t nv = 0;
  for (int q = 0; q < 6; q++) {
    const int tri[2][3] = {{0, 1, 2}, {0, 2, 3}};
    for (int t = 0; t < 2; t++) {
      for (int k = 0; k < 3; k++) {
        int c = quads[q][tri[t][k]];
        m->vertices_mm[3 * nv] = (float)(c & 1) * 10.0f + 1e-4f * (float)q;
        m->vertices_mm[3 * nv + 1] = (float)((c >> 1) & 1) * 10.0f;
        m->vertices_mm[3 * nv + 2] = (float)((c >> 2) & 1) * 10.0f;
        m->triangles[3 * (2 * q + t) + k] = (uint32_t)nv;
        nv++;
      }
    }
  }
  carm_mesh_topology t = topo(m);
  CHECK(!t.watertight && t.n_boundary_edges == 36);
  CHECK(carm_mesh_weld(m, 0.01) == CARM_OK);
  CHECK(m->n_vertices == 8);
  t = topo(m);
  CHECK(t.watertight && t.euler == 2);
  CHECK_NEAR(carm_mesh_volume_mm3(m), 1000.0, 0.1);
  CHECK(carm_mesh_weld(m, 0.0) == CARM_ERR_INVALID);
  carm_mesh_destroy(m);
}

static void test_errors(void) {
  carm_mesh *m = NULL;
  CHECK(carm_mesh_marching_cubes(&m, NULL, 0.5, NULL) == CARM_ERR_INVALID);
  const double sp[3] = {1.0, 1.0, 1.0};
  carm_volume *v = vol3(4, 4, 4, sp);
  CHECK(carm_mesh_marching_cubes(&m, v, NAN, NULL) == CARM_ERR_INVALID);
  /* empty surface: a mesh with nothing in it */
  CHECK(carm_mesh_marching_cubes(&m, v, 0.5, NULL) == CARM_OK);
  CHECK(m != NULL && m->n_triangles == 0);
  CHECK(carm_mesh_write(m, NULL, "empty.stl") == CARM_ERR_INVALID);
  carm_mesh_destroy(m);
  m = NULL;
  CHECK(carm_mesh_from_label(&m, v, 3, NULL) == CARM_ERR_NOTFOUND);
  CHECK(carm_mesh_from_label(&m, v, 0, NULL) == CARM_ERR_INVALID);
  CHECK(m == NULL);
  carm_mesh_destroy(NULL);
  carm_volume_destroy(v);
  CHECK(carm_mesh_format_from_path("a.GLB") == CARM_MESH_FORMAT_GLB);
  CHECK(carm_mesh_format_from_path("a.vtk") == CARM_MESH_FORMAT_UNKNOWN);
}

int main(void) {
  test_all_cases();
  test_random_masks();
  test_shapes(0);
  test_shapes(1);
  test_taubin();
  test_weld();
  test_errors();
  return check_done();
}
