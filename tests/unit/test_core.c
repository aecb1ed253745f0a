/* Core: status strings, error detail, volumes (limits, mapping), algebra,
 * random numbers. */
#include "carm/carm.h"
#include "check.h"

#include <string.h>

static void test_status(void) {
  CHECK(strcmp(carm_strerror(CARM_OK), "success") == 0);
  CHECK(strcmp(carm_strerror(CARM_ERR_FORMAT), "malformed input") == 0);
  CHECK(strcmp(carm_strerror((carm_status)-999), "unknown status") == 0);
  carm_status st = carm_error(CARM_ERR_IO, "cannot open %s", "x.mha");
  CHECK(st == CARM_ERR_IO);
  CHECK(strcmp(carm_last_error(), "cannot open x.mha") == 0);
  carm_error_clear();
  CHECK(carm_last_error()[0] == '\0');
}

static void test_volume(void) {
  carm_volume *v = NULL;
  int64_t huge[3] = {100000, 100000, 100000};
  CHECK(carm_volume_create(&v, huge) == CARM_ERR_RANGE && v == NULL);
  CHECK(strstr(carm_last_error(), "exceeds") != NULL);
  int64_t zero[3] = {4, 0, 4};
  CHECK(carm_volume_create(&v, zero) == CARM_ERR_RANGE && v == NULL);
  int64_t neg[3] = {4, 4, -3};
  CHECK(carm_volume_create(&v, neg) == CARM_ERR_RANGE && v == NULL);

  int64_t dims[3] = {4, 5, 6};
  CHECK(carm_volume_create(&v, dims) == CARM_OK);
  CHECK(carm_volume_count(v) == 120);
  v->spacing[0] = 0.5;
  v->spacing[1] = 2.0;
  v->spacing[2] = 3.0;
  v->origin[0] = -10.0;
  v->origin[1] = 5.0;
  v->origin[2] = 1.0;
  carm_mat3_rot_z(0.3, v->direction);
  CHECK(carm_volume_check_grid(v) == CARM_OK);
  double ijk[3] = {1.5, 2.0, -1.0};
  double xyz[3];
  double back[3];
  carm_volume_index_to_point(v, ijk, xyz);
  carm_volume_point_to_index(v, xyz, back);
  for (int a = 0; a < 3; a++) {
    CHECK_NEAR(back[a], ijk[a], 1e-12);
  }
  v->data[7] = 3.0f;
  v->data[8] = NAN;
  v->data[9] = -2.0f;
  double lo;
  double hi;
  carm_volume_range(v, &lo, &hi);
  CHECK(lo == -2.0 && hi == 3.0);
  carm_volume *c = NULL;
  CHECK(carm_volume_clone(&c, v) == CARM_OK);
  CHECK(carm_volume_same_grid(c, v, 1e-9));
  CHECK(c->data[7] == 3.0f);
  c->spacing[1] = 0.0;
  CHECK(carm_volume_check_grid(c) == CARM_ERR_RANGE);
  c->spacing[1] = NAN;
  CHECK(carm_volume_check_grid(c) == CARM_ERR_RANGE);
  carm_volume_destroy(c);
  carm_volume_destroy(v);
  carm_volume_destroy(NULL);
}

static void test_algebra(void) {
  double r[3][3];
  double rt[3][3];
  double p[3][3];
  carm_mat3_rot_x(0.7, r);
  carm_mat3_transpose(r, rt);
  carm_mat3_mul(r, rt, p);
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) {
      CHECK_NEAR(p[i][j], i == j ? 1.0 : 0.0, 1e-15);
    }
  }
  CHECK_NEAR(carm_mat3_det(r), 1.0, 1e-15);
  double a[3][3] = {{2, 1, 0}, {0, 3, 1}, {1, 0, 4}};
  double ai[3][3];
  CHECK(carm_mat3_inverse(a, ai) == CARM_OK);
  carm_mat3_mul(a, ai, p);
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) {
      CHECK_NEAR(p[i][j], i == j ? 1.0 : 0.0, 1e-14);
    }
  }
  double s[3][3] = {{1, 2, 3}, {2, 4, 6}, {0, 0, 1}};
  CHECK(carm_mat3_inverse(s, ai) == CARM_ERR_RANGE);
  double x[3] = {1, 0, 0};
  double y[3] = {0, 1, 0};
  double z[3];
  carm_vec3_cross(x, y, z);
  CHECK(z[0] == 0 && z[1] == 0 && z[2] == 1);
  /* Right-handed rotation: Rz(90°) takes x to y. */
  carm_mat3_rot_z(M_PI / 2, r);
  carm_mat3_apply(r, x, z);
  CHECK_NEAR(z[1], 1.0, 1e-15);
}

static void test_rng(void) {
  carm_rng a;
  carm_rng b;
  carm_rng_seed(&a, 42);
  carm_rng_seed(&b, 42);
  int same = 1;
  double sum = 0.0;
  double sum2 = 0.0;
  const int n = 200000;
  for (int i = 0; i < n; i++) {
    double u = carm_rng_uniform(&a);
    same &= u == carm_rng_uniform(&b);
    double g = carm_rng_normal(&a);
    (void)carm_rng_normal(&b);
    sum += g;
    sum2 += g * g;
  }
  CHECK(same);
  CHECK_NEAR(sum / n, 0.0, 0.01);
  CHECK_NEAR(sum2 / n, 1.0, 0.02);
}

int main(void) {
  test_status();
  test_volume();
  test_algebra();
  test_rng();
  return check_done();
}
