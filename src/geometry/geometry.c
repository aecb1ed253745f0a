/* Views, their 3x4 matrices (GEOMETRY.md), and trajectory builders. */
#include "carm/geometry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

carm_status carm_geometry_create(carm_geometry **out, int64_t n_views) {
  if (n_views < 0 || n_views > CARM_GEOMETRY_MAX_VIEWS) {
    return carm_error(CARM_ERR_RANGE, "number of views %lld outside 0..%d", (long long)n_views,
                      CARM_GEOMETRY_MAX_VIEWS);
  }
  carm_geometry *g = calloc(1, sizeof *g);
  if (g == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a geometry");
  }
  g->views = calloc((size_t)(n_views > 0 ? n_views : 1), sizeof *g->views);
  if (g->views == NULL) {
    free(g);
    return carm_error(CARM_ERR_NOMEM, "cannot allocate %lld views", (long long)n_views);
  }
  g->n_views = n_views;
  for (int64_t i = 0; i < n_views; i++) {
    g->views[i].time_s = NAN;
  }
  *out = g;
  return CARM_OK;
}

void carm_geometry_destroy(carm_geometry *geo) {
  if (geo == NULL) {
    return;
  }
  free(geo->views);
  free(geo);
}

carm_status carm_geometry_clone(carm_geometry **out, const carm_geometry *src) {
  carm_geometry *g = NULL;
  carm_status st = carm_geometry_create(&g, src->n_views);
  if (st != CARM_OK) {
    return st;
  }
  memcpy(g->views, src->views, (size_t)src->n_views * sizeof *g->views);
  g->patient = src->patient;
  *out = g;
  return CARM_OK;
}

double carm_angle_wrap(double angle_rad) {
  double a = fmod(angle_rad, 2.0 * M_PI);
  if (a < 0.0) {
    a += 2.0 * M_PI;
  }
  if (a >= 2.0 * M_PI) {
    a = 0.0;
  }
  return a;
}

static double deg2rad(double d) { return d * (M_PI / 180.0); }

carm_status carm_view_set(carm_view *view, double sid_mm, double sdd_mm, double gantry_deg,
                          double proj_offset_x_mm, double proj_offset_y_mm, double out_of_plane_deg,
                          double in_plane_deg, double source_offset_x_mm,
                          double source_offset_y_mm) {
  const double v[9] = {
      sid_mm,           sdd_mm,       gantry_deg,         proj_offset_x_mm,  proj_offset_y_mm,
      out_of_plane_deg, in_plane_deg, source_offset_x_mm, source_offset_y_mm};
  static const char *const names[9] = {"SID",
                                       "SDD",
                                       "GantryAngle",
                                       "ProjectionOffsetX",
                                       "ProjectionOffsetY",
                                       "OutOfPlaneAngle",
                                       "InPlaneAngle",
                                       "SourceOffsetX",
                                       "SourceOffsetY"};
  for (int i = 0; i < 9; i++) {
    if (!isfinite(v[i]) || fabs(v[i]) > 1e9) {
      return carm_error(CARM_ERR_GEOMETRY, "%s is %g (must be finite)", names[i], v[i]);
    }
  }
  if (sid_mm <= 0.0) {
    return carm_error(CARM_ERR_GEOMETRY, "SID is %g mm (must be > 0)", sid_mm);
  }
  if (sdd_mm < 0.0) {
    return carm_error(CARM_ERR_GEOMETRY, "SDD is %g mm (must be >= 0; 0 = parallel)", sdd_mm);
  }
  view->sid_mm = sid_mm;
  view->sdd_mm = sdd_mm;
  view->gantry_angle_rad = carm_angle_wrap(deg2rad(gantry_deg));
  view->proj_offset_x_mm = proj_offset_x_mm;
  view->proj_offset_y_mm = proj_offset_y_mm;
  view->out_of_plane_rad = carm_angle_wrap(deg2rad(out_of_plane_deg));
  view->in_plane_rad = carm_angle_wrap(deg2rad(in_plane_deg));
  view->source_offset_x_mm = source_offset_x_mm;
  view->source_offset_y_mm = source_offset_y_mm;
  carm_view_update_matrix(view);
  return CARM_OK;
}

