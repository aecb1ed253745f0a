/* Joseph forward projector and its adjoint: adjoint identity on random data,
 * a bright sphere lands where the 3x4 matrix says, threads do not change the
 * result, errors are reported. */
#include "carm/carm.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A pose with all nine parameters non-zero. */
static carm_geometry *make_geometry(int64_t n, double sdd, double first_deg, double step_deg) {
  carm_geometry *geo = NULL;
  if (carm_geometry_create(&geo, n) != CARM_OK) {
    return NULL;
  }
  for (int64_t v = 0; v < n; v++) {
    double sid = 300.0 + 3.0 * (double)v;
    carm_view_set(&geo->views[v], sid, sdd, first_deg + step_deg * (double)v, 3.5 - (double)v,
                  -2.25 + 0.5 * (double)v, 7.0 + (double)v, -11.0 + 2.0 * (double)v, 1.5,
                  -2.5 + 0.25 * (double)v);
  }
  return geo;
}

/* A volume with anisotropic spacing, an offset origin and a rotated
 * direction matrix. */
static carm_volume *make_volume(int64_t nx, int64_t ny, int64_t nz, int rotated) {
  int64_t dims[3] = {nx, ny, nz};
  carm_volume *vol = NULL;
  if (carm_volume_create(&vol, dims) != CARM_OK) {
    return NULL;
  }
  vol->spacing[0] = 1.1;
  vol->spacing[1] = 0.9;
  vol->spacing[2] = 1.3;
  if (rotated) {
    double rz[3][3];
    double rx[3][3];
    carm_mat3_rot_z(0.3, rz);
    carm_mat3_rot_x(-0.2, rx);
    carm_mat3_mul(rz, rx, vol->direction);
  }
  double centre_idx[3] = {0.5 * (double)(nx - 1), 0.5 * (double)(ny - 1), 0.5 * (double)(nz - 1)};
  double c[3];
  carm_volume_index_to_point(vol, centre_idx, c);
  for (int a = 0; a < 3; a++) {
    vol->origin[a] = -c[a] + 0.7 * (a + 1);
  }
  return vol;
}

static void fill_random(carm_volume *v, uint64_t seed) {
  carm_rng rng;
  carm_rng_seed(&rng, seed);
  int64_t n = carm_volume_count(v);
  for (int64_t i = 0; i < n; i++) {
    v->data[i] = (float)carm_rng_uniform(&rng);
  }
}

static double dot(const carm_volume *a, const carm_volume *b) {
  double s = 0.0;
  int64_t n = carm_volume_count(a);
  for (int64_t i = 0; i < n; i++) {
    s += (double)a->data[i] * (double)b->data[i];
  }
  return s;
}

/* `big` uses a volume large against the rays (one view), so that the forward
 * projector reads the volume directly instead of its pair copy. */
static void adjoint_case(double sdd, int rotated, int big, const char *name) {
  int64_t nviews = big ? 1 : 7;
  carm_volume *x = big ? make_volume(40, 36, 30, rotated) : make_volume(14, 12, 10, rotated);
  carm_geometry *geo = make_geometry(nviews, sdd, 13.0, 47.0);
  carm_volume *ax = NULL;
  carm_volume *y = NULL;
  carm_volume *aty = NULL;
  CHECK(x != NULL && geo != NULL);
  CHECK(carm_projections_create(&ax, 24, 20, nviews, 1.2, 1.1) == CARM_OK);
  CHECK(carm_projections_create(&y, 24, 20, nviews, 1.2, 1.1) == CARM_OK);
  CHECK(carm_volume_create_like(&aty, x) == CARM_OK);
  fill_random(x, 11);
  fill_random(y, 12);
  carm_project_opts opts = CARM_PROJECT_INIT;
  CHECK(carm_project_forward(x, geo, ax, &opts) == CARM_OK);
  CHECK(carm_project_back(y, geo, aty, &opts) == CARM_OK);
  double lhs = dot(ax, y);
  double rhs = dot(x, aty);
  double rel = fabs(lhs - rhs) / (sqrt(dot(ax, ax)) * sqrt(dot(y, y)));
  printf("adjoint %s: <Ax,y> = %.9g, <x,A'y> = %.9g, relative error %.3g\n", name, lhs, rhs, rel);
  CHECK_MSG(rel < 1e-5, "%s: relative adjoint error %g", name, rel);
  /* The rays do cross the volume: the test is not vacuous. */
  CHECK_MSG(lhs > 1.0, "%s: <Ax,y> = %g", name, lhs);
  carm_volume_destroy(x);
  carm_volume_destroy(ax);
  carm_volume_destroy(y);
  carm_volume_destroy(aty);
  carm_geometry_destroy(geo);
}

