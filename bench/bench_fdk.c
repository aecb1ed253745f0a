/* FDK benchmark: a noise-free liver-like ellipsoid phantom, exact line
 * integrals, reconstructed by carm's FDK; prints wall time, backprojection
 * GUPS (views × voxels / s / 1e9), peak RSS and RMSE (HU) against the
 * analytic truth. Optionally writes the same projections for plastimatch
 * (PFM + per-view matrix files) and scores a plastimatch reconstruction on
 * the same mask.
 *
 * usage: bench_fdk [--views N] [--det NUxNV] [--pitch MM] [--size N]
 *                  [--spacing MM] [--arc DEG] [--threads N] [--batch N]
 *                  [--export-plastimatch DIR] [--score-plastimatch OUT.mha]
 *                  [--export-carm DIR] [--output carm.mha]
 * Defaults: case (a), 133 views of 616×480 at 0.616 mm over 200°, SID 785,
 * SDD 1200 → 256³ at 1 mm. */
#include "carm/carm.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define WATER CARM_MU_WATER_PER_MM

typedef struct ell {
  double axes[3];
  double centre[3];
  double angle_deg; /* about y */
  double hu_delta;  /* HU added inside (densities add) */
} ell;

/* Body (soft tissue 40 HU, fat rim), liver (60 HU), hypervascular tumours
 * (+150 HU over liver), hepatic arteries (contrast, 400 HU), portal vein,
 * spine (bone 700 HU) and a rib; lungs cut off above. Axes in mm, the
 * patient's long axis along y (the rotation axis). */
static const ell phantom[] = {
    {{115, 140, 90}, {0, 0, 0}, 0, 1000 - 100}, /* body as fat (−100 HU) */
    {{105, 140, 80}, {0, 0, 0}, 0, 140},        /* soft tissue → 40 HU */
    {{70, 80, 55}, {-30, -10, -5}, 20, 20},     /* liver → 60 HU */
    {{12, 12, 12}, {-45, -20, 0}, 0, 150},      /* tumour 1 */
    {{8, 8, 8}, {-20, 15, -20}, 0, 150},        /* tumour 2 */
    {{5, 5, 5}, {-55, 10, 15}, 0, 150},         /* tumour 3 */
    {{3, 60, 3}, {-10, -10, 10}, 0, 340},       /* hepatic artery */
    {{2, 40, 2}, {-35, -5, -10}, 30, 340},      /* branch */
    {{7, 70, 7}, {-15, -10, -20}, 0, 120},      /* portal vein */
    {{15, 140, 12}, {0, 0, 65}, 0, 660},        /* spine (bone) */
    {{10, 140, 10}, {40, 0, -35}, 0, 120},      /* aorta-like */
    {{4, 6, 4}, {60, 30, -30}, 0, 80},          /* small feature */
};
static const int n_phantom = (int)(sizeof phantom / sizeof phantom[0]);

static double mu_of(double hu_delta) { return WATER * hu_delta / 1000.0; }

/* The phantom as a scene of the shared phantom module (phantom.h): exact
 * line integrals (carm_phantom_project_analytic) and point values, the same
 * code the tests and `carm sim` use. Densities in mm⁻¹ (−1000 HU = 0). */
static carm_phantom *scene;

static carm_status make_scene(void) {
  carm_status st = carm_phantom_create(&scene);
  for (int k = 0; k < n_phantom && st == CARM_OK; k++) {
    const ell *e = &phantom[k];
    /* local = Ry(angle)·(x − centre): the local axes (columns) are Ry's rows */
    double ry[3][3];
    double rot[3][3];
    carm_mat3_rot_y(e->angle_deg * M_PI / 180.0, ry);
    carm_mat3_transpose(ry, rot);
    st = carm_phantom_add_ellipsoid(scene, e->centre, e->axes, rot, mu_of(e->hu_delta));
  }
  return st;
}

static double truth_hu(const double x[3]) {
  return carm_phantom_value(scene, x) * 1000.0 / WATER - 1000.0;
}

/* The truth of a voxel: the phantom averaged over the voxel (4x4x4
 * samples), so that edges are scored against their partial-volume value. */
