/* Analytic phantoms: ellipsoids and finite cylinders with exact chords,
 * projections, supersampled voxelisation and a JSON scene reader. */
#include "carm/phantom.h"
#include "carm/project.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

carm_status carm_phantom_create(carm_phantom **out) {
  if (out == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_phantom_create: NULL output");
  }
  carm_phantom *ph = calloc(1, sizeof *ph);
  if (ph == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a phantom");
  }
  *out = ph;
  return CARM_OK;
}

void carm_phantom_destroy(carm_phantom *ph) {
  if (ph == NULL) {
    return;
  }
  free(ph->shapes);
  free(ph);
}

static carm_status phantom_push(carm_phantom *ph, const carm_shape *s) {
  if (ph->n_shapes >= CARM_PHANTOM_MAX_SHAPES) {
    return carm_error(CARM_ERR_RANGE, "a phantom holds at most %d shapes", CARM_PHANTOM_MAX_SHAPES);
  }
  if (ph->n_shapes == ph->capacity) {
    int64_t cap = ph->capacity < 8 ? 8 : 2 * ph->capacity;
    carm_shape *n = realloc(ph->shapes, (size_t)cap * sizeof *n);
    if (n == NULL) {
      return carm_error(CARM_ERR_NOMEM, "cannot grow a phantom to %lld shapes", (long long)cap);
    }
    ph->shapes = n;
    ph->capacity = cap;
  }
  ph->shapes[ph->n_shapes++] = *s;
  return CARM_OK;
}

static int finite3(const double v[3]) { return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]); }

carm_status carm_phantom_add_ellipsoid(carm_phantom *ph, const double centre_mm[3],
                                       const double semi_axes_mm[3], const double rotation[3][3],
                                       double density) {
  if (ph == NULL || centre_mm == NULL || semi_axes_mm == NULL) {
    return carm_error(CARM_ERR_INVALID, "ellipsoid: NULL argument");
  }
  if (!finite3(centre_mm) || !isfinite(density)) {
    return carm_error(CARM_ERR_INVALID, "ellipsoid: centre and density must be finite");
  }
  for (int a = 0; a < 3; a++) {
    if (!(semi_axes_mm[a] > 0.0) || !isfinite(semi_axes_mm[a])) {
      return carm_error(CARM_ERR_INVALID, "ellipsoid: semi-axis %d is %g (must be > 0)", a,
                        semi_axes_mm[a]);
    }
  }
  carm_shape s;
  memset(&s, 0, sizeof s);
  s.kind = CARM_SHAPE_ELLIPSOID;
  s.density = density;
  for (int a = 0; a < 3; a++) {
    s.centre_mm[a] = centre_mm[a];
    s.semi_axes_mm[a] = semi_axes_mm[a];
  }
  if (rotation == NULL) {
    carm_mat3_identity(s.rotation);
  } else {
    double rt[3][3];
    double rtr[3][3];
    carm_mat3_transpose(rotation, rt);
    carm_mat3_mul(rt, rotation, rtr);
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 3; c++) {
        if (!(fabs(rtr[r][c] - (r == c ? 1.0 : 0.0)) <= 1e-6)) {
          return carm_error(CARM_ERR_INVALID, "ellipsoid: rotation matrix is not orthonormal");
        }
        s.rotation[r][c] = rotation[r][c];
      }
    }
  }
  return phantom_push(ph, &s);
}

