/* Analytic phantoms: exact chords against closed forms and numerical
 * integration, the Shepp-Logan table against RTK's quadric formula,
 * voxelisation volumes, JSON scenes and their errors. */
#include "carm/carm.h"
#include "carm/phantom.h"
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Midpoint-rule integral of the scene's value along p + t d, t in [t0, t1]. */
static double numeric_integral(const carm_phantom *ph, const double p[3], const double d[3],
                               double t0, double t1, int n) {
  double len = carm_vec3_norm(d);
  double h = (t1 - t0) / n;
  double s = 0.0;
  for (int i = 0; i < n; i++) {
    double t = t0 + (i + 0.5) * h;
    double x[3] = {p[0] + t * d[0], p[1] + t * d[1], p[2] + t * d[2]};
    s += carm_phantom_value(ph, x);
  }
  return s * h * len;
}

static void random_unit(carm_rng *rng, double u[3]) {
  do {
    for (int a = 0; a < 3; a++) {
      u[a] = 2.0 * carm_rng_uniform(rng) - 1.0;
    }
  } while (carm_vec3_norm(u) < 0.1 || carm_vec3_norm(u) > 1.0);
  carm_vec3_normalize(u);
}

static void sphere_chords(void) {
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  double c[3] = {3.0, -7.0, 11.0};
  double r = 20.0;
  double axes[3] = {r, r, r};
  CHECK(carm_phantom_add_ellipsoid(ph, c, axes, NULL, 0.5) == CARM_OK);
  carm_rng rng;
  carm_rng_seed(&rng, 7);
  double worst = 0.0;
  for (int k = 0; k < 200; k++) {
    double u[3];
    double off[3];
    random_unit(&rng, u);
    random_unit(&rng, off);
    /* A line at distance dist from the centre: p = c + dist*(off ⟂ u). */
    double ou = carm_vec3_dot(off, u);
    double perp[3] = {off[0] - ou * u[0], off[1] - ou * u[1], off[2] - ou * u[2]};
    if (carm_vec3_normalize(perp) < 1e-6) {
      continue;
    }
    double dist = 25.0 * carm_rng_uniform(&rng);
    double scale = 0.5 + 3.0 * carm_rng_uniform(&rng); /* |d| != 1 */
    double p[3];
    double d[3];
    for (int a = 0; a < 3; a++) {
      p[a] = c[a] + dist * perp[a] - 60.0 * u[a];
      d[a] = scale * u[a];
    }
    double exact = dist < r ? 0.5 * 2.0 * sqrt(r * r - dist * dist) : 0.0;
    double got = carm_phantom_line_integral(ph, p, d, -HUGE_VAL, HUGE_VAL);
    worst = fmax(worst, fabs(got - exact));
  }
  printf("sphere: worst |chord error| over 200 lines = %.3g (density x mm)\n", worst);
  CHECK(worst < 1e-9);
  /* Clipping to a segment: the line through the centre along x, t in
   * [0, 1] from the centre to 100 mm away: half the chord. */
  double p[3] = {c[0], c[1], c[2]};
  double d[3] = {100.0, 0.0, 0.0};
  CHECK_NEAR(carm_phantom_line_integral(ph, p, d, 0.0, 1.0), 0.5 * r, 1e-9);
  double zero[3] = {0.0, 0.0, 0.0};
  CHECK(carm_phantom_line_integral(ph, p, zero, -HUGE_VAL, HUGE_VAL) == 0.0);
  carm_phantom_destroy(ph);
}

