/* MPR, MIP (full or thin slab) and volume rendering of a volume into an RGB
 * picture, with a label overlay. Annotation and PNG are in picture.c. */
#include "carm/render.h"
#include "render/frame.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

carm_status render_annotate(carm_picture *pic, const render_frame *f, const carm_render_opts *opts);

carm_status carm_picture_create(carm_picture **out, int width, int height) {
  if (width < 1 || height < 1 || width > 16384 || height > 16384) {
    return carm_error(CARM_ERR_RANGE, "picture size %d x %d out of range", width, height);
  }
  carm_picture *p = calloc(1, sizeof *p);
  if (p == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a picture");
  }
  p->rgb = calloc((size_t)width * (size_t)height * 3u, 1);
  if (p->rgb == NULL) {
    free(p);
    return carm_error(CARM_ERR_NOMEM, "cannot allocate a %d x %d picture", width, height);
  }
  p->width = width;
  p->height = height;
  p->pixel_mm = 1.0;
  *out = p;
  return CARM_OK;
}

void carm_picture_destroy(carm_picture *pic) {
  if (pic == NULL) {
    return;
  }
  free(pic->rgb);
  free(pic);
}

/* Distinct colours for label ids (cycled). */
static void label_colour(int id, double rgb[3]) {
  static const double table[10][3] = {{0.90, 0.20, 0.20}, {0.20, 0.70, 0.95}, {0.95, 0.80, 0.20},
                                      {0.30, 0.85, 0.35}, {0.80, 0.40, 0.90}, {1.00, 0.55, 0.10},
                                      {0.10, 0.85, 0.80}, {0.95, 0.45, 0.70}, {0.60, 0.60, 1.00},
                                      {0.75, 0.95, 0.40}};
  int k = (id - 1) % 10;
  if (k < 0) {
    k += 10;
  }
  memcpy(rgb, table[k], sizeof table[k]);
}

static uint8_t to_u8(double v) {
  v = v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
  return (uint8_t)lround(v * 255.0);
}

static double grey(double v, const carm_render_opts *o) {
  double w = o->window > 0.0 ? o->window : 1.0;
  return (v - (o->level - 0.5 * w)) / w;
}

/* Transfer function: colour and opacity (per mm) of a value. */
static void transfer(double v, double lo, double hi, carm_tf_preset preset, double rgb[3],
                     double *alpha) {
  double t = (v - lo) / (hi - lo);
  if (t <= 0.0) {
    *alpha = 0.0;
    return;
  }
  t = t > 1.0 ? 1.0 : t;
  *alpha = t;
  switch (preset) {
  case CARM_TF_BONE:
    rgb[0] = 0.85 + 0.15 * t;
    rgb[1] = 0.80 + 0.15 * t;
    rgb[2] = 0.65 + 0.25 * t;
    break;
  case CARM_TF_SOFT:
    rgb[0] = 0.85;
    rgb[1] = 0.55 + 0.3 * t;
    rgb[2] = 0.50 + 0.3 * t;
    break;
  case CARM_TF_VESSELS:
  default:
    rgb[0] = 0.85 + 0.15 * t;
    rgb[1] = 0.15 + 0.75 * t;
    rgb[2] = 0.10 + 0.70 * t;
    break;
  }
}

typedef struct render_ctx {
  const carm_volume *vol;
  const carm_render_opts *o;
  render_frame f;
  double t0; /* depth range sampled */
  double t1;
} render_ctx;

static void point_at(const render_frame *f, int c, int r, double t, double p[3]) {
  for (int a = 0; a < 3; a++) {
    p[a] = f->base[a] + (double)c * f->pixel_mm * f->col_axis[a] +
           (double)r * f->pixel_mm * f->row_axis[a] + t * f->normal[a];
  }
}

