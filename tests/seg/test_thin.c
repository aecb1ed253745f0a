/* Thinning: a tube becomes a thin curve near its axis, a torus keeps its
 * loop, a hollow sphere keeps its cavity, a ball shrinks to a point,
 * separate objects stay separate; idempotence. */
#include "check.h"
#include "seg_util.h"

static int64_t n_components(const carm_volume *m, int conn) {
  carm_volume *lab = make_like(m);
  int64_t n = 0;
  CHECK(carm_seg_label(lab, &n, NULL, m, conn) == CARM_OK);
  carm_volume_destroy(lab);
  return n;
}

/* Number of skeleton voxels with exactly one 26-neighbour. */
static int64_t n_endpoints(const carm_volume *s) {
  int64_t ends = 0;
  for (int k = 0; k < s->dims[2]; k++) {
    for (int j = 0; j < s->dims[1]; j++) {
      for (int i = 0; i < s->dims[0]; i++) {
        if (*at((carm_volume *)s, i, j, k) < 0.5f) {
          continue;
        }
        int nb = 0;
        for (int c = -1; c <= 1; c++) {
          for (int b = -1; b <= 1; b++) {
            for (int a = -1; a <= 1; a++) {
              int x = i + a, y = j + b, z = k + c;
              if ((a || b || c) && x >= 0 && y >= 0 && z >= 0 && x < s->dims[0] && y < s->dims[1] &&
                  z < s->dims[2]) {
                nb += *at((carm_volume *)s, x, y, z) > 0.5f;
              }
            }
          }
        }
        ends += nb == 1;
      }
    }
  }
  return ends;
}

static void test_tube(void) {
  carm_volume *m = make_vol(40, 30, 30, 1, 1, 1), *s = make_like(m);
  double a[3] = {6, 14.3, 15.2}, b[3] = {33, 15.6, 14.1};
  draw_capsule(m, a, b, 3.5, 1.0f);
  CHECK(carm_seg_thin(s, m, NULL) == CARM_OK);
  int64_t n = count_fg(s);
  double worst = 0.0;
  int inside = 1;
  for (int k = 0; k < 30; k++) {
    for (int j = 0; j < 30; j++) {
      for (int i = 0; i < 40; i++) {
        if (*at(s, i, j, k) > 0.5f) {
          double p[3] = {i, j, k};
          worst = fmax(worst, dist_to_segment(p, a, b));
          inside = inside && *at(m, i, j, k) > 0.5f;
        }
      }
    }
  }
  printf("tube skeleton: %lld voxels, %lld end points, worst distance to axis %.2f\n", (long long)n,
         (long long)n_endpoints(s), worst);
  CHECK(inside);
  CHECK(n_components(s, 26) == 1);
  CHECK(n_endpoints(s) == 2);
  CHECK(worst < 1.5);
  CHECK(n >= 25 && n <= 40); /* about the axis length (27 mm) plus end caps */
  /* idempotent */
  carm_volume *s2 = make_like(m);
  CHECK(carm_seg_thin(s2, s, NULL) == CARM_OK);
  CHECK(count_diff(s, s2) == 0);
  /* in place */
  CHECK(carm_seg_thin(m, m, NULL) == CARM_OK);
  CHECK(count_diff(m, s) == 0);
  carm_volume_destroy(m);
  carm_volume_destroy(s);
  carm_volume_destroy(s2);
}

static void test_topology(void) {
  const int n = 36;
  carm_volume *torus = make_vol(n, n, 20, 1, 1, 1), *hollow = make_vol(n, n, n, 1, 1, 1);
  carm_volume *balls = make_vol(n, n, n, 1, 1, 1);
  for (int k = 0; k < n; k++) {
    for (int j = 0; j < n; j++) {
      for (int i = 0; i < n; i++) {
        double x = i - 17.5, y = j - 17.5, z = k - 17.5;
        double rho = sqrt(x * x + y * y);
        if (k < 20) {
          double zt = k - 9.5;
          *at(torus, i, j, k) = (rho - 11.0) * (rho - 11.0) + zt * zt <= 3.2 * 3.2 ? 1.0f : 0.0f;
        }
        double r = sqrt(x * x + y * y + z * z);
        *at(hollow, i, j, k) = (r >= 9.0 && r <= 13.0) ? 1.0f : 0.0f;
      }
    }
  }
  double c1[3] = {8, 8, 8}, c2[3] = {26, 26, 26}, c3[3] = {8, 26, 18};
  draw_capsule(balls, c1, c1, 5.0, 1.0f);
  draw_capsule(balls, c2, c2, 6.0, 1.0f);
  draw_capsule(balls, c3, c3, 4.0, 1.0f);
  carm_volume *s = make_like(torus);
  CHECK(carm_seg_thin(s, torus, NULL) == CARM_OK);
  printf("torus skeleton: %lld voxels, %lld components, %lld end points\n", (long long)count_fg(s),
         (long long)n_components(s, 26), (long long)n_endpoints(s));
  CHECK(n_components(s, 26) == 1);
  CHECK(n_endpoints(s) == 0); /* a loop */
  CHECK(count_fg(s) > 50);
  /* the loop still encircles the hole: the background of a slab is split */
  carm_volume *sh = make_like(hollow);
  CHECK(carm_seg_thin(sh, hollow, NULL) == CARM_OK);
  carm_volume *bg = make_like(hollow);
  for (int64_t v = 0; v < carm_volume_count(bg); v++) {
    bg->data[v] = sh->data[v] > 0.5f ? 0.0f : 1.0f;
  }
  int64_t cav = n_components(bg, 6);
  printf("hollow sphere skeleton: %lld voxels, %lld background components\n",
         (long long)count_fg(sh), (long long)cav);
  CHECK(cav == 2);
  CHECK(n_components(sh, 26) == 1);
  carm_volume *sb = make_like(balls);
  CHECK(carm_seg_thin(sb, balls, NULL) == CARM_OK);
  printf("three balls: %lld skeleton voxels\n", (long long)count_fg(sb));
  CHECK(n_components(sb, 26) == 3);
  CHECK(count_fg(sb) <= 6);
  /* errors */
  carm_volume *small = make_vol(3, 3, 3, 1, 1, 1);
  CHECK(carm_seg_thin(small, balls, NULL) == CARM_ERR_INVALID);
  CHECK(carm_seg_thin(NULL, balls, NULL) == CARM_ERR_INVALID);
  carm_volume_destroy(small);
  carm_volume_destroy(torus);
  carm_volume_destroy(hollow);
  carm_volume_destroy(balls);
  carm_volume_destroy(s);
  carm_volume_destroy(sh);
  carm_volume_destroy(sb);
  carm_volume_destroy(bg);
}

int main(void) {
  test_tube();
  test_topology();
  return check_done();
}