static void ellipsoid_chords(void) {
  /* Rotated ellipsoid: the chord along a line equals the unrotated
   * ellipsoid's chord along the line mapped by Rᵀ; principal chords are
   * 2 a, 2 b, 2 c; random lines match numerical integration. */
  carm_phantom *rot = NULL;
  carm_phantom *flat = NULL;
  CHECK(carm_phantom_create(&rot) == CARM_OK);
  CHECK(carm_phantom_create(&flat) == CARM_OK);
  double c[3] = {0.0, 0.0, 0.0};
  double axes[3] = {30.0, 12.0, 7.0};
  double rx[3][3];
  double rz[3][3];
  double r[3][3];
  carm_mat3_rot_x(0.7, rx);
  carm_mat3_rot_z(-0.4, rz);
  carm_mat3_mul(rz, rx, r);
  CHECK(carm_phantom_add_ellipsoid(rot, c, axes, r, 1.0) == CARM_OK);
  CHECK(carm_phantom_add_ellipsoid(flat, c, axes, NULL, 1.0) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    double p[3] = {0.0, 0.0, 0.0};
    double d[3] = {r[0][a], r[1][a], r[2][a]}; /* local axis a in world */
    CHECK_NEAR(carm_phantom_line_integral(rot, p, d, -HUGE_VAL, HUGE_VAL), 2.0 * axes[a], 1e-9);
  }
  carm_rng rng;
  carm_rng_seed(&rng, 3);
  double worst_rot = 0.0;
  double worst_num = 0.0;
  double rt[3][3];
  carm_mat3_transpose(r, rt);
  for (int k = 0; k < 50; k++) {
    double u[3];
    double p[3];
    random_unit(&rng, u);
    for (int a = 0; a < 3; a++) {
      p[a] = 16.0 * carm_rng_uniform(&rng) - 8.0 - 50.0 * u[a];
    }
    double pl[3];
    double ul[3];
    carm_mat3_apply(rt, p, pl);
    carm_mat3_apply(rt, u, ul);
    double a1 = carm_phantom_line_integral(rot, p, u, -HUGE_VAL, HUGE_VAL);
    double a2 = carm_phantom_line_integral(flat, pl, ul, -HUGE_VAL, HUGE_VAL);
    worst_rot = fmax(worst_rot, fabs(a1 - a2));
    double num = numeric_integral(rot, p, u, 0.0, 100.0, 20000);
    worst_num = fmax(worst_num, fabs(a1 - num));
  }
  printf("ellipsoid: rotation invariance %.3g, vs numerical integration %.3g mm\n", worst_rot,
         worst_num);
  CHECK(worst_rot < 1e-9);
  CHECK(worst_num < 0.02); /* midpoint rule with 5 um steps: edge error only */
  carm_phantom_destroy(rot);
  carm_phantom_destroy(flat);
}

static void cylinder_chords(void) {
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  double c[3] = {5.0, 2.0, -3.0};
  double axis[3] = {0.0, 2.0, 0.0}; /* normalised inside */
  double rad = 10.0;
  double len = 40.0;
  CHECK(carm_phantom_add_cylinder(ph, c, axis, rad, len, 2.0) == CARM_OK);
  /* Perpendicular to the axis at distance 6 from it: 2 sqrt(r² - 6²). */
  double p[3] = {c[0] - 50.0, c[1] + 3.0, c[2] + 6.0};
  double d[3] = {1.0, 0.0, 0.0};
  CHECK_NEAR(carm_phantom_line_integral(ph, p, d, -HUGE_VAL, HUGE_VAL),
             2.0 * 2.0 * sqrt(rad * rad - 36.0), 1e-9);
  /* Along the axis, inside: the full length. */
  double p2[3] = {c[0] + 3.0, c[1] - 100.0, c[2] - 4.0};
  double d2[3] = {0.0, 1.0, 0.0};
  CHECK_NEAR(carm_phantom_line_integral(ph, p2, d2, -HUGE_VAL, HUGE_VAL), 2.0 * len, 1e-9);
  /* Along the axis, outside the radius: nothing. */
  double p3[3] = {c[0] + 11.0, c[1], c[2]};
  CHECK(carm_phantom_line_integral(ph, p3, d2, -HUGE_VAL, HUGE_VAL) == 0.0);
  /* Oblique through a cap: slope 1 in the (x, y) plane through the centre:
   * the chord leaves through the curved side at |x| = r: length 2 r √2. */
  double p4[3] = {c[0], c[1], c[2]};
  double d4[3] = {1.0, 1.0, 0.0};
  CHECK_NEAR(carm_phantom_line_integral(ph, p4, d4, -HUGE_VAL, HUGE_VAL),
             2.0 * 2.0 * rad * sqrt(2.0), 1e-9);
  /* Steep: leaves through the caps at |y| = L/2, length L/cos. */
  double d5[3] = {0.2, 1.0, 0.0};
  CHECK_NEAR(carm_phantom_line_integral(ph, p4, d5, -HUGE_VAL, HUGE_VAL), 2.0 * len * sqrt(1.04),
             1e-9);
  /* Random lines against numerical integration. */
  carm_rng rng;
  carm_rng_seed(&rng, 9);
  double worst = 0.0;
  for (int k = 0; k < 50; k++) {
    double u[3];
    double q[3];
    random_unit(&rng, u);
    for (int a = 0; a < 3; a++) {
      q[a] = c[a] + 16.0 * carm_rng_uniform(&rng) - 8.0 - 60.0 * u[a];
    }
    double exact = carm_phantom_line_integral(ph, q, u, -HUGE_VAL, HUGE_VAL);
    double num = numeric_integral(ph, q, u, 0.0, 120.0, 24000);
    worst = fmax(worst, fabs(exact - num));
  }
  printf("cylinder: vs numerical integration %.3g\n", worst);
  CHECK(worst < 0.04);
  carm_phantom_destroy(ph);
}

