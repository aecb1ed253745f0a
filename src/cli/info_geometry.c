/* Summary of an RTK geometry XML file for `carm info` / `carm geometry info`. */
#include "cli/info_geometry.h"

#include "cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double deg(double rad) { return rad * (180.0 / M_PI); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median gap between consecutive sorted gantry angles, the wrap-around gap
 * included (as in carm_geometry_angular_coverage). 0 for one view. */
static double typical_step(const carm_geometry *g) {
  int64_t n = g->n_views;
  if (n < 2) {
    return 0.0;
  }
  double *a = malloc((size_t)n * sizeof *a);
  double *gaps = malloc((size_t)n * sizeof *gaps);
  double step = 0.0;
  if (a != NULL && gaps != NULL) {
    for (int64_t i = 0; i < n; i++) {
      a[i] = g->views[i].gantry_angle_rad;
    }
    qsort(a, (size_t)n, sizeof *a, cmp_double);
    for (int64_t i = 0; i < n; i++) {
      gaps[i] = i + 1 < n ? a[i + 1] - a[i] : a[0] + 2.0 * M_PI - a[n - 1];
    }
    qsort(gaps, (size_t)n, sizeof *gaps, cmp_double);
    step = gaps[n / 2];
  }
  free(a);
  free(gaps);
  return step;
}

typedef double (*view_get)(const carm_view *v);

static double get_sid(const carm_view *v) { return v->sid_mm; }
static double get_sdd(const carm_view *v) { return v->sdd_mm; }
static double get_sx(const carm_view *v) { return v->source_offset_x_mm; }
static double get_sy(const carm_view *v) { return v->source_offset_y_mm; }
static double get_px(const carm_view *v) { return v->proj_offset_x_mm; }
static double get_py(const carm_view *v) { return v->proj_offset_y_mm; }
/* tilt angles shown in (−180, 180] */
static double signed_deg(double rad) {
  double d = deg(rad);
  return d > 180.0 ? d - 360.0 : d;
}
static double get_oop(const carm_view *v) { return signed_deg(v->out_of_plane_rad); }
static double get_ip(const carm_view *v) { return signed_deg(v->in_plane_rad); }
static double get_time(const carm_view *v) { return v->time_s; }

/* Print "label: value unit" or "label: min .. max unit"; with
 * `skip_zero`, nothing when the value is 0 in every view. */
static void print_range(const carm_geometry *g, const char *label, view_get get, const char *unit,
                        int skip_zero) {
  double lo = INFINITY;
  double hi = -INFINITY;
  int64_t known = 0;
  for (int64_t k = 0; k < g->n_views; k++) {
    double x = get(&g->views[k]);
    if (isnan(x)) {
      continue;
    }
    known++;
    lo = fmin(lo, x);
    hi = fmax(hi, x);
  }
  if (known == 0 || (skip_zero && fabs(lo) <= 1e-9 && fabs(hi) <= 1e-9)) {
    return;
  }
  if (hi - lo <= 1e-9 * fmax(1.0, fmax(fabs(lo), fabs(hi)))) {
    /* equal up to rounding (e.g. decomposed from matrices) */
    printf("%-22s %.6g %s\n", label, lo, unit);
  } else {
    printf("%-22s %.6g .. %.6g %s%s\n", label, lo, hi, unit,
           get == get_time ? "" : " (varies per view)");
  }
}

int cli_info_geometry(const char *cmd, const char *path) {
  carm_geometry *g = NULL;
  carm_status st = carm_geometry_read_rtk(&g, path);
  if (st != CARM_OK) {
    return cli_status(cmd, "cannot read the geometry", st);
  }
  const int64_t n = g->n_views;
  const int parallel = g->views[0].sdd_mm == 0.0;
  printf("%s: RTK circular geometry, %lld view%s, %s\n", path, (long long)n, n == 1 ? "" : "s",
         parallel ? "parallel beam" : "cone beam");
  printf("%-22s %s\n", "patient position:",
         g->patient == CARM_PATIENT_HFS ? "HFS (head first supine, C-arm table)"
                                        : "world (patient coordinates = RTK world)");
  double cover = carm_geometry_angular_coverage(g);
  double step = typical_step(g);
  printf("%-22s first %.6g deg, last %.6g deg\n",
         "gantry angles:", deg(g->views[0].gantry_angle_rad),
         deg(g->views[n - 1].gantry_angle_rad));
  printf("%-22s %.6g deg (typical step %.4g deg)\n", "angular coverage:", deg(cover), deg(step));
  if (n < 2) {
    printf("%-22s single view\n", "scan:");
  } else if (cover < 2.0 * M_PI - 1.5 * step) {
    printf("%-22s short scan (coverage < 360 deg - 1.5 steps)\n", "scan:");
  } else {
    printf("%-22s full scan\n", "scan:");
  }
  print_range(g, "SID:", get_sid, "mm", 0);
  if (!parallel) {
    print_range(g, "SDD:", get_sdd, "mm", 0);
  }
  print_range(g, "source offset x:", get_sx, "mm", 1);
  print_range(g, "source offset y:", get_sy, "mm", 1);
  print_range(g, "projection offset x:", get_px, "mm", 1);
  print_range(g, "projection offset y:", get_py, "mm", 1);
  print_range(g, "out-of-plane angle:", get_oop, "deg", 1);
  print_range(g, "in-plane angle:", get_ip, "deg", 1);
  print_range(g, "time:", get_time, "s", 0);
  int64_t calibrated = 0;
  for (int64_t k = 0; k < n; k++) {
    carm_view p = g->views[k];
    carm_view_update_matrix(&p);
    double d = 0.0;
    double s = 1.0;
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 4; j++) {
        d = fmax(d, fabs(p.matrix[i][j] - g->views[k].matrix[i][j]));
        s = fmax(s, fabs(p.matrix[i][j]));
      }
    }
    calibrated += d > 1e-9 * s;
  }
  if (calibrated > 0) {
    printf("%-22s %lld view%s keep a calibrated <RawMatrix>\n", "matrices:", (long long)calibrated,
           calibrated == 1 ? "" : "s");
  }
  printf("%-22s unknown (needs the detector width, not stored in the geometry)\n", "fan angle:");
  carm_geometry_destroy(g);
  return CLI_OK;
}
