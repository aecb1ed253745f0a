/* Picture frame geometry and volume sampling for the renderers. */
#include "render/frame.h"

#include <math.h>
#include <string.h>

#define RENDER_MAX_SIDE 8192

static void set3(double d[3], double x, double y, double z) {
  d[0] = x;
  d[1] = y;
  d[2] = z;
}

carm_status render_frame_make(render_frame *f, const carm_volume *vol,
                              const carm_render_opts *opts) {
  memset(f, 0, sizeof *f);
  carm_status st = carm_volume_check_grid(vol);
  if (st != CARM_OK) {
    return st;
  }
  switch (opts->plane) {
  case CARM_PLANE_AXIAL: /* seen from the feet */
    set3(f->col_axis, 1, 0, 0);
    set3(f->row_axis, 0, 1, 0);
    set3(f->normal, 0, 0, 1);
    break;
  case CARM_PLANE_CORONAL: /* seen from the front */
    set3(f->col_axis, 1, 0, 0);
    set3(f->row_axis, 0, 0, -1);
    set3(f->normal, 0, 1, 0);
    break;
  case CARM_PLANE_SAGITTAL: /* seen from the patient's left */
    set3(f->col_axis, 0, 1, 0);
    set3(f->row_axis, 0, 0, -1);
    set3(f->normal, -1, 0, 0);
    break;
  default: return carm_error(CARM_ERR_INVALID, "unknown picture plane %d", (int)opts->plane);
  }
  double lo[3] = {INFINITY, INFINITY, INFINITY};
  double hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  const double *axes[3] = {f->col_axis, f->row_axis, f->normal};
  for (int corner = 0; corner < 8; corner++) {
    double ijk[3];
    for (int a = 0; a < 3; a++) {
      ijk[a] = ((corner >> a) & 1) ? (double)vol->dims[a] - 0.5 : -0.5;
    }
    double p[3];
    carm_volume_index_to_point(vol, ijk, p);
    for (int a = 0; a < 3; a++) {
      double d = carm_vec3_dot(p, axes[a]);
      lo[a] = d < lo[a] ? d : lo[a];
      hi[a] = d > hi[a] ? d : hi[a];
    }
  }
  double finest = fmin(vol->spacing[0], fmin(vol->spacing[1], vol->spacing[2]));
  f->pixel_mm = opts->pixel_mm > 0.0 ? opts->pixel_mm : finest;
  double w = (hi[0] - lo[0]) / f->pixel_mm;
  double h = (hi[1] - lo[1]) / f->pixel_mm;
  if (!(w >= 1.0 && h >= 1.0 && w <= RENDER_MAX_SIDE && h <= RENDER_MAX_SIDE)) {
    return carm_error(CARM_ERR_RANGE, "picture of %.0f x %.0f pixels (limit %d per side)", w, h,
                      RENDER_MAX_SIDE);
  }
  f->width = (int)ceil(w);
  f->height = (int)ceil(h);
  for (int a = 0; a < 3; a++) {
    /* base: centre of pixel (0,0) on the plane through depth 0 */
    f->base[a] =
        (lo[0] + 0.5 * f->pixel_mm) * f->col_axis[a] + (lo[1] + 0.5 * f->pixel_mm) * f->row_axis[a];
  }
  f->depth_min = lo[2];
  f->depth_max = hi[2];
  f->step_mm = 0.5 * finest;
  double inv[3][3];
  st = carm_mat3_inverse(vol->direction, inv);
  if (st != CARM_OK) {
    return st;
  }
  for (int r = 0; r < 3; r++) {
    for (int c = 0; c < 3; c++) {
      f->to_index[r][c] = inv[r][c] / vol->spacing[r];
    }
  }
  return CARM_OK;
}

void render_frame_index(const render_frame *f, const carm_volume *vol, const double p[3],
                        double ijk[3]) {
  double d[3] = {p[0] - vol->origin[0], p[1] - vol->origin[1], p[2] - vol->origin[2]};
  carm_mat3_apply(f->to_index, d, ijk);
}

float render_sample(const carm_volume *vol, const double ijk[3], int *inside) {
  const int64_t nx = vol->dims[0];
  const int64_t ny = vol->dims[1];
  const int64_t nz = vol->dims[2];
  if (!(ijk[0] >= -0.5 && ijk[1] >= -0.5 && ijk[2] >= -0.5 && ijk[0] <= (double)nx - 0.5 &&
        ijk[1] <= (double)ny - 0.5 && ijk[2] <= (double)nz - 0.5)) {
    *inside = 0;
    return 0.0f;
  }
  *inside = 1;
  double x = fmin(fmax(ijk[0], 0.0), (double)(nx - 1));
  double y = fmin(fmax(ijk[1], 0.0), (double)(ny - 1));
  double z = fmin(fmax(ijk[2], 0.0), (double)(nz - 1));
  int64_t i0 = (int64_t)x;
  int64_t j0 = (int64_t)y;
  int64_t k0 = (int64_t)z;
  int64_t i1 = i0 + 1 < nx ? i0 + 1 : i0;
  int64_t j1 = j0 + 1 < ny ? j0 + 1 : j0;
  int64_t k1 = k0 + 1 < nz ? k0 + 1 : k0;
  float fx = (float)(x - (double)i0);
  float fy = (float)(y - (double)j0);
  float fz = (float)(z - (double)k0);
  const float *d = vol->data;
  int64_t sy = nx;
  int64_t sz = nx * ny;
  float c00 = d[k0 * sz + j0 * sy + i0] * (1 - fx) + d[k0 * sz + j0 * sy + i1] * fx;
  float c10 = d[k0 * sz + j1 * sy + i0] * (1 - fx) + d[k0 * sz + j1 * sy + i1] * fx;
  float c01 = d[k1 * sz + j0 * sy + i0] * (1 - fx) + d[k1 * sz + j0 * sy + i1] * fx;
  float c11 = d[k1 * sz + j1 * sy + i0] * (1 - fx) + d[k1 * sz + j1 * sy + i1] * fx;
  float c0 = c00 * (1 - fy) + c10 * fy;
  float c1 = c01 * (1 - fy) + c11 * fy;
  return c0 * (1 - fz) + c1 * fz;
}

float render_sample_nearest(const carm_volume *vol, const double p[3]) {
  double ijk[3];
  carm_volume_point_to_index(vol, p, ijk);
  int64_t idx[3];
  for (int a = 0; a < 3; a++) {
    double r = floor(ijk[a] + 0.5);
    if (!(r >= 0.0 && r < (double)vol->dims[a])) {
      return 0.0f;
    }
    idx[a] = (int64_t)r;
  }
  return carm_volume_at(vol, idx[0], idx[1], idx[2]);
}