carm_status carm_phantom_add_cylinder(carm_phantom *ph, const double centre_mm[3],
                                      const double axis[3], double radius_mm, double length_mm,
                                      double density) {
  if (ph == NULL || centre_mm == NULL || axis == NULL) {
    return carm_error(CARM_ERR_INVALID, "cylinder: NULL argument");
  }
  if (!finite3(centre_mm) || !finite3(axis) || !isfinite(density)) {
    return carm_error(CARM_ERR_INVALID, "cylinder: centre, axis and density must be finite");
  }
  if (!(radius_mm > 0.0) || !(length_mm > 0.0) || !isfinite(radius_mm) || !isfinite(length_mm)) {
    return carm_error(CARM_ERR_INVALID, "cylinder: radius %g and length %g must be > 0", radius_mm,
                      length_mm);
  }
  carm_shape s;
  memset(&s, 0, sizeof s);
  s.kind = CARM_SHAPE_CYLINDER;
  s.density = density;
  for (int a = 0; a < 3; a++) {
    s.centre_mm[a] = centre_mm[a];
    s.axis[a] = axis[a];
  }
  double len = carm_vec3_normalize(s.axis);
  if (!(len > 0.0) || !isfinite(len) || !finite3(s.axis)) {
    return carm_error(CARM_ERR_INVALID, "cylinder: axis is the zero vector or not finite");
  }
  s.radius_mm = radius_mm;
  s.length_mm = length_mm;
  carm_mat3_identity(s.rotation);
  return phantom_push(ph, &s);
}

/* The 3D Shepp–Logan table of RTK (rtk::SheppLoganPhantom): semi-axes x, y,
 * z; centre x, y, z; rotation about y in degrees; density. */
static const double shepp_logan_rtk[10][8] = {
    {0.69, 0.90, 0.92, 0.0, 0.0, 0.0, 0.0, 2.0},
    {0.6624, 0.880, 0.874, 0.0, 0.0, 0.0, 0.0, -0.98},
    {0.41, 0.21, 0.16, -0.22, -0.25, 0.0, 108.0, -0.02},
    {0.31, 0.22, 0.11, 0.22, -0.25, 0.0, 72.0, -0.02},
    {0.21, 0.50, 0.25, 0.0, -0.25, 0.35, 0.0, 0.02},
    {0.046, 0.046, 0.046, 0.0, -0.25, 0.10, 0.0, 0.02},
    {0.046, 0.02, 0.023, -0.08, -0.25, -0.65, 0.0, 0.01},
    {0.046, 0.02, 0.023, 0.06, -0.25, -0.65, 90.0, 0.01},
    {0.056, 0.1, 0.04, 0.06, 0.625, -0.105, 90.0, 0.02},
    {0.056, 0.1, 0.056, 0.0, 0.625, 0.1, 0.0, -0.02},
};

carm_status carm_phantom_add_shepp_logan(carm_phantom *ph, double scale_mm) {
  if (ph == NULL) {
    return carm_error(CARM_ERR_INVALID, "shepp-logan: NULL phantom");
  }
  if (!(scale_mm > 0.0) || !isfinite(scale_mm)) {
    return carm_error(CARM_ERR_INVALID, "shepp-logan: scale %g must be > 0", scale_mm);
  }
  for (int e = 0; e < 10; e++) {
    const double *t = shepp_logan_rtk[e];
    double axes[3] = {t[0] * scale_mm, t[1] * scale_mm, t[2] * scale_mm};
    double centre[3] = {t[3] * scale_mm, t[4] * scale_mm, t[5] * scale_mm};
    /* RTK's quadric for angle θ is x'²/a² + z'²/c² + ... with
     * x' = cos θ·x + sin θ·z, z' = −sin θ·x + cos θ·z, i.e. local = Ry(θ)·p:
     * the local axes (columns) are those of Ry(θ)ᵀ. */
    double ry[3][3];
    double rot[3][3];
    carm_mat3_rot_y(t[6] * M_PI / 180.0, ry);
    carm_mat3_transpose(ry, rot);
    carm_status st = carm_phantom_add_ellipsoid(ph, centre, axes, rot, t[7]);
    if (st != CARM_OK) {
      return st;
    }
  }
  return CARM_OK;
}

/* Parameter interval [*t1, *t2] of p + t·d inside shape s; 0 when the line
 * misses it. The interval may be unbounded (cylinder along its axis). */
