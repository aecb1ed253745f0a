/* Otsu on bimodal data, interval threshold, hysteresis and seeded region
 * growing (stops at the interval, connectivity), with error paths. */
#include "check.h"
#include "seg_util.h"

static void test_otsu(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 7);
  /* two Gaussian modes: 70 % at 100 (sd 10) and 30 % at 300 (sd 20) */
  carm_volume *v = make_vol(50, 40, 30, 1, 1, 1);
  for (int64_t n = 0; n < carm_volume_count(v); n++) {
    int hi = carm_rng_uniform(&rng) < 0.3;
    v->data[n] =
        (float)(hi ? 300.0 + 20.0 * carm_rng_normal(&rng) : 100.0 + 10.0 * carm_rng_normal(&rng));
  }
  double t = 0.0;
  CHECK(carm_seg_otsu(&t, v, NULL, 256) == CARM_OK);
  printf("otsu threshold %.2f\n", t);
  /* the threshold separates the modes: almost nothing misclassified */
  int64_t wrong = 0;
  carm_rng_seed(&rng, 7);
  for (int64_t n = 0; n < carm_volume_count(v); n++) {
    int hi = carm_rng_uniform(&rng) < 0.3;
    (void)carm_rng_normal(&rng);
    wrong += ((double)v->data[n] > t) != hi;
  }
  CHECK(t > 150.0 && t < 250.0);
  CHECK_MSG(wrong < carm_volume_count(v) / 10000 + 2, "%lld misclassified", (long long)wrong);
  /* exact two-valued data: the threshold lies between the values */
  carm_volume *b = make_vol(10, 10, 10, 1, 1, 1);
  for (int64_t n = 0; n < 1000; n++) {
    b->data[n] = n < 300 ? 5.0f : 9.0f;
  }
  CHECK(carm_seg_otsu(&t, b, NULL, 64) == CARM_OK);
  CHECK(t >= 5.0 && t < 9.0);
  /* a mask restricts the histogram: inside the mask only one value */
  carm_volume *m = make_like(b);
  for (int64_t n = 0; n < 1000; n++) {
    m->data[n] = n >= 300 ? 1.0f : 0.0f;
  }
  CHECK(carm_seg_otsu(&t, b, m, 64) == CARM_OK);
  CHECK(t == 9.0);
  CHECK(carm_seg_otsu(&t, b, NULL, 1) == CARM_ERR_INVALID);
  CHECK(carm_seg_otsu(NULL, b, NULL, 64) == CARM_ERR_INVALID);
  for (int64_t n = 0; n < 1000; n++) {
    b->data[n] = NAN;
  }
  CHECK(carm_seg_otsu(&t, b, NULL, 64) == CARM_ERR_INVALID);
  carm_volume_destroy(v);
  carm_volume_destroy(b);
  carm_volume_destroy(m);
}

static void test_threshold_hysteresis(void) {
  /* a line of values along x: 0 1 5 2 2 0 2 9 0 3 ... */
  carm_volume *v = make_vol(12, 3, 3, 1, 1, 1);
  const float row[12] = {0, 1, 5, 2, 2, 0, 2, 9, 0, 3, 3, 0};
  for (int i = 0; i < 12; i++) {
    *at(v, i, 1, 1) = row[i];
  }
  carm_volume *o = make_like(v);
  CHECK(carm_seg_threshold(o, v, 2.0, 5.0) == CARM_OK);
  CHECK(count_fg(o) == 6); /* 5 2 2 2 3 3 */
  CHECK(carm_seg_threshold(o, v, NAN, 5.0) == CARM_ERR_INVALID);
  /* hysteresis low 2, high 5: the runs {5,2,2} and {2,9} survive, {3,3} not */
  CHECK(carm_seg_hysteresis(o, v, 2.0, 5.0, 6) == CARM_OK);
  CHECK(count_fg(o) == 5);
  CHECK(*at(o, 2, 1, 1) == 1.0f && *at(o, 4, 1, 1) == 1.0f && *at(o, 6, 1, 1) == 1.0f);
  CHECK(*at(o, 9, 1, 1) == 0.0f);
  CHECK(carm_seg_hysteresis(o, v, 5.0, 2.0, 6) == CARM_ERR_INVALID);
  CHECK(carm_seg_hysteresis(o, v, 2.0, 5.0, 8) == CARM_ERR_INVALID);
  CHECK(carm_seg_hysteresis(v, v, 2.0, 5.0, 6) == CARM_ERR_INVALID);
  carm_volume_destroy(v);
  carm_volume_destroy(o);
}

