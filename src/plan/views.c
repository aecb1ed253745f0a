/* C-arm angles and working views: foreshortening and overlap of a target
 * vessel path over a LAO/RAO × CRA/CAU grid (CLINICAL.md, "Anatomy and
 * C-arm conventions"). */
#include "carm/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double rad(double deg) { return deg * M_PI / 180.0; }

void carm_carm_view_direction(double lao_deg, double cra_deg, double d[3]) {
  double a = rad(lao_deg);
  double b = rad(cra_deg);
  d[0] = sin(a) * cos(b);
  d[1] = -cos(a) * cos(b);
  d[2] = sin(b);
}

carm_status carm_view_set_carm(carm_view *view, double lao_deg, double cra_deg, double sid_mm,
                               double sdd_mm) {
  if (!(fabs(lao_deg) <= 360.0) || !(fabs(cra_deg) <= 90.0)) {
    return carm_error(CARM_ERR_RANGE, "C-arm angles: LAO within ±360°, CRA within ±90°");
  }
  return carm_view_set(view, sid_mm, sdd_mm, -lao_deg, 0.0, 0.0, -cra_deg, 0.0, 0.0, 0.0);
}

double carm_foreshortening(const double v[3], const double d[3]) {
  double c = carm_vec3_dot(v, d);
  double s2 = 1.0 - c * c;
  return 1.0 - sqrt(s2 > 0.0 ? s2 : 0.0);
}

/* A raster in the detector plane of one view (parallel projection). */
typedef struct raster {
  double u[3];
  double v[3];
  double u0;
  double v0;
  double px;
  int w;
  int h;
  unsigned char *cells;
} raster;

static void project(const raster *r, const double p[3], double *x, double *y) {
  *x = (carm_vec3_dot(p, r->u) - r->u0) / r->px;
  *y = (carm_vec3_dot(p, r->v) - r->v0) / r->px;
}

/* Paint a capsule (segment with radii) with bit `bit`. */
static void paint(raster *r, const double a[3], const double b[3], double ra, double rb,
                  unsigned char bit) {
  double ax;
  double ay;
  double bx;
  double by;
  project(r, a, &ax, &ay);
  project(r, b, &bx, &by);
  double rmax = fmax(ra, rb) / r->px + 0.5;
  int x0 = (int)floor(fmin(ax, bx) - rmax);
  int x1 = (int)ceil(fmax(ax, bx) + rmax);
  int y0 = (int)floor(fmin(ay, by) - rmax);
  int y1 = (int)ceil(fmax(ay, by) + rmax);
  x0 = x0 < 0 ? 0 : x0;
  y0 = y0 < 0 ? 0 : y0;
  x1 = x1 >= r->w ? r->w - 1 : x1;
  y1 = y1 >= r->h ? r->h - 1 : y1;
  double dx = bx - ax;
  double dy = by - ay;
  double len2 = dx * dx + dy * dy;
  for (int y = y0; y <= y1; y++) {
    for (int x = x0; x <= x1; x++) {
      double t = len2 > 0.0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0.0;
      t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
      double cx = ax + t * dx - x;
      double cy = ay + t * dy - y;
      double rr = ((1.0 - t) * ra + t * rb) / r->px;
      rr = rr < 0.5 ? 0.5 : rr;
      if (cx * cx + cy * cy <= rr * rr) {
        r->cells[(size_t)y * (size_t)r->w + (size_t)x] |= bit;
      }
    }
  }
}

static double radius_at(const carm_polyline *l, int64_t i) {
  return l->radius_mm != NULL ? l->radius_mm[i] : 0.5;
}

static void paint_line(raster *r, const carm_polyline *l, unsigned char bit) {
  for (int64_t i = 0; i + 1 < l->n; i++) {
    paint(r, l->points[i], l->points[i + 1], radius_at(l, i), radius_at(l, i + 1), bit);
  }
  if (l->n == 1) {
    paint(r, l->points[0], l->points[0], radius_at(l, 0), radius_at(l, 0), bit);
  }
}

static void extent(const raster *r, const carm_polyline *l, double lo[2], double hi[2]) {
  for (int64_t i = 0; i < l->n; i++) {
    double pu = carm_vec3_dot(l->points[i], r->u);
    double pv = carm_vec3_dot(l->points[i], r->v);
    double rr = radius_at(l, i);
    lo[0] = fmin(lo[0], pu - rr);
    lo[1] = fmin(lo[1], pv - rr);
    hi[0] = fmax(hi[0], pu + rr);
    hi[1] = fmax(hi[1], pv + rr);
  }
}