/* One picture pixel: grey value (or colour for VR) and label id. */
static void shade_pixel(const render_ctx *x, int c, int r, double rgb[3], int *label) {
  const render_frame *f = &x->f;
  const carm_render_opts *o = x->o;
  double p0[3];
  double p1[3];
  point_at(f, c, r, x->t0, p0);
  point_at(f, c, r, x->t0 + f->step_mm, p1);
  double i0[3];
  double i1[3];
  render_frame_index(f, x->vol, p0, i0);
  render_frame_index(f, x->vol, p1, i1);
  double di[3] = {i1[0] - i0[0], i1[1] - i0[1], i1[2] - i0[2]};
  int n = (int)floor((x->t1 - x->t0) / f->step_mm) + 1;
  *label = 0;
  if (o->mode == CARM_RENDER_MPR || n < 1) {
    int in = 0;
    double v = render_sample(x->vol, i0, &in);
    double g = in ? grey(v, o) : 0.0;
    rgb[0] = rgb[1] = rgb[2] = g;
    if (o->labels != NULL && in) {
      *label = (int)lround(render_sample_nearest(o->labels, p0));
    }
    return;
  }
  if (o->mode == CARM_RENDER_MIP) {
    double best = -INFINITY;
    int any = 0;
    double best_t = x->t0;
    for (int s = 0; s < n; s++) {
      double ijk[3] = {i0[0] + s * di[0], i0[1] + s * di[1], i0[2] + s * di[2]};
      int in = 0;
      double v = render_sample(x->vol, ijk, &in);
      if (in && v > best) {
        best = v;
        best_t = x->t0 + s * f->step_mm;
        any = 1;
      }
    }
    double g = any ? grey(best, o) : 0.0;
    rgb[0] = rgb[1] = rgb[2] = g;
    if (o->labels != NULL && any) {
      /* the label seen through the slab: the largest id along the ray (tumours
       * and lesions have the largest ids), else the label at the maximum */
      int lab = 0;
      for (int s = 0; s < n; s += 2) {
        double p[3];
        point_at(f, c, r, x->t0 + s * f->step_mm, p);
        int l = (int)lround(render_sample_nearest(o->labels, p));
        lab = l > lab ? l : lab;
      }
      if (lab == 0) {
        double p[3];
        point_at(f, c, r, best_t, p);
        lab = (int)lround(render_sample_nearest(o->labels, p));
      }
      *label = lab;
    }
    return;
  }
  /* volume rendering: front-to-back compositing with gradient shading */
  double lo = isfinite(o->tf_low) ? o->tf_low : o->level;
  double hi = isfinite(o->tf_high) ? o->tf_high : o->level + 0.5 * o->window;
  if (!(hi > lo)) {
    hi = lo + 1e-6;
  }
  double acc[3] = {0.0, 0.0, 0.0};
  double trans = 1.0;
  double step_rel = f->step_mm; /* opacity per mm scaled by the step */
  for (int s = 0; s < n && trans > 0.02; s++) {
    double ijk[3] = {i0[0] + s * di[0], i0[1] + s * di[1], i0[2] + s * di[2]};
    int in = 0;
    double v = render_sample(x->vol, ijk, &in);
    if (!in) {
      continue;
    }
    double col[3];
    double a = 0.0;
    transfer(v, lo, hi, o->preset, col, &a);
    if (a <= 0.0) {
      continue;
    }
    a = 1.0 - pow(1.0 - 0.5 * a, step_rel);
    /* gradient in index space approximates the surface normal */
    double g[3];
    for (int d = 0; d < 3; d++) {
      double ip[3] = {ijk[0], ijk[1], ijk[2]};
      double im[3] = {ijk[0], ijk[1], ijk[2]};
      ip[d] += 1.0;
      im[d] -= 1.0;
      int i1n = 0;
      int i2n = 0;
      g[d] =
          (render_sample(x->vol, ip, &i1n) - render_sample(x->vol, im, &i2n)) / x->vol->spacing[d];
    }
    double gn = carm_vec3_norm(g);
    double diffuse = 1.0;
    if (gn > 1e-12) {
      /* normal in patient space: direction · g (index gradient is along the
       * volume axes); light comes from the viewer */
      double gp[3];
      carm_mat3_apply(x->vol->direction, g, gp);
      diffuse = fabs(carm_vec3_dot(gp, f->normal)) / gn;
    }
    double shade = 0.25 + 0.75 * diffuse;
    for (int k = 0; k < 3; k++) {
      acc[k] += trans * a * col[k] * shade;
    }
    trans *= 1.0 - a;
  }
  for (int k = 0; k < 3; k++) {
    rgb[k] = acc[k] + trans * 0.0;
  }
}

