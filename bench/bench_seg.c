/* Benchmark of the vessel pipeline on a synthetic branching tree:
 * multi-scale vesselness (3 scales, automatic c), hysteresis threshold and
 * small-component removal, thinning, and the tree (graph, pruning,
 * re-centring). Fixed seed; prints the median time of each step over the
 * runs, the peak resident memory and checksums of the outputs so that
 * speed never hides a wrong answer.
 *
 * The phantom is a binary tree of depth 5 (63 tubes, radius 6 mm down to
 * 1.6 mm) in a 256 mm cube sampled with N^3 voxels, plus Gaussian noise.
 *
 * Usage: bench_seg [N ...] [--runs R]   (default: N = 256, R = 3)
 * e.g.   bench_seg 256 512 --runs 1
 */
#include "carm/carm.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Capsule of radius r (voxels) from a to b, drawn inside its bounding box. */
static void capsule(carm_volume *v, const double a[3], const double b[3], double r) {
  int64_t lo[3], hi[3];
  for (int c = 0; c < 3; c++) {
    lo[c] = (int64_t)floor(fmin(a[c], b[c]) - r);
    hi[c] = (int64_t)ceil(fmax(a[c], b[c]) + r);
    lo[c] = lo[c] < 0 ? 0 : lo[c];
    hi[c] = hi[c] > v->dims[c] - 1 ? v->dims[c] - 1 : hi[c];
  }
  double ab[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  double l2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
  for (int64_t k = lo[2]; k <= hi[2]; k++) {
    for (int64_t j = lo[1]; j <= hi[1]; j++) {
      for (int64_t i = lo[0]; i <= hi[0]; i++) {
        double p[3] = {(double)i - a[0], (double)j - a[1], (double)k - a[2]};
        double t = l2 > 0 ? (p[0] * ab[0] + p[1] * ab[1] + p[2] * ab[2]) / l2 : 0.0;
        t = t < 0 ? 0 : (t > 1 ? 1 : t);
        double d2 = 0.0;
        for (int c = 0; c < 3; c++) {
          double d = p[c] - t * ab[c];
          d2 += d * d;
        }
        if (d2 <= r * r) {
          v->data[(k * v->dims[1] + j) * v->dims[0] + i] = 1.0f;
        }
      }
    }
  }
}

/* Binary tree of depth `depth` from `a` along unit `dir`. */
static void grow(carm_volume *v, carm_rng *rng, const double a[3], const double dir[3], double r,
                 double len, int depth) {
  double b[3];
  for (int c = 0; c < 3; c++) {
    b[c] = a[c] + len * dir[c];
  }
  capsule(v, a, b, r);
  if (depth == 0) {
    return;
  }
  /* two children at +-35 degrees about a random axis perpendicular to dir */
  double rnd[3] = {carm_rng_normal(rng), carm_rng_normal(rng), carm_rng_normal(rng)}, ax[3];
  carm_vec3_cross(dir, rnd, ax);
  carm_vec3_normalize(ax);
  for (int s = -1; s <= 1; s += 2) {
    double ang = s * 35.0 * M_PI / 180.0, cd[3], cr[3];
    carm_vec3_cross(ax, dir, cr);
    for (int c = 0; c < 3; c++) {
      cd[c] = cos(ang) * dir[c] + sin(ang) * cr[c];
    }
    carm_vec3_normalize(cd);
    grow(v, rng, b, cd, fmax(1.2, r * 0.78), len * 0.78, depth - 1);
  }
}

static int run_size(int64_t n, int runs) {
  int64_t dims[3] = {n, n, n};
  carm_volume *truth = NULL, *img = NULL, *ves = NULL, *mask = NULL, *tmp = NULL, *skel = NULL,
              *dist = NULL;
  carm_seg_tree *tree = NULL;
  int rc = 1;
  if (carm_volume_create(&truth, dims) != CARM_OK || carm_volume_create(&img, dims) != CARM_OK ||
      carm_volume_create(&ves, dims) != CARM_OK || carm_volume_create(&mask, dims) != CARM_OK ||
      carm_volume_create(&tmp, dims) != CARM_OK || carm_volume_create(&skel, dims) != CARM_OK ||
      carm_volume_create(&dist, dims) != CARM_OK) {
    fprintf(stderr, "bench_seg: %s\n", carm_last_error());
    goto cleanup;
  }
  /* the same 256 mm phantom at every size: N voxels of 256 / N mm, so the
   * vesselness scales (mm) and the tree's topology do not depend on N */
  double scale = (double)n / 256.0;
  for (int c = 0; c < 3; c++) {
    truth->spacing[c] = img->spacing[c] = ves->spacing[c] = mask->spacing[c] = tmp->spacing[c] =
        skel->spacing[c] = dist->spacing[c] = 1.0 / scale;
  }
  carm_rng rng;
  carm_rng_seed(&rng, 2026);
  double a[3] = {0.5 * (double)n, 8.0 * scale, 0.5 * (double)n}, dir[3] = {0.05, 1.0, 0.02};
  carm_vec3_normalize(dir);
  grow(truth, &rng, a, dir, 6.0 * scale, 70.0 * scale, 5);
  int64_t count = carm_volume_count(truth);
  for (int64_t i = 0; i < count; i++) {
    img->data[i] = (float)(truth->data[i] + 0.1 * carm_rng_normal(&rng));
  }
  double *t_ves = calloc((size_t)runs, sizeof(double));
  double *t_thr = calloc((size_t)runs, sizeof(double));
  double *t_thin = calloc((size_t)runs, sizeof(double));
  double *t_tree = calloc((size_t)runs, sizeof(double));
  if (t_ves == NULL || t_thr == NULL || t_thin == NULL || t_tree == NULL) {
    free(t_ves);
    free(t_thr);
    free(t_thin);
    free(t_tree);
    goto cleanup;
  }
  carm_seg_vesselness_opts vo = CARM_SEG_VESSELNESS_OPTS_INIT; /* sigmas 1, 2, 3 mm */
  carm_status st = CARM_OK;
  double cpu_total = 0.0, wall_total = 0.0;
  for (int r = 0; r < runs && st == CARM_OK; r++) {
    double c0 = cpu_s();
    double t0 = now_s();
    st = carm_seg_vesselness(ves, NULL, img, &vo);
    double t1 = now_s();
    if (st == CARM_OK) {
      st = carm_seg_hysteresis(tmp, ves, 0.05, 0.3, 26);
    }
    if (st == CARM_OK) {
      st = carm_seg_remove_small(mask, tmp, 26, (int64_t)(200.0 * scale * scale * scale));
    }
    double t2 = now_s();
    if (st == CARM_OK) {
      st = carm_seg_thin(skel, mask, NULL);
    }
    double t3 = now_s();
    if (st == CARM_OK) {
      st = carm_seg_distance(dist, mask, CARM_SEG_TO_BACKGROUND);
    }
    if (st == CARM_OK) {
      carm_seg_tree_destroy(tree);
      tree = NULL;
      st = carm_seg_tree_from_skeleton(&tree, skel, dist, NULL);
    }
    double t4 = now_s();
    cpu_total += cpu_s() - c0;
    wall_total += t4 - t0;
    t_ves[r] = t1 - t0;
    t_thr[r] = t2 - t1;
    t_thin[r] = t3 - t2;
    t_tree[r] = t4 - t3;
  }
  if (st != CARM_OK) {
    fprintf(stderr, "bench_seg: %s (%s)\n", carm_strerror(st), carm_last_error());
    free(t_ves);
    free(t_thr);
    free(t_thin);
    free(t_tree);
    goto cleanup;
  }
  double vsum = 0.0, vmax = 0.0;
  for (int64_t i = 0; i < count; i++) {
    vsum += ves->data[i];
    vmax = ves->data[i] > vmax ? ves->data[i] : vmax;
  }
  int64_t nmask = 0, nskel = 0, ntruth = 0, inter = 0;
  for (int64_t i = 0; i < count; i++) {
    nmask += mask->data[i] > 0.5f;
    nskel += skel->data[i] > 0.5f;
    ntruth += truth->data[i] > 0.5f;
    inter += (mask->data[i] > 0.5f) && (truth->data[i] > 0.5f);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("seg %lld^3 (%d threads, %d runs): vesselness x3 scales %.3f s | hysteresis+cleanup "
         "%.3f s | thinning %.3f s | tree %.3f s | peak RSS %.0f MiB\n",
         (long long)n, omp_get_max_threads(), runs, median(t_ves, runs), median(t_thr, runs),
         median(t_thin, runs), median(t_tree, runs), (double)ru.ru_maxrss / 1024.0);
  printf("  whole pipeline: %.3f s wall, %.3f s CPU per run (CPU/wall %.2f; below the thread "
         "count means a shared, loaded machine)\n",
         wall_total / runs, cpu_total / runs, cpu_total / wall_total);
  printf("  truth topology: 63 segments, 31 bifurcations, 33 end points\n");
  printf("  checksums: sum(vesselness) %.6e (max %.4f), mask %lld voxels (Dice vs truth %.4f), "
         "skeleton %lld "
         "voxels, tree %lld segments, %lld bifurcations, %lld end points, length %.1f mm\n",
         vsum, vmax, (long long)nmask, 2.0 * (double)inter / (double)(nmask + ntruth),
         (long long)nskel, (long long)tree->n_segments, (long long)tree->n_bifurcations,
         (long long)tree->n_endpoints, carm_seg_tree_length_mm(tree));
  free(t_ves);
  free(t_thr);
  free(t_thin);
  free(t_tree);
  rc = 0;
cleanup:
  carm_seg_tree_destroy(tree);
  carm_volume_destroy(truth);
  carm_volume_destroy(img);
  carm_volume_destroy(ves);
  carm_volume_destroy(mask);
  carm_volume_destroy(tmp);
  carm_volume_destroy(skel);
  carm_volume_destroy(dist);
  return rc;
}

int main(int argc, char **argv) {
  int64_t sizes[8];
  int nsizes = 0, runs = 3;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = (int)strtol(argv[++i], NULL, 10);
    } else if (nsizes < 8) {
      char *end = NULL;
      long v = strtol(argv[i], &end, 10);
      if (end == argv[i] || *end != '\0' || v < 32 || v > 1024) {
        fprintf(stderr, "usage: bench_seg [N ...] [--runs R]  (32 <= N <= 1024)\n");
        return 2;
      }
      sizes[nsizes++] = v;
    }
  }
  if (runs < 1 || runs > 50) {
    fprintf(stderr, "bench_seg: --runs must be 1..50\n");
    return 2;
  }
  if (nsizes == 0) {
    sizes[nsizes++] = 256;
  }
  printf("bench_seg: %ld online CPUs\n", sysconf(_SC_NPROCESSORS_ONLN));
  for (int s = 0; s < nsizes; s++) {
    if (run_size(sizes[s], runs) != 0) {
      return 1;
    }
  }
  return 0;
}
