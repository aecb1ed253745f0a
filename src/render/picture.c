/* Pictures: annotation (orientation letters, scale bar, window values),
 * polylines, PNG read and write — all through cairo. */
#include "carm/render.h"
#include "render/frame.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

carm_status render_annotate(carm_picture *pic, const render_frame *f, const carm_render_opts *opts);

/* Copy RGB into a new cairo surface (RGB24). */
static cairo_surface_t *to_surface(const carm_picture *pic) {
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pic->width, pic->height);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return NULL;
  }
  cairo_surface_flush(s);
  unsigned char *data = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  for (int r = 0; r < pic->height; r++) {
    uint32_t *row = (uint32_t *)(void *)(data + (size_t)r * (size_t)stride);
    const uint8_t *src = pic->rgb + (size_t)r * (size_t)pic->width * 3u;
    for (int c = 0; c < pic->width; c++) {
      row[c] = (uint32_t)src[3 * c] << 16 | (uint32_t)src[3 * c + 1] << 8 | src[3 * c + 2];
    }
  }
  cairo_surface_mark_dirty(s);
  return s;
}

static void from_surface(carm_picture *pic, cairo_surface_t *s) {
  cairo_surface_flush(s);
  const unsigned char *data = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  for (int r = 0; r < pic->height; r++) {
    const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)r * (size_t)stride);
    uint8_t *dst = pic->rgb + (size_t)r * (size_t)pic->width * 3u;
    for (int c = 0; c < pic->width; c++) {
      dst[3 * c] = (uint8_t)(row[c] >> 16);
      dst[3 * c + 1] = (uint8_t)(row[c] >> 8);
      dst[3 * c + 2] = (uint8_t)row[c];
    }
  }
}

/* The patient-direction letter of a unit axis (LPS: +x L, +y P, +z S). */
static char letter(const double axis[3], int sign) {
  int best = 0;
  for (int a = 1; a < 3; a++) {
    if (fabs(axis[a]) > fabs(axis[best])) {
      best = a;
    }
  }
  int positive = (axis[best] * sign) > 0.0;
  static const char pos[3] = {'L', 'P', 'S'};
  static const char neg[3] = {'R', 'A', 'I'};
  return positive ? pos[best] : neg[best];
}

static void text(cairo_t *cr, double x, double y, const char *s, double size) {
  cairo_set_font_size(cr, size);
  cairo_move_to(cr, x + 1, y + 1);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_show_text(cr, s);
  cairo_move_to(cr, x, y);
  cairo_set_source_rgb(cr, 1.0, 0.85, 0.2);
  cairo_show_text(cr, s);
}

carm_status render_annotate(carm_picture *pic, const render_frame *f,
                            const carm_render_opts *opts) {
  cairo_surface_t *s = to_surface(pic);
  if (s == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot create a drawing surface");
  }
  cairo_t *cr = cairo_create(s);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  double size = fmax(10.0, fmin(pic->width, pic->height) / 22.0);
  char buf[96];
  double w = pic->width;
  double h = pic->height;
  buf[1] = '\0';
  buf[0] = letter(f->col_axis, -1);
  text(cr, 4, h / 2, buf, size);
  buf[0] = letter(f->col_axis, 1);
  text(cr, w - size, h / 2, buf, size);
  buf[0] = letter(f->row_axis, -1);
  text(cr, w / 2, size + 2, buf, size);
  buf[0] = letter(f->row_axis, 1);
  text(cr, w / 2, h - 4, buf, size);
  /* window values and mode */
  static const char *const modes[3] = {"MPR", "MIP", "VR"};
  int m = (int)opts->mode;
  if (opts->mode == CARM_RENDER_MIP && opts->slab_mm > 0.0) {
    snprintf(buf, sizeof buf, "MIP slab %.0f mm  W %.4g L %.4g", opts->slab_mm, opts->window,
             opts->level);
  } else {
    snprintf(buf, sizeof buf, "%s  W %.4g L %.4g", m >= 0 && m < 3 ? modes[m] : "?", opts->window,
             opts->level);
  }
  text(cr, 4, size * 0.8 + 2, buf, size * 0.7);
  /* scale bar: a round length near a fifth of the width */
  double target = 0.2 * w * f->pixel_mm;
  static const double choices[] = {1, 2, 5, 10, 20, 50, 100, 200, 500};
  double len = choices[0];
  for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
    if (choices[i] <= target) {
      len = choices[i];
    }
  }
  double px = len / f->pixel_mm;
  double x1 = w - 8;
  double y1 = h - 10;
  cairo_set_line_width(cr, fmax(2.0, size / 6));
  cairo_set_source_rgb(cr, 1.0, 0.85, 0.2);
  cairo_move_to(cr, x1 - px, y1);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
  snprintf(buf, sizeof buf, "%.0f mm", len);
  text(cr, x1 - px, y1 - 6, buf, size * 0.7);
  cairo_destroy(cr);
  cairo_surface_flush(s);
  from_surface(pic, s);
  cairo_surface_destroy(s);
  return CARM_OK;
}

