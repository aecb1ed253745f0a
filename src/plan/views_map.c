/* The optimal-view map: a LAO × CRA heat map of working-view scores. */
#include "carm/guide.h"

#include <math.h>
#include <string.h>

/* blue (good, 0) -> yellow -> red (poor, 1) */
static void ramp(double t, uint8_t rgb[3]) {
  t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
  double r, g, b;
  if (t < 0.5) {
    double u = t / 0.5;
    r = u;
    g = u;
    b = 1.0 - u;
  } else {
    double u = (t - 0.5) / 0.5;
    r = 1.0;
    g = 1.0 - u;
    b = 0.0;
  }
  rgb[0] = (uint8_t)lround(255.0 * r);
  rgb[1] = (uint8_t)lround(255.0 * g);
  rgb[2] = (uint8_t)lround(255.0 * b);
}

carm_status carm_views_map_picture(carm_picture **out, const carm_view_score *cells, int rows,
                                   int cols, int cell_px) {
  if (out == NULL || cells == NULL || rows < 1 || cols < 1 || cell_px < 1 || cell_px > 64) {
    return carm_error(CARM_ERR_INVALID, "views map: bad arguments (cell_px 1..64)");
  }
  const int pad = 8;
  int w = cols * cell_px + 2 * pad, h = rows * cell_px + 2 * pad;
  carm_picture *pic = NULL;
  carm_status st = carm_picture_create(&pic, w, h);
  if (st != CARM_OK) {
    return st;
  }
  memset(pic->rgb, 40, (size_t)w * (size_t)h * 3);
  double lo = INFINITY, hi = -INFINITY;
  int best = 0;
  for (int i = 0; i < rows * cols; i++) {
    lo = fmin(lo, cells[i].score);
    hi = fmax(hi, cells[i].score);
    if (cells[i].score < cells[best].score) {
      best = i;
    }
  }
  double span = hi > lo ? hi - lo : 1.0;
  for (int r = 0; r < rows; r++) {
    for (int c = 0; c < cols; c++) {
      const carm_view_score *s = &cells[r * cols + c];
      uint8_t rgb[3];
      ramp((s->score - lo) / span, rgb);
      /* CRA up: row 0 (lowest CRA) at the bottom */
      int y0 = pad + (rows - 1 - r) * cell_px, x0 = pad + c * cell_px;
      for (int y = 0; y < cell_px; y++) {
        for (int x = 0; x < cell_px; x++) {
          uint8_t *p = pic->rgb + 3 * ((size_t)(y0 + y) * (size_t)w + (size_t)(x0 + x));
          int tick = (fmod(fabs(s->lao_deg), 30.0) < 1e-6 && x == 0) ||
                     (fmod(fabs(s->cra_deg), 30.0) < 1e-6 && y == cell_px - 1);
          if (tick && cell_px >= 3) {
            p[0] = p[1] = p[2] = 90;
          } else {
            memcpy(p, rgb, 3);
          }
          int edge = x == 0 || y == 0 || x == cell_px - 1 || y == cell_px - 1;
          if (r * cols + c == best && (edge || cell_px < 3)) {
            p[0] = p[1] = p[2] = 255;
          }
        }
      }
    }
  }
  *out = pic;
  return CARM_OK;
}