static int shape_chord(const carm_shape *s, const double p[3], const double d[3], double *t1,
                       double *t2) {
  double w[3] = {p[0] - s->centre_mm[0], p[1] - s->centre_mm[1], p[2] - s->centre_mm[2]};
  if (s->kind == CARM_SHAPE_ELLIPSOID) {
    /* Local unit-sphere frame: q = Rᵀ w ./ axes, e = Rᵀ d ./ axes. */
    double q[3];
    double e[3];
    for (int a = 0; a < 3; a++) {
      double qa = 0.0;
      double ea = 0.0;
      for (int b = 0; b < 3; b++) {
        qa += s->rotation[b][a] * w[b];
        ea += s->rotation[b][a] * d[b];
      }
      q[a] = qa / s->semi_axes_mm[a];
      e[a] = ea / s->semi_axes_mm[a];
    }
    double A = carm_vec3_dot(e, e);
    double B = carm_vec3_dot(q, e);
    double C = carm_vec3_dot(q, q) - 1.0;
    if (!(A > 0.0)) {
      return 0;
    }
    double disc = B * B - A * C;
    if (!(disc > 0.0)) {
      return 0;
    }
    /* Stable roots of A t² + 2 B t + C = 0. */
    double sq = sqrt(disc);
    double qq = B >= 0.0 ? -(B + sq) : -(B - sq);
    double r1 = qq / A;
    double r2 = qq != 0.0 ? C / qq : -r1;
    *t1 = fmin(r1, r2);
    *t2 = fmax(r1, r2);
    return 1;
  }
  if (s->kind == CARM_SHAPE_CYLINDER) {
    double wa = carm_vec3_dot(w, s->axis);
    double da = carm_vec3_dot(d, s->axis);
    double wp[3];
    double dp[3];
    for (int a = 0; a < 3; a++) {
      wp[a] = w[a] - wa * s->axis[a];
      dp[a] = d[a] - da * s->axis[a];
    }
    double lo = -HUGE_VAL;
    double hi = HUGE_VAL;
    double r2 = s->radius_mm * s->radius_mm;
    double A = carm_vec3_dot(dp, dp);
    double B = carm_vec3_dot(wp, dp);
    double C = carm_vec3_dot(wp, wp) - r2;
    if (A <= 1e-30 * (carm_vec3_dot(d, d) + 1e-300)) {
      if (C > 0.0) {
        return 0;
      }
    } else {
      double disc = B * B - A * C;
      if (!(disc > 0.0)) {
        return 0;
      }
      double sq = sqrt(disc);
      double qq = B >= 0.0 ? -(B + sq) : -(B - sq);
      double r1 = qq / A;
      double rr = qq != 0.0 ? C / qq : -r1;
      lo = fmin(r1, rr);
      hi = fmax(r1, rr);
    }
    double h = 0.5 * s->length_mm;
    if (da == 0.0) {
      if (fabs(wa) > h) {
        return 0;
      }
    } else {
      double c1 = (-h - wa) / da;
      double c2 = (h - wa) / da;
      lo = fmax(lo, fmin(c1, c2));
      hi = fmin(hi, fmax(c1, c2));
    }
    if (!(lo < hi)) {
      return 0;
    }
    *t1 = lo;
    *t2 = hi;
    return 1;
  }
  return 0;
}

static int shape_contains(const carm_shape *s, const double p[3]) {
  double w[3] = {p[0] - s->centre_mm[0], p[1] - s->centre_mm[1], p[2] - s->centre_mm[2]};
  if (s->kind == CARM_SHAPE_ELLIPSOID) {
    double r = 0.0;
    for (int a = 0; a < 3; a++) {
      double qa = 0.0;
      for (int b = 0; b < 3; b++) {
        qa += s->rotation[b][a] * w[b];
      }
      qa /= s->semi_axes_mm[a];
      r += qa * qa;
    }
    return r <= 1.0;
  }
  if (s->kind == CARM_SHAPE_CYLINDER) {
    double wa = carm_vec3_dot(w, s->axis);
    if (fabs(wa) > 0.5 * s->length_mm) {
      return 0;
    }
    double wp[3] = {w[0] - wa * s->axis[0], w[1] - wa * s->axis[1], w[2] - wa * s->axis[2]};
    return carm_vec3_dot(wp, wp) <= s->radius_mm * s->radius_mm;
  }
  return 0;
}

