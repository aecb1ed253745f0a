/* Connected components on known shapes: counts, sizes, order, 6 against 26
 * connectivity, keep largest, remove small, errors. */
#include "check.h"
#include "seg_util.h"

static void test_shapes(void) {
  carm_volume *m = make_vol(20, 20, 20, 1, 1, 1);
  /* a 3x3x3 cube (27), a 2x2x1 square (4), two single voxels touching at a
   * corner (26-connected, two components with 6), a single edge pair */
  for (int k = 2; k < 5; k++) {
    for (int j = 2; j < 5; j++) {
      for (int i = 2; i < 5; i++) {
        *at(m, i, j, k) = 1.0f;
      }
    }
  }
  *at(m, 10, 10, 10) = *at(m, 11, 10, 10) = *at(m, 10, 11, 10) = *at(m, 11, 11, 10) = 1.0f;
  *at(m, 15, 15, 15) = 1.0f;
  *at(m, 16, 16, 16) = 1.0f; /* corner contact */
  *at(m, 2, 15, 15) = 1.0f;
  *at(m, 3, 16, 15) = 1.0f; /* edge contact */
  carm_volume *lab = make_like(m);
  int64_t n = 0, *sizes = NULL;
  CHECK(carm_seg_label(lab, &n, &sizes, m, 6) == CARM_OK);
  CHECK(n == 6);
  if (n == 6) {
    CHECK(sizes[1] == 27 && sizes[2] == 4 && sizes[3] == 1 && sizes[6] == 1);
    CHECK(sizes[0] == 8000 - 35);
  }
  CHECK(*at(lab, 3, 3, 3) == 1.0f && *at(lab, 11, 11, 10) == 2.0f);
  free(sizes);
  sizes = NULL;
  CHECK(carm_seg_label(lab, &n, &sizes, m, 26) == CARM_OK);
  CHECK(n == 4);
  if (n == 4) {
    CHECK(sizes[1] == 27 && sizes[2] == 4 && sizes[3] == 2 && sizes[4] == 2);
  }
  CHECK(*at(lab, 15, 15, 15) == *at(lab, 16, 16, 16));
  free(sizes);
  /* a U shape: one component, labelled through a merge */
  carm_volume *u = make_vol(7, 5, 1, 1, 1, 1);
  const char *rows[5] = {"x.x.x.x", "x.x.x.x", "x.x.x.x", "xxxxxxx", "......."};
  for (int j = 0; j < 5; j++) {
    for (int i = 0; i < 7; i++) {
      *at(u, i, j, 0) = rows[j][i] == 'x' ? 1.0f : 0.0f;
    }
  }
  carm_volume *lu = make_like(u);
  CHECK(carm_seg_label(lu, &n, NULL, u, 6) == CARM_OK);
  CHECK(n == 1);
  /* keep largest and remove small */
  carm_volume *o = make_like(m);
  CHECK(carm_seg_keep_largest(o, m, 6, 1) == CARM_OK);
  CHECK(count_fg(o) == 27);
  CHECK(carm_seg_keep_largest(o, m, 6, 2) == CARM_OK);
  CHECK(count_fg(o) == 31);
  CHECK(carm_seg_remove_small(o, m, 26, 2) == CARM_OK);
  CHECK(count_fg(o) == 35);
  CHECK(carm_seg_remove_small(o, m, 6, 2) == CARM_OK);
  CHECK(count_fg(o) == 31);
  CHECK(carm_seg_keep_largest(o, m, 6, 0) == CARM_ERR_INVALID);
  CHECK(carm_seg_label(lab, &n, NULL, m, 18) == CARM_ERR_INVALID);
  CHECK(carm_seg_label(lu, &n, NULL, m, 6) == CARM_ERR_INVALID);
  carm_volume_destroy(m);
  carm_volume_destroy(lab);
  carm_volume_destroy(u);
  carm_volume_destroy(lu);
  carm_volume_destroy(o);
}

/* Random masks: the sizes add up and each label is connected and separated
 * from the others (checked against a flood fill by region growing). */
static void test_random(void) {
  carm_rng rng;
  carm_rng_seed(&rng, 3);
  carm_volume *m = make_vol(16, 14, 12, 1, 1, 1);
  for (int64_t n = 0; n < carm_volume_count(m); n++) {
    m->data[n] = carm_rng_uniform(&rng) < 0.3 ? 1.0f : 0.0f;
  }
  carm_volume *lab = make_like(m), *grown = make_like(m);
  const int conns[2] = {6, 26};
  for (int c = 0; c < 2; c++) {
    int64_t n = 0, *sizes = NULL;
    CHECK(carm_seg_label(lab, &n, &sizes, m, conns[c]) == CARM_OK);
    int64_t total = 0;
    int ok = 1;
    for (int64_t l = 1; l <= n; l++) {
      total += sizes[l];
      ok = ok && (l == 1 || sizes[l] <= sizes[l - 1]);
    }
    CHECK(total == count_fg(m));
    CHECK(ok);
    /* grow from the first voxel of three labels: the grown region is the label */
    int mism = 0;
    for (int64_t l = 1; l <= n && l <= 3; l++) {
      int64_t first = -1;
      for (int64_t v = 0; v < carm_volume_count(m) && first < 0; v++) {
        if (lab->data[v] == (float)l) {
          first = v;
        }
      }
      const int64_t seed[1][3] = {{first % 16, (first / 16) % 14, first / (16 * 14)}};
      CHECK(carm_seg_region_grow(grown, m, seed, 1, 0.5, 1.5, conns[c]) == CARM_OK);
      for (int64_t v = 0; v < carm_volume_count(m); v++) {
        mism += (grown->data[v] > 0.5f) != (lab->data[v] == (float)l);
      }
    }
    CHECK(mism == 0);
    printf("random mask, %d-connectivity: %lld components, largest %lld\n", conns[c], (long long)n,
           (long long)(n > 0 ? sizes[1] : 0));
    free(sizes);
  }
  carm_volume_destroy(m);
  carm_volume_destroy(lab);
  carm_volume_destroy(grown);
}

int main(void) {
  test_shapes();
  test_random();
  return check_done();
}
