/* Mesh benchmark: marching cubes and Taubin smoothing of a label volume.
 *
 * Case: a 256^3 label map of 1 mm voxels holding a liver-like blob (an
 * ellipsoid 90 x 70 x 60 mm radii with a sinusoidal surface ripple), a torus
 * and 40 small spheres (labels 1, 2, 3). Each run meshes label 1 with
 * carm_mesh_from_label (crop, marching cubes, 10 Taubin iterations,
 * normals) and the whole map with carm_mesh_marching_cubes at 0.5 (every
 * object at once, no smoothing).
 *
 * Prints every run's wall time, the median, and the checks that make a
 * fast wrong answer visible: triangle counts, the enclosed volume against
 * the label volume (relative error), and whether the surface is watertight.
 *
 * usage: bench_mesh [--runs N] [--size N] [--threads N]
 */
#include "carm/carm.h"
#include "carm/mesh.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

static carm_volume *make_labels(int64_t n) {
  int64_t d[3] = {n, n, n};
  carm_volume *v = NULL;
  if (carm_volume_create(&v, d) != CARM_OK) {
    return NULL;
  }
  const double c = 0.5 * (double)(n - 1);
  const double s = (double)n / 256.0; /* same physical scene at any size */
  carm_rng rng;
  carm_rng_seed(&rng, 11);
  double sph[40][4];
  for (int q = 0; q < 40; q++) {
    sph[q][0] = c + (carm_rng_uniform(&rng) - 0.5) * 0.8 * (double)n;
    sph[q][1] = c + (carm_rng_uniform(&rng) - 0.5) * 0.8 * (double)n;
    sph[q][2] = c + 0.35 * (double)n + carm_rng_uniform(&rng) * 0.1 * (double)n;
    sph[q][3] = (2.0 + 4.0 * carm_rng_uniform(&rng)) * s;
  }
  for (int64_t k = 0; k < n; k++) {
    for (int64_t j = 0; j < n; j++) {
      for (int64_t i = 0; i < n; i++) {
        double x = ((double)i - c) / s;
        double y = ((double)j - c) / s;
        double z = ((double)k - c) / s;
        float lab = 0.0f;
        double r = sqrt((x / 90) * (x / 90) + (y / 70) * (y / 70) + (z / 60) * (z / 60));
        double ripple = 1.0 + 0.05 * sin(0.15 * x) * sin(0.12 * y) * sin(0.1 * z);
        if (r <= ripple) {
          lab = 1.0f;
        }
        double rho = sqrt((x - 40) * (x - 40) + (y + 80) * (y + 80));
        if ((rho - 25) * (rho - 25) + (z + 90) * (z + 90) <= 64.0) {
          lab = 2.0f;
        }
        for (int q = 0; q < 40; q++) {
          double dx = (double)i - sph[q][0];
          double dy = (double)j - sph[q][1];
          double dz = (double)k - sph[q][2];
          if (dx * dx + dy * dy + dz * dz <= sph[q][3] * sph[q][3]) {
            lab = 3.0f;
          }
        }
        v->data[(k * n + j) * n + i] = lab;
      }
    }
  }
  return v;
}

int main(int argc, char **argv) {
  int runs = 5;
  int64_t size = 256;
  int threads = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = (int)strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
      size = strtoll(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = (int)strtol(argv[++i], NULL, 10);
    } else {
      fprintf(stderr, "usage: bench_mesh [--runs N] [--size N] [--threads N]\n");
      return 2;
    }
  }
  if (runs < 1 || runs > 100 || size < 16 || size > 1024) {
    fprintf(stderr, "bench_mesh: runs 1..100, size 16..1024\n");
    return 2;
  }
  if (threads > 0) {
    omp_set_num_threads(threads);
  }
  carm_volume *v = make_labels(size);
  if (v == NULL) {
    fprintf(stderr, "bench_mesh: out of memory\n");
    return 1;
  }
  int64_t n1 = 0;
  for (int64_t i = 0; i < carm_volume_count(v); i++) {
    n1 += v->data[i] == 1.0f;
  }
  printf("bench_mesh: %lld^3 labels (1 mm), label 1 = %.1f mL, %d threads, %d runs\n",
         (long long)size, (double)n1 / 1000.0, omp_get_max_threads(), runs);
  double *t_label = calloc((size_t)runs, sizeof(double));
  double *t_all = calloc((size_t)runs, sizeof(double));
  if (t_label == NULL || t_all == NULL) {
    return 1;
  }
  int rc = 0;
  for (int r = 0; r < runs; r++) {
    carm_mesh *m = NULL;
    double t0 = now_s();
    carm_status st = carm_mesh_from_label(&m, v, 1, NULL);
    t_label[r] = now_s() - t0;
    if (st != CARM_OK) {
      fprintf(stderr, "bench_mesh: %s\n", carm_last_error());
      return 1;
    }
    carm_mesh *all = NULL;
    t0 = now_s();
    st = carm_mesh_marching_cubes(&all, v, 0.5, NULL);
    t_all[r] = now_s() - t0;
    if (st != CARM_OK) {
      fprintf(stderr, "bench_mesh: %s\n", carm_last_error());
      return 1;
    }
    if (r == 0) {
      carm_mesh_topology t1;
      carm_mesh_topology ta;
      carm_mesh_topology_check(m, &t1);
      carm_mesh_topology_check(all, &ta);
      double vol = carm_mesh_volume_mm3(m);
      printf("label 1 (MC + 10 Taubin): %lld vertices, %lld triangles, volume %.1f mL "
             "(labels %.1f, error %+.3f %%), watertight %d, euler %lld\n",
             (long long)m->n_vertices, (long long)m->n_triangles, vol / 1000.0, (double)n1 / 1000.0,
             100.0 * (vol - (double)n1) / (double)n1, t1.watertight, (long long)t1.euler);
      printf("whole map (MC at 0.5): %lld vertices, %lld triangles, %lld components, watertight "
             "%d\n",
             (long long)all->n_vertices, (long long)all->n_triangles, (long long)ta.n_components,
             ta.watertight);
      rc |= !t1.watertight || !ta.watertight;
    }
    printf("run %d: label 1 %.3f s, whole map %.3f s\n", r + 1, t_label[r], t_all[r]);
    carm_mesh_destroy(m);
    carm_mesh_destroy(all);
  }
  qsort(t_label, (size_t)runs, sizeof(double), cmp_double);
  qsort(t_all, (size_t)runs, sizeof(double), cmp_double);
  printf("median: label 1 (crop + MC + Taubin 10 + normals) %.3f s, whole map MC %.3f s "
         "(%.1f Mvoxel/s)\n",
         t_label[runs / 2], t_all[runs / 2], (double)carm_volume_count(v) / t_all[runs / 2] / 1e6);
  free(t_label);
  free(t_all);
  carm_volume_destroy(v);
  return rc;
}