double carm_phantom_value(const carm_phantom *ph, const double p_mm[3]) {
  double v = 0.0;
  if (ph == NULL || p_mm == NULL) {
    return 0.0;
  }
  for (int64_t i = 0; i < ph->n_shapes; i++) {
    if (shape_contains(&ph->shapes[i], p_mm)) {
      v += ph->shapes[i].density;
    }
  }
  return v;
}

double carm_phantom_line_integral(const carm_phantom *ph, const double p_mm[3], const double d[3],
                                  double t_min, double t_max) {
  if (ph == NULL || p_mm == NULL || d == NULL) {
    return 0.0;
  }
  double len = carm_vec3_norm(d);
  if (!(len > 0.0)) {
    return 0.0;
  }
  double sum = 0.0;
  for (int64_t i = 0; i < ph->n_shapes; i++) {
    double t1;
    double t2;
    if (!shape_chord(&ph->shapes[i], p_mm, d, &t1, &t2)) {
      continue;
    }
    t1 = fmax(t1, t_min);
    t2 = fmin(t2, t_max);
    if (t2 > t1) {
      sum += ph->shapes[i].density * (t2 - t1) * len;
    }
  }
  return sum;
}

carm_status carm_phantom_project_analytic(const carm_phantom *ph, const carm_geometry *geo,
                                          carm_volume *proj) {
  if (ph == NULL || geo == NULL || proj == NULL || proj->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "analytic projection: NULL argument");
  }
  carm_status st = carm_volume_check_grid(proj);
  if (st != CARM_OK) {
    return st;
  }
  if (geo->n_views < 1 || geo->views == NULL || proj->dims[2] != geo->n_views) {
    return carm_error(CARM_ERR_INVALID,
                      "analytic projection: projection stack has %lld views but the geometry "
                      "%lld",
                      (long long)proj->dims[2], (long long)geo->n_views);
  }
  const int64_t nu = proj->dims[0];
  const int64_t nv = proj->dims[1];
  for (int64_t v = 0; v < geo->n_views; v++) {
    const carm_view *view = &geo->views[v];
    if (!(view->sid_mm > 0.0) || !(view->sdd_mm >= 0.0)) {
      return carm_error(CARM_ERR_GEOMETRY, "analytic projection: view %lld has SID %g, SDD %g",
                        (long long)v, view->sid_mm, view->sdd_mm);
    }
  }
  for (int64_t v = 0; v < geo->n_views; v++) {
    const carm_view *view = &geo->views[v];
    double o[3];
    double ud[3];
    double vd[3];
    double src[3];
    carm_view_detector_frame(view, o, ud, vd);
    carm_view_source(view, src);
    /* the scene lives in patient coordinates: bring the view there */
    double w[3][3];
    double wt[3][3];
    carm_patient_to_world(geo->patient, w);
    carm_mat3_transpose(w, wt);
    carm_mat3_apply(wt, o, o);
    carm_mat3_apply(wt, ud, ud);
    carm_mat3_apply(wt, vd, vd);
    carm_mat3_apply(wt, src, src);
    const int parallel = view->sdd_mm == 0.0;
    double dir[3] = {src[0], src[1], src[2]};
    carm_vec3_normalize(dir);
    float *out = proj->data + v * nu * nv;
#pragma omp parallel for schedule(dynamic, 4)
    for (int64_t j = 0; j < nv; j++) {
      double pv = proj->origin[1] + (double)j * proj->spacing[1];
      for (int64_t i = 0; i < nu; i++) {
        double pu = proj->origin[0] + (double)i * proj->spacing[0];
        double pix[3];
        for (int a = 0; a < 3; a++) {
          pix[a] = o[a] + pu * ud[a] + pv * vd[a];
        }
        double value;
        if (parallel) {
          value = carm_phantom_line_integral(ph, pix, dir, -HUGE_VAL, HUGE_VAL);
        } else {
          double d[3] = {pix[0] - src[0], pix[1] - src[1], pix[2] - src[2]};
          value = carm_phantom_line_integral(ph, src, d, 0.0, 1.0);
        }
        out[j * nu + i] = (float)value;
      }
    }
  }
  return CARM_OK;
}