carm_status carm_picture_draw_polyline_px(carm_picture *pic, const double (*px)[2], int64_t n,
                                          const uint8_t rgb[3], double width_px) {
  if (pic == NULL || (px == NULL && n > 0) || n < 0) {
    return carm_error(CARM_ERR_INVALID, "draw polyline: missing argument");
  }
  if (n == 0) {
    return CARM_OK;
  }
  cairo_surface_t *s = to_surface(pic);
  if (s == NULL) {
    return carm_error(CARM_ERR_NOMEM, "cannot create a drawing surface");
  }
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
  cairo_set_line_width(cr, width_px);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  int pen_down = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(px[i][0]) || !isfinite(px[i][1]) || fabs(px[i][0]) > 1e6 ||
        fabs(px[i][1]) > 1e6) {
      /* stroke each piece on its own: one path of many overlapping pieces
       * makes cairo's stroker quadratic */
      if (pen_down) {
        cairo_stroke(cr);
      }
      pen_down = 0;
      continue;
    }
    /* pixel centres are at integer coordinates; cairo's at +0.5 */
    if (!pen_down) {
      cairo_move_to(cr, px[i][0] + 0.5, px[i][1] + 0.5);
      cairo_rel_line_to(cr, 0, 0);
      pen_down = 1;
    } else {
      cairo_line_to(cr, px[i][0] + 0.5, px[i][1] + 0.5);
    }
  }
  cairo_stroke(cr);
  cairo_destroy(cr);
  from_surface(pic, s);
  cairo_surface_destroy(s);
  return CARM_OK;
}

carm_status carm_picture_draw_polyline(carm_picture *pic, const carm_volume *vol,
                                       const carm_render_opts *opts, const double (*points)[3],
                                       int64_t n, const uint8_t rgb[3], double width_px) {
  if (pic == NULL || vol == NULL || opts == NULL || (points == NULL && n > 0) || n < 0) {
    return carm_error(CARM_ERR_INVALID, "draw polyline: missing argument");
  }
  double(*px)[2] = malloc((size_t)(n > 0 ? n : 1) * sizeof *px);
  if (px == NULL) {
    return carm_error(CARM_ERR_NOMEM, "draw polyline: out of memory");
  }
  for (int64_t i = 0; i < n; i++) {
    carm_render_point_to_pixel(vol, opts, points[i], &px[i][0], &px[i][1]);
  }
  carm_status st = carm_picture_draw_polyline_px(pic, (const double(*)[2])px, n, rgb, width_px);
  free(px);
  return st;
}

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int length) {
  return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                    : CAIRO_STATUS_WRITE_ERROR;
}

carm_status carm_picture_write_png(const carm_picture *pic, const char *path) {
  if (pic == NULL || path == NULL) {
    return carm_error(CARM_ERR_INVALID, "write png: missing argument");
  }
  carm_output *o = NULL;
  carm_status st = carm_output_open(&o, path);
  if (st != CARM_OK) {
    return st;
  }
  cairo_surface_t *s = to_surface(pic);
  if (s == NULL) {
    carm_output_discard(o);
    return carm_error(CARM_ERR_NOMEM, "cannot create a picture surface");
  }
  cairo_status_t cs = cairo_surface_write_to_png_stream(s, png_write, carm_output_file(o));
  cairo_surface_destroy(s);
  if (cs != CAIRO_STATUS_SUCCESS) {
    carm_output_discard(o);
    return carm_error(CARM_ERR_IO, "cannot write %s: %s", path, cairo_status_to_string(cs));
  }
  return carm_output_commit(o);
}

carm_status carm_picture_read_png(carm_picture **out, const char *path) {
  cairo_surface_t *s = cairo_image_surface_create_from_png(path);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return carm_error(CARM_ERR_FORMAT, "cannot read PNG %s", path);
  }
  carm_picture *p = NULL;
  carm_status st =
      carm_picture_create(&p, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s));
  if (st == CARM_OK) {
    from_surface(p, s);
    *out = p;
  }
  cairo_surface_destroy(s);
  return st;
}
