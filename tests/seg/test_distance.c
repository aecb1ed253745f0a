/* Euclidean distance transform against brute force on random masks with
 * anisotropic spacing, both directions, and edge cases. */
#include "check.h"
#include "seg_util.h"

static void brute_check(double density, uint64_t seed) {
  carm_rng rng;
  carm_rng_seed(&rng, seed);
  const int nx = 14, ny = 11, nz = 9;
  carm_volume *m = make_vol(nx, ny, nz, 0.7, 1.3, 2.1);
  for (int64_t n = 0; n < carm_volume_count(m); n++) {
    m->data[n] = carm_rng_uniform(&rng) < density ? 1.0f : 0.0f;
  }
  carm_volume *d = make_like(m);
  for (int dir = 0; dir < 2; dir++) {
    carm_seg_distance_to to = dir == 0 ? CARM_SEG_TO_BACKGROUND : CARM_SEG_TO_FOREGROUND;
    CHECK(carm_seg_distance(d, m, to) == CARM_OK);
    double worst = 0.0;
    for (int k = 0; k < nz; k++) {
      for (int j = 0; j < ny; j++) {
        for (int i = 0; i < nx; i++) {
          double best = INFINITY;
          for (int c = 0; c < nz; c++) {
            for (int b = 0; b < ny; b++) {
              for (int a = 0; a < nx; a++) {
                int fg = *at(m, a, b, c) > 0.5f;
                if (fg != (to == CARM_SEG_TO_FOREGROUND)) {
                  continue;
                }
                double dx = (a - i) * 0.7, dy = (b - j) * 1.3, dz = (c - k) * 2.1;
                best = fmin(best, sqrt(dx * dx + dy * dy + dz * dz));
              }
            }
          }
          double got = *at(d, i, j, k);
          if (isinf(best)) {
            worst = fmax(worst, isinf(got) ? 0.0 : 1e9);
          } else {
            worst = fmax(worst, fabs(got - best));
          }
        }
      }
    }
    CHECK_MSG(worst < 1e-4, "density %.2f direction %d: worst error %g mm", density, dir, worst);
  }
  carm_volume_destroy(m);
  carm_volume_destroy(d);
}

static void test_edges(void) {
  carm_volume *m = make_vol(5, 4, 3, 1, 1, 1), *d = make_like(m);
  CHECK(carm_seg_distance(d, m, CARM_SEG_TO_FOREGROUND) == CARM_OK);
  CHECK(isinf(d->data[7]) && d->data[7] > 0);
  CHECK(carm_seg_distance(d, m, CARM_SEG_TO_BACKGROUND) == CARM_OK);
  CHECK(d->data[7] == 0.0f);
  /* in place */
  *at(m, 2, 2, 1) = 1.0f;
  CHECK(carm_seg_distance(m, m, CARM_SEG_TO_FOREGROUND) == CARM_OK);
  CHECK_NEAR(*at(m, 0, 0, 0), sqrt(4.0 + 4.0 + 1.0), 1e-6);
  CHECK(carm_seg_distance(d, m, (carm_seg_distance_to)5) == CARM_ERR_INVALID);
  CHECK(carm_seg_distance(NULL, m, CARM_SEG_TO_FOREGROUND) == CARM_ERR_INVALID);
  carm_volume_destroy(m);
  carm_volume_destroy(d);
}

int main(void) {
  brute_check(0.05, 1);
  brute_check(0.5, 2);
  brute_check(0.95, 3);
  brute_check(0.002, 4);
  test_edges();
  return check_done();
}
