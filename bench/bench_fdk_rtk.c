/* Where the error of RTK's FDK test case lies (tests/recon/test_fdk_rtk.c):
 * RTK's case (180 views, SID 600, SDD 1200, source offsets (20, 15), 128²
 * detector at 4 mm, 128³ at 2 mm, Shepp–Logan × 116, exact projections),
 * reconstructed by carm's FDK and scored inside the field of view (the
 * voxels every view sees) against the phantom at voxel centres (RTK's
 * reference) and averaged over each voxel, split into voxels next to an
 * edge of the phantom, the air around the head and the inside of the head,
 * by height along the rotation axis, and against the phantom drawn half a
 * voxel off. Options change the geometry to show what the remaining error
 * depends on. Not a timing benchmark; `make bench` does not run it.
 *
 * usage: bench_fdk_rtk [--sid-scale S] [--views N] [--fine]
 *   --sid-scale S  SID and SDD × S (same magnification, S× smaller cone angle)
 *   --views N      N views over 360° instead of 180
 *   --fine         also: a 256² detector at 2 mm, and a 1 mm reconstruction
 *                  averaged 2×2×2 */
#include "carm/carm.h"

#include "../tests/recon/ellipsoids.h"

#include <string.h>

static int n_views = 180;
static double sid_scale = 1.0;

static carm_geometry *make_geometry(void) {
  carm_geometry *geo = NULL;
  if (carm_geometry_create(&geo, n_views) != CARM_OK) {
    return NULL;
  }
  for (int k = 0; k < n_views; k++) {
    if (carm_view_set(&geo->views[k], 600.0 * sid_scale, 1200.0 * sid_scale, k * 360.0 / n_views, 0,
                      0, 0, 0, 20, 15) != CARM_OK) {
      carm_geometry_destroy(geo);
      return NULL;
    }
  }
  return geo;
}

static carm_volume *make_grid(int64_t nx, int64_t nz, double spacing, double origin) {
  carm_volume *v = NULL;
  int64_t d[3] = {nx, nx, nz};
  if (carm_volume_create(&v, d) != CARM_OK) {
    fprintf(stderr, "no memory\n");
    exit(1);
  }
  for (int i = 0; i < 3; i++) {
    v->spacing[i] = spacing;
    v->origin[i] = origin;
  }
  return v;
}

static carm_volume *fdk(const carm_geometry *geo, const carm_volume *proj, const carm_volume *grid,
                        const carm_fdk_opts *o) {
  carm_volume *r = NULL;
  carm_fdk_plan *plan = NULL;
  if (carm_volume_create_like(&r, grid) != CARM_OK ||
      carm_fdk_plan_create(&plan, geo, proj, grid, o) != CARM_OK ||
      carm_fdk_execute(plan, proj, r) != CARM_OK) {
    fprintf(stderr, "fdk: %s\n", carm_last_error());
    exit(1);
  }
  carm_fdk_plan_destroy(plan);
  return r;
}

static void row(const char *name, err_stats e) {
  printf("%-58s %8lld  MAE %.5f  RMSE %.5f  PSNR %6.2f dB\n", name, (long long)e.n, e.mae, e.rmse,
         e.psnr);
}

/* mask[i] = 1 where the ref values of the voxels within `r` voxels (Chebyshev)
 * all equal voxel i's (flat = 1) or where one differs (flat = 0), inside fov */
static unsigned char *edge_mask(const carm_volume *ref, const unsigned char *fov, int64_t r,
                                int flat) {
  int64_t nx = ref->dims[0];
  int64_t n = carm_volume_count(ref);
  unsigned char *m = calloc((size_t)n, 1);
  if (m == NULL) {
    exit(1);
  }
#pragma omp parallel for
  for (int64_t k = 0; k < nx; k++) {
    for (int64_t j = 0; j < nx; j++) {
      for (int64_t i = 0; i < nx; i++) {
        int64_t id = (k * nx + j) * nx + i;
        int e = 0;
        for (int64_t c = k - r; c <= k + r; c++) {
          for (int64_t b = j - r; b <= j + r; b++) {
            for (int64_t a = i - r; a <= i + r; a++) {
              if (a >= 0 && b >= 0 && c >= 0 && a < nx && b < nx && c < nx &&
                  ref->data[(c * nx + b) * nx + a] != ref->data[id]) {
                e = 1;
              }
            }
          }
        }
        m[id] = (unsigned char)(fov[id] && (flat ? !e : e));
      }
    }
  }
  return m;
}