static double truth_voxel(const double x[3], double h) {
  double sum = 0.0;
  for (int a = 0; a < 4; a++) {
    for (int b = 0; b < 4; b++) {
      for (int c = 0; c < 4; c++) {
        double y[3] = {x[0] + h * ((double)a - 1.5) / 4.0, x[1] + h * ((double)b - 1.5) / 4.0,
                       x[2] + h * ((double)c - 1.5) / 4.0};
        sum += truth_hu(y);
      }
    }
  }
  return sum / 64.0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

/* Mask: inside the body, |y| <= 60 mm (inside the cone for every view),
 * radius <= 110 mm from the axis (the FOV is about 123 mm). RMSE in HU. */
static int in_mask(const double x[3]) {
  double rb = (x[0] / 112.0) * (x[0] / 112.0) + (x[2] / 87.0) * (x[2] / 87.0);
  return fabs(x[1]) <= 60.0 && rb < 1.0 && hypot(x[0], x[2]) <= 110.0;
}

static double rmse_hu(const carm_volume *v, double *bias, double *rmse_point) {
  double s2 = 0.0;
  double s1 = 0.0;
  double sp = 0.0;
  int64_t n = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : s2, s1, sp, n)
  for (int64_t k = 0; k < v->dims[2]; k++) {
    for (int64_t j = 0; j < v->dims[1]; j++) {
      for (int64_t i = 0; i < v->dims[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double x[3];
        carm_volume_index_to_point(v, ijk, x);
        if (!in_mask(x)) {
          continue;
        }
        double t = truth_hu(x);
        double tv = t;
        /* average only near edges (the centre value differs from a corner) */
        double h = v->spacing[0];
        double xc[3] = {x[0] + 0.5 * h, x[1] + 0.5 * h, x[2] + 0.5 * h};
        double xd[3] = {x[0] - 0.5 * h, x[1] - 0.5 * h, x[2] - 0.5 * h};
        if (truth_hu(xc) != t || truth_hu(xd) != t) {
          tv = truth_voxel(x, h);
        }
        double e = (double)carm_volume_at(v, i, j, k) - t;
        sp += e * e;
        double d = (double)carm_volume_at(v, i, j, k) - tv;
        s2 += d * d;
        s1 += d;
        n++;
      }
    }
  }
  *bias = s1 / (double)n;
  *rmse_point = sqrt(sp / (double)n);
  return sqrt(s2 / (double)n);
}

/* Write the projections in plastimatch's layout (PEER.md): PFM top row first,
 * columns reversed; per-view matrix to pixels in its frame (x_pm = Z,
 * y_pm = −X, z_pm = −Y), w = U / SDD. */
static int export_plastimatch(const char *dir, const carm_geometry *g, const carm_volume *p) {
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "cannot create %s\n", dir);
    return -1;
  }
  int64_t nu = p->dims[0];
  int64_t nv = p->dims[1];
  float *row = malloc((size_t)nu * sizeof *row);
  for (int64_t k = 0; k < g->n_views; k++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/p_%04lld.pfm", dir, (long long)k);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
      free(row);
      return -1;
    }
    fprintf(f, "Pf\n%lld %lld\n-1\n", (long long)nu, (long long)nv);
    for (int64_t j = 0; j < nv; j++) {
      for (int64_t i = 0; i < nu; i++) {
        row[nu - 1 - i] = p->data[(k * nv + j) * nu + i];
      }
      fwrite(row, sizeof *row, (size_t)nu, f);
    }
    fclose(f);
    const carm_view *v = &g->views[k];
    double q[3][4];
    memcpy(q, v->matrix, sizeof q);
    double nrm = sqrt(q[2][0] * q[2][0] + q[2][1] * q[2][1] + q[2][2] * q[2][2]);
    double sg = q[2][3] < 0 ? 1.0 : -1.0;
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 4; c++) {
        q[r][c] *= sg / nrm;
      }
    }
    /* columns in the pm frame: X = −y_pm, Y = −z_pm, Z = x_pm */
    double pp[3][4];
    for (int r = 0; r < 3; r++) {
      pp[r][0] = q[r][2];
      pp[r][1] = -q[r][0];
      pp[r][2] = -q[r][1];
      pp[r][3] = q[r][3];
    }
    double sdd = v->sdd_mm;
    double out[3][4];
    for (int c = 0; c < 4; c++) {
      out[0][c] = pp[0][c] / (p->spacing[0] * sdd);
      out[1][c] = -pp[1][c] / (p->spacing[1] * sdd);
      out[2][c] = -pp[2][c] / sdd;
    }
    double icu = (double)(nu - 1) + p->origin[0] / p->spacing[0];
    double icv = -p->origin[1] / p->spacing[1];
    double src[3];
    carm_view_source(v, src);
    double spm[3] = {src[2], -src[0], -src[1]};
    double sn = sqrt(spm[0] * spm[0] + spm[1] * spm[1] + spm[2] * spm[2]);
    snprintf(path, sizeof path, "%s/p_%04lld.txt", dir, (long long)k);
    f = fopen(path, "w");
    if (f == NULL) {
      free(row);
      return -1;
    }
    fprintf(f, "%.9e %.9e\n", icu, icv);
    for (int r = 0; r < 3; r++) {
      fprintf(f, "%.9e %.9e %.9e %.9e\n", out[r][0], out[r][1], out[r][2], out[r][3]);
    }
    fprintf(f, "%.9e\n%.9e\n%.9e %.9e %.9e\n", v->sid_mm, sdd, -spm[0] / sn, -spm[1] / sn,
            -spm[2] / sn);
    fprintf(f, "Extrinsic\n1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\nIntrinsic\n1 0 0 0\n0 1 0 0\n0 0 "
               "1 0\n");
    fclose(f);
  }
  free(row);
  return 0;
}

