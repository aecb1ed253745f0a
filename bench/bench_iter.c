/* Iterative reconstruction benchmark: time per iteration of SART (OS-SART),
 * CGLS and TV (ASD-POCS) beside one FDK, on the clinical C-arm size.
 *
 * Case: RTK's 3D Shepp-Logan phantom (scale 100 mm, so it fits the field
 * of view) voxelised into 256^3 voxels of 0.9 mm, forward projected (the
 * Joseph projector) into 133 views of 616 x 480 pixels of 0.6 mm over a
 * 200° short scan (SID 785 mm, SDD 1200 mm, patient head-first supine).
 * Each method runs `--iterations` iterations (default 2) once; the bench
 * prints the planning time, the seconds of each iteration, the residual and
 * the RMSE against the phantom inside the field of view, so that speed
 * never hides a wrong answer.
 *
 * usage: bench_iter [--iterations N] [--size N] [--views N] [--threads N]
 *                   [--methods sart,cgls,tv,fdk]
 */
#include "carm/carm.h"
#include "carm/phantom.h"
#include "carm/recon.h"

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

static const carm_volume *g_truth;

static double rmse_fov(const carm_volume *x) {
  const int64_t *d = x->dims;
  double c = 0.5 * (double)(d[0] - 1);
  double r2 = (0.45 * (double)d[0]) * (0.45 * (double)d[0]);
  double s = 0.0;
  int64_t n = 0;
  for (int64_t k = 0; k < d[2]; k++) {
    for (int64_t j = 0; j < d[1]; j++) {
      for (int64_t i = 0; i < d[0]; i++) {
        double dx = (double)i - c;
        double dz = (double)k - c;
        if (dx * dx + dz * dz > r2) {
          continue;
        }
        double e = (double)carm_volume_at(x, i, j, k) - (double)carm_volume_at(g_truth, i, j, k);
        s += e * e;
        n++;
      }
    }
  }
  return sqrt(s / (double)n);
}

static int on_iter(void *user, const carm_iter_stats *st, const carm_volume *x) {
  const char *name = user;
  printf("  %-5s iteration %d: %.2f s, residual %.4f, update %.4f, RMSE %.5f\n", name,
         st->iteration, st->seconds, st->residual, st->update, rmse_fov(x));
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  int iterations = 2;
  int64_t n = 256;
  int64_t views = 133;
  int threads = 0;
  const char *methods = "fdk,sart,cgls,tv";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--iterations") == 0) {
      iterations = (int)strtol(argv[i + 1], NULL, 10);
    } else if (strcmp(argv[i], "--size") == 0) {
      n = strtol(argv[i + 1], NULL, 10);
    } else if (strcmp(argv[i], "--views") == 0) {
      views = strtol(argv[i + 1], NULL, 10);
    } else if (strcmp(argv[i], "--threads") == 0) {
      threads = (int)strtol(argv[i + 1], NULL, 10);
    } else if (strcmp(argv[i], "--methods") == 0) {
      methods = argv[i + 1];
    } else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (threads > 0) {
    omp_set_num_threads(threads);
  }
  const double spacing = 0.9 * 256.0 / (double)n;
  carm_phantom *ph = NULL;
  carm_volume *truth = NULL;
  carm_geometry *geo = NULL;
  carm_volume *proj = NULL;
  carm_volume *x = NULL;
  int64_t dims[3] = {n, n, n};
  if (carm_phantom_create(&ph) != CARM_OK || carm_phantom_add_shepp_logan(ph, 100.0) != CARM_OK ||
      carm_volume_create(&truth, dims) != CARM_OK) {
    fprintf(stderr, "setup failed: %s\n", carm_last_error());
    return 1;
  }
  for (int a = 0; a < 3; a++) {
    truth->spacing[a] = spacing;
    truth->origin[a] = -0.5 * (double)(n - 1) * spacing;
  }
  carm_phantom_voxelize(ph, truth, 1);
  g_truth = truth;
  carm_trajectory_opts to = CARM_TRAJECTORY_INIT;
  to.n_views = views;
  to.arc_deg = 200.0;
  to.first_angle_deg = -100.0;
  to.patient = CARM_PATIENT_HFS;
  carm_project_opts po = CARM_PROJECT_INIT;
  if (carm_geometry_short_scan(&geo, &to) != CARM_OK ||
      carm_projections_create(&proj, 616, 480, views, 0.6, 0.6) != CARM_OK ||
      carm_project_forward(truth, geo, proj, &po) != CARM_OK ||
      carm_volume_create_like(&x, truth) != CARM_OK) {
    fprintf(stderr, "setup failed: %s\n", carm_last_error());
    return 1;
  }
  printf("bench_iter: %lld views of 616x480 -> %lld^3 voxels of %.2f mm, %d threads, %d "
         "iterations\n",
         (long long)views, (long long)n, spacing, omp_get_max_threads(), iterations);
  if (strstr(methods, "fdk") != NULL) {
    carm_fdk_plan *fp = NULL;
    carm_fdk_opts fo = CARM_FDK_INIT;
    double t0 = now_s();
    double c0 = (double)clock() / CLOCKS_PER_SEC;
    if (carm_fdk_plan_create(&fp, geo, proj, x, &fo) != CARM_OK) {
      fprintf(stderr, "fdk: %s\n", carm_last_error());
      return 1;
    }
    double t1 = now_s();
    if (carm_fdk_execute(fp, proj, x) != CARM_OK) {
      fprintf(stderr, "fdk: %s\n", carm_last_error());
      return 1;
    }
    double t2 = now_s();
    printf("fdk:  plan %.2f s, execute %.2f s (CPU %.1f s), RMSE %.5f\n", t1 - t0, t2 - t1,
           (double)clock() / CLOCKS_PER_SEC - c0, rmse_fov(x));
    carm_fdk_plan_destroy(fp);
  }
  static const char *const names[3] = {"sart", "cgls", "tv"};
  for (int m = 0; m < 3; m++) {
    if (strstr(methods, names[m]) == NULL) {
      continue;
    }
    carm_iter_opts o = CARM_ITER_INIT;
    o.method = (carm_iter_method)m;
    o.iterations = iterations;
    o.on_iteration = on_iter;
    o.user = (void *)names[m];
    carm_iter_plan *plan = NULL;
    double t0 = now_s();
    double c0 = (double)clock() / CLOCKS_PER_SEC;
    if (carm_iter_plan_create(&plan, geo, proj, x, &o) != CARM_OK) {
      fprintf(stderr, "%s: %s\n", names[m], carm_last_error());
      return 1;
    }
    carm_iter_info info;
    carm_iter_plan_info(plan, &info);
    double t1 = now_s();
    printf("%s: plan %.2f s (%d subsets, %.0f MiB of buffers)\n", names[m], t1 - t0, info.subsets,
           (double)info.buffer_bytes / 1048576.0);
    fflush(stdout);
    if (carm_iter_execute(plan, proj, x) != CARM_OK) {
      fprintf(stderr, "%s: %s\n", names[m], carm_last_error());
      return 1;
    }
    double t2 = now_s();
    double c2 = (double)clock() / CLOCKS_PER_SEC;
    printf("%s: %d iterations in %.2f s (%.2f s per iteration; CPU %.1f s for plan and "
           "iterations)\n",
           names[m], iterations, t2 - t1, (t2 - t1) / iterations, c2 - c0);
    carm_iter_plan_destroy(plan);
  }
  carm_volume_destroy(x);
  carm_volume_destroy(proj);
  carm_volume_destroy(truth);
  carm_geometry_destroy(geo);
  carm_phantom_destroy(ph);
  return 0;
}
