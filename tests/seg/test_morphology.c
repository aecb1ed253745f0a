/* Morphology: binary (distance-transform) against grey (ball runs) and
 * against the definition; opening idempotent, erosion of a ball of radius R
 * by r gives radius R - r, extensivity, errors. */
#include "check.h"
#include "seg_util.h"

/* Erosion/dilation by definition: offsets with |spacing * d| <= r. */
static void brute_morph(carm_volume *out, const carm_volume *in, int erode, double r) {
  const int64_t nx = in->dims[0], ny = in->dims[1], nz = in->dims[2];
  const double *s = in->spacing;
  int ri = (int)(r / s[0]) + 1, rj = (int)(r / s[1]) + 1, rk = (int)(r / s[2]) + 1;
  for (int64_t k = 0; k < nz; k++) {
    for (int64_t j = 0; j < ny; j++) {
      for (int64_t i = 0; i < nx; i++) {
        float acc = erode ? INFINITY : -INFINITY;
        for (int dk = -rk; dk <= rk; dk++) {
          for (int dj = -rj; dj <= rj; dj++) {
            for (int di = -ri; di <= ri; di++) {
              double d2 =
                  (di * s[0]) * (di * s[0]) + (dj * s[1]) * (dj * s[1]) + (dk * s[2]) * (dk * s[2]);
              int64_t a = i + di, b = j + dj, c = k + dk;
              if (d2 > r * r * (1 + 1e-5) || a < 0 || b < 0 || c < 0 || a >= nx || b >= ny ||
                  c >= nz) {
                continue;
              }
              float v = in->data[(c * ny + b) * nx + a];
              acc = erode ? fminf(acc, v) : fmaxf(acc, v);
            }
          }
        }
        out->data[(k * ny + j) * nx + i] = acc;
      }
    }
  }
}

static double max_diff(const carm_volume *a, const carm_volume *b) {
  double m = 0.0;
  for (int64_t n = 0; n < carm_volume_count(a); n++) {
    m = fmax(m, fabs(a->data[n] - b->data[n]));
  }
  return m;
}

static void test_against_definition(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 11);
  carm_volume *m = make_vol(17, 13, 11, 0.8, 1.0, 1.6), *g = make_like(m);
  for (int64_t n = 0; n < carm_volume_count(m); n++) {
    m->data[n] = carm_rng_uniform(&rng) < 0.6 ? 1.0f : 0.0f;
    g->data[n] = (float)(100.0 * carm_rng_uniform(&rng));
  }
  carm_volume *a = make_like(m), *b = make_like(m), *c = make_like(m);
  const double radii[3] = {1.0, 1.6, 2.9};
  for (int t = 0; t < 3; t++) {
    for (int erode = 0; erode < 2; erode++) {
      carm_seg_morph_op op = erode ? CARM_SEG_ERODE : CARM_SEG_DILATE;
      brute_morph(a, m, erode, radii[t]);
      CHECK(carm_seg_morph_binary(b, m, op, radii[t]) == CARM_OK);
      CHECK(carm_seg_morph_grey(c, m, op, radii[t]) == CARM_OK);
      CHECK_MSG(max_diff(a, b) == 0.0, "binary r %.1f erode %d", radii[t], erode);
      CHECK_MSG(max_diff(a, c) == 0.0, "grey-on-mask r %.1f erode %d", radii[t], erode);
      brute_morph(a, g, erode, radii[t]);
      CHECK(carm_seg_morph_grey(c, g, op, radii[t]) == CARM_OK);
      CHECK_MSG(max_diff(a, c) == 0.0, "grey r %.1f erode %d", radii[t], erode);
    }
  }
  /* opening is idempotent and anti-extensive; closing extensive */
  CHECK(carm_seg_morph_binary(a, m, CARM_SEG_OPEN, 1.7) == CARM_OK);
  CHECK(carm_seg_morph_binary(b, a, CARM_SEG_OPEN, 1.7) == CARM_OK);
  CHECK(max_diff(a, b) == 0.0);
  CHECK(carm_seg_morph_grey(c, m, CARM_SEG_OPEN, 1.7) == CARM_OK);
  CHECK(max_diff(a, c) == 0.0);
  int anti = 1, ext = 1;
  for (int64_t n = 0; n < carm_volume_count(m); n++) {
    anti = anti && a->data[n] <= m->data[n];
  }
  CHECK(carm_seg_morph_binary(b, m, CARM_SEG_CLOSE, 1.7) == CARM_OK);
  for (int64_t n = 0; n < carm_volume_count(m); n++) {
    ext = ext && b->data[n] >= m->data[n];
  }
  CHECK(anti && ext);
  CHECK(carm_seg_morph_grey(a, g, CARM_SEG_OPEN, 2.0) == CARM_OK);
  CHECK(carm_seg_morph_grey(b, a, CARM_SEG_OPEN, 2.0) == CARM_OK);
  CHECK(max_diff(a, b) == 0.0);
  CHECK(carm_seg_morph_grey(a, g, CARM_SEG_CLOSE, 2.0) == CARM_OK);
  CHECK(carm_seg_morph_grey(b, a, CARM_SEG_CLOSE, 2.0) == CARM_OK);
  CHECK(max_diff(a, b) == 0.0);
  /* errors */
  CHECK(carm_seg_morph_binary(a, m, CARM_SEG_OPEN, -1.0) == CARM_ERR_INVALID);
  CHECK(carm_seg_morph_binary(m, m, CARM_SEG_OPEN, 1.0) == CARM_ERR_INVALID);
  CHECK(carm_seg_morph_grey(a, m, (carm_seg_morph_op)9, 1.0) == CARM_ERR_INVALID);
  CHECK(carm_seg_morph_grey(a, m, CARM_SEG_ERODE, NAN) == CARM_ERR_INVALID);
  carm_volume_destroy(m);
  carm_volume_destroy(g);
  carm_volume_destroy(a);
  carm_volume_destroy(b);
  carm_volume_destroy(c);
}