/* Resample a plastimatch output (its frame) onto our grid, nearest voxel. */
static carm_status from_plastimatch(const carm_volume *pm, const carm_volume *grid,
                                    carm_volume **out) {
  carm_volume *v = NULL;
  carm_status st = carm_volume_create_like(&v, grid);
  if (st != CARM_OK) {
    return st;
  }
  for (int64_t k = 0; k < v->dims[2]; k++) {
    for (int64_t j = 0; j < v->dims[1]; j++) {
      for (int64_t i = 0; i < v->dims[0]; i++) {
        double ijk[3] = {(double)i, (double)j, (double)k};
        double x[3];
        carm_volume_index_to_point(v, ijk, x);
        double xp[3] = {x[2], -x[0], -x[1]};
        double q[3];
        carm_volume_point_to_index(pm, xp, q);
        int64_t a = llround(q[0]);
        int64_t b = llround(q[1]);
        int64_t c = llround(q[2]);
        float val = -1000.0f;
        if (a >= 0 && b >= 0 && c >= 0 && a < pm->dims[0] && b < pm->dims[1] && c < pm->dims[2]) {
          val = carm_volume_at(pm, a, b, c);
        }
        v->data[(k * v->dims[1] + j) * v->dims[0] + i] = val;
      }
    }
  }
  *out = v;
  return CARM_OK;
}