/* RTK's quadric for an ellipsoid rotated by `deg` about y (rtkQuadricShape
 * SetEllipsoid then Translate), evaluated independently. */
static int rtk_inside(const double t[8], double scale, const double p[3]) {
  double A = 1.0 / pow(t[0] * scale, 2.0);
  double B = 1.0 / pow(t[1] * scale, 2.0);
  double C = 1.0 / pow(t[2] * scale, 2.0);
  double th = t[6] * M_PI / 180.0;
  double a2 = A * cos(th) * cos(th) + C * sin(th) * sin(th);
  double c2 = A * sin(th) * sin(th) + C * cos(th) * cos(th);
  double e2 = 2.0 * cos(th) * sin(th) * (A - C);
  double x = p[0] - t[3] * scale;
  double y = p[1] - t[4] * scale;
  double z = p[2] - t[5] * scale;
  return a2 * x * x + B * y * y + c2 * z * z + e2 * x * z - 1.0 <= 0.0;
}

static void shepp_logan_table(void) {
  static const double table[10][8] = {
      {0.69, 0.90, 0.92, 0.0, 0.0, 0.0, 0.0, 2.0},
      {0.6624, 0.880, 0.874, 0.0, 0.0, 0.0, 0.0, -0.98},
      {0.41, 0.21, 0.16, -0.22, -0.25, 0.0, 108.0, -0.02},
      {0.31, 0.22, 0.11, 0.22, -0.25, 0.0, 72.0, -0.02},
      {0.21, 0.50, 0.25, 0.0, -0.25, 0.35, 0.0, 0.02},
      {0.046, 0.046, 0.046, 0.0, -0.25, 0.10, 0.0, 0.02},
      {0.046, 0.02, 0.023, -0.08, -0.25, -0.65, 0.0, 0.01},
      {0.046, 0.02, 0.023, 0.06, -0.25, -0.65, 90.0, 0.01},
      {0.056, 0.1, 0.04, 0.06, 0.625, -0.105, 90.0, 0.02},
      {0.056, 0.1, 0.056, 0.0, 0.625, 0.1, 0.0, -0.02},
  };
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  CHECK(carm_phantom_add_shepp_logan(ph, 128.0) == CARM_OK);
  CHECK(ph->n_shapes == 10);
  carm_rng rng;
  carm_rng_seed(&rng, 1);
  int mismatches = 0;
  int in_small = 0;
  for (int k = 0; k < 200000; k++) {
    double p[3];
    /* Half the points near the small ellipsoids, to exercise them. */
    const double *t = table[2 + k % 8];
    for (int a = 0; a < 3; a++) {
      double centre = (k & 1) ? t[3 + a] * 128.0 : 0.0;
      double spread = (k & 1) ? 1.2 * 128.0 * fmax(t[0], fmax(t[1], t[2])) : 128.0;
      p[a] = centre + spread * (2.0 * carm_rng_uniform(&rng) - 1.0);
    }
    double expect = 0.0;
    for (int e = 0; e < 10; e++) {
      if (rtk_inside(table[e], 128.0, p)) {
        expect += table[e][7];
        in_small += e >= 2;
      }
    }
    if (fabs(carm_phantom_value(ph, p) - expect) > 1e-12) {
      mismatches++;
    }
  }
  printf("shepp-logan vs RTK quadrics: %d mismatches in 200000 points (%d in small ellipsoids)\n",
         mismatches, in_small);
  CHECK(mismatches == 0);
  CHECK(in_small > 10000);
  CHECK(carm_phantom_add_shepp_logan(ph, -1.0) == CARM_ERR_INVALID);
  carm_phantom_destroy(ph);
}