static void test_region_grow(void) {
  /* a bright ball (100) next to a brighter ball (200) touching only
   * diagonally, in a background of 0 with a thin bridge at 150 */
  carm_volume *v = make_vol(30, 20, 20, 1, 1, 1);
  double c1[3] = {8, 10, 10}, c2[3] = {21, 10, 10};
  draw_capsule(v, c1, c1, 5.0, 100.0f);
  draw_capsule(v, c2, c2, 5.0, 200.0f);
  carm_volume *o = make_like(v);
  const int64_t seed[1][3] = {{8, 10, 10}};
  CHECK(carm_seg_region_grow(o, v, seed, 1, 50.0, 120.0, 6) == CARM_OK);
  carm_volume *ref = make_like(v);
  draw_capsule(ref, c1, c1, 5.0, 1.0f);
  CHECK(count_diff(o, ref) == 0);
  /* widening the interval to 200 lets it reach the second ball only if
   * they touch: they do not (gap of 3 voxels), so nothing changes */
  CHECK(carm_seg_region_grow(o, v, seed, 1, 50.0, 250.0, 26) == CARM_OK);
  CHECK(count_diff(o, ref) == 0);
  /* a bridge of 150 joins them: interval [50, 160] stops at the 200 ball,
   * [50, 250] takes both */
  double b0[3] = {13, 10, 10}, b1[3] = {16, 10, 10};
  draw_capsule(v, b0, b1, 0.5, 150.0f);
  CHECK(carm_seg_region_grow(o, v, seed, 1, 50.0, 160.0, 6) == CARM_OK);
  int64_t with_bridge = count_fg(o);
  /* bridge voxels 14, 15 and 16 (16 was the 200 ball's rim, now 150) */
  CHECK(with_bridge == count_fg(ref) + 3);
  CHECK(*at(o, 21, 10, 10) == 0.0f);
  CHECK(carm_seg_region_grow(o, v, seed, 1, 50.0, 250.0, 6) == CARM_OK);
  CHECK(*at(o, 21, 10, 10) == 1.0f);
  /* a seed outside the interval grows nothing; outside the volume fails */
  const int64_t bg[1][3] = {{0, 0, 0}};
  CHECK(carm_seg_region_grow(o, v, bg, 1, 50.0, 250.0, 6) == CARM_OK);
  CHECK(count_fg(o) == 0);
  const int64_t out[1][3] = {{30, 0, 0}};
  CHECK(carm_seg_region_grow(o, v, out, 1, 50.0, 250.0, 6) == CARM_ERR_INVALID);
  CHECK(carm_seg_region_grow(o, v, seed, 1, 250.0, 50.0, 6) == CARM_ERR_INVALID);
  CHECK(carm_seg_region_grow(o, v, NULL, 1, 50.0, 250.0, 6) == CARM_ERR_INVALID);
  CHECK(carm_seg_region_grow(o, v, seed, 1, 50.0, 250.0, 4) == CARM_ERR_INVALID);
  carm_volume_destroy(v);
  carm_volume_destroy(o);
  carm_volume_destroy(ref);
}

int main(void) {
  test_otsu();
  test_threshold_hysteresis();
  test_region_grow();
  return check_done();
}