void carm_view_rotation(const carm_view *view, double r[3][3]) {
  double rz[3][3];
  double rx[3][3];
  double ry[3][3];
  carm_mat3_rot_z(-view->in_plane_rad, rz);
  carm_mat3_rot_x(-view->out_of_plane_rad, rx);
  carm_mat3_rot_y(-view->gantry_angle_rad, ry);
  carm_mat3_mul(rz, rx, r);
  carm_mat3_mul(r, ry, r);
}

void carm_view_update_matrix(carm_view *view) {
  const double sx = view->source_offset_x_mm;
  const double sy = view->source_offset_y_mm;
  const double px = view->proj_offset_x_mm;
  const double py = view->proj_offset_y_mm;
  const double sdd = view->sdd_mm;
  const double sid = view->sid_mm;
  /* a = T2(sx - px, sy - py) · M · T3(-sx, -sy, 0), a 3x4 acting on R·X. */
  double a[3][4];
  if (sdd == 0.0) {
    double m[3][4] = {{1, 0, 0, -px}, {0, 1, 0, -py}, {0, 0, 0, 1}};
    memcpy(a, m, sizeof m);
  } else {
    double m[3][4] = {{-sdd, 0, sx - px, sdd * sx - (sx - px) * sid},
                      {0, -sdd, sy - py, sdd * sy - (sy - py) * sid},
                      {0, 0, 1, -sid}};
    memcpy(a, m, sizeof m);
  }
  double r[3][3];
  carm_view_rotation(view, r);
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) {
      view->matrix[i][j] = a[i][0] * r[0][j] + a[i][1] * r[1][j] + a[i][2] * r[2][j];
    }
    view->matrix[i][3] = a[i][3];
  }
}

void carm_view_source(const carm_view *view, double src[3]) {
  double r[3][3];
  double rt[3][3];
  carm_view_rotation(view, r);
  carm_mat3_transpose(r, rt);
  double s[3] = {view->source_offset_x_mm, view->source_offset_y_mm, view->sid_mm};
  if (view->sdd_mm == 0.0) {
    s[0] = 0.0;
    s[1] = 0.0;
  }
  carm_mat3_apply(rt, s, src);
}

void carm_view_detector_frame(const carm_view *view, double origin[3], double u_dir[3],
                              double v_dir[3]) {
  double r[3][3];
  double rt[3][3];
  carm_view_rotation(view, r);
  carm_mat3_transpose(r, rt);
  double z = view->sdd_mm == 0.0 ? -view->sid_mm : view->sid_mm - view->sdd_mm;
  double o[3] = {view->proj_offset_x_mm, view->proj_offset_y_mm, z};
  double ex[3] = {1.0, 0.0, 0.0};
  double ey[3] = {0.0, 1.0, 0.0};
  carm_mat3_apply(rt, o, origin);
  carm_mat3_apply(rt, ex, u_dir);
  carm_mat3_apply(rt, ey, v_dir);
}

int carm_view_project(const carm_view *view, const double xyz[3], double uv[2]) {
  double h[3];
  carm_mat34_apply(view->matrix, xyz, h);
  if (view->sdd_mm != 0.0 && !(h[2] < 0.0)) {
    /* w = z' - SID must be negative in front of the source. */
    uv[0] = NAN;
    uv[1] = NAN;
    return 0;
  }
  uv[0] = h[0] / h[2];
  uv[1] = h[1] / h[2];
  return 1;
}

/* ---- trajectories ------------------------------------------------------- */

static carm_status check_opts(const carm_trajectory_opts *o) {
  if (o == NULL || o->version != 1) {
    return carm_error(CARM_ERR_INVALID, "trajectory options missing or of unknown version");
  }
  if (o->n_views < 1 || o->n_views > CARM_GEOMETRY_MAX_VIEWS) {
    return carm_error(CARM_ERR_RANGE, "number of views %lld outside 1..%d", (long long)o->n_views,
                      CARM_GEOMETRY_MAX_VIEWS);
  }
  if (!isfinite(o->arc_deg) || !isfinite(o->first_angle_deg) || !isfinite(o->jitter_deg) ||
      !isfinite(o->duration_s) || o->jitter_deg < 0.0 || o->duration_s < 0.0) {
    return carm_error(CARM_ERR_RANGE, "trajectory angles, jitter and duration must be "
                                      "finite (jitter and duration >= 0)");
  }
  return CARM_OK;
}