carm_status carm_render(carm_picture **out, const carm_volume *vol, const carm_render_opts *opts) {
  if (out == NULL || vol == NULL || opts == NULL || opts->version != 1) {
    return carm_error(CARM_ERR_INVALID, "render: missing volume or options");
  }
  if (!(opts->window > 0.0) || !isfinite(opts->level)) {
    return carm_error(CARM_ERR_RANGE, "window must be > 0 and level finite");
  }
  render_ctx x;
  x.vol = vol;
  x.o = opts;
  carm_status st = render_frame_make(&x.f, vol, opts);
  if (st != CARM_OK) {
    return st;
  }
  double centre = 0.5 * (x.f.depth_min + x.f.depth_max);
  double pos = isfinite(opts->position_mm) ? opts->position_mm : centre;
  if (opts->plane == CARM_PLANE_SAGITTAL && isfinite(opts->position_mm)) {
    pos = -opts->position_mm; /* normal is -x: depth = -x */
  }
  if (opts->mode == CARM_RENDER_MPR) {
    x.t0 = pos;
    x.t1 = pos;
  } else if (opts->slab_mm > 0.0 && opts->mode == CARM_RENDER_MIP) {
    x.t0 = pos - 0.5 * opts->slab_mm;
    x.t1 = pos + 0.5 * opts->slab_mm;
  } else {
    x.t0 = x.f.depth_min;
    x.t1 = x.f.depth_max;
  }
  carm_picture *pic = NULL;
  st = carm_picture_create(&pic, x.f.width, x.f.height);
  if (st != CARM_OK) {
    return st;
  }
  pic->pixel_mm = x.f.pixel_mm;
#pragma omp parallel for schedule(dynamic, 4)
  for (int r = 0; r < x.f.height; r++) {
    for (int c = 0; c < x.f.width; c++) {
      double rgb[3];
      int label = 0;
      shade_pixel(&x, c, r, rgb, &label);
      if (label > 0) {
        double lc[3];
        label_colour(label, lc);
        double a = opts->label_opacity;
        for (int k = 0; k < 3; k++) {
          rgb[k] = (1.0 - a) * rgb[k] + a * lc[k];
        }
      }
      uint8_t *px = pic->rgb + 3 * ((size_t)r * (size_t)x.f.width + (size_t)c);
      px[0] = to_u8(rgb[0]);
      px[1] = to_u8(rgb[1]);
      px[2] = to_u8(rgb[2]);
    }
  }
  if (opts->annotate) {
    st = render_annotate(pic, &x.f, opts);
    if (st != CARM_OK) {
      carm_picture_destroy(pic);
      return st;
    }
  }
  *out = pic;
  return CARM_OK;
}

void carm_render_point_to_pixel(const carm_volume *vol, const carm_render_opts *opts,
                                const double xyz[3], double *col, double *row) {
  render_frame f;
  if (render_frame_make(&f, vol, opts) != CARM_OK) {
    *col = NAN;
    *row = NAN;
    return;
  }
  double d[3] = {xyz[0] - f.base[0], xyz[1] - f.base[1], xyz[2] - f.base[2]};
  *col = carm_vec3_dot(d, f.col_axis) / f.pixel_mm;
  *row = carm_vec3_dot(d, f.row_axis) / f.pixel_mm;
}