static void voxelize_volume(void) {
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  double c[3] = {1.3, -2.1, 0.7};
  double axes[3] = {9.0, 6.0, 4.0};
  double axis[3] = {1.0, 1.0, 0.0};
  double c2[3] = {-10.0, 8.0, -5.0};
  CHECK(carm_phantom_add_ellipsoid(ph, c, axes, NULL, 1.0) == CARM_OK);
  CHECK(carm_phantom_add_cylinder(ph, c2, axis, 3.0, 8.0, 2.0) == CARM_OK);
  int64_t dims[3] = {40, 44, 36};
  carm_volume *vol = NULL;
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    vol->origin[a] = -0.5 * (double)(dims[a] - 1) * 0.8;
    vol->spacing[a] = 0.8;
  }
  double rzm[3][3];
  carm_mat3_rot_z(0.25, rzm);
  memcpy(vol->direction, rzm, sizeof rzm);
  double expect = 4.0 / 3.0 * M_PI * axes[0] * axes[1] * axes[2] + 2.0 * M_PI * 9.0 * 8.0;
  for (int ss = 1; ss <= 5; ss += 2) {
    CHECK(carm_phantom_voxelize(ph, vol, ss) == CARM_OK);
    double sum = 0.0;
    for (int64_t i = 0; i < carm_volume_count(vol); i++) {
      sum += vol->data[i];
    }
    sum *= 0.8 * 0.8 * 0.8;
    printf("voxelise supersample %d: integral %.3f, exact %.3f (%.3f %%)\n", ss, sum, expect,
           100.0 * (sum - expect) / expect);
    CHECK(fabs(sum - expect) < (ss == 1 ? 0.03 : 0.005) * expect);
  }
  /* The voxel that holds the ellipsoid's centre is fully inside. */
  double ijk[3];
  carm_volume_point_to_index(vol, c, ijk);
  int64_t i0 = (int64_t)floor(ijk[0] + 0.5);
  int64_t j0 = (int64_t)floor(ijk[1] + 0.5);
  int64_t k0 = (int64_t)floor(ijk[2] + 0.5);
  CHECK_NEAR(carm_volume_at(vol, i0, j0, k0), 1.0, 1e-6);
  CHECK(carm_phantom_voxelize(ph, vol, 0) == CARM_ERR_RANGE);
  CHECK(carm_phantom_voxelize(ph, vol, 17) == CARM_ERR_RANGE);
  carm_volume_destroy(vol);
  carm_phantom_destroy(ph);
}

/* Exact projections of an ellipsoid scene against the Joseph projection of
 * its voxelisation (1 mm voxels). */