static carm_status score_view(const carm_polyline *target, const carm_polyline *others,
                              int64_t n_others, double px, const double d[3],
                              carm_view_score *out) {
  /* foreshortening, weighted by segment length */
  double fs = 0.0;
  double total = 0.0;
  for (int64_t i = 0; i + 1 < target->n; i++) {
    double v[3] = {target->points[i + 1][0] - target->points[i][0],
                   target->points[i + 1][1] - target->points[i][1],
                   target->points[i + 1][2] - target->points[i][2]};
    double len = carm_vec3_normalize(v);
    if (len > 0.0) {
      fs += len * carm_foreshortening(v, d);
      total += len;
    }
  }
  out->foreshortening = total > 0.0 ? fs / total : 0.0;
  /* overlap on a raster around the target */
  raster r;
  memset(&r, 0, sizeof r);
  double helper[3] = {0.0, 0.0, 1.0};
  if (fabs(d[2]) > 0.9) {
    helper[0] = 1.0;
    helper[2] = 0.0;
  }
  carm_vec3_cross(helper, d, r.u);
  carm_vec3_normalize(r.u);
  carm_vec3_cross(d, r.u, r.v);
  double lo[2] = {INFINITY, INFINITY};
  double hi[2] = {-INFINITY, -INFINITY};
  extent(&r, target, lo, hi);
  r.px = px;
  /* an odd sub-pixel offset keeps pixel centres off exact radii, so that
   * identical projections rasterise identically */
  r.u0 = lo[0] - 2.137 * px;
  r.v0 = lo[1] - 2.137 * px;
  r.w = (int)ceil((hi[0] - lo[0]) / px) + 5;
  r.h = (int)ceil((hi[1] - lo[1]) / px) + 5;
  if (r.w > 8192 || r.h > 8192) {
    return carm_error(CARM_ERR_RANGE, "working views: target spans more than 8192 pixels");
  }
  r.cells = calloc((size_t)r.w * (size_t)r.h, 1);
  if (r.cells == NULL) {
    return carm_error(CARM_ERR_NOMEM, "working views: out of memory");
  }
  paint_line(&r, target, 1);
  for (int64_t k = 0; k < n_others; k++) {
    paint_line(&r, &others[k], 2);
  }
  int64_t t = 0;
  int64_t both = 0;
  for (size_t i = 0; i < (size_t)r.w * (size_t)r.h; i++) {
    t += (r.cells[i] & 1) != 0;
    both += r.cells[i] == 3;
  }
  free(r.cells);
  out->overlap = t > 0 ? (double)both / (double)t : 0.0;
  out->score = out->foreshortening + out->overlap;
  return CARM_OK;
}

carm_status carm_working_views(const carm_polyline *target, const carm_polyline *others,
                               int64_t n_others, const carm_views_opts *opts, carm_view_score **out,
                               int *rows, int *cols) {
  if (target == NULL || target->n < 2 || opts == NULL || opts->version != 1 || out == NULL ||
      (n_others > 0 && others == NULL) || n_others < 0) {
    return carm_error(CARM_ERR_INVALID, "working views: a target path of >= 2 points is needed");
  }
  if (!(opts->step_deg >= 0.5) || !(opts->pixel_mm > 0.01) ||
      !(opts->lao_max_deg >= opts->lao_min_deg) || !(opts->cra_max_deg >= opts->cra_min_deg) ||
      fabs(opts->lao_min_deg) > 180.0 || fabs(opts->lao_max_deg) > 180.0 ||
      fabs(opts->cra_min_deg) > 90.0 || fabs(opts->cra_max_deg) > 90.0) {
    return carm_error(CARM_ERR_RANGE, "working views: bad angle limits, step or pixel size");
  }
  int nc = (int)floor((opts->lao_max_deg - opts->lao_min_deg) / opts->step_deg + 1e-9) + 1;
  int nr = (int)floor((opts->cra_max_deg - opts->cra_min_deg) / opts->step_deg + 1e-9) + 1;
  carm_view_score *grid = calloc((size_t)nc * (size_t)nr, sizeof *grid);
  if (grid == NULL) {
    return carm_error(CARM_ERR_NOMEM, "working views: out of memory");
  }
  carm_status st = CARM_OK;
#pragma omp parallel for schedule(dynamic) collapse(2)
  for (int r = 0; r < nr; r++) {
    for (int c = 0; c < nc; c++) {
      carm_view_score *s = &grid[r * nc + c];
      s->lao_deg = opts->lao_min_deg + c * opts->step_deg;
      s->cra_deg = opts->cra_min_deg + r * opts->step_deg;
      double d[3];
      carm_carm_view_direction(s->lao_deg, s->cra_deg, d);
      carm_status e = score_view(target, others, n_others, opts->pixel_mm, d, s);
      if (e != CARM_OK) {
#pragma omp critical
        st = e;
      }
    }
  }
  if (st != CARM_OK) {
    free(grid);
    return carm_error(st, "working views: a view could not be scored (target too large?)");
  }
  *out = grid;
  *rows = nr;
  *cols = nc;
  return CARM_OK;
}