carm_status carm_phantom_voxelize(const carm_phantom *ph, carm_volume *vol, int supersample) {
  if (ph == NULL || vol == NULL || vol->data == NULL) {
    return carm_error(CARM_ERR_INVALID, "voxelise: NULL argument");
  }
  if (supersample < 1 || supersample > 16) {
    return carm_error(CARM_ERR_RANGE, "voxelise: supersample %d (must be 1 to 16)", supersample);
  }
  carm_status st = carm_volume_check_grid(vol);
  if (st != CARM_OK) {
    return st;
  }
  const int64_t nx = vol->dims[0];
  const int64_t ny = vol->dims[1];
  const int64_t nz = vol->dims[2];
  const int ss = supersample;
  const double inv = 1.0 / ((double)ss * (double)ss * (double)ss);
  /* World step per unit of x index. */
  double ex[3];
  for (int a = 0; a < 3; a++) {
    ex[a] = vol->direction[a][0] * vol->spacing[0];
  }
  memset(vol->data, 0, (size_t)carm_volume_count(vol) * sizeof(float));
  /* For each sub-row (a line along x through sub-sample centres), each shape
   * covers an interval of x index; count the x sub-samples inside it. */
#pragma omp parallel for collapse(2) schedule(dynamic, 4)
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      float *row = vol->data + (k * ny + j) * nx;
      for (int sz = 0; sz < ss; sz++) {
        for (int sy = 0; sy < ss; sy++) {
          double ijk[3] = {0.0, (double)j - 0.5 + ((double)sy + 0.5) / ss,
                           (double)k - 0.5 + ((double)sz + 0.5) / ss};
          double p0[3];
          carm_volume_index_to_point(vol, ijk, p0);
          for (int64_t s = 0; s < ph->n_shapes; s++) {
            double t1;
            double t2;
            if (!shape_chord(&ph->shapes[s], p0, ex, &t1, &t2)) {
              continue;
            }
            /* Sub-sample m of voxel i sits at x = i - 0.5 + (m + 0.5)/ss,
             * i.e. global sub-index g = i*ss + m at x = (g + 0.5)/ss - 0.5. */
            double g1 = ceil((t1 + 0.5) * ss - 0.5);
            double g2 = floor((t2 + 0.5) * ss - 0.5);
            if (g1 < 0.0) {
              g1 = 0.0;
            }
            if (g2 > (double)(nx * ss - 1)) {
              g2 = (double)(nx * ss - 1);
            }
            if (!(g1 <= g2)) {
              continue; /* also when the chord is not finite */
            }
            const float w = (float)(ph->shapes[s].density * inv);
            for (int64_t gg = (int64_t)g1; gg <= (int64_t)g2; gg++) {
              row[gg / ss] += w;
            }
          }
        }
      }
    }
  }
  return CARM_OK;
}

/* ---- JSON -------------------------------------------------------------- */

static int json_vec3(const json_t *obj, const char *key, double out[3]) {
  const json_t *a = json_object_get(obj, key);
  if (!json_is_array(a) || json_array_size(a) != 3) {
    return -1;
  }
  for (size_t i = 0; i < 3; i++) {
    const json_t *x = json_array_get(a, i);
    if (!json_is_number(x)) {
      return -1;
    }
    out[i] = json_number_value(x);
  }
  return 0;
}