static void exact_vs_numerical(void) {
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  double c1[3] = {2.0, -3.0, 1.0};
  double a1[3] = {22.0, 17.0, 14.0};
  double c2[3] = {-6.0, 2.0, 4.0};
  double a2[3] = {7.0, 5.0, 9.0};
  double r[3][3];
  carm_mat3_rot_y(0.5, r);
  CHECK(carm_phantom_add_ellipsoid(ph, c1, a1, NULL, 1.0) == CARM_OK);
  CHECK(carm_phantom_add_ellipsoid(ph, c2, a2, r, 0.5) == CARM_OK);
  int64_t dims[3] = {64, 64, 64};
  carm_volume *vol = NULL;
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    vol->origin[a] = -31.5;
  }
  CHECK(carm_phantom_voxelize(ph, vol, 4) == CARM_OK);
  carm_geometry *geo = NULL;
  CHECK(carm_geometry_create(&geo, 4) == CARM_OK);
  for (int v = 0; v < 4; v++) {
    CHECK(carm_view_set(&geo->views[v], 600.0, v == 3 ? 0.0 : 900.0, 20.0 + 77.0 * v, 2.0, -1.5,
                        8.0, -5.0, 1.0, 0.5) == CARM_OK);
  }
  carm_volume *exact = NULL;
  carm_volume *num = NULL;
  CHECK(carm_projections_create(&exact, 80, 72, 4, 1.0, 1.0) == CARM_OK);
  CHECK(carm_projections_create(&num, 80, 72, 4, 1.0, 1.0) == CARM_OK);
  CHECK(carm_phantom_project_analytic(ph, geo, exact) == CARM_OK);
  CHECK(carm_project_forward(vol, geo, num, NULL) == CARM_OK);
  double maxv = 0.0;
  for (int64_t i = 0; i < carm_volume_count(exact); i++) {
    maxv = fmax(maxv, exact->data[i]);
  }
  /* "Inside the object": pixels whose exact value is at least `frac` of the
   * maximum, away from the rim where the 1 mm voxels blur the steep edge. */
  const double fracs[2] = {0.5, 0.2};
  const double max_rel[2] = {0.01, 0.02};
  for (int f = 0; f < 2; f++) {
    double se = 0.0;
    double sr = 0.0;
    double worst = 0.0;
    int64_t n = 0;
    for (int64_t i = 0; i < carm_volume_count(exact); i++) {
      double e = exact->data[i];
      if (e < fracs[f] * maxv) {
        continue;
      }
      double d = num->data[i] - e;
      se += d * d;
      sr += e * e;
      worst = fmax(worst, fabs(d) / e);
      n++;
    }
    double rel = sqrt(se / sr);
    printf("exact vs Joseph(voxelised, 1 mm), pixels >= %.0f %% of max: %lld pixels, relative "
           "L2 error %.3f %%, worst pixel %.2f %%\n",
           100.0 * fracs[f], (long long)n, 100.0 * rel, 100.0 * worst);
    CHECK(n > 2000);
    CHECK(rel < max_rel[f]);
  }
  /* Total attenuation (sum over the detector) is preserved. */
  double te = 0.0;
  double tn = 0.0;
  for (int64_t i = 0; i < carm_volume_count(exact); i++) {
    te += exact->data[i];
    tn += num->data[i];
  }
  printf("exact vs Joseph: total ratio %.5f\n", tn / te);
  CHECK(fabs(tn / te - 1.0) < 0.003);
  carm_volume_destroy(vol);
  carm_volume_destroy(exact);
  carm_volume_destroy(num);
  carm_geometry_destroy(geo);
  carm_phantom_destroy(ph);
}

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    return -1;
  }
  fputs(text, f);
  return fclose(f);
}

static void json_scenes(void) {
  const char *path = "test_phantom_scene.json";
  carm_phantom *ph = NULL;
  CHECK(write_file(path, "{\"shapes\": ["
                         "{\"type\": \"ellipsoid\", \"centre_mm\": [1, 2, 3], "
                         "\"semi_axes_mm\": [4, 5, 6], \"rotation_deg\": [0, 90, 0], "
                         "\"density\": 0.5},"
                         "{\"type\": \"cylinder\", \"centre_mm\": [0, 0, 0], \"axis\": [0, 0, 3], "
                         "\"radius_mm\": 2, \"length_mm\": 10, \"density\": 1},"
                         "{\"type\": \"shepp-logan\", \"scale_mm\": 64}]}") == 0);
  CHECK(carm_phantom_read_json(&ph, path) == CARM_OK);
  CHECK(ph != NULL && ph->n_shapes == 12);
  if (ph != NULL && ph->n_shapes == 12) {
    /* rotation_deg [0, 90, 0]: local x is world -z, so the chord along z
     * through the centre is 2 * 4. */
    double p[3] = {1.0, 2.0, -50.0};
    double d[3] = {0.0, 0.0, 1.0};
    carm_phantom one = {1, 1, &ph->shapes[0]};
    CHECK_NEAR(carm_phantom_line_integral(&one, p, d, -HUGE_VAL, HUGE_VAL), 0.5 * 8.0, 1e-9);
    CHECK_NEAR(ph->shapes[1].axis[2], 1.0, 1e-12);
    CHECK_NEAR(ph->shapes[2].semi_axes_mm[2], 0.92 * 64.0, 1e-12);
  }
  carm_phantom_destroy(ph);
  struct {
    const char *text;
    carm_status st;
    const char *needle;
  } bad[] = {
      {"{\"shapes\": [{\"type\": \"cube\"}]}", CARM_ERR_FORMAT, "unknown type"},
      {"{\"shapes\": [{\"type\": \"ellipsoid\", \"centre_mm\": [1, 2]}]}", CARM_ERR_FORMAT,
       "shape 0"},
      {"{\"shapes\": [{\"type\": \"cylinder\", \"centre_mm\": [0,0,0], \"axis\": [0,0,1], "
       "\"radius_mm\": 1, \"length_mm\": 2, \"density\": 1, \"colour\": 3}]}",
       CARM_ERR_FORMAT, "colour"},
      {"{\"shapes\": [{\"type\": \"cylinder\", \"centre_mm\": [0,0,0], \"axis\": [0,0,0], "
       "\"radius_mm\": 1, \"length_mm\": 2, \"density\": 1}]}",
       CARM_ERR_INVALID, "zero vector"},
      {"{\"shapes\": [{\"type\": \"ellipsoid\", \"centre_mm\": [0,0,0], "
       "\"semi_axes_mm\": [1,-1,1], \"density\": 1}]}",
       CARM_ERR_INVALID, "semi-axis"},
      {"{\"shapes\": []}", CARM_ERR_FORMAT, "no shapes"},
      {"{\"shape\": []}", CARM_ERR_FORMAT, "shapes"},
      {"{\"shapes\": [", CARM_ERR_FORMAT, path},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    carm_phantom *p = NULL;
    CHECK(write_file(path, bad[i].text) == 0);
    carm_status st = carm_phantom_read_json(&p, path);
    CHECK_MSG(st == bad[i].st, "case %zu: status %d", i, (int)st);
    CHECK_MSG(strstr(carm_last_error(), bad[i].needle) != NULL, "case %zu: message '%s'", i,
              carm_last_error());
    CHECK(p == NULL);
  }
  remove(path);
  /* From memory: the same parser, not NUL-terminated input. */
  const char text[] = "{\"shapes\": [{\"type\": \"shepp-logan\"}]}XYZ";
  carm_phantom *m = NULL;
  CHECK(carm_phantom_read_json_memory(&m, text, sizeof text - 4) == CARM_OK);
  CHECK(m != NULL && m->n_shapes == 10);
  if (m != NULL && m->n_shapes == 10) {
    CHECK_NEAR(m->shapes[0].semi_axes_mm[0], 0.69 * 128.0, 1e-12); /* default scale */
  }
  carm_phantom_destroy(m);
  m = NULL;
  CHECK(carm_phantom_read_json_memory(&m, text, sizeof text - 1) == CARM_ERR_FORMAT);
  CHECK(m == NULL);
  CHECK(carm_phantom_read_json_memory(&m, NULL, 0) == CARM_ERR_FORMAT);
  carm_phantom *p = NULL;
  CHECK(carm_phantom_read_json(&p, "no/such/scene.json") == CARM_ERR_IO);
  CHECK(p == NULL);
}