/* Voxelise a sphere of radius r (mm) at world point c, 4^3 supersampling. */
static void draw_sphere(carm_volume *vol, const double c[3], double r) {
  for (int64_t k = 0; k < vol->dims[2]; k++) {
    for (int64_t j = 0; j < vol->dims[1]; j++) {
      for (int64_t i = 0; i < vol->dims[0]; i++) {
        int inside = 0;
        for (int s = 0; s < 64; s++) {
          double ijk[3] = {(double)i + ((s & 3) + 0.5) / 4.0 - 0.5,
                           (double)j + (((s >> 2) & 3) + 0.5) / 4.0 - 0.5,
                           (double)k + (((s >> 4) & 3) + 0.5) / 4.0 - 0.5};
          double p[3];
          carm_volume_index_to_point(vol, ijk, p);
          double d2 = (p[0] - c[0]) * (p[0] - c[0]) + (p[1] - c[1]) * (p[1] - c[1]) +
                      (p[2] - c[2]) * (p[2] - c[2]);
          inside += d2 <= r * r;
        }
        vol->data[(k * vol->dims[1] + j) * vol->dims[0] + i] = (float)inside / 64.0f;
      }
    }
  }
}

static void sphere_centroid_case(int rotated) {
  carm_volume *vol = make_volume(48, 52, 40, rotated);
  CHECK(vol != NULL);
  double c[3] = {6.0, -4.0, 5.0};
  draw_sphere(vol, c, 3.0);
  carm_geometry *geo = make_geometry(3, 1200.0, 31.0, 97.0);
  carm_volume *proj = NULL;
  CHECK(carm_projections_create(&proj, 96, 90, 3, 1.0, 1.0) == CARM_OK);
  CHECK(carm_project_forward(vol, geo, proj, NULL) == CARM_OK);
  for (int64_t v = 0; v < 3; v++) {
    double uv[2];
    CHECK(carm_view_project(&geo->views[v], c, uv) == 1);
    double pi = (uv[0] - proj->origin[0]) / proj->spacing[0];
    double pj = (uv[1] - proj->origin[1]) / proj->spacing[1];
    double s = 0.0;
    double si = 0.0;
    double sj = 0.0;
    const float *img = proj->data + v * 96 * 90;
    for (int64_t j = 0; j < 90; j++) {
      for (int64_t i = 0; i < 96; i++) {
        double w = img[j * 96 + i];
        s += w;
        si += w * (double)i;
        sj += w * (double)j;
      }
    }
    CHECK(s > 0.0);
    /* The sphere's shadow lies well inside the detector. */
    CHECK(pi > 12.0 && pi < 84.0 && pj > 12.0 && pj < 78.0);
    double ci = si / s;
    double cj = sj / s;
    double err = hypot(ci - pi, cj - pj);
    printf("sphere view %lld (rotated %d): centroid (%.4f, %.4f), matrix (%.4f, %.4f), error "
           "%.4f px\n",
           (long long)v, rotated, ci, cj, pi, pj, err);
    CHECK_MSG(err < 0.1, "view %lld: centroid off by %g px", (long long)v, err);
    /* Peak line integral ~ chord through the centre: 2 r = 6 mm. */
    float peak = 0.0f;
    for (int64_t p = 0; p < 96 * 90; p++) {
      peak = img[p] > peak ? img[p] : peak;
    }
    CHECK_MSG(fabs(peak - 6.0) < 0.6, "peak line integral %g (expected about 6)", (double)peak);
  }
  carm_volume_destroy(vol);
  carm_volume_destroy(proj);
  carm_geometry_destroy(geo);
}

static void threads_case(double sdd) {
  carm_volume *x = make_volume(20, 18, 16, 1);
  carm_geometry *geo = make_geometry(5, sdd, 71.0, 33.0);
  carm_volume *p1 = NULL;
  carm_volume *p4 = NULL;
  carm_volume *b1 = NULL;
  carm_volume *b4 = NULL;
  CHECK(carm_projections_create(&p1, 30, 26, 5, 1.0, 1.0) == CARM_OK);
  CHECK(carm_projections_create(&p4, 30, 26, 5, 1.0, 1.0) == CARM_OK);
  CHECK(carm_volume_create_like(&b1, x) == CARM_OK);
  CHECK(carm_volume_create_like(&b4, x) == CARM_OK);
  fill_random(x, 5);
  carm_project_opts o1 = CARM_PROJECT_INIT;
  carm_project_opts o4 = CARM_PROJECT_INIT;
  o1.threads = 1;
  o4.threads = 4;
  CHECK(carm_project_forward(x, geo, p1, &o1) == CARM_OK);
  CHECK(carm_project_forward(x, geo, p4, &o4) == CARM_OK);
  double maxdiff = 0.0;
  double maxval = 0.0;
  for (int64_t i = 0; i < carm_volume_count(p1); i++) {
    maxdiff = fmax(maxdiff, fabs((double)p1->data[i] - (double)p4->data[i]));
    maxval = fmax(maxval, fabs((double)p1->data[i]));
  }
  CHECK(maxval > 1.0);
  CHECK_MSG(maxdiff <= 1e-6 * maxval, "forward 1 vs 4 threads differ by %g", maxdiff);
  CHECK(carm_project_back(p1, geo, b1, &o1) == CARM_OK);
  CHECK(carm_project_back(p1, geo, b4, &o4) == CARM_OK);
  maxdiff = 0.0;
  maxval = 0.0;
  for (int64_t i = 0; i < carm_volume_count(b1); i++) {
    maxdiff = fmax(maxdiff, fabs((double)b1->data[i] - (double)b4->data[i]));
    maxval = fmax(maxval, fabs((double)b1->data[i]));
  }
  CHECK(maxval > 1.0);
  CHECK_MSG(maxdiff <= 1e-6 * maxval, "back 1 vs 4 threads differ by %g", maxdiff);
  carm_volume_destroy(x);
  carm_volume_destroy(p1);
  carm_volume_destroy(p4);
  carm_volume_destroy(b1);
  carm_volume_destroy(b4);
  carm_geometry_destroy(geo);
}