int main(int argc, char **argv) {
  int64_t n_views = 133;
  int64_t nu = 616;
  int64_t nv = 480;
  double pitch = 0.616;
  int64_t size = 256;
  double spacing = 1.0;
  double arc = 200.0;
  int threads = 0;
  int batch = 0;
  const char *export_dir = NULL;
  const char *score = NULL;
  const char *output = NULL;
  const char *export_carm = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i];
    const char *v = argv[i + 1];
    if (strcmp(a, "--views") == 0) {
      n_views = strtoll(v, NULL, 10);
    } else if (strcmp(a, "--det") == 0) {
      if (sscanf(v, "%ldx%ld", &nu, &nv) != 2) {
        fprintf(stderr, "--det NUxNV\n");
        return 2;
      }
    } else if (strcmp(a, "--pitch") == 0) {
      pitch = strtod(v, NULL);
    } else if (strcmp(a, "--size") == 0) {
      size = strtoll(v, NULL, 10);
    } else if (strcmp(a, "--spacing") == 0) {
      spacing = strtod(v, NULL);
    } else if (strcmp(a, "--arc") == 0) {
      arc = strtod(v, NULL);
    } else if (strcmp(a, "--threads") == 0) {
      threads = (int)strtol(v, NULL, 10);
    } else if (strcmp(a, "--batch") == 0) {
      batch = (int)strtol(v, NULL, 10);
    } else if (strcmp(a, "--export-plastimatch") == 0) {
      export_dir = v;
    } else if (strcmp(a, "--score-plastimatch") == 0) {
      score = v;
    } else if (strcmp(a, "--export-carm") == 0) {
      export_carm = v;
    } else if (strcmp(a, "--output") == 0) {
      output = v;
    } else {
      fprintf(stderr, "unknown option %s\n", a);
      return 2;
    }
  }
  carm_trajectory_opts to = CARM_TRAJECTORY_INIT;
  to.n_views = n_views;
  to.sid_mm = 785.0;
  to.sdd_mm = 1200.0;
  carm_geometry *g = NULL;
  carm_status st;
  if (arc >= 360.0) {
    st = carm_geometry_circular(&g, &to);
  } else {
    to.first_angle_deg = -0.5 * arc;
    to.arc_deg = arc;
    st = carm_geometry_short_scan(&g, &to);
  }
  if (st != CARM_OK) {
    fprintf(stderr, "geometry: %s\n", carm_last_error());
    return 1;
  }
  if (make_scene() != CARM_OK) {
    fprintf(stderr, "phantom: %s\n", carm_last_error());
    return 1;
  }
  carm_volume *vol = NULL;
  int64_t vd[3] = {size, size, size};
  if (carm_volume_create(&vol, vd) != CARM_OK) {
    fprintf(stderr, "no memory\n");
    return 1;
  }
  for (int i = 0; i < 3; i++) {
    vol->spacing[i] = spacing;
    vol->origin[i] = -0.5 * (double)(size - 1) * spacing;
  }
  if (score != NULL) {
    /* score a plastimatch reconstruction only */
    carm_volume *pm = NULL;
    carm_volume *res = NULL;
    if (carm_image_read(&pm, NULL, score) != CARM_OK ||
        from_plastimatch(pm, vol, &res) != CARM_OK) {
      fprintf(stderr, "%s: %s\n", score, carm_last_error());
      return 1;
    }
    double bias = 0.0;
    double rp = 0.0;
    double r = rmse_hu(res, &bias, &rp);
    printf("plastimatch: RMSE %.1f HU (mean error %+.1f HU) vs the voxel-averaged truth; %.1f HU "
           "vs the truth at voxel centres\n",
           r, bias, rp);
    if (output != NULL) {
      carm_image_write(res, output, NULL);
    }
    return 0;
  }

  carm_volume *proj = NULL;
  int64_t pd[3] = {nu, nv, n_views};
  if (carm_volume_create(&proj, pd) != CARM_OK) {
    fprintf(stderr, "no memory\n");
    return 1;
  }
  proj->spacing[0] = proj->spacing[1] = pitch;
  proj->origin[0] = -0.5 * (double)(nu - 1) * pitch;
  proj->origin[1] = -0.5 * (double)(nv - 1) * pitch;
  double t0 = now_s();
  if (carm_phantom_project_analytic(scene, g, proj) != CARM_OK) {
    fprintf(stderr, "projections: %s\n", carm_last_error());
    return 1;
  }
  double t1 = now_s();
  if (export_dir != NULL) {
    if (export_plastimatch(export_dir, g, proj) != 0) {
      fprintf(stderr, "export to %s failed\n", export_dir);
      return 1;
    }
    /* PEER.md: s = (6.68 / mu_water) · SID · π / (√3 · SAD · W · pixel) for
     * a 360° scan, the arc in radians instead of π for a short scan (the
     * factor 10 of its DRRs does not apply: these are line integrals) */
    double sc = (6.68 / WATER) * 1200.0 * (arc >= 360.0 ? M_PI : arc * M_PI / 180.0) /
                (sqrt(3.0) * 785.0 * (double)nu * pitch);
    printf("plastimatch export: %s (intensity scale for HU: %.6g)\n", export_dir, sc);
  }
  if (export_carm != NULL) {
    char path[1024];
    if (mkdir(export_carm, 0755) != 0 && errno != EEXIST) {
      fprintf(stderr, "cannot create %s\n", export_carm);
      return 1;
    }
    snprintf(path, sizeof path, "%s/geometry.xml", export_carm);
    st = carm_geometry_write_rtk(g, path);
    if (st == CARM_OK) {
      snprintf(path, sizeof path, "%s/projections.mha", export_carm);
      st = carm_image_write(proj, path, NULL);
    }
    if (st != CARM_OK) {
      fprintf(stderr, "%s: %s\n", path, carm_last_error());
      return 1;
    }
    printf("carm export: %s/{geometry.xml,projections.mha}\n", export_carm);
  }
  double rss0 = peak_rss_mb();
  carm_fdk_opts o = CARM_FDK_INIT;
  o.hu = 1;
  o.water_mu_per_mm = WATER;
  o.threads = threads;
  o.batch_views = batch;
  int nthreads = threads > 0 ? threads : omp_get_max_threads();
  double t2 = now_s();
  carm_fdk_plan *plan = NULL;
  st = carm_fdk_plan_create(&plan, g, proj, vol, &o);
  if (st != CARM_OK) {
    fprintf(stderr, "plan: %s\n", carm_last_error());
    return 1;
  }
  double t3 = now_s();
  st = carm_fdk_execute(plan, proj, vol);
  double t4 = now_s();
  if (st != CARM_OK) {
    fprintf(stderr, "execute: %s\n", carm_last_error());
    return 1;
  }
  double fs = 0.0;
  double bs = 0.0;
  carm_fdk_plan_timing(plan, &fs, &bs);
  double fc = 0.0;
  double bc = 0.0;
  carm_fdk_plan_cpu_timing(plan, &fc, &bc);
  carm_fdk_info info;
  carm_fdk_plan_info(plan, &info);
  double bias = 0.0;
  double rp = 0.0;
  double r = rmse_hu(vol, &bias, &rp);
  printf("case: %lld views of %lldx%lld (%.3f mm) over %.0f deg -> %lld^3 at %.2f mm, %d "
         "threads, %s\n",
         (long long)n_views, (long long)nu, (long long)nv, pitch, arc, (long long)size, spacing,
         nthreads, info.short_scan ? "Parker" : "full scan");
  printf("projections (exact line integrals): %.2f s\n", t1 - t0);
  printf("carm fdk: wall %.2f s (plan %.3f s, filter %.2f s, backprojection %.2f s)\n", t4 - t2,
         t3 - t2, fs, bs);
  double updates = (double)n_views * (double)carm_volume_count(vol);
  double load[1] = {0.0};
  FILE *lf = fopen("/proc/loadavg", "r");
  if (lf != NULL) {
    if (fscanf(lf, "%lf", &load[0]) != 1) {
      load[0] = NAN;
    }
    fclose(lf);
  }
  printf("carm backprojection: %.3f GUPS (wall; the run had %.2f of %d cores, load average "
         "%.1f)\n",
         updates / bs / 1e9, bc / bs, nthreads, load[0]);
  printf("carm backprojection per CPU-second: %.3f G updates -> %.2f GUPS on %d dedicated "
         "cores\n",
         updates / bc / 1e9, updates / bc / 1e9 * nthreads, nthreads);
  printf("carm filter: %.2f s wall, %.2f CPU-s\n", fs, fc);
  printf("carm peak RSS: %.0f MB (before planning %.0f MB; plan buffers %.0f MB)\n", peak_rss_mb(),
         rss0, (double)info.buffer_bytes / 1048576.0);
  printf("carm RMSE: %.1f HU (mean error %+.1f HU) vs the voxel-averaged truth; %.1f HU vs "
         "the truth at voxel centres\n",
         r, bias, rp);
  if (output != NULL) {
    st = carm_image_write(vol, output, NULL);
    if (st != CARM_OK) {
      fprintf(stderr, "%s: %s\n", output, carm_last_error());
    }
  }
  carm_fdk_plan_destroy(plan);
  carm_volume_destroy(proj);
  carm_volume_destroy(vol);
  carm_geometry_destroy(g);
  carm_phantom_destroy(scene);
  return 0;
}