static void analytic_errors(void) {
  carm_phantom *ph = NULL;
  CHECK(carm_phantom_create(&ph) == CARM_OK);
  CHECK(carm_phantom_add_shepp_logan(ph, 50.0) == CARM_OK);
  carm_geometry *geo = NULL;
  CHECK(carm_geometry_create(&geo, 2) == CARM_OK);
  CHECK(carm_view_set(&geo->views[0], 500.0, 800.0, 0, 0, 0, 0, 0, 0, 0) == CARM_OK);
  CHECK(carm_view_set(&geo->views[1], 500.0, 800.0, 90, 0, 0, 0, 0, 0, 0) == CARM_OK);
  carm_volume *p = NULL;
  CHECK(carm_projections_create(&p, 8, 8, 3, 1.0, 1.0) == CARM_OK);
  CHECK(carm_phantom_project_analytic(ph, geo, p) == CARM_ERR_INVALID);
  CHECK(carm_phantom_project_analytic(NULL, geo, p) == CARM_ERR_INVALID);
  double zero[3] = {0.0, 0.0, 0.0};
  double one[3] = {1.0, 1.0, 1.0};
  double nan3[3] = {NAN, 0.0, 0.0};
  CHECK(carm_phantom_add_ellipsoid(ph, nan3, one, NULL, 1.0) == CARM_ERR_INVALID);
  CHECK(carm_phantom_add_cylinder(ph, zero, one, 0.0, 1.0, 1.0) == CARM_ERR_INVALID);
  double skew[3][3] = {{1.0, 0.1, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}};
  CHECK(carm_phantom_add_ellipsoid(ph, zero, one, skew, 1.0) == CARM_ERR_INVALID);
  CHECK(ph->n_shapes == 10);
  carm_volume_destroy(p);
  carm_geometry_destroy(geo);
  carm_phantom_destroy(ph);
  carm_phantom_destroy(NULL);
}

int main(void) {
  sphere_chords();
  ellipsoid_chords();
  cylinder_chords();
  shepp_logan_table();
  voxelize_volume();
  exact_vs_numerical();
  json_scenes();
  analytic_errors();
  return check_done();
}