/* A uniform parallel beam through a cube, straight along an axis: every
 * central ray's integral is the cube's length between its first and last
 * voxel centres ((n-1) * spacing). */
static void parallel_cube_case(void) {
  int64_t dims[3] = {10, 10, 10};
  carm_volume *vol = NULL;
  CHECK(carm_volume_create(&vol, dims) == CARM_OK);
  for (int a = 0; a < 3; a++) {
    vol->spacing[a] = 2.0;
    vol->origin[a] = -9.0;
  }
  for (int64_t i = 0; i < 1000; i++) {
    vol->data[i] = 1.0f;
  }
  carm_geometry *geo = NULL;
  CHECK(carm_geometry_create(&geo, 1) == CARM_OK);
  CHECK(carm_view_set(&geo->views[0], 500.0, 0.0, 0.0, 0, 0, 0, 0, 0, 0) == CARM_OK);
  carm_volume *proj = NULL;
  CHECK(carm_projections_create(&proj, 5, 5, 1, 2.0, 2.0) == CARM_OK);
  CHECK(carm_project_forward(vol, geo, proj, NULL) == CARM_OK);
  CHECK_NEAR(proj->data[2 * 5 + 2], 20.0, 1e-4);
  carm_volume_destroy(vol);
  carm_volume_destroy(proj);
  carm_geometry_destroy(geo);
}

static int cancel_after_two(void *user, double fraction, const char *stage) {
  (void)fraction;
  (void)stage;
  int *n = user;
  return ++*n >= 2;
}

static void error_cases(void) {
  carm_volume *x = make_volume(8, 8, 8, 0);
  carm_geometry *geo = make_geometry(4, 600.0, 0.0, 90.0);
  carm_volume *p = NULL;
  carm_volume *bad = NULL;
  CHECK(carm_projections_create(&p, 8, 8, 4, 1.0, 1.0) == CARM_OK);
  CHECK(carm_projections_create(&bad, 8, 8, 3, 1.0, 1.0) == CARM_OK);
  CHECK(carm_project_forward(x, geo, bad, NULL) == CARM_ERR_INVALID);
  CHECK(strstr(carm_last_error(), "views") != NULL);
  CHECK(carm_project_back(bad, geo, x, NULL) == CARM_ERR_INVALID);
  CHECK(carm_project_forward(NULL, geo, p, NULL) == CARM_ERR_INVALID);
  carm_volume *none = NULL;
  CHECK(carm_projections_create(&none, 8, 8, 4, 0.0, 1.0) == CARM_ERR_INVALID);
  CHECK(none == NULL);
  CHECK(carm_projections_create(&none, 0, 8, 4, 1.0, 1.0) == CARM_ERR_RANGE);
  CHECK(none == NULL);
  carm_project_opts opts = CARM_PROJECT_INIT;
  int calls = 0;
  opts.progress.fn = cancel_after_two;
  opts.progress.user = &calls;
  CHECK(carm_project_forward(x, geo, p, &opts) == CARM_ERR_CANCELLED);
  CHECK(calls == 2);
  calls = 0;
  CHECK(carm_project_back(p, geo, x, &opts) == CARM_ERR_CANCELLED);
  opts.version = 2;
  CHECK(carm_project_forward(x, geo, p, &opts) == CARM_ERR_INVALID);
  geo->views[1].sid_mm = -1.0;
  CHECK(carm_project_forward(x, geo, p, NULL) == CARM_ERR_GEOMETRY);
  carm_volume_destroy(x);
  carm_volume_destroy(p);
  carm_volume_destroy(bad);
  carm_geometry_destroy(geo);
}

int main(void) {
  adjoint_case(450.0, 1, 0, "cone, rotated grid");
  adjoint_case(450.0, 0, 0, "cone, axis-aligned grid");
  adjoint_case(0.0, 1, 0, "parallel, rotated grid");
  adjoint_case(450.0, 1, 1, "cone, rotated grid, no pair copy");
  adjoint_case(0.0, 0, 1, "parallel, axis-aligned grid, no pair copy");
  sphere_centroid_case(0);
  sphere_centroid_case(1);
  threads_case(450.0);
  threads_case(0.0);
  parallel_cube_case();
  error_cases();
  return check_done();
}
