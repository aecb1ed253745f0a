/* Forward projection benchmark.
 *
 * Case: RTK's 3D Shepp-Logan phantom (scale 128 mm) voxelised (2^3
 * supersampling) into 256^3 voxels of 1 mm, projected into 360 views of
 * 512 x 384 pixels of 1.2 mm over a full circle, SID 1000 mm, SDD 1536 mm.
 * The detector sees the whole volume, so every ray crosses it.
 *
 * Prints the wall time of each run and their median, a checksum of the
 * projections (sum) and their relative L2 error against the exact analytic
 * line integrals of the same phantom on every 10th view, so that speed never
 * hides a wrong answer.
 *
 * usage:
 *   bench_project [--runs N] [--views N] [--size N] [--threads N]
 *   bench_project --write-pm-volume FILE.mha   the same volume for plastimatch
 *                                              (its frame, HU; see docs/peer.md)
 *   bench_project --check-pm DIR               error of plastimatch's DIR/p_%04d.pfm
 *                                              against the analytic projections
 */
#include "carm/carm.h"
#include "carm/phantom.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double SID = 1000.0;
static const double SDD = 1536.0;
static const double PITCH = 1.2;
static const int64_t NU = 512;
static const int64_t NV = 384;

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

/* The volume; `pm_frame` arranges its voxel array as plastimatch's volume
 * (identity direction in plastimatch's frame, docs/peer.md). */
static carm_volume *make_volume(const carm_phantom *ph, int64_t n, int pm_frame) {
  int64_t dims[3] = {n, n, n};
  carm_volume *vol = NULL;
  if (carm_volume_create(&vol, dims) != CARM_OK) {
    return NULL;
  }
  double o = -0.5 * (double)(n - 1);
  for (int a = 0; a < 3; a++) {
    vol->origin[a] = o;
  }
  if (pm_frame) {
    double m[3][3] = {{0.0, -1.0, 0.0}, {0.0, 0.0, -1.0}, {1.0, 0.0, 0.0}};
    memcpy(vol->direction, m, sizeof m);
    vol->origin[0] = -o;
    vol->origin[1] = -o;
    vol->origin[2] = o;
  }
  if (carm_phantom_voxelize(ph, vol, 2) != CARM_OK) {
    carm_volume_destroy(vol);
    return NULL;
  }
  return vol;
}

static carm_geometry *make_geometry(int64_t views) {
  carm_trajectory_opts t = CARM_TRAJECTORY_INIT;
  t.sid_mm = SID;
  t.sdd_mm = SDD;
  t.n_views = views;
  carm_geometry *geo = NULL;
  if (carm_geometry_circular(&geo, &t) != CARM_OK) {
    return NULL;
  }
  return geo;
}

/* Relative L2 error of `proj` (every `step`-th view) against the analytic
 * projections `exact` of the same views. */
static double rel_error(const carm_volume *proj, const carm_volume *exact, int64_t step) {
  double se = 0.0;
  double sr = 0.0;
  int64_t npix = NU * NV;
  for (int64_t k = 0; k < exact->dims[2]; k++) {
    const float *a = proj->data + k * step * npix;
    const float *e = exact->data + k * npix;
    for (int64_t i = 0; i < npix; i++) {
      double d = (double)a[i] - (double)e[i];
      se += d * d;
      sr += (double)e[i] * (double)e[i];
    }
  }
  return sqrt(se / sr);
}

static carm_volume *analytic_subset(const carm_phantom *ph, const carm_geometry *geo,
                                    int64_t step) {
  int64_t m = (geo->n_views + step - 1) / step;
  carm_geometry *sub = NULL;
  carm_volume *exact = NULL;
  if (carm_geometry_create(&sub, m) != CARM_OK) {
    return NULL;
  }
  for (int64_t k = 0; k < m; k++) {
    sub->views[k] = geo->views[k * step];
  }
  if (carm_projections_create(&exact, NU, NV, m, PITCH, PITCH) != CARM_OK ||
      carm_phantom_project_analytic(ph, sub, exact) != CARM_OK) {
    carm_volume_destroy(exact);
    exact = NULL;
  }
  carm_geometry_destroy(sub);
  return exact;
}

static int write_pm_volume(const carm_phantom *ph, int64_t n, const char *path) {
  carm_volume *vol = make_volume(ph, n, 1);
  if (vol == NULL) {
    return 1;
  }
  /* plastimatch: mu = 0.022 (1 + HU/1000) per mm, so density d becomes
   * HU = 1000 (d - 1) and plastimatch's mu = 0.022 d. */
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    perror(path);
    return 1;
  }
  double o = -0.5 * (double)(n - 1);
  fprintf(f,
          "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
          "Offset = %.17g %.17g %.17g\nElementSpacing = 1 1 1\nDimSize = %lld %lld %lld\n"
          "ElementType = MET_FLOAT\nElementDataFile = LOCAL\n",
          o, o, o, (long long)n, (long long)n, (long long)n);
  int64_t count = carm_volume_count(vol);
  for (int64_t i = 0; i < count; i++) {
    float hu = (float)(1000.0 * ((double)vol->data[i] - 1.0));
    fwrite(&hu, sizeof hu, 1, f);
  }
  int rc = fclose(f) == 0 ? 0 : 1;
  carm_volume_destroy(vol);
  printf("wrote %s (%lld^3, HU = 1000 (density - 1))\n", path, (long long)n);
  return rc;
}