int main(int argc, char **argv) {
  int fine = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--sid-scale") == 0 && i + 1 < argc) {
      sid_scale = strtod(argv[++i], NULL);
    } else if (strcmp(argv[i], "--views") == 0 && i + 1 < argc) {
      n_views = (int)strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--fine") == 0) {
      fine = 1;
    } else {
      fprintf(stderr, "usage: bench_fdk_rtk [--sid-scale S] [--views N] [--fine]\n");
      return 2;
    }
  }
  if (!(sid_scale >= 1.0) || n_views < 2) {
    fprintf(stderr, "--sid-scale >= 1, --views >= 2\n");
    return 2;
  }
  carm_geometry *geo = make_geometry();
  carm_phantom *sl = NULL;
  if (geo == NULL || carm_phantom_create(&sl) != CARM_OK ||
      carm_phantom_add_shepp_logan(sl, 116.0) != CARM_OK) {
    fprintf(stderr, "setup: %s\n", carm_last_error());
    return 1;
  }
  carm_volume *proj = make_grid(128, n_views, 4.0, -254.0);
  proj->origin[2] = 0.0;
  carm_volume *ref = make_grid(128, 128, 2.0, -127.0);
  carm_volume *ref_avg = make_grid(128, 128, 2.0, -127.0);
  if (carm_phantom_project_analytic(sl, geo, proj) != CARM_OK ||
      carm_phantom_voxelize(sl, ref, 1) != CARM_OK ||
      carm_phantom_voxelize(sl, ref_avg, 4) != CARM_OK) {
    fprintf(stderr, "phantom: %s\n", carm_last_error());
    return 1;
  }
  unsigned char *fov = fov_mask(ref, geo, proj, 1);
  if (fov == NULL) {
    return 1;
  }
  carm_fdk_opts o = CARM_FDK_INIT;
  carm_volume *rec = fdk(geo, proj, ref, &o);
  int64_t n = carm_volume_count(ref);
  printf("RTK's FDK case: %d views, SID %g, SDD %g, source offsets (20, 15); Ram-Lak\n", n_views,
         600.0 * sid_scale, 1200.0 * sid_scale);

  carm_volume *masked = NULL;
  if (carm_volume_clone(&masked, rec) != CARM_OK) {
    return 1;
  }
  for (int64_t i = 0; i < n; i++) {
    masked->data[i] = fov[i] ? masked->data[i] : 0.0f;
  }
  row("RTK's measure (0 outside the FOV, whole volume)", compare(masked, ref, NULL));
  carm_volume_destroy(masked);
  err_stats all = compare(rec, ref, fov);
  row("FOV vs the phantom at voxel centres (RTK's reference)", all);
  row("FOV vs the phantom averaged over each voxel (4^3)", compare(rec, ref_avg, fov));

  unsigned char *edge = edge_mask(ref, fov, 1, 0);
  unsigned char *flat1 = edge_mask(ref, fov, 1, 1);
  unsigned char *flat3 = edge_mask(ref, fov, 2, 1);
  err_stats ee = compare(rec, ref, edge);
  row("FOV voxels next to an edge (a 26-neighbour differs)", ee);
  row("FOV voxels not next to an edge", compare(rec, ref, flat1));
  printf("the voxels next to an edge: %.1f %% of the FOV, %.1f %% of its absolute error, %.1f %% "
         "of its squared error\n",
         100.0 * (double)ee.n / (double)all.n,
         100.0 * ee.mae * (double)ee.n / (all.mae * (double)all.n),
         100.0 * ee.rmse * ee.rmse * (double)ee.n / (all.rmse * all.rmse * (double)all.n));
  unsigned char *m = calloc((size_t)n, 1);
  if (m == NULL) {
    return 1;
  }
  for (int64_t i = 0; i < n; i++) {
    m[i] = (unsigned char)(fov[i] && fabsf(ref->data[i] - 2.0f) < 1e-4f);
  }
  row("skull (value 2.0)", compare(rec, ref, m));
  for (int64_t i = 0; i < n; i++) {
    m[i] = (unsigned char)(flat3[i] && ref->data[i] == 0.0f);
  }
  row("air around the head, >= 3 voxels from an edge", compare(rec, ref, m));
  for (int64_t i = 0; i < n; i++) {
    m[i] = (unsigned char)(flat3[i] && ref->data[i] != 0.0f);
  }
  err_stats in = compare(rec, ref, m);
  row("inside the head, >= 3 voxels from an edge", in);
  double se = 0.0;
  double sxy = 0.0;
  double sxx = 0.0;
  for (int64_t i = 0; i < n; i++) {
    if (m[i]) {
      se += (double)rec->data[i] - (double)ref->data[i];
      sxy += (double)rec->data[i] * (double)ref->data[i];
      sxx += (double)rec->data[i] * (double)rec->data[i];
    }
  }
  printf("inside the head, >= 3 voxels from an edge: mean error %+.5f, least-squares gain "
         "ref/rec %.5f\n",
         se / (double)in.n, sxy / sxx);
  printf("inside the head, >= 3 voxels from an edge, by height y (rotation axis):\n");
  for (int64_t jb = 0; jb < 128; jb += 16) {
    double a = 0.0;
    double s = 0.0;
    int64_t c = 0;
    for (int64_t k = 0; k < 128; k++) {
      for (int64_t j = jb; j < jb + 16; j++) {
        for (int64_t i = 0; i < 128; i++) {
          int64_t id = (k * 128 + j) * 128 + i;
          if (m[id]) {
            double d = (double)rec->data[id] - (double)ref->data[id];
            a += fabs(d);
            s += d;
            c++;
          }
        }
      }
    }
    if (c > 0) {
      printf("  y %+6.0f .. %+6.0f mm: %7lld voxels, MAE %.5f, mean error %+.5f\n",
             -127.0 + 2.0 * (double)jb, -127.0 + 2.0 * (double)(jb + 15), (long long)c,
             a / (double)c, s / (double)c);
    }
  }
  for (int ax = 0; ax < 3; ax++) {
    for (int sg = -1; sg <= 1; sg += 2) {
      carm_volume *sh = make_grid(128, 128, 2.0, -127.0);
      sh->origin[ax] += 0.5 * sg;
      if (carm_phantom_voxelize(sl, sh, 1) != CARM_OK) {
        return 1;
      }
      char name[80];
      snprintf(name, sizeof name, "FOV vs the phantom drawn %+.1f mm along %c", 0.5 * sg,
               "xyz"[ax]);
      row(name, compare(rec, sh, fov));
      carm_volume_destroy(sh);
    }
  }
  for (int w = 1; w < 5; w++) {
    carm_fdk_opts ow = CARM_FDK_INIT;
    ow.window = (carm_filter_window)w;
    carm_volume *r = fdk(geo, proj, ref, &ow);
    char name[80];
    snprintf(name, sizeof name, "FOV vs voxel centres, window %s",
             carm_filter_window_name(ow.window));
    row(name, compare(r, ref, fov));
    carm_volume_destroy(r);
  }
  if (fine) {
    carm_volume *p2 = make_grid(256, n_views, 2.0, -255.0);
    p2->origin[2] = 0.0;
    if (carm_phantom_project_analytic(sl, geo, p2) != CARM_OK) {
      return 1;
    }
    carm_volume *r2 = fdk(geo, p2, ref, &o);
    row("256^2 detector at 2 mm: FOV vs voxel centres", compare(r2, ref, fov));
    row("256^2 detector at 2 mm: FOV vs voxel averages", compare(r2, ref_avg, fov));
    carm_volume *g1 = make_grid(256, 256, 1.0, -127.5);
    carm_volume *r1 = fdk(geo, p2, g1, &o);
    carm_volume *avg = make_grid(128, 128, 2.0, -127.0);
    for (int64_t k = 0; k < 128; k++) {
      for (int64_t j = 0; j < 128; j++) {
        for (int64_t i = 0; i < 128; i++) {
          double a = 0.0;
          for (int d = 0; d < 8; d++) {
            a += r1->data[((2 * k + (d >> 2)) * 256 + 2 * j + ((d >> 1) & 1)) * 256 + 2 * i +
                          (d & 1)];
          }
          avg->data[(k * 128 + j) * 128 + i] = (float)(a / 8.0);
        }
      }
    }
    row("... and 1 mm voxels averaged 2x2x2: FOV vs voxel centres", compare(avg, ref, fov));
    row("... and 1 mm voxels averaged 2x2x2: FOV vs voxel averages", compare(avg, ref_avg, fov));
    carm_volume_destroy(p2);
    carm_volume_destroy(r2);
    carm_volume_destroy(g1);
    carm_volume_destroy(r1);
    carm_volume_destroy(avg);
  }
  free(m);
  free(edge);
  free(flat1);
  free(flat3);
  free(fov);
  carm_volume_destroy(rec);
  carm_volume_destroy(ref);
  carm_volume_destroy(ref_avg);
  carm_volume_destroy(proj);
  carm_phantom_destroy(sl);
  carm_geometry_destroy(geo);
  return 0;
}