static int json_num(const json_t *obj, const char *key, double *out) {
  const json_t *x = json_object_get(obj, key);
  if (!json_is_number(x)) {
    return -1;
  }
  *out = json_number_value(x);
  return 0;
}

/* Whether every key of `obj` is in the NULL-terminated `allowed` list;
 * *bad receives the first other key. */
static int json_keys_ok(const json_t *obj, const char *const *allowed, const char **bad) {
  const char *key;
  const json_t *val;
  json_object_foreach((json_t *)obj, key, val) {
    (void)val;
    int ok = 0;
    for (const char *const *a = allowed; *a != NULL; a++) {
      if (strcmp(*a, key) == 0) {
        ok = 1;
        break;
      }
    }
    if (!ok) {
      *bad = key;
      return 0;
    }
  }
  return 1;
}

/* Prefix the current error detail with the file and shape index (copied
 * first: the detail buffer is both source and destination). */
static carm_status shape_error(carm_status st, const char *path, size_t idx) {
  char detail[512];
  snprintf(detail, sizeof detail, "%s", carm_last_error());
  return carm_error(st, "%s: shape %zu: %s", path, idx, detail);
}

static carm_status parse_shape(carm_phantom *ph, const json_t *s, size_t idx, const char *path) {
  if (!json_is_object(s)) {
    return carm_error(CARM_ERR_FORMAT, "%s: shape %zu is not an object", path, idx);
  }
  const char *type = json_string_value(json_object_get(s, "type"));
  if (type == NULL) {
    return carm_error(CARM_ERR_FORMAT, "%s: shape %zu has no \"type\" string", path, idx);
  }
  const char *bad = NULL;
  if (strcmp(type, "ellipsoid") == 0) {
    static const char *const keys[] = {
        "type", "centre_mm", "semi_axes_mm", "rotation_deg", "density", "name", NULL};
    double c[3];
    double ax[3];
    double rdeg[3] = {0.0, 0.0, 0.0};
    double dens;
    if (!json_keys_ok(s, keys, &bad)) {
      return carm_error(CARM_ERR_FORMAT, "%s: shape %zu (ellipsoid): unknown key \"%s\"", path, idx,
                        bad);
    }
    if (json_vec3(s, "centre_mm", c) != 0 || json_vec3(s, "semi_axes_mm", ax) != 0 ||
        json_num(s, "density", &dens) != 0) {
      return carm_error(CARM_ERR_FORMAT,
                        "%s: shape %zu (ellipsoid) needs centre_mm [3], semi_axes_mm [3] and "
                        "density",
                        path, idx);
    }
    if (json_object_get(s, "rotation_deg") != NULL && json_vec3(s, "rotation_deg", rdeg) != 0) {
      return carm_error(CARM_ERR_FORMAT, "%s: shape %zu: rotation_deg must be 3 numbers", path,
                        idx);
    }
    double rx[3][3];
    double ry[3][3];
    double rz[3][3];
    double t[3][3];
    double rot[3][3];
    carm_mat3_rot_x(rdeg[0] * M_PI / 180.0, rx);
    carm_mat3_rot_y(rdeg[1] * M_PI / 180.0, ry);
    carm_mat3_rot_z(rdeg[2] * M_PI / 180.0, rz);
    carm_mat3_mul(ry, rx, t);
    carm_mat3_mul(rz, t, rot);
    carm_status st = carm_phantom_add_ellipsoid(ph, c, ax, rot, dens);
    if (st != CARM_OK) {
      return shape_error(st, path, idx);
    }
    return CARM_OK;
  }
  if (strcmp(type, "cylinder") == 0) {
    static const char *const keys[] = {"type",      "centre_mm", "axis", "radius_mm",
                                       "length_mm", "density",   "name", NULL};
    double c[3];
    double ax[3];
    double r;
    double l;
    double dens;
    if (!json_keys_ok(s, keys, &bad)) {
      return carm_error(CARM_ERR_FORMAT, "%s: shape %zu (cylinder): unknown key \"%s\"", path, idx,
                        bad);
    }
    if (json_vec3(s, "centre_mm", c) != 0 || json_vec3(s, "axis", ax) != 0 ||
        json_num(s, "radius_mm", &r) != 0 || json_num(s, "length_mm", &l) != 0 ||
        json_num(s, "density", &dens) != 0) {
      return carm_error(CARM_ERR_FORMAT,
                        "%s: shape %zu (cylinder) needs centre_mm [3], axis [3], radius_mm, "
                        "length_mm and density",
                        path, idx);
    }
    carm_status st = carm_phantom_add_cylinder(ph, c, ax, r, l, dens);
    if (st != CARM_OK) {
      return shape_error(st, path, idx);
    }
    return CARM_OK;
  }
  if (strcmp(type, "shepp-logan") == 0) {
    static const char *const keys[] = {"type", "scale_mm", "name", NULL};
    double scale = 128.0;
    if (!json_keys_ok(s, keys, &bad)) {
      return carm_error(CARM_ERR_FORMAT, "%s: shape %zu (shepp-logan): unknown key \"%s\"", path,
                        idx, bad);
    }
    if (json_object_get(s, "scale_mm") != NULL && json_num(s, "scale_mm", &scale) != 0) {
      return carm_error(CARM_ERR_FORMAT, "%s: shape %zu: scale_mm must be a number", path, idx);
    }
    carm_status st = carm_phantom_add_shepp_logan(ph, scale);
    if (st != CARM_OK) {
      return shape_error(st, path, idx);
    }
    return CARM_OK;
  }
  return carm_error(CARM_ERR_FORMAT,
                    "%s: shape %zu has unknown type \"%s\" (ellipsoid, cylinder, shepp-logan)",
                    path, idx, type);
}