static int check_pm(const carm_phantom *ph, int64_t views, const char *dir) {
  carm_geometry *geo = make_geometry(views);
  const int64_t step = 10;
  carm_volume *exact = geo != NULL ? analytic_subset(ph, geo, step) : NULL;
  if (exact == NULL) {
    return 1;
  }
  float *img = malloc(sizeof(float) * (size_t)(NU * NV));
  double se = 0.0;
  double sr = 0.0;
  for (int64_t k = 0; k < exact->dims[2]; k++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/p_%04lld.pfm", dir, (long long)(k * step));
    FILE *f = fopen(path, "rb");
    int w = 0;
    int h = 0;
    double scale = 0.0;
    if (f == NULL || fscanf(f, "Pf %d %d %lf", &w, &h, &scale) != 3 || w != NU || h != NV ||
        fgetc(f) != '\n' || fread(img, sizeof(float), (size_t)(NU * NV), f) != (size_t)(NU * NV)) {
      fprintf(stderr, "cannot read %s\n", path);
      if (f != NULL) {
        fclose(f);
      }
      free(img);
      return 1;
    }
    fclose(f);
    const float *e = exact->data + k * NU * NV;
    for (int64_t j = 0; j < NV; j++) {
      for (int64_t i = 0; i < NU; i++) {
        /* Columns reversed; DRR x 10 = integral of 0.022 d. */
        double a = 10.0 * (double)img[j * NU + (NU - 1 - i)] / 0.022;
        double d = a - (double)e[j * NU + i];
        se += d * d;
        sr += (double)e[j * NU + i] * (double)e[j * NU + i];
      }
    }
  }
  printf("plastimatch drr: relative L2 error vs analytic (every %lld-th view) %.4f %%\n",
         (long long)step, 100.0 * sqrt(se / sr));
  free(img);
  carm_volume_destroy(exact);
  carm_geometry_destroy(geo);
  return 0;
}

int main(int argc, char **argv) {
  int runs = 3;
  int64_t views = 360;
  int64_t n = 256;
  int threads = 0;
  const char *pm_volume = NULL;
  const char *pm_dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--runs") == 0) {
      runs = (int)strtol(argv[++i], NULL, 10);
    } else if (i + 1 < argc && strcmp(argv[i], "--views") == 0) {
      views = strtoll(argv[++i], NULL, 10);
    } else if (i + 1 < argc && strcmp(argv[i], "--size") == 0) {
      n = strtoll(argv[++i], NULL, 10);
    } else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0) {
      threads = (int)strtol(argv[++i], NULL, 10);
    } else if (i + 1 < argc && strcmp(argv[i], "--write-pm-volume") == 0) {
      pm_volume = argv[++i];
    } else if (i + 1 < argc && strcmp(argv[i], "--check-pm") == 0) {
      pm_dir = argv[++i];
    } else {
      fprintf(stderr, "usage: bench_project [--runs N] [--views N] [--size N] [--threads N] "
                      "[--write-pm-volume FILE.mha | --check-pm DIR]\n");
      return 2;
    }
  }
  if (runs < 1 || runs > 100 || views < 1 || n < 8 || n > 1024) {
    fprintf(stderr, "bench_project: bad arguments\n");
    return 2;
  }
  carm_phantom *ph = NULL;
  if (carm_phantom_create(&ph) != CARM_OK || carm_phantom_add_shepp_logan(ph, 128.0) != CARM_OK) {
    return 1;
  }
  if (pm_volume != NULL) {
    int rc = write_pm_volume(ph, n, pm_volume);
    carm_phantom_destroy(ph);
    return rc;
  }
  if (pm_dir != NULL) {
    int rc = check_pm(ph, views, pm_dir);
    carm_phantom_destroy(ph);
    return rc;
  }
  carm_volume *vol = make_volume(ph, n, 0);
  carm_geometry *geo = make_geometry(views);
  carm_volume *proj = NULL;
  if (vol == NULL || geo == NULL ||
      carm_projections_create(&proj, NU, NV, views, PITCH, PITCH) != CARM_OK) {
    fprintf(stderr, "bench_project: setup failed: %s\n", carm_last_error());
    return 1;
  }
  carm_project_opts opts = CARM_PROJECT_INIT;
  opts.threads = threads;
  printf("forward projection: %lld^3 voxels (1 mm) -> %lld views of %lld x %lld (%.1f mm), "
         "SID %.0f, SDD %.0f, %d threads\n",
         (long long)n, (long long)views, (long long)NU, (long long)NV, PITCH, SID, SDD,
         threads > 0 ? threads : omp_get_max_threads());
  double *times = malloc(sizeof(double) * (size_t)runs);
  for (int r = 0; r < runs; r++) {
    double t0 = now_s();
    carm_status st = carm_project_forward(vol, geo, proj, &opts);
    times[r] = now_s() - t0;
    if (st != CARM_OK) {
      fprintf(stderr, "bench_project: %s\n", carm_last_error());
      return 1;
    }
    printf("run %d: %.3f s\n", r + 1, times[r]);
  }
  qsort(times, (size_t)runs, sizeof(double), cmp_double);
  double median = times[runs / 2];
  double sum = 0.0;
  for (int64_t i = 0; i < carm_volume_count(proj); i++) {
    sum += proj->data[i];
  }
  const int64_t step = 10;
  carm_volume *exact = analytic_subset(ph, geo, step);
  double err = exact != NULL ? rel_error(proj, exact, step) : NAN;
  printf("median %.3f s (%.1f ms/view, %.3f G samples/s), checksum %.9g, relative L2 "
         "error vs analytic %.4f %%\n",
         median, 1e3 * median / (double)views,
         (double)views * (double)(NU * NV) * (double)n / median * 1e-9, sum, 100.0 * err);
  free(times);
  carm_volume_destroy(exact);
  carm_volume_destroy(vol);
  carm_volume_destroy(proj);
  carm_geometry_destroy(geo);
  carm_phantom_destroy(ph);
  return 0;
}