static carm_status build(carm_geometry **out, const carm_trajectory_opts *o, double step_deg) {
  carm_status st = check_opts(o);
  if (st != CARM_OK) {
    return st;
  }
  carm_geometry *g = NULL;
  st = carm_geometry_create(&g, o->n_views);
  if (st != CARM_OK) {
    return st;
  }
  g->patient = o->patient;
  carm_rng rng;
  carm_rng_seed(&rng, o->seed);
  for (int64_t k = 0; k < o->n_views; k++) {
    double a = o->first_angle_deg + step_deg * (double)k;
    if (o->jitter_deg > 0.0) {
      a += o->jitter_deg * (2.0 * carm_rng_uniform(&rng) - 1.0);
    }
    st = carm_view_set(&g->views[k], o->sid_mm, o->sdd_mm, a, o->proj_offset_x_mm,
                       o->proj_offset_y_mm, o->out_of_plane_deg, o->in_plane_deg,
                       o->source_offset_x_mm, o->source_offset_y_mm);
    if (st != CARM_OK) {
      carm_geometry_destroy(g);
      return st;
    }
    if (o->duration_s > 0.0) {
      g->views[k].time_s =
          o->n_views > 1 ? o->duration_s * (double)k / (double)(o->n_views - 1) : 0.0;
    }
  }
  *out = g;
  return CARM_OK;
}

carm_status carm_geometry_circular(carm_geometry **out, const carm_trajectory_opts *opts) {
  carm_status st = check_opts(opts);
  if (st != CARM_OK) {
    return st;
  }
  return build(out, opts, 360.0 / (double)opts->n_views);
}

carm_status carm_geometry_short_scan(carm_geometry **out, const carm_trajectory_opts *opts) {
  carm_status st = check_opts(opts);
  if (st != CARM_OK) {
    return st;
  }
  if (opts->arc_deg <= 0.0 || opts->arc_deg > 360.0) {
    return carm_error(CARM_ERR_RANGE, "arc %g degrees outside (0, 360]", opts->arc_deg);
  }
  double step = opts->n_views > 1 ? opts->arc_deg / (double)(opts->n_views - 1) : 0.0;
  return build(out, opts, step);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a;
  double y = *(const double *)b;
  return (x > y) - (x < y);
}

double carm_geometry_angular_coverage(const carm_geometry *geo) {
  int64_t n = geo->n_views;
  if (n < 2) {
    return 0.0;
  }
  double *a = malloc((size_t)n * sizeof *a);
  double *gaps = malloc((size_t)n * sizeof *gaps);
  if (a == NULL || gaps == NULL) {
    free(a);
    free(gaps);
    return 0.0;
  }
  for (int64_t i = 0; i < n; i++) {
    a[i] = geo->views[i].gantry_angle_rad;
  }
  qsort(a, (size_t)n, sizeof *a, cmp_double);
  double largest = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double g = i + 1 < n ? a[i + 1] - a[i] : a[0] + 2.0 * M_PI - a[n - 1];
    gaps[i] = g;
    largest = g > largest ? g : largest;
  }
  qsort(gaps, (size_t)n, sizeof *gaps, cmp_double);
  double step = gaps[n / 2];
  free(a);
  free(gaps);
  double cover = 2.0 * M_PI - largest + step;
  return cover > 2.0 * M_PI ? 2.0 * M_PI : cover;
}

void carm_patient_to_world(carm_patient_position pos, double w[3][3]) {
  carm_mat3_identity(w);
  if (pos == CARM_PATIENT_HFS) {
    /* world x = L (+x), world y = I (-z), world z = P (+y) */
    double m[3][3] = {{1, 0, 0}, {0, 0, -1}, {0, 1, 0}};
    memcpy(w, m, sizeof m);
  }
}

void carm_geometry_world_grid(const carm_geometry *geo, const carm_volume *vol, double origin_w[3],
                              double direction_w[3][3]) {
  double w[3][3];
  carm_patient_to_world(geo->patient, w);
  carm_mat3_apply(w, vol->origin, origin_w);
  carm_mat3_mul(w, vol->direction, direction_w);
}