/* Build a scene from a parsed document (`name` for messages). */
static carm_status phantom_from_json(carm_phantom **out, const json_t *root, const char *name) {
  carm_phantom *ph = NULL;
  carm_status st = CARM_OK;
  const json_t *shapes = json_object_get(root, "shapes");
  if (!json_is_object(root) || !json_is_array(shapes)) {
    return carm_error(CARM_ERR_FORMAT, "%s: expected an object with a \"shapes\" array", name);
  }
  st = carm_phantom_create(&ph);
  if (st != CARM_OK) {
    return st;
  }
  for (size_t i = 0; i < json_array_size(shapes); i++) {
    st = parse_shape(ph, json_array_get(shapes, i), i, name);
    if (st != CARM_OK) {
      carm_phantom_destroy(ph);
      return st;
    }
  }
  if (ph->n_shapes == 0) {
    carm_phantom_destroy(ph);
    return carm_error(CARM_ERR_FORMAT, "%s: the scene has no shapes", name);
  }
  *out = ph;
  return CARM_OK;
}

carm_status carm_phantom_read_json(carm_phantom **out, const char *path) {
  if (out == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "carm_phantom_read_json: NULL argument");
  }
  json_error_t jerr;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    if (json_error_code(&jerr) == json_error_cannot_open_file) {
      return carm_error(CARM_ERR_IO, "%s: %s", path, jerr.text);
    }
    return carm_error(CARM_ERR_FORMAT, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
  }
  carm_status st = phantom_from_json(out, root, path);
  json_decref(root);
  return st;
}

carm_status carm_phantom_read_json_memory(carm_phantom **out, const void *data, size_t size) {
  if (out == NULL || (data == NULL && size > 0)) {
    return carm_error(CARM_ERR_INVALID, "carm_phantom_read_json_memory: NULL argument");
  }
  json_error_t jerr;
  json_t *root = json_loadb(size > 0 ? data : "", size, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    return carm_error(CARM_ERR_FORMAT, "scene:%d:%d: %s", jerr.line, jerr.column, jerr.text);
  }
  carm_status st = phantom_from_json(out, root, "scene");
  json_decref(root);
  return st;
}