static void test_ball_erosion(void) {
  const double R = 9.0, r = 3.5;
  carm_volume *m = make_vol(25, 25, 25, 1, 1, 1), *o = make_like(m);
  double c[3] = {12, 12, 12};
  draw_capsule(m, c, c, R, 1.0f);
  CHECK(carm_seg_morph_binary(o, m, CARM_SEG_ERODE, r) == CARM_OK);
  int inner_ok = 1, outer_ok = 1;
  for (int k = 0; k < 25; k++) {
    for (int j = 0; j < 25; j++) {
      for (int i = 0; i < 25; i++) {
        double d =
            sqrt((i - 12.0) * (i - 12.0) + (j - 12.0) * (j - 12.0) + (k - 12.0) * (k - 12.0));
        int in = *at(o, i, j, k) > 0.5f;
        if (d <= R - r && !in) {
          inner_ok = 0;
        }
        if (d > R - r + 1.0 && in) {
          outer_ok = 0;
        }
      }
    }
  }
  CHECK(inner_ok);
  CHECK(outer_ok);
  double req = cbrt(3.0 * (double)count_fg(o) / (4.0 * M_PI));
  printf("ball R %.1f eroded by %.1f: equivalent radius %.3f (expected %.1f)\n", R, r, req, R - r);
  CHECK_NEAR(req, R - r, 0.5);
  /* dilating one voxel by r gives the ball: as many voxels as offsets */
  carm_volume *p = make_like(m);
  *at(p, 12, 12, 12) = 1.0f;
  CHECK(carm_seg_morph_binary(o, p, CARM_SEG_DILATE, r) == CARM_OK);
  int64_t offsets = 0;
  for (int k = -4; k <= 4; k++) {
    for (int j = -4; j <= 4; j++) {
      for (int i = -4; i <= 4; i++) {
        offsets += i * i + j * j + k * k <= r * r;
      }
    }
  }
  CHECK(count_fg(o) == offsets);
  carm_volume_destroy(m);
  carm_volume_destroy(o);
  carm_volume_destroy(p);
}

int main(void) {
  test_against_definition();
  test_ball_erosion();
  return check_done();
}
